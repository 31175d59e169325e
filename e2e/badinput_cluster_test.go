package e2e

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quorumkv/quorumkv/client"
	"github.com/quorumkv/quorumkv/internal/testcluster"
)

func TestClusterBadInput(t *testing.T) {
	cl := startCluster(t, 3)
	c := cl.Client(cl.Nodes[0])
	ctx := testCtx(t)

	if _, err := c.CreateNamespace(ctx, client.Namespace{Name: "pairs", N: 2, R: 1, W: 1}); err != nil {
		t.Fatal(err)
	}
	t.Run("R or W above the namespace's N", func(t *testing.T) {
		_, err := c.Get(ctx, "k", client.WithNamespace("pairs"), client.WithR(3))
		if !errors.Is(err, client.ErrInvalidArgument) {
			t.Fatalf("want invalid argument, got %v", err)
		}
		_, err = c.Put(ctx, "k", []byte("v"), client.WithNamespace("pairs"), client.WithW(3))
		if !errors.Is(err, client.ErrInvalidArgument) {
			t.Fatalf("want invalid argument, got %v", err)
		}
	})
	t.Run("namespace known on every node at once", func(t *testing.T) {
		for _, n := range cl.Nodes {
			if _, err := c.Put(ctx, "k", []byte("v"), client.WithNamespace("pairs"), client.ViaNode(n.Opts.Name)); err != nil {
				t.Fatalf("put via %s right after create: %v", n.Opts.Name, err)
			}
		}
	})
	t.Run("N above the cluster size is allowed with a warning", func(t *testing.T) {
		warning, err := c.CreateNamespace(ctx, client.Namespace{Name: "wide", N: 5})
		if err != nil || !strings.Contains(warning, "under-replicated") {
			t.Fatalf("want success with a warning, got %q %v", warning, err)
		}
		put(t, c, "k", "v", client.WithNamespace("wide"))
	})
	t.Run("N cannot change", func(t *testing.T) {
		if _, err := c.CreateNamespace(ctx, client.Namespace{Name: "pairs", N: 3}); !errors.Is(err, client.ErrInvalidArgument) {
			t.Fatalf("want invalid argument, got %v", err)
		}
	})
	t.Run("unknown namespace", func(t *testing.T) {
		_, err := c.Get(ctx, "k", client.WithNamespace("nope"))
		if !errors.Is(err, client.ErrUnknownNamespace) {
			t.Fatalf("want unknown namespace, got %v", err)
		}
	})
	t.Run("node with another partition count is refused", func(t *testing.T) {
		odd := testcluster.NewNode(t, testcluster.NodeOptions{Name: "odd", Partitions: 64, Clustered: true,
			Join: []string{cl.Nodes[0].RouteURL()}})
		_ = odd.Start() // it may exit before it is ready, or just after
		testcluster.WaitFor(t, 30*time.Second, "the odd node to exit", func() bool {
			exited, _ := odd.Exited()
			return exited
		})
		if !strings.Contains(odd.Log(), "partition") {
			t.Fatalf("odd node log does not say why:\n%s", odd.Log())
		}
		up, err := testcluster.UpMembers(cl.Nodes[0])
		if err != nil || len(up) != 3 {
			t.Fatalf("cluster members after the odd node: %v %v", up, err)
		}
	})
}
