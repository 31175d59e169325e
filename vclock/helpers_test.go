package vclock

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// identical compares records completely: dots, sibling contents, context
// counters and times. Record.Equal is coarser (dots and counters only).
func identical(a, b Record) bool {
	return slices.Equal(a.Context, b.Context) &&
		slices.EqualFunc(a.Siblings, b.Siblings, func(x, y Sibling) bool {
			return x.Dot == y.Dot && compareContent(x, y) == 0
		})
}

// show renders a record as "A:1=x A:2=DEL#7 | A:2 B:1" for failure messages
// (#7: WriteID 7).
func show(r Record) string {
	var b strings.Builder
	for i, s := range r.Siblings {
		if i > 0 {
			b.WriteByte(' ')
		}
		v := string(s.Value)
		if s.Tombstone {
			v = "DEL"
		}
		fmt.Fprintf(&b, "%v=%s", s.Dot, v)
		if s.WriteID != 0 {
			fmt.Fprintf(&b, "#%d", s.WriteID)
		}
	}
	b.WriteString(" |")
	for _, e := range r.Context {
		fmt.Fprintf(&b, " %s:%d", e.Node, e.Counter)
	}
	return b.String()
}

// dots returns the record's sibling dots in order.
func dots(r Record) []Dot {
	out := make([]Dot, len(r.Siblings))
	for i, s := range r.Siblings {
		out[i] = s.Dot
	}
	return out
}

func hasDot(r Record, d Dot) bool {
	return slices.ContainsFunc(r.Siblings, func(s Sibling) bool { return s.Dot == d })
}

// sim is a randomized history of one key over several replicas: client
// writes with blind, fresh or stale contexts, retried coordinating steps,
// one- and two-way syncs, and (optionally) pruning. It records every
// acknowledged write and every context a client ever sent, which is what the
// oracle checks need. Every record it produces is reachable, so its
// snapshots feed the algebraic property tests.
//
// Most writes carry a fresh WriteID, some none. A retry applies the last
// write again at a random replica with the same sibling, WriteID and
// context, as a coordinator does after a timeout: that is how twins (two
// dots, one WriteID) arise, so the pool holds WriteID collisions.
type sim struct {
	t     testing.TB
	rng   *rand.Rand
	nodes []string
	reps  []Record
	reads []VV // contexts clients have read; reused later as stale contexts

	written    map[Dot]Sibling // every acknowledged write, by its dot
	order      []Dot           // the same, in write order
	superseded VV              // Merge of every context a client wrote with
	replaced   map[Dot]bool    // dots Update dropped for a later copy of their write

	lastID  uint64  // the last WriteID handed out
	last    Sibling // the last new write and its context, for retry
	lastCtx VV

	lww      bool // use UpdateLWW/SyncLWW
	pruneMax int  // >0: prune steps with PruneKeep(r, pruneMax, self)
	now      int64
	pool     []Record // snapshots of replica states
}

func newSim(t testing.TB, seed uint64, replicas int) *sim {
	s := &sim{
		t:        t,
		rng:      rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		reps:     make([]Record, replicas),
		written:  map[Dot]Sibling{},
		replaced: map[Dot]bool{},
	}
	for i := range replicas {
		s.nodes = append(s.nodes, string(rune('A'+i)))
	}
	return s
}

// pickCtx models a client: blind, a stale context read earlier, or a fresh
// read of some replica (not necessarily the one it will write to).
func (s *sim) pickCtx() VV {
	switch s.rng.IntN(4) {
	case 0:
		return nil
	case 1:
		if len(s.reads) > 0 {
			return s.reads[s.rng.IntN(len(s.reads))]
		}
	}
	return s.reps[s.rng.IntN(len(s.reps))].Context
}

// write applies a new client write at replica i.
func (s *sim) write(i int, ctx VV) Dot {
	s.t.Helper()
	s.last = Sibling{
		Value:       fmt.Appendf(nil, "v%d", len(s.order)),
		ContentType: "text/plain",
		Tombstone:   s.rng.IntN(6) == 0,
		Timestamp:   s.rng.Int64N(1000), // deliberately skewed against causality
	}
	if s.rng.IntN(5) > 0 {
		s.lastID++
		s.last.WriteID = s.lastID
	}
	s.lastCtx = ctx
	return s.apply(i, ctx, s.last)
}

// retry runs the last write's coordinating step again at replica i.
func (s *sim) retry(i int) {
	s.t.Helper()
	if len(s.order) > 0 {
		s.apply(i, s.lastCtx, s.last)
	}
}

// apply runs Update (or UpdateLWW) at replica i, checks the dot it got and
// records the write for the oracles.
func (s *sim) apply(i int, ctx VV, w Sibling) Dot {
	s.t.Helper()
	s.now += 1 + s.rng.Int64N(3)
	node := s.nodes[i]
	update := Update
	if s.lww {
		update = UpdateLWW
	}
	cur := s.reps[i]
	for _, c := range cur.Siblings {
		if sameWrite(c, w) && !ctx.Covers(c.Dot) && !s.lww {
			s.replaced[c.Dot] = true
		}
	}
	r := update(cur, ctx, w, node, s.now)
	d := Dot{Node: node, Counter: r.Context.Get(node)}
	if want := max(cur.Context.Get(node), ctx.Get(node)) + 1; d.Counter != want {
		s.t.Fatalf("write at %s got counter %d, want %d", node, d.Counter, want)
	}
	if _, dup := s.written[d]; dup {
		s.t.Fatalf("dot %v assigned twice", d)
	}
	w.Dot = d
	s.written[d] = w
	s.order = append(s.order, d)
	s.superseded = Merge(s.superseded, ctx)
	s.reps[i] = r
	return d
}

func (s *sim) sync(a, b Record) Record {
	if s.lww {
		return SyncLWW(a, b)
	}
	return Sync(a, b)
}

// step performs one random operation and snapshots a replica.
func (s *sim) step() {
	i, j := s.rng.IntN(len(s.reps)), s.rng.IntN(len(s.reps))
	switch op := s.rng.IntN(10); {
	case op < 3:
		s.write(i, s.pickCtx())
	case op < 4:
		s.retry(i)
	case op < 6: // anti-entropy: both sides take the merge
		m := s.sync(s.reps[i], s.reps[j])
		s.reps[i], s.reps[j] = m, m
	case op < 8: // replication or read repair: one side takes the merge
		s.reps[j] = s.sync(s.reps[j], s.reps[i])
	case op < 9:
		s.reads = append(s.reads, s.reps[i].Context)
	default:
		if s.pruneMax > 0 {
			s.reps[i] = PruneKeep(s.reps[i], s.pruneMax, s.nodes[i])
		}
	}
	s.pool = append(s.pool, s.reps[s.rng.IntN(len(s.reps))])
}

// converge syncs every replica with every other and checks they agree.
func (s *sim) converge() Record {
	s.t.Helper()
	var acc Record
	for _, r := range s.reps {
		acc = s.sync(acc, r)
	}
	for i := range s.reps {
		s.reps[i] = s.sync(s.reps[i], acc)
		if !identical(s.reps[i], s.reps[0]) {
			s.t.Fatalf("replica %d did not converge:\n%s\n%s", i, show(s.reps[i]), show(s.reps[0]))
		}
	}
	return s.reps[0]
}

// checkLive checks what a read of r shows against its definition: every
// non-tombstone sibling, except that of siblings sharing a non-zero WriteID
// only the one with the smallest dot. It also checks IsDeleted agrees.
func checkLive(t testing.TB, r Record) {
	t.Helper()
	var want []Sibling
	for _, s := range r.Siblings {
		twinBefore := slices.ContainsFunc(r.Siblings, func(o Sibling) bool {
			return o.WriteID != 0 && o.WriteID == s.WriteID && o.Dot.Compare(s.Dot) < 0
		})
		if !s.Tombstone && !twinBefore {
			want = append(want, s)
		}
	}
	got := r.Live()
	if !slices.EqualFunc(got, want, func(x, y Sibling) bool { return x.Dot == y.Dot }) {
		t.Fatalf("Live(%s) = %v, want %v", show(r), dots(Record{Siblings: got}), dots(Record{Siblings: want}))
	}
	if r.IsDeleted() != (len(want) == 0) {
		t.Fatalf("IsDeleted(%s) = %v with %d shown", show(r), r.IsDeleted(), len(want))
	}
}

// anyRecord returns a random reachable record from the snapshots.
func (s *sim) anyRecord() Record { return s.pool[s.rng.IntN(len(s.pool))] }

// reachable runs a fresh history and returns it, for property tests that
// need several records of one key (a dot must mean the same write in all).
func reachable(t testing.TB, seed uint64, steps int) *sim {
	s := newSim(t, seed, 3+int(seed%3))
	for range steps {
		s.step()
	}
	return s
}
