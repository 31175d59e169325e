package vclock

import "cmp"

// compareLWW is the last-write-wins order: Timestamp, then Dot (Node, then
// Counter) so equal timestamps still have one winner everywhere, then the
// contents, only so that two differing copies of one dot (corruption) resolve
// the same way in every merge order.
func compareLWW(x, y Sibling) int {
	return cmp.Or(cmp.Compare(x.Timestamp, y.Timestamp), x.Dot.Compare(y.Dot), compareContent(x, y))
}

// greatestLWW returns the greatest of best (if ok) and sibs by compareLWW,
// and whether there was any.
func greatestLWW(best Sibling, ok bool, sibs []Sibling) (Sibling, bool) {
	for _, s := range sibs {
		if !ok || compareLWW(s, best) > 0 {
			best, ok = s, true
		}
	}
	return best, ok
}

// UpdateLWW is Update for last-write-wins namespaces. The new write gets its
// dot exactly as in Update, and the result holds exactly one sibling: the
// greatest by (Timestamp, Dot.Node, Dot.Counter) among the new write and all
// of cur's siblings, whether or not ctx covers them. The new write therefore
// wins a timestamp tie only if its dot orders higher. Context is as in Update,
// so the losing write's dot is still recorded as seen.
func UpdateLWW(cur Record, ctx VV, s Sibling, node string, now int64) Record {
	s.Dot = nextDot(cur.Context, ctx, node)
	best, _ := greatestLWW(s, true, cur.Siblings)
	return Record{
		Siblings: []Sibling{best},
		Context:  advance(merge(cur.Context, ctx, 1), s.Dot, now),
	}
}

// SyncLWW merges two replicas' states in a last-write-wins namespace: the
// result keeps only the greatest sibling of both sides by (Timestamp,
// Dot.Node, Dot.Counter), and Context = Merge.
//
// Unlike Sync it does not drop a sibling because the other side's context
// covers it: in LWW only timestamps decide, as in UpdateLWW, which also
// ignores ctx when choosing. The two differ only when a write carried a
// smaller timestamp than a value it had seen (clock skew), and there
// "Sync, then keep the greatest" is not associative: merging in a different
// order could pick a different winner, and replicas could diverge. Taking the
// greatest of the union is a semilattice join, so the highest timestamp wins
// in any merge order. When no write ever undercuts what it saw, the two
// definitions agree.
func SyncLWW(a, b Record) Record {
	best, ok := greatestLWW(Sibling{}, false, a.Siblings)
	best, ok = greatestLWW(best, ok, b.Siblings)
	r := Record{Context: Merge(a.Context, b.Context)}
	if ok {
		r.Siblings = []Sibling{best}
	}
	return r
}

// DescendsLWW is Descends for last-write-wins namespaces: whether
// SyncLWW(r, o).Equal(r), i.e. r's context descends o's and r's siblings are
// exactly the LWW winner of both.
func (r Record) DescendsLWW(o Record) bool {
	if !r.Context.Descends(o.Context) {
		return false
	}
	best, ok := greatestLWW(Sibling{}, false, r.Siblings)
	best, ok = greatestLWW(best, ok, o.Siblings)
	if !ok {
		return true // neither has a sibling
	}
	return len(r.Siblings) == 1 && r.Siblings[0].Dot == best.Dot
}
