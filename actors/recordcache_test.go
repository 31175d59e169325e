package actors

import (
	"fmt"
	"testing"

	"github.com/quorumkv/quorumkv/vclock"
)

func rec(value string) vclock.Record {
	return vclock.Record{Siblings: []vclock.Sibling{{Dot: vclock.Dot{Node: "a", Counter: 1}, Value: []byte(value)}},
		Context: vclock.VV{{Node: "a", Counter: 1}}}
}

func TestRecordCacheKeepsLatestAndEvictsWithinBudget(t *testing.T) {
	c := newRecordCache(4096)
	c.put("k", rec("one"))
	c.put("k", rec("two"))
	if got, ok := c.get("k"); !ok || string(got.Siblings[0].Value) != "two" {
		t.Fatalf("latest write wins: %v %v", got, ok)
	}
	for i := range 200 {
		c.put(fmt.Sprintf("key-%d", i), rec("value"))
	}
	if c.bytes > c.budget {
		t.Fatalf("over budget: %d > %d", c.bytes, c.budget)
	}
	if _, ok := c.get("k"); ok {
		t.Fatal("the oldest entry must be evicted first")
	}
	if _, ok := c.get("key-199"); !ok {
		t.Fatal("the newest entry must stay")
	}
	c.put("huge", rec(string(make([]byte, 4096))))
	if _, ok := c.get("huge"); ok {
		t.Fatal("a record over a quarter of the budget is not cached")
	}
	var none *recordCache
	none.put("x", rec("y"))
	none.remove("x")
	if _, ok := none.get("x"); ok {
		t.Fatal("a nil cache holds nothing")
	}
}
