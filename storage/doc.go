// Package storage is the node's durable state, and the one package that knows
// Pebble. A node has one DB (one pebble database in its data dir) holding the
// versioned records of every partition it replicates, plus small node
// metadata. It knows nothing of actors or NATS; it decides what is durable
// and when.
//
// # Key layout
//
// The first byte of every pebble key names its keyspace:
//
//	'r' | partition (4 bytes, big-endian) | namespace | 0x00 | key   a record
//	'm' | name                                                    node metadata
//	'h' | partition (4 bytes, big-endian) | namespace | 0x00 | key   a hint
//	'x' ...                                                       reserved: Merkle segments
//
// So one partition's records are one contiguous key range, ['r'|p, 'r'|p+1):
// a scan, a range delete or a checkpoint of a partition touches nothing
// else. Within a partition, records sort by namespace, then key, bytewise.
// A namespace may not contain 0x00 (it ends the namespace); a key may hold
// any bytes, 0x00 included. Partition numbers must lie in [0, Q).
//
// Metadata names starting with "storage." are this package's: the layout
// stamp "storage.format" (format version, decimal) and "storage.partitions"
// (Q, decimal), written when a data dir is created and checked on every
// Open. Opening with another Q fails with ErrLayoutMismatch, since every key
// embeds its partition number.
//
// # Record format
//
// A record's pebble value is
//
//	bytes 0..3   CRC-32C (Castagnoli) of bytes 4.., big-endian uint32
//	bytes 4..    protobuf encoding of messages.Record (internal.proto):
//	             siblings (field 1) then context entries (field 2), as
//	             proto.Marshal writes them
//
// The checksum covers what the filesystem and pebble's own block checksums
// do not: bytes damaged before they reached pebble, or a bug that wrote
// garbage. EncodeRecord writes the protobuf without building the message
// (Put encodes straight into the pebble batch; tests hold the bytes identical
// to proto.Marshal), and DecodeRecord parses it straight into a
// vclock.Record (decode.go; fuzzed against proto.Unmarshal), then checks
// vclock's Record.Validate. Get is the hot path: this halves its allocations.
//
// # Durability
//
// Put applies a write and returns a Pending; the write is visible to Get at
// once. Pending.Wait returns when it is durable:
//
//   - SyncAlways (default): after the WAL fsync that covers the write.
//     Writes committed concurrently share one fsync (pebble's group commit),
//     so a partition actor should apply writes in its message loop without
//     waiting and call Wait on another goroutine, replying when it returns.
//     Writes from one goroutine are applied in Put order, and once a write's
//     Wait returned nil, every write applied before it is durable too (one
//     WAL, synced in order).
//   - SyncNone: Wait returns nil at once; nothing is synced. Pebble's WAL
//     writer hands writes to the OS in 32 KiB blocks from a background
//     goroutine, so a process crash loses the latest writes, and an OS crash
//     or power cut also what the OS had not written back (options.go).
//
// A write is acknowledged to a client only after Wait returned nil. Wait must
// be called exactly once per Pending (it releases the batch). SetMeta is
// always synced.
//
// # Invariants
//
//   - A corrupt record is an error (wrapping ErrCorrupt), never served as
//     data: Get returns no record; ScanPartition skips it and reports it in a
//     *ScanCorruptError after the scan. A block that fails pebble's own
//     checksum also yields ErrCorrupt (pebble's default reaction, exiting
//     the process, is replaced; Metrics.Corruptions counts them).
//   - Put stores only what Get can read back: it rejects records that fail
//     vclock validation or hold invalid UTF-8 strings.
//   - After Close begins, every call returns ErrClosed; Close waits for calls
//     in progress, so pebble is never used after it is closed.
//   - Pebble never writes to stdout or stderr: its log goes to
//     Options.Logger (Infof at Debug, Errorf at Error; discarded if nil).
//
// # Failure
//
// Some failures leave pebble unable to go on. A failed WAL write or fsync
// (reported by Pending.Wait) and pebble's Fatalf on a caller's goroutine turn
// the DB failed: that call and every later one return an error wrapping
// ErrFailed, and the node must restart, which replays the WAL. Memory may hold
// writes the WAL lacks, so even reads are refused rather than serve a value
// that a restart would take back. Open turns Fatalf and panics into errors.
// Failures in pebble's background work (a MANIFEST write during a flush) and
// a failure to create a new WAL when the memtable rotates crash the process,
// as pebble intends: what Wait acknowledged is in the WAL.
//
// On restart pebble replays the newest WAL up to its first damaged record and
// treats the rest as a torn write (it cannot tell them apart). So a bit flip
// in the live WAL silently drops the acknowledged writes after it on this
// replica; anti-entropy, not storage, restores them from peers.
//
// # Memory
//
// The block cache defaults to 256 MiB and memtables to 64 MiB. Pebble charges
// each live memtable (the active one and one kept for reuse) to the block
// cache, so a cache of 2 × MemTableBytes leaves no room for blocks at all;
// measured on this project, point reads went from ~35 k/s with a 64 MiB cache
// to ~500 k/s with 256 MiB. Open therefore rejects a cache smaller than
// 3 × MemTableBytes.
package storage
