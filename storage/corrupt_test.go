package storage

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/quorumkv/quorumkv/vclock"
)

// putRaw is the test hook that bypasses the codec: it stores raw bytes as
// the value of a record key, as a damaged disk or a buggy writer would.
func putRaw(t *testing.T, d *DB, p int, ns, key string, raw []byte) {
	t.Helper()
	if err := d.db.Set(appendRecordKey(nil, p, ns, key), raw, pebble.Sync); err != nil {
		t.Fatal(err)
	}
}

func TestCorruptRecordIsNeverServed(t *testing.T) {
	d := openMem(t)
	good := EncodeRecord(rec("a", 1, "the value"))
	damaged := map[string][]byte{
		"bit flip in body":     flip(good, len(good)-3),
		"bit flip in checksum": flip(good, 1),
		"truncated":            good[:len(good)-2],
		"empty":                {},
		"garbage":              []byte("\x00\x01garbage"),
	}
	for name, raw := range damaged {
		putRaw(t, d, 2, "ns", name, raw)
		r, found, err := d.Get(2, "ns", name)
		if !errors.Is(err, ErrCorrupt) || found || r.Siblings != nil || r.Context != nil {
			t.Errorf("%s: Get = %+v, %v, %v; want no data and ErrCorrupt", name, r, found, err)
		}
		if err != nil && !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error does not name the key: %v", name, err)
		}
	}
}

// ScanPartition skips corrupt records, delivers the good ones, and reports
// the bad keys afterwards.
func TestScanPartitionReportsCorrupt(t *testing.T) {
	d := openMem(t)
	for i := range 6 {
		mustPut(t, d, 1, "ns", fmt.Sprint(i), rec("a", 1, fmt.Sprint(i)))
	}
	putRaw(t, d, 1, "ns", "2", []byte("junk"))
	putRaw(t, d, 1, "ns", "4", flip(EncodeRecord(rec("a", 1, "4")), 6))
	// A key in the partition's range that is not a well-formed record key.
	lo, _ := partitionBounds(1)
	if err := d.db.Set(append(lo, "z-no-separator"...), EncodeRecord(rec("a", 1, "x")), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	var seen []string
	err := d.ScanPartition(1, func(ns, key string, r vclock.Record) error {
		seen = append(seen, key)
		return nil
	})
	if fmt.Sprint(seen) != "[0 1 3 5]" {
		t.Errorf("scan delivered %q, want the four good records", seen)
	}
	var ce *ScanCorruptError
	if !errors.Is(err, ErrCorrupt) || !errors.As(err, &ce) {
		t.Fatalf("scan err = %v, want *ScanCorruptError", err)
	}
	if ce.Count != 3 || ce.Partition != 1 || ce.Keys[0] != (RecordKey{"ns", "2"}) || ce.Keys[1] != (RecordKey{"ns", "4"}) ||
		!strings.Contains(ce.Keys[2].Key, "z-no-separator") {
		t.Errorf("ScanCorruptError = %+v", ce)
	}
}

// Damage inside an sstable is caught by pebble's block checksums and
// reported as ErrCorrupt too.
func TestCorruptSSTable(t *testing.T) {
	fs := vfs.NewMem()
	d, err := Open("db", memOptions(fs))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		// Random values, so that compression keeps the sstable big enough
		// to hold several data blocks.
		mustPut(t, d, 0, "ns", fmt.Sprintf("k%03d", i), rec("a", 1, rand.Text()+rand.Text()+rand.Text()))
	}
	if err := d.db.Flush(); err != nil {
		t.Fatal(err)
	}
	_ = d.Close()
	ssts := filesWithSuffix(t, fs, "db", ".sst")
	if len(ssts) == 0 {
		t.Fatal("no sstable after flush")
	}
	for _, name := range ssts {
		// Past the first 4 KiB data block, which holds the layout metadata:
		// damage there fails Open (TestOpenCorruptLayoutBlock).
		flipFileByte(t, fs, name, 9000)
	}
	d, err = Open("db", memOptions(fs))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	corrupt := 0
	for i := range 200 {
		_, found, err := d.Get(0, "ns", fmt.Sprintf("k%03d", i))
		switch {
		case errors.Is(err, ErrCorrupt) && !found:
			corrupt++
		case err != nil || !found:
			t.Fatalf("k%03d: found=%v err=%v", i, found, err)
		}
	}
	if corrupt == 0 {
		t.Fatal("no Get reported the damaged block")
	}
	if m := d.Metrics(); m.Corruptions == 0 {
		t.Error("Metrics.Corruptions = 0 after corrupt reads")
	}
	if err := d.ScanPartition(0, func(string, string, vclock.Record) error { return nil }); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("scan of damaged sstable: %v, want ErrCorrupt", err)
	}
}

func filesWithSuffix(t *testing.T, fs vfs.FS, dir, suffix string) []string {
	t.Helper()
	names, err := fs.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range names {
		if strings.HasSuffix(n, suffix) {
			out = append(out, fs.PathJoin(dir, n))
		}
	}
	return out
}

func flipFileByte(t *testing.T, fs vfs.FS, name string, off int64) {
	t.Helper()
	f, err := fs.OpenReadWrite(name, vfs.WriteCategoryUnspecified)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x5a
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// Damage in the block holding the layout stamp fails Open with ErrCorrupt,
// and does not crash (pebble's default would be Fatalf).
func TestOpenCorruptLayoutBlock(t *testing.T) {
	fs := vfs.NewMem()
	d, err := Open("db", memOptions(fs))
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, d, 0, "ns", "k", rec("a", 1, "v"))
	if err := d.db.Flush(); err != nil {
		t.Fatal(err)
	}
	_ = d.Close()
	for _, name := range filesWithSuffix(t, fs, "db", ".sst") {
		flipFileByte(t, fs, name, 20)
	}
	if _, err := Open("db", memOptions(fs)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open with a damaged layout block: %v, want ErrCorrupt", err)
	}
}

// A damaged WAL must not crash Open. Pebble replays the newest WAL only up
// to its first bad chunk and treats the rest as a torn write (it cannot tell
// the two apart), so records after the damage are silently gone on this
// replica: anti-entropy, not storage, restores them. What is served must
// still be intact.
func TestOpenDamagedWAL(t *testing.T) {
	fs := vfs.NewMem()
	d, err := Open("db", memOptions(fs))
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]string{}
	for i := range 50 {
		k, v := fmt.Sprint(i), rand.Text()
		values[k] = v
		mustPut(t, d, 0, "ns", k, rec("a", 1, v))
	}
	logs := filesWithSuffix(t, fs, "db", ".log")
	if len(logs) == 0 {
		t.Fatal("no WAL file")
	}
	for _, name := range logs {
		flipFileByte(t, fs, name, 1000)
	}
	_ = d.Close()
	d, err = Open("db", memOptions(fs))
	if err != nil {
		t.Logf("Open with a damaged WAL: %v", err)
		return
	}
	defer d.Close()
	n := 0
	err = d.ScanPartition(0, func(_, key string, r vclock.Record) error {
		n++
		if string(r.Siblings[0].Value) != values[key] {
			t.Errorf("%s: served %q, wrote %q", key, r.Siblings[0].Value, values[key])
		}
		return nil
	})
	t.Logf("Open with a damaged WAL succeeded: %d of 50 records survive, scan err %v", n, err)
}
