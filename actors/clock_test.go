package actors

import "testing"

func TestHybridClockIsMonotonicAndFollowsObservedTime(t *testing.T) {
	var h hybridClock
	a := h.now()
	b := h.now()
	if b <= a {
		t.Fatalf("not increasing: %d then %d", a, b)
	}
	ahead := b + int64(1e12) // another node's clock, 1000 s ahead
	h.observe(ahead)
	if c := h.now(); c <= ahead {
		t.Fatalf("a write after observing %d got %d", ahead, c)
	}
	h.observe(1) // the past changes nothing
	if d := h.now(); d <= ahead {
		t.Fatal("observing an old time moved the clock back")
	}
}
