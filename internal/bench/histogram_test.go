package bench

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestBucketsCoverValues(t *testing.T) {
	prev := -1
	for _, v := range []int64{0, 1, 1023, 1024, 2047, 2048, 2049, 4095, 4096, 99_999, 1e6, 1e9, maxValue} {
		b := bucketOf(v)
		lo, hi := bucketRange(b)
		if v < lo || v > hi {
			t.Errorf("value %d in bucket %d = [%d, %d]", v, b, lo, hi)
		}
		if b < prev || b >= numBuckets {
			t.Errorf("bucket of %d = %d, out of order or range", v, b)
		}
		prev = b
		if v >= 2*subCount && float64(hi-lo+1)/float64(lo) > 1.0/subCount {
			t.Errorf("bucket of %d is %d wide: more than 1/%d of its value", v, hi-lo+1, subCount)
		}
	}
	if b := bucketOf(maxValue * 4); b != numBuckets-1 {
		t.Errorf("huge value in bucket %d, want the last", b)
	}
	if b := bucketOf(-5); b != 0 {
		t.Errorf("negative value in bucket %d", b)
	}
	// Buckets are contiguous: each starts right after the previous one.
	for b := 1; b < numBuckets; b++ {
		_, prevHi := bucketRange(b - 1)
		lo, _ := bucketRange(b)
		if lo != prevHi+1 {
			t.Fatalf("bucket %d starts at %d, previous ends at %d", b, lo, prevHi)
		}
	}
}

func TestQuantiles(t *testing.T) {
	var h histogram
	// 1 µs .. 10 ms in 1 µs steps: the q-quantile is q*10 ms.
	for us := 1; us <= 10_000; us++ {
		h.record(time.Duration(us) * time.Microsecond)
	}
	s := h.snapshot()
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 5 * time.Millisecond}, {0.95, 9500 * time.Microsecond}, {0.99, 9900 * time.Microsecond},
		{0.999, 9990 * time.Microsecond}, {1, 10 * time.Millisecond}} {
		got := s.quantile(c.q)
		if diff := got - c.want; diff < 0 || diff > c.want/subCount+1 {
			t.Errorf("p%v = %v, want %v (within 0.1%% above)", c.q*100, got, c.want)
		}
	}
	if s.total != 10_000 || s.max != int64(10*time.Millisecond) {
		t.Errorf("total %d max %d", s.total, s.max)
	}
	if m := s.mean(); m < 5000*time.Microsecond || m > 5001*time.Microsecond {
		t.Errorf("mean = %v, want 5.0005ms", m)
	}
	var empty histogram
	if q := empty.snapshot().quantile(0.99); q != 0 {
		t.Errorf("empty p99 = %v", q)
	}
}

func TestQuantileMicrosecondPrecision(t *testing.T) {
	// A single value reads back within 1 µs up to a millisecond.
	rng := rand.New(rand.NewPCG(9, 10))
	for range 1000 {
		v := time.Duration(rng.Int64N(int64(time.Millisecond)))
		var h histogram
		h.record(v)
		h.record(v + time.Hour) // so the max does not cap the answer
		got := h.snapshot().quantile(0.5)
		if got < v || got-v >= time.Microsecond {
			t.Fatalf("p50 of %v reads %v", v, got)
		}
	}
}

func TestRecorderSummaries(t *testing.T) {
	r := newRecorder()
	for i := range 100 {
		r.record(opRead, time.Duration(i+1)*time.Millisecond, nil)
	}
	r.record(opRead, time.Millisecond, errNotFound)
	r.record(opUpdate, time.Second, errTest("boom"))
	r.record(opUpdate, time.Second, errTest("boom"))
	sums := r.summaries(2 * time.Second)
	if len(sums) != 2 {
		t.Fatalf("summaries = %+v, want read and update", sums)
	}
	read, update := sums[0], sums[1]
	if read.Op != "read" || read.Count != 101 || read.NotFound != 1 || read.Throughput != 50.5 {
		t.Errorf("read = %+v", read)
	}
	if read.P50Us < 50_000 || read.P50Us > 50_100 || read.MaxUs != 100_000 {
		t.Errorf("read p50 %v max %v", read.P50Us, read.MaxUs)
	}
	if update.Count != 0 || update.Errors != 2 || update.ErrorKinds["boom"] != 2 {
		t.Errorf("update = %+v", update)
	}
	p := r.progress()
	if p.done != 103 || p.errors != 2 {
		t.Errorf("progress = %+v", p)
	}
}

type errTest string

func (e errTest) Error() string { return string(e) }
