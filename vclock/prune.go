package vclock

import (
	"cmp"
	"slices"
	"strings"
)

// Prune bounds the context of r to maxEntries entries by dropping the oldest
// (smallest Time, ties by Node) while there are too many. It never drops the
// entry of a node that has a dot among r's siblings, so the result may keep
// more than maxEntries when too many are protected. maxEntries <= 0 means no
// pruning. Siblings are untouched.
//
// Trade-off: forgetting an entry only makes the context cover less. A value
// the forgotten entry had superseded may then come back as a sibling when a
// stale replica syncs (a false conflict the client resolves with its next
// write); a write is never lost by it, because nothing is dropped for being
// covered by less. The one hazard is dot reuse: if a node's own entry is
// pruned from the record it coordinates writes for, its next write restarts
// at a counter it has used before, and a replica that still remembers the old
// dot would treat the new write as already seen. Replicas should therefore
// call PruneKeep with their own node; Prune is PruneKeep with nothing kept.
//
// The result shares r.Siblings; its Context is new when anything was dropped
// and r.Context otherwise.
func Prune(r Record, maxEntries int) Record { return PruneKeep(r, maxEntries) }

// PruneKeep is Prune that also never drops the entries of the nodes in keep
// (normally the calling replica's own node; see Prune).
func PruneKeep(r Record, maxEntries int, keep ...string) Record {
	excess := len(r.Context) - maxEntries
	if maxEntries <= 0 || excess <= 0 {
		return r
	}
	cand := make([]int, 0, len(r.Context))
	for i, e := range r.Context {
		if !slices.Contains(keep, e.Node) && !hasDotFrom(r.Siblings, e.Node) {
			cand = append(cand, i)
		}
	}
	if len(cand) == 0 {
		return r
	}
	slices.SortFunc(cand, func(i, j int) int {
		a, b := r.Context[i], r.Context[j]
		return cmp.Or(cmp.Compare(a.Time, b.Time), strings.Compare(a.Node, b.Node))
	})
	drop := make([]bool, len(r.Context))
	for _, i := range cand[:min(excess, len(cand))] {
		drop[i] = true
	}
	ctx := make(VV, 0, len(r.Context)-min(excess, len(cand)))
	for i, e := range r.Context {
		if !drop[i] {
			ctx = append(ctx, e)
		}
	}
	r.Context = ctx
	return r
}

// hasDotFrom reports whether some sibling was written through node. Records
// hold few siblings, so a scan beats building a set.
func hasDotFrom(sibs []Sibling, node string) bool {
	for _, s := range sibs {
		if s.Dot.Node == node {
			return true
		}
	}
	return false
}
