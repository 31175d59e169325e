package main

import (
	"context"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/quorumkv/quorumkv/client"
)

// store is what the commands need of the SDK.
type store interface {
	Get(ctx context.Context, key string, o request) (*client.Result, error)
	Put(ctx context.Context, key string, value []byte, o request) (string, error)
	Delete(ctx context.Context, key string, o request) error
	CreateNamespace(ctx context.Context, ns client.Namespace) (string, error)
	ListNamespaces(ctx context.Context) ([]client.Namespace, error)
	// Status asks node ("" for the node embedding the connected server,
	// else any) for its view of the cluster.
	Status(ctx context.Context, node string) (*nodeStatus, error)
	Hints(ctx context.Context, node string) (client.HintsReport, error)
	DrainHints(ctx context.Context, node, target string) (delivered, remaining uint64, err error)
	RepairStatus(ctx context.Context, node string) (client.RepairReport, error)
	RepairNow(ctx context.Context, node string, partition int) (exchanges int, keysRepaired uint64, err error)
	Decommission(ctx context.Context, node string, o client.DecommissionOptions) (state string, err error)
	Remove(ctx context.Context, node string, force bool) error
	Transfers(ctx context.Context, node string) (client.TransfersReport, error)
	// MaxValue is the largest value the cluster accepts, as far as the
	// connection tells (0 if it does not).
	MaxValue() int
	Close()
}

// request holds the per-request options of a key command.
type request struct {
	namespace   string
	r, w        int
	strict      bool
	sloppy      bool
	token       string
	contentType string
	node        string
}

func requestOf(o options) request {
	return request{namespace: o.namespace, r: o.r, w: o.w, strict: o.strict, sloppy: o.sloppy,
		token: o.token, contentType: o.contentType, node: o.node}
}

// sdk converts a request to SDK options.
func (q request) sdk() []client.Option {
	opts := make([]client.Option, 0, 7)
	if q.namespace != "" {
		opts = append(opts, client.WithNamespace(q.namespace))
	}
	if q.r > 0 {
		opts = append(opts, client.WithR(q.r))
	}
	if q.w > 0 {
		opts = append(opts, client.WithW(q.w))
	}
	if q.strict {
		opts = append(opts, client.Strict())
	}
	if q.sloppy {
		opts = append(opts, client.Sloppy())
	}
	if q.token != "" {
		opts = append(opts, client.WithCausalContext(q.token))
	}
	if q.contentType != "" {
		opts = append(opts, client.WithContentType(q.contentType))
	}
	if q.node != "" {
		opts = append(opts, client.ViaNode(q.node))
	}
	return opts
}

// nodeStatus is one node's answer to a status request: its view of the
// members and namespaces, and what it says of itself.
type nodeStatus struct {
	Node           string
	Partitions     int
	Version        string
	Commit         string
	Records        uint64
	DiskBytes      uint64
	PartitionsHeld int
	Members        []memberStatus
	Namespaces     []namespaceStatus
}

// memberStatus is one member as a node sees it.
type memberStatus struct {
	ID, Zone, Addr string
	Weight         int
	Up             bool
	Phi            float64
	LastHeard      time.Duration // -1 when never heard
	State          string        // active, joining, leaving; "" from a node that predates ring states
	Ownership      float64
	Primary        int
	Replica        int
}

type namespaceStatus struct {
	Namespace       client.Namespace
	UnderReplicated bool
	Note            string
}

// nodeStatusOf is the one adapter from the SDK's status to kvcli's.
func nodeStatusOf(st *client.Status) *nodeStatus {
	if st == nil {
		return &nodeStatus{}
	}
	out := &nodeStatus{Node: st.Node, Partitions: st.Partitions, Version: st.Version,
		Commit: st.Commit, Records: st.Records, DiskBytes: st.DiskBytes, PartitionsHeld: st.PartitionsHeld}
	for _, m := range st.Members {
		heard := m.LastHeard
		if heard < 0 {
			heard = -1
		}
		out.Members = append(out.Members, memberStatus{ID: m.ID, Zone: m.Zone, Addr: m.Addr,
			Weight: m.Weight, Up: m.Up, Phi: m.Phi, LastHeard: heard, State: m.State,
			Ownership: m.Ownership, Primary: m.PrimaryPartitions, Replica: m.ReplicaPartitions})
	}
	for _, ns := range st.Namespaces {
		out.Namespaces = append(out.Namespaces, namespaceStatus{Namespace: ns.Namespace,
			UnderReplicated: ns.UnderReplicated, Note: ns.Note})
	}
	return out
}

// sdkStore is the store of a real cluster. Each call is watched by g, so
// that a permission violation fails it at once, naming the subject.
type sdkStore struct {
	c  *client.Client
	nc *nats.Conn
	g  *guard
}

func (s *sdkStore) Get(ctx context.Context, key string, o request) (*client.Result, error) {
	ctx, done := s.g.watch(ctx)
	r, err := s.c.Get(ctx, key, o.sdk()...)
	return r, done(err)
}

func (s *sdkStore) Put(ctx context.Context, key string, value []byte, o request) (string, error) {
	ctx, done := s.g.watch(ctx)
	written, err := s.c.Put(ctx, key, value, o.sdk()...)
	if err = done(err); err != nil {
		return "", err
	}
	return written.Context, nil
}

func (s *sdkStore) Delete(ctx context.Context, key string, o request) error {
	ctx, done := s.g.watch(ctx)
	return done(s.c.Delete(ctx, key, o.sdk()...))
}

func (s *sdkStore) CreateNamespace(ctx context.Context, ns client.Namespace) (string, error) {
	ctx, done := s.g.watch(ctx)
	warning, err := s.c.CreateNamespace(ctx, ns)
	return warning, done(err)
}

func (s *sdkStore) ListNamespaces(ctx context.Context) ([]client.Namespace, error) {
	ctx, done := s.g.watch(ctx)
	list, err := s.c.ListNamespaces(ctx)
	return list, done(err)
}

func (s *sdkStore) Status(ctx context.Context, node string) (*nodeStatus, error) {
	ctx, done := s.g.watch(ctx)
	var opts []client.Option
	if node != "" {
		opts = append(opts, client.ViaNode(node))
	}
	st, err := s.c.Status(ctx, opts...)
	if err = done(err); err != nil {
		return nil, err
	}
	return nodeStatusOf(st), nil
}

func (s *sdkStore) Hints(ctx context.Context, node string) (client.HintsReport, error) {
	ctx, done := s.g.watch(ctx)
	r, err := s.c.Hints(ctx, node)
	return r, done(err)
}

func (s *sdkStore) DrainHints(ctx context.Context, node, target string) (uint64, uint64, error) {
	ctx, done := s.g.watch(ctx)
	d, r, err := s.c.DrainHints(ctx, node, target)
	return d, r, done(err)
}

func (s *sdkStore) RepairStatus(ctx context.Context, node string) (client.RepairReport, error) {
	ctx, done := s.g.watch(ctx)
	r, err := s.c.RepairStatus(ctx, node)
	return r, done(err)
}

func (s *sdkStore) RepairNow(ctx context.Context, node string, partition int) (int, uint64, error) {
	ctx, done := s.g.watch(ctx)
	n, k, err := s.c.RepairNow(ctx, node, partition)
	return n, k, done(err)
}

func (s *sdkStore) Decommission(ctx context.Context, node string, o client.DecommissionOptions) (string, error) {
	ctx, done := s.g.watch(ctx)
	state, err := s.c.Decommission(ctx, node, o)
	return state, done(err)
}

func (s *sdkStore) Remove(ctx context.Context, node string, force bool) error {
	ctx, done := s.g.watch(ctx)
	return done(s.c.Remove(ctx, node, force))
}

func (s *sdkStore) Transfers(ctx context.Context, node string) (client.TransfersReport, error) {
	ctx, done := s.g.watch(ctx)
	r, err := s.c.Transfers(ctx, node)
	return r, done(err)
}

// MaxValue is the value limit the nodes' NATS max payload implies: a node
// sets its max payload to twice its value limit (room for JSON's base64)
// plus its key limit (1 KiB by default) plus 64 KiB for the rest of a
// request.
func (s *sdkStore) MaxValue() int {
	return max(int(s.nc.MaxPayload())-maxKeyBytes-requestOverhead, 0) / 2
}

// The parts of a node's NATS max payload besides the value limit.
const (
	maxKeyBytes     = 1024
	requestOverhead = 64 << 10
)

func (s *sdkStore) Close() {
	s.c.Close()
	s.nc.Close()
}
