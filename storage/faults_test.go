package storage

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"github.com/quorumkv/quorumkv/vclock"
)

// injectWhen returns an errorfs injector that fails the operations pred
// selects while on is set.
func injectWhen(on *atomic.Bool, pred func(op errorfs.Op) bool) errorfs.Injector {
	return errorfs.InjectorFunc(func(op errorfs.Op) error {
		if on.Load() && pred(op) {
			return errorfs.ErrInjected
		}
		return nil
	})
}

// Every filesystem call failing: Open reports it, no panic.
func TestOpenAllIOFails(t *testing.T) {
	var on atomic.Bool
	on.Store(true)
	fs := errorfs.Wrap(vfs.NewMem(), injectWhen(&on, func(errorfs.Op) bool { return true }))
	if _, err := Open("db", memOptions(fs)); err == nil {
		t.Fatal("Open succeeded on a filesystem that fails everything")
	}
}

// Each kind of write-side failure during the creation of a new store
// (create, write, sync, rename of files pebble needs) fails Open cleanly,
// including the ones where pebble calls Fatalf (MANIFEST sync), which our
// logger turns into a panic that Open recovers.
func TestOpenWriteFailures(t *testing.T) {
	kinds := map[string]errorfs.OpKind{
		"create": errorfs.OpCreate, "write": errorfs.OpFileWrite, "sync": errorfs.OpFileSync,
		"rename": errorfs.OpRename, "lock": errorfs.OpLock, "mkdir": errorfs.OpMkdirAll,
	}
	for name, kind := range kinds {
		for _, file := range []string{"", "MANIFEST", "OPTIONS", "marker", ".log", "LOCK"} {
			t.Run(fmt.Sprintf("%s %s", name, file), func(t *testing.T) {
				var on atomic.Bool
				on.Store(true)
				fs := errorfs.Wrap(vfs.NewMem(), injectWhen(&on, func(op errorfs.Op) bool {
					return op.Kind == kind && strings.Contains(op.Path, file)
				}))
				d, err := Open("db", memOptions(fs))
				if err == nil {
					_ = d.Close() // that operation was not needed
				}
			})
		}
	}
}

// Read errors on sstables after Open: Get and ScanPartition return errors
// (not ErrCorrupt: the data may be fine), never data, never a panic.
func TestReadErrors(t *testing.T) {
	mem := vfs.NewMem()
	d, err := Open("db", memOptions(mem))
	if err != nil {
		t.Fatal(err)
	}
	// Incompressible values spread the records over many blocks, so the
	// one read below is not already in the block cache after Open.
	for i := range 100 {
		mustPut(t, d, 0, "ns", fmt.Sprint(i), rec("a", 1, strings.Repeat(rand.Text(), 40)))
	}
	if err := d.db.Flush(); err != nil {
		t.Fatal(err)
	}
	_ = d.Close()

	var on atomic.Bool
	fs := errorfs.Wrap(mem, injectWhen(&on, func(op errorfs.Op) bool {
		return strings.HasSuffix(op.Path, ".sst") && op.Kind.ReadOrWrite() == errorfs.OpIsRead
	}))
	d, err = Open("db", memOptions(fs))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	on.Store(true)
	_, found, err := d.Get(0, "ns", "99")
	if err == nil || found || errors.Is(err, ErrCorrupt) {
		t.Fatalf("Get with failing reads: found=%v err=%v; want a plain I/O error", found, err)
	}
	if err := d.ScanPartition(0, func(string, string, vclock.Record) error { return nil }); err == nil {
		t.Fatal("ScanPartition with failing reads succeeded")
	}
	on.Store(false)
	if _, found := mustGet(t, d, 0, "ns", "99"); !found {
		t.Fatal("record gone after the disk recovered")
	}
}

// A failed WAL write is reported by Wait and fails the store: pebble does not
// retry a log it could not write, and the memtable now holds writes the WAL
// lacks, which must not be served and then lost on restart.
func TestWALWriteFailureReachesWait(t *testing.T) {
	var on atomic.Bool
	fs := errorfs.Wrap(vfs.NewMem(), injectWhen(&on, func(op errorfs.Op) bool {
		return strings.HasSuffix(op.Path, ".log") && op.Kind == errorfs.OpFileWrite
	}))
	d, err := Open("db", memOptions(fs))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	mustPut(t, d, 0, "ns", "before", rec("a", 1, "v"))
	on.Store(true)
	if err := putWait(d, "k1"); !errors.Is(err, ErrFailed) {
		t.Fatalf("Put+Wait with failing WAL writes: %v, want ErrFailed", err)
	}
	on.Store(false)
	if err := putWait(d, "k2"); !errors.Is(err, ErrFailed) {
		t.Fatalf("write after the disk recovered: %v, want ErrFailed", err)
	}
	if _, _, err := d.Get(0, "ns", "before"); !errors.Is(err, ErrFailed) {
		t.Fatalf("read after a WAL failure: %v, want ErrFailed", err)
	}
}

func putWait(d *DB, key string) error {
	pend, err := d.Put(0, "ns", key, rec("a", 1, "v"))
	if err != nil {
		return err
	}
	return pend.Wait()
}

// Pebble's Fatalf on a caller's goroutine fails the store: that call and
// every later one return an error wrapping ErrFailed, and Close returns.
//
// The Fatalf is simulated: the I/O failures that reach pebble's Fatalf after
// Open are in background work (MANIFEST writes during flushes), and a failure
// to create a new WAL at memtable rotation makes pebble panic with its mutex
// released, a fatal runtime error nobody can recover. Both end the process,
// as pebble intends; see doc.go.
func TestFatalfFailsStore(t *testing.T) {
	d := openMem(t)
	err := func() (err error) {
		if err := d.acquire(); err != nil {
			return err
		}
		defer d.done(&err)
		pebbleLogger{d.log}.Fatalf("simulated: %s", "MANIFEST sync failed")
		return nil
	}()
	var fe *FatalError
	if !errors.As(err, &fe) || !errors.Is(err, ErrFailed) || !strings.Contains(fe.Msg, "MANIFEST") {
		t.Fatalf("call that hit Fatalf returned %v", err)
	}
	if _, _, err := d.Get(0, "ns", "k"); !errors.Is(err, ErrFailed) {
		t.Errorf("Get after Fatalf: %v, want ErrFailed", err)
	}
	if _, err := d.Put(0, "ns", "k", rec("a", 1, "v")); !errors.Is(err, ErrFailed) {
		t.Errorf("Put after Fatalf: %v, want ErrFailed", err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("Close after Fatalf: %v", err)
	}
}

// A WAL write failing while Open stamps a new store makes pebble call
// Fatalf in the commit path; Open returns that as an error.
func TestOpenFatalCommit(t *testing.T) {
	var on atomic.Bool
	on.Store(true)
	fs := errorfs.Wrap(vfs.NewMem(), injectWhen(&on, func(op errorfs.Op) bool {
		return strings.HasSuffix(op.Path, ".log") && op.Kind == errorfs.OpFileWrite
	}))
	if _, err := Open("db", memOptions(fs)); !errors.Is(err, ErrFailed) {
		t.Fatalf("Open with failing WAL writes: %v, want ErrFailed", err)
	}
}

// A failed WAL fsync is reported by Wait: the write is not acknowledged.
func TestWALSyncFailureReachesWait(t *testing.T) {
	var on atomic.Bool
	fs := errorfs.Wrap(vfs.NewMem(), injectWhen(&on, func(op errorfs.Op) bool {
		return strings.HasSuffix(op.Path, ".log") &&
			(op.Kind == errorfs.OpFileSync || op.Kind == errorfs.OpFileSyncData || op.Kind == errorfs.OpFileSyncTo)
	}))
	d, err := Open("db", memOptions(fs))
	if err != nil {
		t.Fatal(err)
	}
	on.Store(true)
	pend, err := d.Put(0, "ns", "k", rec("a", 1, "v"))
	if err != nil {
		t.Fatalf("Put: %v (the failure belongs to Wait)", err)
	}
	if err := pend.Wait(); !errors.Is(err, ErrFailed) {
		t.Fatalf("Wait with a failing WAL fsync: %v, want ErrFailed", err)
	}
	t.Logf("Close after sync failure: %v", d.Close())
}

// SetMeta is synced itself, so a WAL failure surfaces there and fails the
// store just the same.
func TestSetMetaWALFailure(t *testing.T) {
	var on atomic.Bool
	fs := errorfs.Wrap(vfs.NewMem(), injectWhen(&on, func(op errorfs.Op) bool {
		return strings.HasSuffix(op.Path, ".log") && op.Kind == errorfs.OpFileWrite
	}))
	d, err := Open("db", memOptions(fs))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	on.Store(true)
	if err := d.SetMeta("node/id", []byte("n1")); !errors.Is(err, ErrFailed) {
		t.Fatalf("SetMeta with failing WAL writes: %v, want ErrFailed", err)
	}
	if _, _, err := d.GetMeta("node/id"); !errors.Is(err, ErrFailed) {
		t.Fatalf("GetMeta after the WAL failed: %v, want ErrFailed", err)
	}
}
