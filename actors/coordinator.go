package actors

import (
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/quorum"
	"github.com/quorumkv/quorumkv/vclock"
)

// The coordinator actors hold no decisions: package quorum makes them
// (which replicas, when to answer, what to repair), and the actors feed it
// replies and the deadline and carry out what it returns.
type (
	quorumEvent  = quorum.Event[vclock.Record]
	quorumEffect = quorum.Effect[vclock.Record]
)

// replicaReply carries one replica's answer back into a coordinator.
type replicaReply struct {
	coord uint64 // the coordinator's id on its host
	node  string
	phase quorum.Phase
	res   replicaResult
}

// event is the reply as the quorum state machine takes it.
func (r *replicaReply) event() quorumEvent {
	if r.res.err != nil {
		return quorum.ReplyFailed[vclock.Record](r.node, r.phase)
	}
	ev := quorum.ReplyOK(r.node, r.phase, r.res.record, r.res.found)
	ev.Actor = r.res.actor
	return ev
}

// requestDeadline fires when a request's timeout passes.
type requestDeadline struct{}

// coordStarted is the first message of a coordinator: its host has taken
// it in.
type coordStarted struct{}

// coordEnv is what a coordinator uses of its node, and nothing more: its
// id, the replica router, the cluster view, the hint index, the transport (to answer), the
// metrics and the log.
type coordEnv struct {
	self        string
	router      *replicaRouter
	targets     func(partition int, plan quorum.Plan) quorum.Targets
	hintHolders func(partition int, asked []string) (map[string]bool, []string)
	// readCached reads this node's replica of a key from its partition's
	// record cache, from any goroutine; ok is false when the read must go
	// through the partition actor.
	readCached func(partition int, namespace, key string) (res replicaResult, ok bool)
	respond    func(m *nats.Msg, resp proto.Message)
	metrics    *metrics
	log        *slog.Logger
}

// scatter is what both coordinator actors share: the request, its plan,
// its deadline, and the plumbing from effects to replica calls.
type scatter struct {
	env   *coordEnv
	host  *coordHost
	id    uint64 // the coordinator's id on its host
	key   string
	ns    string
	part  int
	plan  quorum.Plan
	mode  messages.ConflictMode
	timer *time.Timer
	began time.Time
}

// start arms the deadline timer; the timer's message goes through the
// host's mailbox like any other, so no state is touched off the actor
// goroutine.
func (s *scatter) start() {
	host, id := s.host, s.id
	s.timer = time.AfterFunc(s.plan.Timeout, func() { host.deliver(id, requestDeadline{}) })
}

// targets places the request on the key's preference list.
func (s *scatter) targets() quorum.Targets { return s.env.targets(s.part, s.plan) }

// call issues the replica call of a Send effect. Its reply comes back as a
// replicaReply, except a Repair's, whose outcome nobody waits for.
func (s *scatter) call(e quorumEffect, call *replicaCall) {
	call.partition, call.namespace, call.key, call.mode, call.hintFor = s.part, s.ns, s.key, s.mode, e.HintFor
	if e.Phase == quorum.Repair || (e.Phase == quorum.Forward && !s.plan.Strict) {
		call.done = func(replicaResult) {}
	} else {
		host, id, node, ph := s.host, s.id, e.To, e.Phase
		call.done = func(res replicaResult) { host.reply(&replicaReply{coord: id, node: node, phase: ph, res: res}) }
	}
	s.env.router.call(e.To, call)
}

// failureLogs name a failed call by its phase.
var failureLogs = map[quorum.Phase]string{
	quorum.Read:       "replica read failed",
	quorum.Coordinate: "coordinating replica failed",
	quorum.Replicate:  "replica write failed",
	quorum.WriteBack:  "replica write-back failed",
	quorum.Forward:    "forward to a partition's new owner failed",
}

func (s *scatter) logFailure(m *replicaReply) {
	if m.res.err != nil {
		s.env.log.Debug(failureLogs[m.phase], "replica", m.node, "err", m.res.err)
	}
}

// stop ends the coordinator; replies still on their way are dropped.
func (s *scatter) stop() {
	if s.timer != nil {
		s.timer.Stop()
	}
	s.host.remove(s.id)
}

// answerError is a failed quorum answer as the wire carries it.
func answerError(e *quorum.Error) *apiError {
	if e == nil {
		return nil
	}
	code := messages.ErrorCode_ERROR_CODE_QUORUM_UNAVAILABLE
	if e.Code == quorum.Timeout {
		code = messages.ErrorCode_ERROR_CODE_TIMEOUT
	}
	return quorumError(code, e.What, e.Got, e.Needed)
}

// recordVersions merges and compares records under a namespace's
// conflict mode, for the quorum coordinators.
type recordVersions messages.ConflictMode

func (m recordVersions) Sync(a, b vclock.Record) vclock.Record {
	return syncRecords(messages.ConflictMode(m), a, b)
}

func (m recordVersions) Descends(a, b vclock.Record) bool {
	return descends(messages.ConflictMode(m), a, b)
}

// syncRecords merges two replicas' states under the namespace's mode.
func syncRecords(mode messages.ConflictMode, a, b vclock.Record) vclock.Record {
	if mode == messages.ConflictMode_CONFLICT_MODE_LWW {
		return vclock.SyncLWW(a, b)
	}
	return vclock.Sync(a, b)
}

// descends reports whether replica state a already holds everything in b,
// under the namespace's mode.
func descends(mode messages.ConflictMode, a, b vclock.Record) bool {
	if mode == messages.ConflictMode_CONFLICT_MODE_LWW {
		return a.DescendsLWW(b)
	}
	return a.Descends(b)
}
