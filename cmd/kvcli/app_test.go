package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quorumkv/quorumkv/client"
	"github.com/quorumkv/quorumkv/messages"
)

// fakeStore stands in for the SDK: it answers from canned results and
// records what the commands asked.
type fakeStore struct {
	result  *client.Result // what Get returns
	getErr  error
	putErr  error
	written string // the context Put returns
	warning string
	list    []client.Namespace
	status  *messages.StatusResponse
	// statusOf, when set, is each node's own status (node "" is the node
	// kvcli is connected to); a node it has none for does not answer.
	statusOf func(node string) *messages.StatusResponse

	calls   []string
	gets    []request
	puts    []request
	value   []byte
	deletes []request
	created client.Namespace
	closed  bool

	// The maintenance answers per node (see maintenance_test.go); a node
	// in adminErr fails every maintenance call.
	hints    map[string]client.HintsReport
	repairs  map[string]client.RepairReport
	adminErr map[string]error
	// The answers of the node commands (see node_test.go): transfers per
	// node, or transfersFn and statusFn to script a membership change
	// (called with mu held); Decommission answers decommissionState or
	// fails with decommissionErr, Remove fails with removeErr.
	transfers         map[string]client.TransfersReport
	transfersFn       func(node string) (client.TransfersReport, error)
	statusFn          func() (*messages.StatusResponse, error)
	decommissionState string
	decommissionErr   error
	removeErr         error
	// mu guards calls and deadlines in the status, maintenance and node
	// methods, which kvcli calls from several goroutines.
	mu        sync.Mutex
	deadlines []bool // per maintenance call, whether its ctx had a deadline
}

func (f *fakeStore) Get(_ context.Context, key string, o request) (*client.Result, error) {
	f.calls = append(f.calls, "get "+key)
	f.gets = append(f.gets, o)
	return f.result, f.getErr
}

func (f *fakeStore) Put(_ context.Context, key string, value []byte, o request) (string, error) {
	f.calls = append(f.calls, "put "+key)
	f.puts = append(f.puts, o)
	f.value = value
	return f.written, f.putErr
}

func (f *fakeStore) Delete(_ context.Context, key string, o request) error {
	f.calls = append(f.calls, "delete "+key)
	f.deletes = append(f.deletes, o)
	return nil
}

func (f *fakeStore) CreateNamespace(_ context.Context, ns client.Namespace) (string, error) {
	f.calls = append(f.calls, "ns create "+ns.Name)
	f.created = ns
	return f.warning, nil
}

func (f *fakeStore) ListNamespaces(context.Context) ([]client.Namespace, error) {
	f.calls = append(f.calls, "ns list")
	return f.list, nil
}

// Status answers the scripted status, as node would (node "" is the one
// kvcli is connected to, n1 in these tests); a node in adminErr fails.
func (f *fakeStore) Status(_ context.Context, node string) (*nodeStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, strings.TrimSpace("status "+node))
	if err := f.adminErr[node]; err != nil {
		return nil, err
	}
	if f.statusOf != nil {
		st := f.statusOf(node)
		if st == nil {
			return nil, errDown
		}
		return nodeStatusOf(client.StatusFromWire(st)), nil
	}
	if f.statusFn != nil {
		st, err := f.statusFn()
		if err != nil {
			return nil, err
		}
		return nodeStatusOf(client.StatusFromWire(st)), nil
	}
	st := nodeStatusOf(client.StatusFromWire(f.status))
	if node != "" {
		st.Node = node
	}
	return st, nil
}

func (f *fakeStore) Close() { f.closed = true }

func notFound(ctxToken string) (*client.Result, error) {
	return &client.Result{Context: ctxToken}, fmt.Errorf("key %q: %w", "k", client.ErrNotFound)
}

func noEnv(string) string { return "" }

type outcome struct {
	code           int
	stdout, stderr string
}

// runWith runs kvcli on args against f.
func runWith(t *testing.T, f *fakeStore, stdin string, tty bool, args ...string) outcome {
	t.Helper()
	var out, errOut bytes.Buffer
	a := &app{
		stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, getenv: noEnv, tty: tty,
		now: func() time.Time { return testNow }, pollEvery: time.Millisecond,
		dial: func(c conn) (store, error) {
			if c.server != defaultServer {
				return nil, fmt.Errorf("%w: cannot connect to %s", client.ErrNoServers, c.server)
			}
			return f, nil
		},
	}
	code := a.run(context.Background(), args)
	return outcome{code, out.String(), errOut.String()}
}

func TestPutSendsTheContextItRead(t *testing.T) {
	f := &fakeStore{result: &client.Result{Values: []client.Value{{Data: []byte("old")}}, Context: "ctx-1"}}
	got := runWith(t, f, "", false, "put", "k", "new", "--w", "2", "--r", "1", "--namespace", "ns")
	if got.code != exitOK || got.stdout != "" || got.stderr != "" {
		t.Fatalf("put = %+v", got)
	}
	if strings.Join(f.calls, ",") != "get k,put k" {
		t.Fatalf("calls = %v, want get then put", f.calls)
	}
	read, write := f.gets[0], f.puts[0]
	if read.r != 1 || read.namespace != "ns" || read.token != "" {
		t.Errorf("read = %+v", read)
	}
	if write.token != "ctx-1" || write.w != 2 || write.namespace != "ns" || string(f.value) != "new" {
		t.Errorf("write = %+v, value %q", write, f.value)
	}
	if !f.closed {
		t.Error("the store was not closed")
	}
}

func TestPutContextChoices(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		getResult func() (*client.Result, error)
		calls     string
		token     string
	}{
		{"no context", []string{"put", "k", "v", "--no-context"}, nil, "put k", ""},
		{"given context", []string{"put", "--context", "tok", "k", "v"}, nil, "put k", "tok"},
		{"given empty context", []string{"put", "k", "v", "--context="}, nil, "put k", ""},
		{"missing key", []string{"put", "k", "v"}, func() (*client.Result, error) { return notFound("tomb") }, "get k,put k", "tomb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeStore{}
			if tt.getResult != nil {
				f.result, f.getErr = tt.getResult()
			}
			got := runWith(t, f, "", false, tt.args...)
			if got.code != exitOK {
				t.Fatalf("put = %+v", got)
			}
			if strings.Join(f.calls, ",") != tt.calls || f.puts[0].token != tt.token {
				t.Fatalf("calls %v, token %q; want %s, %q", f.calls, f.puts[0].token, tt.calls, tt.token)
			}
		})
	}
}

func TestPutFromStdin(t *testing.T) {
	f := &fakeStore{}
	got := runWith(t, f, "line 1\nline 2\n", false, "put", "k", "--no-context", "--content-type", "text/plain")
	if got.code != exitOK || string(f.value) != "line 1\nline 2\n" || f.puts[0].contentType != "text/plain" {
		t.Fatalf("put = %+v, value %q, request %+v", got, f.value, f.puts)
	}
}

func TestPutOutput(t *testing.T) {
	for _, args := range [][]string{{"-o", "json"}, {"--json"}, {"--output=json"}} {
		f := &fakeStore{written: "ctx-9"}
		got := runWith(t, f, "", false, append([]string{"put", "k", "v", "--no-context", "--namespace", "ns"}, args...)...)
		var v putView
		if err := json.Unmarshal([]byte(got.stdout), &v); err != nil || got.code != exitOK {
			t.Fatalf("put %v: %+v: %v", args, got, err)
		}
		if v != (putView{Key: "k", Namespace: "ns", Context: "ctx-9"}) {
			t.Fatalf("put %v = %+v", args, v)
		}
	}
	got := runWith(t, &fakeStore{written: "ctx-9"}, "", false, "put", "k", "v", "--no-context", "-o", "value")
	if got.code != exitOK || got.stdout != "ctx-9\n" {
		t.Fatalf("put -o value = %+v", got)
	}
	got = runWith(t, &fakeStore{written: "ctx-9"}, "", false, "put", "k", "v", "--no-context")
	if got.code != exitOK || got.stdout != "" {
		t.Fatalf("put = %+v; prints nothing by default", got)
	}
}

func TestPutFailsWhenTheReadFails(t *testing.T) {
	f := &fakeStore{getErr: &client.Error{Code: messages.ErrorCode_ERROR_CODE_QUORUM_UNAVAILABLE, Message: "n2\nn3 down", Got: 1, Needed: 2}}
	got := runWith(t, f, "", false, "put", "k", "v")
	want := `kvcli: put "k": cannot read the current value to replace it: quorum unavailable (got 1, need 2): n2 n3 down ` +
		`(hint: 'kvcli status' shows which members are down) (hint: --no-context writes without reading first)` + "\n"
	if got.code != exitError || got.stderr != want || len(f.puts) != 0 {
		t.Fatalf("put = %+v, want exit 1 and %q without a write", got, want)
	}
}

// Errors speak of the key, the configured limit and the flags, not of
// NATS payloads or internal packages.
func TestErrorsInTheUsersTerms(t *testing.T) {
	// The SDK reports a value over the limit in the node's words, whether
	// the node or NATS refused it; kvcli names the key and passes them on.
	tooLarge := `value of key "big" is 2097152 bytes, over this node's limit of 1048576 bytes (--max-value-bytes); ` +
		`store large objects elsewhere and keep a reference here`
	f := &fakeStore{putErr: &client.Error{Code: messages.ErrorCode_ERROR_CODE_VALUE_TOO_LARGE,
		Got: 2 << 20, Needed: 1 << 20, Message: tooLarge}}
	got := runWith(t, f, strings.Repeat("x", 2<<20), false, "put", "big", "--no-context")
	want := `kvcli: put "big": value too large: ` + tooLarge + "\n"
	if got.code != exitError || got.stderr != want {
		t.Fatalf("put of 2MiB = %+v\nwant %q", got, want)
	}
	f = &fakeStore{putErr: &client.Error{Code: messages.ErrorCode_ERROR_CODE_BAD_CONTEXT, Message: "vclock: truncated"}}
	got = runWith(t, f, "", false, "put", "k", "v", "--context", "abc")
	if got.code != exitError || strings.Contains(got.stderr, "vclock:") || !strings.HasPrefix(got.stderr, `kvcli: put "k": bad context: `) ||
		!strings.Contains(got.stderr, "--no-context") {
		t.Fatalf("put with a bad context = %+v", got)
	}
	f = &fakeStore{getErr: &client.Error{Code: messages.ErrorCode_ERROR_CODE_UNKNOWN_NAMESPACE, Message: `namespace "nope"`}}
	got = runWith(t, f, "", false, "get", "k", "--namespace", "nope")
	if got.code != exitError || !strings.HasPrefix(got.stderr, `kvcli: get "k": unknown namespace: namespace "nope" (hint: 'kvcli ns list'`) {
		t.Fatalf("get in an unknown namespace = %+v", got)
	}
}

func TestGetOutput(t *testing.T) {
	one := &client.Result{Values: []client.Value{{Data: []byte("hello")}}, Context: "c"}
	two := &client.Result{Values: []client.Value{{Data: []byte("a")}, {Data: []byte("b\n"), ContentType: "text/plain"}}, Context: "c"}
	tests := []struct {
		name   string
		result *client.Result
		tty    bool
		args   []string
		want   outcome
	}{
		{"bytes as stored", one, false, nil, outcome{exitOK, "hello", ""}},
		{"-o value is the default", one, false, []string{"-o", "value"}, outcome{exitOK, "hello", ""}},
		{"newline on a terminal", one, true, nil, outcome{exitOK, "hello\n", ""}},
		{"siblings", two, false, nil, outcome{exitOK, "a\nb\n", "2 siblings\n"}},
		{"table", two, false, []string{"-o", "table"}, outcome{exitOK, "" +
			"SIBLING  CONTENT TYPE  SIZE  VALUE\n" +
			"1        -             1B    \"a\"\n" +
			"2        text/plain    2B    \"b\\n\"\n", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runWith(t, &fakeStore{result: tt.result}, "", tt.tty, append([]string{"get", "k"}, tt.args...)...)
			if got != tt.want {
				t.Fatalf("get = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestGetNotFound(t *testing.T) {
	f := &fakeStore{}
	f.result, f.getErr = notFound("")
	got := runWith(t, f, "", false, "get", "k")
	if got.code != exitNotFound || got.stdout != "" || got.stderr != "kvcli: key \"k\": not found\n" {
		t.Fatalf("get = %+v", got)
	}
	got = runWith(t, f, "", false, "get", "k", "--namespace", "carts", "-o", "table")
	if got.code != exitNotFound || got.stderr != "kvcli: key \"k\" not found in namespace \"carts\": not found\n" {
		t.Fatalf("get -o table = %+v", got)
	}
}

func TestGetJSON(t *testing.T) {
	found := &fakeStore{result: &client.Result{
		Values:  []client.Value{{Data: []byte("hi"), ContentType: "text/plain"}, {Data: []byte{0xff, 1}}},
		Context: "ctx",
	}}
	got := runWith(t, found, "", false, "get", "k", "-o", "json")
	var v getView
	if err := json.Unmarshal([]byte(got.stdout), &v); err != nil {
		t.Fatalf("stdout %q: %v", got.stdout, err)
	}
	if got.code != exitOK || !v.Found || v.Key != "k" || v.Namespace != "default" || len(v.Values) != 2 ||
		string(v.Values[0].Value) != "hi" || v.Values[0].Text == nil || *v.Values[0].Text != "hi" ||
		v.Values[0].ContentType != "text/plain" || v.Values[0].Bytes != 2 || v.Values[1].Text != nil ||
		string(v.Values[1].Value) != "\xff\x01" || v.Context != "ctx" {
		t.Fatalf("get -o json = %+v (%s)", got, got.stdout)
	}
	want := `{"key":"k","namespace":"default","found":true,"values":[{"value":"aGk=","text":"hi","contentType":"text/plain","bytes":2},` +
		`{"value":"/wE=","text":null,"contentType":"","bytes":2}],"context":"ctx"}` + "\n"
	if got.stdout != want || got.stderr != "" {
		t.Fatalf("get -o json:\n%s\nwant:\n%s", got.stdout, want)
	}

	missing := &fakeStore{}
	missing.result, missing.getErr = notFound("tomb")
	got = runWith(t, missing, "", false, "get", "k", "--json")
	want = `{"key":"k","namespace":"default","found":false,"values":[],"context":"tomb"}` + "\n"
	if got.code != exitNotFound || got.stderr != "" || got.stdout != want {
		t.Fatalf("get -o json of a missing key = %+v", got)
	}
}

func TestDeleteOfAMissingKeySucceeds(t *testing.T) {
	f := &fakeStore{}
	f.result, f.getErr = notFound("tomb")
	got := runWith(t, f, "", false, "delete", "k", "--w", "3")
	if got.code != exitOK || got.stderr != "" || strings.Join(f.calls, ",") != "get k,delete k" {
		t.Fatalf("delete = %+v, calls %v", got, f.calls)
	}
	if d := f.deletes[0]; d.token != "tomb" || d.w != 3 {
		t.Fatalf("delete request = %+v", d)
	}
	got = runWith(t, &fakeStore{}, "", false, "delete", "k", "--context", "c7", "-o", "json")
	var v deleteView
	if err := json.Unmarshal([]byte(got.stdout), &v); err != nil || got.code != exitOK || v != (deleteView{"k", "default", true}) {
		t.Fatalf("delete --context -o json = %+v: %v", got, err)
	}
}

func TestNamespaceCreate(t *testing.T) {
	f := &fakeStore{warning: "N=5 exceeds the 3 members"}
	got := runWith(t, f, "", false, "ns", "create", "users", "--n", "5", "--r", "3", "--w", "3", "--mode", "lww")
	want := client.Namespace{Name: "users", N: 5, R: 3, W: 3, Mode: "lww"}
	if got.code != exitOK || f.created != want {
		t.Fatalf("ns create = %+v, created %+v", got, f.created)
	}
	if got.stdout != "created namespace users\n" || got.stderr != "kvcli: warning: N=5 exceeds the 3 members\n" {
		t.Fatalf("output = %+v", got)
	}
}

// Without --n, kvcli asks for N=3 and leaves R and W to the node.
func TestNamespaceCreateDefaults(t *testing.T) {
	f := &fakeStore{list: []client.Namespace{{Name: "carts", N: 3, R: 2, W: 2, Mode: "siblings", CreatedBy: "n1"}}}
	got := runWith(t, f, "", false, "ns", "create", "carts", "-o", "json")
	if want := (client.Namespace{Name: "carts", N: 3}); got.code != exitOK || f.created != want {
		t.Fatalf("ns create = %+v, created %+v, want %+v", got, f.created, want)
	}
	var v namespaceCreateView
	if err := json.Unmarshal([]byte(got.stdout), &v); err != nil || v != (namespaceCreateView{Name: "carts", N: 3, R: 2, W: 2, Mode: "siblings"}) {
		t.Fatalf("ns create -o json = %s: %v; want what the cluster lists", got.stdout, err)
	}
	got = runWith(t, &fakeStore{}, "", false, "ns", "create", "carts", "-o", "value")
	if got.code != exitOK || got.stdout != "carts\n" {
		t.Fatalf("ns create -o value = %+v", got)
	}
}

var testNamespaces = []client.Namespace{
	{Name: "default", N: 3, R: 2, W: 2, Mode: "siblings"},
	{Name: "sessions", N: 5, R: 1, W: 1, Mode: "lww", Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), CreatedBy: "n2"},
}

func TestNamespaceList(t *testing.T) {
	got := runWith(t, &fakeStore{list: testNamespaces}, "", false, "ns", "list")
	want := "" +
		"NAME      N  R  W  MODE      CREATED               BY\n" +
		"default   3  2  2  siblings  -                     -\n" +
		"sessions  5  1  1  lww       2026-01-02T03:04:05Z  n2\n"
	if got.code != exitOK || got.stdout != want {
		t.Fatalf("ns list:\n%s\nwant:\n%s", got.stdout, want)
	}

	got = runWith(t, &fakeStore{list: testNamespaces}, "", false, "ns", "list", "-o", "json")
	wantJSON := `{"namespaces":[{"name":"default","n":3,"r":2,"w":2,"mode":"siblings","created":null,"createdBy":""},` +
		`{"name":"sessions","n":5,"r":1,"w":1,"mode":"lww","created":"2026-01-02T03:04:05Z","createdBy":"n2"}]}` + "\n"
	if got.stdout != wantJSON {
		t.Fatalf("ns list -o json:\n%s\nwant:\n%s", got.stdout, wantJSON)
	}
	var v namespaceListView
	if err := json.Unmarshal([]byte(got.stdout), &v); err != nil || len(v.Namespaces) != 2 || v.Namespaces[1].N != 5 {
		t.Fatalf("ns list -o json = %s: %v", got.stdout, err)
	}
	got = runWith(t, &fakeStore{list: testNamespaces}, "", false, "ns", "list", "-o", "value")
	if got.stdout != "default\nsessions\n" {
		t.Fatalf("ns list -o value = %q", got.stdout)
	}
}

var testStatus = &messages.StatusResponse{
	Node:       "n1",
	Partitions: 256,
	Members: []*messages.MemberStatus{
		{Id: "n1", Zone: "a", Weight: 1, Up: true, Phi: 0.2, LastHeardMs: 0, PrimaryPartitions: 128, ReplicaPartitions: 256,
			State: "active", Ownership: 1.0 / 3},
		{Id: "n2", Zone: "b", Weight: 2, Up: true, Phi: 0.45, LastHeardMs: 1234, PrimaryPartitions: 128, ReplicaPartitions: 256,
			State: "leaving", Ownership: 0.25},
		{Id: "n3", Weight: 1, Up: false, Phi: 14.1, LastHeardMs: 125000, ReplicaPartitions: 256},
	},
}

func TestAge(t *testing.T) {
	for ms, want := range map[int64]string{-1: "-", 0: "0s", 800: "800ms", 1249: "1.2s", 31000: "31s", 125400: "2m5s"} {
		if got := age(ms); got != want {
			t.Errorf("age(%d) = %q, want %q", ms, got, want)
		}
	}
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, exitOK},
		{usageErrorf("get", "missing KEY"), exitUsage},
		{&ranError{usageErrorf("get", "missing KEY")}, exitUsage},
		{fmt.Errorf("key %q: %w", "k", client.ErrNotFound), exitNotFound},
		{&ranError{fmt.Errorf("key %q: %w", "k", client.ErrNotFound)}, exitNotFound},
		{exitStatus(exitNotFound), exitNotFound},
		{&client.Error{Code: messages.ErrorCode_ERROR_CODE_QUORUM_UNAVAILABLE}, exitError},
		{&client.Error{Code: messages.ErrorCode_ERROR_CODE_INVALID_KEY}, exitError},
		{fmt.Errorf("%w: no node serves kv.api.get", client.ErrNoServers), exitError},
		{context.Canceled, exitError},
		{errors.New("anything"), exitError},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestErrorsAreOneLine(t *testing.T) {
	got := runWith(t, &fakeStore{}, "", false, "get", "k", "--server", "nats://elsewhere:4222")
	want := "kvcli: no servers: cannot connect to nats://elsewhere:4222\n"
	if got.code != exitError || got.stderr != want {
		t.Fatalf("dial failure = %+v, want %q", got, want)
	}
	got = runWith(t, &fakeStore{}, "", false, "put")
	if got.code != exitUsage || strings.Count(got.stderr, "\n") != 1 || !strings.HasPrefix(got.stderr, "kvcli: put: missing KEY") {
		t.Fatalf("usage error = %+v", got)
	}
}

func TestHelp(t *testing.T) {
	f := &fakeStore{}
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		got := runWith(t, f, "", false, args...)
		if got.code != exitOK || !strings.Contains(got.stdout, "kvcli COMMAND [flags]") || got.stderr != "" {
			t.Fatalf("%v = %+v", args, got)
		}
	}
	main := runWith(t, f, "", false, "help").stdout
	for _, c := range commands {
		for _, args := range [][]string{append([]string{"help"}, strings.Fields(c.name)...),
			append(strings.Fields(c.name), "--help")} {
			got := runWith(t, f, "", false, args...)
			if got.code != exitOK || !strings.Contains(got.stdout, "\n  kvcli "+strings.TrimSpace(c.name+" "+c.args)+" [flags]\n") {
				t.Fatalf("%v = %+v", args, got)
			}
			// Each flag is listed once: the command's own, then the global.
			for _, flag := range []string{"--node", "--server", "--timeout", "--output"} {
				if n := strings.Count(got.stdout, "  "+flag+" "); n > 1 {
					t.Errorf("%v lists %s %d times", args, flag, n)
				}
			}
		}
		first := strings.Fields(c.name)[0]
		if !strings.Contains(main, "\n  "+first+" ") {
			t.Errorf("the main usage does not list %s", first)
		}
	}
	if len(f.calls) != 0 {
		t.Fatalf("help touched the store: %v", f.calls)
	}
	// --node says what it really does for a key command.
	if got := runWith(t, f, "", false, "help", "get").stdout; !strings.Contains(got, "the node embedding the NATS server kvcli is connected to") {
		t.Errorf("help get:\n%s", got)
	}
}
