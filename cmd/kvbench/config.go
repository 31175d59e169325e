package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// config is one benchmark run, read from the command line.
type config struct {
	// target is quorumkv, jetstream or echo.
	target string
	// servers are the NATS URLs; connections go to them round-robin.
	servers []string
	// conns is the number of NATS connections the workers share (0: one
	// per server).
	conns int

	workload     workload
	distribution string
	// records is the number of keys, user0..user<records-1>; load writes
	// them all before the run.
	records uint64
	load    bool
	// valueSize is the bytes of every written value.
	valueSize int
	// concurrency is the number of workers, each with one request in
	// flight at a time (a closed loop).
	concurrency int
	// duration and ops end the run phase, whichever comes first; 0 is
	// unset. With neither, the run lasts defaultDuration.
	duration time.Duration
	ops      int64
	// timeout bounds each operation.
	timeout time.Duration

	// n is the replica count: the quorumkv namespace's N, the JetStream
	// bucket's replicas.
	n int
	// r and w are the per-request quorums (0: the namespace's default).
	r, w      int
	namespace string
	// mode is the conflict mode of a namespace kvbench creates.
	mode   string
	strict bool
	// readModifyWrite makes an update read the key and write back with its
	// context, instead of writing blind.
	readModifyWrite bool

	json  bool
	quiet bool
	// label and durability are copied into the result for the report:
	// a row name, and the servers' durability setting, which kvbench
	// cannot see.
	label      string
	durability string
	// serverPIDs are local server processes whose CPU time each phase
	// reports.
	serverPIDs []int
}

const defaultDuration = 10 * time.Second

// parseConfig reads the flags of a run.
func parseConfig(args []string, stderr io.Writer) (*config, error) {
	cfg := &config{}
	fs := flag.NewFlagSet("kvbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	var servers, wl, pids string
	fs.StringVar(&cfg.target, "target", "quorumkv", "what to load: quorumkv (through the Go SDK), jetstream (JetStream KV) or echo (plain NATS request-reply)")
	fs.StringVar(&servers, "servers", "nats://127.0.0.1:4222", "comma-separated NATS URLs; connections are spread over them round-robin")
	fs.IntVar(&cfg.conns, "conns", 0, "NATS connections shared by the workers (0: one per server URL)")
	fs.StringVar(&wl, "workload", "a", "a (50% read/50% update), b (95/5), c (read only) or w (update only)")
	fs.StringVar(&cfg.distribution, "distribution", "uniform", "key choice: uniform or zipfian (constant 0.99, scrambled)")
	fs.Uint64Var(&cfg.records, "records", 10000, "keys written by the load phase and chosen from by the run")
	fs.BoolVar(&cfg.load, "load", true, "write every record before the run (--load=false to reuse a previous load)")
	fs.IntVar(&cfg.valueSize, "value-size", 1024, "bytes per value")
	fs.IntVar(&cfg.concurrency, "concurrency", 64, "workers, each with one request in flight (closed loop)")
	fs.DurationVar(&cfg.duration, "duration", 0, "length of the run phase (default 10s when --ops is not given)")
	fs.Int64Var(&cfg.ops, "ops", 0, "operations in the run phase (0: no limit)")
	fs.DurationVar(&cfg.timeout, "timeout", 5*time.Second, "timeout of each operation")
	fs.IntVar(&cfg.n, "n", 3, "replicas: N of the namespace kvbench creates, replicas of the JetStream bucket")
	fs.IntVar(&cfg.r, "r", 0, "read quorum per request (0: the namespace's default)")
	fs.IntVar(&cfg.w, "w", 0, "write quorum per request (0: the namespace's default)")
	fs.StringVar(&cfg.namespace, "namespace", "bench", "quorumkv namespace; created (N=--n, R/W=--r/--w or 2, --mode) when missing")
	fs.StringVar(&cfg.mode, "mode", "lww", "conflict mode of a namespace kvbench creates: lww (blind writes replace) or siblings")
	fs.BoolVar(&cfg.strict, "strict", false, "quorumkv: count only home replicas toward R and W")
	fs.BoolVar(&cfg.readModifyWrite, "read-modify-write", false, "quorumkv: an update reads the key first and writes back with its context")
	fs.BoolVar(&cfg.json, "json", false, "print the result as JSON on stdout (the table goes to stderr unless --quiet)")
	fs.BoolVar(&cfg.quiet, "quiet", false, "print no progress lines, notes or tables on stderr")
	fs.StringVar(&cfg.label, "label", "", "row name carried into the JSON result (for kvbench report)")
	fs.StringVar(&cfg.durability, "durability", "", "the servers' durability setting, carried into the result (kvbench cannot see it)")
	fs.StringVar(&pids, "server-pids", "", "comma-separated pids of local server processes whose CPU time to report per phase")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg.servers = splitList(servers)
	for _, p := range splitList(pids) {
		pid, err := strconv.Atoi(p)
		if err != nil || pid <= 0 {
			return nil, fmt.Errorf("--server-pids: bad pid %q", p)
		}
		cfg.serverPIDs = append(cfg.serverPIDs, pid)
	}
	var err error
	if cfg.workload, err = parseWorkload(wl); err != nil {
		return nil, err
	}
	return cfg, cfg.validate()
}

// validate rejects impossible settings and fills defaults.
func (c *config) validate() error {
	switch c.target {
	case "quorumkv", "jetstream", "echo":
	default:
		return fmt.Errorf("target %q: want quorumkv, jetstream or echo", c.target)
	}
	var errs []error
	check := func(bad bool, format string, a ...any) {
		if bad {
			errs = append(errs, fmt.Errorf(format, a...))
		}
	}
	check(len(c.servers) == 0, "--servers: no URL")
	check(c.conns < 0, "--conns must not be negative")
	check(c.records == 0, "--records must be positive")
	check(c.valueSize < 0, "--value-size must not be negative")
	check(c.concurrency < 1, "--concurrency must be at least 1")
	check(c.duration < 0, "--duration must not be negative")
	check(c.ops < 0, "--ops must not be negative")
	check(c.timeout <= 0, "--timeout must be positive")
	check(c.n < 1, "--n must be at least 1")
	check(c.r < 0 || c.r > c.n, "--r must be between 0 and --n")
	check(c.w < 0 || c.w > c.n, "--w must be between 0 and --n")
	check(c.mode != "lww" && c.mode != "siblings", "--mode must be lww or siblings")
	check(c.namespace == "", "--namespace must not be empty")
	check(c.distribution != "uniform" && c.distribution != "zipfian", "--distribution must be uniform or zipfian")
	if c.duration == 0 && c.ops == 0 {
		c.duration = defaultDuration
	}
	if c.conns == 0 {
		c.conns = len(c.servers)
	}
	return errors.Join(errs...)
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

const usage = `kvbench loads a quorumkv cluster (or JetStream KV, or plain NATS
request-reply, for comparison) with a YCSB-style workload and reports
throughput and latency percentiles per operation.

Usage:
  kvbench [run] [flags]            a benchmark run (the flags below)
  kvbench wait [flags]             wait until a cluster is up (kvbench wait -h)
  kvbench natsd [flags]            run a plain JetStream server (kvbench natsd -h)
  kvbench report [flags] FILE...   render --json results as markdown (kvbench report -h)

Run flags:
`
