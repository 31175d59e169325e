package vclock

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrInvalid is wrapped by the Validate methods: a value breaks an invariant
// this package relies on (see doc.go, "Invariants").
var ErrInvalid = errors.New("vclock: invalid")

// Dot names one write: the Counter-th write that Node coordinated.
type Dot struct {
	Node    string
	Counter uint64
}

// Compare orders dots by Node, then Counter: the order Record.Siblings is kept
// in. It returns -1, 0 or +1.
func (d Dot) Compare(o Dot) int {
	return cmp.Or(strings.Compare(d.Node, o.Node), cmp.Compare(d.Counter, o.Counter))
}

// String formats the dot as node:counter, for logs and test failures.
func (d Dot) String() string { return fmt.Sprintf("%s:%d", d.Node, d.Counter) }

// Entry is one version-vector entry. Time is the unix-nano wall time of the
// entry's last advance, used only for pruning.
type Entry struct {
	Node    string
	Counter uint64
	Time    int64
}

// VV is a version vector, kept sorted by Node with no duplicate nodes and no
// zero counters (canonical form). The zero value is the empty vector.
//
// Every function here treats a VV as immutable: none writes to a VV it was
// given, so callers may share them freely.
type VV []Entry

// find is a binary search by node: the vectors can reach a thousand entries
// (the token limit), and Get/Covers sit on every sibling of every write.
func (v VV) find(node string) (int, bool) {
	return slices.BinarySearchFunc(v, node, func(e Entry, n string) int {
		return strings.Compare(e.Node, n)
	})
}

// Get returns node's counter, 0 if node has no entry.
func (v VV) Get(node string) uint64 {
	if i, ok := v.find(node); ok {
		return v[i].Counter
	}
	return 0
}

// Covers reports whether v has seen the write d: v.Get(d.Node) >= d.Counter.
func (v VV) Covers(d Dot) bool { return v.Get(d.Node) >= d.Counter }

// Descends reports whether v >= o pointwise: v has seen everything o has.
// Time is ignored. Both are walked in node order, so it is linear.
func (v VV) Descends(o VV) bool {
	i := 0
	for _, e := range o {
		if e.Counter == 0 {
			continue // tolerated so a non-canonical o cannot give a wrong answer
		}
		for i < len(v) && v[i].Node < e.Node {
			i++
		}
		if i == len(v) || v[i].Node != e.Node || v[i].Counter < e.Counter {
			return false
		}
	}
	return true
}

// Equal reports whether v and o have the same counters; Time is ignored
// because it only steers pruning and says nothing about causality.
func (v VV) Equal(o VV) bool { return v.Descends(o) && o.Descends(v) }

// Concurrent reports whether neither a nor b descends the other.
func Concurrent(a, b VV) bool { return !a.Descends(b) && !b.Descends(a) }

// Merge returns the pointwise maximum of a and b: for each node the larger
// counter and the larger Time (taken independently, so Merge is a semilattice
// join on both). The result is always freshly allocated, so mutating it never
// affects a or b and vice versa. Canonical inputs give a canonical result.
func Merge(a, b VV) VV { return merge(a, b, 0) }

// merge is Merge with room for extra more entries, so that Update can insert
// the new dot's entry without a second allocation.
func merge(a, b VV, extra int) VV {
	if len(a)+len(b)+extra == 0 {
		return nil
	}
	out := make(VV, 0, len(a)+len(b)+extra)
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch c := strings.Compare(a[i].Node, b[j].Node); {
		case c < 0:
			out = append(out, a[i])
			i++
		case c > 0:
			out = append(out, b[j])
			j++
		default:
			out = append(out, Entry{
				Node:    a[i].Node,
				Counter: max(a[i].Counter, b[j].Counter),
				Time:    max(a[i].Time, b[j].Time),
			})
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// Clone returns a copy of v that shares no memory with it; the empty vector
// clones to nil.
func (v VV) Clone() VV {
	if len(v) == 0 {
		return nil
	}
	return slices.Clone(v)
}

// Validate checks canonical form: nodes strictly increasing (sorted, no
// duplicates) and no zero counters. Values built by this package always pass;
// it is for vectors that arrive from elsewhere (storage, the network).
func (v VV) Validate() error {
	for i, e := range v {
		if e.Counter == 0 {
			return fmt.Errorf("%w: zero counter for node %q", ErrInvalid, e.Node)
		}
		if i > 0 && v[i-1].Node >= e.Node {
			return fmt.Errorf("%w: node %q not after %q", ErrInvalid, e.Node, v[i-1].Node)
		}
	}
	return nil
}

// advance sets d's entry in v to d.Counter, inserting it if absent, and
// returns the (possibly reallocated) vector. v must be owned by the caller.
// Time never moves backwards: if the wall clock stepped back, the entry keeps
// its later time, which keeps Time a max-merge like every other change to it.
func advance(v VV, d Dot, now int64) VV {
	i, ok := v.find(d.Node)
	if ok {
		v[i].Counter = max(v[i].Counter, d.Counter)
		v[i].Time = max(v[i].Time, now)
		return v
	}
	return slices.Insert(v, i, Entry{Node: d.Node, Counter: d.Counter, Time: now})
}
