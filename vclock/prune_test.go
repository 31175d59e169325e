package vclock

import (
	"slices"
	"testing"
)

func TestPruneTable(t *testing.T) {
	ctx := VV{{"a", 1, 30}, {"b", 4, 10}, {"c", 2, 10}, {"d", 1, 20}, {"e", 9, 40}}
	sib := func(n string, c uint64) Sibling { return Sibling{Dot: Dot{n, c}} }
	for _, tc := range []struct {
		name  string
		sibs  []Sibling
		max   int
		keep  []string
		nodes string
	}{
		{"no limit", nil, 0, nil, "abcde"},
		{"negative limit", nil, -1, nil, "abcde"},
		{"under the limit", nil, 5, nil, "abcde"},
		{"oldest first, ties by node", nil, 3, nil, "ade"},
		{"down to one", nil, 1, nil, "e"},
		{"sibling nodes are protected", []Sibling{sib("b", 4)}, 3, nil, "abe"},
		{"protected beyond the limit", []Sibling{sib("b", 4), sib("c", 2), sib("d", 1)}, 2, nil, "bcd"},
		{"kept node is protected", nil, 2, []string{"b"}, "be"},
		{"everything protected", []Sibling{sib("a", 1)}, 1, []string{"b", "c", "d", "e"}, "abcde"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Record{Siblings: tc.sibs, Context: ctx}
			p := PruneKeep(r, tc.max, tc.keep...)
			var nodes string
			for _, e := range p.Context {
				nodes += e.Node
				if i, _ := ctx.find(e.Node); ctx[i] != e {
					t.Errorf("entry %v changed", e)
				}
			}
			if nodes != tc.nodes {
				t.Errorf("kept %q, want %q", nodes, tc.nodes)
			}
			if len(tc.keep) == 0 && !identical(p, Prune(r, tc.max)) {
				t.Error("Prune differs from PruneKeep with no keep")
			}
			if !slices.Equal(ctx, VV{{"a", 1, 30}, {"b", 4, 10}, {"c", 2, 10}, {"d", 1, 20}, {"e", 9, 40}}) {
				t.Fatal("Prune modified its input")
			}
		})
	}
}

// On reachable records: pruning keeps the record valid, protects every
// sibling's node, meets the limit when it can, and never makes a later Sync
// lose a sibling that the unpruned record would have kept.
func TestPruneProperties(t *testing.T) {
	for seed := range uint64(seeds) {
		s := reachable(t, seed, 120)
		for range 40 {
			a, b := s.anyRecord(), s.anyRecord()
			limit := 1 + s.rng.IntN(4)
			p := Prune(a, limit)
			if err := p.Validate(); err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			protected := 0
			for _, e := range a.Context {
				if hasDotFrom(a.Siblings, e.Node) {
					protected++
					if p.Context.Get(e.Node) != e.Counter {
						t.Fatalf("seed %d: dropped live node %s", seed, e.Node)
					}
				}
			}
			if want := min(len(a.Context), max(limit, protected)); len(p.Context) != want {
				t.Fatalf("seed %d: %d entries after Prune(%d), want %d", seed, len(p.Context), limit, want)
			}
			if !a.Context.Descends(p.Context) || !slices.Equal(dots(p), dots(a)) {
				t.Fatalf("seed %d: Prune changed more than the context", seed)
			}
			full, pruned := dots(Sync(a, b)), dots(Sync(p, b))
			for _, d := range full {
				if !slices.Contains(pruned, d) {
					t.Fatalf("seed %d: pruning lost sibling %v in Sync", seed, d)
				}
			}
		}
	}
}

// The hazard doc.go describes, pinned down: a node that prunes its own entry
// reuses a dot, and a replica still remembering the old one drops the new
// write. PruneKeep with the node itself avoids it.
func TestPruneOwnEntryReusesDots(t *testing.T) {
	build := func() (a, stale Record) {
		a = Update(Record{}, nil, Sibling{Value: []byte("old")}, "A", 1)
		a = Update(a, a.Context, Sibling{Value: []byte("b")}, "B", 2) // supersedes A:1
		return a, a                                                   // stale remembers A:1
	}
	a, stale := build()
	a = Prune(a, 1) // A has no sibling, so its entry is the one to go
	a = Update(a, nil, Sibling{Value: []byte("new")}, "A", 3)
	if got := sibsString(Sync(a, stale)); got != "B:1=b" {
		t.Fatalf("expected the documented loss of the reused dot A:1, got %s", got)
	}
	a, stale = build()
	a = PruneKeep(a, 1, "A")
	a = Update(a, nil, Sibling{Value: []byte("new")}, "A", 3)
	if got := sibsString(Sync(a, stale)); got != "A:2=new,B:1=b" {
		t.Fatalf("PruneKeep(self) should keep the new write: %s", got)
	}
}
