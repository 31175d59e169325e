package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
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

func (f *fakeStore) Status(context.Context, string) (*messages.StatusResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "status")
	if f.statusFn != nil {
		return f.statusFn()
	}
	return f.status, nil
}

func (f *fakeStore) Close() { f.closed = true }

func notFound(ctxToken string) (*client.Result, error) {
	return &client.Result{Context: ctxToken}, fmt.Errorf("key %q: %w", "k", client.ErrNotFound)
}

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
		dial: func(server string, timeout time.Duration) (store, error) {
			if server != defaultServer {
				return nil, fmt.Errorf("%w: cannot connect to %s", client.ErrNoServers, server)
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

func TestPutJSON(t *testing.T) {
	f := &fakeStore{written: "ctx-9"}
	got := runWith(t, f, "", false, "put", "k", "v", "--no-context", "--json")
	var m map[string]any
	if err := json.Unmarshal([]byte(got.stdout), &m); err != nil || m["context"] != "ctx-9" {
		t.Fatalf("stdout %q: %v", got.stdout, err)
	}
}

func TestPutFailsWhenTheReadFails(t *testing.T) {
	f := &fakeStore{getErr: &client.Error{Code: messages.ErrorCode_ERROR_CODE_QUORUM_UNAVAILABLE, Message: "n2\nn3 down", Got: 1, Needed: 2}}
	got := runWith(t, f, "", false, "put", "k", "v")
	want := "kvcli: read the current context: quorum unavailable (got 1, need 2): n2 n3 down\n"
	if got.code != exitError || got.stderr != want || len(f.puts) != 0 {
		t.Fatalf("put = %+v, want exit 1 and %q without a write", got, want)
	}
}

func TestGetOutput(t *testing.T) {
	one := &client.Result{Values: []client.Value{{Data: []byte("hello")}}, Context: "c"}
	two := &client.Result{Values: []client.Value{{Data: []byte("a")}, {Data: []byte("b\n")}}, Context: "c"}
	tests := []struct {
		name   string
		result *client.Result
		tty    bool
		want   outcome
	}{
		{"bytes as stored", one, false, outcome{exitOK, "hello", ""}},
		{"newline on a terminal", one, true, outcome{exitOK, "hello\n", ""}},
		{"siblings", two, false, outcome{exitOK, "a\nb\n", "2 siblings\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runWith(t, &fakeStore{result: tt.result}, "", tt.tty, "get", "k")
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
}

func TestGetJSON(t *testing.T) {
	found := &fakeStore{result: &client.Result{
		Values:  []client.Value{{Data: []byte("hi"), ContentType: "text/plain"}, {Data: []byte{0, 1}}},
		Context: "ctx",
	}}
	got := runWith(t, found, "", false, "get", "k", "--json")
	var m struct {
		Found  *bool `json:"found"`
		Values []struct {
			Value       []byte  `json:"value"`
			ContentType *string `json:"contentType"`
		} `json:"values"`
		Context string `json:"context"`
	}
	if err := json.Unmarshal([]byte(got.stdout), &m); err != nil {
		t.Fatalf("stdout %q: %v", got.stdout, err)
	}
	if got.code != exitOK || m.Found == nil || !*m.Found || len(m.Values) != 2 || string(m.Values[0].Value) != "hi" ||
		*m.Values[0].ContentType != "text/plain" || m.Values[1].ContentType == nil || m.Context != "ctx" {
		t.Fatalf("get --json = %+v (%s)", got, got.stdout)
	}
	if got.stderr != "" {
		t.Fatalf("stderr = %q; siblings are plain in JSON", got.stderr)
	}

	missing := &fakeStore{}
	missing.result, missing.getErr = notFound("tomb")
	got = runWith(t, missing, "", false, "get", "k", "--json")
	var raw map[string]any
	if err := json.Unmarshal([]byte(got.stdout), &raw); err != nil {
		t.Fatalf("stdout %q: %v", got.stdout, err)
	}
	if got.code != exitNotFound || got.stderr != "" || raw["found"] != false || raw["context"] != "tomb" {
		t.Fatalf("get --json of a missing key = %+v", got)
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
	got = runWith(t, &fakeStore{}, "", false, "delete", "k", "--context", "c7")
	if got.code != exitOK {
		t.Fatalf("delete --context = %+v", got)
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

	got = runWith(t, &fakeStore{list: testNamespaces}, "", false, "ns", "list", "--json")
	var m struct {
		Namespaces []struct {
			Name            string `json:"name"`
			N               int    `json:"n"`
			Mode            string `json:"mode"`
			CreatedUnixNano string `json:"createdUnixNano"`
		} `json:"namespaces"`
	}
	if err := json.Unmarshal([]byte(got.stdout), &m); err != nil {
		t.Fatalf("stdout %q: %v", got.stdout, err)
	}
	if len(m.Namespaces) != 2 || m.Namespaces[1].Mode != "CONFLICT_MODE_LWW" || m.Namespaces[1].N != 5 ||
		m.Namespaces[1].CreatedUnixNano != fmt.Sprint(testNamespaces[1].Created.UnixNano()) {
		t.Fatalf("ns list --json = %s", got.stdout)
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

func TestStatusTable(t *testing.T) {
	got := runWith(t, &fakeStore{status: testStatus}, "", false, "status")
	want := "" +
		"node n1 answered: 2 of 3 members up, 256 partitions\n" +
		"\n" +
		"MEMBER  ZONE  WEIGHT  STATE  RING     PHI    LAST HEARD  PRIMARY  REPLICA  OWNS\n" +
		"n1      a     1       up     active   0.20   0s          128      256      33.3%\n" +
		"n2      b     2       up     leaving  0.45   1.2s        128      256      25.0%\n" +
		"n3      -     1       down   -        14.10  2m5s        0        256      -\n" +
		"\n" +
		"no namespace is under-replicated\n"
	if got.code != exitOK || got.stdout != want {
		t.Fatalf("status:\n%s\nwant:\n%s", got.stdout, want)
	}
}

func TestStatusUnderReplicated(t *testing.T) {
	var b bytes.Buffer
	st := &messages.StatusResponse{Node: "n1", Namespaces: []*messages.NamespaceStatus{
		{Namespace: &messages.Namespace{Name: "ok", N: 3}},
		{Namespace: &messages.Namespace{Name: "wide", N: 5}, UnderReplicated: true, Note: "N=5 but 3 members"},
	}}
	if err := writeStatus(&b, st); err != nil {
		t.Fatal(err)
	}
	want := "UNDER-REPLICATED  N  NOTE\nwide              5  N=5 but 3 members\n"
	if !strings.HasSuffix(b.String(), want) || strings.Contains(b.String(), "ok ") {
		t.Fatalf("status:\n%s\nwant it to end with:\n%s", b.String(), want)
	}
}

func TestStatusJSON(t *testing.T) {
	got := runWith(t, &fakeStore{status: testStatus}, "", false, "status", "--json")
	var m struct {
		Node    string `json:"node"`
		Members []struct {
			ID string `json:"id"`
			Up *bool  `json:"up"`
		} `json:"members"`
	}
	if err := json.Unmarshal([]byte(got.stdout), &m); err != nil {
		t.Fatalf("stdout %q: %v", got.stdout, err)
	}
	if m.Node != "n1" || len(m.Members) != 3 || m.Members[2].Up == nil || *m.Members[2].Up {
		t.Fatalf("status --json = %s; want up: false written out", got.stdout)
	}
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
		{fmt.Errorf("key %q: %w", "k", client.ErrNotFound), exitNotFound},
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
		if got.code != exitOK || !strings.Contains(got.stdout, "Usage: kvcli [flags] <command>") || got.stderr != "" {
			t.Fatalf("%v = %+v", args, got)
		}
	}
	if len(f.calls) != 0 {
		t.Fatalf("help touched the store: %v", f.calls)
	}
	// Every flag is documented in the main usage or in its command's.
	main := runWith(t, f, "", false, "help").stdout
	nsCreate := runWith(t, f, "", false, "help", "ns", "create").stdout
	var o options
	newFlagSet(&o, noEnv).VisitAll(func(fl *flag.Flag) {
		name := "--" + fl.Name + " "
		if fl.Name != "h" && fl.Name != "help" && !strings.Contains(main, name) && !strings.Contains(nsCreate, name) {
			t.Errorf("no usage documents %s", name)
		}
	})
	for _, c := range commands {
		got := runWith(t, f, "", false, "help", c.name)
		if got.code != exitOK || !strings.HasPrefix(got.stdout, "Usage: kvcli "+c.name) {
			t.Fatalf("help %s = %+v", c.name, got)
		}
		for _, fl := range c.flags {
			if !strings.Contains(got.stdout, "--"+fl.name) {
				t.Errorf("help %s does not list --%s", c.name, fl.name)
			}
		}
		if !strings.Contains(main, c.name) {
			t.Errorf("the main usage does not list %s", c.name)
		}
	}
}
