package storage

import "testing"

func TestStatsCountsPartitionsWithRecords(t *testing.T) {
	d := openMem(t)
	if st, err := d.Stats(); err != nil || st.PartitionsHeld != 0 {
		t.Fatalf("empty store: %+v %v", st, err)
	}
	mustPut(t, d, 0, "default", "a", rec("n1", 1, "x"))
	mustPut(t, d, 3, "default", "b", rec("n1", 1, "x"))
	mustPut(t, d, 3, "carts", "c", rec("n1", 1, "x"))
	mustPut(t, d, testQ-1, "default", "d", rec("n1", 1, "x"))
	// A hint alone does not make its partition held.
	pend, err := d.PutHint(5, "default", "h", Hint{Record: rec("n1", 1, "x"), Targets: []string{"n2"}})
	if err != nil || pend.Wait() != nil {
		t.Fatalf("PutHint: %v", err)
	}
	st, err := d.Stats()
	if err != nil || st.PartitionsHeld != 3 {
		t.Fatalf("records in partitions 0, 3 and %d: %+v %v", testQ-1, st, err)
	}
	if err := d.DropPartition(3); err != nil {
		t.Fatal(err)
	}
	if st, err = d.Stats(); err != nil || st.PartitionsHeld != 2 {
		t.Fatalf("after dropping partition 3: %+v %v", st, err)
	}
}

func TestStatsDiskBytesIsPebbles(t *testing.T) {
	d := openMem(t)
	mustPut(t, d, 1, "default", "k", rec("n1", 1, "some value"))
	st, err := d.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if want := d.Metrics().DiskUsageBytes; st.DiskBytes == 0 || st.DiskBytes != want {
		t.Fatalf("disk bytes %d, pebble says %d", st.DiskBytes, want)
	}
}

func TestStatsAfterClose(t *testing.T) {
	d := openMem(t)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Stats(); err == nil {
		t.Fatal("Stats after Close: want an error")
	}
}
