package sim

import (
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"google.golang.org/protobuf/proto"

	"github.com/quorumkv/quorumkv/actors"
	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/transport"
)

// Options shape a simulated cluster.
type Options struct {
	Nodes int
	// Joiners are more nodes, created but not started: each joins the
	// running cluster when Start starts it (ownership transfer).
	Joiners    int
	Partitions int
	Logger     *slog.Logger
}

// Cluster is several nodes in this process on one MemNet.
type Cluster struct {
	Net    *transport.MemNet
	nodes  []*simNode
	opts   Options
	client transport.Conn
}

type simNode struct {
	name string
	fs   *vfs.MemFS
	node *actors.Node // nil while down
	// joiner: started with Join; pending: a joiner not started yet;
	// retired: it left the cluster (decommissioned) and stays down.
	joiner, pending, retired bool
	// skew is added to the node's wall clock (nanoseconds): clock jumps.
	skew atomic.Int64
}

// NewCluster starts opts.Nodes nodes named s1..sN and waits until each
// sees all the others up.
func NewCluster(net *transport.MemNet, opts Options) (*Cluster, error) {
	c := &Cluster{Net: net, opts: opts, client: net.Endpoint("client")}
	for i := range opts.Nodes + opts.Joiners {
		joiner := i >= opts.Nodes
		c.nodes = append(c.nodes, &simNode{name: fmt.Sprintf("s%d", i+1), fs: vfs.NewCrashableMem(), joiner: joiner, pending: joiner})
	}
	for i := range opts.Nodes {
		if err := c.Start(i); err != nil {
			c.Close()
			return nil, err
		}
	}
	if err := c.WaitAllUp(60 * time.Second); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Names lists the nodes' ids.
func (c *Cluster) Names() []string {
	out := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		out[i] = n.name
	}
	return out
}

// Up reports whether node i is running.
func (c *Cluster) Up(i int) bool { return c.nodes[i].node != nil }

// Member reports whether node i is part of the cluster, running or not: it
// has been started and has not left.
func (c *Cluster) Member(i int) bool { return !c.nodes[i].pending && !c.nodes[i].retired }

// Joiners lists the indexes of the nodes that join when started.
func (c *Cluster) Joiners() []int {
	var out []int
	for i, n := range c.nodes {
		if n.joiner {
			out = append(out, i)
		}
	}
	return out
}

// config is a node's configuration: every interval short, so that a run
// sees failure detection, hint delivery and anti-entropy within seconds.
func (c *Cluster) config(n *simNode) actors.Config {
	var join []string
	if n.joiner {
		join = []string{"mem://cluster"}
	}
	return actors.Config{Join: join,
		Name: n.name, DataDir: "data", FS: n.fs, Transport: c.Net.Endpoint(n.name),
		Partitions: c.opts.Partitions, RequestTimeout: 2 * time.Second, ReplicaTimeout: 500 * time.Millisecond,
		GossipInterval: 100 * time.Millisecond, HintInterval: 100 * time.Millisecond,
		AEInterval: 300 * time.Millisecond, RecordCacheBytes: -1, Logger: c.opts.Logger,
		WallClock: func() int64 { return time.Now().UnixNano() + n.skew.Load() },
	}
}

// Start starts node i on its filesystem.
func (c *Cluster) Start(i int) error {
	n := c.nodes[i]
	if n.node != nil || n.retired {
		return nil
	}
	n.pending = false
	c.Net.Rejoin(n.name)
	node, err := actors.Start(c.config(n))
	if errors.Is(err, actors.ErrLeft) {
		n.retired = true // it left before a crash: it stays out
		return nil
	}
	if err != nil {
		return fmt.Errorf("start %s: %w", n.name, err)
	}
	n.node = node
	return nil
}

// Crash stops node i as a power cut would: it is cut off first, so that it
// acknowledges nothing more, then its filesystem is replaced by a crash
// clone holding only what was synced, and the process state is dropped.
func (c *Cluster) Crash(i int) {
	n := c.nodes[i]
	if n.node == nil {
		return
	}
	c.Net.Isolate(n.name)
	crashed := n.fs.CrashClone(vfs.CrashCloneCfg{})
	_ = n.node.Stop() // closes pebble on the old filesystem, which is dropped
	n.node, n.fs = nil, crashed
}

// Close stops every node.
func (c *Cluster) Close() {
	for _, n := range c.nodes {
		if n.node != nil {
			_ = n.node.Stop()
			n.node = nil
		}
	}
	c.client.Close()
}

// WaitAllUp waits until every running node sees every running node up
// (stopping, meanwhile, the nodes that have left).
func (c *Cluster) WaitAllUp(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if err := c.ReapLeft(); err != nil {
			return err
		}
		if c.allUp() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nodes did not all see each other up within %v", timeout)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition with a deadline
	}
}

func (c *Cluster) allUp() bool {
	want := 0
	for _, n := range c.nodes {
		if n.node != nil {
			want++
		}
	}
	for _, n := range c.nodes {
		if n.node == nil {
			continue
		}
		var st messages.StatusResponse
		if err := c.call(n.name, "status", &messages.StatusRequest{}, &st, time.Second); err != nil {
			return false
		}
		up := 0
		for _, m := range st.Members {
			if m.Up && c.running(m.Id) {
				up++
			}
		}
		if up != want {
			return false
		}
	}
	return true
}

func (c *Cluster) running(id string) bool {
	for _, n := range c.nodes {
		if n.name == id {
			return n.node != nil
		}
	}
	return false
}

// call sends a request to one node's API and decodes the answer.
func (c *Cluster) call(node, op string, req, resp proto.Message, timeout time.Duration) error {
	return request(c.client, node, op, req, resp, timeout)
}

// request sends a request from conn to one node's API and decodes the
// answer.
func request(conn transport.Conn, node, op string, req, resp proto.Message, timeout time.Duration) error {
	data, err := proto.Marshal(req)
	if err != nil {
		return err
	}
	m, err := conn.Request(messages.NodeAPISubject(node, op), data, timeout)
	if err != nil {
		return err
	}
	return proto.Unmarshal(m.Data, resp)
}

// HostConn returns a new connection on node's host: MemNet never faults
// messages between endpoints of one name, so requests from it to node are
// neither dropped, delayed nor duplicated. A workload that checks a
// register needs that for its puts: a duplicated put is a second write (it
// gets a write id of its own), which a NATS request never becomes. Close
// it when done.
func (c *Cluster) HostConn(node string) transport.Conn { return c.Net.Endpoint(node) }

// GetFrom reads key of namespace ns ("": the default) through node with opts, sending from conn, and returns
// the values (none if not found) and the context token of what it read.
// A transport failure comes back as is (transport.ErrNoResponders means no
// node received the request).
func GetFrom(conn transport.Conn, node, ns, key string, opts *messages.RequestOptions, timeout time.Duration) ([]string, string, error) {
	var resp messages.GetResponse
	if err := request(conn, node, "get", &messages.GetRequest{Namespace: ns, Key: key, Options: opts}, &resp, timeout); err != nil {
		return nil, "", err
	}
	if resp.Error != nil {
		return nil, "", fmt.Errorf("%s: %s", resp.Error.Code, resp.Error.Message)
	}
	var out []string
	for _, v := range resp.Values {
		out = append(out, string(v.Value))
	}
	return out, resp.Context, nil
}

// PutFrom writes key=value in namespace ns through node with opts, superseding what the
// context token ctx covers (empty: a blind write), sending from conn, and
// returns the context of the version written. Any error leaves the
// outcome unknown, except transport.ErrNoResponders: nobody received it.
func PutFrom(conn transport.Conn, node, ns, key, value, ctx string, opts *messages.RequestOptions, timeout time.Duration) (string, error) {
	var resp messages.PutResponse
	err := request(conn, node, "put", &messages.PutRequest{Namespace: ns, Key: key, Value: []byte(value), Context: ctx, Options: opts},
		&resp, timeout)
	if err != nil {
		return "", err
	}
	if resp.Error != nil {
		return "", fmt.Errorf("%s: %s", resp.Error.Code, resp.Error.Message)
	}
	return resp.Context, nil
}

// Put writes key=value through node with quorum w; it reports whether the
// write was acknowledged.
func (c *Cluster) Put(node, key, value string, w int) (bool, error) {
	var resp messages.PutResponse
	err := c.call(node, "put", &messages.PutRequest{Key: key, Value: []byte(value),
		Options: &messages.RequestOptions{W: uint32(w)}}, &resp, 3*time.Second)
	if err != nil {
		return false, nil // no answer: unknown outcome, not acknowledged
	}
	if resp.Error != nil {
		return false, nil
	}
	return true, nil
}

// Get reads key through node with quorum r and returns the values.
func (c *Cluster) Get(node, key string, r int) ([]string, error) {
	var resp messages.GetResponse
	if err := c.call(node, "get", &messages.GetRequest{Key: key, Options: &messages.RequestOptions{R: uint32(r)}},
		&resp, 3*time.Second); err != nil {
		return nil, err
	}
	if resp.Error != nil {
		return nil, fmt.Errorf("%s: %s", resp.Error.Code, resp.Error.Message)
	}
	var out []string
	for _, v := range resp.Values {
		out = append(out, string(v.Value))
	}
	return out, nil
}

// Decommission asks node i to hand its partitions on and leave.
func (c *Cluster) Decommission(i int) error {
	data, err := proto.Marshal(&messages.DecommissionRequest{})
	if err != nil {
		return err
	}
	m, err := c.client.Request(messages.AdminNodeSubject(c.nodes[i].name, messages.AdminDecommission), data, 3*time.Second)
	if err != nil {
		return err
	}
	var resp messages.DecommissionResponse
	if err := proto.Unmarshal(m.Data, &resp); err != nil {
		return err
	}
	if resp.Error != nil {
		return fmt.Errorf("decommission %s: %s", c.nodes[i].name, resp.Error.Message)
	}
	return nil
}

// ReapLeft stops the nodes that have left the cluster (they report
// actors.ErrLeft): they stay down for good. Any other fatal error is
// returned.
func (c *Cluster) ReapLeft() error {
	for _, n := range c.nodes {
		if n.node == nil {
			continue
		}
		select {
		case err := <-n.node.Fatal():
			if !errors.Is(err, actors.ErrLeft) {
				return fmt.Errorf("%s stopped: %w", n.name, err)
			}
			_ = n.node.Stop()
			n.node, n.retired = nil, true
		default:
		}
	}
	return nil
}

// WaitSettled waits until every running node sees exactly the members
// (running or not) as members, each active: no join or departure is
// under way.
func (c *Cluster) WaitSettled(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if err := c.ReapLeft(); err != nil {
			return err
		}
		if c.settled() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("membership did not settle within %v", timeout)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition with a deadline
	}
}

func (c *Cluster) settled() bool {
	want := map[string]bool{}
	for i, n := range c.nodes {
		if c.Member(i) {
			want[n.name] = true
		}
	}
	for _, n := range c.nodes {
		if n.node == nil {
			continue
		}
		var st messages.StatusResponse
		if err := c.call(n.name, "status", &messages.StatusRequest{}, &st, time.Second); err != nil || len(st.Members) != len(want) {
			return false
		}
		for _, m := range st.Members {
			if !want[m.Id] || m.State != "active" {
				return false
			}
		}
	}
	return true
}

// JumpClock moves node i's wall clock by d (either way); it stays moved
// across restarts, as a machine's clock would.
func (c *Cluster) JumpClock(i int, d time.Duration) { c.nodes[i].skew.Add(int64(d)) }

// CreateNamespace creates a namespace through any node.
func (c *Cluster) CreateNamespace(ns *messages.Namespace) error {
	data, err := proto.Marshal(&messages.NamespaceCreateRequest{Namespace: ns})
	if err != nil {
		return err
	}
	m, err := c.client.Request(messages.SubjectNamespaceCreate, data, 5*time.Second)
	if err != nil {
		return err
	}
	var resp messages.NamespaceCreateResponse
	if err := proto.Unmarshal(m.Data, &resp); err != nil {
		return err
	}
	if resp.Error != nil {
		return fmt.Errorf("create namespace %s: %s", ns.Name, resp.Error.Message)
	}
	return nil
}
