package storage

import (
	"errors"
	"slices"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/quorumkv/quorumkv/vclock"
)

// A hint lives apart from the records: it is not a record of its key, a
// scan of the partition's records does not see it, and ScanHints does.
func TestHintsAreApartFromRecords(t *testing.T) {
	d := openMem(t)
	h := Hint{Record: rec("n1", 1, "v"), Targets: []string{"n3"}, Created: 5}
	pend, err := d.PutHint(2, "default", "k", h)
	if err != nil || pend.Wait() != nil {
		t.Fatalf("PutHint: %v", err)
	}
	if _, found := mustGet(t, d, 2, "default", "k"); found {
		t.Fatal("a hint reads as a record")
	}
	if got := scanAll(t, d, 2); len(got) != 0 {
		t.Fatalf("record scan saw the hint: %v", got)
	}
	got, found, err := d.GetHint(2, "default", "k")
	if err != nil || !found || !got.Record.Equal(h.Record) || !slices.Equal(got.Targets, h.Targets) || got.Created != 5 {
		t.Fatalf("GetHint = %+v %v %v", got, found, err)
	}
	var seen []HintEntry
	mustScanHints(t, d, -1, &seen)
	if len(seen) != 1 || seen[0].Partition != 2 || seen[0].Key != "k" || seen[0].Size == 0 {
		t.Fatalf("ScanHints = %+v", seen)
	}
	seen = nil
	mustScanHints(t, d, 3, &seen)
	if len(seen) != 0 {
		t.Fatalf("ScanHints of partition 3 saw %+v", seen)
	}
	// No targets left: the hint is gone.
	pend, err = d.PutHint(2, "default", "k", Hint{})
	if err != nil || pend.Wait() != nil {
		t.Fatalf("PutHint(no targets): %v", err)
	}
	if _, found, _ := d.GetHint(2, "default", "k"); found {
		t.Fatal("a hint with no targets is still stored")
	}
}

func mustScanHints(t *testing.T, d *DB, p int, out *[]HintEntry) {
	t.Helper()
	if err := d.ScanHints(p, func(e HintEntry) error { *out = append(*out, e); return nil }); err != nil {
		t.Fatalf("ScanHints: %v", err)
	}
}

// An acknowledged hint survives a machine crash (SyncAlways), like a record.
func TestHintSurvivesCrash(t *testing.T) {
	fs := vfs.NewCrashableMem()
	d, err := Open("db", memOptions(fs))
	if err != nil {
		t.Fatal(err)
	}
	pend, err := d.PutHint(1, "ns", "key", Hint{Record: rec("n2", 3, "x"), Targets: []string{"a", "b"}, Created: 9})
	if err != nil || pend.Wait() != nil {
		t.Fatalf("PutHint: %v", err)
	}
	d = crashAndReopen(t, fs, d)
	defer d.Close()
	h, found, err := d.GetHint(1, "ns", "key")
	if err != nil || !found || !h.HasTarget("b") || h.HasTarget("c") {
		t.Fatalf("after crash: %+v %v %v", h, found, err)
	}
}

func TestDeleteRemovesRecord(t *testing.T) {
	d := openMem(t)
	mustPut(t, d, 0, "ns", "gone", rec("n1", 1, "v"))
	pend, err := d.Delete(0, "ns", "gone")
	if err != nil || pend.Wait() != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, found := mustGet(t, d, 0, "ns", "gone"); found {
		t.Fatal("deleted record still found")
	}
	if _, err := d.Delete(testQ, "ns", "k"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Delete out of range: %v", err)
	}
}

func TestCorruptHintIsReportedNotServed(t *testing.T) {
	if _, err := decodeHint([]byte{1, 2, 3, 4, 5}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("decodeHint(garbage) = %v", err)
	}
	b := encodeHint(Hint{Record: rec("n1", 1, "v"), Targets: []string{"t"}})
	b[len(b)-1] ^= 0xff
	if _, err := decodeHint(b); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("decodeHint(flipped) = %v", err)
	}
}

func TestScanNamespaceStaysInItsNamespace(t *testing.T) {
	d := openMem(t)
	mustPut(t, d, 1, "a", "k1", rec("n1", 1, "v"))
	mustPut(t, d, 1, "ab", "k2", rec("n1", 1, "v"))
	mustPut(t, d, 1, "a", "k3", rec("n1", 1, "v"))
	mustPut(t, d, 2, "a", "k4", rec("n1", 1, "v"))
	var keys []string
	if err := d.ScanNamespace(1, "a", func(k string, _ vclock.Record) error { keys = append(keys, k); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keys, []string{"k1", "k3"}) {
		t.Fatalf("ScanNamespace(1, a) = %v", keys)
	}
}
