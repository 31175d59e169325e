package actors

import (
	"maps"
	"slices"

	"github.com/quorumkv/quorumkv/messages"
)

// hintIndex is what this node knows of undelivered hints across the
// cluster: holder -> target -> partitions (bitmap, bit p = partition p).
// Each holder's entry is what its latest gossip said. It is immutable;
// a change swaps in a new index.
type hintIndex map[string]map[string][]byte

// withHolder returns a copy of x with holder's summaries replaced.
func (x hintIndex) withHolder(holder string, sums []*messages.HintSummary) hintIndex {
	out := maps.Clone(x)
	if out == nil {
		out = hintIndex{}
	}
	if len(sums) == 0 {
		// Kept as an empty entry: "holds nothing" differs from "not heard
		// from yet" (hintHolders).
		if had, ok := out[holder]; ok && len(had) == 0 {
			return x
		}
		out[holder] = map[string][]byte{}
		return out
	}
	byTarget := make(map[string][]byte, len(sums))
	for _, s := range sums {
		byTarget[s.Target] = s.Partitions
	}
	out[holder] = byTarget
	return out
}

// holders lists the holders of hints for target in partition, sorted.
func (x hintIndex) holders(target string, partition int) []string {
	var out []string
	for holder, byTarget := range x {
		if bitSet(byTarget[target], partition) {
			out = append(out, holder)
		}
	}
	slices.Sort(out)
	return out
}

func bitSet(bitmap []byte, i int) bool {
	return i/8 < len(bitmap) && bitmap[i/8]&(1<<(i%8)) != 0
}

func setBit(bitmap []byte, i int) []byte {
	for len(bitmap) <= i/8 {
		bitmap = append(bitmap, 0)
	}
	bitmap[i/8] |= 1 << (i % 8)
	return bitmap
}

// hintHolders returns, for a read of partition whose first replicas are
// asked, the asked homes that some up node may hold hints for, and those
// holders (up ones, not the home itself). An up peer this node has not
// heard from since it started may hold hints for anyone: a node that just
// came back must not trust its own "not found" before the holders' gossip
// reached it.
func (n *Node) hintHolders(partition int, asked []string) (hinted map[string]bool, holders []string) {
	var x hintIndex
	if p := n.hints.Load(); p != nil {
		x = *p
	}
	v := n.view.Load()
	unheard := n.unheardPeers(x, v)
	if len(x) == 0 && len(unheard) == 0 {
		return nil, nil
	}
	for _, home := range asked {
		for _, h := range append(x.holders(home, partition), unheard...) {
			if h == home || h == n.id || !v.isUp(h) {
				continue
			}
			if hinted == nil {
				hinted = map[string]bool{}
			}
			hinted[home] = true
			holders = append(holders, h)
		}
	}
	return hinted, holders
}

// unheardPeers lists the up peers whose hint summary this node has not
// received yet (none once every peer has gossiped to it).
func (n *Node) unheardPeers(x hintIndex, v *clusterView) []string {
	var out []string
	for _, m := range v.members {
		if _, heard := x[m.ID]; !heard && m.ID != n.id && v.isUp(m.ID) {
			out = append(out, m.ID)
		}
	}
	return out
}

// setHints records a holder's hint summaries (from its gossip, or this
// node's own from the handoff actor).
func (n *Node) setHints(holder string, sums []*messages.HintSummary) {
	for {
		old := n.hints.Load()
		var cur hintIndex
		if old != nil {
			cur = *old
		}
		next := cur.withHolder(holder, sums)
		if n.hints.CompareAndSwap(old, &next) {
			return
		}
	}
}
