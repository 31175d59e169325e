package quorum

// standIns records, during one write, which home replica each fallback
// stands in for (Dynamo §4.6: the hint names the intended recipient).
// Every home is "covered" while a write to it, or to a fallback standing
// in for it, is in flight or done.
type standIns struct {
	covered map[string]bool   // home -> covered
	byNode  map[string]string // fallback -> the home it stands in for
}

// cover marks a home as written to directly.
func (s *standIns) cover(home string) {
	if s.covered == nil {
		s.covered, s.byNode = map[string]bool{}, map[string]string{}
	}
	s.covered[home] = true
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
	if h, ok := s.byNode[node]; ok {
		return h
	}
	for _, h := range homes {
		if !s.covered[h] {
			s.cover(h)
			s.byNode[node] = h
			return h
		}
	}
	return ""
}

// release uncovers what a failed write to node covered, so that the next
// fallback stands in for it.
func (s *standIns) release(node string, home bool) {
	if home {
		delete(s.covered, node)
		return
	}
	if h, ok := s.byNode[node]; ok {
		delete(s.covered, h)
		delete(s.byNode, node)
	}
}
