package members

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// epoch is the fake clock's origin; any fixed instant would do.
var epoch = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// Bounds on the detection time with defaults that doc.go states
// ("about 1.27s after the last heartbeat").
const (
	detectMin = 1200 * time.Millisecond
	detectMax = 1350 * time.Millisecond
)

// feed records n arrivals after now, gap(i) apart, and returns the last.
func feed(d *Detector, now time.Time, n int, gap func(i int) time.Duration) time.Time {
	for i := range n {
		now = now.Add(gap(i))
		d.Heartbeat(now)
	}
	return now
}

// smallJitter is 250ms +-3ms, deterministic.
func smallJitter(i int) time.Duration {
	return DefaultInterval + time.Duration(i%7-3)*time.Millisecond
}

// crossing steps a fake clock from last in 1ms steps and returns the first
// elapsed time at which phi >= threshold, checking on the way that phi is
// finite and never decreases.
func crossing(t *testing.T, d *Detector, last time.Time, threshold float64) time.Duration {
	t.Helper()
	prev := -1.0
	for e := time.Duration(0); e <= time.Minute; e += time.Millisecond {
		p := d.Phi(last.Add(e))
		if math.IsNaN(p) || math.IsInf(p, 0) || p < 0 {
			t.Fatalf("phi(%v) = %v", e, p)
		}
		if p < prev {
			t.Fatalf("phi decreased at %v: %v < %v", e, p, prev)
		}
		prev = p
		if p >= threshold {
			return e
		}
	}
	t.Fatalf("phi never reached %v", threshold)
	return 0
}

func TestSteadyArrivalsKeepPhiLow(t *testing.T) {
	d := NewDetector(Config{}, epoch)
	now := epoch
	for i := range 500 {
		now = now.Add(smallJitter(i))
		// Just before each arrival, an interval after the previous one.
		if p := d.Phi(now); p > 0.01 {
			t.Fatalf("arrival %d: phi %v before an on-time heartbeat", i, p)
		}
		d.Heartbeat(now)
		if p := d.Phi(now); p > 1e-6 {
			t.Fatalf("arrival %d: phi %v right after a heartbeat", i, p)
		}
	}
	if d.Samples() != DefaultWindowSize {
		t.Fatalf("window holds %d samples, want %d", d.Samples(), DefaultWindowSize)
	}
}

func TestCrossingWithDefaults(t *testing.T) {
	d := NewDetector(Config{}, epoch)
	last := feed(d, epoch, 200, smallJitter)
	mean, std := d.Estimate()
	if mean < 745*time.Millisecond || mean > 755*time.Millisecond || std != DefaultMinStdDev {
		t.Fatalf("estimate = (%v, %v), want about (750ms, 100ms)", mean, std)
	}
	got := crossing(t, d, last, DefaultPhiThreshold)
	t.Logf("phi crosses %v at %v after the last heartbeat (Timeout: %v)", DefaultPhiThreshold, got, d.Timeout(DefaultPhiThreshold))
	if got < detectMin || got > detectMax {
		t.Fatalf("crossing at %v, documented range [%v, %v]", got, detectMin, detectMax)
	}
	// Never before mean + pause: there phi is log10(2).
	if got <= mean {
		t.Fatalf("crossing at %v, before mean+pause %v", got, mean)
	}
	if p := d.Phi(last.Add(mean)); math.Abs(p-math.Log10(2)) > 1e-9 {
		t.Fatalf("phi(mean+pause) = %v, want log10(2)", p)
	}
	if to := d.Timeout(DefaultPhiThreshold); to > got || got-to >= time.Millisecond {
		t.Fatalf("Timeout %v disagrees with stepped crossing %v", to, got)
	}
}

func TestBootstrapIsDetected(t *testing.T) {
	// One arrival only: the peer said hello and died.
	d := NewDetector(Config{}, epoch)
	mean, std := d.Estimate()
	if mean != DefaultInterval+DefaultAcceptablePause || std != DefaultMinStdDev {
		t.Fatalf("bootstrap estimate = (%v, %v)", mean, std)
	}
	got := crossing(t, d, epoch, DefaultPhiThreshold)
	if got < detectMin || got > detectMax {
		t.Fatalf("bootstrap crossing at %v, want [%v, %v]", got, detectMin, detectMax)
	}
	// With a large interval, Interval/4 exceeds MinStdDev and is used.
	d = NewDetector(Config{Interval: 2 * time.Second}, epoch)
	if _, std := d.Estimate(); std != 500*time.Millisecond {
		t.Fatalf("bootstrap stddev = %v, want Interval/4", std)
	}
	// The window is trusted from FirstIntervals samples on.
	d = NewDetector(Config{}, epoch)
	last := feed(d, epoch, DefaultFirstIntervals-1, func(int) time.Duration { return time.Second })
	if m, _ := d.Estimate(); m != DefaultInterval+DefaultAcceptablePause {
		t.Fatalf("estimate with %d samples = %v, want bootstrap", d.Samples(), m)
	}
	d.Heartbeat(last.Add(time.Second))
	if m, _ := d.Estimate(); m != time.Second+DefaultAcceptablePause {
		t.Fatalf("estimate with %d samples = %v, want observed", d.Samples(), m)
	}
}

func TestPhiMonotonicAndFinite(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 20 {
		d := NewDetector(Config{}, epoch)
		last := feed(d, epoch, trial*7, func(int) time.Duration {
			return time.Duration(rng.Int64N(int64(time.Second)))
		})
		prev := 0.0
		for e := -time.Hour; e < 24*time.Hour; e += e/3 + 7*time.Millisecond + time.Duration(max(-e, 0))/2 {
			p := d.Phi(last.Add(e))
			if math.IsNaN(p) || math.IsInf(p, 0) || p < prev {
				t.Fatalf("trial %d: phi(%v) = %v after %v", trial, e, p, prev)
			}
			prev = p
		}
	}
	// The extremes of time.Duration stay finite too.
	for _, e := range []float64{math.MinInt64, -1e18, 0, 1e18, math.MaxInt64} {
		if p := phi(e, 750e6, 1); math.IsNaN(p) || math.IsInf(p, 0) || p < 0 {
			t.Fatalf("phi(%v) = %v", e, p)
		}
	}
}

func TestJitterRaisesCrossing(t *testing.T) {
	steady := NewDetector(Config{}, epoch)
	feed(steady, epoch, 200, smallJitter)
	jittery := NewDetector(Config{}, epoch)
	// Same 250ms mean, stddev 200ms.
	last := feed(jittery, epoch, 200, func(i int) time.Duration {
		return time.Duration(50+400*(i%2)) * time.Millisecond
	})
	a, b := steady.Timeout(DefaultPhiThreshold), crossing(t, jittery, last, DefaultPhiThreshold)
	t.Logf("steady %v, jittery %v", a, b)
	if b < a+400*time.Millisecond {
		t.Fatalf("jittery crossing %v not well above steady %v", b, a)
	}
	if b < 1700*time.Millisecond || b > 1900*time.Millisecond {
		t.Fatalf("jittery crossing %v, doc.go says about 1.8s", b)
	}
}

func TestResetForgetsHistory(t *testing.T) {
	d := NewDetector(Config{}, epoch)
	last := feed(d, epoch, 50, func(int) time.Duration { return 3 * time.Second })
	slow := d.Timeout(DefaultPhiThreshold)
	restart := last.Add(10 * time.Second)
	if d.Phi(restart) < DefaultPhiThreshold {
		t.Fatal("peer should be suspected after 10s of silence")
	}
	d.Reset(restart)
	if d.Samples() != 0 || !d.LastArrival().Equal(restart) || d.Phi(restart) > 1e-6 {
		t.Fatalf("after reset: samples %d, last %v, phi %v", d.Samples(), d.LastArrival(), d.Phi(restart))
	}
	if got := d.Timeout(DefaultPhiThreshold); got >= slow || got < detectMin || got > detectMax {
		t.Fatalf("after reset the timeout is %v (was %v), want the bootstrap one", got, slow)
	}
}

func TestOutOfOrderArrivalIgnored(t *testing.T) {
	d := NewDetector(Config{}, epoch)
	last := feed(d, epoch, 10, smallJitter)
	n := d.Samples()
	d.Heartbeat(last.Add(-time.Second))
	if d.Samples() != n || !d.LastArrival().Equal(last) {
		t.Fatalf("an arrival in the past was recorded")
	}
}

func TestWindowSlides(t *testing.T) {
	d := NewDetector(Config{WindowSize: 10}, epoch)
	last := feed(d, epoch, 10, func(int) time.Duration { return 2 * time.Second })
	feed(d, last, 10, func(int) time.Duration { return 200 * time.Millisecond })
	if m, _ := d.Estimate(); m != 200*time.Millisecond+DefaultAcceptablePause {
		t.Fatalf("mean %v still remembers intervals pushed out of the window", m)
	}
	if d.Samples() != 10 {
		t.Fatalf("window holds %d samples, want 10", d.Samples())
	}
}
