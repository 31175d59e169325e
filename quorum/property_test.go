package quorum

import (
	"flag"
	"math/rand/v2"
	"testing"
)

// replay runs one seed alone: go test -run TestPutInvariants -seed 123.
var replay = flag.Int("seed", -1, "run only this seed of the random runs")

var codeName = map[Code]string{Unavailable: "unavailable", Timeout: "timeout"}

// seeds are the random runs per coordinator kind. A run is a function of
// its seed alone, so a failure, which names its seed, replays exactly.
func seeds(t *testing.T) []int {
	switch {
	case *replay >= 0:
		return []int{*replay}
	case testing.Short():
		return seedRange(2000)
	}
	return seedRange(20000)
}

func seedRange(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// TestGetInvariants drives reads through random clusters, stored
// versions, failures, duplicates, strays and deadlines, and checks the
// package's invariants after every step.
func TestGetInvariants(t *testing.T) {
	seen := map[string]int{}
	for _, seed := range seeds(t) {
		rng := rand.New(rand.NewPCG(uint64(seed), 1))
		if err := runGet(rng, seen); err != nil {
			t.Fatalf("seed=%d: %v", seed, err)
		}
	}
	wantSeen(t, seen, "answer", "unavailable", "timeout", "write-back", "write-back unavailable",
		"repair", "uncounted", "ignored")
}

func TestPutInvariants(t *testing.T) {
	seen := map[string]int{}
	for _, seed := range seeds(t) {
		rng := rand.New(rand.NewPCG(uint64(seed), 2))
		if err := runPut(rng, seen); err != nil {
			t.Fatalf("seed=%d: %v", seed, err)
		}
	}
	wantSeen(t, seen, "answer", "unavailable", "timeout", "coordinate", "hint", "ignored")
}

// wantSeen fails unless the random runs took every path named: a change
// to the generator must not quietly stop testing one.
func wantSeen(t *testing.T, seen map[string]int, paths ...string) {
	t.Helper()
	if *replay >= 0 {
		return
	}
	for _, p := range paths {
		if seen[p] < 10 {
			t.Errorf("only %d runs took path %q", seen[p], p)
		}
	}
	t.Logf("paths taken: %v", seen)
}
