package bench

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// stallTarget answers at once, except that the call numbered stallAt
// starts a stall: it and every call arriving during the next stallFor
// wait until the stall ends. It stands for a server pausing (a GC, a
// flush); TestEchoOpenLoop runs the same loop against a real server.
type stallTarget struct {
	stallAt  int64
	stallFor time.Duration

	calls atomic.Int64
	mu    sync.Mutex
	until time.Time // end of the stall; zero before it starts
}

func (s *stallTarget) wait() {
	n := s.calls.Add(1)
	s.mu.Lock()
	if n == s.stallAt {
		s.until = time.Now().Add(s.stallFor)
	}
	d := time.Until(s.until)
	s.mu.Unlock()
	if d > 0 {
		time.Sleep(d)
	}
}

func (s *stallTarget) Put(context.Context, string, []byte) error { s.wait(); return nil }
func (s *stallTarget) Get(context.Context, string) error         { s.wait(); return nil }
func (s *stallTarget) Close()                                    {}

// openRun runs a read-only run phase against tgt and returns it with its
// read latencies.
func openRun(t *testing.T, tgt target, cfg *Config) (PhaseResult, *histSnapshot) {
	t.Helper()
	cfg.Target, cfg.Servers, cfg.Workload, cfg.Distribution = "echo", []string{"nats://unused"}, "c", "uniform"
	cfg.Records, cfg.N, cfg.Namespace, cfg.Mode = 100, 3, "bench", "lww"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	wl, _ := parseWorkload(cfg.Workload)
	keys, _ := newKeyChooser(cfg.Distribution, cfg.Records)
	r := &runner{cfg: cfg, wl: wl, tgt: tgt, keys: keys}
	p := r.newRunPhase()
	res := r.runPhase(p)
	return res, p.rec.ops[opRead].hist.snapshot()
}

// TestOpenLoopStallShowsAsLatency: at 200 requests/s, a 100 ms stall
// holds up about 20 requests due during it. Measured from their due
// times, they took from about 100 ms down to nothing; a closed loop would
// have shown one slow request. The bounds leave room for a busy machine:
// about 14 of them are due more than 30 ms before the stall ends.
func TestOpenLoopStallShowsAsLatency(t *testing.T) {
	for _, workers := range []int{64, 2} {
		tgt := &stallTarget{stallAt: 40, stallFor: 100 * time.Millisecond}
		res, reads := openRun(t, tgt, &Config{Rate: 200, Duration: time.Second, Concurrency: workers, Timeout: 5 * time.Second})
		slow := reads.countAtLeast(30 * time.Millisecond)
		t.Logf("%d workers: %d due, %d late, %d dropped, %d reads >= 30ms, max %v",
			workers, res.Open.Scheduled, res.Open.Late, res.Open.Dropped, slow, time.Duration(reads.max))
		if slow < 8 {
			t.Errorf("%d workers: %d reads took 30 ms or more from their due time, want about 14", workers, slow)
		}
		if reads.max < int64(90*time.Millisecond) {
			t.Errorf("%d workers: slowest read %v, want the stall's 100 ms", workers, time.Duration(reads.max))
		}
		if res.Open == nil || res.Open.TargetRate != 200 || res.Open.Dropped != 0 || res.Open.Workers != workers {
			t.Errorf("%d workers: open loop = %+v", workers, res.Open)
		}
		if res.Open.Scheduled < 150 || res.Open.Scheduled > 200 || reads.total != res.Open.Scheduled {
			t.Errorf("%d workers: %d due, %d answered, want 200 due in 1 s, all answered", workers, res.Open.Scheduled, reads.total)
		}
		// Two workers are both held by the stall, so the requests due
		// during it wait for a worker: they are late, and still timed
		// from their due time.
		if workers == 2 && res.Open.Late < 5 {
			t.Errorf("2 workers: %d late, want the ones due during the stall", res.Open.Late)
		}
	}
}

// TestOpenLoopDropsPastTheTimeout: one worker held 300 ms by a stall
// cannot send the requests due during it; those more than the 50 ms
// timeout past due are dropped and counted as errors, not sent late.
func TestOpenLoopDropsPastTheTimeout(t *testing.T) {
	tgt := &stallTarget{stallAt: 20, stallFor: 300 * time.Millisecond}
	res, _ := openRun(t, tgt, &Config{Rate: 200, Duration: time.Second, Concurrency: 1, Timeout: 50 * time.Millisecond})
	o := res.Open
	t.Logf("open loop = %+v", o)
	// About 50 requests fall due during the stall; all but the last 10
	// are more than 50 ms late when the worker frees.
	if o.Dropped < 20 {
		t.Errorf("%d dropped, want about 50", o.Dropped)
	}
	s, ok := func() (OpSummary, bool) {
		for _, s := range res.Ops {
			if s.Op == "read" {
				return s, true
			}
		}
		return OpSummary{}, false
	}()
	if !ok || s.Errors != o.Dropped || s.ErrorKinds[errorKind(errDropped)] != o.Dropped || s.Count+s.Errors != o.Scheduled {
		t.Errorf("read summary = %+v, want the %d dropped as errors", s, o.Dropped)
	}
}

// TestOpenLoopOps: with an operation budget the schedule ends after that
// many requests, however long the duration.
func TestOpenLoopOps(t *testing.T) {
	res, reads := openRun(t, &stallTarget{}, &Config{Rate: 1000, Ops: 50, Concurrency: 4, Timeout: time.Second})
	if res.Open.Scheduled != 50 || reads.total != 50 {
		t.Errorf("%d due, %d answered, want 50", res.Open.Scheduled, reads.total)
	}
}

// TestOpenLoopInterrupt: an interrupt ends the phase at once; requests
// not yet due are not counted.
func TestOpenLoopInterrupt(t *testing.T) {
	cfg := &Config{Target: "echo", Servers: []string{"nats://unused"}, Workload: "c", Distribution: "uniform",
		Records: 10, N: 3, Namespace: "bench", Mode: "lww", Rate: 10, Duration: time.Hour, Concurrency: 4, Timeout: time.Second}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	interrupt := make(chan struct{})
	wl, _ := parseWorkload("c")
	keys, _ := newKeyChooser("uniform", 10)
	r := &runner{cfg: cfg, wl: wl, tgt: &stallTarget{}, keys: keys, interrupt: interrupt}
	done := make(chan PhaseResult)
	go func() { done <- r.run() }()
	close(interrupt)
	select {
	case res := <-done:
		if res.Open.Scheduled > 20 {
			t.Errorf("%d due after an immediate interrupt", res.Open.Scheduled)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the open loop did not stop on interrupt")
	}
}
