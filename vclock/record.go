package vclock

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Sibling is one concurrent value of a key.
type Sibling struct {
	Dot         Dot
	Value       []byte
	ContentType string
	Tombstone   bool  // a delete marker
	Timestamp   int64 // writer's hybrid wall time in unix nanos, for last-write-wins
	// WriteID names the client write that made the sibling (0: none). Two
	// siblings with one non-zero WriteID are copies of one write whose
	// coordinating step ran twice; see doc.go, "Write ids".
	WriteID uint64
}

// Record is a key's full versioned state on a replica. The zero Record is a
// key never written.
//
// Functions here never modify a Record they are given, and the Records they
// return may share Value bytes (and, where noted, slices) with their inputs:
// treat Records as immutable values.
type Record struct {
	Siblings []Sibling // sorted by Dot (Node, then Counter); no two with the same Dot
	Context  VV        // covers every sibling's Dot
}

// nextDot is the dot a write at node gets. Taking the client's counter into
// account as well as the replica's keeps dots unique even if this replica has
// lost state the client saw (the new dot is past anything either knows).
func nextDot(cur, ctx VV, node string) Dot {
	return Dot{Node: node, Counter: max(cur.Get(node), ctx.Get(node)) + 1}
}

// Update applies a client write at replica node. ctx is the causal context
// the client sent (empty for a blind write): every sibling of cur that ctx
// covers is superseded and dropped, and so is every earlier copy of this
// same write (same non-zero WriteID: a retried coordinating step). Nothing
// else is, so a write never removes a value its client did not see. s gets dot
// (node, max(cur.Context.Get(node), ctx.Get(node))+1); s.Dot is ignored on
// input. The result's Context is Merge(cur.Context, ctx) advanced to the new
// dot, with that entry's Time set to now (or kept, if already later).
func Update(cur Record, ctx VV, s Sibling, node string, now int64) Record {
	s.Dot = nextDot(cur.Context, ctx, node)
	sibs := make([]Sibling, 0, len(cur.Siblings)+1)
	for _, c := range cur.Siblings {
		if !ctx.Covers(c.Dot) && !sameWrite(c, s) {
			sibs = append(sibs, c)
		}
	}
	i, _ := slices.BinarySearchFunc(sibs, s.Dot, func(x Sibling, d Dot) int { return x.Dot.Compare(d) })
	sibs = slices.Insert(sibs, i, s)
	return Record{Siblings: sibs, Context: advance(merge(cur.Context, ctx, 1), s.Dot, now)}
}

// sameWrite reports whether x and y are copies of one client write. Dropping
// one for the other loses nothing: it is the same value, written once.
func sameWrite(x, y Sibling) bool { return x.WriteID != 0 && x.WriteID == y.WriteID }

// Sync merges two replicas' states of the same key. A sibling of a survives
// unless b's context covers its dot and b lacks it (then b has seen it and
// something superseded it); likewise for b. The survivors are unioned by dot
// and Context = Merge. Sync is commutative, associative and idempotent on
// canonical records, so replicas converge whatever order they exchange in.
//
// Sync ignores WriteID: two copies of one write that meet here are both
// kept, and Live shows one of them. Dropping one here would make the result
// depend on merge order (doc.go, "Write ids").
func Sync(a, b Record) Record {
	as, bs := a.Siblings, b.Siblings
	out := make([]Sibling, 0, len(as)+len(bs))
	i, j := 0, 0
	for i < len(as) || j < len(bs) {
		c := -1
		switch {
		case i == len(as):
			c = 1
		case j < len(bs):
			c = as[i].Dot.Compare(bs[j].Dot)
		}
		switch {
		case c < 0:
			if !b.Context.Covers(as[i].Dot) {
				out = append(out, as[i])
			}
			i++
		case c > 0:
			if !a.Context.Covers(bs[j].Dot) {
				out = append(out, bs[j])
			}
			j++
		default:
			out = append(out, pickSame(as[i], bs[j]))
			i++
			j++
		}
	}
	if len(out) == 0 {
		out = nil
	}
	return Record{Siblings: out, Context: Merge(a.Context, b.Context)}
}

// pickSame chooses between two copies of the same dot. A dot names one write,
// so they should be identical; if a bug or corruption made them differ, the
// choice must still not depend on argument order, or Sync would stop being
// commutative and replicas could disagree forever.
func pickSame(x, y Sibling) Sibling {
	if compareContent(x, y) >= 0 {
		return x
	}
	return y
}

// compareContent is an arbitrary but fixed total order on sibling contents.
func compareContent(x, y Sibling) int {
	return cmp.Or(
		cmpBool(x.Tombstone, y.Tombstone),
		cmp.Compare(x.Timestamp, y.Timestamp),
		cmp.Compare(x.WriteID, y.WriteID),
		strings.Compare(x.ContentType, y.ContentType),
		bytes.Compare(x.Value, y.Value),
	)
}

func cmpBool(x, y bool) int {
	switch {
	case x == y:
		return 0
	case x:
		return 1
	}
	return -1
}

// Live returns the siblings a read shows, in dot order, in a new slice (the
// Value bytes are still shared with r): no tombstones, and one sibling per
// write, the first (smallest dot) of those sharing a non-zero WriteID.
// Empty means the key reads as not found.
func (r Record) Live() []Sibling {
	var out []Sibling
	for i, s := range r.Siblings {
		if r.shows(i) {
			out = append(out, s)
		}
	}
	return out
}

// IsDeleted reports whether the key reads as absent: Live would be empty.
func (r Record) IsDeleted() bool {
	for i := range r.Siblings {
		if r.shows(i) {
			return false
		}
	}
	return true
}

// shows reports whether a read shows sibling i: it is not a tombstone and no
// earlier sibling is a copy of the same write. Copies of one write are one
// value to the client, and picking the smallest dot picks the same copy on
// every replica. Records hold few siblings, so a scan beats building a set.
func (r Record) shows(i int) bool {
	s := r.Siblings[i]
	if s.Tombstone {
		return false
	}
	for _, p := range r.Siblings[:i] {
		if sameWrite(p, s) {
			return false
		}
	}
	return true
}

// Equal reports whether r and o have the same context counters and the same
// set of dots. Sibling contents are not compared: a dot names one write.
func (r Record) Equal(o Record) bool {
	if len(r.Siblings) != len(o.Siblings) || !r.Context.Equal(o.Context) {
		return false
	}
	for i := range r.Siblings {
		if r.Siblings[i].Dot != o.Siblings[i].Dot {
			return false
		}
	}
	return true
}

// Descends reports whether r already contains everything o has, precisely
// whether Sync(r, o).Equal(r): r.Context descends o.Context, every sibling of
// r survives o (o has it too, or o's context does not cover it), and every
// sibling of o is in r or covered by r's context. A replica whose record does
// not descend the merged one is stale and needs read repair.
func (r Record) Descends(o Record) bool {
	if !r.Context.Descends(o.Context) {
		return false
	}
	rs, os := r.Siblings, o.Siblings
	i, j := 0, 0
	for i < len(rs) || j < len(os) {
		c := -1
		switch {
		case i == len(rs):
			c = 1
		case j < len(os):
			c = rs[i].Dot.Compare(os[j].Dot)
		}
		switch {
		case c < 0: // only r has it: o must not have superseded it
			if o.Context.Covers(rs[i].Dot) {
				return false
			}
			i++
		case c > 0: // only o has it: r must have superseded it
			if !r.Context.Covers(os[j].Dot) {
				return false
			}
			j++
		default:
			i++
			j++
		}
	}
	return true
}

// Validate checks a record's invariants: canonical context, siblings strictly
// increasing by dot with non-zero counters, and every dot covered by the
// context. Use it on records decoded from storage or the network.
func (r Record) Validate() error {
	if err := r.Context.Validate(); err != nil {
		return err
	}
	for i, s := range r.Siblings {
		if s.Dot.Counter == 0 {
			return fmt.Errorf("%w: sibling %v has a zero counter", ErrInvalid, s.Dot)
		}
		if i > 0 && r.Siblings[i-1].Dot.Compare(s.Dot) >= 0 {
			return fmt.Errorf("%w: sibling %v not after %v", ErrInvalid, s.Dot, r.Siblings[i-1].Dot)
		}
		if !r.Context.Covers(s.Dot) {
			return fmt.Errorf("%w: context does not cover sibling %v", ErrInvalid, s.Dot)
		}
	}
	return nil
}

// AckContext returns the context that is safe to hand back to the client
// whose write at node produced r (r being Update's or UpdateLWW's result).
//
// r.Context itself is not safe: it also covers siblings that were concurrent
// with the write and that the client was never shown, and a later write
// carrying it would silently supersede them. AckContext lowers r.Context, node
// by node, just below every sibling other than the new write, so it covers the
// client's own write and what the client had seen, but no value it has not
// seen. (If an unseen sibling from node predates the new write, the new write
// is left uncovered too: a version vector cannot express the gap, and leaving
// the client's own write as a sibling is the safe side.) When the new write is
// the only sibling, the result equals r.Context.
func AckContext(r Record, node string) VV {
	written := Dot{Node: node, Counter: r.Context.Get(node)}
	out := make(VV, 0, len(r.Context))
	for _, e := range r.Context {
		for _, s := range r.Siblings {
			if s.Dot.Node == e.Node && s.Dot != written && s.Dot.Counter <= e.Counter {
				e.Counter = s.Dot.Counter - 1
			}
		}
		if e.Counter > 0 {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
