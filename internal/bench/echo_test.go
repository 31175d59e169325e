package bench

import (
	"context"
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

// TestEchoRun drives a whole run against an in-process NATS server:
// load, then a 1 s run of workload a.
func TestEchoRun(t *testing.T) {
	s := startNATS(t)
	cfg := &Config{Target: "echo", Servers: []string{s.ClientURL()}, Workload: "a", Distribution: "uniform",
		Records: 200, Load: true, Concurrency: 8, Duration: time.Second, ValueSize: 100, Timeout: 5 * time.Second,
		N: 3, Namespace: "bench", Mode: "lww", Label: "echo-test"}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Err(); err != nil {
		t.Fatal(err)
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
	if res.Label != "echo-test" || res.Target != "echo" || res.WorkloadDesc == "" || len(res.Notes) == 0 {
		t.Errorf("result settings = %+v", res)
	}
}

// TestRunFailsOnBareNATS: quorumkv cannot be set up on a NATS server with
// no node behind it, and Run says so instead of measuring failures.
func TestRunFailsOnBareNATS(t *testing.T) {
	s := startNATS(t)
	cfg := &Config{Target: "quorumkv", Servers: []string{s.ClientURL()}, Workload: "a", Distribution: "uniform",
		Records: 10, Concurrency: 1, Ops: 1, Timeout: time.Second, N: 3, Namespace: "bench", Mode: "lww"}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), cfg, nil); err == nil {
		t.Fatal("a run on a bare NATS server set up")
	}
}

// TestEchoOpenLoop runs the open loop against a real server: at a rate
// far below what echo sustains, every request due is sent and answered,
// nothing is dropped, and the achieved rate is the one asked for.
func TestEchoOpenLoop(t *testing.T) {
	s := startNATS(t)
	cfg := &Config{Target: "echo", Servers: []string{s.ClientURL()}, Workload: "a", Distribution: "zipfian",
		Records: 100, Concurrency: 16, Duration: time.Second, ValueSize: 100, KeySize: 64, Timeout: 5 * time.Second,
		N: 3, Namespace: "bench", Mode: "lww", Rate: 300}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	run, ok := res.phase("run")
	if !ok || run.Open == nil {
		t.Fatalf("run phase = %+v, want an open loop", run)
	}
	o := run.Open
	if o.Scheduled < 250 || o.Scheduled > 300 || o.Dropped != 0 || run.succeeded() != o.Scheduled {
		t.Errorf("open loop = %+v, %d answered; want about 300 due, all answered", o, run.succeeded())
	}
	if got := run.throughput(); got < 200 || got > 330 {
		t.Errorf("achieved %.0f ops/s, want about 300", got)
	}
	if res.KeySize != 64 {
		t.Errorf("key size = %d", res.KeySize)
	}
}
