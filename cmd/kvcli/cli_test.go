package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/quorumkv/quorumkv/internal/buildinfo"
)

// parse runs the command line up to the point where the command would
// run, and returns what it parsed to; err is the command line's error.
func parse(args []string, getenv func(string) string) (*invocation, error) {
	var got *invocation
	var errOut bytes.Buffer
	a := &app{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &errOut, getenv: getenv,
		parsed: func(inv *invocation) { got = inv },
		dial:   func(conn) (store, error) { return nil, errors.New("no dial when parsing") }}
	if code := a.run(context.Background(), args); code != exitOK {
		return nil, &usageError{msg: strings.TrimSpace(errOut.String())}
	}
	return got, nil
}

func TestParseInterleaved(t *testing.T) {
	tests := []struct {
		line string
		cmd  string
		args []string
		want func(o options) bool
	}{
		{"put KEY VALUE --w 2", "put", []string{"KEY", "VALUE"}, func(o options) bool { return o.w == 2 }},
		{"put --w 2 KEY VALUE", "put", []string{"KEY", "VALUE"}, func(o options) bool { return o.w == 2 }},
		{"put KEY --w=2 VALUE --strict", "put", []string{"KEY", "VALUE"}, func(o options) bool { return o.w == 2 && o.strict }},
		{"get k -o json --namespace ns --r 1 --sloppy", "get", []string{"k"},
			func(o options) bool { return o.output == "json" && o.namespace == "ns" && o.r == 1 && o.sloppy }},
		{"--server nats://h:1 status --json --timeout 2s", "status", nil,
			func(o options) bool {
				return o.conn.server == "nats://h:1" && o.json && o.conn.timeout == 2*time.Second
			}},
		{"ns create users --n 5 --r 3 --w 3 --mode lww", "ns create", []string{"users"},
			func(o options) bool { return o.n == 5 && o.r == 3 && o.w == 3 && o.mode == "lww" }},
		{"ns --n 5 create users", "ns create", []string{"users"}, func(o options) bool { return o.n == 5 }},
		{"ns list -o value", "ns list", nil, func(o options) bool { return o.output == "value" }},
		{"put k -- -5", "put", []string{"k", "-5"}, func(options) bool { return true }},
		{"put -- -k --w", "put", []string{"-k", "--w"}, func(o options) bool { return o.w == 0 }},
		{"put k v --context abc --content-type text/plain", "put", []string{"k", "v"},
			func(o options) bool { return o.token == "abc" && o.contentType == "text/plain" }},
		{"delete k --no-context", "delete", []string{"k"}, func(o options) bool { return o.noContext }},
		{"put k -", "put", []string{"k", "-"}, func(options) bool { return true }},
		{"get k --node n2", "get", []string{"k"}, func(o options) bool { return o.node == "n2" }},
		{"get k", "get", []string{"k"}, func(o options) bool {
			return o.conn.server == defaultServer && o.conn.timeout == defaultTimeout && o.namespace == "" && o.r == 0
		}},
		{"hints drain n3 --node n1", "hints drain", []string{"n3"}, func(o options) bool { return o.node == "n1" }},
		{"repair status --all", "repair status", nil, func(o options) bool { return o.all }},
		{"repair now --partition 3", "repair now", nil, func(o options) bool { return o.partition == 3 }},
		{"node decommission n4 --no-wait", "node decommission", []string{"n4"}, func(o options) bool { return o.noWait }},
		{"node remove n3 --force", "node remove", []string{"n3"}, func(o options) bool { return o.force }},
		{"transfers -o json --node n2", "transfers", nil, func(o options) bool { return o.node == "n2" }},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			inv, err := parse(strings.Fields(tt.line), noEnv)
			if err != nil {
				t.Fatal(err)
			}
			sameArgs := len(inv.args) == 0 && len(tt.args) == 0 || reflect.DeepEqual(inv.args, tt.args)
			if inv.cmd != tt.cmd || !sameArgs {
				t.Fatalf("parse = %q %q, want %q %q", inv.cmd, inv.args, tt.cmd, tt.args)
			}
			if !tt.want(inv.opts) {
				t.Fatalf("options = %+v", inv.opts)
			}
		})
	}
}

// A flag a command does not take, a missing or extra argument, a bad value:
// each is a usage error, exit status 2, one line, and nothing is asked.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		msg  string
	}{
		{nil, "missing command"},
		{[]string{"frob"}, `unknown command "frob"`},
		{[]string{"stauts"}, `unknown command "stauts" (did you mean status?)`},
		{[]string{"ns"}, "ns: missing subcommand: create or list"},
		{[]string{"ns", "drop"}, `ns: unknown subcommand "drop"`},
		{[]string{"ns", "craete", "x"}, `(did you mean create?)`},
		{[]string{"put"}, "put: missing KEY"},
		{[]string{"get"}, "get: missing KEY"},
		{[]string{"delete"}, "delete: missing KEY"},
		{[]string{"ns", "create"}, "ns create: missing NAME"},
		{[]string{"get", "a", "b"}, `unexpected argument "b"`},
		{[]string{"put", "k", "v", "extra"}, `unexpected argument "extra"`},
		{[]string{"status", "x"}, `unexpected argument "x"`},
		{[]string{"get", ""}, "get: empty KEY"},
		{[]string{"put", "k", "v", "--context", "a", "--no-context"}, "exclude each other"},
		{[]string{"get", "k", "--strict", "--sloppy"}, "exclude each other"},
		// Flags where they do not apply.
		{[]string{"get", "k", "--n", "3"}, "get: unknown flag --n (it applies to ns create)"},
		{[]string{"get", "k", "--w", "3"}, "get: unknown flag --w (it applies to delete, ns create, put)"},
		{[]string{"put", "k", "v", "--mode", "lww"}, "unknown flag --mode (it applies to ns create)"},
		{[]string{"ns", "create", "x", "--node", "n1"}, "ns create: unknown flag --node"},
		{[]string{"ns", "list", "--node", "n1"}, "ns list: unknown flag --node"},
		{[]string{"status", "--all"}, "status: unknown flag --all (it applies to repair status)"},
		{[]string{"status", "--namespace", "x"}, "status: unknown flag --namespace"},
		{[]string{"version", "--node", "n1"}, "version: unknown flag --node"},
		{[]string{"ns", "create", "x", "--mode", "crdt"}, "--mode must be siblings or lww"},
		{[]string{"get", "k", "--r", "-1"}, "must not be negative"},
		{[]string{"get", "k", "--r", "0"}, "must be at least 1"},
		{[]string{"get", "k", "--timeout", "0s"}, "--timeout must be positive"},
		{[]string{"get", "k", "--timeout", "soon"}, `invalid argument "soon" for "--timeout"`},
		{[]string{"get", "--bogus", "k"}, "get: unknown flag --bogus (a key or value that starts with '-' goes after \"--\")"},
		{[]string{"put", "k", "-5"}, "put: unknown shorthand flag: '5' in -5 (a key or value that starts with '-' goes after"},
		{[]string{"get", "k", "--r"}, "flag --r needs an argument"},
		{[]string{"get", "k", "-o", "yaml"}, `-o must be table, json or value, not "yaml"`},
		{[]string{"get", "k", "-o", "table", "--json"}, "--json and -o table exclude each other"},
		{[]string{"get", "k", "--tls-cert", "c.pem"}, "--tls-cert and --tls-key go together"},
		{[]string{"get", "k", "--password", "p"}, "--password needs --user"},
		{[]string{"help", "frob"}, `no help for "frob"`},
		{[]string{"help", "repair", "fix"}, `no help for "repair fix"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f := &fakeStore{}
			got := runWith(t, f, "", false, tt.args...)
			if got.code != exitUsage || !strings.Contains(got.stderr, tt.msg) || strings.Count(got.stderr, "\n") != 1 {
				t.Fatalf("%v = %+v, want exit 2 and one line saying %q", tt.args, got, tt.msg)
			}
			if !strings.HasPrefix(got.stderr, "kvcli: ") || !strings.HasSuffix(got.stderr, "for usage\n") || got.stdout != "" {
				t.Fatalf("%v = %+v", tt.args, got)
			}
			if len(f.calls) != 0 {
				t.Fatalf("%v touched the store: %v", tt.args, f.calls)
			}
		})
	}
}

func TestConnectionFlagsAndEnvironment(t *testing.T) {
	env := map[string]string{"KV_SERVER": "nats://env:4222", "NATS_USER": "alice", "NATS_PASSWORD": "s3cret",
		"NATS_CREDS": "/env.creds", "NATS_CA": "/ca.pem", "NATS_CERT": "/c.pem", "NATS_KEY": "/k.pem"}
	getenv := func(name string) string { return env[name] }
	inv, err := parse([]string{"status"}, getenv)
	if err != nil {
		t.Fatal(err)
	}
	want := conn{server: "nats://env:4222", timeout: defaultTimeout, user: "alice", password: "s3cret", creds: "/env.creds",
		tlsCA: "/ca.pem", tlsCert: "/c.pem", tlsKey: "/k.pem"}
	if inv.opts.conn != want {
		t.Fatalf("conn = %+v, want the environment's %+v", inv.opts.conn, want)
	}
	inv, err = parse([]string{"status", "--server", "nats://flag:4222", "--user", "bob", "--password", "pw",
		"--creds", "/flag.creds", "--tls-ca", "/ca2.pem", "--tls-cert", "/c2.pem", "--tls-key", "/k2.pem"}, getenv)
	if err != nil {
		t.Fatal(err)
	}
	want = conn{server: "nats://flag:4222", timeout: defaultTimeout, user: "bob", password: "pw", creds: "/flag.creds",
		tlsCA: "/ca2.pem", tlsCert: "/c2.pem", tlsKey: "/k2.pem"}
	if inv.opts.conn != want {
		t.Fatalf("conn = %+v, want the flags' %+v", inv.opts.conn, want)
	}
	delete(env, "NATS_CREDS")
	env["NATS_NKEY"] = "/user.nk"
	if inv, err = parse([]string{"status"}, getenv); err != nil || inv.opts.conn.nkey != "/user.nk" {
		t.Fatalf("nkey = %+v, %v", inv, err)
	}
	// The environment's password is never shown as a default.
	got := runWith(t, &fakeStore{}, "", false, "help", "get")
	if strings.Contains(got.stdout, "s3cret") {
		t.Fatal("help shows a password")
	}
}

func TestVersion(t *testing.T) {
	want := buildinfo.String("kvcli") + "\n"
	for _, args := range [][]string{{"version"}, {"--version"}} {
		got := runWith(t, &fakeStore{}, "", false, args...)
		if got.code != exitOK || got.stdout != want || got.stderr != "" {
			t.Fatalf("%v = %+v, want %q", args, got, want)
		}
	}
	got := runWith(t, &fakeStore{}, "", false, "version", "-o", "json")
	var v versionView
	if err := json.Unmarshal([]byte(got.stdout), &v); err != nil || v.Program != "kvcli" || v.Version != buildinfo.Version() ||
		v.Commit != buildinfo.Commit() || v.Go != buildinfo.GoVersion() {
		t.Fatalf("version -o json = %+v: %v", got, err)
	}
	got = runWith(t, &fakeStore{}, "", false, "version", "-o", "value")
	if got.stdout != buildinfo.Version()+"\n" {
		t.Fatalf("version -o value = %q", got.stdout)
	}
}

func TestCompletion(t *testing.T) {
	for shell, marker := range map[string]string{"bash": "# bash completion V2 for kvcli", "zsh": "#compdef kvcli",
		"fish": "complete -c kvcli"} {
		f := &fakeStore{}
		got := runWith(t, f, "", false, "completion", shell)
		if got.code != exitOK || !strings.Contains(got.stdout, marker) || got.stderr != "" || len(f.calls) != 0 {
			t.Fatalf("completion %s = %d, %d bytes, stderr %q, calls %v", shell, got.code, len(got.stdout), got.stderr, f.calls)
		}
	}
	if got := runWith(t, &fakeStore{}, "", false, "completion", "tcsh"); got.code != exitUsage {
		t.Fatalf("completion tcsh = %+v", got)
	}
	// What the shells ask: commands, subcommands, flag values, node ids.
	for line, want := range map[string][]string{
		"__complete st":                        {"status\t"},
		"__complete ns c":                      {"create\t"},
		"__complete get k -o ":                 {"table", "json", "value"},
		"__complete ns create x --mode ":       {"siblings", "lww"},
		"__complete status --node ":            {"n1", "n2", "n3"},
		"__complete node decommission ":        {"n1", "n2", "n3"},
		"__complete get k --n":                 {"--namespace", "--node"},
		"__complete hints drain n3 --node n":   {"n1"},
		"__complete --server nats://x:1 stat ": {},
	} {
		args := strings.Split(line, " ")
		got := runWith(t, &fakeStore{status: testStatus}, "", false, args...)
		for _, w := range want {
			if !strings.Contains(got.stdout, w) {
				t.Errorf("%q offers %q, want %q in it", line, got.stdout, w)
			}
		}
		if got.code != exitOK {
			t.Errorf("%q = %+v", line, got)
		}
	}
}
