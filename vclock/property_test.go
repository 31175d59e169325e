package vclock

import (
	"math/rand/v2"
	"slices"
	"testing"
)

const seeds = 200 // histories per property; each seed is one reproducible case

// Sync is a join on reachable records: commutative, associative, idempotent,
// an upper bound of both sides, and Descends is exactly "Sync changes nothing".
func TestSyncProperties(t *testing.T) {
	for seed := range uint64(seeds) {
		s := reachable(t, seed, 120)
		for range 40 {
			a, b, c := s.anyRecord(), s.anyRecord(), s.anyRecord()
			ab := Sync(a, b)
			if !identical(ab, Sync(b, a)) {
				t.Fatalf("seed %d: not commutative:\n%s\n%s", seed, show(a), show(b))
			}
			if !identical(Sync(ab, c), Sync(a, Sync(b, c))) {
				t.Fatalf("seed %d: not associative:\n%s\n%s\n%s", seed, show(a), show(b), show(c))
			}
			if !identical(Sync(a, a), a) {
				t.Fatalf("seed %d: not idempotent: %s -> %s", seed, show(a), show(Sync(a, a)))
			}
			if !ab.Descends(a) || !ab.Descends(b) {
				t.Fatalf("seed %d: Sync(a, b) does not descend its inputs", seed)
			}
			if err := ab.Validate(); err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			checkLive(t, ab)
			if got, def := a.Descends(b), Sync(a, b).Equal(a); got != def {
				t.Fatalf("seed %d: Descends %v, Sync(a,b).Equal(a) %v:\n%s\n%s", seed, got, def, show(a), show(b))
			}
			if a.Descends(b) && b.Descends(a) && !a.Equal(b) {
				t.Fatalf("seed %d: mutual descent without equality", seed)
			}
		}
	}
}

// An Update result descends the record it was applied to, whatever the
// context; it keeps every sibling the context does not cover except earlier
// copies of the same write, and holds exactly one sibling of that write.
func TestUpdateProperties(t *testing.T) {
	for seed := range uint64(seeds) {
		s := reachable(t, seed, 120)
		for range 40 {
			cur, ctx := s.anyRecord(), s.anyRecord().Context
			w := Sibling{Value: []byte("new"), WriteID: s.anyWriteID(cur)}
			r := Update(cur, ctx, w, s.nodes[s.rng.IntN(len(s.nodes))], s.now+1)
			if !r.Descends(cur) {
				t.Fatalf("seed %d: Update result does not descend cur:\n%s\n%s", seed, show(cur), show(r))
			}
			if !r.Context.Descends(ctx) {
				t.Fatalf("seed %d: Update result context below the client's", seed)
			}
			if err := r.Validate(); err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			for _, c := range cur.Siblings {
				replaced := ctx.Covers(c.Dot) || sameWrite(c, w)
				if !replaced && !hasDot(r, c.Dot) {
					t.Fatalf("seed %d: Update dropped unseen sibling %v", seed, c.Dot)
				}
				if replaced && hasDot(r, c.Dot) {
					t.Fatalf("seed %d: Update kept superseded sibling %v of %s", seed, c.Dot, show(cur))
				}
			}
			if w.WriteID != 0 {
				n := 0
				for _, c := range r.Siblings {
					if sameWrite(c, w) {
						n++
					}
				}
				if n != 1 {
					t.Fatalf("seed %d: %d siblings with WriteID %d: %s", seed, n, w.WriteID, show(r))
				}
			}
			checkLive(t, r)
		}
	}
}

// anyWriteID picks a WriteID for a test write on cur: none, an unused one,
// or (a retry) one that a sibling of cur already carries.
func (s *sim) anyWriteID(cur Record) uint64 {
	switch s.rng.IntN(3) {
	case 0:
		return 0
	case 1:
		if n := len(cur.Siblings); n > 0 {
			return cur.Siblings[s.rng.IntN(n)].WriteID
		}
	}
	return s.lastID + 1
}

// No acknowledged write is lost. The oracle: a dot may leave every replica
// only once some client wrote with a context covering it (that client saw it
// and replaced it), or once a retry of its write replaced it with a newer
// copy. After all replicas converge, the siblings are exactly the writes no
// client superseded and no retry replaced — with pruning, at least those.
// Twins that survive both are kept, and a read shows one of them.
func TestNoWriteLost(t *testing.T) {
	for _, prune := range []int{0, 1, 2} {
		for seed := range uint64(seeds) {
			s := newSim(t, seed, 2+int(seed%4))
			s.pruneMax = prune
			for range 150 {
				s.step()
				s.checkNoLoss(seed)
			}
			final := s.converge()
			checkLive(t, final)
			var want []Dot
			for _, d := range s.order {
				if s.kept(d) {
					want = append(want, d)
				}
			}
			slices.SortFunc(want, Dot.Compare)
			got := dots(final)
			if prune == 0 && !slices.Equal(got, want) {
				t.Fatalf("seed %d: converged to %v, want exactly the kept writes %v", seed, got, want)
			}
			for _, d := range want {
				if !slices.Contains(got, d) {
					t.Fatalf("seed %d prune %d: write %v lost", seed, prune, d)
				}
			}
			for _, sib := range final.Siblings {
				if w, ok := s.written[sib.Dot]; !ok || compareContent(w, sib) != 0 {
					t.Fatalf("seed %d: sibling %v is not the write that made it", seed, sib.Dot)
				}
			}
		}
	}
}

// kept reports whether the oracle says write d must still be held: no client
// superseded it and no retry of its write replaced it.
func (s *sim) kept(d Dot) bool { return !s.superseded.Covers(d) && !s.replaced[d] }

// checkNoLoss checks the invariants after every step: records are valid,
// every kept write is still held somewhere, and (without pruning) a replica
// whose context covers a kept write holds it.
func (s *sim) checkNoLoss(seed uint64) {
	s.t.Helper()
	for i, r := range s.reps {
		if err := r.Validate(); err != nil {
			s.t.Fatalf("seed %d: replica %d: %v", seed, i, err)
		}
	}
	for _, d := range s.order {
		if !s.kept(d) {
			continue
		}
		held := false
		for _, r := range s.reps {
			if hasDot(r, d) {
				held = true
			} else if s.pruneMax == 0 && r.Context.Covers(d) {
				s.t.Fatalf("seed %d: %s covers kept write %v without holding it", seed, show(r), d)
			}
		}
		if !held {
			s.t.Fatalf("seed %d: kept write %v is on no replica", seed, d)
		}
	}
}

// The DVV bound: k clients that each read and then write with what they read
// never leave more than k siblings, however writes and syncs interleave. A
// client's next read must follow its previous write (read-your-writes), so
// that each write replaces the same client's previous one: either the client
// sticks to one replica, or it roams and merges into its next read the
// context of its last write's result, whose siblings the put returned to it
// (Riak's return_body). AckContext would not do for the latter: when an
// unseen sibling from the same node predates the write, a version vector
// cannot cover the write without covering that sibling, so AckContext leaves
// the write uncovered and it may linger as a sibling of the client's next.
func TestSiblingBound(t *testing.T) {
	for _, roam := range []bool{false, true} {
		for seed := range uint64(seeds) {
			rng := rand.New(rand.NewPCG(seed, 7))
			replicas, k := 1+int(seed%3), 1+rng.IntN(6)
			nodes := []string{"A", "B", "C"}[:replicas]
			reps := make([]Record, replicas)
			type client struct {
				home    int
				session VV // context of its last write's result
				read    VV
				pending bool
			}
			cs := make([]client, k)
			for i := range cs {
				cs[i].home = rng.IntN(replicas)
			}
			for step := range 300 {
				i, j := rng.IntN(replicas), rng.IntN(replicas)
				if rng.IntN(4) == 0 {
					m := Sync(reps[i], reps[j])
					reps[i], reps[j] = m, m
				} else {
					c := &cs[rng.IntN(k)]
					if roam {
						c.home = i
					}
					r := &reps[c.home]
					if !c.pending {
						c.read, c.pending = Merge(r.Context, c.session), true
					} else {
						*r = Update(*r, c.read, Sibling{Value: []byte("v")}, nodes[c.home], int64(step))
						c.session, c.pending = r.Context, false
					}
				}
				for _, r := range reps {
					if len(r.Siblings) > k {
						t.Fatalf("roam=%v seed %d step %d: %d siblings with %d clients: %s",
							roam, seed, step, len(r.Siblings), k, show(r))
					}
				}
			}
		}
	}
}

// AckContext never covers a sibling other than the new write, and never
// forgets what the client's own context covered.
func TestAckContextProperties(t *testing.T) {
	for seed := range uint64(seeds) {
		s := reachable(t, seed, 80)
		for range 40 {
			cur, ctx := s.anyRecord(), s.anyRecord().Context
			node := s.nodes[s.rng.IntN(len(s.nodes))]
			r := Update(cur, ctx, Sibling{Value: []byte("new")}, node, s.now+1)
			ack := AckContext(r, node)
			written := Dot{node, r.Context.Get(node)}
			if err := ack.Validate(); err != nil {
				t.Fatal(err)
			}
			if !r.Context.Descends(ack) {
				t.Fatalf("seed %d: ack %v above the record's context", seed, ack)
			}
			for _, sib := range r.Siblings {
				if sib.Dot != written && ack.Covers(sib.Dot) {
					t.Fatalf("seed %d: ack %v covers unseen sibling %v", seed, ack, sib.Dot)
				}
			}
			// ctx covered nothing still in r, so ack loses none of it.
			if !ack.Descends(ctx) {
				t.Fatalf("seed %d: ack %v below the client's context %v", seed, ack, ctx)
			}
		}
	}
}
