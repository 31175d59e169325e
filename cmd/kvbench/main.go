// Command kvbench loads a quorumkv cluster with a YCSB-style workload and
// reports throughput and latency percentiles per operation. For
// comparison it loads JetStream KV or plain NATS request-reply (echo) on
// the same servers the same way.
//
// Subcommands: run (the default), wait (until a cluster is up), natsd (a
// plain JetStream server for comparisons kvnode cannot set up) and report
// (BENCHMARKS.md from --json results). deploy/bench.sh drives them all.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
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
		err = reportCommand(rest, stderr)
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

// runCommand is a benchmark run: connect, load, run, report. The first
// interrupt ends the current phase and reports what it measured (stop
// restores the default handling, so a second one kills).
func runCommand(ctx context.Context, stop func(), args []string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, stderr)
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
	keys, err := newKeyChooser(cfg.distribution, cfg.records)
	if err != nil {
		return usageError{err}
	}
	res := newResult(cfg, time.Now())
	tgt, notes, err := openTarget(ctx, cfg)
	if err != nil {
		return err
	}
	defer tgt.Close()
	res.Notes = notes
	r := &runner{cfg: cfg, tgt: tgt, keys: keys, interrupt: ctx.Done(), cpu: cpuMeter{pids: cfg.serverPIDs}}
	if !cfg.quiet {
		r.progress = stderr
		for _, n := range notes {
			fmt.Fprintf(stderr, "kvbench: %s\n", n)
		}
	}
	if cfg.load {
		res.Phases = append(res.Phases, r.load())
	}
	if ctx.Err() == nil {
		res.Phases = append(res.Phases, r.run())
	}
	// With --json the table still goes to stderr, unless --quiet.
	switch {
	case !cfg.json:
		err = writeText(stdout, res)
	case cfg.quiet:
		err = writeJSON(stdout, res)
	default:
		if err = writeJSON(stdout, res); err == nil {
			err = writeText(stderr, res)
		}
	}
	if err != nil {
		return err
	}
	for _, p := range res.Phases {
		if p.succeeded() == 0 {
			return fmt.Errorf("%s phase: no operation succeeded", p.Name)
		}
	}
	return nil
}
