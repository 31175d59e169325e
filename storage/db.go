package storage

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
)

// DB is one node's store: a single pebble database holding every local
// partition's records and hints plus node metadata. Its methods are safe for
// concurrent use. Ordering between writes to one key is the caller's
// business (the partition actor is the only writer of its keyspace).
type DB struct {
	db         *pebble.DB
	partitions int
	placement  int
	sync       SyncMode
	log        *slog.Logger

	// inflight counts method calls inside pebble. Close sets closed, then
	// waits for inflight to reach zero before closing pebble: pebble panics
	// on any use after Close, and a leaked iterator makes its Close panic.
	// An atomic counter rather than an RWMutex, so that a scan callback
	// (ScanPartition, ScanHints, ...) may call Get or Put without risking a
	// recursive read lock.
	inflight atomic.Int64
	closed   atomic.Bool

	// corruptions counts on-disk corruption pebble detected (Metrics).
	corruptions atomic.Int64
	// failed holds the first fatal error: a pebble Fatalf (see done) or a
	// failed WAL write or sync (Pending.Wait, SetMeta). Once set, every call
	// returns it: after a fatal commit error pebble's commit pipeline is
	// broken and later writes would hang, and after a WAL failure memory
	// holds writes the WAL lacks (doc.go, "Failure").
	failed atomic.Pointer[FatalError]

	// drainMu guards nothing but the drained condition used by Close.
	drainMu sync.Mutex
	drained *sync.Cond

	closeOnce sync.Once
	closeErr  error
}

// Open opens or creates the store in dir. A new dir gets layout metadata
// (format version, Q); an existing one must match it (ErrLayoutMismatch,
// ErrUnsupportedFormat). Open refuses a non-empty dir that holds no pebble
// database, and reports an unreadable one as an error, never a panic.
func Open(dir string, opts Options) (*DB, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := checkDir(opts.FS, dir); err != nil {
		return nil, err
	}
	d := &DB{partitions: opts.Partitions, placement: opts.Placement, sync: opts.Sync, log: opts.Logger}
	d.drained = sync.NewCond(&d.drainMu)
	d.db, err = openPebble(dir, opts, d.onCorruption)
	if err != nil {
		return nil, err
	}
	if err := d.checkLayout(dir); err != nil {
		_ = d.Close()
		return nil, err
	}
	return d, nil
}

// openPebble opens pebble with our settings, turning a panic (from pebble or
// from our Fatalf) into an error: a bad data dir must not crash the caller.
func openPebble(dir string, opts Options, onCorruption func(pebble.DataCorruptionInfo)) (db *pebble.DB, err error) {
	cache := pebble.NewCache(opts.CacheBytes)
	defer cache.Unref() // the DB holds its own reference
	po := pebbleOptions(opts, cache)
	po.EventListener = &pebble.EventListener{DataCorruption: onCorruption}
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("storage: open %s: pebble panicked: %v", dir, r)
		}
	}()
	db, err = pebble.Open(dir, po)
	if errors.Is(err, syscall.EAGAIN) {
		return nil, fmt.Errorf("storage: open %s: the data dir is in use by another process (its LOCK file is held): %w", dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", dir, err)
	}
	return db, nil
}

func pebbleOptions(opts Options, cache *pebble.Cache) *pebble.Options {
	po := &pebble.Options{
		FS:           opts.FS,
		Cache:        cache,
		MemTableSize: opts.MemTableBytes,
		// Pebble's default for a new DB is the oldest supported format;
		// newest enables every on-disk improvement of this version.
		FormatMajorVersion: pebble.FormatNewest,
		Logger:             pebbleLogger{l: opts.Logger},
		// One compaction at a time (pebble's default) falls behind under
		// sustained writes and L0 grows until writes stall; allow a few.
		CompactionConcurrencyRange: func() (int, int) {
			return 1, min(4, max(1, runtime.GOMAXPROCS(0)/2))
		},
	}
	for i := range po.Levels {
		// Point reads (every Get) skip sstables without the key: ~1% false
		// positives at 10 bits per key.
		po.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	return po
}

// onCorruption replaces pebble's default reaction to a bad block checksum,
// which is Logger.Fatalf: a process exit with pebble's logger, and with ours
// a panic that would fail the whole store (see done). Here the read that
// found it fails with an error wrapping ErrCorrupt, and the node keeps
// serving its other data while anti-entropy repairs the damaged range from
// peers. Called synchronously on read paths, so it only logs and counts.
func (d *DB) onCorruption(info pebble.DataCorruptionInfo) {
	d.corruptions.Add(1)
	d.log.Error("storage: on-disk corruption", "path", info.Path, "details", info.Details)
}

// Partitions returns Q, the partition count the store was opened with.
func (d *DB) Partitions() int { return d.partitions }

// Placement returns the number of the key-to-partition rule the data dir
// was made with (see Options.Placement).
func (d *DB) Placement() int { return d.placement }

// Close waits for calls in progress, then closes pebble. Pending.Wait may
// still be called afterwards. A scan callback must not call Close (it would
// wait for itself). Calls after Close return ErrClosed, or the store's fatal
// error if it had failed.
func (d *DB) Close() error {
	d.closeOnce.Do(func() {
		d.closed.Store(true)
		d.drainMu.Lock()
		for d.inflight.Load() != 0 {
			d.drained.Wait()
		}
		d.drainMu.Unlock()
		d.closeErr = d.closePebble()
	})
	return d.closeErr
}

// closePebble closes pebble, turning a panic into an error: after a fatal
// error pebble's state may fail its own close-time checks.
func (d *DB) closePebble() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("storage: close: pebble panicked: %v", r)
		}
	}()
	if err := d.db.Close(); err != nil {
		return fmt.Errorf("storage: close: %w", err)
	}
	return nil
}

// acquire registers a call that will use pebble; it fails once Close began
// or pebble failed. Every successful acquire is paired with a deferred done.
func (d *DB) acquire() error {
	if fe := d.failed.Load(); fe != nil {
		return fe
	}
	d.inflight.Add(1)
	if d.closed.Load() {
		d.release()
		return ErrClosed
	}
	return nil
}

// done ends a call begun with acquire; it must be deferred directly. It also
// catches the panic our logger raises for pebble's Fatalf on this goroutine
// (a failed WAL write, say): the call returns the FatalError, and so does
// every later call. Other panics pass through.
func (d *DB) done(errp *error) {
	d.release()
	r := recover()
	if r == nil {
		return
	}
	fe, ok := r.(*FatalError)
	if !ok {
		panic(r)
	}
	d.fail(fe)
	*errp = fe
}

// fail records the store's first fatal error; see the failed field.
func (d *DB) fail(fe *FatalError) {
	if d.failed.CompareAndSwap(nil, fe) {
		d.log.Error("storage: store failed; refusing further calls until restart", "err", fe)
	}
}

func (d *DB) release() {
	if d.inflight.Add(-1) == 0 && d.closed.Load() {
		d.drainMu.Lock()
		d.drained.Broadcast()
		d.drainMu.Unlock()
	}
}
