package bench

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestZipfianTopKeyFrequency(t *testing.T) {
	const n, draws = 1000, 400_000
	s := newScrambledZipfian(n, zipfianConstant)
	rng := rand.New(rand.NewPCG(1, 2))
	counts := make([]int, n)
	for range draws {
		k := s.next(rng)
		if k >= n {
			t.Fatalf("key %d out of range [0, %d)", k, n)
		}
		counts[k]++
	}
	// The most popular rank has probability 1/zeta(n, 0.99), about 13% for
	// 1000 keys, rank 1 about half that. Gray's method draws these two
	// exactly; beyond them it approximates (rank 2 comes out some 15% too
	// often, as in YCSB), which TestZipfianTail bounds in aggregate.
	for rank := uint64(0); rank < 2; rank++ {
		want := s.z.probability(rank)
		got := float64(counts[s.recordOf(rank)]) / draws
		if math.Abs(got-want) > 0.05*want {
			t.Errorf("rank %d (record %d): frequency %.4f, want %.4f +- 5%%", rank, s.recordOf(rank), got, want)
		}
	}
	top := s.z.probability(0)
	if top < 0.12 || top > 0.14 {
		t.Errorf("P(top key) = %.4f, want about 0.133 for 1000 keys at theta 0.99", top)
	}
	// The hottest record is the most frequent one.
	best := 0
	for k, c := range counts {
		if c > counts[best] {
			best = k
		}
	}
	if uint64(best) != s.recordOf(0) {
		t.Errorf("most drawn record %d, want rank 0's record %d", best, s.recordOf(0))
	}
}

func TestZipfianTail(t *testing.T) {
	// The share of the 10% most popular ranks matches the exact sum.
	const n, draws = 10_000, 200_000
	z := newZipfian(n, zipfianConstant)
	rng := rand.New(rand.NewPCG(3, 4))
	hot := 0
	for range draws {
		r := z.rank(rng.Float64())
		if r >= n {
			t.Fatalf("rank %d out of range", r)
		}
		if r < n/10 {
			hot++
		}
	}
	var want float64
	for k := uint64(0); k < n/10; k++ {
		want += z.probability(k)
	}
	if got := float64(hot) / draws; math.Abs(got-want) > 0.02 {
		t.Errorf("top 10%% of ranks drawn %.3f of the time, want %.3f", got, want)
	}
}

func TestScramblePermutes(t *testing.T) {
	for _, n := range []uint64{1, 2, 3, 10, 256, 1000, 1024, 9973} {
		s := newScrambledZipfian(n, zipfianConstant)
		seen := make([]bool, n)
		for rank := range n {
			k := s.recordOf(rank)
			if k >= n || seen[k] {
				t.Fatalf("n=%d: rank %d maps to %d (out of range or taken)", n, rank, k)
			}
			seen[k] = true
		}
		if n > 10 && s.recordOf(1) == 1 {
			t.Errorf("n=%d: ranks are not scrambled", n)
		}
	}
}

func TestZipfianEdgeDraws(t *testing.T) {
	z := newZipfian(100, zipfianConstant)
	if r := z.rank(0); r != 0 {
		t.Errorf("rank(0) = %d, want 0", r)
	}
	if r := z.rank(math.Nextafter(1, 0)); r != 99 {
		t.Errorf("rank(~1) = %d, want 99", r)
	}
	one := newZipfian(1, zipfianConstant)
	if r := one.rank(0.99); r != 0 {
		t.Errorf("n=1: rank = %d", r)
	}
}

func TestUniformInRange(t *testing.T) {
	u, err := newKeyChooser("uniform", 7)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	seen := map[uint64]bool{}
	for range 1000 {
		k := u.next(rng)
		if k >= 7 {
			t.Fatalf("key %d out of range", k)
		}
		seen[k] = true
	}
	if len(seen) != 7 {
		t.Errorf("drew %d distinct keys of 7", len(seen))
	}
	if _, err := newKeyChooser("pareto", 7); err == nil {
		t.Error("unknown distribution accepted")
	}
}
