package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/quorumkv/quorumkv/messages"
)

// viewsStore is a cluster of n1, n2 and n3 where each node answers its
// own view: n1 (the node kvcli is connected to) sees n3 joining, n2 sees
// it active and n3 down, and n3 does not answer.
func viewsStore() *fakeStore {
	member := func(id, state string, up bool, own float64) *messages.MemberStatus {
		return &messages.MemberStatus{Id: id, Zone: "z" + id[1:], Weight: 1, Addr: "nats://10.0.0." + id[1:] + ":4222",
			Up: up, State: state, Ownership: own, LastHeardMs: 100}
	}
	view := func(node string, records, disk uint64, n3 *messages.MemberStatus) *messages.StatusResponse {
		return &messages.StatusResponse{Node: node, Partitions: 256, Version: "v1.2.3", Commit: "abc", Records: records,
			DiskBytes: disk, PartitionsHeld: 171, Members: []*messages.MemberStatus{
				member("n1", "active", true, 0.5), member("n2", "active", true, 0.5), n3},
			Namespaces: []*messages.NamespaceStatus{{Namespace: &messages.Namespace{Name: "wide", N: 5},
				UnderReplicated: true, Note: "N=5 but 3 members"}}}
	}
	views := map[string]*messages.StatusResponse{
		"n1": view("n1", 1200, 3<<20, member("n3", "joining", true, 0)),
		"n2": view("n2", 1100, 5<<30, member("n3", "active", false, 0)),
	}
	f := &fakeStore{adminErr: map[string]error{"n3": errDown}}
	f.statusOf = func(node string) *messages.StatusResponse { return views[cmpOr(node, "n1")] }
	return f
}

func cmpOr(s, or string) string {
	if s == "" {
		return or
	}
	return s
}

func TestStatusAsksEveryMember(t *testing.T) {
	f := viewsStore()
	got := runWith(t, f, "", false, "status")
	want := "" +
		"2 of 3 members answered; 256 partitions\n" +
		"\n" +
		"MEMBER  ADDRESS               ZONE  WEIGHT  STATE                 UP                  VERSION  RECORDS  DISK    OWNS   PARTITIONS\n" +
		"n1      nats://10.0.0.1:4222  z1    1       active                up                  v1.2.3   1200     3.0MiB  50.0%  171\n" +
		"n2      nats://10.0.0.2:4222  z2    1       active                up                  v1.2.3   1100     5.0GiB  50.0%  171\n" +
		"n3      nats://10.0.0.3:4222  z3    1       joining (n2: active)  no answer (n1: up)  -        -        -       0.0%   -\n" +
		"\n" +
		"UNDER-REPLICATED  N  NOTE\n" +
		"wide              5  N=5 but 3 members\n"
	if got.stdout != want {
		t.Fatalf("status:\n%s\nwant:\n%s", got.stdout, want)
	}
	if got.code != exitError || got.stderr != "kvcli: n3: "+errDown.Error()+"\n" {
		t.Fatalf("status = %d, stderr %q; a member that does not answer is exit status 1", got.code, got.stderr)
	}
	if calls := f.sortedCalls(); !slices.Equal(calls, []string{"status", "status n2", "status n3", "transfers n1", "transfers n2"}) {
		t.Fatalf("calls = %v", calls)
	}
}

func TestStatusJSON(t *testing.T) {
	got := runWith(t, viewsStore(), "", false, "status", "-o", "json")
	if strings.Count(got.stdout, "\n") != 1 || got.code != exitError {
		t.Fatalf("status -o json = %+v; want one line", got)
	}
	var v statusView
	if err := json.Unmarshal([]byte(got.stdout), &v); err != nil {
		t.Fatal(err)
	}
	if v.Partitions != 256 || len(v.Members) != 3 || len(v.Transfers) != 0 || len(v.Namespaces) != 1 ||
		v.Namespaces[0] != (namespaceNote{Name: "wide", N: 5, Note: "N=5 but 3 members"}) {
		t.Fatalf("status -o json = %s", got.stdout)
	}
	n1, n3 := v.Members[0], v.Members[2]
	if n1.ID != "n1" || !n1.Answered || n1.Address != "nats://10.0.0.1:4222" || n1.State != "active" ||
		*n1.Version != "v1.2.3" || *n1.Records != 1200 || *n1.DiskBytes != 3<<20 || *n1.PartitionsHeld != 171 ||
		n1.Ownership != 0.5 || len(n1.Views) != 2 || n1.Views[0].By != "n1" || *n1.Views[0].LastHeardMs != 100 {
		t.Fatalf("n1 = %+v", n1)
	}
	if n3.Answered || n3.Error == "" || n3.Version != nil || n3.Records != nil || n3.State != "joining" ||
		len(n3.Views) != 2 || n3.Views[1].By != "n2" || n3.Views[1].State != "active" || n3.Views[1].Up {
		t.Fatalf("n3 = %+v", n3)
	}
	// Numbers are numbers, every field is there.
	var raw map[string]any
	_ = json.Unmarshal([]byte(got.stdout), &raw)
	m := raw["members"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "address", "zone", "weight", "state", "answered", "error", "ownership", "version",
		"commit", "records", "diskBytes", "partitionsHeld", "views"} {
		if _, ok := m[k]; !ok {
			t.Errorf("member has no %q: %v", k, m)
		}
	}
	if _, ok := m["records"].(float64); !ok {
		t.Errorf("records = %#v, want a number", m["records"])
	}
}

func TestStatusOfOneNode(t *testing.T) {
	f := viewsStore()
	got := runWith(t, f, "", false, "status", "--node", "n2")
	if got.code != exitOK || got.stderr != "" || !slices.Equal(f.sortedCalls(), []string{"status n2", "transfers n2"}) {
		t.Fatalf("status --node n2 = %+v, calls %v", got, f.calls)
	}
	// n2 alone answered; the others are as n2 sees them.
	rows := strings.Split(got.stdout, "\n")
	if !strings.HasPrefix(rows[0], "1 of 3 members answered") || !strings.Contains(rows[5], "n3  ") ||
		!strings.Contains(rows[5], " active ") || !strings.Contains(rows[5], " down ") {
		t.Fatalf("status --node n2:\n%s", got.stdout)
	}
	got = runWith(t, f, "", false, "status", "--node", "n3")
	if got.code != exitError || got.stdout != "" || !strings.HasPrefix(got.stderr, "kvcli: n3: no servers") {
		t.Fatalf("status --node n3 = %+v", got)
	}
	got = runWith(t, viewsStore(), "", false, "status", "-o", "value")
	if got.stdout != "n1\nn2\nn3\n" || got.code != exitError {
		t.Fatalf("status -o value = %+v", got)
	}
}

func TestStatusOfANodeThatPredatesTheNewFields(t *testing.T) {
	got := runWith(t, &fakeStore{status: testStatus, adminErr: map[string]error{"n3": errDown}}, "", false, "status")
	want := "" +
		"2 of 3 members answered; 256 partitions\n" +
		"\n" +
		"MEMBER  ADDRESS  ZONE  WEIGHT  STATE    UP         VERSION  RECORDS  DISK  OWNS   PARTITIONS\n" +
		"n1      -        a     1       active   up         -        0        0B    33.3%  0\n" +
		"n2      -        b     2       leaving  up         -        0        0B    25.0%  0\n" +
		"n3      -        -     1       -        no answer  -        -        -     -      -\n"
	if got.code != exitError || !strings.HasPrefix(got.stdout, want) {
		t.Fatalf("status:\n%s\nwant:\n%s", got.stdout, want)
	}
}
