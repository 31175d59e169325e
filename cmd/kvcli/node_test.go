package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	"github.com/quorumkv/quorumkv/client"
	"github.com/quorumkv/quorumkv/messages"
)

func (f *fakeStore) Decommission(ctx context.Context, node string, o client.DecommissionOptions) (string, error) {
	if err := f.admin(ctx, fmt.Sprintf("decommission %s cancel=%v force=%v", node, o.Cancel, o.Force), node); err != nil {
		return "", err
	}
	return f.decommissionState, f.decommissionErr
}

func (f *fakeStore) Remove(ctx context.Context, node string, force bool) error {
	if err := f.admin(ctx, fmt.Sprintf("remove %s force=%v", node, force), ""); err != nil {
		return err
	}
	return f.removeErr
}

func (f *fakeStore) Transfers(ctx context.Context, node string) (client.TransfersReport, error) {
	if err := f.admin(ctx, "transfers "+node, node); err != nil {
		return client.TransfersReport{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.transfersFn != nil {
		return f.transfersFn(node)
	}
	return f.transfers[node], nil
}

// callsOf returns the calls that start with prefix, in order.
func (f *fakeStore) callsOf(prefix string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var calls []string
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			calls = append(calls, c)
		}
	}
	return calls
}

// membersStatus is a status with the given members, each up and active.
func membersStatus(ids ...string) *messages.StatusResponse {
	st := &messages.StatusResponse{Node: ids[0], Partitions: 64}
	for _, id := range ids {
		st.Members = append(st.Members, &messages.MemberStatus{Id: id, Up: true, State: "active"})
	}
	return st
}

// departing scripts the decommission of n4 from a cluster of n1..n4: n4
// answers its transfers with reports[0], reports[1], ... and then errDown
// (it has exited); n1 receives 1KiB and n2 1MiB more at each look, from a
// total of 5000 bytes each before the decommission. statusAt(look) is the
// member list at each look (counted from 0 before the decommission).
func departing(reports []client.TransfersReport, statusAt func(look int) *messages.StatusResponse) *fakeStore {
	f := &fakeStore{decommissionState: "leaving"}
	looks := 0
	asked := map[string]int{}
	f.statusFn = func() (*messages.StatusResponse, error) {
		st := statusAt(looks)
		looks++
		return st, nil
	}
	f.transfersFn = func(node string) (client.TransfersReport, error) {
		i := asked[node]
		asked[node]++
		switch node {
		case "n4":
			if i < len(reports) {
				return reports[i], nil
			}
			return client.TransfersReport{}, errDown
		case "n1":
			return client.TransfersReport{Node: node, State: "active", BytesReceived: 5000 + uint64(i)*1024}, nil
		case "n2":
			return client.TransfersReport{Node: node, State: "active", BytesReceived: 5000 + uint64(i)<<20}, nil
		}
		return client.TransfersReport{Node: node, State: "active"}, nil
	}
	return f
}

func leaving(done, total int) client.TransfersReport {
	return client.TransfersReport{Node: "n4", State: "leaving", PartitionsToHandOff: total, PartitionsHandedOff: done}
}

func TestDecommissionFollowsTheDeparture(t *testing.T) {
	f := departing([]client.TransfersReport{leaving(1, 4), leaving(3, 4), leaving(3, 4), leaving(4, 4),
		{Node: "n4", State: "left"}},
		func(int) *messages.StatusResponse { return membersStatus("n1", "n2", "n3", "n4") })
	got := runWith(t, f, "", false, "node", "decommission", "n4")
	wantErr := "" +
		"decommission n4: leaving, handing its partitions on\n" +
		"decommission n4: 1/4 partitions handed off, 1.0MiB moved\n" +
		"decommission n4: 3/4 partitions handed off, 2.0MiB moved\n" +
		"decommission n4: 3/4 partitions handed off, 3.0MiB moved\n" +
		"decommission n4: 4/4 partitions handed off, 4.0MiB moved\n" +
		"decommission n4: 4/4 partitions handed off, 5.0MiB moved\n" +
		"decommission n4: 4/4 partitions handed off, 6.0MiB moved\n"
	if got.code != exitOK || got.stdout != "n4 has left the cluster\n" || got.stderr != wantErr {
		t.Fatalf("node decommission n4 = %d\nstdout:\n%s\nstderr:\n%s\nwant stderr:\n%s", got.code, got.stdout, got.stderr, wantErr)
	}
	// The other members are sampled before the decommission, so that
	// what they received before does not count; n3 is asked too.
	decommissions := f.callsOf("decommission")
	if !slices.Equal(decommissions, []string{"decommission n4 cancel=false force=false"}) {
		t.Fatalf("decommission calls = %v", decommissions)
	}
	if n3 := f.callsOf("transfers n3"); len(n3) != 7 {
		t.Fatalf("n3 asked %d times, want at each of the 7 looks", len(n3))
	}
	if n4 := f.callsOf("transfers n4"); len(n4) != 6 {
		t.Fatalf("n4 asked %d times, want at each look after the decommission", len(n4))
	}
}

// A leaving node that stops answering before it has handed everything
// off is not done: kvcli waits until it is gone from the member list.
func TestDecommissionOfANodeThatGoesSilent(t *testing.T) {
	f := departing([]client.TransfersReport{leaving(1, 4)}, func(look int) *messages.StatusResponse {
		if look < 5 {
			return membersStatus("n1", "n2", "n3", "n4")
		}
		return membersStatus("n1", "n2", "n3")
	})
	got := runWith(t, f, "", false, "node", "decommission", "n4", "--force")
	lines := strings.Split(strings.TrimSpace(got.stderr), "\n")
	if got.code != exitOK || got.stdout != "n4 has left the cluster\n" || len(lines) < 3 {
		t.Fatalf("node decommission n4 = %+v", got)
	}
	if lines[1] != "decommission n4: 1/4 partitions handed off, 1.0MiB moved" {
		t.Fatalf("line 2 = %q", lines[1])
	}
	silent := "kvcli: n4 does not answer (no servers: no node serves kv.admin.node.n3.hints " +
		"(nats: no responders available for request)); waiting until it is gone from the member list"
	if strings.Count(got.stderr, silent) != 1 {
		t.Fatalf("stderr:\n%s\nwant once: %s", got.stderr, silent)
	}
	if f.callsOf("decommission")[0] != "decommission n4 cancel=false force=true" {
		t.Fatalf("calls = %v", f.calls)
	}
}

func TestDecommissionCancelledMeanwhile(t *testing.T) {
	f := departing([]client.TransfersReport{leaving(1, 4), {Node: "n4", State: "active"}},
		func(int) *messages.StatusResponse { return membersStatus("n1", "n4") })
	got := runWith(t, f, "", false, "node", "decommission", "n4")
	if got.code != exitError || got.stdout != "" ||
		!strings.HasSuffix(got.stderr, "kvcli: n4 is active again: its decommission was cancelled\n") {
		t.Fatalf("node decommission n4 = %+v", got)
	}
}

func TestDecommissionInterrupted(t *testing.T) {
	f := departing([]client.TransfersReport{leaving(1, 4)}, func(int) *messages.StatusResponse {
		return membersStatus("n1", "n4")
	})
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut bytes.Buffer
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: noEnv, pollEvery: time.Millisecond,
		dial: func(conn) (store, error) { return f, nil }}
	time.AfterFunc(50*time.Millisecond, cancel)
	code := a.run(ctx, []string{"node", "decommission", "n4"})
	if code != exitError || out.String() != "" ||
		!strings.HasSuffix(errOut.String(), "kvcli: stopped waiting: n4 goes on leaving ('kvcli node decommission n4 --cancel' stops it)\n") {
		t.Fatalf("interrupted decommission = %d, %q, %q", code, out.String(), errOut.String())
	}
}

func TestDecommissionNoWaitAndCancel(t *testing.T) {
	f := &fakeStore{decommissionState: "leaving"}
	got := runWith(t, f, "", false, "node", "decommission", "n4", "--no-wait", "--force")
	if got.code != exitOK || got.stderr != "" ||
		got.stdout != "n4 is leaving: it hands its partitions on, then leaves the cluster; 'kvcli transfers' shows the progress\n" {
		t.Fatalf("--no-wait = %+v", got)
	}
	if !slices.Equal(f.calls, []string{"decommission n4 cancel=false force=true"}) {
		t.Fatalf("calls = %v; --no-wait asks nothing else", f.calls)
	}

	f = &fakeStore{decommissionState: "active"}
	got = runWith(t, f, "", false, "node", "decommission", "n4", "--cancel")
	if got.code != exitOK || got.stdout != "n4 is active\n" || got.stderr != "" {
		t.Fatalf("--cancel = %+v", got)
	}
	if !slices.Equal(f.calls, []string{"decommission n4 cancel=true force=false"}) {
		t.Fatalf("calls = %v", f.calls)
	}

	// A refusal is the node's error, exit status 1.
	f = &fakeStore{decommissionErr: &client.Error{Code: messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT,
		Message: "removing n4 leaves 2 node(s), fewer than the largest namespace n=3: use --force to accept fewer copies"}}
	got = runWith(t, f, "", false, "node", "decommission", "n4", "--no-wait")
	if got.code != exitError || got.stdout != "" || !strings.Contains(got.stderr, "use --force to accept fewer copies") ||
		strings.Count(got.stderr, "\n") != 1 {
		t.Fatalf("refused decommission = %+v", got)
	}
}

func TestRemove(t *testing.T) {
	f := &fakeStore{}
	got := runWith(t, f, "", false, "node", "remove", "n3", "--force")
	if got.code != exitOK || got.stderr != "" ||
		got.stdout != "removed n3; its partitions are being re-replicated from the other replicas\n" {
		t.Fatalf("node remove = %+v", got)
	}
	if !slices.Equal(f.calls, []string{"remove n3 force=true"}) {
		t.Fatalf("calls = %v", f.calls)
	}
	f = &fakeStore{removeErr: &client.Error{Code: messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT,
		Message: `unknown node "n9": it is not a member of this cluster`}}
	got = runWith(t, f, "", false, "node", "remove", "n9")
	if got.code != exitError || got.stdout != "" || !strings.Contains(got.stderr, `unknown node "n9"`) {
		t.Fatalf("node remove n9 = %+v", got)
	}
	if !slices.Equal(f.calls, []string{"remove n9 force=false"}) {
		t.Fatalf("calls = %v", f.calls)
	}
}

// newTransfersStore is testStatus's cluster (n1, n2 up, n3 down) with n2
// leaving and n1 receiving two of its partitions.
func newTransfersStore() *fakeStore {
	return &fakeStore{
		status: testStatus,
		transfers: map[string]client.TransfersReport{
			"n1": {Node: "n1", State: "active", PartitionsGained: 10, PartitionsReceived: 3,
				BytesReceived: 3 << 20, PartitionsCompleted: 3, Transfers: []client.Transfer{
					{Partition: 17, From: "n3", To: "n1", BytesDone: 1024, State: "stalled", ETA: -1,
						Reason: "n3: no\nresponders"},
					{Partition: 5, From: "n2", To: "n1", BytesDone: 3 << 20, BytesTotal: 4 << 20, Records: 900,
						BytesPerSecond: 512 * 1024, ETA: 2 * time.Second, State: "streaming"},
					{Partition: 9, To: "n1", ETA: -1, State: "waiting"},
				}},
			"n2": {Node: "n2", State: "leaving", PartitionsToHandOff: 64, PartitionsHandedOff: 37, BytesSent: 5 << 20},
		},
		adminErr: map[string]error{"n3": errDown},
	}
}

const wantTransferTable = "" +
	"PARTITION  FROM  TO  DONE/TOTAL     RATE        ETA  STATE      REASON\n" +
	"5          n2    n1  3.0MiB/4.0MiB  512.0KiB/s  2s   streaming  -\n" +
	"9          -     n1  0B/?           -           -    waiting    -\n" +
	"17         n3    n1  1.0KiB/?       -           -    stalled    n3: no responders\n"

func TestStatusShowsTransfers(t *testing.T) {
	f := newTransfersStore()
	got := runWith(t, f, "", false, "status")
	// n3 does not answer: one line, exit status 1, the rest printed.
	if got.code != exitError || !strings.HasPrefix(got.stderr, "kvcli: n3: no servers") || strings.Count(got.stderr, "\n") != 1 {
		t.Fatalf("status = %+v", got)
	}
	before, after, ok := strings.Cut(got.stdout, "\ntransfers in progress:\n")
	if !ok || !strings.HasSuffix(before, "no namespace is under-replicated\n") {
		t.Fatalf("status:\n%s", got.stdout)
	}
	if after != wantTransferTable {
		t.Fatalf("transfers in status:\n%s\nwant:\n%s", after, wantTransferTable)
	}
	// Every member is asked for its status; those that answered, for
	// their transfers.
	if calls := f.sortedCalls(); !slices.Equal(calls, []string{"status", "status n2", "status n3", "transfers n1", "transfers n2"}) {
		t.Fatalf("calls = %v", calls)
	}

	// No transfers: no section.
	got = runWith(t, &fakeStore{status: testStatus}, "", false, "status")
	if got.code != exitOK || strings.Contains(got.stdout, "transfers") {
		t.Fatalf("status without transfers:\n%s", got.stdout)
	}

	f = newTransfersStore()
	f.adminErr["n2"] = &client.Error{Code: messages.ErrorCode_ERROR_CODE_INTERNAL, Message: "boom"}
	got = runWith(t, f, "", false, "status")
	if got.code != exitError || !strings.HasPrefix(got.stderr, "kvcli: n2: internal error: boom\nkvcli: n3: ") ||
		!strings.Contains(got.stdout, "MEMBER  ADDRESS") || !strings.Contains(got.stdout, "transfers in progress:") {
		t.Fatalf("status with n2 silent = %+v", got)
	}

	// -o json has the transfers too.
	got = runWith(t, newTransfersStore(), "", false, "status", "-o", "json")
	var v statusView
	if err := json.Unmarshal([]byte(got.stdout), &v); err != nil || got.code != exitError {
		t.Fatalf("status -o json = %+v: %v", got, err)
	}
	if len(v.Transfers) != 3 || v.Transfers[0].Partition != 5 || len(v.Members) != 3 {
		t.Fatalf("status -o json = %s", got.stdout)
	}
}

func TestTransfersTable(t *testing.T) {
	f := newTransfersStore()
	got := runWith(t, f, "", false, "transfers")
	want := wantTransferTable + "\n" +
		"NODE  STATE    RECEIVED  HANDED OFF  BYTES IN  BYTES OUT  COMPLETED\n" +
		"n1    active   3/10      -           3.0MiB    0B         3\n" +
		"n2    leaving  -         37/64       0B        5.0MiB     0\n"
	if got.code != exitOK || got.stdout != want {
		t.Fatalf("transfers:\n%s\nwant:\n%s", got.stdout, want)
	}
	// n3 is down in the status: asked, its silence reported, no failure.
	if !strings.HasPrefix(got.stderr, "kvcli: n3 (down): ") || strings.Count(got.stderr, "\n") != 1 {
		t.Fatalf("stderr = %q", got.stderr)
	}
	if calls := f.sortedCalls(); !slices.Equal(calls, []string{"status", "transfers n1", "transfers n2", "transfers n3"}) {
		t.Fatalf("calls = %v", calls)
	}

	got = runWith(t, newTransfersStore(), "", false, "transfers", "--node", "n2")
	if got.code != exitOK || !strings.HasPrefix(got.stdout, "no transfer in progress\n\nNODE") || got.stderr != "" {
		t.Fatalf("transfers --node n2 = %+v", got)
	}
	got = runWith(t, newTransfersStore(), "", false, "transfers", "--node", "n3")
	if got.code != exitError || got.stdout != "" || !strings.HasPrefix(got.stderr, "kvcli: n3: no servers") {
		t.Fatalf("transfers --node n3 = %+v", got)
	}
}

func TestTransfersJSON(t *testing.T) {
	got := runWith(t, newTransfersStore(), "", false, "transfers", "--json")
	lines := strings.Split(strings.TrimSuffix(got.stdout, "\n"), "\n")
	if got.code != exitOK || len(lines) != 2 {
		t.Fatalf("transfers --json = %+v", got)
	}
	want := `{"node":"n1","state":"active","partitionsGained":10,"partitionsReceived":3,"partitionsToHandOff":0,` +
		`"partitionsHandedOff":0,"bytesReceived":3145728,"bytesSent":0,"partitionsCompleted":3,"transfers":[` +
		`{"partition":5,"from":"n2","to":"n1","bytesDone":3145728,"bytesTotal":4194304,"records":900,` +
		`"bytesPerSecond":524288,"etaMs":2000,"state":"streaming","reason":""},` +
		`{"partition":9,"from":"","to":"n1","bytesDone":0,"bytesTotal":0,"records":0,"bytesPerSecond":0,` +
		`"etaMs":null,"state":"waiting","reason":""},` +
		`{"partition":17,"from":"n3","to":"n1","bytesDone":1024,"bytesTotal":0,"records":0,"bytesPerSecond":0,` +
		`"etaMs":null,"state":"stalled","reason":"n3: no\nresponders"}]}`
	if lines[0] != want {
		t.Fatalf("line 1:\n%s\nwant:\n%s", lines[0], want)
	}
	if lines[1] != `{"node":"n2","state":"leaving","partitionsGained":0,"partitionsReceived":0,"partitionsToHandOff":64,`+
		`"partitionsHandedOff":37,"bytesReceived":0,"bytesSent":5242880,"partitionsCompleted":0,"transfers":[]}` {
		t.Fatalf("line 2: %s", lines[1])
	}
}

func TestNodeUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"node"}, "node: missing subcommand: decommission or remove"},
		{[]string{"node", "drain"}, `node: unknown subcommand "drain"`},
		{[]string{"node", "decommission"}, "node decommission: missing ID"},
		{[]string{"node", "remove"}, "node remove: missing ID"},
		{[]string{"node", "remove", ""}, "node remove: empty ID"},
		{[]string{"node", "remove", "n3", "n4"}, `node remove: unexpected argument "n4"`},
		{[]string{"node", "decommission", "n4", "--bogus"}, "unknown flag --bogus"},
		{[]string{"node", "remove", "n3", "--no-wait"}, "unknown flag --no-wait (it applies to node decommission)"},
		{[]string{"node", "remove", "n3", "--cancel"}, "unknown flag --cancel (it applies to node decommission)"},
		{[]string{"status", "--force"}, "unknown flag --force (it applies to node decommission, node remove)"},
		{[]string{"node", "decommission", "n4", "--cancel", "--force"}, "--cancel and --force exclude each other"},
		{[]string{"transfers", "n1"}, `transfers: unexpected argument "n1"`},
		{[]string{"node", "decommission", "n4", "--node", "n1"}, "unknown flag --node"},
	} {
		f := &fakeStore{}
		got := runWith(t, f, "", false, tt.args...)
		if got.code != exitUsage || !strings.Contains(got.stderr, tt.msg) || got.stdout != "" {
			t.Errorf("%v = %+v, want exit 2 saying %q", tt.args, got, tt.msg)
		}
		if len(f.calls) != 0 {
			t.Errorf("%v touched the store: %v", tt.args, f.calls)
		}
	}
	for line, want := range map[string]string{
		"node decommission n4 --no-wait": "node decommission",
		"node remove --force n3":         "node remove",
		"node decommission --cancel n4":  "node decommission",
		"transfers --json --node n2":     "transfers",
	} {
		inv, err := parse(strings.Fields(line), noEnv)
		if err != nil || inv.cmd != want {
			t.Errorf("parse(%q) = %+v, %v; want %s", line, inv, err, want)
		}
	}
}

func TestNodeHelp(t *testing.T) {
	f := &fakeStore{}
	got := runWith(t, f, "", false, "help", "node")
	if got.code != exitOK || !strings.Contains(got.stdout, "\n  decommission ") || !strings.Contains(got.stdout, "\n  remove ") {
		t.Fatalf("help node = %+v", got)
	}
	// --node means nothing to them and is not offered.
	if strings.Contains(got.stdout, "--node") {
		t.Fatalf("help node lists --node:\n%s", got.stdout)
	}
	got = runWith(t, f, "", false, "node", "decommission", "--help")
	for _, flag := range []string{"--no-wait", "--cancel", "--force", "--timeout", "--server"} {
		if !strings.Contains(got.stdout, flag) {
			t.Errorf("help node decommission does not list %s", flag)
		}
	}
	main := runWith(t, f, "", false, "help").stdout
	for _, c := range []string{"\n  node ", "\n  transfers "} {
		if !strings.Contains(main, c) {
			t.Errorf("the main usage does not list %q", c)
		}
	}
	if got := runWith(t, f, "", false, "help", "status").stdout; !strings.Contains(got, "STATE") || !strings.Contains(got, "OWNS") {
		t.Errorf("help status does not explain STATE and OWNS:\n%s", got)
	}
	if len(f.calls) != 0 {
		t.Fatalf("help touched the store: %v", f.calls)
	}
}

// TestNodeCommandsReachTheWire runs the node commands through the real SDK
// against an embedded nats-server where a responder plays the nodes.
func TestNodeCommandsReachTheWire(t *testing.T) {
	s, nc := startNATS(t)

	var mu sync.Mutex
	seen := map[string][]proto.Message{}
	n4Reports := 0
	handle := func(subject string, req proto.Message, resp func() proto.Message) {
		t.Helper()
		if _, err := nc.Subscribe(subject, func(m *nats.Msg) {
			mu.Lock()
			defer mu.Unlock()
			r := req.ProtoReflect().New().Interface()
			if err := proto.Unmarshal(m.Data, r); err != nil {
				t.Error(err)
			}
			seen[m.Subject] = append(seen[m.Subject], r)
			data, _ := proto.Marshal(resp())
			_ = m.Respond(data)
		}); err != nil {
			t.Fatal(err)
		}
	}
	// n4 is listed until, once decommissioned, it has reported that it
	// handed everything off.
	handle(messages.SubjectStatus, &messages.StatusRequest{}, func() proto.Message {
		if n4Reports > 0 {
			return membersStatus("n1")
		}
		return membersStatus("n1", "n4")
	})
	// Asked one by one, the members answer status for themselves.
	for _, id := range []string{"n1", "n4"} {
		handle(messages.NodeAPISubject(id, "status"), &messages.StatusRequest{}, func() proto.Message {
			st := membersStatus(id, "n1", "n4")
			st.Members = st.Members[1:]
			st.Version, st.Records, st.DiskBytes, st.PartitionsHeld = "v9", 12, 4096, 64
			return st
		})
	}
	handle(messages.AdminNodeSubject("n4", messages.AdminDecommission), &messages.DecommissionRequest{}, func() proto.Message {
		return &messages.DecommissionResponse{Node: "n4", State: "leaving"}
	})
	handle(messages.AdminNodeSubject("n4", messages.AdminTransfers), &messages.TransfersRequest{}, func() proto.Message {
		if len(seen[messages.AdminNodeSubject("n4", messages.AdminDecommission)]) == 2 {
			n4Reports++
		}
		return &messages.TransfersResponse{Node: "n4", State: "leaving", PartitionsToHandOff: 3, PartitionsHandedOff: 3}
	})
	handle(messages.AdminNodeSubject("n1", messages.AdminTransfers), &messages.TransfersRequest{}, func() proto.Message {
		return &messages.TransfersResponse{Node: "n1", State: "active", BytesReceived: 2048, PartitionsGained: 3,
			PartitionsReceived: 2, Transfers: []*messages.TransferStatus{
				{Partition: 7, From: "n4", To: "n1", BytesDone: 100, BytesTotal: 200, EtaMs: -1, State: "verifying"},
			}}
	})
	handle(messages.SubjectRemove, &messages.RemoveRequest{}, func() proto.Message {
		return &messages.RemoveResponse{Node: "n3"}
	})
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}

	run := func(args ...string) outcome {
		var out, errOut bytes.Buffer
		a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: noEnv, dial: dialSDK,
			pollEvery: 10 * time.Millisecond}
		code := a.run(context.Background(), append(args, "--server", s.ClientURL(), "--timeout", "2s"))
		return outcome{code, out.String(), errOut.String()}
	}
	got := run("transfers", "--json", "--node", "n1")
	if got.code != exitOK || !strings.Contains(got.stdout, `"partition":7,"from":"n4","to":"n1","bytesDone":100,"bytesTotal":200,`) ||
		!strings.Contains(got.stdout, `"etaMs":null,"state":"verifying"`) {
		t.Fatalf("transfers --json = %+v", got)
	}
	got = run("status")
	if got.code != exitOK || !strings.Contains(got.stdout, "transfers in progress:\n") ||
		!strings.Contains(got.stdout, "100B/200B") || !strings.Contains(got.stdout, "\nn4  ") ||
		!strings.Contains(got.stdout, "  v9  ") || got.stderr != "" {
		t.Fatalf("status = %+v", got)
	}
	got = run("node", "remove", "n3", "--force")
	if got.code != exitOK || got.stdout != "removed n3; its partitions are being re-replicated from the other replicas\n" {
		t.Fatalf("node remove = %+v", got)
	}
	got = run("node", "decommission", "n4", "--cancel")
	if got.code != exitOK || got.stdout != "n4 is leaving\n" {
		t.Fatalf("node decommission --cancel = %+v", got)
	}
	got = run("node", "decommission", "n4", "--force")
	if got.code != exitOK || got.stdout != "n4 has left the cluster\n" ||
		!strings.Contains(got.stderr, "decommission n4: 3/3 partitions handed off") {
		t.Fatalf("node decommission = %+v", got)
	}

	mu.Lock()
	defer mu.Unlock()
	if r := seen[messages.SubjectRemove]; len(r) != 1 || !proto.Equal(r[0], &messages.RemoveRequest{Node: "n3", Force: true}) {
		t.Errorf("RemoveRequest = %v", r)
	}
	d := seen[messages.AdminNodeSubject("n4", messages.AdminDecommission)]
	if len(d) != 2 || !proto.Equal(d[0], &messages.DecommissionRequest{Cancel: true}) ||
		!proto.Equal(d[1], &messages.DecommissionRequest{Force: true}) {
		t.Errorf("DecommissionRequests = %v", d)
	}
}

func TestDecommissionJSONAndValue(t *testing.T) {
	script := func() *fakeStore {
		return departing([]client.TransfersReport{leaving(1, 4), leaving(4, 4), {Node: "n4", State: "left"}},
			func(int) *messages.StatusResponse { return membersStatus("n1", "n2", "n3", "n4") })
	}
	got := runWith(t, script(), "", false, "node", "decommission", "n4", "-o", "json")
	if got.code != exitOK || got.stderr != "" {
		t.Fatalf("node decommission -o json = %+v", got)
	}
	var lines []departureLine
	for _, line := range strings.Split(strings.TrimSpace(got.stdout), "\n") {
		var l departureLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		lines = append(lines, l)
	}
	first, second, last := lines[0], lines[1], lines[len(lines)-1]
	if first != (departureLine{Node: "n4", State: "leaving"}) ||
		second.PartitionsHandedOff != 1 || second.PartitionsToHandOff != 4 || second.BytesMoved != 1<<20+1024 || second.Left ||
		last != (departureLine{Node: "n4", State: "left", PartitionsHandedOff: 4, PartitionsToHandOff: 4, BytesMoved: last.BytesMoved, Left: true}) {
		t.Fatalf("node decommission -o json:\n%s", got.stdout)
	}
	got = runWith(t, script(), "", false, "node", "decommission", "n4", "-o", "value")
	if got.code != exitOK || got.stdout != "left\n" || !strings.Contains(got.stderr, "partitions handed off") {
		t.Fatalf("node decommission -o value = %+v", got)
	}
	got = runWith(t, &fakeStore{decommissionState: "active"}, "", false, "node", "decommission", "n4", "--cancel", "-o", "value")
	if got.code != exitOK || got.stdout != "active\n" {
		t.Fatalf("node decommission --cancel -o value = %+v", got)
	}
	got = runWith(t, &fakeStore{}, "", false, "node", "remove", "n3", "-o", "json")
	var r removeView
	if err := json.Unmarshal([]byte(got.stdout), &r); err != nil || r != (removeView{Node: "n3", Removed: true}) {
		t.Fatalf("node remove -o json = %+v: %v", got, err)
	}
}
