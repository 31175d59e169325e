package ring

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

var measure = flag.Bool("ring.measure", false, "run TestMeasureBalance's slow sweep over tokens-per-weight values")

// withZones assigns zone-(i%k) to the i-th member.
func withZones(ms []Member, k int) []Member {
	out := slices.Clone(ms)
	for i := range out {
		out[i].Zone = fmt.Sprintf("zone-%d", i%k)
	}
	return out
}

// TestJoinMovesOnlyToNewNode adds node-n to node-0..node-(n-1).
//
// Primary ownership: every partition whose primary changed must now have the
// new node as primary, and the moved fraction must be within [0.4, 1.6] x
// 1/(n+1). Measured with the default 256 tokens per weight, the moved
// fraction times (n+1) ranges over 0.90..1.17 (q=256) and 0.92..1.17
// (q=1024); run with -v to see each case.
//
// Replica sets (N=3): every partition whose set changed contains the new
// node, so nothing moves between old nodes. This holds exactly, with and
// without zones: the new node's tokens only insert it into each walk (old
// nodes keep their relative order), and in the zones-first order the new
// node displaces at most the entries at or after its own position.
func TestJoinMovesOnlyToNewNode(t *testing.T) {
	for _, q := range []int{256, 1024} {
		for n := 1; n <= 9; n++ {
			for _, zones := range []int{1, 3} {
				all := withZones(nodes(n+1), zones)
				before := mustNew(t, q, DefaultTokensPerWeight, all[:n])
				after := mustNew(t, q, DefaultTokensPerWeight, all)
				newID := all[n].ID
				moved := checkMovesOnlyInvolve(t, before, after, newID, 1)
				changed3 := checkMovesOnlyInvolve(t, before, after, newID, 3)
				scaled := float64(moved) / float64(q) * float64(n+1)
				t.Logf("q=%4d n=%d zones=%d: primary moved %4d/%d = %.3f x 1/(n+1); N=3 sets changed %4d", q, n, zones, moved, q, scaled, changed3)
				if scaled < 0.4 || scaled > 1.6 {
					t.Errorf("q=%d n=%d: moved fraction %.3f x 1/(n+1), want within [0.4, 1.6]", q, n, scaled)
				}
			}
		}
	}
}

// checkMovesOnlyInvolve checks that every partition whose first-k set differs
// between a and b has node in the set of the ring that has node (b for a
// join, a for a leave). It returns the number of changed partitions.
func checkMovesOnlyInvolve(t *testing.T, a, b *Ring, node string, k int) int {
	t.Helper()
	changed := 0
	for p := range a.Partitions() {
		ra := slices.Sorted(slices.Values(a.Replicas(p, k)))
		rb := slices.Sorted(slices.Values(b.Replicas(p, k)))
		if slices.Equal(ra, rb) {
			continue
		}
		changed++
		if !slices.Contains(ra, node) && !slices.Contains(rb, node) {
			t.Fatalf("p=%d k=%d: set changed %q -> %q without involving %s", p, k, ra, rb, node)
		}
	}
	return changed
}

// TestLeaveMovesOnlyRemovedNodesPartitions removes each node in turn: only
// partitions the removed node owned (as primary, or in its N=3 set) change,
// and with zones too.
func TestLeaveMovesOnlyRemovedNodesPartitions(t *testing.T) {
	for _, zones := range []int{1, 3} {
		all := withZones(nodes(8), zones)
		full := mustNew(t, 1024, DefaultTokensPerWeight, all)
		for i, gone := range all {
			rest := slices.Delete(slices.Clone(all), i, i+1)
			after := mustNew(t, 1024, DefaultTokensPerWeight, rest)
			for _, k := range []int{1, 3} {
				checkMovesOnlyInvolve(t, full, after, gone.ID, k)
			}
			if got, want := len(after.OwnedPartitions(gone.ID, 3)), 0; got != want {
				t.Errorf("removed node still owns %d partitions", got)
			}
		}
	}
}

// TestRandomJoinsAndLeaves repeats the minimal-movement check for random
// member sets, weights and zones, for both join and leave of a random node.
func TestRandomJoinsAndLeaves(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for range 60 {
		ms := randomMembers(rng, 10, 3)
		if len(ms) < 2 {
			continue
		}
		q, tpw := 1<<(4+rng.IntN(7)), 1+rng.IntN(64)
		i := rng.IntN(len(ms))
		with := mustNew(t, q, tpw, ms)
		without := mustNew(t, q, tpw, slices.Delete(slices.Clone(ms), i, i+1))
		for _, k := range []int{1, 2, 3, 5} {
			checkMovesOnlyInvolve(t, without, with, ms[i].ID, k)
		}
	}
}

// primaryShares returns each member's fraction of primary partitions, in
// Members() order, and its fair share weight/sum.
func primaryShares(r *Ring) (got, fair []float64) {
	ms := r.Members()
	total := 0
	for _, m := range ms {
		total += m.Weight
	}
	for _, m := range ms {
		got = append(got, float64(len(r.OwnedPartitions(m.ID, 1)))/float64(r.Partitions()))
		fair = append(fair, float64(m.Weight)/float64(total))
	}
	return got, fair
}

// TestWeightsProportional: weights 1,2,3,4 at q=4096 with the default tokens
// per weight. Tolerance: each node's primary share within ±25% (relative) of
// weight/10. Measured: relative errors +10.8%, +1.7%, -0.1%, -3.4%.
func TestWeightsProportional(t *testing.T) {
	ms := []Member{{ID: "w1", Weight: 1}, {ID: "w2", Weight: 2}, {ID: "w3", Weight: 3}, {ID: "w4", Weight: 4}}
	r := mustNew(t, 4096, DefaultTokensPerWeight, ms)
	got, fair := primaryShares(r)
	for i, m := range r.Members() {
		rel := got[i]/fair[i] - 1
		t.Logf("%s weight %d: share %.4f, fair %.4f, relative error %+.1f%%", m.ID, m.Weight, got[i], fair[i], 100*rel)
		if math.Abs(rel) > 0.25 {
			t.Errorf("%s: share %.4f is %+.1f%% from fair %.4f, tolerance ±25%%", m.ID, got[i], 100*rel, fair[i])
		}
	}
	// Replica load (N=3) should also grow with weight, though not linearly:
	// a node can hold at most one replica per partition.
	prev := 0
	for _, m := range r.Members() {
		owned := len(r.OwnedPartitions(m.ID, 3))
		if owned <= prev {
			t.Errorf("%s (weight %d) holds %d replicas, not more than the lighter node's %d", m.ID, m.Weight, owned, prev)
		}
		prev = owned
	}
}

// TestMeasureBalance prints the balance table quoted at DefaultTokensPerWeight.
// It is slow-ish, so it only runs with -args -ring.measure.
func TestMeasureBalance(t *testing.T) {
	if !*measure {
		t.Skip("pass -args -ring.measure to run")
	}
	for _, tpw := range []int{16, 32, 64, 128, 256, 512} {
		rng := rand.New(rand.NewPCG(15, 16))
		sumAbs, worst, count := 0.0, 0.0, 0
		for range 200 {
			n := 4 + rng.IntN(9)
			ms := make([]Member, n)
			for i := range ms {
				ms[i] = Member{ID: fmt.Sprintf("host-%x", rng.Uint64()), Weight: 1 + rng.IntN(4)}
			}
			got, fair := primaryShares(mustNew(t, 4096, tpw, ms))
			for i := range got {
				rel := math.Abs(got[i]/fair[i] - 1)
				sumAbs, worst, count = sumAbs+rel, max(worst, rel), count+1
			}
		}
		t.Logf("tokens/weight %4d: mean |rel err| %5.1f%%  worst %5.1f%%", tpw, 100*sumAbs/float64(count), 100*worst)
	}
}
