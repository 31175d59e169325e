package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/quorumkv/quorumkv/client"
	"github.com/quorumkv/quorumkv/internal/testcluster"
)

// writeKeys writes n spread keys with quorum w through c and returns them.
func writeKeys(t *testing.T, c *client.Client, prefix string, n, w int) map[string]string {
	t.Helper()
	return writeSized(t, c, prefix, n, w, 0)
}

// writeSized is writeKeys with values padded to at least size bytes.
func writeSized(t *testing.T, c *client.Client, prefix string, n, w, size int) map[string]string {
	t.Helper()
	want := map[string]string{}
	for i := range n {
		k, v := spreadKey(prefix, i), fmt.Sprintf("%s-v%d", prefix, i)
		v += strings.Repeat(".", max(0, size-len(v)))
		put(t, c, k, v, client.WithW(w))
		want[k] = v
	}
	return want
}

// ownership is node n's share of the replicas, as n itself sees it.
func ownership(t *testing.T, cl *testcluster.Cluster, n *testcluster.Node) float64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := cl.Client(n).Status(ctx, client.ViaNode(n.Opts.Name))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range st.Members {
		if m.ID == n.Opts.Name {
			return m.Ownership
		}
	}
	t.Fatalf("%s is not in its own status", n.Opts.Name)
	return 0
}

// Join with data: 3 nodes hold 300 keys written with W=3; a 4th node
// joins. It receives the partitions it gains from their old owners, and
// only then do reads use it: within the bound, every key reads back with
// R=1 through each of the four nodes, the new node stores about its share
// of the records, and nothing moved between the old nodes. The old owners
// then drop what they no longer own: 3 copies of each key are left.
func TestJoinMovesPartitionsToTheNewNode(t *testing.T) {
	cl := clusterWith(t, 3, "--drop-grace", "1s")
	want := writeKeys(t, cl.Client(cl.Nodes[0]), "join", 300, 3)

	n4 := cl.Add(func(o *testcluster.NodeOptions) { o.Extra = []string{"--drop-grace", "1s"} })
	began := time.Now()
	n4.MustStart()
	cl.WaitSettled(60*time.Second, cl.Nodes...)
	joined := time.Since(began)
	if ok, miss := readableEverywhere(t, cl, want); !ok {
		t.Fatalf("after the join: %s", miss)
	}

	share := ownership(t, cl, n4)
	records := metric(n4, "quorumkv_records")
	ideal := share * float64(3*len(want))
	moved := metric(n4, "quorumkv_transfer_records_total")
	t.Logf("joined in %v; n4 owns %.1f%% of replicas, holds %.0f records (its share: %.0f), received %.0f records "+
		"(%.0f bytes): %.2fx the ideal quarter of %d",
		joined.Round(time.Millisecond), 100*share, records, ideal, moved,
		metric(n4, "quorumkv_transfer_received_bytes_total"), moved/(0.25*float64(3*len(want))), 3*len(want))
	if records < 0.7*ideal || records > 1.3*ideal {
		t.Errorf("n4 holds %.0f records, want about its share %.0f", records, ideal)
	}
	for _, old := range cl.Nodes[:3] {
		if got := metric(old, "quorumkv_transfer_received_bytes_total"); got != 0 {
			t.Errorf("%s received %.0f bytes: data moved between old nodes", old.Opts.Name, got)
		}
	}
	copies := float64(3 * len(want))
	// A node drops only while its view is settled; under -race on a
	// loaded two-core machine the join alone took 15 s once, so the bound
	// is generous.
	testcluster.WaitFor(t, 120*time.Second, "the old owners to drop what moved", func() bool {
		return sumMetric(cl.Nodes, "quorumkv_records") == copies
	})
	if ok, miss := readableEverywhere(t, cl, want); !ok {
		t.Fatalf("after the drops: %s", miss)
	}
}

// missed reports a read that answered without the acknowledged value v:
// "not found", or a value without it. A failed read (a timeout) is not an
// answer and does not count.
func missed(res *client.Result, err error, v string) bool {
	if errors.Is(err, client.ErrNotFound) {
		return true
	}
	return err == nil && !containsValue(res, v)
}

// loadWhile runs a writer (W=2) and a reader (R=2, of keys already
// acknowledged) until stop closes; it returns the acknowledged writes and
// the reads that answered "not found" for an acknowledged key.
func loadWhile(c *client.Client, prefix string, stop <-chan struct{}) (acked map[string]string, misses []string) {
	acked = map[string]string{}
	var keys []string
	for i := 0; ; i++ {
		select {
		case <-stop:
			return acked, misses
		default:
		}
		k, v := spreadKey(prefix, i), fmt.Sprintf("%s-v%d", prefix, i)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if _, err := c.Put(ctx, k, []byte(v), client.WithW(2)); err == nil {
			acked[k] = v
			keys = append(keys, k)
		}
		if len(keys) > 0 {
			rk := keys[(i*7919)%len(keys)]
			res, err := c.Get(ctx, rk, client.WithR(2))
			if missed(res, err, acked[rk]) {
				misses = append(misses, fmt.Sprintf("%s: %v", rk, err))
			}
		}
		cancel()
	}
}

// Join under load: a writer and a reader (R=2) keep going while a 4th node
// joins. No read of an acknowledged key answers "not found" (or an older
// value) during the transfer, and every acknowledged write reads back
// with R=1 through every node afterwards.
func TestJoinUnderLoad(t *testing.T) {
	cl := startCluster(t, 3)
	// 600 KiB to move at 32 KiB/s: the join takes several seconds.
	seed := writeSized(t, cl.Client(cl.Nodes[0]), "seed", 200, 3, 1024)
	stop := make(chan struct{})
	type result struct {
		acked  map[string]string
		misses []string
	}
	done := make(chan result)
	c2 := cl.Client(cl.Nodes[1])
	go func() {
		a, m := loadWhile(c2, "load", stop)
		done <- result{a, m}
	}()
	n4 := cl.Add(func(o *testcluster.NodeOptions) { o.Extra = []string{"--handoff-rate", "32768"} })
	n4.MustStart()
	for _, probe := range []string{"/readyz", "/healthz"} {
		if code := httpStatus(n4, probe); code != 503 {
			t.Errorf("%s of the joining node: %d, want 503 until it holds its replicas", probe, code)
		}
	}
	// Reads coordinated by the joining node itself, with R=1: it must not
	// answer from partitions it has not received yet.
	own := make(chan []string)
	go func() {
		var misses []string
		c4 := cl.Client(n4)
		for i := 0; ; i++ {
			select {
			case <-stop:
				own <- misses
				return
			default:
			}
			k := spreadKey("seed", i%len(seed))
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			res, err := c4.Get(ctx, k, client.WithR(1), client.ViaNode(n4.Opts.Name))
			cancel()
			if missed(res, err, seed[k]) {
				misses = append(misses, k)
			}
		}
	}()
	cl.WaitSettled(90*time.Second, cl.Nodes...)
	if code := httpStatus(n4, "/readyz"); code != 200 {
		t.Errorf("/readyz of the joined node: %d, want 200", code)
	}
	close(stop)
	r := <-done
	if len(r.misses) > 0 {
		t.Fatalf("%d reads of acknowledged keys missed them during the join, e.g. %s", len(r.misses), r.misses[0])
	}
	if m := <-own; len(m) > 0 {
		t.Fatalf("%d R=1 reads through the joining node missed acknowledged keys, e.g. %s", len(m), m[0])
	}
	if len(r.acked) < 20 {
		t.Fatalf("only %d writes acknowledged during the join", len(r.acked))
	}
	for k, v := range seed {
		r.acked[k] = v
	}
	if ok, miss := readableEverywhere(t, cl, r.acked); !ok {
		t.Fatalf("after the join: %s", miss)
	}
	t.Logf("%d writes acknowledged during the join, all readable", len(r.acked)-len(seed))
}

// Decommission: 4 nodes hold 300 keys; n4 is decommissioned while a writer
// keeps writing. n4 hands its partitions on and exits 0; afterwards every
// key, old and new, reads back with R=1 through each remaining node, and
// W=3 writes succeed on the three that remain.
func TestDecommissionHandsPartitionsOn(t *testing.T) {
	cl := startCluster(t, 4)
	want := writeKeys(t, cl.Client(cl.Nodes[0]), "dec", 300, 3)
	stop := make(chan struct{})
	done := make(chan map[string]string)
	c1 := cl.Client(cl.Nodes[0])
	go func() {
		a, _ := loadWhile(c1, "decload", stop)
		done <- a
	}()
	n4 := cl.Nodes[3]
	began := time.Now()
	// kvcli waits until n4 has handed everything on and left, and shows
	// the progress on stderr.
	out, progress, code := kvcli(t, cl.Nodes[1], "", "node", "decommission", "n4")
	if code != 0 || !strings.Contains(out, "n4 has left the cluster") || !strings.Contains(progress, "partitions handed off") {
		t.Fatalf("kvcli node decommission n4: exit %d\nstdout: %s\nstderr: %s", code, out, progress)
	}
	testcluster.WaitFor(t, 30*time.Second, "n4 to exit", func() bool { exited, _ := n4.Exited(); return exited })
	took := time.Since(began)
	if _, err := n4.Exited(); err != nil {
		t.Fatalf("n4 exited with %v, want status 0", err)
	}
	if err := n4.Start(); err == nil || !strings.Contains(n4.Log(), "left the cluster") {
		t.Fatalf("n4 restarted on the data dir it left with: %v", err)
	}
	remaining := cl.Nodes[:3]
	cl.Nodes = remaining
	cl.WaitSettled(30*time.Second, remaining...)
	close(stop)
	for k, v := range <-done {
		want[k] = v
	}
	if ok, miss := readableEverywhere(t, cl, want); !ok {
		t.Fatalf("after the decommission: %s", miss)
	}
	c := cl.Client(remaining[2])
	for i := range 20 {
		put(t, c, spreadKey("after", i), "x", client.WithW(3))
	}
	sent := sumMetric(remaining, "quorumkv_transfer_received_bytes_total")
	t.Logf("decommissioned in %v; %d keys readable through the 3 left; %.0f bytes moved", took.Round(time.Millisecond), len(want), sent)
}

// Removal of a dead node: 4 nodes hold 300 keys, n4 is killed for good and
// removed. The other replicas of its partitions copy them to the new
// owners, so that within the bound every key is back at 3 copies (R=1
// reads through each remaining node find it). n4 restarted on its old data
// dir is refused.
func TestRemoveReReplicatesFromSurvivors(t *testing.T) {
	cl := startCluster(t, 4)
	want := writeKeys(t, cl.Client(cl.Nodes[0]), "rm", 300, 3)
	n4 := cl.Nodes[3]
	n4.Kill()
	remaining := cl.Nodes[:3]
	cl.WaitMembers(30*time.Second, remaining...)
	began := time.Now()
	if err := cl.Client(cl.Nodes[0]).Remove(testCtx(t), "n4", false); err != nil {
		t.Fatal(err)
	}
	cl.Nodes = remaining
	cl.WaitSettled(60*time.Second, remaining...)
	waitReadable(t, cl, want, 60*time.Second, "every key readable with R=1 through each of the 3 left")
	t.Logf("re-replicated in %v", time.Since(began).Round(time.Millisecond))
	for _, n := range remaining {
		if got := metric(n, "quorumkv_records"); got < float64(len(want)) {
			t.Errorf("%s holds %.0f records, want all %d (3 copies on 3 nodes)", n.Opts.Name, got, len(want))
		}
	}

	_ = n4.Start() // it may stop before it is healthy
	testcluster.WaitFor(t, 30*time.Second, "removed n4 to stop", func() bool { exited, _ := n4.Exited(); return exited })
	if _, err := n4.Exited(); err == nil || !strings.Contains(n4.Log(), "removed from the cluster") {
		t.Fatalf("removed n4 restarted on its old data dir: exit %v, log:\n%s", err, n4.Log())
	}
}

// httpStatus is the status code of a GET of path on node n (-1: no answer).
func httpStatus(n *testcluster.Node, path string) int {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(n.HTTPURL() + path)
	if err != nil {
		return -1
	}
	resp.Body.Close()
	return resp.StatusCode
}

// A transfer interrupted by a kill -9 of the receiver resumes after the
// restart, and one whose sender is killed moves on to another old owner;
// the join completes with no lost key.
func TestTransferSurvivesKills(t *testing.T) {
	cl := startCluster(t, 3)
	c := cl.Client(cl.Nodes[0])
	want := map[string]string{}
	big := strings.Repeat("x", 4096)
	for i := range 300 {
		k := spreadKey("kill", i)
		put(t, c, k, big+k, client.WithW(3))
		want[k] = big + k
	}
	n4 := cl.Add(func(o *testcluster.NodeOptions) { o.Extra = []string{"--handoff-rate", "200000"} })
	n4.MustStart()
	testcluster.WaitFor(t, 60*time.Second, "n4 to receive some data", func() bool {
		return metric(n4, "quorumkv_transfer_received_bytes_total") > 50000
	})
	n4.Kill()
	if err := n4.Restart(); err != nil {
		t.Fatal(err)
	}
	before := metric(n4, "quorumkv_transfer_received_bytes_total")
	testcluster.WaitFor(t, 60*time.Second, "n4 to receive more after its restart", func() bool {
		return metric(n4, "quorumkv_transfer_received_bytes_total") > before+50000
	})
	sender := cl.Nodes[0]
	sender.Kill()
	testcluster.WaitFor(t, 60*time.Second, "n4 to go on receiving from the other old owners", func() bool {
		return metric(n4, "quorumkv_transfer_received_bytes_total") > before+150000 || metric(n4, "quorumkv_partitions_pending") == 0
	})
	if err := sender.Restart(); err != nil {
		t.Fatal(err)
	}
	cl.WaitSettled(120*time.Second, cl.Nodes...)
	if ok, miss := readableEverywhere(t, cl, want); !ok {
		t.Fatalf("after the interrupted join: %s", miss)
	}
}

// Bad input: the last node cannot leave; a departure that leaves fewer
// nodes than N is refused unless forced; an unknown node cannot be
// removed, nor an up one without force; two decommissions at once are
// refused.
func TestOwnershipBadInput(t *testing.T) {
	single := startSingle(t)
	sc := testcluster.Connect(t, single)
	if _, err := sc.Decommission(testCtx(t), single.Opts.Name, client.DecommissionOptions{Force: true}); err == nil ||
		!strings.Contains(err.Error(), "last node") {
		t.Fatalf("decommissioning the last node: %v", err)
	}

	cl := startCluster(t, 4)
	c := cl.Client(cl.Nodes[0])
	cases := []struct {
		name string
		call func() error
		want string
	}{
		{"unknown node", func() error { return c.Remove(testCtx(t), "n9", false) }, "unknown node"},
		{"up node", func() error { return c.Remove(testCtx(t), "n2", false) }, "is up"},
		{"bad name", func() error { return c.Remove(testCtx(t), "a.b", false) }, "invalid node id"},
	}
	for _, tc := range cases {
		if err := tc.call(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
	if _, err := c.Decommission(testCtx(t), "n4", client.DecommissionOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Decommission(testCtx(t), "n3", client.DecommissionOptions{}); err == nil ||
		!strings.Contains(err.Error(), "leaving already") {
		t.Fatalf("a second decommission at once: %v", err)
	}
	if state, err := c.Decommission(testCtx(t), "n4", client.DecommissionOptions{Cancel: true}); err != nil || state != "active" {
		t.Fatalf("cancel: %q %v", state, err)
	}
	cl.WaitSettled(30*time.Second, cl.Nodes...)
	// With n4 staying, a departure would leave 3 = N: allowed; two in a
	// row would leave 2 < N: the second is refused without force.
	cl.Nodes[3].Kill()
	cl.WaitMembers(30*time.Second, cl.Nodes[:3]...)
	if err := c.Remove(testCtx(t), "n4", false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Decommission(testCtx(t), "n3", client.DecommissionOptions{}); err == nil ||
		!strings.Contains(err.Error(), "fewer than") && !strings.Contains(err.Error(), "leaving already") {
		t.Fatalf("a departure leaving 2 of n=3: %v", err)
	}
}
