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
		if _, had := out[holder]; !had {
			return x
		}
		delete(out, holder)
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
// asked, the asked homes that some up node holds hints for, and those
// holders (up ones, not the home itself).
func (n *Node) hintHolders(partition int, asked []string) (hinted map[string]bool, holders []string) {
	x := n.hints.Load()
	if x == nil || len(*x) == 0 {
		return nil, nil
	}
	v := n.view.Load()
	for _, home := range asked {
		for _, h := range x.holders(home, partition) {
			if h == home || !v.isUp(h) {
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
