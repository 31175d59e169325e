package bench

import (
	"fmt"
	"io"
)

// headline is one row of the targets table: the figures the project
// steers by, each with its target and this run's verdict.
type headline struct {
	what, target string
	// eval computes this run's figure (as text) and its verdict.
	eval func(rs rows) (string, verdict)
}

// headlines are the targets, in the order the report lists them.
var headlines = []headline{
	ratioHeadline("put `--sync none` / JetStream KV R3 put (lazy)", rowQKVNonePut, rowJSLazyPut, 1.0),
	ratioHeadline("put `--sync always` / JetStream KV R3 put (sync always)", rowQKVAlwaysPut, rowJSAlwaysPut, 1.0),
	ratioHeadline("get R=2 (`--sync none` nodes) / JetStream KV R3 direct get", rowQKVNoneGet, rowJSLazyGet, 0.9),
	ratioHeadline("get R=2 (`--sync always` nodes) / JetStream KV R3 direct get", rowQKVAlwaysGet, rowJSLazyGet, 0.9),
	ratioHeadline("get R=1 (`--sync none` nodes) / JetStream KV R3 direct get", rowQKVNoneGetR1, rowJSLazyGet, 1.5),
	ratioHeadline("get R=1 (`--sync always` nodes) / JetStream KV R3 direct get", rowQKVAlwaysGetR1, rowJSLazyGet, 1.5),
	cpuHeadline("server CPU per put, three servers together: `--sync none` / JetStream (lazy)", rowQKVNonePut, rowJSLazyPut),
	cpuHeadline("server CPU per put, three servers together: `--sync always` / JetStream (sync always)", rowQKVAlwaysPut, rowJSAlwaysPut),
	{"1 in flight: put p50 (`--sync none`) / echo p50", "<= 1.3x", func(rs rows) (string, verdict) {
		a, okA := rs.mainOp(rowQKVNonePut1)
		b, okB := rs.mainOp(rowEchoGet1)
		if !okA || !okB || b.P50Us == 0 {
			return "-", notMeasured
		}
		r := a.P50Us / b.P50Us
		return fmt.Sprintf("%.2fx (%s / %s)", r, fmtMicros(a.P50Us), fmtMicros(b.P50Us)), verdictOf(r <= 1.3)
	}},
	p99Headline("64 in flight, `--sync none`: put p99 / get R=2 p99", rowQKVNonePut, "", rowQKVNoneGet, ""),
	p99Headline("64 in flight, `--sync always`: put p99 / get R=2 p99", rowQKVAlwaysPut, "", rowQKVAlwaysGet, ""),
	p99Headline("seed workload a (50/50) at half its max: update p99 / read p99", rowSeedAOpen50, "update", rowSeedAOpen50, "read"),
	p99Headline("seed workload b (95/5) at half its max: update p99 / read p99", rowSeedBOpen50, "update", rowSeedBOpen50, "read"),
	{"get p99 beyond the caches / cached get p99 (R=2, `--sync none`)", "<= 2.0x", func(rs rows) (string, verdict) {
		r, big, cached, ok := rs.bigGetRatio()
		if !ok {
			return "-", notMeasured
		}
		return fmt.Sprintf("%.2fx (%s / %s)", r, fmtMicros(big), fmtMicros(cached)), verdictOf(r <= 2)
	}},
}

func verdictOf(ok bool) verdict {
	if ok {
		return met
	}
	return missed
}

// ratioHeadline: the throughput of row num over that of row den, at
// least min.
func ratioHeadline(what, num, den string, min float64) headline {
	return headline{what, fmt.Sprintf(">= %.1fx", min), func(rs rows) (string, verdict) {
		_, _, ratio, v := rs.evalRatio(ratioGoal{what, num, den, min})
		if v == notMeasured {
			return "-", v
		}
		return fmt.Sprintf("%.2fx", ratio), v
	}}
}

// cpuHeadline: the servers' CPU time per operation of row qkv, at most
// that of row js.
func cpuHeadline(what, qkv, js string) headline {
	return headline{what, "<= JetStream's", func(rs rows) (string, verdict) {
		a, okA := rs[qkv]
		b, okB := rs[js]
		if !okA || !okB {
			return "-", notMeasured
		}
		pa, _ := a.phase("run")
		pb, _ := b.phase("run")
		_, ca := pa.cpuPerOp()
		_, cb := pb.cpuPerOp()
		if ca == 0 || cb == 0 {
			return "-", notMeasured
		}
		return fmt.Sprintf("%s / %s", fmtMicros(ca), fmtMicros(cb)), verdictOf(ca <= cb)
	}}
}

// p99Headline: the p99 of a write under 20 ms and of a read under 10 ms.
func p99Headline(what, putRow, putOp, getRow, getOp string) headline {
	return headline{what, "< 20.0ms / < 10.0ms", func(rs rows) (string, verdict) {
		p, okP := rs.opOf(putRow, putOp)
		g, okG := rs.opOf(getRow, getOp)
		if !okP || !okG {
			return "-", notMeasured
		}
		return fmt.Sprintf("%s / %s", fmtMicros(p.P99Us), fmtMicros(g.P99Us)), verdictOf(p.P99Us < 20_000 && g.P99Us < 10_000)
	}}
}

// bigGetRatio is the get p99 of the row beyond the caches over that of the
// cached row, with both figures in µs.
func (rs rows) bigGetRatio() (ratio, big, cached float64, ok bool) {
	b, okB := rs.opOf(rowBigGet, "read")
	c, okC := rs.opOf(rowQKVNoneGet, "read")
	if !okB || !okC || c.P99Us == 0 {
		return 0, 0, 0, false
	}
	return b.P99Us / c.P99Us, b.P99Us, c.P99Us, true
}

// renderTargets is the table of headline targets and this run's figures.
func renderTargets(w io.Writer, rs rows) {
	fmt.Fprintf(w, "## Targets\n\n")
	fmt.Fprintf(w, "Ratios at 64 clients; a p99 pair is write / read. Nothing fails on a missed target.\n\n")
	fmt.Fprintf(w, "| row | target | this run | status |\n|---|---|--:|---|\n")
	for _, h := range headlines {
		fig, v := h.eval(rs)
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", h.what, h.target, fig, v)
	}
	fmt.Fprintln(w)
}
