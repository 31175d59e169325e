package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/quorumkv/quorumkv/actors"
	"github.com/quorumkv/quorumkv/storage"
)

var (
	errHelp    = errors.New("help shown")
	errVersion = errors.New("version shown")
)

const usageHeader = `kvnode runs one quorumkv node.

Usage: kvnode [flags]
       kvnode probe [--url URL]   exit 0 if the node's /readyz answers 200
                                  (a container healthcheck; kvnode probe -h)

Every flag can also be set by an environment variable KVNODE_<NAME>, the
flag's name in upper case with dashes as underscores (--data-dir is
KVNODE_DATA_DIR). A flag on the command line wins over the variable.

Flags:
`

// parseFlags reads flags, falling back to KVNODE_* variables, into a
// validated Config and the logger it uses.
func parseFlags(args []string, getenv func(string) string) (actors.Config, *slog.Logger, error) {
	var cfg actors.Config
	fs := flag.NewFlagSet("kvnode", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageHeader)
		fs.PrintDefaults()
	}
	var join, syncMode, logLevel, logFormat string
	fs.StringVar(&cfg.Name, "name", "", "node id, unique in the cluster ([A-Za-z0-9_-], fixed once the data dir exists; default: the stored id, else the host name)")
	fs.StringVar(&cfg.DataDir, "data-dir", "./data", "directory of the node's Pebble DB and identity")
	fs.StringVar(&cfg.Listen, "listen", "127.0.0.1:4222", "embedded NATS server's client address (host:port) that kvcli and SDKs connect to")
	fs.StringVar(&cfg.HTTPListen, "http-listen", "", "address for the probes /livez, /readyz (alias /healthz) and Prometheus /metrics (host:port; empty: off)")
	fs.BoolVar(&cfg.PProf, "pprof", false, "also serve Go's profiles on /debug/pprof at --http-listen")
	fs.StringVar(&cfg.NATSConfig, "nats-config", "", "nats-server configuration file for the embedded server: authorization users and permissions, tls, cluster tls and authorization (the flags above still set the addresses and routes)")
	fs.StringVar(&cfg.ClusterListen, "cluster-listen", "", "embedded NATS server's route address (host:port) that other nodes join (empty: a cluster of one)")
	fs.StringVar(&join, "join", "", "comma-separated route URLs of other nodes, e.g. nats://hostA:6222,nats://hostB:6222")
	fs.StringVar(&cfg.NATSURL, "nats-url", "", "connect to an existing NATS cluster at this URL instead of embedding a server")
	fs.StringVar(&cfg.Zone, "zone", "", "failure domain (rack, availability zone); replicas go to distinct zones first")
	fs.IntVar(&cfg.Weight, "weight", 1, "capacity in units: a node of weight 2 owns about twice the data of weight 1")
	fs.IntVar(&cfg.Partitions, "partitions", 256, "partition count Q of the cluster (a power of two, fixed for the cluster's life; every node must agree)")
	fs.IntVar(&cfg.Placement, "placement", 0, "key-to-partition rule of the cluster, fixed for its life: 0 takes the data dir's (2 for a new one); set it only to join an empty node to a cluster made with another (1: clusters made before placements had numbers)")
	fs.BoolVar(&cfg.JetStream, "jetstream", false, "also enable JetStream in the embedded NATS server (quorumkv does not use it; for side-by-side benchmarks)")
	fs.StringVar(&syncMode, "sync", "always", "durability: always (fsync before acknowledging, group-committed) or none (leave flushing to the OS)")
	fs.IntVar(&cfg.MaxValueBytes, "max-value-bytes", 1<<20, "largest value accepted, in bytes (the NATS max payload follows it, with room for JSON's base64)")
	fs.DurationVar(&cfg.RequestTimeout, "request-timeout", 5*time.Second, "quorum timeout for requests that name none")
	fs.DurationVar(&cfg.MaxRequestTimeout, "max-request-timeout", time.Minute, "longest timeout a request may ask for")
	var antiEntropy bool
	fs.BoolVar(&antiEntropy, "anti-entropy", true, "run anti-entropy rounds and tombstone reaping (false is for diagnosis: the cluster then heals only by hints and reads)")
	fs.DurationVar(&cfg.AEInterval, "ae-interval", 10*time.Second, "pause between anti-entropy rounds (Merkle tree exchanges with every other home replica)")
	fs.IntVar(&cfg.AERate, "ae-rate", 8<<20, "bytes per second an anti-entropy exchange may move")
	fs.IntVar(&cfg.HandoffRate, "handoff-rate", 16<<20, "bytes per second this node receives (and, apart, serves) in ownership transfers on join and departure")
	fs.IntVar(&cfg.HandoffConcurrency, "handoff-concurrency", 2, "partitions this node receives at once in ownership transfers")
	fs.DurationVar(&cfg.DropGrace, "drop-grace", time.Minute, "how long a node keeps a partition it no longer owns (after a join moved it away) before deleting it")
	fs.DurationVar(&cfg.JoinWait, "join-wait", 5*time.Second, "with --join: how long to wait to hear from a cluster before starting a new one")
	fs.DurationVar(&cfg.TreeRebuildInterval, "tree-rebuild-interval", time.Hour, "how old Merkle trees get before they are rebuilt from storage (which also finds rotted records)")
	fs.IntVar(&cfg.TreeRebuildRate, "tree-rebuild-rate", 100_000, "records per second a tree rebuild may hash")
	fs.DurationVar(&cfg.HintInterval, "hint-interval", time.Second, "how often hints are looked at: delivered to nodes that are back, or dropped past a bound")
	fs.IntVar(&cfg.HintRate, "hint-rate", 4<<20, "bytes per second of hint delivery to nodes that are back")
	fs.IntVar(&cfg.HintMaxCount, "hint-max-count", 1_000_000, "hints kept per target node; past it the oldest are dropped (anti-entropy repairs them)")
	fs.Int64Var(&cfg.HintMaxBytes, "hint-max-bytes", 1<<30, "hint bytes kept per target node; past it the oldest are dropped")
	fs.DurationVar(&cfg.HintMaxAge, "hint-max-age", 3*time.Hour, "age past which a hint is dropped (anti-entropy repairs it)")
	fs.DurationVar(&cfg.TombstoneGrace, "tombstone-grace", 4*time.Hour, "how long a tombstone every home replica holds is kept before it is reaped (at least hint-max-age + max-request-timeout)")
	fs.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&logFormat, "log-format", "text", "text or json (logs go to stderr)")
	var version bool
	fs.BoolVar(&version, "version", false, "print the version and commit, and exit")
	if err := applyEnv(fs, getenv); err != nil {
		return cfg, nil, err
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, nil, errHelp
		}
		return cfg, nil, err
	}
	if fs.NArg() > 0 {
		return cfg, nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if version {
		return cfg, nil, errVersion
	}
	logger, err := newLogger(logLevel, logFormat)
	if err != nil {
		return cfg, nil, err
	}
	cfg.Logger = logger
	if cfg.Sync, err = storage.ParseSyncMode(syncMode); err != nil {
		return cfg, nil, err
	}
	cfg.NoAntiEntropy = !antiEntropy
	if cfg.Weight < 1 {
		return cfg, nil, fmt.Errorf("weight %d: want >= 1", cfg.Weight)
	}
	if join != "" {
		cfg.Join = strings.Split(join, ",")
	}
	return cfg, logger, cfg.Validate()
}

// applyEnv sets each flag from KVNODE_<NAME> when that variable is set, so
// the command line, parsed afterwards, wins.
func applyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		name := "KVNODE_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" && err == nil {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("%s=%q: %w", name, v, e)
			}
		}
	})
	return err
}

func newLogger(level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("log-format %q: want text or json", format)
}
