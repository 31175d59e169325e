package main

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
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

// TestEchoRun drives the whole tool against an in-process NATS server:
// load, then a 1 s run of workload a, reported as JSON.
func TestEchoRun(t *testing.T) {
	s := startNATS(t)
	var stdout, stderr bytes.Buffer
	code := realMain([]string{"run", "--target", "echo", "--servers", s.ClientURL(), "--workload", "a",
		"--records", "200", "--concurrency", "8", "--duration", "1s", "--value-size", "100",
		"--json", "--quiet", "--label", "echo-test"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var res result
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("%v: %s", err, stdout.String())
	}
	load, ok := res.phase("load")
	if !ok || len(load.Ops) != 1 || load.Ops[0].Op != "insert" || load.Ops[0].Count != 200 {
		t.Errorf("load phase = %+v, want 200 inserts", load)
	}
	run, ok := res.phase("run")
	if !ok || run.Seconds < 1 || run.Seconds > 3 {
		t.Fatalf("run phase = %+v, want about 1s", run)
	}
	for _, op := range []string{"read", "update"} {
		s, ok := res.op(op)
		if !ok || s.Count == 0 || s.Errors != 0 || s.Throughput <= 0 || s.P50Us <= 0 || s.MaxUs < s.P99Us {
			t.Errorf("%s = %+v, want successful ops", op, s)
		}
	}
	if res.Label != "echo-test" || res.Target != "echo" || len(res.Notes) == 0 {
		t.Errorf("result settings = %+v", res)
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
