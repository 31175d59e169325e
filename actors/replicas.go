package actors

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/storage"
	"github.com/quorumkv/quorumkv/vclock"
)

// errReplicaUnavailable means no replica answered: its node has no
// subscription (it is down or not yet joined) or the call timed out.
var errReplicaUnavailable = errors.New("replica unavailable")

// replicaCall is one operation on one replica's partition actor. Inside the
// process it travels as this struct; to another node as a ReplicaRequest.
type replicaCall struct {
	op        messages.ReplicaOp
	partition int
	namespace string
	key       string
	mode      messages.ConflictMode
	write     vclock.Sibling // PUT
	context   vclock.VV      // PUT
	record    vclock.Record  // MERGE
	// done is called exactly once with the outcome, from any goroutine.
	done func(replicaResult)
}

type replicaResult struct {
	record vclock.Record
	found  bool
	err    error
}

// replicaRouter delivers replica calls: to a local partition actor when the
// replica is this node, else over NATS with replies gathered on one shared
// inbox subscription (no per-call subscription, no per-call goroutine).
type replicaRouter struct {
	self       string
	root       *actor.RootContext
	partitions []*actor.PID
	nc         *nats.Conn
	inbox      string
	timeout    time.Duration
	nextID     atomic.Uint64

	mu sync.Mutex
	// pending maps a call id (the inbox subject's last token) to its call.
	pending map[uint64]pendingCall
}

type pendingCall struct {
	done     func(replicaResult)
	deadline time.Time
}

func newReplicaRouter(self string, root *actor.RootContext, partitions []*actor.PID, nc *nats.Conn, timeout time.Duration) *replicaRouter {
	return &replicaRouter{self: self, root: root, partitions: partitions, nc: nc, timeout: timeout,
		inbox: nats.NewInbox(), pending: map[uint64]pendingCall{}}
}

// subscribe starts the shared reply inbox.
func (r *replicaRouter) subscribe() (*nats.Subscription, error) {
	sub, err := r.nc.Subscribe(r.inbox+".*", r.onReply)
	if err == nil {
		err = sub.SetPendingLimits(-1, -1)
	}
	return sub, err
}

// call sends c to the replica on node.
func (r *replicaRouter) call(node string, c *replicaCall) {
	if node == r.self {
		r.root.Send(r.partitions[c.partition], c)
		return
	}
	data, err := proto.Marshal(replicaRequestProto(c))
	if err != nil {
		c.done(replicaResult{err: err})
		return
	}
	id := r.nextID.Add(1)
	r.mu.Lock()
	r.pending[id] = pendingCall{done: c.done, deadline: time.Now().Add(r.timeout)}
	r.mu.Unlock()
	reply := r.inbox + "." + strconv.FormatUint(id, 10)
	if err := r.nc.PublishRequest(messages.ReplicaSubject(node), reply, data); err != nil {
		r.finish(id, replicaResult{err: err})
	}
}

func (r *replicaRouter) onReply(m *nats.Msg) {
	id, err := strconv.ParseUint(m.Subject[strings.LastIndexByte(m.Subject, '.')+1:], 10, 64)
	if err != nil {
		return
	}
	r.finish(id, decodeReplicaReply(m))
}

// finish hands a result to its call once; late or duplicate replies find no
// entry and are dropped.
func (r *replicaRouter) finish(id uint64, res replicaResult) {
	r.mu.Lock()
	p, ok := r.pending[id]
	delete(r.pending, id)
	r.mu.Unlock()
	if ok {
		p.done(res)
	}
}

// expire fails every call past its deadline, so a coordinator learns that a
// silent replica is gone and can move on to a spare.
func (r *replicaRouter) expire(now time.Time) {
	var late []func(replicaResult)
	r.mu.Lock()
	for id, p := range r.pending {
		if now.After(p.deadline) {
			late = append(late, p.done)
			delete(r.pending, id)
		}
	}
	r.mu.Unlock()
	for _, done := range late {
		done(replicaResult{err: errReplicaUnavailable})
	}
}

func decodeReplicaReply(m *nats.Msg) replicaResult {
	if len(m.Data) == 0 && m.Header.Get("Status") == "503" {
		return replicaResult{err: errReplicaUnavailable}
	}
	resp := &messages.ReplicaResponse{}
	if err := proto.Unmarshal(m.Data, resp); err != nil {
		return replicaResult{err: err}
	}
	if ae := apiErrorFromProto(resp.Error); ae != nil {
		return replicaResult{err: ae}
	}
	return replicaResult{record: storage.RecordFromProto(resp.Record), found: resp.Found}
}

func replicaRequestProto(c *replicaCall) *messages.ReplicaRequest {
	req := &messages.ReplicaRequest{Op: c.op, Partition: uint32(c.partition), Namespace: c.namespace, Key: c.key, Mode: c.mode}
	switch c.op {
	case messages.ReplicaOp_REPLICA_OP_PUT:
		req.Write = siblingToProto(c.write)
		req.Context = vvToProto(c.context)
	case messages.ReplicaOp_REPLICA_OP_MERGE:
		req.Record = storage.RecordToProto(c.record)
	}
	return req
}

// serveReplicaRequest answers a ReplicaRequest from another node's
// coordinator by handing it to the local partition actor.
func (r *replicaRouter) serveReplicaRequest(m *nats.Msg) {
	req := &messages.ReplicaRequest{}
	if err := proto.Unmarshal(m.Data, req); err != nil || int(req.Partition) >= len(r.partitions) {
		respondReplica(m, replicaResult{err: errorf(messages.ErrorCode_ERROR_CODE_MALFORMED_REQUEST, "bad replica request")})
		return
	}
	c := &replicaCall{op: req.Op, partition: int(req.Partition), namespace: req.Namespace, key: req.Key, mode: req.Mode,
		done: func(res replicaResult) { respondReplica(m, res) }}
	switch req.Op {
	case messages.ReplicaOp_REPLICA_OP_PUT:
		c.write = siblingFromProto(req.Write)
		c.context = vvFromProto(req.Context)
	case messages.ReplicaOp_REPLICA_OP_MERGE:
		c.record = storage.RecordFromProto(req.Record)
	}
	if err := validateCall(c); err != nil {
		respondReplica(m, replicaResult{err: errorf(messages.ErrorCode_ERROR_CODE_MALFORMED_REQUEST, "bad replica request: %v", err)})
		return
	}
	r.root.Send(r.partitions[c.partition], c)
}

func respondReplica(m *nats.Msg, res replicaResult) {
	resp := &messages.ReplicaResponse{Found: res.found}
	if res.err != nil {
		resp.Error = toAPIError(res.err).proto()
	} else {
		resp.Record = storage.RecordToProto(res.record)
	}
	if b, err := proto.Marshal(resp); err == nil {
		_ = m.Respond(b)
	}
}

// validateCall checks what a peer sent before it can reach storage: a
// malformed record or context merged in would spread to every replica.
func validateCall(c *replicaCall) error {
	switch c.op {
	case messages.ReplicaOp_REPLICA_OP_PUT:
		return c.context.Validate()
	case messages.ReplicaOp_REPLICA_OP_MERGE:
		return c.record.Validate()
	}
	return nil
}
