package client_test

// This file holds a FAKE quorumkv node for the SDK's unit tests: an
// embedded nats-server plus a responder on kv.api.* that keeps values in a
// map. It imitates the wire contract (messages/kv.proto) closely enough to
// exercise the SDK's encoding, error mapping and timeouts, and nothing more:
// it has no replicas, no version vectors and no storage. The examples run
// on a real node, and parity_test.go checks the fake's answers against a
// real node's so that the two cannot drift; the node itself is tested end
// to end in e2e/.
//
// Keys that steer the fake:
//
//	fail:<code>  answer with that ErrorCode (got 1, need 2 for quorum codes)
//	slow         answer ERROR_CODE_TIMEOUT once the request's timeout_ms passes
//	hang         never answer
//	garbage      answer bytes that are not a protobuf message
//	status       answer with a NATS status header and no payload
//
// The admin subjects of the maintenance calls are served per node id (see
// maintenance_test.go): n1 and n2 as the up members of the fake's status,
// slow, hang and broken to steer them, and nothing for n3, which is down.

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	"github.com/quorumkv/quorumkv/client"
	"github.com/quorumkv/quorumkv/messages"
)

// fakeUp is how many replicas of every key the fake pretends are reachable:
// an R or W above it is QUORUM_UNAVAILABLE.
const fakeUp = 2

// fakeMembers is the size of the fake cluster; a namespace with a larger N
// gets a warning.
const fakeMembers = 3

// The limits of the fake, a node's defaults; its NATS max payload leaves
// room for a key and the envelope, as a node's does.
const (
	fakeMaxKey     = 1024
	fakeMaxValue   = 1 << 20
	fakeMaxPayload = fakeMaxValue + fakeMaxKey + 64<<10
)

type stored struct {
	value       []byte
	contentType string
	version     uint64
}

type record struct {
	values []stored
	// tomb is the version of the last delete, reported as the context of a
	// missing key.
	tomb uint64
}

type fakeNode struct {
	srv *server.Server
	url string
	nc  *nats.Conn

	// mu guards the fields below.
	mu         sync.Mutex
	version    uint64
	records    map[string]*record // by namespace + "\x00" + key
	namespaces map[string]*messages.Namespace
	last       map[string]proto.Message // last request per subject
	requests   int
}

// startNATS starts an embedded nats-server on a random loopback port.
func startNATS(maxPayload int32) (*server.Server, error) {
	return startServer(&server.Options{MaxPayload: maxPayload})
}

// startServer starts an embedded nats-server with opts on a random
// loopback port.
func startServer(opts *server.Options) (*server.Server, error) {
	opts.Host, opts.Port, opts.NoSigs, opts.NoLog = "127.0.0.1", -1, true, true
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, err
	}
	go s.Start()
	if !s.ReadyForConnections(5 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("nats-server not ready")
	}
	return s, nil
}

// startFake starts a NATS server and the fake responder on it.
func startFake() (*fakeNode, error) {
	return startFakeOn(&server.Options{})
}

// startFakeOn starts a NATS server with opts (users, TLS) and the fake
// responder on it, connected with connOpts.
func startFakeOn(opts *server.Options, connOpts ...nats.Option) (*fakeNode, error) {
	opts.MaxPayload = fakeMaxPayload
	s, err := startServer(opts)
	if err != nil {
		return nil, err
	}
	f := &fakeNode{
		srv:     s,
		url:     s.ClientURL(),
		records: map[string]*record{},
		namespaces: map[string]*messages.Namespace{
			"default": {Name: "default", N: 3, R: 2, W: 2},
		},
		last: map[string]proto.Message{},
	}
	if f.nc, err = nats.Connect(f.url, connOpts...); err != nil {
		s.Shutdown()
		return nil, err
	}
	handlers := map[string]nats.MsgHandler{
		messages.SubjectGet:             f.onGet,
		messages.SubjectPut:             f.onPut,
		messages.SubjectDelete:          f.onDelete,
		messages.SubjectNamespaceCreate: f.onNamespaceCreate,
		messages.SubjectNamespaceList:   f.onNamespaceList,
		messages.SubjectStatus:          f.onStatus,
	}
	for subject, h := range handlers {
		if _, err := f.nc.QueueSubscribe(subject, messages.APIQueueGroup, h); err != nil {
			f.stop()
			return nil, err
		}
	}
	if err := f.serveAdmin(); err != nil {
		f.stop()
		return nil, err
	}
	if err := f.nc.Flush(); err != nil {
		f.stop()
		return nil, err
	}
	return f, nil
}

func (f *fakeNode) stop() {
	f.nc.Close()
	f.srv.Shutdown()
	f.srv.WaitForShutdown()
}

// newFake starts a fake node for one test.
func newFake(t testing.TB) *fakeNode {
	t.Helper()
	f, err := startFake()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.stop)
	return f
}

// lastRequest returns the last request the fake took on subject.
func lastRequest[T proto.Message](f *fakeNode, subject string) T {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, _ := f.last[subject].(T)
	return m
}

func (f *fakeNode) requestCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

// take decodes a request and records it. It reports false, after
// answering MALFORMED_REQUEST, when the payload does not decode.
func (f *fakeNode) take(m *nats.Msg, req proto.Message, errResp func(*messages.Error) proto.Message) bool {
	if err := proto.Unmarshal(m.Data, req); err != nil {
		respond(m, errResp(&messages.Error{Code: messages.ErrorCode_ERROR_CODE_MALFORMED_REQUEST, Message: err.Error()}))
		return false
	}
	f.mu.Lock()
	f.last[m.Subject] = req
	f.requests++
	f.mu.Unlock()
	return true
}

func respond(m *nats.Msg, resp proto.Message) {
	data, err := proto.Marshal(resp)
	if err != nil {
		panic(err)
	}
	_ = m.Respond(data)
}

// refuse answers a value or key over the limits, checked in the order a
// node checks them; it reports true when it has.
func refuse(m *nats.Msg, key string, value []byte, errResp func(*messages.Error) proto.Message) bool {
	var e *messages.Error
	switch {
	case len(value) > fakeMaxValue:
		e = &messages.Error{Code: messages.ErrorCode_ERROR_CODE_VALUE_TOO_LARGE, Got: uint32(len(value)), Needed: fakeMaxValue,
			Message: client.TooLargeText(key, len(value), fakeMaxValue)}
	case key == "":
		e = &messages.Error{Code: messages.ErrorCode_ERROR_CODE_INVALID_KEY, Message: "key is empty"}
	case len(key) > fakeMaxKey:
		e = &messages.Error{Code: messages.ErrorCode_ERROR_CODE_INVALID_KEY,
			Message: fmt.Sprintf("key is %d bytes, the limit is %d", len(key), fakeMaxKey)}
	default:
		return false
	}
	respond(m, errResp(e))
	return true
}

// steer handles the special keys; it reports true when it has dealt with
// the request.
func steer(m *nats.Msg, key string, opts *messages.RequestOptions, errResp func(*messages.Error) proto.Message) bool {
	switch {
	case key == "hang":
		return true
	case key == "garbage":
		_ = m.Respond([]byte{0xff, 0xff, 0xff})
		return true
	case key == "status":
		_ = m.RespondMsg(&nats.Msg{Header: nats.Header{"Status": {"429"}, "Description": {"slow down"}}})
		return true
	case key == "slow":
		d := time.Duration(opts.GetTimeoutMs()) * time.Millisecond
		time.AfterFunc(d, func() {
			respond(m, errResp(&messages.Error{Code: messages.ErrorCode_ERROR_CODE_TIMEOUT,
				Message: "quorum not formed in time", Got: 1, Needed: 2}))
		})
		return true
	case strings.HasPrefix(key, "fail:"):
		code, _ := strconv.Atoi(strings.TrimPrefix(key, "fail:"))
		e := &messages.Error{Code: messages.ErrorCode(code), Message: "injected by the fake"}
		if e.Code == messages.ErrorCode_ERROR_CODE_QUORUM_UNAVAILABLE || e.Code == messages.ErrorCode_ERROR_CODE_TIMEOUT {
			e.Got, e.Needed = 1, 2
		}
		respond(m, errResp(e))
		return true
	}
	return false
}

// quorum checks the namespace and the request's R (a read) or W (a
// write); 0 means the namespace's.
func (f *fakeNode) quorum(nsName string, o *messages.RequestOptions, read bool) *messages.Error {
	if nsName == "" {
		nsName = "default"
	}
	f.mu.Lock()
	ns := f.namespaces[nsName]
	f.mu.Unlock()
	if ns == nil {
		return &messages.Error{Code: messages.ErrorCode_ERROR_CODE_UNKNOWN_NAMESPACE,
			Message: fmt.Sprintf("namespace %q does not exist", nsName)}
	}
	r, w := cmp.Or(o.GetR(), ns.R), cmp.Or(o.GetW(), ns.W)
	if r > ns.N || w > ns.N {
		return &messages.Error{Code: messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT,
			Message: fmt.Sprintf("r=%d w=%d: each must be between 1 and the namespace's n=%d", r, w, ns.N)}
	}
	q := w
	if read {
		q = r
	}
	if q > fakeUp {
		return &messages.Error{Code: messages.ErrorCode_ERROR_CODE_QUORUM_UNAVAILABLE,
			Message: "too few replicas up", Got: fakeUp, Needed: q}
	}
	return nil
}

func recordKey(ns, key string) string {
	if ns == "" {
		ns = "default"
	}
	return ns + "\x00" + key
}

// The fake's context token lists the versions it covers, "v3.7", in
// base64url as a node's tokens are.
func token(versions []uint64) string {
	if len(versions) == 0 {
		return ""
	}
	parts := make([]string, len(versions))
	for i, v := range versions {
		parts[i] = strconv.FormatUint(v, 10)
	}
	return base64.RawURLEncoding.EncodeToString([]byte("v" + strings.Join(parts, ".")))
}

// parseToken reads a token, or says why it cannot as a node does.
func parseToken(s string) (map[uint64]bool, string) {
	seen := map[uint64]bool{}
	if s == "" {
		return seen, ""
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Sprintf("the context is not base64url (%v); send back a context exactly as a get or put returned it, or none for a blind write", err)
	}
	text, ok := strings.CutPrefix(string(b), "v")
	if !ok {
		return nil, "not a context"
	}
	for _, p := range strings.Split(text, ".") {
		v, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return nil, "not a context"
		}
		seen[v] = true
	}
	return seen, ""
}

func (f *fakeNode) onGet(m *nats.Msg) {
	errResp := func(e *messages.Error) proto.Message { return &messages.GetResponse{Error: e} }
	req := new(messages.GetRequest)
	if !f.take(m, req, errResp) || refuse(m, req.Key, nil, errResp) || steer(m, req.Key, req.Options, errResp) {
		return
	}
	if e := f.quorum(req.Namespace, req.GetOptions(), true); e != nil {
		respond(m, errResp(e))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	resp := &messages.GetResponse{}
	rec := f.records[recordKey(req.Namespace, req.Key)]
	switch {
	case rec == nil:
	case len(rec.values) == 0:
		resp.Context = token([]uint64{rec.tomb})
	default:
		resp.Found = true
		var versions []uint64
		for _, v := range rec.values {
			resp.Values = append(resp.Values, &messages.Value{Value: v.value, ContentType: v.contentType})
			versions = append(versions, v.version)
		}
		resp.Context = token(versions)
	}
	respond(m, resp)
}

func (f *fakeNode) onPut(m *nats.Msg) {
	errResp := func(e *messages.Error) proto.Message { return &messages.PutResponse{Error: e} }
	req := new(messages.PutRequest)
	if !f.take(m, req, errResp) || refuse(m, req.Key, req.Value, errResp) || steer(m, req.Key, req.Options, errResp) {
		return
	}
	if e := f.quorum(req.Namespace, req.GetOptions(), false); e != nil {
		respond(m, errResp(e))
		return
	}
	seen, bad := parseToken(req.Context)
	if bad != "" {
		respond(m, errResp(&messages.Error{Code: messages.ErrorCode_ERROR_CODE_BAD_CONTEXT, Message: bad}))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	rec := f.record(req.Namespace, req.Key)
	lww := f.namespaces[nsOrDefault(req.Namespace)].Mode == messages.ConflictMode_CONFLICT_MODE_LWW
	kept := rec.values[:0]
	for _, v := range rec.values {
		if !lww && !seen[v.version] {
			kept = append(kept, v)
		}
	}
	f.version++
	rec.values = append(kept, stored{value: req.Value, contentType: req.ContentType, version: f.version})
	respond(m, &messages.PutResponse{Context: token([]uint64{f.version})})
}

func (f *fakeNode) onDelete(m *nats.Msg) {
	errResp := func(e *messages.Error) proto.Message { return &messages.DeleteResponse{Error: e} }
	req := new(messages.DeleteRequest)
	if !f.take(m, req, errResp) || refuse(m, req.Key, nil, errResp) || steer(m, req.Key, req.Options, errResp) {
		return
	}
	if e := f.quorum(req.Namespace, req.GetOptions(), false); e != nil {
		respond(m, errResp(e))
		return
	}
	seen, bad := parseToken(req.Context)
	if bad != "" {
		respond(m, errResp(&messages.Error{Code: messages.ErrorCode_ERROR_CODE_BAD_CONTEXT, Message: bad}))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	rec := f.record(req.Namespace, req.Key)
	kept := rec.values[:0]
	for _, v := range rec.values {
		if req.Context != "" && !seen[v.version] {
			kept = append(kept, v)
		}
	}
	rec.values = kept
	f.version++
	rec.tomb = f.version
	respond(m, &messages.DeleteResponse{})
}

// record returns the record of key, making it; f.mu must be held.
func (f *fakeNode) record(ns, key string) *record {
	k := recordKey(ns, key)
	rec := f.records[k]
	if rec == nil {
		rec = &record{}
		f.records[k] = rec
	}
	return rec
}

func nsOrDefault(ns string) string {
	if ns == "" {
		return "default"
	}
	return ns
}

func (f *fakeNode) onNamespaceCreate(m *nats.Msg) {
	errResp := func(e *messages.Error) proto.Message { return &messages.NamespaceCreateResponse{Error: e} }
	req := new(messages.NamespaceCreateRequest)
	if !f.take(m, req, errResp) {
		return
	}
	ns := proto.Clone(req.GetNamespace()).(*messages.Namespace)
	if ns.N == 0 {
		ns.N = 3
	}
	if ns.R == 0 {
		ns.R = ns.N/2 + 1
	}
	if ns.W == 0 {
		ns.W = ns.N/2 + 1
	}
	ns.CreatedUnixNano = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano()
	ns.CreatedBy = "fake-1"
	f.mu.Lock()
	defer f.mu.Unlock()
	bad := func(format string, args ...any) {
		respond(m, errResp(&messages.Error{Code: messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, Message: fmt.Sprintf(format, args...)}))
	}
	if ns.R > ns.N || ns.W > ns.N {
		bad("namespace %q: r=%d w=%d: each must be between 1 and n=%d", ns.Name, ns.R, ns.W, ns.N)
		return
	}
	if old := f.namespaces[ns.Name]; old != nil {
		if old.N != ns.N || old.Mode != ns.Mode {
			bad("namespace %q exists with n=%d mode=%s", old.Name, old.N, strings.ToLower(strings.TrimPrefix(old.Mode.String(), "CONFLICT_MODE_")))
			return
		}
		ns = old
	}
	f.namespaces[ns.Name] = ns
	resp := &messages.NamespaceCreateResponse{Namespace: ns}
	if ns.N > fakeMembers {
		resp.Warning = fmt.Sprintf("namespace %q has n=%d but the cluster has %d node(s): it is under-replicated until the cluster grows",
			ns.Name, ns.N, fakeMembers)
	}
	respond(m, resp)
}

func (f *fakeNode) onNamespaceList(m *nats.Msg) {
	errResp := func(e *messages.Error) proto.Message { return &messages.NamespaceListResponse{Error: e} }
	if !f.take(m, new(messages.NamespaceListRequest), errResp) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	resp := &messages.NamespaceListResponse{}
	for _, ns := range f.namespaces {
		resp.Namespaces = append(resp.Namespaces, ns)
	}
	sort.Slice(resp.Namespaces, func(i, j int) bool { return resp.Namespaces[i].Name < resp.Namespaces[j].Name })
	respond(m, resp)
}

func (f *fakeNode) onStatus(m *nats.Msg) {
	errResp := func(e *messages.Error) proto.Message { return &messages.StatusResponse{Error: e} }
	if !f.take(m, new(messages.StatusRequest), errResp) {
		return
	}
	respond(m, &messages.StatusResponse{
		Node:           "n1",
		Partitions:     256,
		Version:        "v1.2.3",
		Commit:         "abc1234",
		Records:        1000,
		DiskBytes:      1 << 20,
		PartitionsHeld: 256,
		Members: []*messages.MemberStatus{
			{Id: "n1", Zone: "a", Weight: 1, Addr: "nats://127.0.0.1:4222", Up: true, Phi: 0.2, LastHeardMs: 0,
				PrimaryPartitions: 128, ReplicaPartitions: 256, State: "active", Ownership: 0.5},
			{Id: "n2", Zone: "b", Weight: 1, Up: true, Phi: 0.4, LastHeardMs: 800, Heartbeat: 42, Incarnation: 2,
				PrimaryPartitions: 128, ReplicaPartitions: 256, State: "joining", Ownership: 0.5},
			{Id: "n3", Zone: "c", Weight: 1, Up: false, Phi: 14.1, LastHeardMs: 31000, ReplicaPartitions: 256, State: "leaving"},
		},
		Namespaces: []*messages.NamespaceStatus{
			{Namespace: &messages.Namespace{Name: "wide", N: 5, R: 3, W: 3}, UnderReplicated: true, Note: "5 replicas wanted, 3 members"},
		},
	})
}
