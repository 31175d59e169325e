package members

import (
	"math"
	"time"
)

// Detector is a phi accrual failure detector for one peer (Hayashibara et
// al. 2004, in the form Cassandra and Akka use).
//
// It keeps a bounded window of heartbeat inter-arrival intervals and turns
// the silence since the last arrival into a suspicion level phi: -log10 of
// the probability, under a normal distribution fitted to the window, that a
// heartbeat still arrives this late. It never reads a clock: every method
// takes the current time.
//
// A Detector is not safe for concurrent use.
type Detector struct {
	cfg Config
	// ring holds the last cfg.WindowSize intervals; once full, next is
	// the slot the following interval overwrites.
	ring []time.Duration
	next int
	last time.Time // last arrival
	// mean and std are the window's statistics in nanoseconds, recomputed
	// on each arrival so that Phi, called far more often, is O(1).
	mean, std float64
}

// NewDetector returns a detector whose first arrival is at first. cfg is
// validated (zero fields take defaults); NewDetector panics if it is
// invalid, since that is a programming error.
func NewDetector(cfg Config, first time.Time) *Detector {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	d := &Detector{cfg: cfg, ring: make([]time.Duration, 0, cfg.WindowSize)}
	d.Reset(first)
	return d
}

// Reset forgets all history and records a first arrival at now. Used when a
// peer restarts (new incarnation): the old process's rhythm says nothing
// about the new one.
func (d *Detector) Reset(now time.Time) {
	d.ring = d.ring[:0]
	d.next = 0
	d.last = now
	d.mean, d.std = 0, 0
}

// Heartbeat records an arrival at now. An arrival earlier than the last one
// (out-of-order delivery of the caller's events) is ignored rather than
// recorded as a negative interval, which would corrupt the statistics.
func (d *Detector) Heartbeat(now time.Time) {
	gap := now.Sub(d.last)
	if gap < 0 {
		return
	}
	d.last = now
	if len(d.ring) < cap(d.ring) {
		d.ring = append(d.ring, gap)
	} else {
		d.ring[d.next] = gap
		d.next = (d.next + 1) % len(d.ring)
	}
	d.mean, d.std = meanStd(d.ring)
}

// meanStd returns the mean and population standard deviation of xs in
// nanoseconds. Two passes, because the one-pass sum-of-squares formula
// cancels catastrophically when the deviation is tiny next to the mean.
func meanStd(xs []time.Duration) (mean, std float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	for _, x := range xs {
		mean += float64(x)
	}
	mean /= float64(len(xs))
	var ss float64
	for _, x := range xs {
		dx := float64(x) - mean
		ss += dx * dx
	}
	return mean, math.Sqrt(ss / float64(len(xs)))
}

// LastArrival returns the time of the last recorded arrival (or of the
// creation/reset).
func (d *Detector) LastArrival() time.Time { return d.last }

// Samples returns how many intervals the window holds.
func (d *Detector) Samples() int { return len(d.ring) }

// Estimate returns the parameters of the normal distribution phi is
// computed from: the expected gap (observed mean plus AcceptablePause) and
// its standard deviation (observed, floored at MinStdDev). Until
// FirstIntervals intervals have been seen, the observed values are replaced
// by Interval and Interval/4, so that a peer that sends one heartbeat and
// dies is still convicted.
func (d *Detector) Estimate() (mean, stddev time.Duration) {
	m, s := d.estimate()
	return time.Duration(m), time.Duration(s)
}

func (d *Detector) estimate() (mean, std float64) {
	if len(d.ring) < d.cfg.FirstIntervals {
		mean, std = float64(d.cfg.Interval), float64(d.cfg.Interval/4)
	} else {
		mean, std = d.mean, d.std
	}
	return mean + float64(d.cfg.AcceptablePause), max(std, float64(d.cfg.MinStdDev))
}

// Phi returns the suspicion level at now. It is finite and never NaN for
// any input, is 0 or nearly so right after an arrival, and never decreases
// as now advances without arrivals.
func (d *Detector) Phi(now time.Time) float64 {
	mean, std := d.estimate()
	return phi(float64(now.Sub(d.last)), mean, std)
}

// phi is -log10(1 - CDF(elapsed)) for a normal distribution (mean, std),
// using the logistic approximation of the normal CDF that Akka uses:
// 1 - CDF ~= 1/(1 + e^z) with z = y(1.5976 + 0.070566 y^2), y the
// standardised elapsed time. Then phi = log10(1 + e^z) = softplus(z)/ln 10.
// Written as a softplus it cannot overflow, underflow to log(0) or lose
// precision in either tail, so phi is finite and monotonic in elapsed
// (z is strictly increasing in y, softplus in z). std must be > 0, which
// MinStdDev > 0 guarantees.
func phi(elapsed, mean, std float64) float64 {
	y := (elapsed - mean) / std
	z := y * (1.5976 + 0.070566*y*y)
	return softplus(z) / math.Ln10
}

// softplus(z) = ln(1 + e^z), computed without overflow for large z and
// without rounding to 0 for very negative z.
func softplus(z float64) float64 {
	return max(z, 0) + math.Log1p(math.Exp(-math.Abs(z)))
}

// Timeout returns how long after the last arrival phi reaches threshold,
// given the current window: the peer is down from LastArrival()+Timeout on
// unless a heartbeat arrives first. Useful to schedule the next check and
// to document detection times. It returns 0 if phi is already at threshold
// at zero elapsed time.
func (d *Detector) Timeout(threshold float64) time.Duration {
	mean, std := d.estimate()
	reached := func(e time.Duration) bool { return phi(float64(e), mean, std) >= threshold }
	if reached(0) {
		return 0
	}
	// Phi is monotonic, so bisect: grow hi until reached, then narrow
	// (lo never reached, hi reached) down to one nanosecond.
	lo, hi := time.Duration(0), time.Duration(mean+std)
	for !reached(hi) {
		if hi > math.MaxInt64/2 {
			return math.MaxInt64
		}
		lo, hi = hi, hi*2
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if reached(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}
