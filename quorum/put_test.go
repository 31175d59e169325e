package quorum

import (
	"testing"
)

func newPut(p Plan, t Targets, self string) *Put[rec] { return NewPut[rec](p, t, self) }

// Dynamo §4.5: one replica applies the write, the others get its record,
// and the put answers after W acks; it stops once every call is back.
func TestPutCoordinatesSelfFirstThenReplicates(t *testing.T) {
	u := newPut(Plan{N: 3, R: 2, W: 2}, abc, "b")
	wantSends(t, u.Start(), "coordinate:b")
	v := write(rec{}, "b", "x")
	ev := ok("b", Coordinate, v)
	ev.Actor = "b"
	effs := u.Step(ev)
	wantSends(t, effs, "replicate:a", "replicate:c")
	if !effs[0].Record.Equal(v) || hasAnswer(effs) {
		t.Fatalf("effects %+v", effs)
	}
	effs = u.Step(ok("c", Replicate, rec{}))
	if a := answer(t, effs); a.Err != nil || a.Actor != "b" || !a.Record.Equal(v) || isDone(effs) {
		t.Fatalf("effects %+v", effs)
	}
	if effs := u.Step(failed("a", Replicate)); !isDone(effs) || hasAnswer(effs) {
		t.Fatalf("effects %+v", effs)
	}
}

// A put whose coordinating replica fails is handed to the next one.
func TestPutMovesToTheNextCoordinator(t *testing.T) {
	tg := Targets{Active: []string{"a", "b"}, Spare: []string{"c"}, Homes: []string{"a", "b"}}
	u := newPut(Plan{N: 2, R: 1, W: 1}, tg, "x")
	wantSends(t, u.Start(), "coordinate:a")
	wantSends(t, u.Step(failed("a", Coordinate)), "coordinate:b")
	wantSends(t, u.Step(failed("b", Coordinate)), "coordinate:c>a")
	effs := u.Step(failed("c", Coordinate))
	wantErr(t, effs, Unavailable, "write got 0 of 1 replica acknowledgements")
	if !isDone(effs) {
		t.Fatal("not done")
	}
}

// Dynamo §4.6: a fallback taken for a down home carries a hint naming it,
// and the next fallback takes over the hint when one fails.
func TestPutFallbacksStandInForDownHomes(t *testing.T) {
	// b is down: d is active in its place, e and b are spares.
	tg := Targets{Active: []string{"a", "c", "d"}, Spare: []string{"e", "b"}, Homes: []string{"a", "b", "c"}}
	u := newPut(Plan{N: 3, R: 2, W: 3}, tg, "a")
	u.Start()
	v := write(rec{}, "a", "x")
	wantSends(t, u.Step(ok("a", Coordinate, v)), "replicate:c", "replicate:d>b")
	wantSends(t, u.Step(failed("d", Replicate)), "replicate:e>b")
	effs := u.Step(failed("c", Replicate))
	wantSends(t, effs, "replicate:b")
	if hasAnswer(effs) {
		t.Fatal("answered with W still reachable")
	}
	u.Step(ok("e", Replicate, rec{}))
	if a := answer(t, u.Step(ok("b", Replicate, rec{}))); a.Err != nil {
		t.Fatal(a.Err)
	}
}

// Once W can no longer be reached the put answers at once; it still stops
// only when every call is back.
func TestPutAnswersAsSoonAsWIsOutOfReach(t *testing.T) {
	u := newPut(Plan{N: 3, R: 2, W: 3, Strict: true}, abc, "a")
	u.Start()
	u.Step(ok("a", Coordinate, write(rec{}, "a", "x")))
	effs := u.Step(failed("b", Replicate))
	wantErr(t, effs, Unavailable, "write got 1 of 3 replica acknowledgements")
	if isDone(effs) {
		t.Fatal("stopped with c in flight")
	}
	if !isDone(u.Step(ok("c", Replicate, rec{}))) {
		t.Fatal("not done")
	}
}

func TestPutTimesOut(t *testing.T) {
	u := newPut(Plan{N: 3, R: 2, W: 2}, abc, "a")
	u.Start()
	u.Step(ok("a", Coordinate, write(rec{}, "a", "x")))
	effs := u.Step(Deadline[rec]())
	wantErr(t, effs, Timeout, "write got 1 of 2 replica acknowledgements")
	if !isDone(effs) || len(u.Step(ok("b", Replicate, rec{}))) != 0 {
		t.Fatal("acted after Done")
	}
}

func TestPutWithNoTargetIsUnavailable(t *testing.T) {
	u := newPut(Plan{N: 3, R: 2, W: 2}, Targets{Homes: []string{"a", "b", "c"}}, "a")
	effs := u.Start()
	wantErr(t, effs, Unavailable, "write got 0 of 2 replica acknowledgements")
	if !isDone(effs) {
		t.Fatal("not done")
	}
}

// While a partition moves, the coordinated record also goes to the nodes
// named in Forward; they are never waited for and never count toward W.
func TestPutForwardsWithoutCounting(t *testing.T) {
	tg := Targets{Active: []string{"a", "b"}, Homes: []string{"a", "b"}, Forward: []string{"j"}}
	u := newPut(Plan{N: 2, R: 1, W: 2}, tg, "a")
	u.Start()
	v := write(rec{}, "a", "x")
	effs := u.Step(ok("a", Coordinate, v))
	wantSends(t, effs, "replicate:b", "forward:j")
	if hasAnswer(effs) {
		t.Fatal("answered before W acks")
	}
	if effs := u.Step(ok("j", Forward, rec{})); len(effs) != 0 {
		t.Fatalf("a reply to a forward was taken: %+v", effs)
	}
	effs = u.Step(ok("b", Replicate, rec{}))
	if a := answer(t, effs); a.Err != nil || !isDone(effs) {
		t.Fatalf("effects %+v: want success and done without waiting for j", effs)
	}
}

// A strict put of a moving partition needs, besides W, the ack of every
// forward target (Cassandra's pending endpoints), so that W replicas hold
// it on either side of the move; a forward that fails fails the put.
func TestStrictPutWaitsForForwards(t *testing.T) {
	tg := Targets{Active: []string{"a", "b"}, Homes: []string{"a", "b"}, Forward: []string{"j"}}
	u := newPut(Plan{N: 2, R: 1, W: 2, Strict: true}, tg, "a")
	u.Start()
	v := write(rec{}, "a", "x")
	wantSends(t, u.Step(ok("a", Coordinate, v)), "replicate:b", "forward:j")
	if effs := u.Step(ok("b", Replicate, rec{})); hasAnswer(effs) {
		t.Fatalf("answered before the forward's ack: %+v", effs)
	}
	if effs := u.Step(ok("j", Forward, rec{})); answer(t, effs).Err != nil || !isDone(effs) {
		t.Fatalf("effects %+v", effs)
	}

	u = newPut(Plan{N: 2, R: 1, W: 2, Strict: true}, tg, "a")
	u.Start()
	u.Step(ok("a", Coordinate, v))
	u.Step(ok("b", Replicate, rec{}))
	wantErr(t, u.Step(failed("j", Forward)), Unavailable, "write to the partition's new owners got 0 of 1 replica acknowledgements")
}
