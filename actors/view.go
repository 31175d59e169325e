package actors

import (
	"slices"

	"github.com/quorumkv/quorumkv/members"
	"github.com/quorumkv/quorumkv/quorum"
	"github.com/quorumkv/quorumkv/ring"
)

// clusterView is an immutable snapshot of placement: the ring of the
// members that own data now (cur), the ring once the change under way is
// over (next), which partitions have moved to next, and which members this
// node believes up. Coordinators read it without locks; the membership
// actor swaps in a new one on change.
type clusterView struct {
	ring *ring.Ring // cur: active and leaving members
	next *ring.Ring // active and joining members
	// members are the members on either ring, sorted by ID.
	members []ring.Member
	up      map[string]bool
	// states holds each member's state and ready partitions.
	states map[string]members.Member
	// nmax is the largest N of any namespace: a partition moves when
	// every gainer among its first nmax replicas holds it.
	nmax  int
	moved []bool // per partition: reads use next's list
	// bootstrap: no member owned data, so the joining ones own it at once.
	bootstrap bool
	// ghosts are removed members kept on cur until their partitions have
	// moved: down for good, never written to.
	ghosts map[string]bool
	// digest is ringDigest of the members and removals this view is built
	// from; peers gossip theirs.
	digest uint64
}

// newClusterView builds a view from every member the table holds; up ==
// nil means every member is up. When no member owns data yet (a cluster
// whose nodes are all joining), the joining ones own it at once: there is
// nothing to copy.
func newClusterView(q int, all []members.Member, up map[string]bool, nmax int) *clusterView {
	var cur, next, union []ring.Member
	states := make(map[string]members.Member, len(all))
	for _, m := range all {
		rm := ring.Member{ID: m.ID, Zone: m.Zone, Weight: m.Weight}
		switch m.State {
		case members.Active:
			cur, next = append(cur, rm), append(next, rm)
		case members.Joining:
			next = append(next, rm)
		case members.Leaving:
			cur = append(cur, rm)
		default:
			continue // left: on no ring
		}
		union = append(union, rm)
		states[m.ID] = m
	}
	bootstrap := len(cur) == 0
	if bootstrap {
		cur = next
	}
	if len(next) == 0 {
		next = cur // everyone is leaving: there is nowhere to move to
	}
	v := &clusterView{ring: buildRing(q, cur), members: union, up: up, states: states, nmax: max(nmax, 1), bootstrap: bootstrap,
		ghosts: map[string]bool{}}
	v.next = v.ring
	if !sameIDs(cur, next) {
		v.next = buildRing(q, next)
	}
	v.moved = make([]bool, q)
	tr := v.transition()
	for p := range v.moved {
		v.moved[p] = v.next == v.ring || tr.Moved(p, v.nmax, v.ready)
	}
	return v
}

func buildRing(q int, ms []ring.Member) *ring.Ring {
	r, err := ring.New(q, ring.DefaultTokensPerWeight, ms)
	if err != nil {
		// Members are validated before they reach a view; a failure here is
		// a bug, and a ring of none keeps the node answering with errors.
		r, _ = ring.New(q, ring.DefaultTokensPerWeight, nil)
	}
	return r
}

func sameIDs(a, b []ring.Member) bool {
	return slices.EqualFunc(a, b, func(x, y ring.Member) bool { return x.ID == y.ID })
}

func (v *clusterView) transition() ring.Transition { return ring.Transition{Cur: v.ring, Next: v.next} }

func (v *clusterView) isUp(id string) bool { return v.up == nil || v.up[id] }

// ready reports whether member id has received partition p.
func (v *clusterView) ready(id string, p int) bool { return v.states[id].ReadyFor(p) }

// state is member id's state (active for an unknown id).
func (v *clusterView) state(id string) members.State { return v.states[id].State }

// changing reports whether a membership change is under way.
func (v *clusterView) changing() bool { return v.next != v.ring }

// prefs is the preference list reads and writes of partition p use: next's
// once p has moved, cur's until then.
func (v *clusterView) prefs(p int) []string {
	if p >= 0 && p < len(v.moved) && v.moved[p] {
		return v.next.PreferenceList(p)
	}
	return v.ring.PreferenceList(p)
}

// converged reports whether every other member up routes by the same
// member states as this view (equal ring digests): every write of a moving
// partition then reaches its new owners.
func (v *clusterView) converged(self string) bool {
	for id, m := range v.states {
		if id != self && !v.ghosts[id] && v.isUp(id) && m.RingDigest != v.digest {
			return false
		}
	}
	return true
}

// allMoved reports whether every partition has moved to next.
func (v *clusterView) allMoved() bool { return !slices.Contains(v.moved, false) }

// pendingGains lists the partitions that id gains and does not hold yet.
func (v *clusterView) pendingGains(id string) []int {
	if !v.changing() {
		return nil
	}
	tr := v.transition()
	var out []int
	for p := range v.moved {
		if !v.ready(id, p) && slices.Contains(tr.Gainers(p, v.nmax), id) {
			out = append(out, p)
		}
	}
	return out
}

// writesTo reports whether id gets the writes of partition p: it is among
// the first nmax replicas of either ring.
func (v *clusterView) writesTo(id string, p int) bool {
	return slices.Contains(v.ring.Replicas(p, v.nmax), id) || slices.Contains(v.next.Replicas(p, v.nmax), id)
}

// ownership counts, over the lists reads use now, the partitions each
// member is first of (primary) and among the first n of (replica), and
// the replica slots there are in all.
func (v *clusterView) ownership(n int) (primary, replica map[string]int, slots int) {
	primary, replica = map[string]int{}, map[string]int{}
	for p := range v.moved {
		homes := v.prefs(p)
		homes = homes[:min(n, len(homes))]
		for i, id := range homes {
			if i == 0 {
				primary[id]++
			}
			replica[id]++
		}
		slots += len(homes)
	}
	return primary, replica, slots
}

// settled reports whether p's first n replicas are the same on both rings
// and so nothing of p is in motion.
func (v *clusterView) settled(p, n int) bool {
	return !v.changing() || !v.transition().Changing(p, n)
}

func (n *Node) setView(v *clusterView) {
	n.view.Store(v)
	select {
	case n.viewChanged <- struct{}{}:
	default:
	}
}

func (n *Node) selfInfo() members.Member {
	return members.Member{ID: n.id, Zone: n.cfg.Zone, Weight: n.cfg.Weight, Epoch: n.actor}
}

// targets places a request on a partition's preference list, as this
// node sees the cluster now. While the partition is in motion, the nodes
// of either ring outside its homes get every write too.
func (n *Node) targets(partition int, plan quorum.Plan) quorum.Targets {
	v := n.view.Load()
	pref := v.prefs(partition)
	t := quorum.Place(pref, plan, v.isUp)
	if v.changing() {
		// A removed node never gets one; a down node gets none from a
		// sloppy request (a strict one fails without its ack, as it
		// would without a home's).
		t.Forward = slices.DeleteFunc(v.transition().Extras(partition, plan.N, t.Homes), func(id string) bool {
			return v.ghosts[id] || (!plan.Strict && !v.isUp(id))
		})
	}
	return t
}
