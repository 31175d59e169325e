package ring

import (
	"slices"
	"testing"
)

func zonesOf(r *Ring, ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		m, _ := r.Member(id)
		out[i] = m.Zone
	}
	return out
}

func distinctCount(xs []string) int {
	return len(slices.Compact(slices.Sorted(slices.Values(xs))))
}

// With equal-sized zones every round contains one node per zone, so each
// consecutive block of len(zones) entries covers all zones, not only the
// first (the fallbacks after a whole zone fails are spread too).
func TestZonesEqualSized(t *testing.T) {
	for _, q := range []int{1, 64, 1024} {
		r := mustNew(t, q, DefaultTokensPerWeight, zoned(3, 4))
		for p := range q {
			z := zonesOf(r, r.PreferenceList(p))
			for i := 0; i < len(z); i += 3 {
				if distinctCount(z[i:i+3]) != 3 {
					t.Fatalf("q=%d p=%d: entries %d..%d in zones %q, want 3 distinct", q, p, i, i+2, z)
				}
			}
		}
	}
}

func TestZonesTwoZonesThreeReplicas(t *testing.T) {
	for _, ms := range [][]Member{zoned(2, 3), zoned(2, 1), append(zoned(1, 4), Member{ID: "lonely", Zone: "other", Weight: 1})} {
		r := mustNew(t, 512, DefaultTokensPerWeight, ms)
		for p := range r.Partitions() {
			z := zonesOf(r, r.Replicas(p, 3))
			if distinctCount(z[:2]) != 2 {
				t.Fatalf("members %v p=%d: replicas %q zones %q; first two must cover both zones", ms, p, r.Replicas(p, 3), z)
			}
		}
	}
}

// TestZonesUneven uses zones of 1, 2 and 5 nodes: round one covers all three
// zones, round two the two zones with nodes left, then the big zone alone.
func TestZonesUneven(t *testing.T) {
	var ms []Member
	for i, zone := range []string{"a", "b", "b", "c", "c", "c", "c", "c"} {
		ms = append(ms, Member{ID: string(rune('p' + i)), Zone: zone, Weight: 1 + i%3})
	}
	r := mustNew(t, 1024, DefaultTokensPerWeight, ms)
	for p := range r.Partitions() {
		z := zonesOf(r, r.PreferenceList(p))
		if distinctCount(z[:3]) != 3 || !slices.Equal(slices.Sorted(slices.Values(z[3:5])), []string{"b", "c"}) {
			t.Fatalf("p=%d: zones %q, want 3 distinct then {b, c}", p, z)
		}
		for _, zz := range z[5:] {
			if zz != "c" {
				t.Fatalf("p=%d: zones %q, want only c after position 5", p, z)
			}
		}
	}
}

// TestSingleZoneIsWalkOrder: when all nodes share a zone the zones-first rule
// is the identity, and which zone name is shared does not matter.
func TestSingleZoneIsWalkOrder(t *testing.T) {
	plain := nodes(7)
	named := slices.Clone(plain)
	for i := range named {
		named[i].Zone = "rack-1"
	}
	a := mustNew(t, 256, 16, plain)
	b := mustNew(t, 256, 16, named)
	toks := refTokens(plain, 16)
	for p := range 256 {
		walk := refWalk(toks, refStart(256, p))
		if !slices.Equal(a.PreferenceList(p), walk) || !slices.Equal(b.PreferenceList(p), walk) {
			t.Fatalf("p=%d: %q / %q, want walk order %q", p, a.PreferenceList(p), b.PreferenceList(p), walk)
		}
	}
}

// TestEmptyZoneIsAZone: "" is a zone like any other, distinct from "x".
func TestEmptyZoneIsAZone(t *testing.T) {
	ms := []Member{{ID: "a", Weight: 1}, {ID: "b", Weight: 1}, {ID: "c", Zone: "x", Weight: 1}, {ID: "d", Zone: "x", Weight: 1}}
	r := mustNew(t, 256, 32, ms)
	for p := range 256 {
		if z := zonesOf(r, r.Replicas(p, 2)); distinctCount(z) != 2 {
			t.Fatalf("p=%d: first two in zones %q, want \"\" and x", p, z)
		}
	}
}

// TestPrimaryIgnoresZones: the first entry is always the first node of the
// walk, so zones never change primary ownership (or its balance).
func TestPrimaryIgnoresZones(t *testing.T) {
	plain := nodes(9)
	withZones := slices.Clone(plain)
	for i := range withZones {
		withZones[i].Zone = string(rune('a' + i%3))
	}
	a := mustNew(t, 1024, 32, plain)
	b := mustNew(t, 1024, 32, withZones)
	for p := range 1024 {
		if a.PreferenceList(p)[0] != b.PreferenceList(p)[0] {
			t.Fatalf("p=%d: primary %s without zones, %s with", p, a.PreferenceList(p)[0], b.PreferenceList(p)[0])
		}
	}
}
