package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/quorumkv/quorumkv/internal/bench"
)

func startNATS(t *testing.T) *server.Server {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(5 * time.Second) {
		t.Fatal("nats server not ready")
	}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s
}

// TestRunJSON runs the command against an in-process NATS server and
// reads its --json output back: the flags reach the run, and nothing but
// the JSON goes to stdout.
func TestRunJSON(t *testing.T) {
	s := startNATS(t)
	var stdout, stderr bytes.Buffer
	code := realMain([]string{"run", "--target", "echo", "--servers", s.ClientURL(), "--workload", "w",
		"--records", "50", "--concurrency", "4", "--ops", "100", "--value-size", "10",
		"--json", "--quiet", "--label", "cli-test", "--durability", "none"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var res bench.Result
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("%v: %s", err, stdout.String())
	}
	if res.Label != "cli-test" || res.Durability != "none" || res.Target != "echo" || res.Workload != "w" ||
		res.Records != 50 || res.Concurrency != 4 || res.ValueSize != 10 || len(res.Phases) != 2 {
		t.Errorf("result = %+v", res)
	}
	if stderr.Len() != 0 {
		t.Errorf("--quiet wrote to stderr: %s", stderr.String())
	}
}

// TestRunFailsWithoutSuccess: a run that cannot work exits non-zero, which
// is what make bench-quick checks.
func TestRunFailsWithoutSuccess(t *testing.T) {
	s := startNATS(t)
	var stdout, stderr bytes.Buffer
	code := realMain([]string{"--target", "quorumkv", "--servers", s.ClientURL(), "--ops", "1", "--quiet"}, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("quorumkv on a bare NATS server: exit %d, want 1: %s", code, stdout.String())
	}
	code = realMain([]string{"--target", "nosuch"}, &stdout, &stderr)
	if code != 2 {
		t.Errorf("bad target: exit %d, want 2", code)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--concurrency", "0"}, {"run", "extra"}, {"run", "--server-pids", "1,x"},
		{"wait", "--kind", "redis"}, {"natsd", "--listen", "127.0.0.1:1"}, {"report"}, {"report", "--nosuch"},
	} {
		var stdout, stderr bytes.Buffer
		if code := realMain(args, &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2: %s", args, code, stderr.String())
		}
	}
	var stdout, stderr bytes.Buffer
	if code := realMain([]string{"wait", "-h"}, &stdout, &stderr); code != 0 {
		t.Errorf("wait -h: exit %d, want 0", code)
	}
}

func TestParseRunFlags(t *testing.T) {
	opts, err := parseRunFlags([]string{"--servers", "nats://a:1, nats://b:2", "--workload", "c", "--server-pids", "7,8"}, discard{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := opts.cfg
	if cfg.Duration != bench.DefaultDuration || cfg.Conns != 2 || len(cfg.Servers) != 2 || cfg.Workload != "c" ||
		len(cfg.ServerPIDs) != 2 || !cfg.Load || opts.json || opts.quiet {
		t.Errorf("config = %+v", opts)
	}
	opts, err = parseRunFlags([]string{"--ops", "100"}, discard{})
	if err != nil || opts.cfg.Duration != 0 || opts.cfg.Ops != 100 {
		t.Errorf("--ops alone: %+v, %v; want no duration", opts, err)
	}
	for _, bad := range [][]string{
		{"--target", "redis"}, {"--concurrency", "0"}, {"--r", "4"}, {"--records", "0"},
		{"--distribution", "pareto"}, {"--mode", "crdt"}, {"--servers", ""}, {"extra"},
		{"--rate", "-1"}, {"--rate-fraction", "0.5"}, {"--rate-of", "x.json"}, {"--rate-of", "nosuch.json", "--rate-fraction", "0.5"},
		{"--key-size", "5", "--records", "1000"},
	} {
		if _, err := parseRunFlags(bad, discard{}); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// TestRateOf: an open-loop run at half the rate a closed-loop run
// measured, through the command line; the result says where its rate
// came from and what its schedule did.
func TestRateOf(t *testing.T) {
	s := startNATS(t)
	common := []string{"run", "--target", "echo", "--servers", s.ClientURL(), "--workload", "c", "--records", "50",
		"--value-size", "10", "--json", "--quiet", "--load=false"}
	var stdout, stderr bytes.Buffer
	if code := realMain(append(common, "--concurrency", "4", "--duration", "300ms"), &stdout, &stderr); code != 0 {
		t.Fatalf("closed loop: exit %d: %s", code, stderr.String())
	}
	maxFile := filepath.Join(t.TempDir(), "max.json")
	if err := os.WriteFile(maxFile, stdout.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	base, err := bench.MaxRate([]string{maxFile})
	if err != nil || base <= 0 {
		t.Fatalf("MaxRate = %v, %v", base, err)
	}
	stdout.Reset()
	code := realMain(append(common, "--concurrency", "64", "--duration", "500ms", "--rate-of", maxFile, "--rate-fraction", "0.01"),
		&stdout, &stderr)
	if code != 0 {
		t.Fatalf("open loop: exit %d: %s", code, stderr.String())
	}
	var res bench.Result
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if res.RateBase != base || res.RateFraction != 0.01 || res.Rate != base*0.01 || res.Phases[0].Open == nil {
		t.Errorf("result = %+v, want rate %v (1%% of %v) and an open loop", res, base*0.01, base)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
