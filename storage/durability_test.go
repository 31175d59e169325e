package storage

import (
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// Many goroutines write with SyncAlways and Wait on each; after a clean
// close and reopen on a real filesystem, everything is there.
func TestDurableAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Partitions: testQ, MemTableBytes: 1 << 20, CacheBytes: 8 << 20}
	d, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	const writers, perWriter = 32, 50
	writeConcurrently(t, d, writers, perWriter)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d, err = Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	checkAll(t, d, writers, perWriter)
}

func writeConcurrently(t *testing.T, d *DB, writers, perWriter int) {
	t.Helper()
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range perWriter {
				pend, err := d.Put(g%testQ, "ns", fmt.Sprintf("w%d-%d", g, i), rec("n", uint64(i+1), fmt.Sprint(g, i)))
				if err == nil {
					err = pend.Wait()
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// countPresent reports how many of the records writeConcurrently wrote are
// present, failing on any that is present but wrong.
func countPresent(t *testing.T, d *DB, writers, perWriter int) int {
	t.Helper()
	n := 0
	for g := range writers {
		for i := range perWriter {
			got, found := mustGet(t, d, g%testQ, "ns", fmt.Sprintf("w%d-%d", g, i))
			if !found {
				continue
			}
			n++
			if want := rec("n", uint64(i+1), fmt.Sprint(g, i)); !reflect.DeepEqual(got, want) {
				t.Fatalf("w%d-%d = %+v, want %+v", g, i, got, want)
			}
		}
	}
	return n
}

func checkAll(t *testing.T, d *DB, writers, perWriter int) {
	t.Helper()
	if n := countPresent(t, d, writers, perWriter); n != writers*perWriter {
		t.Fatalf("%d of %d acknowledged records survived", n, writers*perWriter)
	}
}

// crashAndReopen simulates a machine crash: a clone of the filesystem holding
// only what was fsynced, opened as the restarted node would.
func crashAndReopen(t *testing.T, fs *vfs.MemFS, d *DB) *DB {
	t.Helper()
	crashed := fs.CrashClone(vfs.CrashCloneCfg{}) // synced data only
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d2, err := Open("db", memOptions(crashed))
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	t.Cleanup(func() { _ = d2.Close() })
	return d2
}

// What Wait acknowledged under SyncAlways survives a crash.
func TestSyncAlwaysSurvivesCrash(t *testing.T) {
	fs := vfs.NewCrashableMem()
	d, err := Open("db", memOptions(fs))
	if err != nil {
		t.Fatal(err)
	}
	const writers, perWriter = 16, 40
	writeConcurrently(t, d, writers, perWriter)
	d = crashAndReopen(t, fs, d)
	checkAll(t, d, writers, perWriter)
}

// Under SyncNone the same writes are not fsynced, so a crash loses them:
// the test that proves the one above is not passing by accident. The layout
// stamp and SetMeta, always synced, survive.
func TestSyncNoneLosesUnsyncedWritesOnCrash(t *testing.T) {
	fs := vfs.NewCrashableMem()
	opts := memOptions(fs)
	opts.Sync = SyncNone
	d, err := Open("db", opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SetMeta("node/id", []byte("n1")); err != nil {
		t.Fatal(err)
	}
	const writers, perWriter = 4, 25
	writeConcurrently(t, d, writers, perWriter)
	d = crashAndReopen(t, fs, d)
	if n := countPresent(t, d, writers, perWriter); n == writers*perWriter {
		t.Fatalf("all %d unsynced records survived a crash; the crash simulation proves nothing", n)
	}
	if v, found, err := d.GetMeta("node/id"); err != nil || !found || string(v) != "n1" {
		t.Fatalf("synced meta after crash: %q, %v, %v", v, found, err)
	}
}

// A crash in the middle of a write storm: every write whose Wait returned
// before the crash is in the crashed image, whatever was in flight.
func TestCrashDuringWritesKeepsAcknowledged(t *testing.T) {
	fs := vfs.NewCrashableMem()
	d, err := Open("db", memOptions(fs))
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		acked []string
		stop  atomic.Bool
		wg    sync.WaitGroup
	)
	for g := range 16 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				key := fmt.Sprintf("w%d-%d", g, i)
				pend, err := d.Put(0, "ns", key, rec("n", 1, key))
				if err == nil {
					err = pend.Wait()
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked = append(acked, key)
				mu.Unlock()
			}
		})
	}
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 500 {
			break
		}
		runtime.Gosched()
	}
	mu.Lock()
	before := slices.Clone(acked) // acknowledged strictly before the crash
	mu.Unlock()
	crashed := fs.CrashClone(vfs.CrashCloneCfg{})
	stop.Store(true)
	wg.Wait()
	_ = d.Close()
	d2, err := Open("db", memOptions(crashed))
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	for _, key := range before {
		if _, found := mustGet(t, d2, 0, "ns", key); !found {
			t.Fatalf("acknowledged write %s lost in the crash (%d acknowledged)", key, len(before))
		}
	}
}
