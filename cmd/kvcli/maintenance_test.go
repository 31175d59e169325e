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

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	"github.com/quorumkv/quorumkv/client"
	"github.com/quorumkv/quorumkv/messages"
)

// testNow is the clock of every test run: the fake answers' times are
// relative to it.
var testNow = time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)

func (f *fakeStore) admin(ctx context.Context, call string, node string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	_, ok := ctx.Deadline()
	f.deadlines = append(f.deadlines, ok)
	return f.adminErr[node]
}

func (f *fakeStore) Hints(ctx context.Context, node string) (client.HintsReport, error) {
	if err := f.admin(ctx, "hints "+node, node); err != nil {
		return client.HintsReport{}, err
	}
	return f.hints[node], nil
}

func (f *fakeStore) DrainHints(ctx context.Context, node, target string) (uint64, uint64, error) {
	if err := f.admin(ctx, "drain "+node+" "+target, node); err != nil {
		return 0, 0, err
	}
	var delivered uint64
	for _, h := range f.hints[node].Targets {
		if h.Target == target {
			delivered += h.Count
		}
	}
	return delivered, 0, nil
}

func (f *fakeStore) RepairStatus(ctx context.Context, node string) (client.RepairReport, error) {
	if err := f.admin(ctx, "repair status "+node, node); err != nil {
		return client.RepairReport{}, err
	}
	return f.repairs[node], nil
}

func (f *fakeStore) RepairNow(ctx context.Context, node string, partition int) (int, uint64, error) {
	if err := f.admin(ctx, fmt.Sprintf("repair now %s %d", node, partition), node); err != nil {
		return 0, 0, err
	}
	if partition == -1 {
		return 512, 3, nil
	}
	return 2, 1, nil
}

// sortedCalls returns the calls in order, those made concurrently sorted.
func (f *fakeStore) sortedCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	calls := slices.Clone(f.calls)
	slices.Sort(calls)
	return calls
}

var errDown = fmt.Errorf("%w: no node serves kv.admin.node.n3.hints (nats: no responders available for request)", client.ErrNoServers)

// newMaintenanceStore is a cluster of n1 and n2 up and n3 down (testStatus),
// where n1 and n2 hold hints for n3 and n3 answers nothing.
func newMaintenanceStore() *fakeStore {
	return &fakeStore{
		status: testStatus,
		hints: map[string]client.HintsReport{
			"n1": {Node: "n1", Delivered: 40, Dropped: 1, Targets: []client.HintTarget{
				{Target: "n3", Count: 12, Bytes: 3456, Oldest: testNow.Add(-125 * time.Second)},
			}},
			"n2": {Node: "n2", Delivered: 7, Targets: []client.HintTarget{
				{Target: "n4", Count: 1, Bytes: 100, TargetUp: true},
				{Target: "n3", Count: 8, Bytes: 2 << 20, Oldest: testNow.Add(-31 * time.Second)},
			}},
		},
		repairs: map[string]client.RepairReport{
			"n1": {Node: "n1", Exchanges: 512, KeysRepaired: 3, TombstonesReaped: 2, Partitions: []client.PartitionRepair{
				{Partition: 1, Namespace: "default"},
				{Partition: 0, Namespace: "default", LastExchange: testNow.Add(-12 * time.Second), LastPeer: "n2",
					KeysRepaired: 3, TreeBuilt: testNow.Add(-40 * time.Second), Records: 120},
				{Partition: 2, Namespace: "carts", LastExchange: testNow.Add(-time.Second), LastPeer: "n3",
					LastError: "n3: no\nresponders"},
			}},
			"n2": {Node: "n2", Exchanges: 510, Partitions: []client.PartitionRepair{
				{Partition: 0, Namespace: "default", TreeBuilt: testNow.Add(time.Second), Records: 118},
			}},
		},
		adminErr: map[string]error{"n3": errDown},
	}
}

func TestHintsTable(t *testing.T) {
	f := newMaintenanceStore()
	got := runWith(t, f, "", false, "hints")
	want := "" +
		"HOLDER  TARGET  HINTS  BYTES   OLDEST  TARGET UP\n" +
		"n1      n3      12     3.4KiB  2m5s    no\n" +
		"n2      n3      8      2.0MiB  31s     no\n" +
		"n2      n4      1      100B    -       yes\n" +
		"\n" +
		"2 nodes answered: 21 hints held (2.0MiB); 47 delivered and 1 dropped since they started\n"
	if got.stdout != want {
		t.Fatalf("hints:\n%s\nwant:\n%s", got.stdout, want)
	}
	// n3 is down in the status: it is asked, its failure is reported, and
	// the command still succeeds.
	wantErr := "kvcli: n3 (down): no servers: no node serves kv.admin.node.n3.hints (nats: no responders available for request)\n"
	if got.code != exitOK || got.stderr != wantErr {
		t.Fatalf("hints = %+v, want exit 0 and stderr %q", got, wantErr)
	}
	if calls := f.sortedCalls(); !slices.Equal(calls, []string{"hints n1", "hints n2", "hints n3", "status"}) {
		t.Fatalf("calls = %v", calls)
	}
}

func TestHintsNoneHeld(t *testing.T) {
	f := &fakeStore{hints: map[string]client.HintsReport{"n2": {Node: "n2", Delivered: 3}}}
	got := runWith(t, f, "", false, "hints", "--node", "n2")
	want := "1 node answered: no hints held; 3 delivered and 0 dropped since they started\n"
	if got.code != exitOK || got.stdout != want || got.stderr != "" {
		t.Fatalf("hints = %+v, want %q", got, want)
	}
	if !slices.Equal(f.calls, []string{"hints n2"}) {
		t.Fatalf("calls = %v; --node asks that node alone, without a status", f.calls)
	}
}

// A node that the status shows up and that fails makes the exit status 1,
// after what the others said is printed.
func TestHintsFailureOfAnUpNode(t *testing.T) {
	f := newMaintenanceStore()
	f.adminErr["n2"] = &client.Error{Code: messages.ErrorCode_ERROR_CODE_INTERNAL, Message: "disk\non fire"}
	got := runWith(t, f, "", false, "hints")
	if got.code != exitError || !strings.Contains(got.stdout, "n1      n3      12") || strings.Contains(got.stdout, "n4") {
		t.Fatalf("hints = %+v", got)
	}
	lines := strings.Split(strings.TrimSpace(got.stderr), "\n")
	if len(lines) != 2 || lines[0] != "kvcli: n2: internal error: disk on fire" || !strings.HasPrefix(lines[1], "kvcli: n3 (down): ") {
		t.Fatalf("stderr = %q, want one line per failed node", got.stderr)
	}
	// --node names a node that must answer.
	got = runWith(t, newMaintenanceStore(), "", false, "hints", "--node", "n3")
	if got.code != exitError || got.stdout != "" || !strings.HasPrefix(got.stderr, "kvcli: n3: no servers") {
		t.Fatalf("hints --node n3 = %+v", got)
	}
	// Without the member list there is no one to ask.
	got = runWith(t, &fakeStore{}, "", false, "hints")
	if got.code != exitError || got.stderr != "kvcli: no member to ask in the status of -\n" {
		t.Fatalf("hints without members = %+v", got)
	}
}

func TestHintsJSON(t *testing.T) {
	got := runWith(t, newMaintenanceStore(), "", false, "hints", "--json")
	if got.code != exitOK {
		t.Fatalf("hints --json = %+v", got)
	}
	lines := strings.Split(strings.TrimSuffix(got.stdout, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one line per node that answered, got %q", got.stdout)
	}
	want := `{"node":"n2","delivered":7,"dropped":0,"targets":[` +
		`{"target":"n3","count":8,"bytes":2097152,"oldest":"2026-05-06T07:07:38Z","oldestAgeMs":31000,"targetUp":false},` +
		`{"target":"n4","count":1,"bytes":100,"oldest":null,"oldestAgeMs":null,"targetUp":true}]}`
	if lines[1] != want {
		t.Fatalf("line 2:\n%s\nwant:\n%s", lines[1], want)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil {
		t.Fatal(err)
	}
	if m["node"] != "n1" || m["delivered"] != float64(40) || m["dropped"] != float64(1) {
		t.Fatalf("line 1 = %v; want numbers as numbers", m)
	}
	got = runWith(t, &fakeStore{hints: map[string]client.HintsReport{"n1": {}}}, "", false, "hints", "--json", "--node", "n1")
	if got.stdout != `{"node":"n1","delivered":0,"dropped":0,"targets":[]}`+"\n" {
		t.Fatalf("empty report = %q; want every field, targets an empty list", got.stdout)
	}
}

func TestHintsDrain(t *testing.T) {
	f := newMaintenanceStore()
	got := runWith(t, f, "", false, "hints", "drain", "n3")
	want := "" +
		"n1: delivered 12 hints for n3, 0 remaining\n" +
		"n2: delivered 8 hints for n3, 0 remaining\n" +
		"total: delivered 20 hints for n3, 0 remaining, from 2 holders\n"
	if got.code != exitOK || got.stdout != want || got.stderr != "" {
		t.Fatalf("hints drain n3 = %+v, want:\n%s", got, want)
	}
	// The target is no holder of its own hints; holders go one at a time.
	if !slices.Equal(f.calls, []string{"status", "drain n1 n3", "drain n2 n3"}) {
		t.Fatalf("calls = %v", f.calls)
	}
	if slices.Contains(f.deadlines, true) {
		t.Fatal("without --timeout the SDK's wait for work applies, not a ctx deadline")
	}

	// A holder that is down is not asked; one that fails is exit status 1.
	f = newMaintenanceStore()
	f.adminErr["n1"] = fmt.Errorf("%w: drain: no answer within 60s", client.ErrTimeout)
	got = runWith(t, f, "", false, "hints", "drain", "n2", "--timeout", "2s")
	if got.code != exitError || got.stdout != "" ||
		got.stderr != "kvcli: n3: down, not asked\nkvcli: n1: timeout: drain: no answer within 60s\n" {
		t.Fatalf("hints drain n2 = %+v", got)
	}
	if !slices.Equal(f.deadlines, []bool{true}) {
		t.Fatalf("deadlines = %v; --timeout bounds each holder", f.deadlines)
	}

	got = runWith(t, newMaintenanceStore(), "", false, "hints", "drain", "n3", "--json", "--node", "n2")
	if got.code != exitOK || got.stdout != `{"node":"n2","target":"n3","delivered":8,"remaining":0}`+"\n" {
		t.Fatalf("hints drain --json = %+v", got)
	}
}

func TestRepairStatusTable(t *testing.T) {
	f := newMaintenanceStore()
	got := runWith(t, f, "", false, "repair", "status")
	want := "" +
		"NODE  PARTITION  NAMESPACE  LAST EXCHANGE  PEER  KEYS REPAIRED  TREE AGE  RECORDS  LAST ERROR\n" +
		"n1    0          default    12s            n2    3              40s       120      -\n" +
		"n1    2          carts      1s             n3    0              -         0        n3: no responders\n" +
		"n2    0          default    -              -     0              0s        118      -\n" +
		"\n" +
		"NODE  EXCHANGES  KEYS REPAIRED  TOMBSTONES REAPED  TREES\n" +
		"n1    512        3              2                  3\n" +
		"n2    510        0              0                  1\n" +
		"\n" +
		"1 tree without data not shown; --all shows them\n"
	if got.code != exitOK || got.stdout != want || !strings.HasPrefix(got.stderr, "kvcli: n3 (down): ") {
		t.Fatalf("repair status = %+v\n%s\nwant:\n%s", got, got.stdout, want)
	}

	got = runWith(t, newMaintenanceStore(), "", false, "repair", "status", "--all", "--node", "n1")
	if got.code != exitOK || !strings.Contains(got.stdout, "n1    1          default    -              -     0              -         0        -\n") ||
		strings.Contains(got.stdout, "not shown") || got.stderr != "" {
		t.Fatalf("repair status --all:\n%s", got.stdout)
	}

	empty := &fakeStore{repairs: map[string]client.RepairReport{"n1": {Partitions: []client.PartitionRepair{{Partition: 4}}}}}
	got = runWith(t, empty, "", false, "repair", "status", "--node", "n1")
	if !strings.HasPrefix(got.stdout, "no tree covers records, has repaired keys or failed\n\nNODE") {
		t.Fatalf("repair status with nothing to show:\n%s", got.stdout)
	}
}

func TestRepairStatusJSON(t *testing.T) {
	got := runWith(t, newMaintenanceStore(), "", false, "repair", "status", "--json", "--node", "n1")
	want := `{"node":"n1","exchanges":512,"keysRepaired":3,"tombstonesReaped":2,"trees":3,"partitions":[` +
		`{"partition":0,"namespace":"default","lastExchange":"2026-05-06T07:07:57Z","lastExchangeAgeMs":12000,` +
		`"lastPeer":"n2","keysRepaired":3,"treeBuilt":"2026-05-06T07:07:29Z","treeAgeMs":40000,"records":120,"lastError":""},` +
		`{"partition":2,"namespace":"carts","lastExchange":"2026-05-06T07:08:08Z","lastExchangeAgeMs":1000,` +
		`"lastPeer":"n3","keysRepaired":0,"treeBuilt":null,"treeAgeMs":null,"records":0,"lastError":"n3: no\nresponders"}]}` + "\n"
	if got.code != exitOK || got.stdout != want {
		t.Fatalf("repair status --json:\n%s\nwant:\n%s", got.stdout, want)
	}
	got = runWith(t, newMaintenanceStore(), "", false, "repair", "status", "--json", "--all")
	var trees int
	for _, line := range strings.Split(strings.TrimSpace(got.stdout), "\n") {
		var m struct{ Partitions []json.RawMessage }
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		trees += len(m.Partitions)
	}
	if got.code != exitOK || trees != 4 {
		t.Fatalf("repair status --json --all: %d trees in\n%s", trees, got.stdout)
	}
}

func TestRepairNow(t *testing.T) {
	f := newMaintenanceStore()
	got := runWith(t, f, "", false, "repair", "now")
	lines := strings.Split(strings.TrimSuffix(got.stdout, "\n"), "\n")
	if got.code != exitOK || len(lines) != 3 || !strings.HasPrefix(lines[0], "n1: 512 exchanges, 3 keys repaired in ") ||
		!strings.HasPrefix(lines[1], "n2: 512 exchanges, 3 keys repaired in ") ||
		lines[2] != "total: 1024 exchanges, 6 keys repaired on 2 nodes" || got.stderr != "kvcli: n3: down, not asked\n" {
		t.Fatalf("repair now = %+v", got)
	}
	if !slices.Equal(f.calls, []string{"status", "repair now n1 -1", "repair now n2 -1"}) {
		t.Fatalf("calls = %v", f.calls)
	}

	f = newMaintenanceStore()
	got = runWith(t, f, "", false, "repair", "now", "--partition", "17", "--node", "n2", "--json")
	var m map[string]any
	if err := json.Unmarshal([]byte(got.stdout), &m); err != nil || got.code != exitOK {
		t.Fatalf("repair now --json = %+v: %v", got, err)
	}
	if m["node"] != "n2" || m["exchanges"] != float64(2) || m["keysRepaired"] != float64(1) || m["elapsedMs"] == nil {
		t.Fatalf("repair now --json = %s", got.stdout)
	}
	if !slices.Equal(f.calls, []string{"repair now n2 17"}) {
		t.Fatalf("calls = %v", f.calls)
	}
	// Partition 0 is a partition, not "all".
	f = newMaintenanceStore()
	runWith(t, f, "", false, "repair", "now", "--partition", "0", "--node", "n1")
	if !slices.Equal(f.calls, []string{"repair now n1 0"}) {
		t.Fatalf("calls = %v", f.calls)
	}
}

func TestMaintenanceUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"repair"}, "repair: missing subcommand: now or status"},
		{[]string{"repair", "fix"}, `repair: unknown subcommand "fix"`},
		{[]string{"ns"}, "ns: missing subcommand: create or list"},
		{[]string{"hints", "drain"}, "hints drain: missing NODE"},
		{[]string{"hints", "drain", ""}, "hints drain: empty NODE"},
		{[]string{"hints", "n3"}, `hints: unknown subcommand "n3"`},
		{[]string{"hints", "dran", "n3"}, `hints: unknown subcommand "dran" (did you mean drain?)`},
		{[]string{"get", "k", "--all"}, "unknown flag --all (it applies to repair status)"},
		{[]string{"repair", "now", "--all"}, "unknown flag --all (it applies to repair status)"},
		{[]string{"repair", "status", "--partition", "3"}, "unknown flag --partition (it applies to repair now)"},
		{[]string{"repair", "now", "--partition", "-1"}, "--partition must not be negative"},
		{[]string{"help", "repair", "fix"}, `no help for "repair fix"`},
	} {
		got := runWith(t, &fakeStore{}, "", false, tt.args...)
		if got.code != exitUsage || !strings.Contains(got.stderr, tt.msg) {
			t.Errorf("%v = %+v, want exit 2 saying %q", tt.args, got, tt.msg)
		}
	}
	for line, want := range map[string]string{
		"hints drain n3 --node n1": "hints drain",
		"hints --json":             "hints",
		"repair status --all":      "repair status",
		"repair now --partition 3": "repair now",
	} {
		inv, err := parse(strings.Fields(line), noEnv)
		if err != nil || inv.cmd != want {
			t.Errorf("parse(%q) = %+v, %v; want %s", line, inv, err, want)
		}
	}
}

func TestMaintenanceHelp(t *testing.T) {
	f := &fakeStore{}
	got := runWith(t, f, "", false, "help", "repair")
	if got.code != exitOK || !strings.Contains(got.stdout, "\n  status ") || !strings.Contains(got.stdout, "\n  now ") {
		t.Fatalf("help repair = %+v", got)
	}
	got = runWith(t, f, "", false, "hints", "--help")
	if !strings.Contains(got.stdout, "\n  kvcli hints [flags]\n") || !strings.Contains(got.stdout, "\n  drain ") {
		t.Fatalf("hints --help:\n%s", got.stdout)
	}
	// --node says what it means for these commands, once.
	got = runWith(t, f, "", false, "help", "repair", "now")
	if strings.Count(got.stdout, "  --node ID") != 1 || !strings.Contains(got.stdout, "ask only node ID") {
		t.Fatalf("help repair now:\n%s", got.stdout)
	}
	main := runWith(t, f, "", false, "help").stdout
	for _, c := range []string{"\n  hints ", "\n  repair "} {
		if !strings.Contains(main, c) {
			t.Errorf("the main usage does not list %q", c)
		}
	}
	if len(f.calls) != 0 {
		t.Fatalf("help touched the store: %v", f.calls)
	}
}

func TestBytesText(t *testing.T) {
	for n, want := range map[uint64]string{0: "0B", 1023: "1023B", 1024: "1.0KiB", 3456: "3.4KiB", 5 << 30: "5.0GiB"} {
		if got := bytesText(n); got != want {
			t.Errorf("bytesText(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestMaintenanceReachesTheWire runs the maintenance commands through the
// real SDK against an embedded nats-server, where a responder plays n1 and
// n2 on their admin subjects and n3 (down in the status) serves nothing.
func TestMaintenanceReachesTheWire(t *testing.T) {
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(5 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	defer s.Shutdown()
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()

	var mu sync.Mutex
	seen := map[string]proto.Message{}
	handle := func(subject string, req, resp proto.Message) {
		t.Helper()
		if _, err := nc.Subscribe(subject, func(m *nats.Msg) {
			mu.Lock()
			defer mu.Unlock()
			r := req.ProtoReflect().New().Interface()
			if err := proto.Unmarshal(m.Data, r); err != nil {
				t.Error(err)
			}
			seen[m.Subject] = r
			data, _ := proto.Marshal(resp)
			_ = m.Respond(data)
		}); err != nil {
			t.Fatal(err)
		}
	}
	handle(messages.SubjectStatus, &messages.StatusRequest{}, testStatus)
	for _, node := range []string{"n1", "n2"} {
		handle(messages.AdminNodeSubject(node, messages.AdminHints), &messages.HintsRequest{},
			&messages.HintsResponse{Node: node, Delivered: 2, Targets: []*messages.HintTargetStatus{
				{Target: "n3", Count: 5, Bytes: 500, OldestUnixNano: time.Now().Add(-time.Minute).UnixNano()},
			}})
		handle(messages.AdminNodeSubject(node, messages.AdminHintsDrain), &messages.HintsDrainRequest{},
			&messages.HintsDrainResponse{Delivered: 5})
		handle(messages.AdminNodeSubject(node, messages.AdminRepairState), &messages.RepairStatusRequest{},
			&messages.RepairStatusResponse{Node: node, Exchanges: 9, Partitions: []*messages.PartitionRepair{
				{Partition: 3, Namespace: "default", Records: 10, LastPeer: "n1", LastExchangeUnixNano: time.Now().UnixNano()},
			}})
		handle(messages.AdminNodeSubject(node, messages.AdminRepairNow), &messages.RepairNowRequest{},
			&messages.RepairNowResponse{Exchanges: 2, KeysRepaired: 1})
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}

	run := func(args ...string) outcome {
		var out, errOut bytes.Buffer
		a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: noEnv, dial: dialSDK}
		code := a.run(context.Background(), append(args, "--server", s.ClientURL(), "--timeout", "2s"))
		return outcome{code, out.String(), errOut.String()}
	}
	got := run("hints")
	if got.code != exitOK || !strings.Contains(got.stdout, "\nn2      n3      5      500B   1m") ||
		!strings.Contains(got.stdout, "2 nodes answered: 10 hints held") ||
		!strings.HasPrefix(got.stderr, "kvcli: n3 (down): no servers: no node serves kv.admin.node.n3.hints") {
		t.Fatalf("hints = %+v", got)
	}
	got = run("repair", "status", "--json")
	if got.code != exitOK || strings.Count(got.stdout, `"exchanges":9,`) != 2 || !strings.Contains(got.stdout, `"records":10,`) {
		t.Fatalf("repair status --json = %+v", got)
	}
	got = run("repair", "now", "--partition", "3")
	if got.code != exitOK || !strings.Contains(got.stdout, "total: 4 exchanges, 2 keys repaired on 2 nodes") ||
		got.stderr != "kvcli: n3: down, not asked\n" {
		t.Fatalf("repair now = %+v", got)
	}
	got = run("hints", "drain", "n3", "--node", "n2")
	if got.code != exitOK || got.stdout != "n2: delivered 5 hints for n3, 0 remaining\n" {
		t.Fatalf("hints drain = %+v", got)
	}
	mu.Lock()
	defer mu.Unlock()
	drain := seen[messages.AdminNodeSubject("n2", messages.AdminHintsDrain)]
	if !proto.Equal(drain, &messages.HintsDrainRequest{Target: "n3"}) {
		t.Errorf("HintsDrainRequest = %v", drain)
	}
	for _, node := range []string{"n1", "n2"} {
		now := seen[messages.AdminNodeSubject(node, messages.AdminRepairNow)]
		if !proto.Equal(now, &messages.RepairNowRequest{Partition: 3}) {
			t.Errorf("RepairNowRequest to %s = %v", node, now)
		}
	}
}
