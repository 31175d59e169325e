package e2e

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/quorumkv/quorumkv/client"
	"github.com/quorumkv/quorumkv/internal/testcluster"
	"github.com/quorumkv/quorumkv/ring"
)

func startCluster(t *testing.T, size int) *testcluster.Cluster {
	t.Helper()
	c := testcluster.NewCluster(t, size, nil)
	c.Start()
	return c
}

func put(t *testing.T, c *client.Client, key, val string, opts ...client.Option) string {
	t.Helper()
	tok, err := c.Put(testCtx(t), key, []byte(val), opts...)
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
	return tok.Context
}

func values(r *client.Result) []string {
	var out []string
	for _, v := range r.Values {
		out = append(out, string(v.Data))
	}
	return out
}

// Dynamo §4.3: any node coordinates; a write through one is read through
// every other.
func TestWriteThroughOneReadThroughEveryOther(t *testing.T) {
	for _, size := range []int{3, 5} {
		t.Run(fmt.Sprintf("%d nodes", size), func(t *testing.T) {
			cl := startCluster(t, size)
			c := cl.Client(cl.Nodes[0])
			for i := range 20 {
				put(t, c, fmt.Sprintf("key-%d", i), fmt.Sprintf("val-%d", i), client.ViaNode("n1"))
			}
			for _, n := range cl.Nodes[1:] {
				for i := range 20 {
					res, err := c.Get(testCtx(t), fmt.Sprintf("key-%d", i), client.ViaNode(n.Opts.Name))
					if err != nil || len(res.Values) != 1 || string(res.Values[0].Data) != fmt.Sprintf("val-%d", i) {
						t.Fatalf("read key-%d via %s: %v %v", i, n.Opts.Name, res, err)
					}
				}
			}
		})
	}
}

func TestQuorumSurvivesOneOfThreeKilled(t *testing.T) {
	cl := startCluster(t, 3)
	c := cl.Client(cl.Nodes[0])
	cl.Nodes[2].Kill()
	for i := range 30 {
		key := fmt.Sprintf("k%d", i)
		via := client.ViaNode(cl.Nodes[i%2].Opts.Name)
		put(t, c, key, "v", client.WithW(2), client.WithR(2), client.Strict(), via)
		res, err := c.Get(testCtx(t), key, client.WithR(2), client.Strict(), via)
		if err != nil || len(res.Values) != 1 {
			t.Fatalf("get %s with n3 down: %v %v", key, res, err)
		}
	}
}

func TestTwoOfThreeDown(t *testing.T) {
	cl := startCluster(t, 3)
	c := cl.Client(cl.Nodes[0])
	cl.Nodes[1].Kill()
	cl.Nodes[2].Kill()
	for _, mode := range []client.Option{client.Strict(), client.Sloppy()} {
		_, err := c.Put(testCtx(t), "k", []byte("v"), client.WithW(2), mode)
		var e *client.Error
		if !errors.Is(err, client.ErrQuorumUnavailable) || !errors.As(err, &e) || e.Needed != 2 || e.Got != 1 {
			t.Fatalf("W=2 with two of three down: want quorum unavailable got 1 needed 2, got %v", err)
		}
	}
	// W=1 still succeeds: always writeable where the quorum asked allows it.
	put(t, c, "k", "v", client.WithW(1))
}

// Dynamo §4.6: with sloppy quorum a write lands on a fallback when home
// replicas are down; strict quorum refuses it.
func TestSloppyQuorumUsesFallbacks(t *testing.T) {
	cl := startCluster(t, 5)
	var ids []ring.Member
	for _, n := range cl.Nodes {
		ids = append(ids, ring.Member{ID: n.Opts.Name, Weight: 1})
	}
	r, err := ring.New(ring.DefaultPartitions, ring.DefaultTokensPerWeight, ids)
	if err != nil {
		t.Fatal(err)
	}
	key := "fallback-key"
	home := r.Replicas(ring.PartitionOf([]byte(key), ring.DefaultPartitions), 3)
	byName := map[string]*testcluster.Node{}
	for _, n := range cl.Nodes {
		byName[n.Opts.Name] = n
	}
	byName[home[0]].Kill()
	byName[home[1]].Kill()
	var via string
	for _, n := range cl.Nodes {
		if n.Opts.Name != home[0] && n.Opts.Name != home[1] {
			via = n.Opts.Name
			break
		}
	}
	c := cl.Client(byName[via])
	_, err = c.Put(testCtx(t), key, []byte("strict"), client.WithW(2), client.Strict(), client.ViaNode(via))
	if !errors.Is(err, client.ErrQuorumUnavailable) {
		t.Fatalf("strict W=2 with two home replicas down: want quorum unavailable, got %v", err)
	}
	put(t, c, key, "sloppy", client.WithW(2), client.Sloppy(), client.ViaNode(via))
	res, err := c.Get(testCtx(t), key, client.WithR(2), client.Sloppy(), client.ViaNode(via))
	// As in Dynamo, a write that failed its quorum may still have reached
	// the one live home replica; it then survives as a sibling.
	got := values(res)
	if err != nil || !slices.Contains(got, "sloppy") || len(got) > 2 {
		t.Fatalf("sloppy read back: %v %v", got, err)
	}
}

// Dynamo §4.4: concurrent writes are kept as siblings; a write with the
// context of a read resolves them.
func TestSiblingsAcrossNodes(t *testing.T) {
	cl := startCluster(t, 3)
	c := cl.Client(cl.Nodes[0])
	for i, n := range cl.Nodes {
		put(t, c, "cart", fmt.Sprintf("from-%d", i), client.ViaNode(n.Opts.Name), client.WithCausalContext(""))
	}
	res, err := c.Get(testCtx(t), "cart", client.WithR(3))
	if err != nil || len(res.Values) != 3 {
		t.Fatalf("three blind writes through three nodes: want 3 siblings, got %v %v", values(res), err)
	}
	put(t, c, "cart", "merged", client.WithCausalContext(res.Context), client.ViaNode("n2"))
	res, err = c.Get(testCtx(t), "cart", client.WithR(3))
	if err != nil || len(res.Values) != 1 || string(res.Values[0].Data) != "merged" {
		t.Fatalf("contextual write: want 1 value, got %v %v", values(res), err)
	}
}

// The sibling count stays bounded by the number of concurrent writers when
// every writer writes with the context of its own read (dotted version
// vectors; no sibling explosion).
func TestHotKeySiblingsBoundedByWriters(t *testing.T) {
	cl := startCluster(t, 3)
	const writers, rounds = 20, 15
	clients := []*client.Client{cl.Client(cl.Nodes[0]), cl.Client(cl.Nodes[1]), cl.Client(cl.Nodes[2])}
	var mu sync.Mutex
	maxSiblings := 0
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := clients[w%3]
			for i := range rounds {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				res, err := c.Get(ctx, "hot")
				token := ""
				if err == nil {
					token = res.Context
					mu.Lock()
					maxSiblings = max(maxSiblings, len(res.Values))
					mu.Unlock()
				} else if !errors.Is(err, client.ErrNotFound) {
					cancel()
					errs <- err
					return
				} else {
					token = res.Context
				}
				_, err = c.Put(ctx, "hot", []byte(fmt.Sprintf("w%d-%d", w, i)), client.WithCausalContext(token))
				cancel()
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	res, err := clients[0].Get(testCtx(t), "hot", client.WithR(3))
	if err != nil {
		t.Fatal(err)
	}
	maxSiblings = max(maxSiblings, len(res.Values))
	t.Logf("max siblings seen with %d concurrent writers: %d (final %d)", writers, maxSiblings, len(res.Values))
	if maxSiblings > writers {
		t.Fatalf("siblings %d exceed concurrent writers %d", maxSiblings, writers)
	}
}

// A node started with --nats-url embeds no server: it joins the cluster
// through an existing NATS deployment (here, another node's server).
func TestNodeOnExistingNATS(t *testing.T) {
	host := testcluster.NewNode(t, testcluster.NodeOptions{Name: "host"})
	host.MustStart()
	guest := testcluster.NewNode(t, testcluster.NodeOptions{Name: "guest", NATSURL: host.URL()})
	guest.MustStart()
	testcluster.WaitFor(t, 30*time.Second, "both nodes to see each other", func() bool {
		a, errA := testcluster.UpMembers(host)
		b, errB := testcluster.UpMembers(guest)
		return errA == nil && errB == nil && len(a) == 2 && len(b) == 2
	})
	c := testcluster.Connect(t, host)
	put(t, c, "k", "through-guest", client.ViaNode("guest"), client.WithW(2))
	res, err := c.Get(testCtx(t), "k", client.ViaNode("host"), client.WithR(1), client.Strict())
	if err != nil || len(res.Values) != 1 || string(res.Values[0].Data) != "through-guest" {
		t.Fatalf("read via host: %v %v", res, err)
	}
}

// In a last-write-wins namespace concurrent writes never surface as
// siblings: the write with the greatest hybrid timestamp wins everywhere.
func TestLWWNamespaceKeepsOneValue(t *testing.T) {
	cl := startCluster(t, 3)
	c := cl.Client(cl.Nodes[0])
	if _, err := c.CreateNamespace(testCtx(t), client.Namespace{Name: "last", N: 3, Mode: "lww"}); err != nil {
		t.Fatal(err)
	}
	for i, n := range cl.Nodes {
		put(t, c, "k", fmt.Sprintf("v%d", i), client.WithNamespace("last"), client.ViaNode(n.Opts.Name), client.WithCausalContext(""))
	}
	for _, n := range cl.Nodes {
		res, err := c.Get(testCtx(t), "k", client.WithNamespace("last"), client.WithR(3), client.ViaNode(n.Opts.Name))
		if err != nil || len(res.Values) != 1 || string(res.Values[0].Data) != "v2" {
			t.Fatalf("via %s: want the last write v2 alone, got %v %v", n.Opts.Name, values(res), err)
		}
	}
}
