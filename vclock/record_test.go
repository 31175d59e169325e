package vclock

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// play runs a scenario script over replicas named by single letters (the
// replica name is also its node name). One command per line:
//
//	put R VAL [CTX]   client write of VAL at R with saved context CTX (blind if absent)
//	del R [CTX]       the same with a tombstone
//	read R CTX        save R's context as CTX (what a client read returns)
//	sync R S          anti-entropy: both become Sync(R, S)
//	push R S          replication: S becomes Sync(S, R)
//	want R SIBS       R's siblings, e.g. "A:1=x,B:2=DEL", or "-" for none
//	ctx R VEC         R's context counters, e.g. "A:2,B:1", or "-"
//	live R VALS       values of R.Live(), e.g. "x,y", or "-"
//	deleted R BOOL    R.IsDeleted()
//	converged R       every replica holds the same record as R
func play(t *testing.T, script string) {
	t.Helper()
	reps := map[string]Record{}
	saved := map[string]VV{}
	for n, line := range strings.Split(strings.TrimSpace(script), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		at := func(i int) string {
			if i < len(f) {
				return f[i]
			}
			return ""
		}
		where := "line " + strconv.Itoa(n+1) + " (" + strings.TrimSpace(line) + ")"
		r := reps[at(1)]
		if got, ok := observe(f[0], r); ok {
			if got != at(2) {
				t.Fatalf("%s: got %s", where, got)
			}
			continue
		}
		switch f[0] {
		case "put", "del":
			s := Sibling{Value: []byte(at(2)), Tombstone: f[0] == "del", Timestamp: int64(n)}
			ctx := saved[at(3)]
			if f[0] == "del" {
				s.Value, ctx = nil, saved[at(2)]
			}
			reps[at(1)] = Update(r, ctx, s, at(1), int64(n))
		case "read":
			saved[at(2)] = r.Context
		case "sync":
			m := Sync(r, reps[at(2)])
			reps[at(1)], reps[at(2)] = m, m
		case "push":
			reps[at(2)] = Sync(reps[at(2)], r)
		case "converged":
			for name, o := range reps {
				if !identical(o, r) {
					t.Fatalf("%s: %s = %s, %s = %s", where, name, show(o), at(1), show(r))
				}
			}
		default:
			t.Fatalf("%s: unknown command", where)
		}
		for name, o := range reps {
			if err := o.Validate(); err != nil {
				t.Fatalf("%s: replica %s invalid: %v", where, name, err)
			}
		}
	}
}

// observe returns what a checking command of play sees in r.
func observe(cmd string, r Record) (string, bool) {
	switch cmd {
	case "want":
		return sibsString(r), true
	case "ctx":
		return ctxString(r.Context), true
	case "live":
		return liveString(r), true
	case "deleted":
		return strconv.FormatBool(r.IsDeleted()), true
	}
	return "", false
}

func sibsString(r Record) string {
	var parts []string
	for _, s := range r.Siblings {
		v := string(s.Value)
		if s.Tombstone {
			v = "DEL"
		}
		parts = append(parts, s.Dot.String()+"="+v)
	}
	return orDash(parts)
}

func ctxString(v VV) string {
	var parts []string
	for _, e := range v {
		parts = append(parts, e.Node+":"+strconv.FormatUint(e.Counter, 10))
	}
	return orDash(parts)
}

func liveString(r Record) string {
	var parts []string
	for _, s := range r.Live() {
		parts = append(parts, string(s.Value))
	}
	return orDash(parts)
}

func orDash(parts []string) string {
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ",")
}

// Scenarios from the Dynamo paper (§4.4, Figure 3) and the DVV papers.
func TestScenarios(t *testing.T) {
	for _, tc := range []struct{ name, script string }{
		{"blind writes from three clients through one node give three siblings", `
			put A x
			put A y
			put A z
			want A A:1=x,A:2=y,A:3=z
			ctx A A:3`},
		{"a write with a read's context replaces exactly what that read saw", `
			put A x
			put A y
			read A r
			put A z
			put A w r
			want A A:3=z,A:4=w
			ctx A A:4`},
		{"two writes with the same stale context give two siblings, not more", `
			put A v
			read A r
			put A a r
			put A b r
			want A A:2=a,A:3=b
			read A r2
			put A m r2
			want A A:4=m`},
		{"Dynamo figure 3: D1..D5 across Sx, Sy, Sz", `
			put X D1
			read X r1
			put X D2 r1
			want X X:2=D2
			ctx X X:2
			push X Y
			push X Z
			read Y r2
			put Y D3 r2
			read Z r3
			put Z D4 r3
			want Y Y:1=D3
			ctx Y X:2,Y:1
			want Z Z:1=D4
			ctx Z X:2,Z:1
			sync Y Z
			want Y Y:1=D3,Z:1=D4
			ctx Y X:2,Y:1,Z:1
			read Y r4
			put X D5 r4
			want X X:3=D5
			ctx X X:3,Y:1,Z:1
			sync X Y
			sync Y Z
			want Z X:3=D5
			converged X`},
		{"a client's context ahead of the coordinating replica", `
			put A x
			read A r
			put B y r
			want B B:1=y
			ctx B A:1,B:1
			sync A B
			want A B:1=y`},
		{"replicating after each write converges", `
			put A a1
			push A B
			push A C
			read C r1
			put C c1 r1
			push C A
			push C B
			put B b1
			push B A
			push B C
			want A B:1=b1,C:1=c1
			converged A`},
		{"concurrent blind writes on three replicas converge to three siblings", `
			put A x
			put B y
			put C z
			sync A B
			sync B C
			sync C A
			want A A:1=x,B:1=y,C:1=z
			converged A`},
		{"sync does not resurrect what a replica superseded", `
			put A x
			push A B
			read A r
			put A y r
			sync A B
			want B A:2=y
			converged A`},
		{"a tombstone with a context removes exactly the values it covers", `
			put A x
			put A y
			read A r
			put A z
			del A r
			want A A:3=z,A:4=DEL
			live A z
			deleted A false
			read A r2
			del A r2
			want A A:5=DEL
			live A -
			deleted A true
			put B w
			sync A B
			live A w
			deleted A false`},
		{"a tombstone replicated to a replica that still holds the value", `
			put A x
			push A B
			read A r
			del A r
			push A B
			want B A:2=DEL
			deleted B true`},
		{"a never-written key reads as deleted", `
			want A -
			live A -
			deleted A true`},
	} {
		t.Run(tc.name, func(t *testing.T) { play(t, tc.script) })
	}
}

func TestUpdateIgnoresInputDot(t *testing.T) {
	r := Update(Record{}, nil, Sibling{Dot: Dot{"Q", 42}, Value: []byte("v")}, "A", 7)
	if got := dots(r); !slices.Equal(got, []Dot{{"A", 1}}) {
		t.Fatalf("dots %v", got)
	}
	if r.Context[0] != (Entry{"A", 1, 7}) {
		t.Fatalf("context %v", r.Context)
	}
}

// A replica that lost its state for a key (or pruned its own entry) must
// still not reuse a dot the client has seen.
func TestUpdateCounterPastClientContext(t *testing.T) {
	r := Update(Record{}, vv("A", 5, "B", 2), Sibling{Value: []byte("v")}, "A", 1)
	if got := sibsString(r); got != "A:6=v" {
		t.Fatalf("siblings %s", got)
	}
	if got := ctxString(r.Context); got != "A:6,B:2" {
		t.Fatalf("context %s", got)
	}
}

func TestUpdateDoesNotModifyInputs(t *testing.T) {
	cur := Update(Record{}, nil, Sibling{Value: []byte("x")}, "B", 1)
	cur = Update(cur, nil, Sibling{Value: []byte("y")}, "B", 2)
	cur.Siblings = slices.Grow(cur.Siblings, 4) // spare room an insert might wrongly reuse
	cur.Context = slices.Grow(cur.Context, 4)
	before := show(cur)
	ctx := vv("B", 1, "C", 3)
	_ = Update(cur, ctx, Sibling{Value: []byte("z")}, "A", 3)
	_ = Sync(cur, Record{Context: ctx})
	if show(cur) != before || !slices.Equal(ctx, vv("B", 1, "C", 3)) {
		t.Fatalf("inputs modified: %s (was %s), ctx %v", show(cur), before, ctx)
	}
}

func TestRecordEqualAndDescends(t *testing.T) {
	a := Update(Record{}, nil, Sibling{Value: []byte("x")}, "A", 1)
	b := Update(Record{}, nil, Sibling{Value: []byte("y")}, "B", 1)
	ab := Sync(a, b)
	over := Update(ab, ab.Context, Sibling{Value: []byte("z")}, "A", 2)
	for _, tc := range []struct {
		name       string
		r, o       Record
		eq, rDescO bool
	}{
		{"same", a, a, true, true},
		{"zero", Record{}, Record{}, true, true},
		{"anything descends zero", a, Record{}, false, true},
		{"zero descends nothing", Record{}, a, false, false},
		{"concurrent", a, b, false, false},
		{"merge descends part", ab, a, false, true},
		{"part does not descend merge", a, ab, false, false},
		{"overwrite descends what it replaced", over, ab, false, true},
		{"replaced does not descend overwrite", ab, over, false, false},
		// r has o's context but o superseded a sibling r still holds
		{"stale sibling", Record{Siblings: a.Siblings, Context: over.Context}, over, false, false},
		// o breaks the invariant (its context misses its own sibling): r has
		// never seen b's write, so Sync would add it.
		{"invalid o", Record{Context: a.Context}, Record{Siblings: b.Siblings, Context: a.Context}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.Equal(tc.o); got != tc.eq {
				t.Errorf("Equal = %v", got)
			}
			if got := tc.r.Descends(tc.o); got != tc.rDescO {
				t.Errorf("Descends = %v", got)
			}
			if got, def := tc.r.Descends(tc.o), Sync(tc.r, tc.o).Equal(tc.r); got != def {
				t.Errorf("Descends = %v but Sync(r, o).Equal(r) = %v", got, def)
			}
		})
	}
}

func TestRecordValidate(t *testing.T) {
	s := func(n string, c uint64) Sibling { return Sibling{Dot: Dot{n, c}} }
	for _, tc := range []struct {
		name string
		r    Record
		ok   bool
	}{
		{"zero", Record{}, true},
		{"good", Record{[]Sibling{s("A", 1), s("A", 2), s("B", 1)}, vv("A", 2, "B", 1)}, true},
		{"unsorted", Record{[]Sibling{s("B", 1), s("A", 1)}, vv("A", 1, "B", 1)}, false},
		{"duplicate", Record{[]Sibling{s("A", 1), s("A", 1)}, vv("A", 1)}, false},
		{"zero dot", Record{[]Sibling{s("A", 0)}, vv("A", 1)}, false},
		{"uncovered", Record{[]Sibling{s("A", 2)}, vv("A", 1)}, false},
		{"bad context", Record{nil, vv("B", 1, "A", 1)}, false},
	} {
		err := tc.r.Validate()
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("%s: Validate = %v", tc.name, err)
		}
	}
}

// If two copies of one dot differ (they never should), Sync must still pick
// the same one whatever the argument order.
func TestSyncSameDotDifferentContentIsCommutative(t *testing.T) {
	a := Record{[]Sibling{{Dot: Dot{"A", 1}, Value: []byte("x")}}, vv("A", 1)}
	b := Record{[]Sibling{{Dot: Dot{"A", 1}, Value: []byte("y")}}, vv("A", 1)}
	if !identical(Sync(a, b), Sync(b, a)) || !identical(SyncLWW(a, b), SyncLWW(b, a)) {
		t.Fatalf("%s vs %s", show(Sync(a, b)), show(Sync(b, a)))
	}
}

func TestAckContext(t *testing.T) {
	// Two clients write blind through A; the second must not get back a
	// context covering the first's value, which it never saw.
	r := Update(Record{}, nil, Sibling{Value: []byte("x")}, "A", 1)
	r = Update(r, nil, Sibling{Value: []byte("y")}, "A", 2)
	if ack := AckContext(r, "A"); ack.Covers(Dot{"A", 1}) {
		t.Fatalf("ack %v covers an unseen sibling", ack)
	}
	// A write at B that saw A:1 and A:2 gets a context covering all of it.
	w := Update(r, r.Context, Sibling{Value: []byte("z")}, "B", 3)
	if ack := AckContext(w, "B"); !ack.Equal(w.Context) {
		t.Fatalf("ack %v, want the record's context %v", ack, w.Context)
	}
	// Concurrent write at B next to an unseen A sibling: cover B's own write
	// and what was seen, but not the A sibling.
	r = Update(Record{}, nil, Sibling{Value: []byte("x")}, "A", 1)
	seen := r.Context
	r = Update(r, nil, Sibling{Value: []byte("y")}, "A", 2)
	w = Update(r, seen, Sibling{Value: []byte("z")}, "B", 3)
	ack := AckContext(w, "B")
	if !ack.Equal(vv("A", 1, "B", 1)) {
		t.Fatalf("ack %v", ack)
	}
	// Writing again with it replaces only the client's own write.
	w2 := Update(w, ack, Sibling{Value: []byte("z2")}, "B", 4)
	if got := sibsString(w2); got != "A:2=y,B:2=z2" {
		t.Fatalf("siblings %s", got)
	}
}

// retried returns the records of two replicas that both applied one client
// write (WriteID 42) on top of base: the coordinator's step at A timed out
// and ran again at B.
func retried(base Record) (a, b Record) {
	w := Sibling{Value: []byte("v"), ContentType: "text/plain", Timestamp: 9, WriteID: 42}
	return Update(base, base.Context, w, "A", 2), Update(base, base.Context, w, "B", 3)
}

// The retry scenario: one client write, two dots. A read after the replicas
// merge, in either order, shows the write once, and the context it returns
// lets the next write replace both copies.
func TestRetriedWriteReadsAsOneSibling(t *testing.T) {
	base := Update(Record{}, nil, Sibling{Value: []byte("old")}, "C", 1)
	a, b := retried(base)
	ab, ba := Sync(a, b), Sync(b, a)
	if !identical(ab, ba) {
		t.Fatalf("merge order matters: %s vs %s", show(ab), show(ba))
	}
	if got := sibsString(ab); got != "A:1=v,B:1=v" {
		t.Fatalf("siblings %s", got)
	}
	live := ab.Live()
	if len(live) != 1 || live[0].Dot != (Dot{"A", 1}) || live[0].WriteID != 42 {
		t.Fatalf("Live = %v, want the one copy A:1", dots(Record{Siblings: live}))
	}
	next := Update(ab, ab.Context, Sibling{Value: []byte("next")}, "C", 4)
	if got := sibsString(next); got != "C:2=next" {
		t.Fatalf("next write left %s", got)
	}
}

// The case that keeps Sync from dropping a twin (doc.go, "Write ids"): C
// overwrote A's copy before B's existed. Every merge order must agree, and
// B's copy stays beside C's value as it would without write ids.
func TestTwinsMergeTheSameInEveryOrder(t *testing.T) {
	a, b := retried(Record{})
	c := Update(a, a.Context, Sibling{Value: []byte("x")}, "C", 4)
	want := Sync(Sync(a, b), c)
	if got := sibsString(want); got != "B:1=v,C:1=x" {
		t.Fatalf("siblings %s", got)
	}
	for _, got := range []Record{
		Sync(a, Sync(b, c)), Sync(Sync(a, c), b), Sync(b, Sync(c, a)), Sync(Sync(c, b), a),
	} {
		if !identical(got, want) {
			t.Fatalf("merge order matters: %s vs %s", show(got), show(want))
		}
	}
}

// A retry that reaches a replica already holding the write's first copy,
// directly or through a merge, replaces it instead of adding a twin.
func TestUpdateReplacesEarlierCopyOfItsWrite(t *testing.T) {
	w := Sibling{Value: []byte("v"), WriteID: 7}
	other := Update(Record{}, nil, Sibling{Value: []byte("o"), WriteID: 8}, "B", 1)
	first := Update(other, nil, w, "A", 2) // A:1, beside B:1
	for _, tc := range []struct{ node, want string }{
		{"A", "A:2=v,B:1=o"}, // the retry runs at A again
		{"C", "B:1=o,C:1=v"}, // C got A's copy by a merge
	} {
		r := Update(Sync(Record{}, first), nil, w, tc.node, 3)
		if got := sibsString(r); got != tc.want {
			t.Fatalf("retry at %s: siblings %s, want %s", tc.node, got, tc.want)
		}
		if !r.Context.Covers(Dot{"A", 1}) {
			t.Fatalf("retry at %s: context %v forgot the replaced copy", tc.node, r.Context)
		}
	}
	// A twin from elsewhere is replaced too, and AckContext may cover it:
	// it is the client's own write.
	_, atB := retried(Record{})
	r := Update(atB, nil, Sibling{Value: []byte("v"), WriteID: 42}, "A", 4)
	if got := sibsString(r); got != "A:1=v" || !AckContext(r, "A").Equal(r.Context) {
		t.Fatalf("siblings %s, ack %v", got, AckContext(r, "A"))
	}
}

// Live and IsDeleted show one sibling per non-zero WriteID, the one with the
// smallest dot; siblings without a WriteID are all distinct writes.
func TestLiveShowsOneCopyPerWrite(t *testing.T) {
	s := func(node string, id uint64, del bool) Sibling {
		return Sibling{Dot: Dot{node, 1}, Value: []byte(node), WriteID: id, Tombstone: del}
	}
	ctx := vv("A", 1, "B", 1, "C", 1, "D", 1)
	for _, tc := range []struct {
		name string
		sibs []Sibling
		live string
	}{
		{"no ids", []Sibling{s("A", 0, false), s("B", 0, false)}, "A,B"},
		{"twins", []Sibling{s("A", 5, false), s("B", 5, false), s("C", 6, false)}, "A,C"},
		{"three copies", []Sibling{s("A", 5, false), s("B", 5, false), s("C", 5, false)}, "A"},
		{"deleted twins", []Sibling{s("A", 5, true), s("B", 5, true), s("C", 0, false)}, "C"},
		{"only deleted twins", []Sibling{s("A", 5, true), s("B", 5, true)}, "-"},
		// Copies of one write never differ; if they did, the first decides.
		{"tombstone first", []Sibling{s("A", 5, true), s("B", 5, false)}, "-"},
	} {
		r := Record{Siblings: tc.sibs, Context: ctx}
		if err := r.Validate(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := liveString(r); got != tc.live {
			t.Errorf("%s: Live = %s, want %s", tc.name, got, tc.live)
		}
		checkLive(t, r)
	}
}
