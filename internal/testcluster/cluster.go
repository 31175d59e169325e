package testcluster

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/quorumkv/quorumkv/client"
)

// Cluster is several kvnode processes whose embedded NATS servers route to
// each other.
type Cluster struct {
	Nodes []*Node
	t     testing.TB
}

// NewCluster prepares size nodes named n1..nN, each joining all the
// others; modify may adjust each node's options. Start launches them.
func NewCluster(t testing.TB, size int, modify func(i int, o *NodeOptions)) *Cluster {
	t.Helper()
	c := &Cluster{t: t}
	for i := range size {
		o := NodeOptions{Name: fmt.Sprintf("n%d", i+1), Clustered: true}
		if modify != nil {
			modify(i, &o)
		}
		c.Nodes = append(c.Nodes, NewNode(t, o))
	}
	for _, n := range c.Nodes {
		for _, peer := range c.Nodes {
			if peer != n {
				n.Opts.Join = append(n.Opts.Join, peer.RouteURL())
			}
		}
	}
	return c
}

// Start launches every node and waits until each sees all the others up
// and active (a cluster formed by nodes that all join has nothing to copy,
// so that takes a gossip round or two).
func (c *Cluster) Start() {
	c.t.Helper()
	for _, n := range c.Nodes {
		n.MustStart()
	}
	c.WaitMembers(60*time.Second, c.Nodes...)
	c.WaitSettled(60*time.Second, c.Nodes...)
}

// Add prepares one more node, joining every node of the cluster (started
// or not); modify may adjust its options. Start it with MustStart.
func (c *Cluster) Add(modify func(o *NodeOptions)) *Node {
	c.t.Helper()
	o := NodeOptions{Name: fmt.Sprintf("n%d", len(c.Nodes)+1), Clustered: true}
	for _, peer := range c.Nodes {
		o.Join = append(o.Join, peer.RouteURL())
	}
	if modify != nil {
		modify(&o)
	}
	n := NewNode(c.t, o)
	c.Nodes = append(c.Nodes, n)
	return n
}

// WaitSettled waits until every node in nodes reports exactly those nodes
// as members, each up and active: no join or departure is under way.
func (c *Cluster) WaitSettled(timeout time.Duration, nodes ...*Node) {
	c.t.Helper()
	for _, n := range nodes {
		WaitFor(c.t, timeout, fmt.Sprintf("%s to see %d active members", n.Opts.Name, len(nodes)), func() bool {
			return Settled(n, nodes)
		})
	}
}

// Settled reports whether n sees exactly the nodes of want as members,
// each up and active.
func Settled(n *Node, want []*Node) bool {
	cl, err := client.Connect(n.URL(), n.Opts.Dial...)
	if err != nil {
		return false
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := cl.Status(ctx, client.ViaNode(n.Opts.Name))
	if err != nil || len(st.Members) != len(want) {
		return false
	}
	names := map[string]bool{}
	for _, w := range want {
		names[w.Opts.Name] = true
	}
	for _, m := range st.Members {
		if !names[m.ID] || !m.Up || m.State != "active" {
			return false
		}
	}
	return true
}

// WaitMembers waits until every running node in expectUp reports exactly
// the nodes of expectUp as up.
func (c *Cluster) WaitMembers(timeout time.Duration, expectUp ...*Node) {
	c.t.Helper()
	want := map[string]bool{}
	for _, n := range expectUp {
		want[n.Opts.Name] = true
	}
	for _, n := range expectUp {
		WaitFor(c.t, timeout, fmt.Sprintf("%s to see %d members up", n.Opts.Name, len(want)), func() bool {
			up, err := UpMembers(n)
			if err != nil || len(up) != len(want) {
				return false
			}
			for _, id := range up {
				if !want[id] {
					return false
				}
			}
			return true
		})
	}
}

// UpMembers asks node n itself which members it sees as up.
func UpMembers(n *Node) ([]string, error) {
	cl, err := client.Connect(n.URL(), n.Opts.Dial...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := cl.Status(ctx, client.ViaNode(n.Opts.Name))
	if err != nil {
		return nil, err
	}
	var up []string
	for _, m := range st.Members {
		if m.Up {
			up = append(up, m.ID)
		}
	}
	return up, nil
}

// Client connects the SDK to node n; it is closed when the test ends.
func (c *Cluster) Client(n *Node) *client.Client {
	c.t.Helper()
	return Connect(c.t, n)
}

// Connect connects the SDK to node n; it is closed when the test ends.
func Connect(t testing.TB, n *Node) *client.Client {
	t.Helper()
	cl, err := client.Connect(n.URL(), n.Opts.Dial...)
	if err != nil {
		t.Fatalf("connect to %s: %v", n.Opts.Name, err)
	}
	t.Cleanup(cl.Close)
	return cl
}
