package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/quorumkv/quorumkv/internal/testcluster"
)

// statusRows returns the member rows of kvcli status's table, by member:
// the cells of each row, split at runs of spaces.
func statusRows(t *testing.T, out string) map[string][]string {
	t.Helper()
	rows := map[string][]string{}
	var header []string
	for _, line := range strings.Split(out, "\n") {
		fields := strings.Fields(line)
		switch {
		case len(fields) > 0 && fields[0] == "MEMBER":
			header = fields
		case header != nil && len(fields) == 0:
			return rows
		case header != nil:
			rows[fields[0]] = fields
		}
	}
	if header == nil {
		t.Fatalf("no member table in:\n%s", out)
	}
	return rows
}

// TestKvcliOwnership drives kvcli's membership commands against a real
// three-node cluster: status shows each member's place in the ring, an
// unknown node cannot be removed, and a dead node, once removed, leaves
// the member list.
func TestKvcliOwnership(t *testing.T) {
	cl := testcluster.NewCluster(t, 3, nil)
	cl.Start()
	n1 := cl.Nodes[0]
	run := func(args ...string) (string, string, int) {
		t.Helper()
		return kvcli(t, n1, "", args...)
	}

	out, errOut, code := run("status")
	if code != 0 || errOut != "" {
		t.Fatalf("status: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if !strings.Contains(out, "  STATE  ") || !strings.Contains(out, "  OWNS  ") {
		t.Fatalf("status has no STATE and OWNS columns:\n%s", out)
	}
	rows := statusRows(t, out)
	for _, id := range []string{"n1", "n2", "n3"} {
		// MEMBER ADDRESS ZONE WEIGHT STATE UP VERSION RECORDS DISK OWNS PARTITIONS
		r := rows[id]
		if len(r) != 11 || r[4] != "active" || r[5] != "up" || !strings.HasSuffix(r[9], "%") {
			t.Errorf("status row of %s = %q, want active, up and a share", id, r)
		}
	}
	if len(rows) != 3 || strings.Contains(out, "transfers in progress") {
		t.Fatalf("status of a settled cluster:\n%s", out)
	}

	out, errOut, code = run("node", "remove", "n9")
	if code != 1 && code != 2 || !strings.Contains(errOut, "unknown node") || out != "" {
		t.Fatalf("node remove n9: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}

	cl.Nodes[2].Kill()
	cl.WaitMembers(30*time.Second, cl.Nodes[0], cl.Nodes[1])
	// Two nodes are fewer than the default namespace's N=3: --force.
	out, errOut, code = run("node", "remove", "n3", "--force")
	if code != 0 || out != "removed n3; its partitions are being re-replicated from the other replicas\n" {
		t.Fatalf("node remove n3 --force: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	var last string
	testcluster.WaitFor(t, 30*time.Second, "n1's status without n3", func() bool {
		out, _, code := run("status", "--node", "n1")
		if code != 0 {
			return false
		}
		last = out
		_, listed := statusRows(t, out)["n3"]
		return !listed
	})
	if rows := statusRows(t, last); len(rows) != 2 || rows["n1"][4] != "active" || rows["n2"][4] != "active" ||
		rows["n1"][5] != "up" {
		t.Fatalf("status after the removal:\n%s", last)
	}
}
