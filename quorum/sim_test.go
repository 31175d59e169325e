package quorum

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/quorumkv/quorumkv/vclock"
)

// scenario is one random request: a cluster, a plan, what each replica
// stores and how often calls fail.
type scenario struct {
	plan   Plan
	pref   []string
	self   string
	tg     Targets
	hints  Hints
	v      Versions[rec]
	stored map[string]rec
	pFail  float64 // a call fails
	pLost  float64 // a replica that has a record reports it not found
}

func newScenario(rng *rand.Rand) *scenario {
	n := 1 + rng.IntN(5)
	plan := Plan{N: n, R: 1 + rng.IntN(n), W: 1 + rng.IntN(n), Strict: rng.IntN(2) == 0}
	pref := make([]string, 1+rng.IntN(n+3))
	for i := range pref {
		pref[i] = fmt.Sprintf("n%d", i)
	}
	plan = plan.ClampTo(len(pref))
	down := map[string]bool{}
	for _, id := range pref {
		down[id] = rng.IntN(4) == 0
	}
	s := &scenario{plan: plan, pref: pref, v: siblings{}, stored: map[string]rec{}, pFail: rng.Float64() * 0.6, pLost: rng.Float64() * 0.3}
	s.self = pref[rng.IntN(len(pref))]
	if rng.IntN(3) == 0 {
		s.self = "x" // this node holds no replica of the key
	}
	s.tg = Place(pref, plan, func(id string) bool { return !down[id] })
	pool := recordPool(rng.IntN(2) == 0, s)
	for _, id := range append(slices.Clone(pref), "h0", "h1") {
		s.stored[id] = pool[rng.IntN(len(pool))]
	}
	s.hints = randomHints(rng, s)
	return s
}

// recordPool is a few versions of one key: older, newer, concurrent and
// merged, so that replies agree or disagree in every way.
func recordPool(lww bool, s *scenario) []rec {
	update, sync := vclock.Update, vclock.Sync
	if lww {
		s.v = lastWriteWins{}
		update, sync = vclock.UpdateLWW, vclock.SyncLWW
	}
	put := func(prev rec, node, value string, ts int64) rec {
		return update(prev, prev.Context, vclock.Sibling{Value: []byte(value), Timestamp: ts}, node, ts)
	}
	base := put(rec{}, "n0", "v1", 10)
	newer := put(base, "n1", "v2", 20)
	concurrent := update(base, nil, vclock.Sibling{Value: []byte("v3"), Timestamp: 15}, "n2", 15)
	return []rec{{}, base, newer, concurrent, sync(newer, concurrent)}
}

// randomHints marks some active homes as hinted, held by other nodes, as
// the node's hint index would.
func randomHints(rng *rand.Rand, s *scenario) Hints {
	h := Hints{Homes: map[string]bool{}}
	others := append(slices.Clone(s.pref), "h0", "h1")
	pHint := rng.Float64()
	for _, home := range PreferSelf(s.tg.Active, s.self) {
		if !slices.Contains(s.tg.Homes, home) || rng.Float64() >= pHint {
			continue
		}
		h.Homes[home] = true
		for range 1 + rng.IntN(2) {
			if o := others[rng.IntN(len(others))]; o != home {
				h.Holders = append(h.Holders, o)
			}
		}
	}
	return h
}

// driver delivers random events for the calls in flight: replies,
// failures, duplicates of earlier events, strays and the deadline.
type driver struct {
	rng     *rand.Rand
	sc      *scenario
	pending []call
	history []Event[rec]
}

// next picks the next event. A reply to a call in flight takes it out of
// pending; landed says whether the event answered a call in flight.
func (d *driver) next(reply func(c call) rec) (ev Event[rec], landed bool) {
	x := d.rng.Float64()
	switch {
	case len(d.pending) == 0 || x < 0.02:
		return Deadline[rec](), false
	case x < 0.10 && len(d.history) > 0:
		ev = d.history[d.rng.IntN(len(d.history))]
	case x < 0.13:
		nodes := append(slices.Clone(d.sc.pref), "stray")
		ev = ok(nodes[d.rng.IntN(len(nodes))], Phase(d.rng.IntN(int(Repair))), rec{})
	default:
		c := d.pending[d.rng.IntN(len(d.pending))]
		if d.rng.Float64() < d.sc.pFail {
			ev = failed(c.node, c.phase)
		} else {
			r := reply(c)
			// A replica may have a record without reporting it found (say,
			// a context with no sibling left), or lack one and say so.
			found := len(r.Siblings) > 0 && d.rng.Float64() >= d.sc.pLost
			ev = ReplyOK(c.node, c.phase, r, found)
			ev.Actor = c.node + "#1"
		}
	}
	d.history = append(d.history, ev)
	i := slices.Index(d.pending, call{ev.Node, ev.Phase})
	if i < 0 {
		return ev, false
	}
	d.pending = slices.Delete(d.pending, i, i+1)
	return ev, true
}
