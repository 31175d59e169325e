package bench

import (
	"errors"
	"fmt"
	"time"
)

// Config is one benchmark run.
type Config struct {
	// Target is quorumkv, jetstream or echo.
	Target string
	// Servers are the NATS URLs; connections go to them round-robin.
	Servers []string
	// Conns is the number of NATS connections the workers share (0: one
	// per server).
	Conns int

	// Workload names a YCSB core workload: a, b, c or w.
	Workload string
	// Distribution is how operations choose keys: uniform or zipfian.
	Distribution string
	// Records is the number of keys, user0..user<Records-1>; Load writes
	// them all before the run.
	Records uint64
	Load    bool
	// ValueSize is the bytes of every written value.
	ValueSize int
	// KeySize pads every key to this many bytes (0: keys as YCSB names
	// them, user<i>); it must leave room for user and the largest index.
	KeySize int
	// Concurrency is the number of workers, each with one request in
	// flight at a time: a closed loop, or with Rate the bound on requests
	// in flight of the open loop.
	Concurrency int
	// Rate, when positive, makes the run phase an open loop: request i is
	// due at start + i/Rate whatever the answers before it, and its
	// latency counts from then (0: a closed loop).
	Rate float64
	// RateBase and RateFraction say where Rate came from when it is a
	// fraction of a measured maximum: copied into the result for the
	// report (0: Rate was given as it is).
	RateBase, RateFraction float64
	// Duration and Ops end the run phase, whichever comes first; 0 is
	// unset. With neither, Validate sets Duration to DefaultDuration.
	Duration time.Duration
	Ops      int64
	// Timeout bounds each operation.
	Timeout time.Duration

	// N is the replica count: the quorumkv namespace's N, the JetStream
	// bucket's replicas.
	N int
	// R and W are the per-request quorums (0: the namespace's default).
	R, W      int
	Namespace string
	// Mode is the conflict mode of a namespace the run creates.
	Mode   string
	Strict bool
	// ReadModifyWrite makes an update read the key and write back with its
	// context, instead of writing blind.
	ReadModifyWrite bool

	// Label and Durability are copied into the result for the report: a
	// row name, and the servers' durability setting, which the run cannot
	// see.
	Label      string
	Durability string
	// ServerPIDs are local server processes whose CPU time each phase
	// reports.
	ServerPIDs []int
	// DataDirs are the servers' data directories, whose size the run
	// reports after each phase.
	DataDirs []string
}

// DefaultDuration is the run phase's length when neither Duration nor Ops
// is set.
const DefaultDuration = 10 * time.Second

// Validate rejects impossible settings and fills defaults. Its errors are
// the caller's mistakes, worded for the command line's flags.
func (c *Config) Validate() error {
	if _, err := parseWorkload(c.Workload); err != nil {
		return err
	}
	switch c.Target {
	case "quorumkv", "jetstream", "echo":
	default:
		return fmt.Errorf("target %q: want quorumkv, jetstream or echo", c.Target)
	}
	var errs []error
	check := func(bad bool, format string, a ...any) {
		if bad {
			errs = append(errs, fmt.Errorf(format, a...))
		}
	}
	check(len(c.Servers) == 0, "--servers: no URL")
	check(c.Conns < 0, "--conns must not be negative")
	check(c.Records == 0, "--records must be positive")
	check(c.ValueSize < 0, "--value-size must not be negative")
	check(c.Concurrency < 1, "--concurrency must be at least 1")
	check(c.Rate < 0, "--rate must not be negative")
	check(c.KeySize < 0, "--key-size must not be negative")
	if c.KeySize > 0 && c.Records > 0 {
		check(c.KeySize < len(keyName(c.Records-1)), "--key-size %d is too short for %d records (need %d)",
			c.KeySize, c.Records, len(keyName(c.Records-1)))
	}
	check(c.Duration < 0, "--duration must not be negative")
	check(c.Ops < 0, "--ops must not be negative")
	check(c.Timeout <= 0, "--timeout must be positive")
	check(c.N < 1, "--n must be at least 1")
	check(c.R < 0 || c.R > c.N, "--r must be between 0 and --n")
	check(c.W < 0 || c.W > c.N, "--w must be between 0 and --n")
	check(c.Mode != "lww" && c.Mode != "siblings", "--mode must be lww or siblings")
	check(c.Namespace == "", "--namespace must not be empty")
	check(c.Distribution != "uniform" && c.Distribution != "zipfian", "--distribution must be uniform or zipfian")
	if c.Duration == 0 && c.Ops == 0 {
		c.Duration = DefaultDuration
	}
	if c.Conns == 0 {
		c.Conns = len(c.Servers)
	}
	return errors.Join(errs...)
}
