// Command kvbench loads a quorumkv cluster with a YCSB-style workload and
// reports throughput and latency percentiles per operation. For
// comparison it loads JetStream KV or plain NATS request-reply (echo) on
// the same servers the same way. A run is a closed loop (each worker
// waits for its answer) or, with --rate, an open loop that sends at a
// fixed rate and times each request from its due time.
//
// Subcommands: run (the default), wait (until a cluster is up), natsd (a
// plain JetStream server for comparisons kvnode cannot set up) and report
// (BENCHMARKS.md from --json results). deploy/bench.sh drives them all.
// The engine is package internal/bench; this command reads the flags and
// turns the outcome into an exit code.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/quorumkv/quorumkv/internal/bench"
)

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

// realMain runs a subcommand and returns the exit code: 0 ok, 1 failure,
// 2 usage error.
func realMain(args []string, stdout, stderr io.Writer) int {
	cmd, rest := "run", args
	if len(args) > 0 {
		switch args[0] {
		case "run", "wait", "natsd", "report":
			cmd, rest = args[0], args[1:]
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch cmd {
	case "run":
		err = runCommand(ctx, stop, rest, stdout, stderr)
	case "wait":
		err = waitCommand(ctx, rest, stderr)
	case "natsd":
		err = natsdCommand(ctx, rest, stderr)
	case "report":
		err = reportCommand(rest, stdout, stderr)
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(usageError)):
		fmt.Fprintf(stderr, "kvbench %s: %v\n", cmd, err)
		return 2
	}
	fmt.Fprintf(stderr, "kvbench %s: %v\n", cmd, err)
	return 1
}

// usageError is a bad command line.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// parseFlags parses args into fs; a parse error is a usage error, except
// -h, which asks for the help fs has printed.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return usageError{err}
}

// runOptions are the flags of a run: the run itself and how to print it.
type runOptions struct {
	cfg   bench.Config
	json  bool
	quiet bool
}

// runCommand is a benchmark run: connect, load, run, report. The first
// interrupt ends the current phase and reports what it measured (stop
// restores the default handling, so a second one kills).
func runCommand(ctx context.Context, stop func(), args []string, stdout, stderr io.Writer) error {
	opts, err := parseRunFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	go func() {
		<-ctx.Done()
		stop()
	}()
	var progress io.Writer
	if !opts.quiet {
		progress = stderr
	}
	res, err := bench.Run(ctx, &opts.cfg, progress)
	if err != nil {
		return err
	}
	if err := writeResult(res, opts, stdout, stderr); err != nil {
		return err
	}
	return res.Err()
}

// writeResult prints the result as a table, or as JSON with the table on
// stderr unless quiet.
func writeResult(res *bench.Result, opts *runOptions, stdout, stderr io.Writer) error {
	switch {
	case !opts.json:
		return bench.WriteText(stdout, res)
	case opts.quiet:
		return bench.WriteJSON(stdout, res)
	}
	if err := bench.WriteJSON(stdout, res); err != nil {
		return err
	}
	return bench.WriteText(stderr, res)
}

// parseRunFlags reads the flags of a run and validates the run.
func parseRunFlags(args []string, stderr io.Writer) (*runOptions, error) {
	opts := &runOptions{}
	fs := flag.NewFlagSet("kvbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	var servers, pids, dataDirs, rateOf string
	defineRunFlags(fs, opts, &servers, &pids)
	fs.StringVar(&dataDirs, "data-dirs", "", "comma-separated data directories of the servers, whose size to report after each phase")
	fs.StringVar(&rateOf, "rate-of", "", "comma-separated --json result files: --rate becomes --rate-fraction of the median throughput of their runs")
	fs.Float64Var(&opts.cfg.RateFraction, "rate-fraction", 0, "with --rate-of: the fraction of the measured maximum to send at, e.g. 0.5")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg := &opts.cfg
	cfg.Servers = splitList(servers)
	cfg.DataDirs = splitList(dataDirs)
	if err := resolveRate(cfg, splitList(rateOf)); err != nil {
		return nil, err
	}
	for _, p := range splitList(pids) {
		pid, err := strconv.Atoi(p)
		if err != nil || pid <= 0 {
			return nil, fmt.Errorf("--server-pids: bad pid %q", p)
		}
		cfg.ServerPIDs = append(cfg.ServerPIDs, pid)
	}
	return opts, cfg.Validate()
}

// resolveRate sets cfg.Rate from --rate-of and --rate-fraction, which go
// together and exclude --rate.
func resolveRate(cfg *bench.Config, rateOf []string) error {
	switch {
	case len(rateOf) == 0 && cfg.RateFraction == 0:
		return nil
	case len(rateOf) == 0:
		return errors.New("--rate-fraction needs --rate-of")
	case cfg.RateFraction <= 0:
		return errors.New("--rate-of needs a positive --rate-fraction")
	case cfg.Rate != 0:
		return errors.New("--rate and --rate-of exclude each other")
	}
	base, err := bench.MaxRate(rateOf)
	if err != nil {
		return fmt.Errorf("--rate-of: %w", err)
	}
	cfg.RateBase, cfg.Rate = base, base*cfg.RateFraction
	return nil
}

// defineRunFlags defines the flags of a run on fs; --servers and
// --server-pids go to the strings given, as comma-separated lists.
func defineRunFlags(fs *flag.FlagSet, opts *runOptions, servers, pids *string) {
	cfg := &opts.cfg
	fs.StringVar(&cfg.Target, "target", "quorumkv", "what to load: quorumkv (through the Go SDK), jetstream (JetStream KV) or echo (plain NATS request-reply)")
	fs.StringVar(servers, "servers", "nats://127.0.0.1:4222", "comma-separated NATS URLs; connections are spread over them round-robin")
	fs.IntVar(&cfg.Conns, "conns", 0, "NATS connections shared by the workers (0: one per server URL)")
	fs.StringVar(&cfg.Workload, "workload", "a", "a (50% read/50% update), b (95/5), c (read only) or w (update only)")
	fs.StringVar(&cfg.Distribution, "distribution", "uniform", "key choice: uniform or zipfian (constant 0.99, scrambled)")
	fs.Uint64Var(&cfg.Records, "records", 10000, "keys written by the load phase and chosen from by the run")
	fs.BoolVar(&cfg.Load, "load", true, "write every record before the run (--load=false to reuse a previous load)")
	fs.IntVar(&cfg.ValueSize, "value-size", 1024, "bytes per value")
	fs.IntVar(&cfg.KeySize, "key-size", 0, "pad every key to this many bytes (0: user<i> as YCSB names them)")
	fs.IntVar(&cfg.Concurrency, "concurrency", 64, "workers, each with one request in flight (closed loop); with --rate, the bound on requests in flight")
	fs.Float64Var(&cfg.Rate, "rate", 0, "open loop: send this many operations per second whatever the answers, latency counted from each one's due time (0: closed loop)")
	fs.DurationVar(&cfg.Duration, "duration", 0, "length of the run phase (default 10s when --ops is not given)")
	fs.Int64Var(&cfg.Ops, "ops", 0, "operations in the run phase (0: no limit)")
	fs.DurationVar(&cfg.Timeout, "timeout", 5*time.Second, "timeout of each operation")
	fs.IntVar(&cfg.N, "n", 3, "replicas: N of the namespace kvbench creates, replicas of the JetStream bucket")
	fs.IntVar(&cfg.R, "r", 0, "read quorum per request (0: the namespace's default)")
	fs.IntVar(&cfg.W, "w", 0, "write quorum per request (0: the namespace's default)")
	fs.StringVar(&cfg.Namespace, "namespace", "bench", "quorumkv namespace; created (N=--n, R/W=--r/--w or 2, --mode) when missing")
	fs.StringVar(&cfg.Mode, "mode", "lww", "conflict mode of a namespace kvbench creates: lww (blind writes replace) or siblings")
	fs.BoolVar(&cfg.Strict, "strict", false, "quorumkv: count only home replicas toward R and W")
	fs.BoolVar(&cfg.ReadModifyWrite, "read-modify-write", false, "quorumkv: an update reads the key first and writes back with its context")
	fs.BoolVar(&opts.json, "json", false, "print the result as JSON on stdout (the table goes to stderr unless --quiet)")
	fs.BoolVar(&opts.quiet, "quiet", false, "print no progress lines, notes or tables on stderr")
	fs.StringVar(&cfg.Label, "label", "", "row name carried into the JSON result (for kvbench report)")
	fs.StringVar(&cfg.Durability, "durability", "", "the servers' durability setting, carried into the result (kvbench cannot see it)")
	fs.StringVar(pids, "server-pids", "", "comma-separated pids of local server processes whose CPU time to report per phase")
}

// waitCommand polls the servers until the cluster is ready.
func waitCommand(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("kvbench wait", flag.ContinueOnError)
	fs.SetOutput(stderr)
	servers := fs.String("servers", "nats://127.0.0.1:4222", "comma-separated NATS URLs; each is checked")
	kind := fs.String("kind", "quorumkv", "what must be ready: quorumkv, jetstream or nats")
	members := fs.Int("members", 3, "quorumkv: members every node must see up")
	timeout := fs.Duration("timeout", time.Minute, "give up after this long")
	quiet := fs.Bool("quiet", false, "print nothing when ready")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg := bench.WaitConfig{Kind: *kind, Servers: splitList(*servers), Members: *members, Timeout: *timeout}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	msg, err := bench.Wait(ctx, cfg)
	if err != nil {
		return err
	}
	if !*quiet {
		fmt.Fprintf(stderr, "kvbench wait: %s\n", msg)
	}
	return nil
}

// natsdCommand runs a plain nats-server with JetStream until interrupted.
func natsdCommand(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("kvbench natsd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg bench.NATSDConfig
	fs.StringVar(&cfg.Name, "name", "js1", "server name, unique in the cluster")
	fs.StringVar(&cfg.Listen, "listen", "127.0.0.1:4222", "client address host:port")
	fs.StringVar(&cfg.ClusterListen, "cluster-listen", "", "route address host:port (empty: no cluster)")
	fs.StringVar(&cfg.Join, "join", "", "comma-separated route URLs of the cluster's servers")
	fs.StringVar(&cfg.StoreDir, "store-dir", "", "JetStream store directory (required)")
	fs.StringVar(&cfg.Sync, "sync", "always", "JetStream fsync: always (every write) or an interval such as 2m (the nats-server default)")
	verbose := fs.Bool("v", false, "log the server's notices and warnings to stderr")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	var log io.Writer
	if *verbose {
		log = stderr
	}
	return bench.RunNATSD(ctx, cfg, log)
}

// reportCommand renders --json results as the BENCHMARKS.md markdown.
func reportCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("kvbench report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "-", "file to write (- for stdout)")
	command := fs.String("command", "make bench", "the command that produced the results, quoted in the report")
	var setup multiFlag
	fs.Var(&setup, "setup", "a line for the setup section (repeatable)")
	notesPath := fs.String("notes", "", "markdown file appended to the report as it is (optional)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{errors.New("no result files")}
	}
	results, err := readResults(fs.Args())
	if err != nil {
		return err
	}
	meta := bench.ReportMeta{Command: *command, Date: time.Now(), Machine: bench.ThisMachine(), Setup: setup}
	if *notesPath != "" {
		notes, err := os.ReadFile(*notesPath)
		if err != nil {
			return err
		}
		meta.Notes = string(notes)
	}
	var b strings.Builder
	bench.RenderMarkdown(&b, meta, results)
	if *out == "-" {
		_, err := io.WriteString(stdout, b.String())
		return err
	}
	return os.WriteFile(*out, []byte(b.String()), 0o644)
}

// readResults reads the result file at each path.
func readResults(paths []string) ([]*bench.Result, error) {
	var results []*bench.Result
	for _, path := range paths {
		res, err := bench.ReadResult(path)
		if err != nil {
			return nil, err
		}
		results = append(results, res)
	}
	return results, nil
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, "; ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

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
