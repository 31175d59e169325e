package merkle

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

type item struct {
	key    string
	digest uint64
}

func randomItems(r *rand.Rand, n int) []item {
	out := make([]item, n)
	for i := range out {
		out[i] = item{key: fmt.Sprintf("k%d-%d", i, r.IntN(1000)), digest: r.Uint64()}
	}
	return out
}

func build(items []item) Tree {
	var t Tree
	for _, it := range items {
		t.Add(it.key, it.digest)
	}
	return t
}

// The tree of a set does not depend on the order its items arrived in.
func TestTreeIsOrderIndependent(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		items := randomItems(r, r.IntN(300))
		a := build(items)
		r.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
		b := build(items)
		if a != b {
			t.Fatalf("round %d: trees of one set differ", round)
		}
	}
}

// Removing what was added gives back the empty tree, and Replace is a
// remove plus an add.
func TestRemoveAndReplace(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	items := randomItems(r, 500)
	tr := build(items)
	for _, it := range items {
		tr.Remove(it.key, it.digest)
	}
	if tr != (Tree{}) {
		t.Fatal("adding then removing every item did not give the empty tree")
	}
	a, b := build(items), build(items)
	a.Replace(items[7].key, items[7].digest, 42)
	b.Remove(items[7].key, items[7].digest)
	b.Add(items[7].key, 42)
	if a != b {
		t.Fatal("Replace differs from Remove plus Add")
	}
	c := build(items)
	c.Replace("x", 9, 9)
	if c != build(items) {
		t.Fatal("Replace with equal digests changed the tree")
	}
}

// A descent from the root through differing nodes finds exactly the leaves
// holding keys whose versions differ between two replicas: the comparison
// anti-entropy runs, checked against the set difference.
func TestDescentFindsExactlyTheDifferingLeaves(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for round := range 300 {
		items := randomItems(r, 1+r.IntN(400))
		other := map[string]uint64{}
		for _, it := range items {
			other[it.key] = it.digest
		}
		mine := map[string]uint64{}
		for k, d := range other {
			mine[k] = d
		}
		for range r.IntN(5) {
			it := items[r.IntN(len(items))]
			switch r.IntN(3) {
			case 0:
				delete(other, it.key)
			case 1:
				other[it.key] = r.Uint64()
			default:
				other[fmt.Sprintf("extra-%d", r.Uint64())] = r.Uint64()
			}
		}
		want := map[int]bool{}
		for k, d := range mine {
			if od, ok := other[k]; !ok || od != d {
				want[LeafOf(k)] = true
			}
		}
		for k := range other {
			if _, ok := mine[k]; !ok {
				want[LeafOf(k)] = true
			}
		}
		got := descend(fromMap(mine), fromMap(other))
		if len(got) != len(want) {
			t.Fatalf("round %d: descent found leaves %v, want %v", round, got, want)
		}
		for _, leaf := range got {
			if !want[leaf] {
				t.Fatalf("round %d: leaf %d reported but nothing differs there", round, leaf)
			}
		}
	}
}

func fromMap(m map[string]uint64) Tree {
	var t Tree
	for k, d := range m {
		t.Add(k, d)
	}
	return t
}

func descend(a, b Tree) []int {
	idx := []int{0}
	for level := LevelRoot; ; level++ {
		ha, _ := a.Hashes(level, idx)
		hb, _ := b.Hashes(level, idx)
		idx = Differ(idx, ha, hb)
		if len(idx) == 0 || level == LevelLeaf {
			return idx
		}
		idx = Children(level, idx)
	}
}

func TestHashesRejectsOutOfRange(t *testing.T) {
	var tr Tree
	if _, ok := tr.Hashes(LevelBranch, []int{Fanout}); ok {
		t.Fatal("branch index Fanout accepted")
	}
	if _, ok := tr.Hashes(3, []int{0}); ok {
		t.Fatal("level 3 accepted")
	}
	if h, ok := tr.Hashes(LevelLeaf, nil); !ok || len(h) != Leaves {
		t.Fatalf("all leaves: %d %v", len(h), ok)
	}
	if got := Children(LevelBranch, []int{2}); len(got) != Fanout || got[0] != 2*Fanout {
		t.Fatalf("children of branch 2: %v", got)
	}
	if got := Differ([]int{1, 2}, []uint64{1}, []uint64{1, 2}); len(got) != 2 {
		t.Fatalf("length mismatch must count as differing: %v", got)
	}
}

// Leaves spread keys evenly enough that one leaf holds about 1/Leaves of a
// partition's keys (a leaf's keys are what a divergence costs to list).
func TestLeavesSpreadKeys(t *testing.T) {
	counts := make([]int, Leaves)
	const n = Leaves * 200
	for i := range n {
		counts[LeafOf(fmt.Sprintf("user:%d", i))]++
	}
	for leaf, c := range counts {
		if c < 100 || c > 300 {
			t.Fatalf("leaf %d holds %d of %d keys (want about 200)", leaf, c, n)
		}
	}
}

func BenchmarkReplace(b *testing.B) {
	var tr Tree
	for i := 0; b.Loop(); i++ {
		tr.Replace("user:12345678", uint64(i), uint64(i+1))
	}
}
