package actors

import (
	"github.com/nats-io/nats.go"

	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/quorum"
	"github.com/quorumkv/quorumkv/vclock"
)

// putCoordinator drives one put or delete. quorum.Put decides (which
// replica coordinates, where the record goes, which home a fallback stands
// in for, when W is reached); this actor makes its calls and answers the
// client. Because only replicas issue dots, version vectors grow with
// replicas, not with clients.
type putCoordinator struct {
	scatter
	msg      *nats.Msg
	isDelete bool
	write    vclock.Sibling
	context  vclock.VV
	q        *quorum.Put[vclock.Record]
}

func (p *putCoordinator) receive(msg any) {
	switch m := msg.(type) {
	case coordStarted:
		p.start()
		p.q = quorum.NewPut[vclock.Record](p.plan, p.targets(), p.env.self)
		p.apply(p.q.Start())
	case *replicaReply:
		p.logFailure(m)
		p.apply(p.q.Step(m.event()))
	case requestDeadline:
		p.apply(p.q.Step(quorum.Deadline[vclock.Record]()))
	}
}

func (p *putCoordinator) apply(effs []quorumEffect) {
	for _, e := range effs {
		switch e.Kind {
		case quorum.Send:
			p.send(e)
		case quorum.Answer:
			p.answer(e)
		case quorum.Done:
			p.stop()
		}
	}
}

// send writes to the coordinating replica (it issues the version), or
// merges the coordinated record into another replica.
func (p *putCoordinator) send(e quorumEffect) {
	if e.Phase == quorum.Coordinate {
		p.call(e, &replicaCall{op: messages.ReplicaOp_REPLICA_OP_PUT, write: p.write, context: p.context})
		return
	}
	p.call(e, &replicaCall{op: messages.ReplicaOp_REPLICA_OP_MERGE, record: e.Record})
}

func (p *putCoordinator) answer(e quorumEffect) {
	err := forKey(answerError(e.Err), p.ns, p.key, p.plan.Timeout)
	op := "put"
	if p.isDelete {
		op = "delete"
	}
	p.env.metrics.observe(op, err, p.began)
	if p.isDelete {
		p.env.respond(p.msg, &messages.DeleteResponse{Error: err.proto()})
		return
	}
	resp := &messages.PutResponse{Error: err.proto()}
	if err == nil {
		resp.Context = encodeContextToken(vclock.AckContext(e.Record, e.Actor))
	}
	p.env.respond(p.msg, resp)
}
