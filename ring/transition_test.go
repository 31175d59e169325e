package ring

import (
	"fmt"
	"slices"
	"testing"
)

func mustRing(t *testing.T, ids ...string) *Ring {
	t.Helper()
	ms := make([]Member, len(ids))
	for i, id := range ids {
		ms[i] = Member{ID: id, Weight: 1}
	}
	r, err := New(64, 16, ms)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A join: the gainer of every partition is the new node, only it; the
// partition moves once it is ready; extras are the gainer before and the
// displaced old owner after.
func TestTransitionJoin(t *testing.T) {
	cur := mustRing(t, "a", "b", "c", "d")
	next := mustRing(t, "a", "b", "c", "d", "e")
	tr := Transition{Cur: cur, Next: next}
	gained := 0
	for p := range cur.Partitions() {
		g := tr.Gainers(p, 3)
		if len(g) > 1 || (len(g) == 1 && g[0] != "e") {
			t.Fatalf("p%d: gainers %v, want at most [e]", p, g)
		}
		if len(g) != 0 != tr.Changing(p, 3) {
			t.Fatalf("p%d: Changing disagrees with gainers %v", p, g)
		}
		none := func(string, int) bool { return false }
		all := func(string, int) bool { return true }
		if len(g) == 0 {
			if !tr.Moved(p, 3, none) {
				t.Fatalf("p%d: nothing to move, yet not moved", p)
			}
			if x := tr.Extras(p, 3, cur.Replicas(p, 3)); len(x) != 0 {
				t.Fatalf("p%d: unchanged partition has extras %v", p, x)
			}
			continue
		}
		gained++
		if tr.Moved(p, 3, none) || !tr.Moved(p, 3, all) {
			t.Fatalf("p%d: Moved ignores readiness", p)
		}
		if x := tr.Extras(p, 3, cur.Replicas(p, 3)); !slices.Equal(x, []string{"e"}) {
			t.Fatalf("p%d: extras before the move %v, want [e]", p, x)
		}
		x := tr.Extras(p, 3, next.Replicas(p, 3))
		if len(x) != 1 || !slices.Contains(cur.Replicas(p, 3), x[0]) || slices.Contains(next.Replicas(p, 3), x[0]) {
			t.Fatalf("p%d: extras after the move %v, want the displaced old owner", p, x)
		}
	}
	if gained == 0 || gained == cur.Partitions() {
		t.Fatalf("e gains %d of %d partitions", gained, cur.Partitions())
	}
}

// A departure: gainers are old members only (nothing comes from nowhere),
// and only where the leaving node was a replica.
func TestTransitionLeave(t *testing.T) {
	cur := mustRing(t, "a", "b", "c", "d")
	next := mustRing(t, "a", "b", "c")
	tr := Transition{Cur: cur, Next: next}
	for p := range cur.Partitions() {
		had := slices.Contains(cur.Replicas(p, 2), "d")
		g := tr.Gainers(p, 2)
		if had != (len(g) == 1) || len(g) > 1 {
			t.Fatalf("p%d: d was a replica: %v; gainers %v", p, had, g)
		}
		if len(g) == 1 && g[0] == "d" {
			t.Fatalf("p%d: the leaving node gains", p)
		}
	}
}

func TestTransitionSameRing(t *testing.T) {
	r := mustRing(t, "a", "b")
	tr := Transition{Cur: r, Next: r}
	for p := range r.Partitions() {
		for n := 1; n <= 3; n++ {
			if g := tr.Gainers(p, n); len(g) != 0 || tr.Changing(p, n) {
				t.Fatal(fmt.Sprintf("p%d n%d: a ring moves against itself: %v", p, n, g))
			}
		}
	}
}
