package storage

import (
	"fmt"
	"testing"
)

// A cursor scan in small batches visits every record of the partition once,
// in order, never one of a neighbouring partition, and keys that are
// prefixes of each other (or contain 0x00) do not confuse the cursor.
func TestScanFromVisitsEachRecordOnce(t *testing.T) {
	d := openMem(t)
	want := map[string]bool{}
	for _, ns := range []string{"a", "b"} {
		for i := range 40 {
			key := fmt.Sprintf("k%d", i)
			if i%7 == 0 {
				key += "\x00tail"
			}
			mustPut(t, d, 3, ns, key, rec("n1", uint64(i+1), "v"))
			want[ns+"/"+key] = true
		}
	}
	mustPut(t, d, 2, "a", "other", rec("n1", 1, "v"))
	mustPut(t, d, 4, "a", "other", rec("n1", 1, "v"))
	for _, limit := range []int{1, 50, 300, 1 << 20} {
		seen := map[string]bool{}
		ns, key, calls := "", "", 0
		for {
			entries, more, err := d.ScanFrom(3, ns, key, limit)
			if err != nil {
				t.Fatal(err)
			}
			calls++
			for _, e := range entries {
				id := e.Namespace + "/" + e.Key
				if seen[id] || !want[id] {
					t.Fatalf("limit %d: %q seen twice or not in the partition", limit, id)
				}
				seen[id] = true
				if e.Size <= 0 || len(e.Record.Siblings) != 1 {
					t.Fatalf("limit %d: entry %q: size %d, record %+v", limit, id, e.Size, e.Record)
				}
				ns, key = e.Namespace, e.Key
			}
			if !more {
				break
			}
			if len(entries) == 0 {
				t.Fatalf("limit %d: more without entries", limit)
			}
		}
		if len(seen) != len(want) {
			t.Fatalf("limit %d: saw %d of %d records", limit, len(seen), len(want))
		}
		if limit == 1 && calls < len(want) {
			t.Fatalf("limit 1: %d calls for %d records: the limit is not applied", calls, len(want))
		}
	}
	if entries, more, err := d.ScanFrom(5, "", "", 100); err != nil || more || len(entries) != 0 {
		t.Fatalf("empty partition: %v %v %v", entries, more, err)
	}
	if _, _, err := d.ScanFrom(testQ, "", "", 100); err == nil {
		t.Fatal("a partition out of range was scanned")
	}
	if _, err := d.PartitionBytes(3); err != nil {
		t.Fatal(err)
	}
}

// DropPartition removes the partition's records and nothing around it.
func TestDropPartition(t *testing.T) {
	d := openMem(t)
	for p := 2; p <= 4; p++ {
		mustPut(t, d, p, "a", "k", rec("n1", 1, "v"))
	}
	if err := d.DropPartition(3); err != nil {
		t.Fatal(err)
	}
	if _, found := mustGet(t, d, 3, "a", "k"); found {
		t.Fatal("a record of the dropped partition is still there")
	}
	for _, p := range []int{2, 4} {
		if _, found := mustGet(t, d, p, "a", "k"); !found {
			t.Fatalf("dropping partition 3 removed a record of partition %d", p)
		}
	}
}
