package ring

import "slices"

// Transition is placement while the member set changes: Cur is the ring
// of the members that own data now, Next the ring once joining members
// have joined and leaving ones have left. A partition moves to its Next
// replicas only once every node that gains it (a "gainer": in Next's first
// n, not in Cur's) holds its data; until then reads keep using Cur, and
// writes go to both, so that no acknowledged write is unreadable and none
// written during the move is lost.
//
// Cur and Next must have the same partition count. When nothing changes,
// Next may be Cur itself.
type Transition struct {
	Cur, Next *Ring
}

// Gainers returns the nodes among Next's first n replicas of p that are
// not among Cur's, in Next's order.
func (t Transition) Gainers(p, n int) []string {
	cur := t.Cur.Replicas(p, n)
	var out []string
	for _, id := range t.Next.Replicas(p, n) {
		if !slices.Contains(cur, id) {
			out = append(out, id)
		}
	}
	return out
}

// Moved reports whether every gainer of p holds it, by ready. A partition
// with no gainer has moved already (there is nothing to move).
func (t Transition) Moved(p, n int, ready func(node string, p int) bool) bool {
	for _, id := range t.Gainers(p, n) {
		if !ready(id, p) {
			return false
		}
	}
	return true
}

// Changing reports whether p's first n replicas differ between Cur and
// Next (in membership, not order).
func (t Transition) Changing(p, n int) bool {
	cur, next := t.Cur.Replicas(p, n), t.Next.Replicas(p, n)
	if len(cur) != len(next) {
		return true
	}
	for _, id := range next {
		if !slices.Contains(cur, id) {
			return true
		}
	}
	return false
}

// Extras returns the nodes among Cur's or Next's first n replicas of p
// that are not in homes (the first n of the list reads use): they get
// every write, without counting toward its quorum, until the change is
// over. A gainer receives what it would otherwise miss while it copies;
// an old owner stays current, so a cancelled departure loses nothing.
func (t Transition) Extras(p, n int, homes []string) []string {
	var out []string
	add := func(ids []string) {
		for _, id := range ids {
			if !slices.Contains(homes, id) && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	add(t.Cur.Replicas(p, n))
	add(t.Next.Replicas(p, n))
	return out
}
