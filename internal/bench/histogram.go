package bench

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// The latency histogram is log-linear, like HdrHistogram with three
// significant digits: values below 2*subCount nanoseconds have a bucket
// each, and every power of two above that is cut into subCount buckets, so
// a recorded value is off by at most 1/subCount (0.1%): 1 ns below 2 µs,
// under 1 µs up to 1 ms, 1 ms at 1 s. Values from maxValue up land in the
// last bucket; the exact maximum is kept beside the buckets.
const (
	subBits  = 10
	subCount = 1 << subBits
	// maxBits bounds the recorded values to 2^40 ns, about 18 minutes.
	maxBits    = 40
	maxValue   = 1<<maxBits - 1
	numBuckets = (maxBits - subBits + 1) * subCount
)

// bucketOf is the index of the bucket holding v nanoseconds.
func bucketOf(v int64) int {
	if v < 0 {
		v = 0
	}
	if v > maxValue {
		v = maxValue
	}
	u := uint64(v)
	if u < 2*subCount {
		return int(u)
	}
	e := bits.Len64(u) - subBits - 1
	return e*subCount + int(u>>e)
}

// bucketRange is the smallest and largest value bucket b holds.
func bucketRange(b int) (lo, hi int64) {
	if b < 2*subCount {
		return int64(b), int64(b)
	}
	e := b/subCount - 1
	top := int64(b - e*subCount)
	return top << e, (top+1)<<e - 1
}

// histogram records latencies from many goroutines at once: every bucket
// is an atomic counter, so recording takes no lock, and a snapshot taken
// while others record is a consistent-enough view for a progress line.
type histogram struct {
	counts [numBuckets]atomic.Uint64
	total  atomic.Uint64
	sum    atomic.Int64
	max    atomic.Int64
}

func (h *histogram) record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	}
	h.counts[bucketOf(v)].Add(1)
	h.total.Add(1)
	h.sum.Add(v)
	for {
		m := h.max.Load()
		if v <= m || h.max.CompareAndSwap(m, v) {
			return
		}
	}
}

// snapshot copies the counts into a histSnapshot.
func (h *histogram) snapshot() *histSnapshot {
	s := &histSnapshot{counts: make([]uint64, numBuckets)}
	s.addFrom(h)
	return s
}

// histSnapshot is a point-in-time copy of one or more histograms.
type histSnapshot struct {
	counts []uint64
	total  uint64
	sum    int64
	max    int64
}

// addFrom adds h's current counts to s, merging histograms.
func (s *histSnapshot) addFrom(h *histogram) {
	var total uint64
	for i := range h.counts {
		c := h.counts[i].Load()
		s.counts[i] += c
		total += c
	}
	// Sum the buckets rather than read h.total, so that the percentiles
	// always agree with the count even while others record.
	s.total += total
	s.sum += h.sum.Load()
	s.max = max(s.max, h.max.Load())
}

// quantile returns the value at quantile q (0..1): the largest value of
// the bucket holding the ceil(q*total)-th smallest recorded value, capped
// by the exact maximum. An empty snapshot gives 0.
func (s *histSnapshot) quantile(q float64) time.Duration {
	if s.total == 0 {
		return 0
	}
	rank := uint64(q*float64(s.total) + 0.999999999)
	rank = min(max(rank, 1), s.total)
	var seen uint64
	for b, c := range s.counts {
		seen += c
		if seen >= rank {
			_, hi := bucketRange(b)
			return time.Duration(min(hi, s.max))
		}
	}
	return time.Duration(s.max)
}

// mean is the average recorded value.
func (s *histSnapshot) mean() time.Duration {
	if s.total == 0 {
		return 0
	}
	return time.Duration(s.sum / int64(s.total))
}

// countAtLeast is the number of recorded values of at least d, to the
// histogram's precision: a bucket counts when its smallest value is.
func (s *histSnapshot) countAtLeast(d time.Duration) uint64 {
	var n uint64
	for b, c := range s.counts {
		if lo, _ := bucketRange(b); lo >= int64(d) {
			n += c
		}
	}
	return n
}
