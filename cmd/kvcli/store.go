package main

import (
	"context"
	"time"

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

// sdkStore is the store of a real cluster.
type sdkStore struct {
	c *client.Client
}

func (s *sdkStore) Get(ctx context.Context, key string, o request) (*client.Result, error) {
	return s.c.Get(ctx, key, o.sdk()...)
}

func (s *sdkStore) Put(ctx context.Context, key string, value []byte, o request) (string, error) {
	written, err := s.c.Put(ctx, key, value, o.sdk()...)
	if err != nil {
		return "", err
	}
	return written.Context, nil
}

func (s *sdkStore) Delete(ctx context.Context, key string, o request) error {
	return s.c.Delete(ctx, key, o.sdk()...)
}

func (s *sdkStore) CreateNamespace(ctx context.Context, ns client.Namespace) (string, error) {
	return s.c.CreateNamespace(ctx, ns)
}

func (s *sdkStore) ListNamespaces(ctx context.Context) ([]client.Namespace, error) {
	return s.c.ListNamespaces(ctx)
}

func (s *sdkStore) Status(ctx context.Context, node string) (*nodeStatus, error) {
	var opts []client.Option
	if node != "" {
		opts = append(opts, client.ViaNode(node))
	}
	st, err := s.c.Status(ctx, opts...)
	if err != nil {
		return nil, err
	}
	return nodeStatusOf(st), nil
}

func (s *sdkStore) Hints(ctx context.Context, node string) (client.HintsReport, error) {
	return s.c.Hints(ctx, node)
}

func (s *sdkStore) DrainHints(ctx context.Context, node, target string) (uint64, uint64, error) {
	return s.c.DrainHints(ctx, node, target)
}

func (s *sdkStore) RepairStatus(ctx context.Context, node string) (client.RepairReport, error) {
	return s.c.RepairStatus(ctx, node)
}

func (s *sdkStore) RepairNow(ctx context.Context, node string, partition int) (int, uint64, error) {
	return s.c.RepairNow(ctx, node, partition)
}

func (s *sdkStore) Decommission(ctx context.Context, node string, o client.DecommissionOptions) (string, error) {
	return s.c.Decommission(ctx, node, o)
}

func (s *sdkStore) Remove(ctx context.Context, node string, force bool) error {
	return s.c.Remove(ctx, node, force)
}

func (s *sdkStore) Transfers(ctx context.Context, node string) (client.TransfersReport, error) {
	return s.c.Transfers(ctx, node)
}

func (s *sdkStore) Close() { s.c.Close() }
