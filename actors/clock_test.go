package actors

import (
	"sync"
	"testing"
)

// The clock's rules are tested in vclock; here, that the node's shared
// clock never hands two partition actors the same timestamp.
func TestHybridClockIsUniqueAcrossGoroutines(t *testing.T) {
	var h hybridClock
	const workers, each = 4, 1000
	stamps := make(chan int64, workers*each)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				stamps <- h.now()
			}
		}()
	}
	wg.Wait()
	close(stamps)
	seen := map[int64]bool{}
	for s := range stamps {
		if seen[s] {
			t.Fatalf("timestamp %d issued twice", s)
		}
		seen[s] = true
	}
}
