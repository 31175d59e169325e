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
	// hinted holds the homes that other nodes hold undelivered hints for,
	// in this key's partition: their "not found" does not count toward R.
	hinted map[string]bool
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
	active, spare, homes := g.node.targets(g.part, g.plan)
	g.homes = homes
	// Ask only R replicas, this node first when it is one: a read costs R
	// replica calls, not N, and R=1 on a replica needs no network at all.
	// The other replicas are the first spares if one of them fails, after
	// the holders of hints for a home that is asked (sloppy quorum only:
	// a strict read counts homes alone).
	active = preferSelf(active, g.node.id)
	var holders []string
	if !g.plan.strict {
		g.hinted, holders = g.node.hintHolders(g.part, active)
	}
	asked := active[:min(g.plan.r, len(active))]
	g.spare = dedupe(slices.Concat(asked, holders, active[len(asked):], spare))[len(asked):]
	for _, id := range asked {
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

// dedupe keeps the first occurrence of each id.
func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
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
		g.replies[m.node] = m.res.record
		g.merged = syncRecords(g.plan.mode, g.merged, m.res.record)
		if !m.res.found && g.hinted[m.node] {
			// The write may sit in a hint not yet delivered to this
			// home: ask a holder instead of trusting the absence.
			g.fill()
		} else {
			g.ok++
		}
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
			// Fallbacks are not repaired: they keep only hints.
			if !g.repaired[id] && g.isHome(id) && !descends(g.plan.mode, rec, g.merged) {
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
