package actors

import (
	"fmt"
	"testing"
	"time"
)

func TestBoundHintsDropsOldestPastEachBound(t *testing.T) {
	now := time.Unix(1000, 0)
	var refs []hintRef
	for i := range 10 {
		refs = append(refs, hintRef{partition: i % 3, key: fmt.Sprint(i), size: 100,
			created: now.Add(-time.Duration(10-i) * time.Minute).UnixNano()})
	}
	cases := []struct {
		name  string
		b     hintBounds
		keep0 string // oldest kept key
		kept  int
	}{
		{"within bounds", hintBounds{maxCount: 100, maxBytes: 1 << 20, maxAge: time.Hour}, "0", 10},
		{"count", hintBounds{maxCount: 4, maxBytes: 1 << 20, maxAge: time.Hour}, "6", 4},
		{"bytes", hintBounds{maxCount: 100, maxBytes: 250, maxAge: time.Hour}, "8", 2},
		{"age", hintBounds{maxCount: 100, maxBytes: 1 << 20, maxAge: 5*time.Minute + time.Second}, "5", 5},
		{"all", hintBounds{maxCount: 100, maxBytes: 1 << 20, maxAge: time.Second}, "", 0},
	}
	for _, c := range cases {
		keep, drop := boundHints(refs, c.b, now)
		if len(keep) != c.kept || len(keep)+len(drop) != len(refs) {
			t.Fatalf("%s: kept %d dropped %d, want %d kept", c.name, len(keep), len(drop), c.kept)
		}
		if c.kept > 0 && keep[0].key != c.keep0 {
			t.Fatalf("%s: oldest kept %s, want %s", c.name, keep[0].key, c.keep0)
		}
		for i := 1; i < len(keep); i++ {
			if keep[i].created < keep[i-1].created {
				t.Fatalf("%s: kept hints not oldest first", c.name)
			}
		}
	}
	s := summarise(refs)
	if s.count != 10 || s.bytes != 1000 || s.oldest != refs[0].created || !bitSet(s.partitions, 2) || bitSet(s.partitions, 3) {
		t.Fatalf("summarise = %+v", s)
	}
}
