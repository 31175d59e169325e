package bench

import "fmt"

// Row labels that deploy/bench.sh gives its runs and the goals refer to.
// A quorumkv label names the node's --sync mode, the operation, the quorum
// and the number of workers.
const (
	rowQKVAlwaysPut   = "qkv-always-put-c64"
	rowQKVAlwaysGet   = "qkv-always-get-r2-c64"
	rowQKVAlwaysGetR1 = "qkv-always-get-r1-c64"
	rowQKVAlwaysPut1  = "qkv-always-put-c1"
	rowQKVAlwaysGet1  = "qkv-always-get-r2-c1"
	rowQKVNonePut     = "qkv-none-put-c64"
	rowQKVNoneGet     = "qkv-none-get-r2-c64"
	rowQKVNoneGetR1   = "qkv-none-get-r1-c64"
	rowQKVNonePut1    = "qkv-none-put-c1"
	rowQKVNoneGet1    = "qkv-none-get-r2-c1"
	rowJSLazyPut      = "js-lazy-put-c64"
	rowJSLazyGet      = "js-lazy-get-c64"
	rowJSAlwaysPut    = "js-always-put-c64"
	rowJSAlwaysGet    = "js-always-get-c64"
	rowEchoPut        = "echo-put-c64"
	rowEchoGet        = "echo-get-c64"
)

// ratioGoal compares the throughput of two rows: num/den >= min. A min of
// 0 makes it a plain comparison with no goal.
type ratioGoal struct {
	what     string
	num, den string
	min      float64
}

// ratioGoals are the throughput targets (and comparisons) the report
// states beside the figures.
var ratioGoals = []ratioGoal{
	{"put, --sync none / JetStream KV R3 put (lazy fsync)", rowQKVNonePut, rowJSLazyPut, 0.6},
	{"put, --sync always / JetStream KV R3 put (sync always)", rowQKVAlwaysPut, rowJSAlwaysPut, 0.7},
	{"get R=2 (--sync always nodes) / JetStream KV R3 get", rowQKVAlwaysGet, rowJSLazyGet, 0.8},
	{"get R=2 (--sync none nodes) / JetStream KV R3 get", rowQKVNoneGet, rowJSLazyGet, 0.8},
	{"get R=1 (--sync always nodes) / JetStream KV R3 get", rowQKVAlwaysGetR1, rowJSLazyGet, 1.0},
	{"get R=1 (--sync none nodes) / JetStream KV R3 get", rowQKVNoneGetR1, rowJSLazyGet, 1.0},
	{"put, --sync none / echo (1 KiB request and reply)", rowQKVNonePut, rowEchoPut, 0},
	{"put, --sync always / echo (1 KiB request and reply)", rowQKVAlwaysPut, rowEchoPut, 0},
	{"get R=2 (--sync none nodes) / echo (key request, 1 KiB reply)", rowQKVNoneGet, rowEchoGet, 0},
	{"get R=1 (--sync none nodes) / echo (key request, 1 KiB reply)", rowQKVNoneGetR1, rowEchoGet, 0},
	{"JetStream KV R3 put (lazy fsync) / echo", rowJSLazyPut, rowEchoPut, 0},
	{"JetStream KV R3 put (sync always) / JetStream (lazy)", rowJSAlwaysPut, rowJSLazyPut, 0},
}

// latencyGoal bounds a latency percentile of one row.
type latencyGoal struct {
	what     string
	row      string
	quantile string // p50, p99
	limitUs  float64
}

var latencyGoals = []latencyGoal{
	{"1 in flight: put p50, --sync none", rowQKVNonePut1, "p50", 200},
	{"1 in flight: put p99, --sync none", rowQKVNonePut1, "p99", 1000},
	{"1 in flight: get R=2 p99 (--sync none nodes)", rowQKVNoneGet1, "p99", 1000},
	{"1 in flight: get R=2 p99 (--sync always nodes)", rowQKVAlwaysGet1, "p99", 1000},
	{"64 in flight: get R=2 p99 (--sync none nodes)", rowQKVNoneGet, "p99", 10_000},
	{"64 in flight: get R=1 p99 (--sync none nodes)", rowQKVNoneGetR1, "p99", 10_000},
	{"64 in flight: get R=2 p99 (--sync always nodes)", rowQKVAlwaysGet, "p99", 10_000},
	{"64 in flight: get R=1 p99 (--sync always nodes)", rowQKVAlwaysGetR1, "p99", 10_000},
	{"64 in flight: put p99, --sync none", rowQKVNonePut, "p99", 20_000},
	{"64 in flight: put p99, --sync always", rowQKVAlwaysPut, "p99", 20_000},
}

// verdict is the outcome of a goal.
type verdict int

const (
	notMeasured verdict = iota
	met
	missed
	noGoal
)

func (v verdict) String() string {
	switch v {
	case met:
		return "met"
	case missed:
		return "**missed**"
	case noGoal:
		return "-"
	}
	return "not measured"
}

// rows indexes results by label.
type rows map[string]*Result

// mainOp is the operation a row measured: the run phase's busiest.
func (rs rows) mainOp(label string) (OpSummary, bool) {
	res, ok := rs[label]
	if !ok {
		return OpSummary{}, false
	}
	p, ok := res.phase("run")
	if !ok || len(p.Ops) == 0 {
		return OpSummary{}, false
	}
	best := p.Ops[0]
	for _, s := range p.Ops[1:] {
		if s.Count > best.Count {
			best = s
		}
	}
	return best, best.Count > 0
}

// evalRatio computes a ratio goal: the two throughputs, their ratio and
// the verdict.
func (rs rows) evalRatio(g ratioGoal) (num, den, ratio float64, v verdict) {
	a, okA := rs.mainOp(g.num)
	b, okB := rs.mainOp(g.den)
	if !okA || !okB || b.Throughput == 0 {
		return a.Throughput, b.Throughput, 0, notMeasured
	}
	ratio = a.Throughput / b.Throughput
	switch {
	case g.min == 0:
		v = noGoal
	case ratio >= g.min:
		v = met
	default:
		v = missed
	}
	return a.Throughput, b.Throughput, ratio, v
}

// evalLatency computes a latency goal: the figure in µs and the verdict.
func (rs rows) evalLatency(g latencyGoal) (float64, verdict) {
	s, ok := rs.mainOp(g.row)
	if !ok {
		return 0, notMeasured
	}
	var us float64
	switch g.quantile {
	case "p50":
		us = s.P50Us
	case "p95":
		us = s.P95Us
	case "p99":
		us = s.P99Us
	case "p99.9":
		us = s.P999Us
	default:
		panic(fmt.Sprintf("latency goal %q: unknown quantile %q", g.what, g.quantile))
	}
	if us < g.limitUs {
		return us, met
	}
	return us, missed
}
