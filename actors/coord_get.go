package actors

import (
	"github.com/nats-io/nats.go"

	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/quorum"
	"github.com/quorumkv/quorumkv/vclock"
)

// getCoordinator answers one get. quorum.Get decides (R replies, read
// repair, the strict write-back); this actor makes its calls, answers the
// client and counts repairs.
type getCoordinator struct {
	scatter
	msg *nats.Msg
	q   *quorum.Get[vclock.Record]
	// mine is this node's record when its cache answered the read at
	// once, and mineDigest its version: the other replicas are asked for
	// the record only if theirs differs, and otherwise answer "same".
	mine       vclock.Record
	mineDigest uint64
	// local is this node's own read when its cache answered it on the
	// spot, to be stepped once the current effects are carried out (it
	// is asked at most once).
	local *replicaReply
}

func (g *getCoordinator) receive(msg any) {
	switch m := msg.(type) {
	case coordStarted:
		g.onStarted()
	case *replicaReply:
		g.logFailure(m)
		if m.res.same {
			m.res.record = g.mine
		}
		g.apply(g.q.Step(m.event()))
	case requestDeadline:
		g.apply(g.q.Step(quorum.Deadline[vclock.Record]()))
	}
}

// onStarted plans the read with the hints this node knows of: a home that
// others hold hints for may miss a write they hold.
func (g *getCoordinator) onStarted() {
	g.start()
	t := g.targets()
	hinted, holders := g.env.hintHolders(g.part, quorum.PreferSelf(t.Active, g.env.self))
	h := quorum.Hints{Homes: hinted, Holders: holders}
	g.q = quorum.NewGet[vclock.Record](g.plan, t, g.env.self, h, recordVersions(g.mode))
	g.apply(g.q.Start())
}

func (g *getCoordinator) apply(effs []quorumEffect) {
	for {
		for _, e := range effs {
			switch e.Kind {
			case quorum.Send:
				g.send(e)
			case quorum.Answer:
				g.answer(e)
			case quorum.Done:
				g.stop()
			}
		}
		if g.local == nil {
			return
		}
		// Step only after the loop: effs is valid until the next Step.
		r := g.local
		g.local = nil
		effs = g.q.Step(r.event())
	}
}

func (g *getCoordinator) send(e quorumEffect) {
	if e.Phase == quorum.Read {
		g.read(e)
		return
	}
	if e.Phase == quorum.Repair {
		g.env.metrics.readRepairs.Inc()
	}
	g.call(e, &replicaCall{op: messages.ReplicaOp_REPLICA_OP_MERGE, record: e.Record})
}

// read asks one replica for the key. This node's own replica answers from
// its cache on the spot when it can; since reads go out self first, the
// other replicas' reads then carry its version's digest.
func (g *getCoordinator) read(e quorumEffect) {
	if e.To == g.env.self && g.mineDigest == 0 {
		if res, ok := g.env.readCached(g.part, g.ns, g.key); ok {
			if res.found {
				g.mine, g.mineDigest = res.record, res.record.Digest()
			}
			g.local = &replicaReply{coord: g.id, node: e.To, phase: e.Phase, res: res}
			return
		}
	}
	g.call(e, &replicaCall{op: messages.ReplicaOp_REPLICA_OP_GET, digest: g.mineDigest})
}

func (g *getCoordinator) answer(e quorumEffect) {
	err := forKey(answerError(e.Err), g.ns, g.key, g.plan.Timeout)
	resp := &messages.GetResponse{Error: err.proto()}
	if err == nil {
		live := e.Record.Live()
		resp.Found = len(live) > 0
		resp.Context = encodeContextToken(e.Record.Context)
		for _, s := range live {
			resp.Values = append(resp.Values, &messages.Value{Value: s.Value, ContentType: s.ContentType})
		}
	}
	g.env.metrics.observe("get", err, g.began)
	g.env.respond(g.msg, resp)
}
