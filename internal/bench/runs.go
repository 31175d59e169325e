package bench

import (
	"fmt"
	"sort"
)

// rowRuns is every run of one row (results sharing a label), and the one
// that stands for them: the median by throughput.
type rowRuns struct {
	label  string
	runs   []*Result
	median *Result
}

// groupRuns groups results by label, in the order each label first
// appears; a result without a label is a row of its own. The median of an
// even count is the lower middle run, so that every figure of a row comes
// from one real run.
func groupRuns(results []*Result) []*rowRuns {
	var out []*rowRuns
	byLabel := map[string]*rowRuns{}
	for _, res := range results {
		g, ok := byLabel[res.Label]
		if !ok || res.Label == "" {
			g = &rowRuns{label: res.Label}
			out = append(out, g)
			if res.Label != "" {
				byLabel[res.Label] = g
			}
		}
		g.runs = append(g.runs, res)
	}
	for _, g := range out {
		sorted := append([]*Result(nil), g.runs...)
		sort.SliceStable(sorted, func(i, j int) bool { return runThroughput(sorted[i]) < runThroughput(sorted[j]) })
		g.median = sorted[(len(sorted)-1)/2]
	}
	return out
}

// runThroughput is the answered operations per second of res's run phase.
func runThroughput(res *Result) float64 {
	p, _ := res.phase("run")
	return p.throughput()
}

// spread describes how far a row's runs are apart: half their range of
// throughput, as a share of the median ("-" for a single run).
func (g *rowRuns) spread() string {
	if len(g.runs) < 2 {
		return "-"
	}
	lo, hi := runThroughput(g.runs[0]), runThroughput(g.runs[0])
	for _, r := range g.runs[1:] {
		t := runThroughput(r)
		lo, hi = min(lo, t), max(hi, t)
	}
	m := runThroughput(g.median)
	if m == 0 {
		return "-"
	}
	return fmt.Sprintf("±%.0f%% (%.0f-%.0f)", (hi-lo)/2/m*100, lo, hi)
}
