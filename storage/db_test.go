package storage

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/quorumkv/quorumkv/vclock"
)

const testQ = 8

// Small memtables and cache keep the many test DBs light; the ratio rule
// still holds.
func memOptions(fs vfs.FS) Options {
	return Options{Partitions: testQ, FS: fs, MemTableBytes: 1 << 20, CacheBytes: 8 << 20}
}

func openMem(t testing.TB) *DB {
	t.Helper()
	d, err := Open("db", memOptions(vfs.NewMem()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// rec makes a one-sibling record at node n.
func rec(n string, counter uint64, value string) vclock.Record {
	return vclock.Record{
		Siblings: []vclock.Sibling{{Dot: vclock.Dot{Node: n, Counter: counter}, Value: []byte(value), Timestamp: 42}},
		Context:  vclock.VV{{Node: n, Counter: counter, Time: 7}},
	}
}

func mustPut(t testing.TB, d *DB, p int, ns, key string, r vclock.Record) {
	t.Helper()
	pend, err := d.Put(p, ns, key, r)
	if err != nil {
		t.Fatalf("Put(%d, %q, %q): %v", p, ns, key, err)
	}
	if err := pend.Wait(); err != nil {
		t.Fatalf("Wait(%d, %q, %q): %v", p, ns, key, err)
	}
}

func mustGet(t testing.TB, d *DB, p int, ns, key string) (vclock.Record, bool) {
	t.Helper()
	r, found, err := d.Get(p, ns, key)
	if err != nil {
		t.Fatalf("Get(%d, %q, %q): %v", p, ns, key, err)
	}
	return r, found
}

func TestPutGetOverwriteNotFound(t *testing.T) {
	d := openMem(t)
	if _, found := mustGet(t, d, 0, "ns", "k"); found {
		t.Fatal("found a key never written")
	}
	want := rec("a", 1, "v1")
	mustPut(t, d, 0, "ns", "k", want)
	if got, found := mustGet(t, d, 0, "ns", "k"); !found || !reflect.DeepEqual(got, want) {
		t.Fatalf("Get = %+v, %v; want %+v", got, found, want)
	}
	want = rec("a", 2, "v2")
	mustPut(t, d, 0, "ns", "k", want)
	if got, _ := mustGet(t, d, 0, "ns", "k"); !reflect.DeepEqual(got, want) {
		t.Fatalf("after overwrite Get = %+v; want %+v", got, want)
	}
}

// Put copies the record: mutating the caller's value afterwards changes
// nothing stored.
func TestPutCopiesValue(t *testing.T) {
	d := openMem(t)
	r := rec("a", 1, "original")
	pend, err := d.Put(1, "ns", "k", r)
	if err != nil {
		t.Fatal(err)
	}
	copy(r.Siblings[0].Value, "XXXXXXXX")
	if err := pend.Wait(); err != nil {
		t.Fatal(err)
	}
	if got, _ := mustGet(t, d, 1, "ns", "k"); string(got.Siblings[0].Value) != "original" {
		t.Fatalf("stored value changed with caller's buffer: %q", got.Siblings[0].Value)
	}
}

func TestIsolation(t *testing.T) {
	d := openMem(t)
	type loc struct {
		p       int
		ns, key string
	}
	// Pairs that would collide under a sloppy encoding: namespace/key
	// boundaries moved, 0x00 inside keys, neighbouring partitions.
	locs := []loc{
		{0, "a", "bc"}, {0, "ab", "c"}, {0, "", "abc"}, {0, "abc", ""},
		{0, "a", "\x00bc"}, {0, "a", "b\x00c"}, {0, "a", "\xff\xfe\x00"},
		{1, "a", "bc"}, {testQ - 1, "a", "bc"}, {2, "ns", "k"}, {3, "ns", "k"},
	}
	for i, l := range locs {
		mustPut(t, d, l.p, l.ns, l.key, rec("n", uint64(i+1), fmt.Sprint(i)))
	}
	for i, l := range locs {
		got, found := mustGet(t, d, l.p, l.ns, l.key)
		if !found || string(got.Siblings[0].Value) != fmt.Sprint(i) {
			t.Errorf("%+v: Get = %+v, %v; want value %d", l, got, found, i)
		}
	}
	if _, found := mustGet(t, d, 4, "ns", "k"); found {
		t.Error("partition 4 sees partition 3's key")
	}
	if _, found := mustGet(t, d, 2, "other", "k"); found {
		t.Error("namespace other sees namespace ns's key")
	}
}

func TestInvalidArguments(t *testing.T) {
	d := openMem(t)
	r := rec("a", 1, "v")
	for _, p := range []int{-1, testQ, testQ + 1} {
		if _, err := d.Put(p, "ns", "k", r); !errors.Is(err, ErrInvalid) {
			t.Errorf("Put partition %d: err = %v, want ErrInvalid", p, err)
		}
		if _, _, err := d.Get(p, "ns", "k"); !errors.Is(err, ErrInvalid) {
			t.Errorf("Get partition %d: err = %v, want ErrInvalid", p, err)
		}
		if err := d.ScanPartition(p, nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("ScanPartition %d: err = %v, want ErrInvalid", p, err)
		}
	}
	if _, err := d.Put(0, "n\x00s", "k", r); !errors.Is(err, ErrInvalid) {
		t.Errorf("Put namespace with 0x00: err = %v", err)
	}
	if _, _, err := d.Get(0, "n\x00s", "k"); !errors.Is(err, ErrInvalid) {
		t.Errorf("Get namespace with 0x00: err = %v", err)
	}
	uncovered := vclock.Record{Siblings: r.Siblings}
	if _, err := d.Put(0, "ns", "k", uncovered); !errors.Is(err, ErrInvalid) || !errors.Is(err, vclock.ErrInvalid) {
		t.Errorf("Put invalid record: err = %v", err)
	}
	badUTF8 := rec("\xff", 1, "v")
	if _, err := d.Put(0, "ns", "k", badUTF8); !errors.Is(err, ErrInvalid) {
		t.Errorf("Put invalid UTF-8: err = %v", err)
	}
	if _, found := mustGet(t, d, 0, "ns", "k"); found {
		t.Error("a rejected Put wrote something")
	}
}

type scanned struct {
	ns, key string
	value   string
}

func scanAll(t *testing.T, d *DB, p int) []scanned {
	t.Helper()
	var out []scanned
	err := d.ScanPartition(p, func(ns, key string, r vclock.Record) error {
		out = append(out, scanned{ns, key, string(r.Siblings[0].Value)})
		return nil
	})
	if err != nil {
		t.Fatalf("ScanPartition(%d): %v", p, err)
	}
	return out
}

func TestScanPartitionOrderAndBounds(t *testing.T) {
	d := openMem(t)
	var want []scanned
	for _, ns := range []string{"b", "a", "ab", ""} {
		for _, key := range []string{"z", "a", "\x00", "a\x00", "\xff"} {
			mustPut(t, d, 3, ns, key, rec("n", 1, ns+"/"+key))
			want = append(want, scanned{ns, key, ns + "/" + key})
		}
	}
	// Neighbours on both sides, including the first and last keys they can
	// hold, must not bleed in.
	mustPut(t, d, 2, "\xff\xff", "\xff\xff", rec("n", 1, "p2"))
	mustPut(t, d, 4, "", "", rec("n", 1, "p4"))
	slices.SortFunc(want, func(x, y scanned) int {
		if x.ns != y.ns {
			return cmpStr(x.ns, y.ns)
		}
		return cmpStr(x.key, y.key)
	})
	if got := scanAll(t, d, 3); !reflect.DeepEqual(got, want) {
		t.Fatalf("scan p3:\n got %q\nwant %q", got, want)
	}
	if got := scanAll(t, d, 2); len(got) != 1 || got[0].value != "p2" {
		t.Fatalf("scan p2 = %q", got)
	}
	if got := scanAll(t, d, 5); len(got) != 0 {
		t.Fatalf("scan of empty p5 = %q", got)
	}
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestScanPartitionStopsOnCallbackError(t *testing.T) {
	d := openMem(t)
	for i := range 5 {
		mustPut(t, d, 0, "ns", fmt.Sprint(i), rec("n", 1, "v"))
	}
	stop := errors.New("stop")
	calls := 0
	err := d.ScanPartition(0, func(string, string, vclock.Record) error {
		calls++
		if calls == 2 {
			return stop
		}
		return nil
	})
	if err != stop || calls != 2 {
		t.Fatalf("err = %v after %d calls; want stop after 2", err, calls)
	}
}

// A scan callback may write (handoff rewrites, anti-entropy repairs) without
// deadlocking, and sees the snapshot taken at the start.
func TestScanPartitionCallbackWrites(t *testing.T) {
	d := openMem(t)
	for i := range 10 {
		mustPut(t, d, 0, "ns", fmt.Sprint(i), rec("n", 1, "v"))
	}
	n := 0
	err := d.ScanPartition(0, func(ns, key string, r vclock.Record) error {
		n++
		mustPut(t, d, 0, ns, key+"-copy", r)
		_, _, err := d.Get(0, ns, key)
		return err
	})
	if err != nil || n != 10 {
		t.Fatalf("scan: %v after %d records; want 10", err, n)
	}
	if got := len(scanAll(t, d, 0)); got != 20 {
		t.Fatalf("%d records after the scan, want 20", got)
	}
}

func TestMeta(t *testing.T) {
	d := openMem(t)
	if _, found, err := d.GetMeta("node/id"); err != nil || found {
		t.Fatalf("GetMeta of unset name: found=%v err=%v", found, err)
	}
	for _, kv := range [][2]string{{"node/id", "n1"}, {"ns/b", "B"}, {"ns/a", "A"}, {"ns/a/x", "AX"}, {"nt", "T"}, {"empty", ""}} {
		if err := d.SetMeta(kv[0], []byte(kv[1])); err != nil {
			t.Fatal(err)
		}
	}
	if v, found, err := d.GetMeta("node/id"); err != nil || !found || string(v) != "n1" {
		t.Fatalf("GetMeta = %q, %v, %v", v, found, err)
	}
	if v, found, _ := d.GetMeta("empty"); !found || v == nil || len(v) != 0 {
		t.Fatalf("GetMeta(empty) = %q, %v", v, found)
	}
	var names []string
	err := d.ScanMeta("ns/", func(name string, value []byte) error {
		names = append(names, name+"="+string(value))
		return nil
	})
	if want := []string{"ns/a=A", "ns/a/x=AX", "ns/b=B"}; err != nil || !reflect.DeepEqual(names, want) {
		t.Fatalf("ScanMeta(ns/) = %q, %v; want %q", names, err, want)
	}
	for _, name := range []string{"", "storage.partitions", "storage.anything"} {
		if err := d.SetMeta(name, []byte("x")); !errors.Is(err, ErrInvalid) {
			t.Errorf("SetMeta(%q): err = %v, want ErrInvalid", name, err)
		}
	}
	if v, _, _ := d.GetMeta(metaPartitions); string(v) != fmt.Sprint(testQ) {
		t.Errorf("layout stamp partitions = %q", v)
	}
}

func TestClosed(t *testing.T) {
	d := openMem(t)
	pend, err := d.Put(0, "ns", "k", rec("a", 1, "v"))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := pend.Wait(); err != nil { // Wait after Close is allowed
		t.Fatalf("Wait after Close: %v", err)
	}
	if _, err := d.Put(0, "ns", "k", rec("a", 1, "v")); !errors.Is(err, ErrClosed) {
		t.Errorf("Put after Close: %v", err)
	}
	if _, _, err := d.Get(0, "ns", "k"); !errors.Is(err, ErrClosed) {
		t.Errorf("Get after Close: %v", err)
	}
	if err := d.ScanPartition(0, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("ScanPartition after Close: %v", err)
	}
	if _, _, err := d.GetMeta("x"); !errors.Is(err, ErrClosed) {
		t.Errorf("GetMeta after Close: %v", err)
	}
	if err := d.SetMeta("x", nil); !errors.Is(err, ErrClosed) {
		t.Errorf("SetMeta after Close: %v", err)
	}
	if err := d.ScanMeta("", nil); !errors.Is(err, ErrClosed) {
		t.Errorf("ScanMeta after Close: %v", err)
	}
	if m := d.Metrics(); m != (Metrics{}) {
		t.Errorf("Metrics after Close = %+v", m)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// Close racing with callers: no pebble panic, every call either works or
// returns ErrClosed.
func TestCloseWhileBusy(t *testing.T) {
	d, err := Open("db", memOptions(vfs.NewMem()))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				pend, err := d.Put(g%testQ, "ns", fmt.Sprint(i), rec("a", 1, "v"))
				if err == nil {
					err = pend.Wait()
				}
				if err == nil {
					err = d.ScanPartition(g%testQ, func(string, string, vclock.Record) error { return nil })
				}
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
}

func TestMetrics(t *testing.T) {
	d := openMem(t)
	for i := range 100 {
		mustPut(t, d, 0, "ns", fmt.Sprint(i), rec("a", 1, "value"))
	}
	m := d.Metrics()
	if m.WALBytesWritten == 0 || m.WALBytesIn == 0 || m.MemTableBytes == 0 {
		t.Fatalf("metrics after 100 writes: %+v", m)
	}
}

func TestParseSyncMode(t *testing.T) {
	for s, want := range map[string]SyncMode{"always": SyncAlways, "none": SyncNone} {
		got, err := ParseSyncMode(s)
		if err != nil || got != want || got.String() != s {
			t.Errorf("ParseSyncMode(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseSyncMode("sometimes"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseSyncMode(sometimes): %v", err)
	}
}

// Put returns once the write is applied: Get sees it before Wait, which is
// what lets a partition actor apply writes in order and reply later.
func TestPutVisibleBeforeWait(t *testing.T) {
	d := openMem(t)
	var pends []Pending
	for i := range 10 {
		p, err := d.Put(0, "ns", "k", rec("a", uint64(i+1), fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		pends = append(pends, p)
		if got, found := mustGet(t, d, 0, "ns", "k"); !found || string(got.Siblings[0].Value) != fmt.Sprint(i) {
			t.Fatalf("before Wait: Get = %+v, %v; want value %d", got, found, i)
		}
	}
	for _, p := range pends {
		if err := p.Wait(); err != nil {
			t.Fatal(err)
		}
	}
}
