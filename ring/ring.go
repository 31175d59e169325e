package ring

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// DefaultPartitions is the default partition count Q. It is fixed for a
// cluster's life: changing it moves almost every key.
const DefaultPartitions = 256

// DefaultTokensPerWeight is how many virtual-node tokens a node places per
// unit of weight.
//
// Balance is the reason for the value. A node's share of the ring is the sum
// of the arcs in front of its tokens; with k tokens its relative standard
// deviation is about 1/sqrt(k). Measured with TestMeasureBalance
// (go test -run MeasureBalance -v ./ring -args -ring.measure) over 200 random
// sets of 4..12 nodes with weights 1..4 at q=4096, comparing each node's
// share of primary partitions with weight/sum:
//
//	tokens/weight   mean |rel. error|   worst |rel. error| (of ~1600 nodes)
//	     16              13.2%                85.3%
//	     64               6.4%                47.0%
//	    128               4.9%                25.2%
//	    256               3.7%                20.8%
//	    512               3.4%                16.9%
//
// 256 is where the worst case stops improving quickly, while New stays cheap:
// 50 nodes at q=65536 (12,800 tokens) build in about 25ms and 12MB, 20 nodes
// at q=4096 in about 4ms. Join movement is minimal at any value; more tokens
// only bring the moved amount closer to 1/(n+1).
const DefaultTokensPerWeight = 256

// MaxTokens bounds the total number of tokens (sum of Weight*tokensPerWeight)
// so that a mistaken weight cannot make New allocate without limit.
const MaxTokens = 1 << 20

// Member is one node of the cluster as the ring sees it.
type Member struct {
	ID     string // unique node id
	Zone   string // failure domain; "" is a zone of its own name ""
	Weight int    // capacity units, >= 1
}

// Ring maps partitions to preference lists. It is immutable after New and
// safe for concurrent use.
type Ring struct {
	q       int
	bits    uint
	tpw     int
	members []Member   // sorted by ID
	prefs   [][]string // per partition; shared, capacity-capped slices
}

// New builds the ring for q partitions from members, each placing
// Weight*tokensPerWeight tokens. The result depends only on the set of
// members (not their order), q and tokensPerWeight.
func New(q, tokensPerWeight int, members []Member) (*Ring, error) {
	if !ValidPartitionCount(q) {
		return nil, fmt.Errorf("ring: invalid partition count %d: must be a power of two in [1, %d]", q, MaxPartitions)
	}
	if tokensPerWeight < 1 {
		return nil, fmt.Errorf("ring: tokensPerWeight %d: must be >= 1", tokensPerWeight)
	}
	sorted, err := validateMembers(tokensPerWeight, members)
	if err != nil {
		return nil, err
	}
	b := partitionBits(q)
	toks := buildTokens(sorted, tokensPerWeight)
	return &Ring{
		q:       q,
		bits:    b,
		tpw:     tokensPerWeight,
		members: sorted,
		prefs:   buildPreferences(sorted, toks, q, b),
	}, nil
}

// validateMembers returns a copy of members sorted by ID after checking IDs
// and weights. Sorting first is what makes the ring independent of the
// caller's order; it also puts duplicates next to each other.
func validateMembers(tpw int, members []Member) ([]Member, error) {
	sorted := slices.Clone(members)
	slices.SortFunc(sorted, func(a, b Member) int { return strings.Compare(a.ID, b.ID) })
	total := 0
	for i, m := range sorted {
		if m.ID == "" {
			return nil, errors.New("ring: member with empty ID")
		}
		if i > 0 && sorted[i-1].ID == m.ID {
			return nil, fmt.Errorf("ring: duplicate member ID %q", m.ID)
		}
		if m.Weight < 1 {
			return nil, fmt.Errorf("ring: member %q: weight %d: must be >= 1", m.ID, m.Weight)
		}
		// Compare by division first so Weight*tpw cannot overflow.
		if m.Weight > (MaxTokens-total)/tpw {
			return nil, fmt.Errorf("ring: member %q: weight %d x %d tokens per weight exceeds the limit of %d tokens in total", m.ID, m.Weight, tpw, MaxTokens)
		}
		total += m.Weight * tpw
	}
	return sorted, nil
}

// Partitions returns the partition count q.
func (r *Ring) Partitions() int { return r.q }

// TokensPerWeight returns the tokensPerWeight the ring was built with.
func (r *Ring) TokensPerWeight() int { return r.tpw }

// PartitionOf returns the partition of key in this ring under placement
// p; it is p.PartitionOf(key, r.Partitions()).
func (r *Ring) PartitionOf(p Placement, key []byte) int {
	return p.PartitionOf(key, r.q)
}

// Members returns a copy of the members, sorted by ID.
func (r *Ring) Members() []Member { return slices.Clone(r.members) }

// Member returns the member with the given ID.
func (r *Ring) Member(id string) (Member, bool) {
	i, ok := slices.BinarySearchFunc(r.members, id, func(m Member, id string) int {
		return strings.Compare(m.ID, id)
	})
	if !ok {
		return Member{}, false
	}
	return r.members[i], true
}

// PreferenceList returns every member ID, each once, in preference order for
// partition p: the first N are the home replicas, the rest are fallbacks in
// the order they should be tried. The slice is shared and must not be
// modified (its capacity is capped, so appending to it copies).
//
// A p outside [0, Partitions()) yields nil rather than a panic, because
// partition numbers may arrive from the network.
func (r *Ring) PreferenceList(p int) []string {
	if p < 0 || p >= r.q {
		return nil
	}
	return r.prefs[p]
}

// Replicas returns the first min(n, len(members)) entries of
// PreferenceList(p); n <= 0 yields an empty list. The slice is shared like
// PreferenceList's.
func (r *Ring) Replicas(p, n int) []string {
	l := r.PreferenceList(p)
	n = min(max(n, 0), len(l))
	return l[:n:n]
}

// OwnedPartitions returns, in increasing order, the partitions for which node
// is among the first n entries of the preference list (nil if none).
func (r *Ring) OwnedPartitions(node string, n int) []int {
	var out []int
	for p := range r.q {
		if slices.Contains(r.Replicas(p, n), node) {
			out = append(out, p)
		}
	}
	return out
}
