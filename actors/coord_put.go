package actors

import (
	"github.com/asynkron/protoactor-go/actor"
	"github.com/nats-io/nats.go"

	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/vclock"
)

// putCoordinator drives one put or delete (Dynamo §4.5, §5.1): one home
// replica that is up advances the version and persists it; the result is
// merged into the other replicas; the answer goes back after W durable
// acks. Because only replicas issue dots, version vectors grow with
// replicas, not with clients.
type putCoordinator struct {
	scatter
	msg       *nats.Msg
	isDelete  bool
	write     vclock.Sibling
	context   vclock.VV
	rest      []string // targets after the coordinating replica
	record    vclock.Record
	coordNode string // the actor id under which the coordinating replica issued the write's dot
	// hints tracks which home each fallback stands in for.
	hints standIns
}

func (p *putCoordinator) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		p.onStarted(c)
	case *replicaReply:
		p.onReply(c, m)
	case *requestDeadline:
		p.onDeadline(c)
	}
}

func (p *putCoordinator) onStarted(c actor.Context) {
	p.start(c)
	active, spare, homes := p.node.targets(p.part, p.plan)
	p.rest, p.spare, p.homes = preferSelf(active, p.node.id), spare, homes
	// Fallbacks among the starting targets stand in for the homes left
	// out, in preference order; a fallback taken later stands in for the
	// replica whose failure it replaces.
	for _, id := range active {
		if p.isHome(id) {
			p.hints.cover(id)
		}
	}
	p.coordinateNext(c)
}

// preferSelf moves this node to the front when it is a target: the
// coordinator is then the coordinating replica and saves a round trip.
func preferSelf(targets []string, self string) []string {
	out := make([]string, 0, len(targets))
	for _, id := range targets {
		if id == self {
			out = append(out, id)
		}
	}
	for _, id := range targets {
		if id != self {
			out = append(out, id)
		}
	}
	return out
}

// coordinateNext hands the write to the next candidate replica, or gives up
// when none is left.
func (p *putCoordinator) coordinateNext(c actor.Context) {
	var id string
	if len(p.rest) > 0 {
		id, p.rest = p.rest[0], p.rest[1:]
	} else if s, ok := p.nextSpare(); ok {
		id = s
	} else {
		p.answer(quorumError(messages.ErrorCode_ERROR_CODE_QUORUM_UNAVAILABLE, "write", 0, p.plan.w))
		p.stop(c)
		return
	}
	p.inflight++
	p.send(id, phaseCoordinate, &replicaCall{op: messages.ReplicaOp_REPLICA_OP_PUT, write: p.write, context: p.context,
		hintFor: p.hints.assign(id, p.isHome(id), p.homes)})
}

func (p *putCoordinator) onReply(c actor.Context, m *replicaReply) {
	p.inflight--
	if m.phase == phaseCoordinate {
		p.onCoordinated(c, m)
		return
	}
	if m.res.err != nil {
		p.node.log.Debug("replica write failed", "replica", m.node, "err", m.res.err)
		p.hints.release(m.node, p.isHome(m.node))
		p.fill()
	} else {
		p.ok++
	}
	p.settle(c)
}

// onCoordinated replicates the new version once the coordinating replica
// has made it durable, or moves on to another replica when it failed.
func (p *putCoordinator) onCoordinated(c actor.Context, m *replicaReply) {
	if m.res.err != nil {
		p.node.log.Debug("coordinating replica failed", "replica", m.node, "err", m.res.err)
		p.hints.release(m.node, p.isHome(m.node))
		p.coordinateNext(c)
		return
	}
	p.coordNode = m.res.actor
	p.ok = 1
	p.record = m.res.record
	for _, id := range p.rest {
		p.replicate(id)
	}
	p.rest = nil
	p.fill()
	p.settle(c)
}

func (p *putCoordinator) replicate(node string) {
	p.inflight++
	p.send(node, phaseReplicate, &replicaCall{op: messages.ReplicaOp_REPLICA_OP_MERGE, record: p.record,
		hintFor: p.hints.assign(node, p.isHome(node), p.homes)})
}

// fill keeps N replicas written while spares remain (sloppy quorum).
func (p *putCoordinator) fill() {
	for p.ok+p.inflight < p.plan.n {
		id, ok := p.nextSpare()
		if !ok {
			return
		}
		p.replicate(id)
	}
}

// settle answers once W acks are in, or once W can no longer be reached,
// and stops when nothing is in flight.
func (p *putCoordinator) settle(c actor.Context) {
	if !p.answered {
		switch {
		case p.ok >= p.plan.w:
			p.answer(nil)
		case p.ok+p.inflight < p.plan.w:
			p.answer(quorumError(messages.ErrorCode_ERROR_CODE_QUORUM_UNAVAILABLE, "write", p.ok, p.plan.w))
		}
	}
	if p.answered && p.inflight == 0 {
		p.stop(c)
	}
}

func (p *putCoordinator) onDeadline(c actor.Context) {
	if !p.answered {
		p.answer(quorumError(messages.ErrorCode_ERROR_CODE_TIMEOUT, "write", p.ok, p.plan.w))
	}
	p.stop(c)
}

func (p *putCoordinator) answer(err *apiError) {
	p.answered = true
	op := "put"
	if p.isDelete {
		op = "delete"
	}
	p.node.metrics.observe(op, err, p.began)
	if p.isDelete {
		respond(p.msg, &messages.DeleteResponse{Error: err.proto()})
		return
	}
	resp := &messages.PutResponse{Error: err.proto()}
	if err == nil {
		resp.Context = encodeContextToken(vclock.AckContext(p.record, p.coordNode))
	}
	respond(p.msg, resp)
}
