package bench

import (
	"errors"
	"sync/atomic"
	"time"
)

// lateSlack is how far past its due time a request may be sent before it
// counts as late: more than timer jitter, less than any latency that
// matters.
const lateSlack = time.Millisecond

// errDropped is the outcome of an open-loop request that was not sent
// within the timeout of its due time (every worker busy, or the process
// starved of CPU, for that long): the answer would have come too late for
// its caller anyway.
var errDropped = errors.New("dropped: not sent within the timeout of its due time")

// OpenLoop is what the schedule of an open-loop phase did. Scheduled is
// every request that fell due; each was sent, on time or late, or
// dropped.
type OpenLoop struct {
	// TargetRate is the rate asked for, in operations per second.
	TargetRate float64 `json:"target_rate"`
	Scheduled  uint64  `json:"scheduled"`
	// Late were sent more than LateSlackUs after their due time, because
	// no worker was free or the process was short of CPU; their latency
	// includes the wait.
	Late        uint64  `json:"late"`
	LateSlackUs float64 `json:"late_slack_us"`
	// Dropped were never sent (errDropped); the run phase also counts
	// them as errors.
	Dropped uint64 `json:"dropped"`
	// Workers bounds the requests in flight.
	Workers int `json:"workers"`
}

// schedule hands out the due times of an open loop: request i is due at
// start + i/rate. Workers claim requests in order, so a slow answer
// delays no request while another worker is free, and when every worker
// is busy the next request is sent as soon as one frees, its latency
// still counted from its due time (no coordinated omission).
type schedule struct {
	start time.Time
	// perOp is the interval between due times, in nanoseconds.
	perOp float64
	// end is the first due time not to send (zero: no end).
	end time.Time
	// limit is the number of requests to schedule (0: no limit).
	limit uint64
	// maxLag is how late a request may be sent before it is dropped.
	maxLag time.Duration

	next               atomic.Uint64
	late, dropped, due atomic.Uint64
}

// claim returns the next request's due time, or false when the schedule
// is over.
func (s *schedule) claim() (time.Time, bool) {
	i := s.next.Add(1) - 1
	if s.limit > 0 && i >= s.limit {
		return time.Time{}, false
	}
	at := s.start.Add(time.Duration(float64(i) * s.perOp))
	if !s.end.IsZero() && !at.Before(s.end) {
		return time.Time{}, false
	}
	s.due.Add(1)
	return at, true
}

// waitUntil sleeps until at, or returns false when halt closes first.
func waitUntil(at time.Time, halt <-chan struct{}) bool {
	d := time.Until(at)
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-halt:
		return false
	}
}

// openLoop drives the run phase p at cfg.Rate with cfg.Concurrency
// workers, until the duration's last due time or the operation budget.
// An interrupt stops it at once; requests not yet sent then are not
// counted as due.
func (r *runner) openLoop(p *phase) PhaseResult {
	s := &schedule{perOp: 1e9 / r.cfg.Rate, maxLag: r.cfg.Timeout}
	if r.cfg.Ops > 0 {
		s.limit = uint64(r.cfg.Ops)
	}
	s.start = time.Now()
	if r.cfg.Duration > 0 {
		s.end = s.start.Add(r.cfg.Duration)
	}
	res := r.drive(p, 0, func(w *worker) bool {
		at, ok := s.claim()
		if !ok {
			return false
		}
		op := r.wl.next(w.rng)
		key := r.key(r.keys.next(w.rng))
		if !waitUntil(at, p.halt) {
			s.due.Add(^uint64(0))
			return false
		}
		lag := time.Since(at)
		switch {
		case lag > s.maxLag:
			s.dropped.Add(1)
			p.rec.record(op, 0, errDropped)
			return true
		case lag > lateSlack:
			s.late.Add(1)
		}
		err := r.do(op, key, w)
		p.rec.record(op, time.Since(at), err)
		return true
	})
	res.Open = &OpenLoop{TargetRate: r.cfg.Rate, Scheduled: s.due.Load(), Late: s.late.Load(),
		LateSlackUs: micros(lateSlack), Dropped: s.dropped.Load(), Workers: r.cfg.Concurrency}
	return res
}
