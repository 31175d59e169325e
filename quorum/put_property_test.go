package quorum

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// putModel is what the test knows of a write from outside the coordinator.
type putModel struct {
	sc          *scenario
	d           *driver
	sent        map[string]Phase  // every node called, and how
	failed      map[string]bool   // nodes whose call failed
	hintOf      map[string]string // fallback -> the home its write named
	acks        map[string]bool   // acks that landed before the answer
	coordinated bool
	record      rec
	actor       string
	answers     int
	dones       int
	seen        map[string]int
}

func runPut(rng *rand.Rand, seen map[string]int) error {
	sc := newScenario(rng)
	m := &putModel{sc: sc, seen: seen, d: &driver{rng: rng, sc: sc}, sent: map[string]Phase{}, failed: map[string]bool{},
		hintOf: map[string]string{}, acks: map[string]bool{}}
	u := NewPut[rec](sc.plan, sc.tg, sc.self)
	if err := m.observe(Event[rec]{Kind: Replied}, u.Start()); err != nil {
		return err
	}
	for m.dones == 0 {
		ev, landed := m.d.next(func(c call) rec {
			if c.phase == Coordinate {
				return write(sc.stored[c.node], c.node, "new")
			}
			return rec{}
		})
		if landed {
			m.land(ev)
		} else if ev.Kind != Expired {
			seen["ignored"]++
		}
		if err := m.observe(ev, u.Step(ev)); err != nil {
			return fmt.Errorf("%+v %+v after %+v: %w", sc.plan, sc.tg, ev, err)
		}
	}
	if len(u.Step(Deadline[rec]())) != 0 {
		return fmt.Errorf("acted after Done")
	}
	return nil
}

func (m *putModel) land(ev Event[rec]) {
	switch {
	case ev.Kind == Failed:
		m.failed[ev.Node] = true
	case ev.Phase == Coordinate:
		m.coordinated, m.record, m.actor = true, ev.Record, ev.Actor
		fallthrough
	default:
		if m.answers == 0 {
			m.acks[ev.Node] = true
		}
	}
}

func (m *putModel) observe(ev Event[rec], effs []Effect[rec]) error {
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
			m.dones++
			if i != len(effs)-1 || m.answers != 1 || (ev.Kind != Expired && len(m.d.pending) > 0) {
				err = fmt.Errorf("Done (last %v) after %d answers with %d in flight", i == len(effs)-1, m.answers, len(m.d.pending))
			}
		}
		if err != nil {
			return err
		}
	}
	return m.bounded()
}

// bounded checks that at most N writes are acknowledged or in flight.
func (m *putModel) bounded() error {
	if n := len(m.acks) + len(m.d.pending); m.answers == 0 && n > m.sc.plan.N {
		return fmt.Errorf("%d writes acknowledged or in flight for N=%d", n, m.sc.plan.N)
	}
	return nil
}

func (m *putModel) isHome(n string) bool { return slices.Contains(m.sc.tg.Homes, n) }

func (m *putModel) onSend(e Effect[rec]) error {
	if ph, ok := m.sent[e.To]; ok {
		return fmt.Errorf("%s to %s, already sent %s", e.Phase, e.To, ph)
	}
	if m.sc.plan.Strict && !m.isHome(e.To) {
		return fmt.Errorf("strict write sent to %s, not a home", e.To)
	}
	switch {
	case e.Phase == Coordinate && (m.coordinated || slices.ContainsFunc(m.d.pending, func(c call) bool { return c.phase == Coordinate })):
		return fmt.Errorf("a second coordinating replica %s", e.To)
	case e.Phase == Replicate && (!m.coordinated || !e.Record.Equal(m.record)):
		return fmt.Errorf("replicated to %s before or other than the coordinated record", e.To)
	case e.Phase != Coordinate && e.Phase != Replicate:
		return fmt.Errorf("a write sent %s", e.Phase)
	}
	if err := m.checkHint(e); err != nil {
		return err
	}
	m.sent[e.To] = e.Phase
	m.hintOf[e.To] = e.HintFor
	if e.HintFor != "" {
		m.seen["hint"]++
	}
	if e.Phase == Coordinate && len(m.sent) > 1 {
		m.seen["coordinate"]++ // moved on from a failed coordinating replica
	}
	m.d.pending = append(m.d.pending, call{e.To, e.Phase})
	return nil
}

// checkHint: a home gets no hint; a fallback gets one, naming a home,
// whenever some home is uncovered.
func (m *putModel) checkHint(e Effect[rec]) error {
	if e.HintFor != "" && (m.isHome(e.To) || !m.isHome(e.HintFor)) {
		return fmt.Errorf("write to %s hinted for %s", e.To, e.HintFor)
	}
	if m.isHome(e.To) || e.HintFor != "" {
		return nil
	}
	for _, h := range m.sc.tg.Homes {
		if !m.covered(h) {
			return fmt.Errorf("fallback %s got no hint while home %s is uncovered", e.To, h)
		}
	}
	return nil
}

// covered: a write to h, or to a fallback naming h, is planned, in flight
// or acknowledged (it has not failed).
func (m *putModel) covered(h string) bool {
	_, sent := m.sent[h]
	if (sent || slices.Contains(m.sc.tg.Active, h)) && !m.failed[h] {
		return true
	}
	for f, hint := range m.hintOf {
		if hint == h && !m.failed[f] {
			return true
		}
	}
	return false
}

func (m *putModel) onAnswer(ev Event[rec], e Effect[rec]) error {
	m.answers++
	p := m.sc.plan
	switch {
	case m.answers > 1:
		return fmt.Errorf("answered twice")
	case e.Err == nil:
		m.seen["answer"]++
	default:
		m.seen[codeName[e.Err.Code]]++
	}
	switch {
	case e.Err == nil && (len(m.acks) < p.W || !e.Record.Equal(m.record) || e.Actor != m.actor):
		return fmt.Errorf("success with %d distinct acks of W=%d", len(m.acks), p.W)
	case e.Err == nil:
		return nil
	case e.Err.Code == Timeout && (ev.Kind != Expired || e.Err.Got != len(m.acks)):
		return fmt.Errorf("timeout %+v on %+v", e.Err, ev)
	case e.Err.Code == Unavailable && (e.Err.Got != len(m.acks) || len(m.acks)+len(m.d.pending) >= p.W):
		return fmt.Errorf("unavailable %+v with %d acks and %d in flight", e.Err, len(m.acks), len(m.d.pending))
	case e.Err.Code == Unavailable:
		for _, n := range slices.Concat(m.sc.tg.Active, m.sc.tg.Spare) {
			if _, ok := m.sent[n]; !ok {
				return fmt.Errorf("gave up without trying %s", n)
			}
		}
	}
	return nil
}
