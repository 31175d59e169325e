package quorum

import (
	"testing"
)

var abc = Targets{Active: []string{"a", "b", "c"}, Homes: []string{"a", "b", "c"}}

func newGet(p Plan, t Targets, self string, h Hints) *Get[rec] {
	return NewGet[rec](p, t, self, h, siblings{})
}

// Dynamo §5.1: a read waits for R replies. This node is asked first when it
// is a replica, so R=1 there needs no network.
func TestGetAsksRReplicasSelfFirst(t *testing.T) {
	g := newGet(Plan{N: 3, R: 1, W: 2}, abc, "c", Hints{})
	wantSends(t, g.Start(), "read:c")
	v := write(rec{}, "c", "x")
	effs := g.Step(ok("c", Read, v))
	if a := answer(t, effs); a.Err != nil || !a.Record.Equal(v) || !isDone(effs) {
		t.Fatalf("effects %+v", effs)
	}
}

// Dynamo §4.6: when a replica fails, the read moves on to the next one.
func TestGetMovesOnWhenAReplicaFails(t *testing.T) {
	tg := Targets{Active: []string{"a", "b", "c"}, Spare: []string{"d"}, Homes: []string{"a", "b", "c"}}
	g := newGet(Plan{N: 3, R: 2, W: 2}, tg, "x", Hints{})
	wantSends(t, g.Start(), "read:a", "read:b")
	wantSends(t, g.Step(failed("b", Read)), "read:c")
	wantSends(t, g.Step(failed("c", Read)), "read:d")
	effs := g.Step(failed("d", Read))
	wantErr(t, effs, Unavailable, "read got 0 of 2 replica acknowledgements")
	if isDone(effs) {
		t.Fatal("stopped with a read in flight")
	}
	if effs := g.Step(ok("a", Read, rec{})); !isDone(effs) || hasAnswer(effs) {
		t.Fatalf("after the last reply: %+v", effs)
	}
}

// A home that others hold hints for may lack a write that sits in a hint:
// its "not found" does not count, and a holder is asked instead.
func TestGetAsksAHintHolderWhenAHintedHomeFindsNothing(t *testing.T) {
	h := Hints{Homes: map[string]bool{"b": true}, Holders: []string{"h"}}
	g := newGet(Plan{N: 3, R: 2, W: 2}, abc, "a", h)
	wantSends(t, g.Start(), "read:a", "read:b")
	v := write(rec{}, "a", "x")
	if effs := g.Step(ok("a", Read, v)); len(effs) != 0 {
		t.Fatalf("answered early: %+v", effs)
	}
	wantSends(t, g.Step(ok("b", Read, rec{})), "read:h")
	effs := g.Step(ok("h", Read, v))
	if a := answer(t, effs); a.Err != nil || !a.Record.Equal(v) {
		t.Fatalf("answer %+v", a)
	}
	// b is a home and answered stale: repaired. h is a fallback: not.
	wantSends(t, effs, "repair:b")
}

// A strict read counts homes alone, so a hinted home's "not found" counts.
func TestStrictGetIgnoresHints(t *testing.T) {
	h := Hints{Homes: map[string]bool{"b": true}, Holders: []string{"h"}}
	g := newGet(Plan{N: 3, R: 2, W: 2, Strict: true}, abc, "a", h)
	g.Start()
	g.Step(ok("b", Read, rec{}))
	if effs := g.Step(ok("a", Read, rec{})); answer(t, effs).Err != nil {
		t.Fatal(effs)
	}
}

// The write-back phase of the ABD register: a strict read that saw
// disagreeing replicas answers only once W of them hold the merged record.
func TestStrictGetWritesBackBeforeAnswering(t *testing.T) {
	old := write(rec{}, "b", "old")
	cur := write(old, "a", "new")
	g := newGet(Plan{N: 3, R: 2, W: 2, Strict: true}, abc, "a", Hints{})
	g.Start()
	g.Step(ok("a", Read, cur))
	effs := g.Step(ok("b", Read, old))
	wantSends(t, effs, "write-back:b")
	if hasAnswer(effs) || !effs[0].Record.Equal(cur) {
		t.Fatalf("effects %+v", effs)
	}
	effs = g.Step(ok("b", WriteBack, rec{}))
	if a := answer(t, effs); a.Err != nil || !a.Record.Equal(cur) || !isDone(effs) {
		t.Fatalf("effects %+v", effs)
	}
	wantSends(t, effs) // written back, so not repaired again
}

func TestStrictGetFailsWhenTheWriteBackFails(t *testing.T) {
	old := write(rec{}, "b", "old")
	cur := write(old, "a", "new")
	g := newGet(Plan{N: 3, R: 2, W: 2, Strict: true}, abc, "a", Hints{})
	g.Start()
	g.Step(ok("a", Read, cur))
	g.Step(ok("b", Read, old))
	effs := g.Step(failed("b", WriteBack))
	wantErr(t, effs, Unavailable, "read write-back got 1 of 2 replica acknowledgements")
}

// Dynamo §5.1 read repair: the stale home replicas asked get the merged
// record after the answer.
func TestGetRepairsStaleHomesAfterAnswering(t *testing.T) {
	old := write(rec{}, "b", "old")
	cur := write(old, "a", "new")
	g := newGet(Plan{N: 3, R: 3, W: 2}, abc, "a", Hints{})
	g.Start()
	g.Step(ok("a", Read, cur))
	g.Step(ok("b", Read, old))
	effs := g.Step(ok("c", Read, rec{}))
	wantSends(t, effs, "repair:b", "repair:c")
	if a := answer(t, effs); !a.Record.Equal(cur) || !isDone(effs) {
		t.Fatalf("effects %+v", effs)
	}
}

func TestGetTimesOutAndStillRepairs(t *testing.T) {
	old := write(rec{}, "b", "old")
	cur := write(old, "a", "new")
	g := newGet(Plan{N: 3, R: 3, W: 2}, abc, "a", Hints{})
	g.Start()
	g.Step(ok("a", Read, cur))
	g.Step(ok("b", Read, old))
	effs := g.Step(Deadline[rec]())
	wantErr(t, effs, Timeout, "read got 2 of 3 replica acknowledgements")
	wantSends(t, effs, "repair:b")
	if !isDone(effs) || len(g.Step(ok("c", Read, rec{}))) != 0 {
		t.Fatal("acted after Done")
	}
}

// A reply that answers no call in flight changes nothing.
func TestGetIgnoresDuplicateAndStrayReplies(t *testing.T) {
	g := newGet(Plan{N: 3, R: 2, W: 2}, abc, "a", Hints{})
	g.Start()
	g.Step(ok("a", Read, rec{}))
	for _, ev := range []Event[rec]{ok("a", Read, rec{}), ok("z", Read, rec{}), ok("b", WriteBack, rec{})} {
		if effs := g.Step(ev); len(effs) != 0 {
			t.Fatalf("%+v: %+v", ev, effs)
		}
	}
}

// A strict read of a moving partition writes what it found to the forward
// targets before it answers, even when the replies agree; a read that
// found nothing writes nothing.
func TestStrictGetWritesBackToForwards(t *testing.T) {
	tg := Targets{Active: []string{"a", "b", "c"}, Homes: []string{"a", "b", "c"}, Forward: []string{"j"}}
	v := write(rec{}, "a", "x")
	g := newGet(Plan{N: 3, R: 2, W: 2, Strict: true}, tg, "a", Hints{})
	wantSends(t, g.Start(), "read:a", "read:b")
	g.Step(ok("a", Read, v))
	effs := g.Step(ok("b", Read, v))
	wantSends(t, effs, "forward:j")
	if hasAnswer(effs) {
		t.Fatal("answered before the forward's ack")
	}
	if effs := g.Step(ok("j", Forward, rec{})); answer(t, effs).Err != nil || !isDone(effs) {
		t.Fatalf("effects %+v", effs)
	}

	g = newGet(Plan{N: 3, R: 2, W: 2, Strict: true}, tg, "a", Hints{})
	g.Start()
	g.Step(ok("a", Read, rec{}))
	if effs := g.Step(ok("b", Read, rec{})); answer(t, effs).Err != nil || !isDone(effs) {
		t.Fatalf("a read that found nothing: %+v", effs)
	}

	g = newGet(Plan{N: 3, R: 2, W: 2, Strict: true}, tg, "a", Hints{})
	g.Start()
	g.Step(ok("a", Read, v))
	g.Step(ok("b", Read, v))
	wantErr(t, g.Step(failed("j", Forward)), Unavailable, "read write-back to the partition's new owners got 0 of 1 replica acknowledgements")
}
