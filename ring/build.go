package ring

import (
	"cmp"
	"slices"
	"strings"
)

// vnode is one virtual node: a ring position owned by member index node
// (an index into the ID-sorted member slice).
type vnode struct {
	hash uint64
	node int32
}

// buildTokens places every member's tokens and sorts them by (hash, node ID).
// Members are sorted by ID, so comparing indices is comparing IDs; a hash
// collision between two nodes is therefore broken the same way everywhere.
func buildTokens(members []Member, tpw int) []vnode {
	n := 0
	for _, m := range members {
		n += m.Weight * tpw
	}
	toks := make([]vnode, 0, n)
	for idx, m := range members {
		for i := range m.Weight * tpw {
			toks = append(toks, vnode{hash: tokenHash(m.ID, uint32(i)), node: int32(idx)})
		}
	}
	slices.SortFunc(toks, func(a, b vnode) int {
		return cmp.Or(cmp.Compare(a.hash, b.hash), cmp.Compare(a.node, b.node))
	})
	return toks
}

// startTokens returns, for each partition, the index of the first token at or
// after the partition's ring position, wrapping to token 0 past the end.
// Positions grow with p, so one merge-like pass suffices.
func startTokens(toks []vnode, q int, b uint) []int {
	starts := make([]int, q)
	j := 0
	for p := range starts {
		pos := partitionStart(p, b)
		for j < len(toks) && toks[j].hash < pos {
			j++
		}
		starts[p] = j % len(toks)
	}
	return starts
}

// buildPreferences computes every partition's preference list. Partitions
// whose walk starts at the same token have identical lists, so one list is
// built per distinct start token and shared.
//
// Walk orders come from a move-to-front list swept backwards over the tokens:
// after visiting token i, the list holds nodes in order of first appearance
// clockwise from i. Sweeping twice makes the second sweep see the wrap-around.
// That is O(tokens + starts*members) rather than a fresh walk per partition,
// whose length is unbounded when one node has far fewer tokens than others.
func buildPreferences(members []Member, toks []vnode, q int, b uint) [][]string {
	prefs := make([][]string, q)
	m := len(members)
	if m == 0 {
		return prefs
	}
	starts := startTokens(toks, q, b)
	needed := make([]bool, len(toks))
	distinct := 0
	for _, s := range starts {
		if !needed[s] {
			needed[s] = true
			distinct++
		}
	}
	lists := make([][]string, len(toks))
	backing := make([]string, 0, distinct*m)
	zo := newZoneOrderer(members)
	mtf := newMTFList(m)
	for pass := range 2 {
		for i := len(toks) - 1; i >= 0; i-- {
			mtf.moveToFront(toks[i].node)
			if pass == 1 && needed[i] {
				lo := len(backing)
				backing = zo.appendOrdered(backing, mtf.order())
				lists[i] = backing[lo:len(backing):len(backing)]
			}
		}
	}
	for p, s := range starts {
		prefs[p] = lists[s]
	}
	return prefs
}

// mtfList is a doubly linked list of member indices with O(1) move-to-front.
type mtfList struct {
	head       int32
	next, prev []int32
	in         []bool
	walk       []int32 // scratch for order
}

func newMTFList(m int) *mtfList {
	return &mtfList{
		head: -1,
		next: make([]int32, m),
		prev: make([]int32, m),
		in:   make([]bool, m),
		walk: make([]int32, 0, m),
	}
}

func (l *mtfList) moveToFront(x int32) {
	if l.head == x {
		return
	}
	if l.in[x] { // unlink; x is not the head, so it has a predecessor
		p, n := l.prev[x], l.next[x]
		l.next[p] = n
		if n >= 0 {
			l.prev[n] = p
		}
	}
	l.prev[x], l.next[x] = -1, l.head
	if l.head >= 0 {
		l.prev[l.head] = x
	}
	l.head = x
	l.in[x] = true
}

// order returns the list from head to tail in a scratch slice that is valid
// until the next call.
func (l *mtfList) order() []int32 {
	l.walk = l.walk[:0]
	for x := l.head; x >= 0; x = l.next[x] {
		l.walk = append(l.walk, x)
	}
	return l.walk
}

// zoneOrderer applies the zones-first rule to a walk order.
type zoneOrderer struct {
	ids       []string
	zoneOf    []int32 // member index -> zone index
	perZone   []int32 // scratch: nodes seen so far per zone
	rank      []int32 // scratch: rank of walk[k] within its zone
	perRank   []int32 // scratch: counting-sort buckets by rank
	reordered []int32 // scratch: the walk in zones-first order
}

func newZoneOrderer(members []Member) *zoneOrderer {
	zones := make([]string, len(members))
	for i, m := range members {
		zones[i] = m.Zone
	}
	slices.Sort(zones)
	zones = slices.Compact(zones)
	zo := &zoneOrderer{
		ids:       make([]string, len(members)),
		zoneOf:    make([]int32, len(members)),
		perZone:   make([]int32, len(zones)),
		rank:      make([]int32, len(members)),
		perRank:   make([]int32, len(members)+1),
		reordered: make([]int32, len(members)),
	}
	for i, m := range members {
		zi, _ := slices.BinarySearchFunc(zones, m.Zone, strings.Compare)
		zo.ids[i], zo.zoneOf[i] = m.ID, int32(zi)
	}
	return zo
}

// appendOrdered appends the IDs of walk to dst in zones-first order.
//
// The rule "repeatedly take the earliest untaken node whose zone is unused in
// this round; start a new round when every zone with nodes left is used"
// makes round r consist of exactly the r-th node (in walk order) of every zone
// that has one, taken in walk order. So a stable sort of the walk by each
// node's rank within its zone is the same list, in O(members) via counting
// sort instead of O(members^2) repeated scans.
func (zo *zoneOrderer) appendOrdered(dst []string, walk []int32) []string {
	clear(zo.perZone)
	clear(zo.perRank)
	for k, x := range walk {
		z := zo.zoneOf[x]
		zo.rank[k] = zo.perZone[z]
		zo.perZone[z]++
		zo.perRank[zo.rank[k]+1]++
	}
	for r := 1; r < len(zo.perRank); r++ { // prefix sums: first slot of each rank
		zo.perRank[r] += zo.perRank[r-1]
	}
	for k, x := range walk {
		zo.reordered[zo.perRank[zo.rank[k]]] = x
		zo.perRank[zo.rank[k]]++
	}
	for _, x := range zo.reordered[:len(walk)] {
		dst = append(dst, zo.ids[x])
	}
	return dst
}
