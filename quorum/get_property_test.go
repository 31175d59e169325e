package quorum

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// getModel is what the test knows of a read from outside the coordinator.
type getModel struct {
	sc                      *scenario
	d                       *driver
	replies                 map[string]rec  // read replies that landed
	counted                 map[string]bool // the ones that count toward R
	order                   []string        // replies in arrival order
	merged                  rec
	read                    map[string]bool // nodes sent a Read
	wb                      map[string]bool // nodes sent a WriteBack
	wbAcked                 map[string]bool // WriteBacks acknowledged before the answer
	repair                  map[string]bool
	readFailures, uncounted int
	answers, dones          int
	seen                    map[string]int
}

func runGet(rng *rand.Rand, seen map[string]int) error {
	sc := newScenario(rng)
	m := &getModel{sc: sc, seen: seen, d: &driver{rng: rng, sc: sc}, replies: map[string]rec{}, counted: map[string]bool{},
		read: map[string]bool{}, wb: map[string]bool{}, wbAcked: map[string]bool{}, repair: map[string]bool{}}
	g := NewGet(sc.plan, sc.tg, sc.self, sc.hints, sc.v)
	if err := m.observe(Event[rec]{Kind: Replied}, g.Start()); err != nil {
		return err
	}
	for m.dones == 0 {
		ev, landed := m.d.next(func(c call) rec { return sc.stored[c.node] })
		if landed {
			m.land(ev)
		} else if ev.Kind != Expired {
			seen["ignored"]++
		}
		if err := m.observe(ev, g.Step(ev)); err != nil {
			return fmt.Errorf("%+v after %+v: %w", sc.plan, ev, err)
		}
	}
	if len(g.Step(Deadline[rec]())) != 0 {
		return fmt.Errorf("acted after Done")
	}
	return m.finished()
}

func (m *getModel) land(ev Event[rec]) {
	switch {
	case ev.Kind == Failed && ev.Phase == Read:
		m.readFailures++
	case ev.Phase == Read:
		m.replies[ev.Node] = ev.Record
		m.order = append(m.order, ev.Node)
		m.merged = m.sc.v.Sync(m.merged, ev.Record)
		m.counted[ev.Node] = m.sc.plan.Strict || ev.Found || !m.sc.hints.Homes[ev.Node]
		if !m.counted[ev.Node] {
			m.uncounted++
			m.seen["uncounted"]++
		}
	case ev.Kind == Replied && ev.Phase == WriteBack && m.answers == 0:
		m.wbAcked[ev.Node] = true
	}
	if ev.Kind == Replied && ev.Phase == WriteBack {
		m.sc.stored[ev.Node] = m.sc.v.Sync(m.sc.stored[ev.Node], m.merged)
	}
}

func (m *getModel) observe(ev Event[rec], effs []Effect[rec]) error {
	for i, e := range effs {
		if m.dones > 0 {
			return fmt.Errorf("effect %+v after Done", e)
		}
		var err error
		switch e.Kind {
		case Send:
			err = m.onSend(e)
		case Answer:
			err = m.onAnswer(ev, e)
		case Done:
			err = m.onDone(ev, i == len(effs)-1)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (m *getModel) onSend(e Effect[rec]) error {
	p := m.sc.plan
	if p.Strict && !slices.Contains(m.sc.tg.Homes, e.To) {
		return fmt.Errorf("strict read sent %s to %s, not a home", e.Phase, e.To)
	}
	switch e.Phase {
	case Read:
		if m.read[e.To] {
			return fmt.Errorf("read %s twice", e.To)
		}
		m.read[e.To] = true
		m.d.pending = append(m.d.pending, call{e.To, Read})
		if len(m.read) > p.R+m.readFailures+m.uncounted {
			return fmt.Errorf("asked %d replicas for R=%d with %d failed and %d uncounted",
				len(m.read), p.R, m.readFailures, m.uncounted)
		}
		return nil
	case WriteBack, Repair:
		return m.onMerge(e)
	}
	return fmt.Errorf("a read sent %s", e.Phase)
}

// onMerge checks a WriteBack or Repair: to a replica that answered stale,
// with the merge of every reply, at most once, and never both.
func (m *getModel) onMerge(e Effect[rec]) error {
	r, replied := m.replies[e.To]
	switch {
	case !replied:
		return fmt.Errorf("%s to %s, which did not answer a read", e.Phase, e.To)
	case m.wb[e.To] || m.repair[e.To]:
		return fmt.Errorf("%s to %s, already sent a merge", e.Phase, e.To)
	case !e.Record.Equal(m.merged):
		return fmt.Errorf("%s to %s is not the merge of the replies", e.Phase, e.To)
	case m.sc.v.Descends(r, e.Record):
		return fmt.Errorf("%s to %s, which is up to date", e.Phase, e.To)
	case e.Phase == WriteBack && !m.sc.plan.Strict:
		return fmt.Errorf("write-back under sloppy quorum")
	case e.Phase == WriteBack && m.answers > 0:
		return fmt.Errorf("write-back after the answer")
	case e.Phase == Repair && !slices.Contains(m.sc.tg.Homes, e.To):
		return fmt.Errorf("repaired %s, a fallback", e.To)
	case e.Phase == Repair && m.countedReplies() == 0:
		return fmt.Errorf("repaired %s after no counted reply", e.To)
	}
	m.seen[e.Phase.String()]++
	if e.Phase == WriteBack {
		m.wb[e.To] = true
		m.d.pending = append(m.d.pending, call{e.To, WriteBack})
	} else {
		m.repair[e.To] = true
	}
	return nil
}

func (m *getModel) countedReplies() int {
	n := 0
	for _, c := range m.counted {
		if c {
			n++
		}
	}
	return n
}

func (m *getModel) onAnswer(ev Event[rec], e Effect[rec]) error {
	m.answers++
	if m.answers > 1 {
		return fmt.Errorf("answered twice")
	}
	p, got := m.sc.plan, m.countedReplies()
	if e.Err == nil {
		m.seen["answer"]++
		return m.onSuccess(e)
	}
	m.seen[strings.TrimPrefix(e.Err.What+" ", "read ")+codeName[e.Err.Code]]++
	switch {
	case e.Err.Code == Timeout && (ev.Kind != Expired || e.Err.Got != got || e.Err.Needed != p.R):
		return fmt.Errorf("timeout %+v on %+v with %d counted", e.Err, ev, got)
	case e.Err.Code == Unavailable && e.Err.What == "read":
		return m.onUnavailable(e.Err, got)
	case e.Err.Code == Unavailable && m.inflight(WriteBack) > 0:
		return fmt.Errorf("write-back gave up with calls in flight")
	}
	return nil
}

// onSuccess checks a successful read: R counted replies from distinct
// replicas, the merge of them all, and under strict quorum a disagreement
// settled on min(W, replies) replicas.
func (m *getModel) onSuccess(e Effect[rec]) error {
	p := m.sc.plan
	if m.countedReplies() < p.R {
		return fmt.Errorf("answered with %d counted replies of R=%d", m.countedReplies(), p.R)
	}
	if !e.Record.Equal(m.merged) {
		return fmt.Errorf("answer is not the merge of the replies")
	}
	holding, disagree := 0, false
	for n, r := range m.replies {
		switch {
		case m.sc.v.Descends(r, e.Record):
			holding++
		case m.wbAcked[n]:
			holding++
			disagree = true
		default:
			disagree = true
		}
	}
	if p.Strict && disagree && holding < min(p.W, len(m.replies)) {
		return fmt.Errorf("strict read answered a disagreement held by %d of min(W=%d, %d)", holding, p.W, len(m.replies))
	}
	return nil
}

// onUnavailable checks that a read gives up only when R is out of reach
// and every replica it could ask was asked.
func (m *getModel) onUnavailable(err *Error, got int) error {
	if err.Got != got || err.Needed != m.sc.plan.R || got+m.inflight(Read) >= m.sc.plan.R {
		return fmt.Errorf("unavailable %+v with %d counted and %d reading", err, got, m.inflight(Read))
	}
	eligible := slices.Concat(m.sc.tg.Active, m.sc.tg.Spare)
	if !m.sc.plan.Strict {
		eligible = append(eligible, m.sc.hints.Holders...)
	}
	for _, n := range eligible {
		if !m.read[n] {
			return fmt.Errorf("gave up without asking %s", n)
		}
	}
	return nil
}

func (m *getModel) inflight(ph Phase) int {
	n := 0
	for _, c := range m.d.pending {
		if c.phase == ph {
			n++
		}
	}
	return n
}

func (m *getModel) onDone(ev Event[rec], last bool) error {
	m.dones++
	switch {
	case !last:
		return fmt.Errorf("Done is not the last effect")
	case m.answers != 1:
		return fmt.Errorf("Done after %d answers", m.answers)
	case ev.Kind != Expired && len(m.d.pending) > 0:
		return fmt.Errorf("Done with %d calls in flight", len(m.d.pending))
	}
	return nil
}

// finished checks that every stale home that answered got the merged
// record, once the read had a counted reply.
func (m *getModel) finished() error {
	if m.countedReplies() == 0 {
		return nil
	}
	for n, r := range m.replies {
		if slices.Contains(m.sc.tg.Homes, n) && !m.sc.v.Descends(r, m.merged) && !m.wb[n] && !m.repair[n] {
			return fmt.Errorf("stale home %s never repaired", n)
		}
	}
	return nil
}
