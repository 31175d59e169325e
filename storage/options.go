package storage

import (
	"fmt"
	"log/slog"
	"math"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// SyncMode says when a write is durable.
type SyncMode int

const (
	// SyncAlways: a Put's Pending.Wait returns only after the WAL fsync that
	// covers the write. Concurrent writes share fsyncs (group commit). The
	// default, because a replica that acknowledges a write it can lose on a
	// power cut breaks the W-quorum promise.
	SyncAlways SyncMode = iota
	// SyncNone: Pending.Wait returns at once and nothing is fsynced. Pebble's
	// WAL writer keeps non-synced writes in memory until a 32 KiB block fills
	// (or a synced write such as SetMeta comes by) and hands full blocks to
	// the OS from a background goroutine, so a process crash loses the latest
	// writes, and a machine crash also what the OS had not written back. For
	// benchmarks and for clusters that trust replication across failure
	// domains instead.
	SyncNone
)

// ParseSyncMode parses the --sync flag: "always" or "none".
func ParseSyncMode(s string) (SyncMode, error) {
	switch s {
	case "always":
		return SyncAlways, nil
	case "none":
		return SyncNone, nil
	}
	return 0, fmt.Errorf("%w: sync mode %q (want \"always\" or \"none\")", ErrInvalid, s)
}

// String returns the flag spelling of m.
func (m SyncMode) String() string {
	switch m {
	case SyncAlways:
		return "always"
	case SyncNone:
		return "none"
	}
	return fmt.Sprintf("SyncMode(%d)", int(m))
}

const (
	// DefaultMemTableBytes is the memtable size: the amount of writes buffered
	// in memory (and in the WAL) before a flush to an L0 sstable. 64 MiB is
	// pebble's usual production figure: big enough that flushes are rare and
	// L0 files large, small enough that WAL replay after a crash is quick.
	DefaultMemTableBytes = 64 << 20
	// DefaultCacheBytes is the block cache size. Pebble charges every live
	// memtable (the active one and one kept for recycling) to this cache, so
	// the cache must be well above 2 × MemTableBytes or reads get no cache at
	// all: measured on this project, 64 MiB cache + 64 MiB memtables served
	// 33–40 k point reads/s, 256 MiB served 490–590 k/s.
	DefaultCacheBytes = 256 << 20
	// minCacheMemTableRatio is the smallest CacheBytes/MemTableBytes accepted:
	// two memtables charged, at least one memtable's worth left for blocks.
	minCacheMemTableRatio = 3
	// maxPartitions bounds Q so that partition+1 still fits the 4-byte key
	// prefix; real clusters use a few hundred to a few thousand.
	maxPartitions = math.MaxInt32
)

// Options configures Open. The zero value plus Partitions is a valid,
// production-ready configuration.
type Options struct {
	// Partitions is Q, the cluster's partition count. Required. It is written
	// into a new data dir and must match on every later Open: keys embed the
	// partition number, so a different Q would misplace every record.
	Partitions int
	// Placement is the number of the cluster's key-to-partition rule
	// (package ring). 0 takes the data dir's, and NewPlacement for a new
	// one; any other value is written into a new data dir and must match
	// an existing one's. Data dirs made before placements were recorded
	// hold LegacyPlacement.
	Placement int
	// Sync is the durability mode; the zero value is SyncAlways.
	Sync SyncMode
	// CacheBytes is the block cache size in bytes; 0 means
	// DefaultCacheBytes. Must be at least 3 × MemTableBytes, because
	// memtables are charged to it (see DefaultCacheBytes).
	CacheBytes int64
	// MemTableBytes is the memtable size in bytes; 0 means
	// DefaultMemTableBytes. Pebble needs it below 4 GiB.
	MemTableBytes uint64
	// Logger receives pebble's log lines (Infof at Debug level, Errorf and
	// Fatalf at Error level) and the store's own reports of corruption and
	// failure. nil discards them; pebble never writes to stdout/stderr.
	Logger *slog.Logger
	// FS is the filesystem; nil means the OS (vfs.Default). Tests pass
	// vfs.NewMem(), vfs.NewCrashableMem() or an errorfs wrapper.
	FS vfs.FS
}

// withDefaults fills zero fields and rejects values pebble would mishandle.
func (o Options) withDefaults() (Options, error) {
	if o.Partitions <= 0 || o.Partitions > maxPartitions {
		return o, fmt.Errorf("%w: Partitions = %d, want 1..%d", ErrInvalid, o.Partitions, maxPartitions)
	}
	if o.Placement < 0 {
		return o, fmt.Errorf("%w: Placement = %d", ErrInvalid, o.Placement)
	}
	if o.Sync != SyncAlways && o.Sync != SyncNone {
		return o, fmt.Errorf("%w: %v", ErrInvalid, o.Sync)
	}
	if o.MemTableBytes == 0 {
		o.MemTableBytes = DefaultMemTableBytes
	}
	if o.CacheBytes == 0 {
		o.CacheBytes = DefaultCacheBytes
	}
	if o.MemTableBytes >= 4<<30 {
		return o, fmt.Errorf("%w: MemTableBytes = %d, pebble needs < 4 GiB", ErrInvalid, o.MemTableBytes)
	}
	if o.CacheBytes < 0 || uint64(o.CacheBytes) < minCacheMemTableRatio*o.MemTableBytes {
		return o, fmt.Errorf("%w: CacheBytes = %d must be at least %d × MemTableBytes (%d): "+
			"pebble charges memtables to the block cache", ErrInvalid,
			o.CacheBytes, minCacheMemTableRatio, o.MemTableBytes)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.FS == nil {
		o.FS = vfs.Default
	}
	return o, nil
}
