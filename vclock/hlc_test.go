package vclock

import "testing"

// fakeWall is a wall clock the test sets.
type fakeWall struct{ t int64 }

func (f *fakeWall) read() int64 { return f.t }

func TestHLCFollowsTheWallClock(t *testing.T) {
	w := &fakeWall{t: 1000}
	h := NewHLC(w.read)
	if got := h.Now(); got != 1000 {
		t.Fatalf("first reading %d, want the wall time 1000", got)
	}
	w.t = 5000
	if got := h.Now(); got != 5000 {
		t.Fatalf("after the wall moved on: %d, want 5000", got)
	}
}

func TestHLCNeverRepeatsOrGoesBack(t *testing.T) {
	w := &fakeWall{t: 1000}
	h := NewHLC(w.read)
	a, b := h.Now(), h.Now() // the wall did not move
	if b <= a {
		t.Fatalf("not increasing: %d then %d", a, b)
	}
	w.t = 10 // the wall steps back
	if c := h.Now(); c <= b {
		t.Fatalf("went back with the wall: %d after %d", c, b)
	}
}

func TestHLCMovesPastObservedTime(t *testing.T) {
	w := &fakeWall{t: 1000}
	h := NewHLC(w.read)
	ahead := int64(1e12) // another node's clock, far ahead
	h.Observe(ahead)
	if c := h.Now(); c <= ahead {
		t.Fatalf("a write after observing %d got %d", ahead, c)
	}
	h.Observe(1) // the past changes nothing
	if d := h.Now(); d <= ahead+1 {
		t.Fatalf("observing an old time moved the clock back: %d", d)
	}
}
