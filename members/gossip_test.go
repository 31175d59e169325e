package members

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// cluster simulates n tables gossiping on a fake clock: every round each
// live node ticks and pushes its digest to one random peer it knows; with
// pull, the receiver answers with its own digest (push-pull).
type cluster struct {
	rng    *rand.Rand
	now    time.Time
	tables []*Table
	dead   map[int]bool
	byID   map[string]int
	pull   bool
	// downs counts Up->Down transitions reported by Sweep.
	downs int
}

func newCluster(rng *rand.Rand, n int) *cluster {
	c := &cluster{rng: rng, now: epoch, dead: map[int]bool{}, byID: map[string]int{}}
	for i := range n {
		id := fmt.Sprintf("n%02d", i)
		c.byID[id] = i
		c.tables = append(c.tables, NewTable(node(id, 1, 0), Config{}, epoch))
	}
	// Every node but the seed n00 starts knowing only the seed, as if it
	// had been given its address.
	for _, tb := range c.tables[1:] {
		tb.Merge(c.tables[0].Digest(), epoch)
	}
	return c
}

// round advances the clock one interval; live nodes tick (if tick), sweep
// and exchange digests with one random known peer. Messages to dead nodes
// are lost.
func (c *cluster) round(tick bool) {
	c.now = c.now.Add(DefaultInterval)
	for i, tb := range c.tables {
		if c.dead[i] {
			continue
		}
		if tick {
			tb.Tick(c.now)
		}
		c.note(tb, tb.Sweep(c.now))
		j, ok := c.pick(tb)
		if !ok || c.dead[j] {
			continue
		}
		c.note(c.tables[j], c.tables[j].Merge(tb.Digest(), c.now))
		if c.pull {
			c.note(tb, tb.Merge(c.tables[j].Digest(), c.now))
		}
	}
}

// note counts the Up->Down transitions among the changes tb reported.
func (c *cluster) note(tb *Table, changed []string) {
	for _, id := range changed {
		if !tb.Up(id, c.now) {
			c.downs++
		}
	}
}

// pick returns a random peer tb knows, other than itself.
func (c *cluster) pick(tb *Table) (int, bool) {
	known := tb.Members()
	if len(known) < 2 {
		return 0, false
	}
	k := c.rng.IntN(len(known) - 1)
	if known[k].ID == tb.Self().ID {
		k = len(known) - 1
	}
	return c.byID[known[k].ID], true
}

func (c *cluster) allKnown() bool {
	for _, tb := range c.tables {
		if len(tb.Members()) != len(c.tables) {
			return false
		}
	}
	return true
}

// converged reports whether all live tables hold identical digests of all
// nodes.
func (c *cluster) converged() bool {
	var want []Member
	for i, tb := range c.tables {
		if c.dead[i] {
			continue
		}
		if want == nil {
			want = tb.Digest()
		} else if !reflect.DeepEqual(want, tb.Digest()) {
			return false
		}
	}
	return len(want) == len(c.tables)
}

// checkNotAhead asserts safety: no table holds a version of a member newer
// than the member's own.
func (c *cluster) checkNotAhead(t *testing.T) {
	t.Helper()
	for _, tb := range c.tables {
		for _, m := range tb.Members() {
			if m.Newer(c.tables[c.byID[m.ID]].Self()) {
				t.Fatalf("%s holds %+v, newer than the node itself", tb.Self().ID, m)
			}
		}
	}
}

// run plays rounds until done or max rounds, and returns the rounds played.
func (c *cluster) run(t *testing.T, tick bool, max int, done func() bool) int {
	r := 0
	for ; r < max && !done(); r++ {
		c.round(tick)
		c.checkNotAhead(t)
	}
	return r
}

func TestGossipConverges(t *testing.T) {
	const maxRounds = 40 // 10s at 250ms; O(log n) rounds are expected
	for seed := range uint64(30) {
		rng := rand.New(rand.NewPCG(seed, 0x9e3779b9))
		c := newCluster(rng, 3+rng.IntN(14))
		n := len(c.tables)
		// Phase 1: live push gossip until every node knows every node.
		if r := c.run(t, true, maxRounds, c.allKnown); !c.allKnown() {
			t.Fatalf("seed %d, %d nodes: membership not known by all after %d rounds", seed, n, r)
		}
		// Phase 2: heartbeats stop; versions must become identical.
		if r := c.run(t, false, maxRounds, c.converged); !c.converged() {
			t.Fatalf("seed %d, %d nodes: digests differ after %d quiet rounds", seed, n, r)
		}
		// Phase 3: the quiet phase made everyone suspect everyone; once
		// heartbeats flow again every peer must come back up everywhere.
		seenUp := map[[2]string]bool{}
		everyPairUp := func() bool {
			for _, tb := range c.tables {
				for _, id := range tb.UpMembers(c.now) {
					seenUp[[2]string{tb.Self().ID, id}] = true
				}
			}
			return len(seenUp) == n*n
		}
		if r := c.run(t, true, maxRounds, everyPairUp); !everyPairUp() {
			t.Fatalf("seed %d, %d nodes: only %d of %d pairs back up after %d rounds", seed, n, len(seenUp), n*n, r)
		}
	}
}

// Plain push to one peer per round delivers relayed heartbeats in bursts,
// which occasionally exceeds the fitted distribution (see the report in
// doc.go); push-pull exchanges are regular enough that a live cluster sees
// no false suspicion, and a dead node is convicted by everyone quickly.
func TestGossipPushPullNoFalseSuspicionAndDetects(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 1))
	c := newCluster(rng, 10)
	c.pull = true
	c.run(t, true, 40, c.allKnown)
	c.run(t, true, 40, func() bool { return false }) // let windows fill
	c.downs = 0
	c.run(t, true, 2400, func() bool { return false }) // 10 minutes
	if c.downs != 0 {
		t.Fatalf("%d false suspicions of live nodes in 10 minutes", c.downs)
	}
	killed := c.now
	c.dead[3] = true
	allDown := func() bool {
		for i, tb := range c.tables {
			if !c.dead[i] && tb.Up("n03", c.now) {
				return false
			}
		}
		return true
	}
	c.run(t, true, 40, allDown)
	took := c.now.Sub(killed)
	t.Logf("every live node saw n03 down %v after it died", took)
	if !allDown() || took > 4*time.Second || took < detectMin {
		t.Fatalf("n03 convicted by all after %v (all down: %v), want [%v, 4s]", took, allDown(), detectMin)
	}
	for i, tb := range c.tables { // the sweeps the next round would do
		if !c.dead[i] {
			c.note(tb, tb.Sweep(c.now))
		}
	}
	if c.downs != len(c.tables)-1 {
		t.Fatalf("%d down transitions, want exactly the %d for n03", c.downs, len(c.tables)-1)
	}
	for i, tb := range c.tables {
		if !c.dead[i] && len(tb.Members()) != len(c.tables) {
			t.Fatalf("%s dropped the dead member from Members", tb.Self().ID)
		}
	}
}

func TestGossipPushOnlyDetectsDeadNode(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	c := newCluster(rng, 8)
	c.run(t, true, 200, func() bool { return false })
	killed := c.now
	c.dead[3] = true
	allDown := func() bool {
		for i, tb := range c.tables {
			if !c.dead[i] && tb.Up("n03", c.now) {
				return false
			}
		}
		return true
	}
	c.run(t, true, 40, allDown)
	t.Logf("every live node saw n03 down %v after it died", c.now.Sub(killed))
	if !allDown() {
		t.Fatalf("n03 still up somewhere 10s after it died")
	}
}
