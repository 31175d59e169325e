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
	rowEchoGet1       = "echo-get-c1"

	// The seed workload (YCSB a and b, 256-byte keys, 10 KiB values,
	// zipfian keys) on the --sync always nodes: a closed loop for the
	// maximum, then an open loop at half of it.
	rowSeedAMax    = "seed-a-max"
	rowSeedAOpen50 = "seed-a-open50"
	rowSeedBMax    = "seed-b-max"
	rowSeedBOpen50 = "seed-b-open50"

	// rowBigGet is the get row on a data set several times the caches,
	// loaded by its own load phase on a fresh --sync none cluster; its
	// cached counterpart is rowQKVNoneGet.
	rowBigGet = "big-get-r2-c64"
)

// Open-loop rows are named after their closed-loop row, whose measured
// maximum they send a share of: qkv-none-put-c64 -> qkv-none-put-open50.
var openRows = []struct{ base, what string }{
	{"qkv-none-put", "quorumkv put, --sync none"},
	{"qkv-none-get-r2", "quorumkv get R=2, --sync none nodes"},
	{"js-lazy-put", "JetStream KV R3 put (lazy fsync)"},
	{"js-lazy-get", "JetStream KV R3 get"},
}

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
	{"put, --sync none / JetStream KV R3 put (lazy fsync)", rowQKVNonePut, rowJSLazyPut, 1.0},
	{"put, --sync always / JetStream KV R3 put (sync always)", rowQKVAlwaysPut, rowJSAlwaysPut, 1.0},
	{"get R=2 (--sync always nodes) / JetStream KV R3 get", rowQKVAlwaysGet, rowJSLazyGet, 0.9},
	{"get R=2 (--sync none nodes) / JetStream KV R3 get", rowQKVNoneGet, rowJSLazyGet, 0.9},
	{"get R=1 (--sync always nodes) / JetStream KV R3 get", rowQKVAlwaysGetR1, rowJSLazyGet, 1.5},
	{"get R=1 (--sync none nodes) / JetStream KV R3 get", rowQKVNoneGetR1, rowJSLazyGet, 1.5},
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
	// op is the operation measured: read, update (empty: the row's
	// busiest).
	op string
}

var latencyGoals = []latencyGoal{
	{"1 in flight: put p50, --sync none", rowQKVNonePut1, "p50", 200, ""},
	{"1 in flight: put p99, --sync none", rowQKVNonePut1, "p99", 1000, ""},
	{"1 in flight: get R=2 p99 (--sync none nodes)", rowQKVNoneGet1, "p99", 1000, ""},
	{"1 in flight: get R=2 p99 (--sync always nodes)", rowQKVAlwaysGet1, "p99", 1000, ""},
	{"64 in flight: get R=2 p99 (--sync none nodes)", rowQKVNoneGet, "p99", 10_000, ""},
	{"64 in flight: get R=1 p99 (--sync none nodes)", rowQKVNoneGetR1, "p99", 10_000, ""},
	{"64 in flight: get R=2 p99 (--sync always nodes)", rowQKVAlwaysGet, "p99", 10_000, ""},
	{"64 in flight: get R=1 p99 (--sync always nodes)", rowQKVAlwaysGetR1, "p99", 10_000, ""},
	{"64 in flight: put p99, --sync none", rowQKVNonePut, "p99", 20_000, ""},
	{"64 in flight: put p99, --sync always", rowQKVAlwaysPut, "p99", 20_000, ""},
	{"seed workload a (50/50) at half its max: read p99", rowSeedAOpen50, "p99", 10_000, "read"},
	{"seed workload a (50/50) at half its max: update p99", rowSeedAOpen50, "p99", 20_000, "update"},
	{"seed workload b (95/5) at half its max: read p99", rowSeedBOpen50, "p99", 10_000, "read"},
	{"seed workload b (95/5) at half its max: update p99", rowSeedBOpen50, "p99", 20_000, "update"},
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

// opOf is the summary of op (empty: the busiest) in a row's run phase.
func (rs rows) opOf(label, op string) (OpSummary, bool) {
	if op == "" {
		return rs.mainOp(label)
	}
	res, ok := rs[label]
	if !ok {
		return OpSummary{}, false
	}
	s, ok := res.op(op)
	return s, ok && s.Count > 0
}

// evalLatency computes a latency goal: the figure in µs and the verdict.
func (rs rows) evalLatency(g latencyGoal) (float64, verdict) {
	s, ok := rs.opOf(g.row, g.op)
	if !ok {
		return 0, notMeasured
	}
	us, known := quantileUs(s, g.quantile)
	if !known {
		panic(fmt.Sprintf("latency goal %q: unknown quantile %q", g.what, g.quantile))
	}
	if us < g.limitUs {
		return us, met
	}
	return us, missed
}

// quantileUs is the named percentile of s, in µs, and whether the name
// is known.
func quantileUs(s OpSummary, quantile string) (float64, bool) {
	switch quantile {
	case "p50":
		return s.P50Us, true
	case "p95":
		return s.P95Us, true
	case "p99":
		return s.P99Us, true
	case "p99.9":
		return s.P999Us, true
	}
	return 0, false
}
