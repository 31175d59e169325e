package e2e

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quorumkv/quorumkv/client"
	"github.com/quorumkv/quorumkv/internal/testcluster"
)

// metric reads one Prometheus sample (name with labels, as exposed) from a
// node's /metrics, wherever the node listens; -1 when it does not answer.
func metric(n *testcluster.Node, series string) float64 {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(n.HTTPURL() + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, series+" ") {
			v, _ := strconv.ParseFloat(strings.TrimSpace(line[len(series):]), 64)
			return v
		}
	}
	return 0
}

// Dynamo §5 read repair: a replica that was down during writes holds them
// after the keys are read once with R=N.
func TestReadRepairCatchesUpAStaleReplica(t *testing.T) {
	cl := startCluster(t, 3)
	n1, n2, n3 := cl.Nodes[0], cl.Nodes[1], cl.Nodes[2]
	c := cl.Client(n1)
	n3.Kill()
	const keys = 40
	for i := range keys {
		put(t, c, fmt.Sprintf("rr-%d", i), fmt.Sprintf("v%d", i), client.WithW(2))
	}
	n3.MustStart()
	cl.WaitMembers(30*time.Second, n1, n2, n3)
	before := metric(n3, `quorumkv_replica_ops_total{op="merge"}`)
	for i := range keys {
		res, err := c.Get(testCtx(t), fmt.Sprintf("rr-%d", i), client.WithR(3), client.ViaNode("n1"))
		if err != nil || len(res.Values) != 1 {
			t.Fatalf("R=3 read rr-%d: %v %v", i, res, err)
		}
	}
	testcluster.WaitFor(t, 20*time.Second, "n3 to receive read repairs", func() bool {
		return metric(n3, `quorumkv_replica_ops_total{op="merge"}`)-before >= keys
	})
	// Only n3 is left: what it serves is what read repair gave it.
	n1.Kill()
	n2.Kill()
	c3 := testcluster.Connect(t, n3)
	for i := range keys {
		res, err := c3.Get(testCtx(t), fmt.Sprintf("rr-%d", i), client.WithR(1))
		if err != nil || len(res.Values) != 1 || string(res.Values[0].Data) != fmt.Sprintf("v%d", i) {
			t.Fatalf("n3 alone, rr-%d: %v %v", i, res, err)
		}
	}
}

// A node killed is marked down by every other node within a bounded time,
// and up again after it restarts.
func TestGossipDetectsKilledNode(t *testing.T) {
	cl := startCluster(t, 3)
	n1, n2, n3 := cl.Nodes[0], cl.Nodes[1], cl.Nodes[2]
	n3.Kill()
	killed := time.Now()
	cl.WaitMembers(20*time.Second, n1, n2)
	detected := time.Since(killed)
	t.Logf("killed node marked down by all others in %v", detected)
	// The phi detector crosses its threshold about 1.3 s after the last
	// heartbeat at the default 250 ms interval; gossip relaying adds a few
	// rounds. Anything past 10 s is a broken detector, not a slow machine.
	if detected > 10*time.Second {
		t.Fatalf("detection took %v", detected)
	}
	n3.MustStart()
	restarted := time.Now()
	cl.WaitMembers(20*time.Second, n1, n2, n3)
	t.Logf("restarted node marked up by all in %v", time.Since(restarted))
}
