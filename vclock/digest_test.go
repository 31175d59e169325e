package vclock

import "testing"

func TestDigestNamesTheVersion(t *testing.T) {
	a := Update(Record{}, nil, Sibling{Value: []byte("v1")}, "n1", 10)
	b := Update(a, a.Context, Sibling{Value: []byte("v2")}, "n1", 20)
	c := Update(a, nil, Sibling{Value: []byte("v3")}, "n2", 30) // concurrent
	del := Update(b, b.Context, Sibling{Tombstone: true, Timestamp: 40}, "n1", 40)
	ds := map[uint64]string{}
	for name, r := range map[string]Record{"a": a, "b": b, "c": c, "del": del} {
		d := r.Digest()
		if d == 0 {
			t.Fatalf("%s: zero digest for a written record", name)
		}
		if other, dup := ds[d]; dup {
			t.Fatalf("%s and %s share a digest", name, other)
		}
		ds[d] = name
	}
	if (Record{}).Digest() != 0 {
		t.Fatal("the empty record's digest is not 0")
	}
	// Equal versions have equal digests, whichever way they were merged,
	// and entry times do not matter.
	if Sync(b, c).Digest() != Sync(c, b).Digest() {
		t.Fatal("Sync(b,c) and Sync(c,b) digests differ")
	}
	late := b
	late.Context = b.Context.Clone()
	late.Context[0].Time += 99
	if late.Digest() != b.Digest() {
		t.Fatal("an entry time changed the digest")
	}
	if ok, ts := del.TombstoneOnly(); !ok || ts != 40 {
		t.Fatalf("TombstoneOnly(del) = %v %d", ok, ts)
	}
	if ok, _ := Sync(del, c).TombstoneOnly(); ok {
		t.Fatal("a record with a live sibling counted as tombstone-only")
	}
}
