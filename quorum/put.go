package quorum

import "slices"

// Put coordinates one put or delete (Dynamo §4.5, §5.1): one replica, this
// node first when it is one, applies the write (it issues the version and
// persists it); the resulting record is merged into the other replicas;
// the answer goes back after W durable acks. A coordinating replica that
// fails hands the write to the next candidate. Fallbacks taken under
// sloppy quorum carry the home they stand in for (Dynamo §4.6).
type Put[R any] struct {
	core[R]
	rest    []string // candidates and replicas after the coordinating one
	forward []string // Targets.Forward
	hints   standIns
	// coveredBuf backs hints.covered: a put's homes fit without a
	// separate allocation.
	coveredBuf [4]string
	ok         int // durable acks, from distinct replicas
	fwdOk      int // a strict put's acks from its forward targets
	record     R
	actor      string // the id under which the coordinating replica issued the dot
}

// NewPut plans a write. Fallbacks among the starting targets stand in for
// the homes left out, in preference order; a fallback taken later stands
// in for the replica whose failure it replaces.
func NewPut[R any](p Plan, t Targets, self string) *Put[R] {
	u := &Put[R]{rest: PreferSelf(t.Active, self), forward: t.Forward}
	u.hints.covered = u.coveredBuf[:0]
	u.init(p, t.Homes, t.Spare)
	for _, id := range t.Active {
		if u.isHome(id) {
			u.hints.cover(id)
		}
	}
	return u
}

// Start returns the first effect: the write to the coordinating replica.
// The slice is valid until the next call.
func (u *Put[R]) Start() []Effect[R] {
	u.begin()
	u.coordinateNext()
	return u.out
}

// Step takes one event and returns what to do. The slice is valid until
// the next call; after Done it is always empty.
func (u *Put[R]) Step(ev Event[R]) []Effect[R] {
	u.begin()
	switch {
	case u.done:
	case ev.Kind == Expired:
		u.onDeadline()
	case !u.land(ev):
	case ev.Phase == Coordinate:
		u.onCoordinated(ev)
	case ev.Phase == Replicate:
		u.onReplicated(ev)
	case ev.Phase == Forward:
		u.onForwarded(ev)
	}
	return u.out
}

// coordinateNext hands the write to the next candidate replica, or gives
// up when none is left.
func (u *Put[R]) coordinateNext() {
	var id string
	if len(u.rest) > 0 {
		id, u.rest = u.rest[0], u.rest[1:]
	} else if s, ok := u.nextSpare(); ok {
		id = s
	} else {
		u.fail(Unavailable, "write", 0, u.plan.W)
		u.stop()
		return
	}
	u.send(id, Coordinate, u.none(), u.hints.assign(id, u.isHome(id), u.homes))
}

// onCoordinated replicates the new version once the coordinating replica
// has made it durable, or moves on to another replica when it failed.
func (u *Put[R]) onCoordinated(ev Event[R]) {
	if ev.Kind == Failed {
		u.hints.release(ev.Node, u.isHome(ev.Node))
		u.coordinateNext()
		return
	}
	u.actor, u.record, u.ok = ev.Actor, ev.Record, 1
	for _, id := range u.rest {
		u.replicate(id)
	}
	u.rest = nil
	u.forward = slices.DeleteFunc(slices.Clone(u.forward), func(id string) bool { return id == ev.Node })
	for _, id := range u.forward {
		u.send(id, Forward, u.record, "")
	}
	if !u.plan.Strict {
		u.forward = nil // fire and forget: nothing waits for them
	}
	u.fill()
	u.settle()
}

// onForwarded counts a strict put's forward: its ack is needed on top of
// W (see settle).
func (u *Put[R]) onForwarded(ev Event[R]) {
	if ev.Kind == Replied {
		u.fwdOk++
	}
	u.settle()
}

func (u *Put[R]) onReplicated(ev Event[R]) {
	if ev.Kind == Failed {
		u.hints.release(ev.Node, u.isHome(ev.Node))
		u.fill()
	} else {
		u.ok++
	}
	u.settle()
}

func (u *Put[R]) replicate(node string) {
	u.send(node, Replicate, u.record, u.hints.assign(node, u.isHome(node), u.homes))
}

// fill keeps N replicas written while spares remain (sloppy quorum).
func (u *Put[R]) fill() {
	for u.ok+len(u.flight) < u.plan.N {
		id, ok := u.nextSpare()
		if !ok {
			return
		}
		u.replicate(id)
	}
}

// settle answers once W acks are in, or once W can no longer be reached,
// and stops when nothing is in flight. A strict put whose partition is
// moving also needs the ack of every forward target (Cassandra's pending
// endpoints): then W replicas hold it on either side of the move, so a
// strict read meets it before and after.
func (u *Put[R]) settle() {
	if !u.answered {
		fwdFlight := u.inflight(Forward)
		switch {
		case u.ok >= u.plan.W && u.fwdOk >= len(u.forward):
			u.reply(Effect[R]{Record: u.record, Actor: u.actor})
		case u.ok+len(u.flight)-fwdFlight < u.plan.W:
			u.fail(Unavailable, "write", u.ok, u.plan.W)
		case u.fwdOk+fwdFlight < len(u.forward):
			u.fail(Unavailable, "write to the partition's new owners", u.fwdOk, len(u.forward))
		}
	}
	if u.answered && len(u.flight) == 0 {
		u.stop()
	}
}

func (u *Put[R]) onDeadline() {
	if !u.answered {
		u.fail(Timeout, "write", u.ok, u.plan.W)
	}
	u.stop()
}
