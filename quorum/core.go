package quorum

import "slices"

// core is what the get and put coordinators share: the plan, the targets
// left, the calls in flight and the effects of the current step.
type core[R any] struct {
	plan     Plan
	homes    []string
	spare    []string
	flight   []call
	answered bool
	done     bool
	out      []Effect[R]
	// Room for the usual request's calls and effects inside the
	// coordinator's own allocation: one per request instead of several.
	flightBuf [4]call
	outBuf    [4]Effect[R]
}

// init sets c up in place; c must not be copied afterwards, since flight
// and out start in its own buffers.
func (c *core[R]) init(p Plan, homes, spare []string) {
	c.plan, c.homes, c.spare = p, homes, spare
	c.flight, c.out = c.flightBuf[:0], c.outBuf[:0]
}

// call is one replica call in flight. A coordinator never has two calls
// in flight to one node.
type call struct {
	node  string
	phase Phase
}

// begin starts a step: effects of the previous one are dropped.
func (c *core[R]) begin() { c.out = c.out[:0] }

// send emits a call and, unless nothing answers it (Repair, and Forward
// outside strict mode), tracks it.
func (c *core[R]) send(node string, ph Phase, rec R, hintFor string) {
	if ph != Repair && (ph != Forward || c.plan.Strict) {
		c.flight = append(c.flight, call{node, ph})
	}
	c.out = append(c.out, Effect[R]{Kind: Send, To: node, Phase: ph, Record: rec, HintFor: hintFor})
}

// land removes the call a reply answers. It reports false for a reply to
// no call in flight (a duplicate, or a reply from a node never asked): the
// coordinator ignores those.
func (c *core[R]) land(ev Event[R]) bool {
	i := slices.Index(c.flight, call{ev.Node, ev.Phase})
	if i < 0 {
		return false
	}
	c.flight = slices.Delete(c.flight, i, i+1)
	return true
}

// inflight counts the calls of phase ph in flight.
func (c *core[R]) inflight(ph Phase) int {
	n := 0
	for _, x := range c.flight {
		if x.phase == ph {
			n++
		}
	}
	return n
}

// nextSpare takes the next fallback, if any is left.
func (c *core[R]) nextSpare() (string, bool) {
	if len(c.spare) == 0 {
		return "", false
	}
	n := c.spare[0]
	c.spare = c.spare[1:]
	return n, true
}

func (c *core[R]) isHome(node string) bool { return slices.Contains(c.homes, node) }

// reply emits the one answer a coordinator gives.
func (c *core[R]) reply(e Effect[R]) {
	c.answered = true
	e.Kind = Answer
	c.out = append(c.out, e)
}

// fail emits a failed answer.
func (c *core[R]) fail(code Code, what string, got, needed int) {
	c.reply(Effect[R]{Err: &Error{Code: code, What: what, Got: got, Needed: needed}})
}

// stop emits Done; nothing after it is acted on.
func (c *core[R]) stop() {
	c.done = true
	c.out = append(c.out, Effect[R]{Kind: Done})
}

// none is the empty record that a Read or Coordinate carries: the replica
// reads or writes its own.
func (c *core[R]) none() (r R) { return r }
