package actors

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/quorumkv/quorumkv/ring"
	"github.com/quorumkv/quorumkv/storage"
	"github.com/quorumkv/quorumkv/transport"
)

// Config is everything a node needs to start. Zero fields take the defaults
// that Validate fills in; each default is explained beside its field.
type Config struct {
	// Name is the node's id: unique in the cluster, [A-Za-z0-9_-], at most
	// 64 bytes, because it is a NATS subject token (kv.internal.<name>.>).
	// Empty means the id persisted in DataDir, or else one derived from the
	// host name. A data dir keeps the id it was created with.
	Name string
	// DataDir holds the Pebble DB and the node's identity. Default "./data".
	DataDir string
	// Zone is the node's failure domain; replicas go to distinct zones first.
	Zone string
	// Weight is the node's capacity in units (>= 1): a node of weight 2
	// owns about twice the partitions of a node of weight 1. Default 1.
	Weight int
	// Partitions is Q, the cluster's fixed partition count (a power of two).
	// Default 256: enough for clusters of up to about 64 nodes with a few
	// partitions each; it can never change for a cluster.
	Partitions int
	// Placement is the cluster's key-to-partition rule (ring.Placement),
	// fixed for its life like Partitions. 0 (the default) takes the data
	// dir's, and ring.DefaultPlacement for a new one; a node with an empty
	// data dir joining a cluster made with another placement needs it set.
	Placement int

	// Listen is the embedded NATS server's client address. Default
	// 127.0.0.1:4222, the NATS default port, on loopback only.
	Listen string
	// ClusterListen is the embedded server's route address ("" = no routes,
	// a cluster of one).
	ClusterListen string
	// Join lists route URLs of other nodes (nats://host:6222,...).
	Join []string
	// NATSURL, when set, connects to an existing NATS cluster instead of
	// embedding a server.
	NATSURL string
	// JetStream enables JetStream in the embedded NATS server (store under
	// DataDir/jetstream). quorumkv never uses it; it is there so that
	// benchmarks can compare with JetStream KV on the same servers.
	JetStream bool
	// NATSConfig is a nats-server configuration file for the embedded
	// server ("" = none: an open server). Its authorization users, tls and
	// cluster blocks apply; the fields above still set the addresses and
	// routes. See loadNATSConfig for what it may not contain.
	NATSConfig string
	// HTTPListen serves /livez, /readyz, /healthz and /metrics ("" = off).
	HTTPListen string
	// PProf also serves /debug/pprof on HTTPListen. Off by default: the
	// profiles show internals and cost CPU, and /metrics is often open to
	// more people than the node itself.
	PProf bool

	// Sync is the durability mode: always (fsync before every ack, group
	// committed; the default) or none (the OS decides when data reaches disk).
	Sync storage.SyncMode

	// MaxKeyBytes is the largest key accepted. Default 1024.
	MaxKeyBytes int
	// MaxValueBytes is the largest value accepted. Default 1 MiB. The NATS
	// max payload is set to this plus MaxKeyBytes plus 64 KiB of envelope.
	MaxValueBytes int
	// RequestTimeout is the quorum timeout when a request names none.
	// Default 5s: long enough for a synced write under load, short enough
	// that a client learns of a lost quorum promptly.
	RequestTimeout time.Duration
	// MaxRequestTimeout caps the timeout a request may ask for, so that a
	// request cannot pin a coordinator for long. Default 1m.
	MaxRequestTimeout time.Duration
	// ReplicaTimeout bounds one internal replica call. Default 2s.
	ReplicaTimeout time.Duration
	// MaxContextEntries prunes version vectors past this many entries
	// (oldest first). Default 16: several times any sane N, so pruning only
	// trims entries left by nodes long gone.
	MaxContextEntries int

	// RecordCacheBytes is the memory for recent records kept by the
	// partition actors (split evenly between partitions), so that a hot
	// key's read-modify-write skips Pebble. Default 64 MiB; negative
	// disables it.
	RecordCacheBytes int
	// GossipInterval is how often the node bumps its heartbeat and gossips.
	// Default 250ms.
	GossipInterval time.Duration
	// GossipFanout is how many random peers get each round. Default 3.
	GossipFanout int

	// Healing: hinted handoff, anti-entropy and tombstone reaping.

	// HintInterval is how often the handoff actor looks for hints to
	// deliver, drop or summarise. Default 1s: a returning node gets its
	// hints within about a second of being seen up.
	HintInterval time.Duration
	// HintRate bounds hint delivery, in bytes per second per node, so a
	// backlog never starves client traffic. Default 4 MiB/s.
	HintRate int
	// HintMaxCount, HintMaxBytes and HintMaxAge bound the hints kept for
	// one target node; past a bound the oldest are dropped (anti-entropy
	// repairs what they held). Defaults 1,000,000 hints, 1 GiB, 3h: as
	// Cassandra's hint window, a node down longer than that is refilled
	// by anti-entropy rather than by an ever-growing backlog.
	HintMaxCount int
	HintMaxBytes int64
	HintMaxAge   time.Duration
	// AEInterval is the pause between anti-entropy rounds, in which this
	// node compares every tree it holds as a home replica with each other
	// up home replica. Default 10s: a round in sync costs two small calls
	// per tree and peer, and a wiped replica is refilled within a round.
	AEInterval time.Duration
	// NoAntiEntropy turns automatic anti-entropy off: no rounds, no
	// exchanges when a peer returns, no reaping. Admin "repair now" still
	// runs. For diagnosis; a cluster without it heals only by hints and
	// reads, and keeps every tombstone.
	NoAntiEntropy bool
	// AERate bounds the record bytes an exchange moves per second, so a
	// refill never floods the cluster. Default 8 MiB/s.
	AERate int
	// TreeRebuildInterval is how old a partition's Merkle trees may get
	// before they are rebuilt from storage (which also finds records that
	// rotted on disk). Default 1h.
	TreeRebuildInterval time.Duration
	// TreeRebuildRate bounds rebuilds, in records hashed per second.
	// Default 100,000: a few percent of one core.
	TreeRebuildRate int
	// TombstoneGrace is how long a tombstone is kept after every home
	// replica holds it, before it is reaped. It must exceed HintMaxAge plus
	// MaxRequestTimeout: a hint or a read repair carrying the
	// deleted value could otherwise arrive after the reap and bring it
	// back. Default 4h.
	TombstoneGrace time.Duration
	// HandoffRate bounds ownership transfers, in record bytes per second
	// that this node receives (and, separately, serves), so that a join or
	// a decommission never starves client traffic. Default 16 MiB/s.
	HandoffRate int
	// HandoffConcurrency is how many partitions this node receives at
	// once. Default 2.
	HandoffConcurrency int
	// DropGrace is how long a node keeps the records of a partition it no
	// longer owns, once no change is under way, before it deletes them
	// (the owners hold them). Default 1m.
	DropGrace time.Duration
	// JoinWait is how long a node started with Join waits to hear from a
	// cluster before it starts one of its own. A node that does hear from
	// one joins it: it receives the partitions it is to own before reads
	// use it for them. Default 5s.
	JoinWait time.Duration

	// Transport, when set, carries every message of the node instead of
	// NATS: no server is embedded and NATSURL is ignored. For tests that
	// run whole clusters in one process (transport.MemNet).
	Transport transport.Conn
	// WallClock, when set, is the wall clock (unix nanoseconds) that stamps
	// writes for last-write-wins, instead of time.Now: tests make it jump.
	WallClock func() int64
	// FS is the filesystem of the data dir (default: the OS's). Tests use
	// Pebble's in-memory, crash-cloneable one.
	FS vfs.FS

	// Logger receives the node's logs and those of NATS, protoactor and
	// Pebble. Default: discard.
	Logger *slog.Logger
}

var nodeNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidNodeName reports whether name can be a node id.
func ValidNodeName(name string) bool { return nodeNamePattern.MatchString(name) }

// Validate fills defaults and rejects bad combinations.
func (c *Config) Validate() error {
	c.fillDefaults()
	var errs []error
	if c.Name != "" && !ValidNodeName(c.Name) {
		errs = append(errs, fmt.Errorf("name %q: want 1-64 of [A-Za-z0-9_-]", c.Name))
	}
	if c.Weight < 1 {
		errs = append(errs, fmt.Errorf("weight %d: want >= 1", c.Weight))
	}
	if c.Placement != 0 && !ring.Placement(c.Placement).Valid() {
		errs = append(errs, fmt.Errorf("placement %d: want 0 (the data dir's), 1 or 2", c.Placement))
	}
	if !ring.ValidPartitionCount(c.Partitions) {
		errs = append(errs, fmt.Errorf("partitions %d: want a power of two in [1, 65536]", c.Partitions))
	}
	if c.MaxKeyBytes < 1 || c.MaxValueBytes < 1 {
		errs = append(errs, errors.New("max key and value sizes must be positive"))
	}
	if c.NATSURL == "" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			errs = append(errs, fmt.Errorf("listen %q: %w", c.Listen, err))
		}
		if c.ClusterListen != "" {
			if _, _, err := net.SplitHostPort(c.ClusterListen); err != nil {
				errs = append(errs, fmt.Errorf("cluster-listen %q: %w", c.ClusterListen, err))
			}
		}
	}
	if c.TombstoneGrace < c.HintMaxAge+c.MaxRequestTimeout {
		errs = append(errs, fmt.Errorf("tombstone-grace %v: must be at least hint-max-age (%v) plus max-request-timeout (%v), or a late hint could resurrect a reaped key",
			c.TombstoneGrace, c.HintMaxAge, c.MaxRequestTimeout))
	}
	if c.HandoffRate < 1 || c.HandoffConcurrency < 1 {
		errs = append(errs, errors.New("handoff rate and concurrency must be positive"))
	}
	if c.HintRate < 1 || c.AERate < 1 || c.TreeRebuildRate < 1 || c.HintMaxCount < 1 || c.HintMaxBytes < 1 {
		errs = append(errs, errors.New("hint and anti-entropy rates and bounds must be positive"))
	}
	if c.NATSConfig != "" && c.NATSURL != "" {
		errs = append(errs, errors.New("nats-config configures the embedded server; with nats-url there is none (give credentials in the URL)"))
	}
	if len(c.Join) > 0 && c.ClusterListen == "" && c.NATSURL == "" && c.Transport == nil {
		errs = append(errs, errors.New("join needs cluster-listen (the embedded server routes to its peers)"))
	}
	for _, u := range c.Join {
		if !strings.Contains(u, "://") {
			errs = append(errs, fmt.Errorf("join %q: want a URL such as nats://host:6222", u))
		}
	}
	return errors.Join(errs...)
}

func (c *Config) fillDefaults() {
	setDefault(&c.DataDir, "./data")
	setDefault(&c.Listen, "127.0.0.1:4222")
	if c.Weight == 0 {
		c.Weight = 1
	}
	if c.Partitions == 0 {
		c.Partitions = ring.DefaultPartitions
	}
	if c.MaxKeyBytes == 0 {
		c.MaxKeyBytes = 1024
	}
	if c.MaxValueBytes == 0 {
		c.MaxValueBytes = 1 << 20
	}
	setDefaultDuration(&c.RequestTimeout, 5*time.Second)
	setDefaultDuration(&c.ReplicaTimeout, 2*time.Second)
	setDefaultDuration(&c.MaxRequestTimeout, time.Minute)
	setDefaultDuration(&c.GossipInterval, 250*time.Millisecond)
	if c.MaxContextEntries == 0 {
		c.MaxContextEntries = 16
	}
	if c.RecordCacheBytes == 0 {
		c.RecordCacheBytes = 64 << 20
	}
	if c.GossipFanout == 0 {
		c.GossipFanout = 3
	}
	setDefaultDuration(&c.HintInterval, time.Second)
	setDefaultDuration(&c.HintMaxAge, 3*time.Hour)
	setDefaultDuration(&c.AEInterval, 10*time.Second)
	setDefaultDuration(&c.TreeRebuildInterval, time.Hour)
	setDefaultDuration(&c.TombstoneGrace, 4*time.Hour)
	setDefaultInt(&c.HintRate, 4<<20)
	setDefaultInt(&c.AERate, 8<<20)
	setDefaultInt(&c.TreeRebuildRate, 100_000)
	setDefaultInt(&c.HandoffRate, 16<<20)
	setDefaultInt(&c.HandoffConcurrency, 2)
	setDefaultDuration(&c.JoinWait, 5*time.Second)
	setDefaultDuration(&c.DropGrace, time.Minute)
	setDefaultInt(&c.HintMaxCount, 1_000_000)
	if c.HintMaxBytes == 0 {
		c.HintMaxBytes = 1 << 30
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// maxPayload is the NATS max payload: twice the largest value (room for a
// JSON request's base64, 4/3 of the value), plus the largest key, plus room
// for the envelope and the causal context. A value somewhat over
// MaxValueBytes still reaches the node, which refuses it naming the
// configured limit, rather than NATS refusing it with a payload size the
// user never set. Clients that see only the payload limit (kvcli) invert
// this formula, so it must stay exact: change both together.
func (c *Config) maxPayload() int32 {
	return int32(2*c.MaxValueBytes + c.MaxKeyBytes + 64<<10)
}

func setDefault(s *string, v string) {
	if *s == "" {
		*s = v
	}
}

func setDefaultDuration(d *time.Duration, v time.Duration) {
	if *d == 0 {
		*d = v
	}
}

func setDefaultInt(v *int, d int) {
	if *v == 0 {
		*v = d
	}
}
