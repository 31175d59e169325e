package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quorumkv/quorumkv/client"
	"github.com/quorumkv/quorumkv/internal/testcluster"
	"github.com/quorumkv/quorumkv/ring"
)

// The --json lines of the maintenance commands, as far as these tests
// read them.
type (
	hintsLine struct {
		Node    string
		Targets []struct {
			Target string
			Count  uint64
		}
	}
	repairLine struct {
		Node         string
		Exchanges    uint64
		KeysRepaired uint64
		Trees        int
		Partitions   []struct {
			LastExchange *string
			LastPeer     string
		}
	}
	repairNowLine struct {
		Node         string
		Exchanges    int
		KeysRepaired uint64
	}
)

// jsonLines decodes one T per line of out.
func jsonLines[T any](t *testing.T, out string) []T {
	t.Helper()
	var lines []T
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var v T
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		lines = append(lines, v)
	}
	return lines
}

// TestKvcliAdmin drives kvcli's maintenance commands against a real
// three-node cluster: anti-entropy repairs what a node missed while it was
// down, and a fallback keeps hints for a home replica that is down and
// delivers them once it is back.
func TestKvcliAdmin(t *testing.T) {
	cl := startCluster(t, 3)
	n1, n2, n3 := cl.Nodes[0], cl.Nodes[1], cl.Nodes[2]
	c := cl.Client(n1)
	run := func(want int, args ...string) (string, string) {
		t.Helper()
		out, errOut, code := kvcli(t, n1, "", args...)
		if code != want {
			t.Fatalf("kvcli %v: exit %d, want %d\nstdout: %s\nstderr: %s", args, code, want, out, errOut)
		}
		return out, errOut
	}
	nodes := []string{"n1", "n2", "n3"}

	// Every node answers for itself: one JSON line each.
	out, errOut := run(0, "repair", "status", "--json")
	if errOut != "" {
		t.Fatalf("repair status: stderr %q", errOut)
	}
	var answered []string
	for _, r := range jsonLines[repairLine](t, out) {
		answered = append(answered, r.Node)
	}
	if !slices.Equal(answered, nodes) {
		t.Fatalf("repair status --json answered by %v, want %v:\n%s", answered, nodes, out)
	}
	if out, _ := run(0, "hints"); !strings.Contains(out, "3 nodes answered: no hints held") {
		t.Fatalf("hints on a healthy cluster:\n%s", out)
	}

	// With N=3 on three nodes there is no fallback: what n3 misses while
	// it is down, only anti-entropy (or a read) gives it.
	n3.Kill()
	cl.WaitMembers(30*time.Second, n1, n2)
	const keys = 30
	for i := range keys {
		put(t, c, fmt.Sprintf("ae-%d", i), fmt.Sprintf("v%d", i), client.WithW(2))
	}
	n3.MustStart()
	cl.WaitMembers(60*time.Second, n1, n2, n3)

	// A node's trees of one partition: one exchange per other home replica
	// and tree.
	p := ring.PartitionOf([]byte("ae-0"), ring.DefaultPartitions)
	out, _ = run(0, "repair", "now", "--partition", fmt.Sprint(p), "--timeout", "2m")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "n1: ") || !strings.HasPrefix(lines[3], "total: ") ||
		strings.HasPrefix(lines[3], "total: 0 exchanges") {
		t.Fatalf("repair now --partition %d:\n%s", p, out)
	}
	out, _ = run(0, "repair", "now", "--json", "--timeout", "2m")
	var repaired []string
	for _, r := range jsonLines[repairNowLine](t, out) {
		if r.Exchanges <= 0 {
			t.Errorf("repair now: %s ran no exchange:\n%s", r.Node, out)
		}
		repaired = append(repaired, r.Node)
	}
	if !slices.Equal(repaired, nodes) {
		t.Fatalf("repair now answered by %v, want %v", repaired, nodes)
	}

	// Afterwards every node has compared trees with a peer, and the keys
	// n3 missed were repaired, now or by a background exchange before.
	out, _ = run(0, "repair", "status", "--json", "--all")
	var keysRepaired uint64
	for _, r := range jsonLines[repairLine](t, out) {
		keysRepaired += r.KeysRepaired
		exchanged := false
		for _, tree := range r.Partitions {
			exchanged = exchanged || tree.LastExchange != nil && tree.LastPeer != ""
		}
		if r.Exchanges == 0 || r.Trees == 0 || !exchanged {
			t.Errorf("repair status of %s after repair now: %d exchanges, %d trees, any exchanged %v",
				r.Node, r.Exchanges, r.Trees, exchanged)
		}
	}
	if keysRepaired == 0 {
		t.Errorf("no node reports a repaired key, though n3 missed %d writes:\n%s", keys, out)
	}
	if out, _ := run(0, "repair", "status"); !strings.Contains(out, "NODE  PARTITION") || !strings.Contains(out, "default") ||
		!strings.Contains(out, "TOMBSTONES REAPED") {
		t.Fatalf("repair status:\n%s", out)
	}

	// Hinted handoff: with N=2 on three nodes, the third node of a key's
	// preference list stands in for a home replica that is down.
	run(0, "ns", "create", "hh", "--n", "2", "--r", "1", "--w", "2")
	r, err := ring.New(ring.DefaultPartitions, ring.DefaultTokensPerWeight,
		[]ring.Member{{ID: "n1", Weight: 1}, {ID: "n2", Weight: 1}, {ID: "n3", Weight: 1}})
	if err != nil {
		t.Fatal(err)
	}
	var forN3 []string
	for i := 0; len(forN3) < 20; i++ {
		key := fmt.Sprintf("hh-%d", i)
		if slices.Contains(r.Replicas(ring.PartitionOf([]byte(key), ring.DefaultPartitions), 2), "n3") {
			forN3 = append(forN3, key)
		}
	}
	n3.Kill()
	cl.WaitMembers(30*time.Second, n1, n2)
	for _, key := range forN3 {
		put(t, c, key, "v", client.WithNamespace("hh"), client.WithW(2))
	}
	heldFor := func(target string, wantExit int) uint64 {
		out, _ := run(wantExit, "hints", "--json")
		var held uint64
		for _, h := range jsonLines[hintsLine](t, out) {
			for _, tg := range h.Targets {
				if tg.Target == target {
					held += tg.Count
				}
			}
		}
		return held
	}
	// n3 is down in n1's status: its silence is reported, not a failure.
	testcluster.WaitFor(t, 20*time.Second, "hints for n3 on the fallbacks", func() bool { return heldFor("n3", 0) > 0 })
	out, errOut = run(0, "hints")
	if !strings.Contains(out, "HOLDER  TARGET") || !strings.Contains(out, "  n3  ") || !strings.Contains(errOut, "kvcli: n3 (down): ") {
		t.Fatalf("hints with n3 down:\nstdout: %s\nstderr: %s", out, errOut)
	}

	n3.MustStart()
	cl.WaitMembers(60*time.Second, n1, n2, n3)
	out, _ = run(0, "hints", "drain", "n3", "--timeout", "2m")
	if !strings.HasPrefix(out, "n1: delivered ") || !strings.Contains(out, "\nn2: delivered ") ||
		!strings.Contains(out, " hints for n3, 0 remaining, from 2 holders\n") {
		t.Fatalf("hints drain n3:\n%s", out)
	}
	testcluster.WaitFor(t, 30*time.Second, "no hints held for n3", func() bool { return heldFor("n3", 0) == 0 })
}
