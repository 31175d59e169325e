package actors

import (
	"maps"
	"slices"
	"sync"

	"github.com/quorumkv/quorumkv/messages"
)

// hintSummary is this node's answer to "for which targets and partitions do
// you hold hints?", which gossip carries to every coordinator. A handoff
// pass computes it from storage, but a pass can take long (a throttled
// backlog), and a read must not miss a hint written a moment ago; so the
// partition actors note each new (target, partition) at once, and the
// published summary is the last pass's result joined with everything noted
// since that pass began. It may name a partition whose hints are gone
// (a read then asks one holder more), never miss one that holds any.
type hintSummary struct {
	publish func([]*messages.HintSummary)

	mu     sync.Mutex
	base   map[string][]byte // from the last pass that ended
	before map[string][]byte // noted before the running pass began
	during map[string][]byte // noted since the running pass began
}

// note records a hint for target in partition.
func (s *hintSummary) note(target string, partition int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if bitSet(s.base[target], partition) || bitSet(s.before[target], partition) || bitSet(s.during[target], partition) {
		return
	}
	if s.during == nil {
		s.during = map[string][]byte{}
	}
	s.during[target] = setBit(s.during[target], partition)
	s.publishLocked()
}

// passStarted marks what the starting pass's scan will see.
func (s *hintSummary) passStarted() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.before = union(s.before, s.during)
	s.during = nil
}

// passEnded replaces the base by a pass's result.
func (s *hintSummary) passEnded(stats map[string]hintTargetStats) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.base = map[string][]byte{}
	for target, st := range stats {
		if st.count > 0 {
			s.base[target] = st.partitions
		}
	}
	s.before = nil
	s.publishLocked()
}

func (s *hintSummary) publishLocked() {
	all := union(union(union(nil, s.base), s.before), s.during)
	var sums []*messages.HintSummary
	for _, target := range slices.Sorted(maps.Keys(all)) {
		sums = append(sums, &messages.HintSummary{Target: target, Partitions: all[target]})
	}
	s.publish(sums)
}

// union returns a with every bit of b set (a is copied, never changed).
func union(a, b map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(a)+len(b))
	for t, bits := range a {
		out[t] = slices.Clone(bits)
	}
	for t, bits := range b {
		cur := out[t]
		for len(cur) < len(bits) {
			cur = append(cur, 0)
		}
		for i, x := range bits {
			cur[i] |= x
		}
		out[t] = cur
	}
	return out
}
