package actors

import (
	"math/rand/v2"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/quorumkv/quorumkv/members"
	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/transport"
	"github.com/quorumkv/quorumkv/vclock"
)

// subscribe starts serving: the replica reply inbox and this node's
// internal subject first, so that by the time clients can reach the node it
// can reach its replicas.
func (n *Node) subscribe() error {
	sub, err := n.router.subscribe()
	if err != nil {
		return err
	}
	n.subs = append(n.subs, sub)
	handlers := []struct {
		subject, queue string
		h              transport.Handler
	}{
		{messages.NodeSubjectPrefix(n.id) + ">", "", n.onInternal},
		{messages.SubjectJoin, "", n.onGossip},
		{messages.SubjectGet, messages.APIQueueGroup, n.handleGet},
		{messages.SubjectPut, messages.APIQueueGroup, n.handlePut},
		{messages.SubjectDelete, messages.APIQueueGroup, n.handleDelete},
		{messages.SubjectNamespaceCreate, messages.APIQueueGroup, n.handleNamespaceCreate},
		{messages.SubjectNamespaceList, messages.APIQueueGroup, n.handleNamespaceList},
		{messages.SubjectStatus, messages.APIQueueGroup, n.handleStatus},
		{messages.NodeAPISubject(n.id, "get"), "", n.handleGet},
		{messages.NodeAPISubject(n.id, "put"), "", n.handlePut},
		{messages.NodeAPISubject(n.id, "delete"), "", n.handleDelete},
		{messages.NodeAPISubject(n.id, "status"), "", n.handleStatus},
		{messages.AdminNodeSubject(n.id, messages.AdminHints), "", n.handleHints},
		{messages.AdminNodeSubject(n.id, messages.AdminHintsDrain), "", n.handleHintsDrain},
		{messages.AdminNodeSubject(n.id, messages.AdminRepairState), "", n.handleRepairStatus},
		{messages.AdminNodeSubject(n.id, messages.AdminRepairNow), "", n.handleRepairNow},
		{messages.AdminNodeSubject(n.id, messages.AdminDecommission), "", n.handleDecommission},
		{messages.AdminNodeSubject(n.id, messages.AdminTransfers), "", n.handleTransfers},
		{messages.SubjectRemove, messages.APIQueueGroup, n.handleRemove},
	}
	for _, h := range handlers {
		s, err := n.conn.Subscribe(h.subject, h.queue, h.h)
		if err != nil {
			return err
		}
		n.subs = append(n.subs, s)
	}
	return n.conn.Flush()
}

// onInternal dispatches messages addressed to this node.
func (n *Node) onInternal(m *nats.Msg) {
	switch m.Subject[len(messages.NodeSubjectPrefix(n.id)):] {
	case "batch":
		n.router.onBatch(m)
	case "gossip":
		n.onGossip(m)
	case "ns":
		n.onNamespacePush(m)
	}
}

// prepare validates what every key request shares and builds its scatter.
func (n *Node) prepare(namespace, key string, o *messages.RequestOptions) (scatter, *apiError) {
	began := time.Now()
	if err := checkKey(key, n.cfg.MaxKeyBytes); err != nil {
		return scatter{}, err
	}
	ns, ok := n.ns.get(namespace)
	if !ok {
		return scatter{}, errorf(messages.ErrorCode_ERROR_CODE_UNKNOWN_NAMESPACE, "namespace %q does not exist", namespace)
	}
	plan, err := planRequest(ns, o, n.cfg.RequestTimeout, n.cfg.MaxRequestTimeout)
	if err != nil {
		return scatter{}, err
	}
	v := n.view.Load()
	if v.bootstrap && len(v.members) <= 1 && v.state(n.id) == members.Joining {
		// It has not heard from its cluster yet: a ring of itself alone
		// would take writes nobody else will ever look for. (Nodes that
		// all join each other and have met form a new cluster: they
		// serve.)
		return scatter{}, errorf(messages.ErrorCode_ERROR_CODE_QUORUM_UNAVAILABLE,
			"this node is joining a cluster and has not heard from it yet; retry, or use another node")
	}
	part := n.placement.PartitionOf([]byte(key), n.cfg.Partitions)
	nodes := len(v.prefs(part))
	if nodes < plan.N {
		n.warnUnderReplicated(ns.Name, plan.N, nodes)
	}
	plan = plan.ClampTo(nodes)
	return scatter{env: n.coord, key: key, ns: ns.Name, part: part, plan: plan, mode: ns.Mode, began: began}, nil
}

// prepareWrite is prepare plus the causal context a put or delete carries.
func (n *Node) prepareWrite(namespace, key string, o *messages.RequestOptions, token string) (scatter, vclock.VV, *apiError) {
	sc, err := n.prepare(namespace, key, o)
	if err != nil {
		return sc, nil, err
	}
	ctx, err := decodeContextToken(token)
	return sc, ctx, err
}

// warnUnderReplicated logs once per namespace that the cluster is smaller
// than its N; the status command keeps saying so.
func (n *Node) warnUnderReplicated(ns string, want, have int) {
	n.warnedMu.Lock()
	defer n.warnedMu.Unlock()
	if n.warnedFew[ns] {
		return
	}
	n.warnedFew[ns] = true
	n.log.Warn("namespace is under-replicated: the cluster has fewer nodes than its N",
		"namespace", ns, "n", want, "nodes", have)
}

// coordinate starts a request's coordinator on one of the node's hosts.
func (n *Node) coordinate(sc *scatter, c coordinator) { n.coordHosts.start(sc, c) }

func (n *Node) handleGet(m *nats.Msg) {
	req := &messages.GetRequest{}
	if err := decodeRequest(m, req); err != nil {
		n.reject(m, "get", err, &messages.GetResponse{})
		return
	}
	sc, err := n.prepare(req.Namespace, req.Key, req.Options)
	if err != nil {
		n.reject(m, "get", err, &messages.GetResponse{})
		return
	}
	g := &getCoordinator{scatter: sc, msg: m}
	n.coordinate(&g.scatter, g)
}

func (n *Node) handlePut(m *nats.Msg) {
	req := &messages.PutRequest{}
	if err := decodeRequest(m, req); err != nil {
		n.reject(m, "put", err, &messages.PutResponse{})
		return
	}
	if len(req.Value) > n.cfg.MaxValueBytes {
		// got and needed carry the size and the limit, so clients need
		// not parse the message.
		tooLarge := errorf(messages.ErrorCode_ERROR_CODE_VALUE_TOO_LARGE,
			"value of key %q is %d bytes, over this node's limit of %d bytes (--max-value-bytes); store large objects elsewhere and keep a reference here",
			req.Key, len(req.Value), n.cfg.MaxValueBytes)
		tooLarge.got, tooLarge.needed = len(req.Value), n.cfg.MaxValueBytes
		n.reject(m, "put", tooLarge, &messages.PutResponse{})
		return
	}
	sc, ctx, err := n.prepareWrite(req.Namespace, req.Key, req.Options, req.Context)
	if err != nil {
		n.reject(m, "put", err, &messages.PutResponse{})
		return
	}
	w := vclock.Sibling{Value: req.Value, ContentType: req.ContentType, WriteID: newWriteID()}
	p := &putCoordinator{scatter: sc, msg: m, write: w, context: ctx}
	n.coordinate(&p.scatter, p)
}

func (n *Node) handleDelete(m *nats.Msg) {
	req := &messages.DeleteRequest{}
	if err := decodeRequest(m, req); err != nil {
		n.reject(m, "delete", err, &messages.DeleteResponse{})
		return
	}
	sc, ctx, err := n.prepareWrite(req.Namespace, req.Key, req.Options, req.Context)
	if err != nil {
		n.reject(m, "delete", err, &messages.DeleteResponse{})
		return
	}
	p := &putCoordinator{scatter: sc, msg: m, isDelete: true, write: vclock.Sibling{Tombstone: true, WriteID: newWriteID()}, context: ctx}
	n.coordinate(&p.scatter, p)
}

// reject answers a request that failed validation; nothing was changed.
// Every API response has an "error" field, which reject fills.
func (n *Node) reject(m *nats.Msg, op string, err *apiError, resp proto.Message) {
	r := resp.ProtoReflect()
	if fd := r.Descriptor().Fields().ByName("error"); fd != nil {
		r.Set(fd, protoreflect.ValueOfMessage(err.proto().ProtoReflect()))
	}
	n.metrics.observe(op, err, time.Time{})
	n.respond(m, resp)
}

// newWriteID names one client write, so that its coordinating step run
// twice (a retry after a timeout) yields one sibling, not two. 64 random
// bits: two writes collide with negligible probability, and a collision
// only merges two concurrent siblings of one key.
func newWriteID() uint64 { return rand.Uint64() | 1 }
