package vclock

import "testing"

// threeNodeRecord is a typical n=3 key: one sibling, three context entries.
func threeNodeRecord() Record {
	var r Record
	for i, n := range []string{"node-a", "node-b", "node-c"} {
		r = Update(r, r.Context, Sibling{Value: []byte("value"), Timestamp: int64(i)}, n, int64(i))
	}
	return r
}

func BenchmarkUpdate(b *testing.B) {
	cur := threeNodeRecord()
	ctx := cur.Context
	s := Sibling{Value: []byte("value"), ContentType: "text/plain", Timestamp: 9}
	b.ReportAllocs()
	for b.Loop() {
		_ = Update(cur, ctx, s, "node-b", 10)
	}
}

func BenchmarkSync(b *testing.B) {
	// Two replicas that share two blind writes and each took one more:
	// three siblings on each side, four after the merge.
	var base Record
	base = Update(base, nil, Sibling{Value: []byte("one")}, "node-a", 1)
	base = Update(base, nil, Sibling{Value: []byte("two")}, "node-a", 2)
	x := Update(base, nil, Sibling{Value: []byte("three")}, "node-a", 3)
	y := Update(base, nil, Sibling{Value: []byte("four")}, "node-b", 4)
	b.ReportAllocs()
	for b.Loop() {
		_ = Sync(x, y)
	}
}

func BenchmarkEncodeContext(b *testing.B) {
	v := threeNodeRecord().Context
	b.ReportAllocs()
	for b.Loop() {
		_ = EncodeContext(v)
	}
}

func BenchmarkDecodeContext(b *testing.B) {
	tok := EncodeContext(threeNodeRecord().Context)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeContext(tok); err != nil {
			b.Fatal(err)
		}
	}
}
