package bench

import (
	"errors"
	"maps"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// opKind is a kind of operation, as YCSB names them.
type opKind int

const (
	opRead opKind = iota
	opUpdate
	opInsert
	numOps
)

func (o opKind) String() string {
	switch o {
	case opRead:
		return "read"
	case opUpdate:
		return "update"
	case opInsert:
		return "insert"
	}
	return "op?"
}

// maxErrorKinds bounds the distinct error kinds kept per operation; the
// rest are counted as "other".
const maxErrorKinds = 16

// opStats gathers one operation's outcomes from every worker.
type opStats struct {
	// hist holds the latency of every op that succeeded, not-found
	// answers included (they are answers, not failures).
	hist     histogram
	errors   atomic.Uint64
	notFound atomic.Uint64

	mu sync.Mutex
	// kinds counts errors by errorKind; guarded by mu.
	kinds map[string]uint64
}

// recorder gathers the outcomes of one phase, per operation.
type recorder struct {
	ops [numOps]*opStats
}

func newRecorder() *recorder {
	r := &recorder{}
	for i := range r.ops {
		r.ops[i] = &opStats{kinds: map[string]uint64{}}
	}
	return r
}

// record counts one operation that took d and ended with err.
func (r *recorder) record(op opKind, d time.Duration, err error) {
	s := r.ops[op]
	switch {
	case err == nil:
		s.hist.record(d)
	case errors.Is(err, errNotFound):
		s.notFound.Add(1)
		s.hist.record(d)
	default:
		s.errors.Add(1)
		kind := errorKind(err)
		s.mu.Lock()
		if _, ok := s.kinds[kind]; !ok && len(s.kinds) >= maxErrorKinds {
			kind = "other"
		}
		s.kinds[kind]++
		s.mu.Unlock()
	}
}

// progress is a running view of a phase for the live line.
type progress struct {
	done   uint64 // ops answered, errors included
	errors uint64
	p99    time.Duration
}

// progress merges every operation's counts so far.
func (r *recorder) progress() progress {
	merged := &histSnapshot{counts: make([]uint64, numBuckets)}
	var p progress
	for _, s := range r.ops {
		merged.addFrom(&s.hist)
		p.errors += s.errors.Load()
	}
	p.done = merged.total + p.errors
	p.p99 = merged.quantile(0.99)
	return p
}

// OpSummary is one row of the final report.
type OpSummary struct {
	Op         string            `json:"op"`
	Count      uint64            `json:"count"`
	NotFound   uint64            `json:"not_found"`
	Errors     uint64            `json:"errors"`
	Seconds    float64           `json:"seconds"`
	Throughput float64           `json:"ops_per_sec"`
	MeanUs     float64           `json:"mean_us"`
	P50Us      float64           `json:"p50_us"`
	P95Us      float64           `json:"p95_us"`
	P99Us      float64           `json:"p99_us"`
	P999Us     float64           `json:"p999_us"`
	MaxUs      float64           `json:"max_us"`
	ErrorKinds map[string]uint64 `json:"error_kinds,omitempty"`
}

// summaries returns a row per operation that ran in a phase of length
// elapsed. Count is the successful ops; throughput is Count per second.
func (r *recorder) summaries(elapsed time.Duration) []OpSummary {
	var out []OpSummary
	for op, s := range r.ops {
		if sum, ran := s.summary(opKind(op), elapsed); ran {
			out = append(out, sum)
		}
	}
	return out
}

// summary is s's row, and whether op ran at all.
func (s *opStats) summary(op opKind, elapsed time.Duration) (OpSummary, bool) {
	snap := s.hist.snapshot()
	errs := s.errors.Load()
	if snap.total == 0 && errs == 0 {
		return OpSummary{}, false
	}
	sum := OpSummary{
		Op:       op.String(),
		Count:    snap.total,
		NotFound: s.notFound.Load(),
		Errors:   errs,
		Seconds:  elapsed.Seconds(),
		MeanUs:   micros(snap.mean()),
		P50Us:    micros(snap.quantile(0.50)),
		P95Us:    micros(snap.quantile(0.95)),
		P99Us:    micros(snap.quantile(0.99)),
		P999Us:   micros(snap.quantile(0.999)),
		MaxUs:    micros(time.Duration(snap.max)),
	}
	if elapsed > 0 {
		sum.Throughput = float64(snap.total) / elapsed.Seconds()
	}
	s.mu.Lock()
	if len(s.kinds) > 0 {
		sum.ErrorKinds = maps.Clone(s.kinds)
	}
	s.mu.Unlock()
	return sum, true
}

// micros is d in microseconds, to a tenth.
func micros(d time.Duration) float64 {
	return float64(d.Nanoseconds()/100) / 10
}

// sortedKinds lists error kinds, most frequent first.
func sortedKinds(kinds map[string]uint64) []string {
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		if kinds[names[i]] != kinds[names[j]] {
			return kinds[names[i]] > kinds[names[j]]
		}
		return names[i] < names[j]
	})
	return names
}
