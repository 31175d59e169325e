package vclock

import (
	"slices"
	"testing"
)

func TestUpdateLWW(t *testing.T) {
	put := func(r Record, ctx VV, v string, ts int64, node string) Record {
		return UpdateLWW(r, ctx, Sibling{Value: []byte(v), Timestamp: ts}, node, ts)
	}
	r := put(Record{}, nil, "x", 10, "A")
	if got := sibsString(r); got != "A:1=x" {
		t.Fatalf("first write: %s", got)
	}
	r = put(r, nil, "y", 20, "A") // newer blind write replaces, no sibling
	if got := sibsString(r); got != "A:2=y" {
		t.Fatalf("newer write: %s", got)
	}
	r = put(r, r.Context, "old", 5, "B") // an older timestamp loses, even having seen y
	if got := sibsString(r); got != "A:2=y" || r.Context.Get("B") != 1 {
		t.Fatalf("older write: %s, ctx %v", got, r.Context)
	}
	// Equal timestamps: the greater dot wins, the new write has no privilege.
	tie := put(r, nil, "tie-0", 20, "0") // "0" < "A"
	if got := sibsString(tie); got != "A:2=y" {
		t.Fatalf("tie with smaller node should lose: %s", got)
	}
	tie = put(r, nil, "tie-C", 20, "C")
	if got := sibsString(tie); got != "C:1=tie-C" {
		t.Fatalf("tie with greater node should win: %s", got)
	}
	del := UpdateLWW(tie, tie.Context, Sibling{Tombstone: true, Timestamp: 30}, "A", 30)
	if !del.IsDeleted() || len(del.Siblings) != 1 {
		t.Fatalf("delete: %s", show(del))
	}
}

// In LWW histories every written replica holds exactly one sibling, and the
// winner after convergence is the greatest write by (Timestamp, Dot), no
// matter the merge order. The sim's timestamps are random, so writes often
// carry a smaller timestamp than values they saw (clock skew).
func TestLWWHistories(t *testing.T) {
	for seed := range uint64(seeds) {
		s := newSim(t, seed, 2+int(seed%4))
		s.lww = true
		for range 120 {
			s.step()
			for _, r := range s.reps {
				if len(r.Siblings) > 1 || (len(r.Siblings) == 0 && len(r.Context) > 0) {
					t.Fatalf("seed %d: LWW record %s", seed, show(r))
				}
				if err := r.Validate(); err != nil {
					t.Fatal(err)
				}
			}
		}
		var best Sibling
		for i, d := range s.order {
			if w := s.written[d]; i == 0 || compareLWW(w, best) > 0 {
				best = w
			}
		}
		reps := slices.Clone(s.reps)
		final := s.converge()
		if len(s.order) > 0 && (len(final.Siblings) != 1 || final.Siblings[0].Dot != best.Dot) {
			t.Fatalf("seed %d: converged to %s, want %v", seed, show(final), best.Dot)
		}
		// Any other fold order gives the same record.
		for range 10 {
			s.rng.Shuffle(len(reps), func(i, j int) { reps[i], reps[j] = reps[j], reps[i] })
			acc := reps[0]
			for _, r := range reps[1:] {
				if s.rng.IntN(2) == 0 {
					acc = SyncLWW(acc, r)
				} else {
					acc = SyncLWW(r, acc)
				}
			}
			if !identical(acc, final) {
				t.Fatalf("seed %d: merge order matters: %s vs %s", seed, show(acc), show(final))
			}
		}
	}
}

func TestSyncLWWProperties(t *testing.T) {
	for seed := range uint64(seeds) {
		s := newSim(t, seed, 3)
		s.lww = true
		for range 80 {
			s.step()
		}
		for range 40 {
			a, b, c := s.anyRecord(), s.anyRecord(), s.anyRecord()
			if !identical(SyncLWW(a, b), SyncLWW(b, a)) ||
				!identical(SyncLWW(SyncLWW(a, b), c), SyncLWW(a, SyncLWW(b, c))) ||
				!identical(SyncLWW(a, a), a) {
				t.Fatalf("seed %d: SyncLWW not a join on %s / %s / %s", seed, show(a), show(b), show(c))
			}
			if got, def := a.DescendsLWW(b), SyncLWW(a, b).Equal(a); got != def {
				t.Fatalf("seed %d: DescendsLWW %v, definition %v: %s / %s", seed, got, def, show(a), show(b))
			}
		}
	}
}

// The case that makes SyncLWW take the greatest of the union instead of
// "Sync, then greatest": b's writer saw a's value but carried an older
// timestamp. Timestamps decide in LWW, so a's value wins in every order.
func TestSyncLWWIgnoresCausalityForTheWinner(t *testing.T) {
	a := UpdateLWW(Record{}, nil, Sibling{Value: []byte("new"), Timestamp: 100}, "A", 100)
	b := UpdateLWW(Record{}, a.Context, Sibling{Value: []byte("skewed"), Timestamp: 50}, "B", 50)
	c := UpdateLWW(Record{}, nil, Sibling{Value: []byte("mid"), Timestamp: 70}, "C", 70)
	for _, r := range []Record{
		SyncLWW(SyncLWW(a, b), c),
		SyncLWW(SyncLWW(a, c), b),
		SyncLWW(a, SyncLWW(b, c)),
	} {
		if got := sibsString(r); got != "A:1=new" {
			t.Fatalf("winner %s", got)
		}
	}
	// Plain Sync, by contrast, drops a's value as superseded by b.
	if got := sibsString(Sync(a, b)); got != "B:1=skewed" {
		t.Fatalf("Sync: %s", got)
	}
}
