package actors

import (
	"sync"
	"testing"
	"time"
)

// Every scheduled function runs, also while every worker is busy (none
// waits for a worker) and after stop.
func TestWarmDispatcherRunsEverything(t *testing.T) {
	d := newWarmDispatcher(2, 10)
	release := make(chan struct{})
	var wg sync.WaitGroup
	const n = 50
	wg.Add(n)
	for range n {
		d.Schedule(func() { <-release; wg.Done() })
	}
	// All 50 are blocked at once: had Schedule waited for a worker, the
	// loop above would never have ended with only 2 workers.
	close(release)
	waitGroup(t, &wg)
	d.stop()
	d.stop() // idempotent
	wg.Add(1)
	d.Schedule(wg.Done)
	waitGroup(t, &wg)
	if d.Throughput() != 10 {
		t.Fatalf("throughput %d", d.Throughput())
	}
}

func waitGroup(t *testing.T, wg *sync.WaitGroup) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("scheduled functions did not all run")
	}
}

// An idle worker takes the next function: the goroutine that runs it is
// one of the workers, not a new one.
func TestWarmDispatcherReusesWorkers(t *testing.T) {
	d := newWarmDispatcher(1, 10)
	defer d.stop()
	ran := make(chan struct{})
	// The worker may not be parked on the channel yet; retry until a
	// handoff lands on it (a new goroutine would also run fn, so count
	// handoffs by watching that the worker's loop took it).
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case d.work <- func() { close(ran) }:
			<-ran
			return
		default:
			time.Sleep(time.Millisecond)
		}
	}
	t.Fatal("the worker never took work")
}
