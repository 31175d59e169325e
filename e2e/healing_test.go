package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quorumkv/quorumkv/client"
	"github.com/quorumkv/quorumkv/internal/testcluster"
)

// spreadKey names the i-th test key so that keys spread over partitions:
// the partition comes from the top bits of FNV-1a, on which a key's last
// bytes have little effect, so keys that differ only at the end share a
// few partitions.
func spreadKey(prefix string, i int) string {
	return fmt.Sprintf("%04x-%s-%d", (i*40503)&0xffff, prefix, i)
}

// writeWhileDown kills the nodes in down, waits until the others see only
// each other up, and writes n fresh keys with quorum w through the first
// node left up; it returns what it wrote.
func writeWhileDown(t *testing.T, cl *testcluster.Cluster, down []*testcluster.Node, prefix string, n, w int) map[string]string {
	t.Helper()
	var up []*testcluster.Node
	for _, node := range cl.Nodes {
		if slices.Contains(down, node) {
			node.Kill()
		} else {
			up = append(up, node)
		}
	}
	cl.WaitMembers(30*time.Second, up...)
	c := cl.Client(up[0])
	want := map[string]string{}
	for i := range n {
		k, v := spreadKey(prefix, i), fmt.Sprintf("v%d", i)
		put(t, c, k, v, client.WithW(w))
		want[k] = v
	}
	return want
}

// clusterWith starts size nodes, each with the extra flags.
func clusterWith(t *testing.T, size int, extra ...string) *testcluster.Cluster {
	t.Helper()
	cl := testcluster.NewCluster(t, size, func(_ int, o *testcluster.NodeOptions) { o.Extra = append(o.Extra, extra...) })
	cl.Start()
	return cl
}

// sumMetric adds one series over the nodes (a node that does not answer
// counts -1, so a wait on a sum cannot pass by accident).
func sumMetric(nodes []*testcluster.Node, series string) float64 {
	total := 0.0
	for _, n := range nodes {
		total += metric(n, series)
	}
	return total
}

// readableEverywhere reports whether every key reads back its value with
// R=1 coordinated by every node; it returns the first miss.
func readableEverywhere(t *testing.T, cl *testcluster.Cluster, want map[string]string) (bool, string) {
	for _, n := range cl.Nodes {
		c := cl.Client(n)
		for k, v := range want {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			res, err := c.Get(ctx, k, client.WithR(1), client.ViaNode(n.Opts.Name))
			cancel()
			if err != nil || !containsValue(res, v) {
				return false, fmt.Sprintf("%s via %s: %v %v", k, n.Opts.Name, res, err)
			}
		}
	}
	return true, ""
}

func waitReadable(t *testing.T, cl *testcluster.Cluster, want map[string]string, bound time.Duration, what string) time.Duration {
	t.Helper()
	start := time.Now()
	var miss string
	testcluster.WaitFor(t, bound, what, func() bool {
		var ok bool
		ok, miss = readableEverywhere(t, cl, want)
		return ok
	})
	_ = miss
	return time.Since(start)
}

// Dynamo §4.6 hinted handoff: 5 nodes, N=3, two nodes down while 200 keys
// are written with W=2. The fallbacks keep the writes as hints and hand
// them to the two nodes when they return; within 60 s every key reads back
// with R=1 through every node, and no hint is left.
func TestHintedHandoffDeliversToReturningNodes(t *testing.T) {
	cl := clusterWith(t, 5)
	n4, n5 := cl.Nodes[3], cl.Nodes[4]
	want := writeWhileDown(t, cl, []*testcluster.Node{n4, n5}, "hh", 200, 2)
	held := sumMetric(cl.Nodes[:3], "quorumkv_hints")
	if held <= 0 {
		t.Fatalf("no hints held by the fallbacks after writing with two homes down (%v)", held)
	}
	for _, n := range cl.Nodes[:3] {
		if rec := metric(n, "quorumkv_records"); rec > 200 {
			t.Fatalf("%s stores %v records for 200 keys: fallback writes went to its own data", n.Opts.Name, rec)
		}
	}
	n4.MustStart()
	n5.MustStart()
	back := time.Now()
	cl.WaitMembers(60*time.Second, cl.Nodes...)
	testcluster.WaitFor(t, 60*time.Second, "every hint delivered", func() bool {
		return sumMetric(cl.Nodes, "quorumkv_hints") == 0
	})
	delivered := time.Since(back)
	if got := sumMetric(cl.Nodes[:3], "quorumkv_hints_delivered_total"); got < held {
		t.Fatalf("%v hints delivered, %v were held", got, held)
	}
	waitReadable(t, cl, want, 60*time.Second-time.Since(back), "every key readable with R=1 through every node")
	t.Logf("%v hints held; all delivered %v after the nodes restarted; every key readable through every node %v after", held, delivered.Round(time.Millisecond), time.Since(back).Round(time.Millisecond))
}

// A fallback SIGKILLed while it holds hints delivers them after it
// restarts: hints are durable, in their own keyspace.
func TestHintsSurviveFallbackKill(t *testing.T) {
	cl := clusterWith(t, 4)
	home := cl.Nodes[3]
	want := writeWhileDown(t, cl, []*testcluster.Node{home}, "hk", 60, 3)
	var holder *testcluster.Node
	for _, n := range cl.Nodes[:3] {
		if metric(n, "quorumkv_hints") > 0 {
			holder = n
			break
		}
	}
	if holder == nil {
		t.Fatal("no node holds hints for the node that is down")
	}
	held := metric(holder, "quorumkv_hints")
	holder.Kill()
	holder.MustStart()
	if got := metric(holder, "quorumkv_hints"); got != held {
		t.Fatalf("%s held %v hints before SIGKILL, %v after restart", holder.Opts.Name, held, got)
	}
	home.MustStart()
	cl.WaitMembers(60*time.Second, cl.Nodes...)
	testcluster.WaitFor(t, 60*time.Second, "the restarted fallback's hints delivered", func() bool {
		return metric(holder, "quorumkv_hints") == 0 && metric(holder, "quorumkv_hints_delivered_total") >= held
	})
	waitReadable(t, cl, want, 30*time.Second, "every key readable through every node")
}

// A replica whose disk was replaced (same name, empty data dir) comes back
// as a new life of its node: it joins, receives its partitions by transfer
// (a stream and a Merkle tree comparison with every other owner), and
// holds every key without a single read, within 120 s at default
// settings. A write it coordinates
// right after it returns is kept: its new data dir issues dots under a new
// epoch, so they cannot collide with the dots it issued before.
func TestWipedReplicaRefilled(t *testing.T) {
	cl := clusterWith(t, 3)
	n3 := cl.Nodes[2]
	c := cl.Client(cl.Nodes[0])
	want := map[string]string{}
	for i := range 300 {
		k, v := spreadKey("ae", i), fmt.Sprintf("v%d", i)
		put(t, c, k, v, client.WithW(3))
		want[k] = v
	}
	c3 := cl.Client(n3)
	put(t, c3, "epoch-key", "before", client.WithW(3), client.ViaNode(n3.Opts.Name))
	n3.Kill()
	if err := os.RemoveAll(n3.DataDir); err != nil {
		t.Fatal(err)
	}
	n3.MustStart()
	restarted := time.Now()
	c3 = testcluster.Connect(t, n3)
	// A blind write through the wiped node at once, before it is refilled.
	// Until it has heard from the cluster it refuses, asking to retry (a
	// node alone must not take writes nobody will look for); it accepts as
	// soon as it has, long before its partitions are back.
	var lastErr error
	testcluster.WaitFor(t, 30*time.Second, "a write through the wiped node", func() bool {
		_, lastErr = c3.Put(testCtx(t), "epoch-key", []byte("after"), client.WithW(1), client.ViaNode(n3.Opts.Name))
		return lastErr == nil || !strings.Contains(lastErr.Error(), "has not heard from it yet")
	})
	if lastErr != nil {
		t.Fatalf("write through the wiped node: %v", lastErr)
	}
	cl.WaitMembers(60*time.Second, cl.Nodes...)
	// It comes back as a new life of n3: it joins, and reads use it again
	// once it holds its partitions.
	cl.WaitSettled(120*time.Second, cl.Nodes...)
	testcluster.WaitFor(t, 120*time.Second, "the wiped node to hold every key", func() bool {
		for k, v := range want {
			res, err := c3.Get(testCtx(t), k, client.WithR(1), client.ViaNode(n3.Opts.Name))
			if err != nil || !containsValue(res, v) {
				return false
			}
		}
		return true
	})
	refill := time.Since(restarted)
	if got := metric(n3, "quorumkv_records"); got < 300 {
		t.Fatalf("quorumkv_records on the refilled node = %v, want >= 300", got)
	}
	moved := metric(n3, "quorumkv_transfer_records_total") + sumMetric(cl.Nodes, "quorumkv_antientropy_keys_repaired_total")
	if moved < 300 {
		t.Fatalf("transfers and anti-entropy moved %v records, want >= 300", moved)
	}
	if reads := metric(n3, "quorumkv_read_repairs_total"); reads > 0 {
		t.Logf("note: %v read repairs on n3", reads)
	}
	res, err := c.Get(testCtx(t), "epoch-key", client.WithR(3))
	if err != nil || !containsValue(res, "after") {
		t.Fatalf("the write through the wiped node was lost: %v %v", res, err)
	}
	t.Logf("wiped replica of 300 keys refilled in %v", refill.Round(time.Millisecond))
}

// Deletes never resurrect (Dynamo §4.4 needs tombstones; reaping them
// needs care): 3 nodes, 100 keys on all three, one node down while all
// 100 are deleted with W=2. Past the grace period nothing is reaped while
// that node is down (it cannot confirm it holds the tombstones). When it
// returns with the old values, no key comes back through any node, and
// then every tombstone is reaped everywhere.
func TestDeletesNeverResurrectAndTombstonesAreReaped(t *testing.T) {
	const grace = 4 * time.Second
	cl := clusterWith(t, 3, "--max-request-timeout", "2s", "--hint-max-age", "1s",
		"--tombstone-grace", grace.String(), "--ae-interval", "1s")
	n3 := cl.Nodes[2]
	c := cl.Client(cl.Nodes[0])
	var keys []string
	tokens := map[string]string{}
	for i := range 100 {
		k := spreadKey("del", i)
		tokens[k] = put(t, c, k, "old", client.WithW(3))
		keys = append(keys, k)
	}
	n3.Kill()
	cl.WaitMembers(30*time.Second, cl.Nodes[:2]...)
	for _, k := range keys {
		if err := c.Delete(testCtx(t), k, client.WithW(2), client.WithCausalContext(tokens[k])); err != nil {
			t.Fatalf("delete %s: %v", k, err)
		}
	}
	deleted := time.Now()
	// Past the grace, with anti-entropy rounds run since: still no reaping.
	testcluster.WaitFor(t, 60*time.Second, "anti-entropy rounds past the grace period", func() bool {
		return time.Since(deleted) > grace+3*time.Second && exchangedSince(t, cl.Nodes[0], deleted.Add(grace))
	})
	for _, n := range cl.Nodes[:2] {
		if got := metric(n, "quorumkv_tombstones"); got != 100 {
			t.Fatalf("%s holds %v tombstones with n3 down past the grace, want 100", n.Opts.Name, got)
		}
	}
	n3.MustStart()
	back := time.Now()
	cl.WaitMembers(60*time.Second, cl.Nodes...)
	// Until n3 has caught up, an R=1 read through it may see its stale old
	// value (a stale replica, as Dynamo allows); a quorum read never does,
	// since the tombstone supersedes it. Once every tombstone is reaped, no
	// key reads as present through any node at any R.
	testcluster.WaitFor(t, 120*time.Second, "every tombstone reaped on every node", func() bool {
		assertAllDeleted(t, cl, keys, 2)
		return sumMetric(cl.Nodes, "quorumkv_tombstones") == 0 && sumMetric(cl.Nodes, "quorumkv_records") == 0
	})
	reaped := time.Since(back)
	assertAllDeleted(t, cl, keys, 1)
	for _, k := range keys[:10] {
		if _, err := c.Get(testCtx(t), k, client.WithR(3)); !errors.Is(err, client.ErrNotFound) {
			t.Fatalf("%s after reaping, R=3: %v", k, err)
		}
	}
	t.Logf("tombstones kept while a home was down; all reaped %v after it returned (grace %v)", reaped.Round(time.Millisecond), grace)
}

// exchangedSince reports whether n ran an anti-entropy exchange after t0.
func exchangedSince(t *testing.T, n *testcluster.Node, t0 time.Time) bool {
	c := testcluster.Connect(t, n)
	rep, err := c.RepairStatus(testCtx(t), n.Opts.Name)
	if err != nil {
		return false
	}
	for _, tr := range rep.Partitions {
		if tr.LastExchange.After(t0) {
			return true
		}
	}
	return false
}

func assertAllDeleted(t *testing.T, cl *testcluster.Cluster, keys []string, r int) {
	t.Helper()
	for _, n := range cl.Nodes {
		c := cl.Client(n)
		for _, k := range keys {
			res, err := c.Get(testCtx(t), k, client.WithR(r), client.ViaNode(n.Opts.Name))
			if err == nil {
				t.Fatalf("deleted key %s came back through %s at R=%d: %v", k, n.Opts.Name, r, values(res))
			}
			if !errors.Is(err, client.ErrNotFound) {
				t.Fatalf("read %s through %s: %v", k, n.Opts.Name, err)
			}
		}
	}
}

// Hints are bounded per target: past --hint-max-count the oldest are
// dropped (counted in quorumkv_hints_dropped_total), and anti-entropy
// repairs what they held once the target is back.
func TestHintBoundDropsOldestAndAntiEntropyRepairs(t *testing.T) {
	cl := clusterWith(t, 4, "--hint-max-count", "3")
	n4 := cl.Nodes[3]
	want := writeWhileDown(t, cl, []*testcluster.Node{n4}, "hb", 40, 2)
	testcluster.WaitFor(t, 30*time.Second, "hints past the bound dropped", func() bool {
		for _, n := range cl.Nodes[:3] {
			if metric(n, "quorumkv_hints") > 3 {
				return false
			}
		}
		return sumMetric(cl.Nodes[:3], "quorumkv_hints_dropped_total") > 0
	})
	dropped := sumMetric(cl.Nodes[:3], "quorumkv_hints_dropped_total")
	n4.MustStart()
	cl.WaitMembers(60*time.Second, cl.Nodes...)
	took := waitReadable(t, cl, want, 120*time.Second, "every key readable through every node after the dropped hints were repaired")
	t.Logf("%v hints dropped past the bound; every key readable through every node %v after n4 returned", dropped, took.Round(time.Millisecond))
}

// A read never answers "not found" for an acknowledged write only because
// the replicas holding it are fallbacks whose hints have not reached the
// returned home yet: gossip tells coordinators which homes hints are
// pending for, and their "not found" does not count toward R. Delivery is
// throttled to a crawl and anti-entropy is off, so only that rule can
// make these reads pass.
func TestReadsFindHintsNotYetDelivered(t *testing.T) {
	cl := clusterWith(t, 4, "--hint-rate", "1", "--anti-entropy=false")
	n4 := cl.Nodes[3]
	want := writeWhileDown(t, cl, []*testcluster.Node{n4}, "pend", 40, 2)
	held := sumMetric(cl.Nodes[:3], "quorumkv_hints")
	n4.MustStart()
	cl.WaitMembers(60*time.Second, cl.Nodes...)
	c4 := cl.Client(n4)
	for k, v := range want {
		res, err := c4.Get(testCtx(t), k, client.WithR(1), client.ViaNode(n4.Opts.Name))
		if err != nil || !containsValue(res, v) {
			t.Fatalf("%s through the returned node with hints pending: %v %v", k, res, err)
		}
	}
	if left := sumMetric(cl.Nodes[:3], "quorumkv_hints"); left < held-1 {
		t.Fatalf("hints were delivered during the reads (%v of %v left): the test did not test pending hints", left, held)
	}
}
