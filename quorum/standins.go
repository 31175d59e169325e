package quorum

import "slices"

// standIns records, during one write, which home replica each fallback
// stands in for (Dynamo §4.6: the hint names the intended recipient).
// Every home is "covered" while a write to it, or to a fallback standing
// in for it, is in flight or done. A write has at most a handful of homes
// and fallbacks, so plain slices beat maps here: a put allocates nothing
// for them until a fallback is used.
type standIns struct {
	covered []string  // homes covered
	byNode  []standIn // fallbacks and the homes they stand in for
}

type standIn struct{ fallback, home string }

// cover marks a home as written to directly.
func (s *standIns) cover(home string) {
	if !slices.Contains(s.covered, home) {
		s.covered = append(s.covered, home)
	}
}

// assign returns the hint target for a write about to go to node: none
// for a home (it is covered now), else the first home in preference order
// that nothing covers yet. A fallback with no home left to stand for gets
// none and stores the write as its own (a view change made it a home).
func (s *standIns) assign(node string, home bool, homes []string) string {
	if home {
		s.cover(node)
		return ""
	}
	if i := s.find(node); i >= 0 {
		return s.byNode[i].home
	}
	for _, h := range homes {
		if !slices.Contains(s.covered, h) {
			s.cover(h)
			s.byNode = append(s.byNode, standIn{fallback: node, home: h})
			return h
		}
	}
	return ""
}

// release uncovers what a failed write to node covered, so that the next
// fallback stands in for it.
func (s *standIns) release(node string, home bool) {
	if home {
		s.uncover(node)
		return
	}
	if i := s.find(node); i >= 0 {
		s.uncover(s.byNode[i].home)
		s.byNode = slices.Delete(s.byNode, i, i+1)
	}
}

func (s *standIns) uncover(home string) {
	if i := slices.Index(s.covered, home); i >= 0 {
		s.covered = slices.Delete(s.covered, i, i+1)
	}
}

func (s *standIns) find(fallback string) int {
	return slices.IndexFunc(s.byNode, func(x standIn) bool { return x.fallback == fallback })
}
