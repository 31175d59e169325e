package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/quorumkv/quorumkv/internal/testcluster"
)

// scrape returns a node's /metrics page.
func scrape(t *testing.T, n *testcluster.Node) string {
	t.Helper()
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(n.HTTPURL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// A single node's probes and first scrape: ready, counting itself up,
// naming its build, exporting the storage engine's figures, no profiles.
func TestSingleNodeProbesAndMetrics(t *testing.T) {
	n := startSingle(t)
	for path, want := range map[string]int{"/livez": 200, "/readyz": 200, "/healthz": 200, "/debug/pprof/": 404} {
		if code := httpStatus(n, path); code != want {
			t.Errorf("GET %s: %d, want %d", path, code, want)
		}
	}
	page := scrape(t, n)
	for _, want := range []string{
		"quorumkv_members_up 1\n", "quorumkv_members 1\n",
		`quorumkv_build_info{commit="`,
		"quorumkv_pebble_disk_usage_bytes ", "quorumkv_pebble_compaction_debt_bytes ",
		"quorumkv_pebble_wal_bytes_total ", "quorumkv_pebble_block_cache_hits_total ",
		"quorumkv_pebble_block_cache_misses_total ",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("first scrape lacks %q", want)
		}
	}
	if metric(n, "quorumkv_pebble_disk_usage_bytes") <= 0 {
		t.Error("disk usage of an open store reads 0")
	}
}

func TestPProfOnlyWhenAsked(t *testing.T) {
	n := startSingle(t, "--pprof")
	if code := httpStatus(n, "/debug/pprof/"); code != 200 {
		t.Fatalf("/debug/pprof/ with --pprof: %d", code)
	}
}

// On three nodes each counts the others up and its replica traffic to
// each peer.
func TestClusterMembershipAndLinkMetrics(t *testing.T) {
	cl := startCluster(t, 3)
	c := cl.Client(cl.Nodes[0])
	for i := range 20 {
		put(t, c, spreadKey("link", i), "v")
	}
	n1 := cl.Nodes[0]
	if v := metric(n1, "quorumkv_members_up"); v != 3 {
		t.Errorf("members up on n1: %v, want 3", v)
	}
	for _, peer := range []string{"n2", "n3"} {
		if v := metric(n1, `quorumkv_link_batches_total{peer="`+peer+`"}`); v <= 0 {
			t.Errorf("n1's batches to %s: %v", peer, v)
		}
		if v := metric(n1, `quorumkv_link_bytes_total{peer="`+peer+`"}`); v <= 0 {
			t.Errorf("n1's bytes to %s: %v", peer, v)
		}
	}
}
