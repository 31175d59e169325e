package e2e

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/quorumkv/quorumkv/client"
	"github.com/quorumkv/quorumkv/internal/testcluster"
)

// Dynamo §4.7 and §4.8: a silent network partition cuts n3 off from n1
// and n2. Both sides stay writeable where their quorum allows it, and after
// the heal n3 catches up on what it missed without any client read
// repairing it: only anti-entropy between replicas can bring it the keys.
func TestNetPartitionMinorityCatchesUpAfterHeal(t *testing.T) {
	nw := testcluster.NewNet(t, "n1", "n2", "n3")
	extra := antiEntropyFlags(t)
	cl := testcluster.NewCluster(t, 3, func(_ int, o *testcluster.NodeOptions) {
		nw.Place(o)
		o.Extra = append(o.Extra, extra...)
	})
	cl.Start()
	n1, n2, n3 := cl.Nodes[0], cl.Nodes[1], cl.Nodes[2]
	// One client per node, each connected to that node's own server over
	// the bridge: calls ViaNode of the node a client is connected to never
	// cross a route, so the cut does not stand between the test and n3.
	c1, c2, c3 := cl.Client(n1), cl.Client(n2), cl.Client(n3)
	put(t, c1, "before-cut", "v", client.WithW(3), client.ViaNode("n1"))

	nw.Cut("n3", "n1")
	nw.Cut("n3", "n2")
	cut := time.Now()
	noticed := waitNoticed(t, cut, map[*testcluster.Node][]string{
		n1: {"n1", "n2"}, n2: {"n1", "n2"}, n3: {"n3"},
	})
	t.Logf("cut noticed (member down) after: n1 %v, n2 %v, n3 %v",
		noticed["n1"].Round(time.Millisecond), noticed["n2"].Round(time.Millisecond), noticed["n3"].Round(time.Millisecond))

	// A write coordinated on either side also sends copies to the replicas
	// it holds down (sloppy quorum keeps N copies going). While the NATS
	// route across the cut still stands, those copies wait in its buffer
	// and arrive after the heal, doing anti-entropy's work for it. So the
	// writes start only once NATS has given up the routes across the cut
	// (its route pings go unanswered): a copy for the other side then
	// finds no responder and is dropped at once.
	routes := waitRoutesGone(t, cut, map[*client.Client][]string{c1: {"n3"}, c2: {"n3"}, c3: {"n1", "n2"}})
	t.Logf("NATS routes across the cut closed after %v", routes.Round(time.Millisecond))

	want := map[string]string{}
	began := time.Now()
	const keys = 100
	for i := range keys {
		k, v := fmt.Sprintf("cut-%d", i), fmt.Sprintf("v%d", i)
		put(t, c1, k, v, client.WithW(2), client.ViaNode("n1"))
		want[k] = v
	}
	t.Logf("%d W=2 writes through n1 acknowledged during the cut in %v", keys, time.Since(began).Round(time.Millisecond))
	for i := range 10 {
		k, v := fmt.Sprintf("cut-n2-%d", i), fmt.Sprintf("v%d", i)
		put(t, c2, k, v, client.WithW(2), client.ViaNode("n2"))
		want[k] = v
	}
	// n3 alone cannot make W=2 (three nodes, N=3: no fallback is left),
	// but it answers W=1 from its own copy.
	put(t, c3, "minority", "from-n3", client.WithW(1), client.ViaNode("n3"))
	for k := range want {
		if _, err := readOwn(c3, "n3", k); !errors.Is(err, client.ErrNotFound) {
			t.Fatalf("n3 has %s during the cut (%v): the cut leaks", k, err)
		}
	}

	repairsBefore := readRepairs(cl.Nodes)
	mergesBefore := metric(n3, `quorumkv_replica_ops_total{op="merge"}`)
	nw.Heal()
	healed := time.Now()
	cl.WaitMembers(60*time.Second, n1, n2, n3)
	t.Logf("all members up again %v after the heal", time.Since(healed).Round(time.Millisecond))

	// With three nodes and N=3 every node is a home replica of every key,
	// so no fallback holds a hint for n3 either: anti-entropy is the only
	// way the keys can reach it. The deadline is 120 s: exchanges run every
	// 2 s here (--ae-interval) and one per partition and peer is enough;
	// the rest is room for race-built nodes on a loaded 2-core machine.
	const converge = 120 * time.Second
	pending := map[string]string{}
	for k, v := range want {
		pending[k] = v
	}
	minorityOnN1 := false
	var lastScan time.Time
	lastLog := time.Now()
	testcluster.WaitFor(t, converge, "n3 to serve every key written during the cut, and n1 n3's key", func() bool {
		// A scan is over a hundred reads: twice a second is often enough
		// and leaves the CPU to the nodes.
		if time.Since(lastScan) < 500*time.Millisecond {
			return false
		}
		lastScan = time.Now()
		for k, v := range pending {
			if res, err := readOwn(c3, "n3", k); err == nil && len(res.Values) == 1 && string(res.Values[0].Data) == v {
				delete(pending, k)
			}
		}
		if !minorityOnN1 {
			res, err := readOwn(c1, "n1", "minority")
			minorityOnN1 = err == nil && len(res.Values) == 1 && string(res.Values[0].Data) == "from-n3"
		}
		if time.Since(lastLog) >= 10*time.Second {
			lastLog = time.Now()
			t.Logf("%v after the heal: n3 still misses %d of %d keys; n1 has n3's key: %v",
				time.Since(healed).Round(time.Second), len(pending), len(want), minorityOnN1)
		}
		return len(pending) == 0 && minorityOnN1
	})
	t.Logf("converged %v after the heal; n3 took %v merges", time.Since(healed).Round(time.Millisecond),
		metric(n3, `quorumkv_replica_ops_total{op="merge"}`)-mergesBefore)
	if after := readRepairs(cl.Nodes); after != repairsBefore {
		t.Errorf("read repairs went from %v to %v: the convergence is not anti-entropy's alone", repairsBefore, after)
	}
}

// waitRoutesGone waits until a request from each client's server to each
// node named finds no responder, which happens once the NATS route between
// them is closed, and returns how long after since that took. A probe sent
// while a route still stands is lost in the cut or answered after the heal;
// either is harmless for a status request.
func waitRoutesGone(t *testing.T, since time.Time, probes map[*client.Client][]string) time.Duration {
	t.Helper()
	testcluster.WaitFor(t, 60*time.Second, "NATS to close the routes across the cut", func() bool {
		for c, nodes := range probes {
			for _, node := range nodes {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				_, err := c.Status(ctx, client.ViaNode(node))
				cancel()
				if !errors.Is(err, nats.ErrNoResponders) {
					return false
				}
			}
		}
		return true
	})
	return time.Since(since)
}

// readOwn reads key with R=1 coordinated by node, through a client
// connected to that node: the coordinator asks itself first, so the read
// touches only its own copy and repairs nothing.
func readOwn(c *client.Client, node, key string) (*client.Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return c.Get(ctx, key, client.WithR(1), client.ViaNode(node))
}

// waitNoticed waits until each node sees exactly the members given as up
// and returns, per node, how long after since that took.
func waitNoticed(t *testing.T, since time.Time, expect map[*testcluster.Node][]string) map[string]time.Duration {
	t.Helper()
	noticed := map[string]time.Duration{}
	testcluster.WaitFor(t, 60*time.Second, "every node to notice the cut", func() bool {
		for n, want := range expect {
			if _, ok := noticed[n.Opts.Name]; ok {
				continue
			}
			up, err := testcluster.UpMembers(n)
			if err == nil && sameMembers(up, want) {
				noticed[n.Opts.Name] = time.Since(since)
			}
		}
		return len(noticed) == len(expect)
	})
	return noticed
}

func sameMembers(got, want []string) bool {
	got, want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	return slices.Equal(got, want)
}

// antiEntropyFlags are the flags that make kvnode exchange anti-entropy
// digests often enough for the test, or none if this kvnode has no such
// flag.
func antiEntropyFlags(t *testing.T) []string {
	t.Helper()
	bin, _, err := testcluster.Binaries()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// --help exits non-zero by design; only its text matters.
	help, _ := exec.CommandContext(ctx, bin, "--help").CombinedOutput()
	if !strings.Contains(string(help), "-ae-interval") {
		t.Log("kvnode has no --ae-interval: running with its default anti-entropy, if any")
		return nil
	}
	return []string{"--ae-interval", "2s"}
}

// readRepairs is the sum of the nodes' read repair counters.
func readRepairs(nodes []*testcluster.Node) float64 {
	var sum float64
	for _, n := range nodes {
		sum += metric(n, "quorumkv_read_repairs_total")
	}
	return sum
}
