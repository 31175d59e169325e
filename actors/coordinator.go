package actors

import (
	"slices"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/vclock"
)

// replicaReply carries one replica's answer back into a coordinator.
type replicaReply struct {
	node  string
	phase phase
	res   replicaResult
}

// phase tells a coordinator which of its rounds a reply belongs to.
type phase uint8

const (
	phaseRead phase = iota
	phaseCoordinate
	phaseReplicate
	phaseWriteBack
)

// requestDeadline fires when a request's timeout passes.
type requestDeadline struct{}

// scatter is the shared state of a coordinator's rounds: which replicas are
// in flight, which answered, and which spares remain for sloppy quorum.
type scatter struct {
	node     *Node
	self     *actor.PID
	key      string
	ns       string
	part     int
	plan     quorumPlan
	homes    []string // the key's home replicas
	spare    []string
	inflight int
	ok       int
	answered bool
	timer    *time.Timer
	began    time.Time
}

// start arms the deadline timer; the timer's message goes through the
// mailbox like any other, so no state is touched off the actor goroutine.
func (s *scatter) start(c actor.Context) {
	s.self = c.Self()
	root, self := s.node.system.Root, s.self
	s.timer = time.AfterFunc(s.plan.timeout, func() { root.Send(self, &requestDeadline{}) })
}

// send issues one replica call whose reply comes back as a replicaReply.
func (s *scatter) send(node string, ph phase, call *replicaCall) {
	root, self := s.node.system.Root, s.self
	call.partition, call.namespace, call.key, call.mode = s.part, s.ns, s.key, s.plan.mode
	call.done = func(res replicaResult) { root.Send(self, &replicaReply{node: node, phase: ph, res: res}) }
	s.node.router.call(node, call)
}

// isHome reports whether node is one of the key's home replicas.
func (s *scatter) isHome(node string) bool { return slices.Contains(s.homes, node) }

// nextSpare takes the next fallback, if any is left.
func (s *scatter) nextSpare() (string, bool) {
	if len(s.spare) == 0 {
		return "", false
	}
	n := s.spare[0]
	s.spare = s.spare[1:]
	return n, true
}

// stop ends the coordinator once nothing more can arrive that it cares for.
func (s *scatter) stop(c actor.Context) {
	if s.timer != nil {
		s.timer.Stop()
	}
	c.Stop(s.self)
}

// fireAndForget sends a repair merge whose outcome nobody waits for.
func (s *scatter) fireAndForget(node string, rec vclock.Record) {
	s.node.router.call(node, &replicaCall{op: messages.ReplicaOp_REPLICA_OP_MERGE,
		partition: s.part, namespace: s.ns, key: s.key, mode: s.plan.mode, record: rec,
		done: func(replicaResult) {}})
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
