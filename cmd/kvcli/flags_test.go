package main

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func noEnv(string) string { return "" }

func TestParseInterleaved(t *testing.T) {
	tests := []struct {
		line string
		cmd  string
		args []string
		want func(o options) bool
	}{
		{"put KEY VALUE --w 2", "put", []string{"KEY", "VALUE"}, func(o options) bool { return o.w == 2 }},
		{"--w 2 put KEY VALUE", "put", []string{"KEY", "VALUE"}, func(o options) bool { return o.w == 2 }},
		{"put --w 2 KEY VALUE", "put", []string{"KEY", "VALUE"}, func(o options) bool { return o.w == 2 }},
		{"put KEY --w=2 VALUE --strict", "put", []string{"KEY", "VALUE"}, func(o options) bool { return o.w == 2 && o.strict }},
		{"-w 2 put -r 1 KEY", "put", []string{"KEY"}, func(o options) bool { return o.w == 2 && o.r == 1 }},
		{"get k --json --namespace ns --r 1 --sloppy", "get", []string{"k"},
			func(o options) bool { return o.json && o.namespace == "ns" && o.r == 1 && o.sloppy }},
		{"--server nats://h:1 status --json --timeout 2s", "status", nil,
			func(o options) bool { return o.server == "nats://h:1" && o.json && o.timeout == 2*time.Second }},
		{"ns create users --n 5 --r 3 --w 3 --mode lww", "ns create", []string{"users"},
			func(o options) bool { return o.n == 5 && o.r == 3 && o.w == 3 && o.mode == "lww" }},
		{"ns --n 5 create users", "ns create", []string{"users"}, func(o options) bool { return o.n == 5 }},
		{"ns list --json", "ns list", nil, func(o options) bool { return o.json }},
		{"put k -- -5", "put", []string{"k", "-5"}, func(options) bool { return true }},
		{"put -- -k --w", "put", []string{"-k", "--w"}, func(o options) bool { return o.w == 0 }},
		{"put k v --context abc --content-type text/plain", "put", []string{"k", "v"},
			func(o options) bool { return o.token == "abc" && o.contentType == "text/plain" }},
		{"delete k --no-context", "delete", []string{"k"}, func(o options) bool { return o.noContext }},
		{"put k -", "put", []string{"k", "-"}, func(options) bool { return true }},
		{"get k", "get", []string{"k"}, func(o options) bool {
			return o.server == defaultServer && o.timeout == defaultTimeout && o.namespace == "" && o.r == 0
		}},
		// Help, however asked.
		{"help", "help", nil, func(options) bool { return true }},
		{"--help", "help", nil, func(options) bool { return true }},
		{"-h", "help", nil, func(options) bool { return true }},
		{"help put", "help", []string{"put"}, func(options) bool { return true }},
		{"put --help", "help", []string{"put"}, func(options) bool { return true }},
		{"put k v -h", "help", []string{"put"}, func(options) bool { return true }},
		{"help ns create", "help", []string{"ns", "create"}, func(options) bool { return true }},
		{"ns --help", "help", []string{"ns"}, func(options) bool { return true }},
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

func TestParseServerFromEnvironment(t *testing.T) {
	env := func(name string) string {
		if name == "KV_SERVER" {
			return "nats://env:4222"
		}
		return ""
	}
	inv, err := parse([]string{"status"}, env)
	if err != nil || inv.opts.server != "nats://env:4222" {
		t.Fatalf("server = %q, %v; want the environment's", inv.opts.server, err)
	}
	inv, err = parse([]string{"status", "--server", "nats://flag:4222"}, env)
	if err != nil || inv.opts.server != "nats://flag:4222" {
		t.Fatalf("server = %q, %v; want the flag's", inv.opts.server, err)
	}
}

func TestParseUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		msg  string
	}{
		{nil, "missing command"},
		{[]string{"frob"}, `unknown command "frob"`},
		{[]string{"ns"}, "ns: missing subcommand"},
		{[]string{"ns", "drop"}, `unknown subcommand "drop"`},
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
		{[]string{"get", "k", "--n", "3"}, "--n applies only to ns create"},
		{[]string{"put", "k", "v", "--mode", "lww"}, "--mode applies only to ns create"},
		{[]string{"ns", "create", "x", "--mode", "crdt"}, "--mode must be siblings or lww"},
		{[]string{"get", "k", "--r", "-1"}, "must not be negative"},
		{[]string{"get", "k", "--timeout", "0s"}, "--timeout must be positive"},
		{[]string{"get", "k", "--timeout", "soon"}, `invalid value "soon" for flag --timeout`},
		{[]string{"get", "--bogus", "k"}, "unknown flag --bogus"},
		{[]string{"get", "k", "--r"}, "flag --r needs an argument"},
		{[]string{"help", "frob"}, `no help for "frob"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, err := parse(tt.args, noEnv)
			var usage *usageError
			if !errors.As(err, &usage) {
				t.Fatalf("err = %v, want a usage error", err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %q, want it to say %q", err, tt.msg)
			}
			if exitCode(err) != exitUsage {
				t.Fatalf("exit code %d, want %d", exitCode(err), exitUsage)
			}
		})
	}
}
