package sim

import (
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// TestSimulatedClusters runs seeded scenarios (run.go): by default 200 (20
// with -short, 30 under the race detector); QUORUMKV_SIM_SEEDS=n runs n,
// QUORUMKV_SIM_BASE=b starts at seed b, and QUORUMKV_SIM_SEED=s replays one
// (make simulate SEEDS=n, make simulate SEED=s).
func TestSimulatedClusters(t *testing.T) {
	seeds := seedList(t)
	// A run mostly waits (failure detection, timeouts), so many at once
	// keep 2 cores busy; under the race detector each costs several times
	// the CPU, and too many at once starve their own heartbeats.
	parallel := 16
	if raceEnabled {
		parallel = 3
	}
	par := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var acked, crashes, joins, departures, strictRuns, strictOps, strictUnknown, siblingReads, undecided int
	for _, seed := range seeds {
		par <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-par; wg.Done() }()
			rep, err := Run(seed, RunOptions{Writes: 30, Strict: 4, Settle: 20 * time.Second})
			if err != nil {
				t.Errorf("seed %d (%d nodes, %d joined, %d left, %d crashes, %d cuts, %d clock jumps, lww %v): %v\nreplay: make simulate SEED=%d", seed, rep.Nodes, rep.Joins, rep.Departures, rep.Crashes, rep.Cuts, rep.ClockJumps, rep.StrictLWW, err, seed)
				return
			}
			mu.Lock()
			acked += rep.Acked
			crashes += rep.Crashes
			joins += rep.Joins
			departures += rep.Departures
			if rep.StrictOps > 0 {
				strictRuns++
				strictOps += rep.StrictOps
				strictUnknown += rep.StrictUnknown
				siblingReads += rep.StrictSiblingReads
				if rep.StrictVerdict == porcupine.Unknown {
					undecided++
				}
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	t.Logf("%d seeded runs: %d acknowledged writes, all read back; %d node crashes; %d nodes joined and %d left during the faults",
		len(seeds), acked, crashes, joins, departures)
	t.Logf("%d strict-quorum histories checked: %d operations, %d writes of unknown outcome, %d reads with false conflicts; %d not decided in time",
		strictRuns, strictOps, strictUnknown, siblingReads, undecided)
}

func seedList(t *testing.T) []uint64 {
	if s := os.Getenv("QUORUMKV_SIM_SEED"); s != "" {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("QUORUMKV_SIM_SEED=%q: %v", s, err)
		}
		return []uint64{seed}
	}
	n := 200
	switch {
	case testing.Short():
		n = 20
	case raceEnabled:
		n = 30
	}
	if s := os.Getenv("QUORUMKV_SIM_SEEDS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			t.Fatalf("QUORUMKV_SIM_SEEDS=%q: %v", s, err)
		}
	}
	base := uint64(1)
	if s := os.Getenv("QUORUMKV_SIM_BASE"); s != "" {
		base, _ = strconv.ParseUint(s, 10, 64)
	}
	out := make([]uint64, n)
	for i := range out {
		out[i] = base + uint64(i)
	}
	return out
}
