package actors

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/storage"
	"github.com/quorumkv/quorumkv/transport"
	"github.com/quorumkv/quorumkv/vclock"
	"github.com/quorumkv/quorumkv/wire"
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
	// hintFor (PUT, MERGE on a fallback) is the home node this write
	// stands in for: the fallback keeps it as a hint for that node.
	hintFor string
	level   int   // TREE
	nodes   []int // TREE, SEGMENT: tree node indices at level
	// REAP, opHintDone: the version the record must still have. GET: the
	// version the caller holds; a replica with that version answers
	// "same" instead of sending the record back.
	digest uint64
	limit  int // SCAN: the most record bytes to return
	// done is called exactly once with the outcome, from any goroutine.
	done func(replicaResult)
}

type replicaResult struct {
	record vclock.Record
	found  bool
	// same (GET with a digest): this replica holds the version the caller
	// named; record is left empty.
	same   bool
	err    error
	actor  string      // PUT: the id that issued the write's dot
	hashes []uint64    // TREE
	keys   []keyDigest // SEGMENT
	info   *treeInfo   // opTreeInfo
	// SCAN: the next records, whether more follow, and the partition's
	// size on the replica.
	entries   []storage.ScanEntry
	more      bool
	partBytes uint64
}

// keyDigest is one key's version digest, for anti-entropy.
type keyDigest struct {
	key    string
	digest uint64
}

// replicaRouter delivers replica calls: to a local partition actor when the
// replica is this node, else through the peer's link, which batches them
// with other calls to that peer. Responses come back in batches to this
// node's batch subject and find their call by id.
type replicaRouter struct {
	self       string
	root       *actor.RootContext
	partitions []*actor.PID
	conn       transport.Conn
	inbox      string
	timeout    time.Duration
	links      *links
	nextID     atomic.Uint64

	mu sync.Mutex
	// pending maps a call id to the call waiting for its response.
	pending map[uint64]pendingCall
}

type pendingCall struct {
	done     func(replicaResult)
	deadline time.Time
	peer     string
}

func newReplicaRouter(self string, root *actor.RootContext, partitions []*actor.PID, conn transport.Conn,
	timeout time.Duration, maxPayload int, quit <-chan struct{}, spawn func(func()), stats *linkMetrics) *replicaRouter {
	r := &replicaRouter{self: self, root: root, partitions: partitions, conn: conn, timeout: timeout,
		inbox: transport.NewInbox(), pending: map[uint64]pendingCall{}}
	r.links = &links{self: self, conn: conn, quit: quit, spawn: spawn, limit: maxPayload / 2,
		unreachable: r.failPeer, inbox: r.inbox, stats: stats, byPeer: map[string]*peerLink{}}
	return r
}

// subscribe starts the inbox that receives batches' delivery status.
func (r *replicaRouter) subscribe() (transport.Subscription, error) {
	return r.conn.Subscribe(r.inbox+".*", "", r.onStatus)
}

// call sends c to the replica on node.
func (r *replicaRouter) call(node string, c *replicaCall) {
	if node == r.self {
		r.root.Send(r.partitions[c.partition], c)
		return
	}
	id := r.nextID.Add(1)
	r.mu.Lock()
	r.pending[id] = pendingCall{done: c.done, deadline: time.Now().Add(r.timeout), peer: node}
	r.mu.Unlock()
	r.links.enqueue(node, &messages.ReplicaEnvelope{Id: id, Request: replicaRequestProto(c)})
}

// onStatus handles NATS's no-responders status for a batch sent to a peer
// that has no subscription: every call pending on it fails at once.
func (r *replicaRouter) onStatus(m *nats.Msg) {
	suffix := m.Subject[strings.LastIndexByte(m.Subject, '.')+1:]
	if peer, ok := strings.CutPrefix(suffix, peerStatusPrefix); ok && transport.IsNoResponders(m) {
		r.links.undelivered(peer)
		r.failPeer(peer)
	}
}

// failPeer fails every call pending on peer.
func (r *replicaRouter) failPeer(peer string) {
	var failed []func(replicaResult)
	r.mu.Lock()
	for id, p := range r.pending {
		if p.peer == peer {
			failed = append(failed, p.done)
			delete(r.pending, id)
		}
	}
	r.mu.Unlock()
	for _, done := range failed {
		done(replicaResult{err: errReplicaUnavailable})
	}
}

// onBatch takes a batch from a peer: requests go to the partition actors,
// whose responses go back through the peer's link; responses complete the
// calls waiting for them.
func (r *replicaRouter) onBatch(m *nats.Msg) {
	batch := &messages.ReplicaBatch{}
	if err := proto.Unmarshal(m.Data, batch); err != nil || !ValidNodeName(batch.From) {
		return
	}
	for _, e := range batch.Items {
		switch {
		case e.Request != nil:
			r.serve(batch.From, e.Id, e.Request)
		case e.Response != nil:
			r.finish(e.Id, replicaResultFromProto(e.Response))
		}
	}
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

func replicaResultFromProto(resp *messages.ReplicaResponse) replicaResult {
	if ae := apiErrorFromProto(resp.Error); ae != nil {
		return replicaResult{err: ae}
	}
	res := replicaResult{record: wire.RecordFromProto(resp.Record), found: resp.Found, same: resp.Same, actor: resp.Actor, hashes: resp.Hashes}
	for _, k := range resp.Keys {
		res.keys = append(res.keys, keyDigest{key: k.Key, digest: k.Digest})
	}
	res.more, res.partBytes = resp.More, resp.PartitionBytes
	for _, e := range resp.Entries {
		res.entries = append(res.entries, storage.ScanEntry{Namespace: e.Namespace, Key: e.Key,
			Record: wire.RecordFromProto(e.Record), Size: len(e.Namespace) + len(e.Key) + proto.Size(e.Record)})
	}
	return res
}

func replicaRequestProto(c *replicaCall) *messages.ReplicaRequest {
	req := &messages.ReplicaRequest{Op: c.op, Partition: uint32(c.partition), Namespace: c.namespace, Key: c.key,
		Mode: c.mode, HintFor: c.hintFor, Level: uint32(c.level), Digest: c.digest, LimitBytes: uint32(c.limit)}
	for _, i := range c.nodes {
		req.Nodes = append(req.Nodes, uint32(i))
	}
	switch c.op {
	case messages.ReplicaOp_REPLICA_OP_PUT:
		req.Write = wire.SiblingToProto(c.write)
		req.Context = wire.VVToProto(c.context)
	case messages.ReplicaOp_REPLICA_OP_MERGE:
		req.Record = wire.RecordToProto(c.record)
	}
	return req
}

// serve hands a peer's replica request to the local partition actor; the
// response goes back through the link to that peer.
func (r *replicaRouter) serve(from string, id uint64, req *messages.ReplicaRequest) {
	reply := func(res replicaResult) {
		r.links.enqueue(from, &messages.ReplicaEnvelope{Id: id, Response: replicaResponseProto(res)})
	}
	if int(req.Partition) >= len(r.partitions) {
		reply(replicaResult{err: errorf(messages.ErrorCode_ERROR_CODE_MALFORMED_REQUEST, "partition %d out of range", req.Partition)})
		return
	}
	c := &replicaCall{op: req.Op, partition: int(req.Partition), namespace: req.Namespace, key: req.Key, mode: req.Mode,
		hintFor: req.HintFor, level: int(req.Level), digest: req.Digest, limit: int(req.LimitBytes), done: reply}
	for _, i := range req.Nodes {
		c.nodes = append(c.nodes, int(i))
	}
	switch req.Op {
	case messages.ReplicaOp_REPLICA_OP_PUT:
		c.write = wire.SiblingFromProto(req.Write)
		c.context = wire.VVFromProto(req.Context)
	case messages.ReplicaOp_REPLICA_OP_MERGE:
		c.record = wire.RecordFromProto(req.Record)
	}
	if err := validateCall(c); err != nil {
		reply(replicaResult{err: errorf(messages.ErrorCode_ERROR_CODE_MALFORMED_REQUEST, "bad replica request: %v", err)})
		return
	}
	r.root.Send(r.partitions[c.partition], c)
}

func replicaResponseProto(res replicaResult) *messages.ReplicaResponse {
	resp := &messages.ReplicaResponse{Found: res.found, Same: res.same}
	if res.err != nil {
		resp.Error = toAPIError(res.err).proto()
		return resp
	}
	resp.Record = wire.RecordToProto(res.record)
	resp.Actor, resp.Hashes = res.actor, res.hashes
	for _, k := range res.keys {
		resp.Keys = append(resp.Keys, &messages.KeyDigest{Key: k.key, Digest: k.digest})
	}
	resp.More, resp.PartitionBytes = res.more, res.partBytes
	for _, e := range res.entries {
		resp.Entries = append(resp.Entries, &messages.ScanEntry{Namespace: e.Namespace, Key: e.Key, Record: wire.RecordToProto(e.Record)})
	}
	return resp
}

// validateCall checks what a peer sent before it can reach storage: a
// malformed record or context merged in would spread to every replica.
func validateCall(c *replicaCall) error {
	if c.hintFor != "" && !ValidNodeName(c.hintFor) {
		return fmt.Errorf("hint target %q is not a node name", c.hintFor)
	}
	switch c.op {
	case messages.ReplicaOp_REPLICA_OP_GET, messages.ReplicaOp_REPLICA_OP_TREE,
		messages.ReplicaOp_REPLICA_OP_SEGMENT, messages.ReplicaOp_REPLICA_OP_REAP, messages.ReplicaOp_REPLICA_OP_SCAN:
	case messages.ReplicaOp_REPLICA_OP_PUT:
		return c.context.Validate()
	case messages.ReplicaOp_REPLICA_OP_MERGE:
		return c.record.Validate()
	default:
		// Local-only operations (opHintDone, ...) never come from a peer.
		return fmt.Errorf("unknown operation %d", c.op)
	}
	return nil
}
