package e2e

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// statusJSON is kvcli status -o json as docs/cli.md documents it, as far
// as this test reads it.
type statusJSON struct {
	Partitions int
	Members    []struct {
		ID             string
		Address        string
		State          string
		Answered       bool
		Error          string
		Ownership      float64
		Version        *string
		Records        *uint64
		DiskBytes      *uint64
		PartitionsHeld *int
		Views          []struct {
			By    string
			State string
			Up    bool
		}
	}
	UnderReplicated []struct{ Name string }
	Transfers       []json.RawMessage
}

// TestKvcliStatusAcrossMembers runs kvcli status against three real nodes:
// every member answers for itself, the table and JSON agree, and a member
// that is killed shows as not answering, with exit status 1.
func TestKvcliStatusAcrossMembers(t *testing.T) {
	cl := startCluster(t, 3)
	n1 := cl.Nodes[0]
	ids := []string{"n1", "n2", "n3"}

	out, errOut, code := kvcli(t, n1, "", "status", "-o", "json")
	if code != 0 || errOut != "" || strings.Count(out, "\n") != 1 {
		t.Fatalf("status -o json: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	var st statusJSON
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatal(err)
	}
	var got []string
	var owned float64
	for _, m := range st.Members {
		got = append(got, m.ID)
		owned += m.Ownership
		if !m.Answered || m.Error != "" || m.State != "active" || m.Address == "" || m.Version == nil ||
			m.Records == nil || m.DiskBytes == nil || m.PartitionsHeld == nil || len(m.Views) != 3 {
			t.Errorf("member %s = %+v", m.ID, m)
		}
		for _, v := range m.Views {
			if !v.Up || v.State != "active" {
				t.Errorf("%s sees %s as %+v", v.By, m.ID, v)
			}
		}
	}
	if !slices.Equal(got, ids) || st.Partitions != 256 || owned < 0.99 || owned > 1.01 {
		t.Fatalf("status -o json: members %v, %d partitions, ownership %.3f in all:\n%s", got, st.Partitions, owned, out)
	}

	out, errOut, code = kvcli(t, n1, "", "status")
	if code != 0 || errOut != "" || !strings.HasPrefix(out, "3 of 3 members answered; 256 partitions\n") {
		t.Fatalf("status: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if out, _, _ := kvcli(t, n1, "", "status", "-o", "value"); out != "n1\nn2\nn3\n" {
		t.Fatalf("status -o value = %q", out)
	}

	// Only n2, through n1.
	out, errOut, code = kvcli(t, n1, "", "status", "--node", "n2", "-o", "json")
	if err := json.Unmarshal([]byte(out), &st); err != nil || code != 0 {
		t.Fatalf("status --node n2: exit %d, %v\nstderr: %s", code, err, errOut)
	}
	for _, m := range st.Members {
		if m.Answered != (m.ID == "n2") || len(m.Views) != 1 || m.Views[0].By != "n2" {
			t.Errorf("status --node n2: member %+v", m)
		}
	}

	// A member that is down does not answer: its row says so, and the
	// exit status is 1; the others still answer.
	cl.Nodes[2].Kill()
	cl.WaitMembers(30*time.Second, cl.Nodes[0], cl.Nodes[1])
	out, errOut, code = kvcli(t, n1, "", "status", "--timeout", "2s")
	rows := statusRows(t, out)
	if code != 1 || !strings.HasPrefix(out, "2 of 3 members answered") || !strings.HasPrefix(errOut, "kvcli: n3: ") ||
		strings.Count(errOut, "\n") != 1 || !strings.Contains(strings.Join(rows["n3"], " "), "no answer") {
		t.Fatalf("status with n3 down: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	out, _, code = kvcli(t, n1, "", "status", "-o", "json", "--timeout", "2s")
	if err := json.Unmarshal([]byte(out), &st); err != nil || code != 1 {
		t.Fatalf("status -o json with n3 down: exit %d, %v", code, err)
	}
	for _, m := range st.Members {
		if m.Answered == (m.ID == "n3") || m.ID == "n3" && (m.Error == "" || m.Version != nil) {
			t.Errorf("status -o json with n3 down: member %+v", m)
		}
	}
}
