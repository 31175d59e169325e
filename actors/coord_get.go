package actors

import (
	"slices"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/nats-io/nats.go"

	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/vclock"
)

// getCoordinator answers one get: it asks R of the N replicas (more only
// when some fail), answers with the merged siblings, and repairs the
// replicas it asked that were stale (Dynamo §4.5, §5.1). Under strict quorum a disagreement is written back to
// W replicas before the answer, so no later read can see an older value
// than this one returned (the write-back phase of the ABD register).
type getCoordinator struct {
	scatter
	msg      *nats.Msg
	merged   vclock.Record
	replies  map[string]vclock.Record
	wbOk     int
	wbFlight int
	wbNeed   int
	repaired map[string]bool
	finished bool
}

func (g *getCoordinator) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		g.onStarted(c)
	case *replicaReply:
		g.onReply(c, m)
	case *requestDeadline:
		g.onDeadline(c)
	}
}

func (g *getCoordinator) onStarted(c actor.Context) {
	g.start(c)
	g.replies = make(map[string]vclock.Record, g.plan.n)
	active, spare := g.node.targets(g.part, g.plan)
	// Ask only R replicas, this node first when it is one: a read costs R
	// replica calls, not N, and R=1 on a replica needs no network at all.
	// The other replicas are the first spares if one of them fails.
	active = preferSelf(active, g.node.id)
	g.spare = slices.Concat(active[min(g.plan.r, len(active)):], spare)
	for _, id := range active[:min(g.plan.r, len(active))] {
		g.askRead(id)
	}
	g.fill()
	g.checkUnavailable(c)
	g.maybeFinish(c)
}

// maybeFinish ends the request once it is answered and nothing is in flight.
func (g *getCoordinator) maybeFinish(c actor.Context) {
	if g.answered && g.inflight == 0 && g.wbFlight == 0 {
		g.finish(c)
	}
}

func (g *getCoordinator) askRead(node string) {
	g.inflight++
	g.send(node, phaseRead, &replicaCall{op: messages.ReplicaOp_REPLICA_OP_GET})
}

// fill keeps R reads in flight while spares remain.
func (g *getCoordinator) fill() {
	for g.ok+g.inflight < g.plan.r {
		id, ok := g.nextSpare()
		if !ok {
			return
		}
		g.askRead(id)
	}
}

func (g *getCoordinator) onReply(c actor.Context, m *replicaReply) {
	if m.phase == phaseWriteBack {
		g.onWriteBack(c, m)
		return
	}
	g.inflight--
	if m.res.err != nil {
		g.node.log.Debug("replica read failed", "replica", m.node, "err", m.res.err)
		g.fill()
	} else {
		g.ok++
		g.replies[m.node] = m.res.record
		g.merged = syncRecords(g.plan.mode, g.merged, m.res.record)
	}
	if !g.answered && g.ok >= g.plan.r {
		g.onQuorum(c)
	}
	g.checkUnavailable(c)
	g.maybeFinish(c)
}

func (g *getCoordinator) checkUnavailable(c actor.Context) {
	if g.answered || g.ok+g.inflight >= g.plan.r {
		return
	}
	g.answer(quorumError(messages.ErrorCode_ERROR_CODE_QUORUM_UNAVAILABLE, "read", g.ok, g.plan.r))
}

// onQuorum answers, or under strict quorum with disagreeing replies first
// writes the merged record back to W replicas.
func (g *getCoordinator) onQuorum(c actor.Context) {
	if !g.plan.strict || g.agree() {
		g.answer(nil)
		return
	}
	// The merged state must reach W replicas; when R < W only the replicas
	// that answered are asked, so the bar is at most their number.
	g.wbNeed = min(g.plan.w, len(g.replies))
	g.repaired = map[string]bool{}
	for id, rec := range g.replies {
		if descends(g.plan.mode, rec, g.merged) {
			g.wbOk++
			continue
		}
		g.repaired[id] = true
		g.wbFlight++
		g.send(id, phaseWriteBack, &replicaCall{op: messages.ReplicaOp_REPLICA_OP_MERGE, record: g.merged})
	}
	if g.wbOk >= g.wbNeed {
		g.answer(nil)
	}
}

func (g *getCoordinator) onWriteBack(c actor.Context, m *replicaReply) {
	g.wbFlight--
	if m.res.err == nil {
		g.wbOk++
	}
	if !g.answered && g.wbOk >= g.wbNeed {
		g.answer(nil)
	}
	if !g.answered && g.wbFlight == 0 {
		g.answer(quorumError(messages.ErrorCode_ERROR_CODE_QUORUM_UNAVAILABLE, "read write-back", g.wbOk, g.wbNeed))
	}
	g.maybeFinish(c)
}

// agree reports whether every reply already holds the merged state.
func (g *getCoordinator) agree() bool {
	for _, rec := range g.replies {
		if !descends(g.plan.mode, rec, g.merged) {
			return false
		}
	}
	return true
}

func (g *getCoordinator) onDeadline(c actor.Context) {
	if !g.answered {
		g.answer(quorumError(messages.ErrorCode_ERROR_CODE_TIMEOUT, "read", g.ok, g.plan.r))
	}
	g.finish(c)
}

// finish repairs every replica that answered with a stale state, then stops.
func (g *getCoordinator) finish(c actor.Context) {
	if g.finished {
		return
	}
	g.finished = true
	if g.ok > 0 {
		for id, rec := range g.replies {
			if !g.repaired[id] && !descends(g.plan.mode, rec, g.merged) {
				g.node.metrics.readRepairs.Inc()
				g.fireAndForget(id, g.merged)
			}
		}
	}
	g.stop(c)
}

func (g *getCoordinator) answer(err *apiError) {
	g.answered = true
	resp := &messages.GetResponse{Error: err.proto()}
	if err == nil {
		live := g.merged.Live()
		resp.Found = len(live) > 0
		resp.Context = encodeContextToken(g.merged.Context)
		for _, s := range live {
			resp.Values = append(resp.Values, &messages.Value{Value: s.Value, ContentType: s.ContentType})
		}
	}
	g.node.metrics.observe("get", err, g.began)
	respond(g.msg, resp)
}
