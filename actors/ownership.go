package actors

import (
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/quorumkv/quorumkv/members"
	"github.com/quorumkv/quorumkv/messages"
)

// The membership actor also drives this node's own part in ownership
// changes: it promotes a joining node once it holds every partition it
// gains, lets a leaving node go once every partition it held has moved,
// and records removals. The copying itself is the transfer manager's.

// readyNote tells the membership actor that this node now holds partition
// p, received by transfer.
type readyNote struct{ partition int }

// decommissionCmd starts or cancels this node's departure.
type decommissionCmd struct {
	cancel, force bool
	reply         chan error
}

// removeCmd takes a dead node out of the ring.
type removeCmd struct {
	id    string
	force bool
	reply chan error
}

// buildView builds and publishes the view from the table, with the
// removed nodes whose partitions have not all moved yet kept on the
// current ring as leaving (and down), so that their partitions are found
// and copied from the other replicas.
func (m *membershipActor) buildView(now time.Time) {
	all := m.table.Members()
	up := map[string]bool{}
	for _, id := range m.table.UpMembers(now) {
		up[id] = true
	}
	m.nmax = m.env.ns.maxN()
	ghosts := m.ghosts()
	v := newClusterView(m.env.cfg.Partitions, append(all, ghosts...), up, m.nmax)
	if len(ghosts) > 0 && v.allMoved() {
		for _, g := range ghosts {
			m.ghostsDone[g.ID+"/"+g.Epoch] = true
			m.env.log.Info("removed member's partitions have moved", "member", g.ID)
		}
		ghosts = nil
		v = newClusterView(m.env.cfg.Partitions, all, up, m.nmax)
	}
	for _, g := range ghosts {
		v.ghosts[g.ID] = true
	}
	v.digest = ringDigest(all, m.table.Removed())
	if m.table.Self().RingDigest != v.digest {
		m.table.SetRingDigest(v.digest)
		m.broadcast()
	}
	m.view = v
	m.env.setView(v)
	m.saveKnown(all)
	m.env.metrics.members.Set(float64(len(all)))
	m.env.metrics.membersUp.Set(float64(len(up)))
}

// ringDigest hashes what routing depends on: each member's id, epoch and
// state, and the removed lives. Two nodes with equal digests forward every
// write of a moving partition to the same nodes.
func ringDigest(all []members.Member, removed []members.Removal) uint64 {
	h := fnv.New64a()
	for _, m := range all {
		fmt.Fprintf(h, "%s/%s/%d;", m.ID, m.Epoch, m.State)
	}
	for _, r := range removed {
		fmt.Fprintf(h, "-%s/%s;", r.ID, r.Epoch)
	}
	return h.Sum64()
}

// ghosts are the removed lives still on the current ring.
func (m *membershipActor) ghosts() []members.Member {
	var out []members.Member
	for _, r := range m.table.Removed() {
		if r.Weight > 0 && r.ID != m.env.self && !m.ghostsDone[r.ID+"/"+r.Epoch] {
			out = append(out, members.Member{ID: r.ID, Zone: r.Zone, Weight: r.Weight, Epoch: r.Epoch, State: members.Leaving})
		}
	}
	return out
}

// advance moves this node's own state on when its part is done, and
// drops ready marks for partitions it no longer gets writes for. It
// reports whether anything changed (the view must then be rebuilt).
func (m *membershipActor) advance(now time.Time) bool {
	v, self := m.view, m.table.Self()
	changed := m.clearStaleReady(v)
	switch {
	case self.State == members.Joining && m.joinDone(v, now):
		m.env.log.Info("joined: this node holds every partition it owns")
		changed = m.setState(members.Active) || changed
	case self.State == members.Leaving && m.departureDone(v):
		m.env.log.Info("left: every partition this node held has moved")
		changed = m.setState(members.Left) || changed
	}
	return changed
}

// joinDone: a joining node joins once it holds every partition it gains.
// Where no member owns anything yet (all are joining), there is nothing to
// copy: it joins once it has heard from the cluster, or after JoinWait
// with nobody to hear from.
func (m *membershipActor) joinDone(v *clusterView, now time.Time) bool {
	if v.bootstrap {
		return m.joined || now.Sub(m.started) >= m.env.cfg.JoinWait
	}
	return len(v.pendingGains(m.env.self)) == 0
}

// departureDone: a leaving node leaves once every partition has moved and
// it holds no hints (they would leave with it).
func (m *membershipActor) departureDone(v *clusterView) bool {
	if own := m.env.ownHints.Load(); own != nil && len(*own) > 0 {
		return false
	}
	return v.changing() && v.allMoved()
}

// clearStaleReady drops the ready mark of every partition whose writes
// this node no longer receives: what it holds of it goes stale.
func (m *membershipActor) clearStaleReady(v *clusterView) bool {
	self := m.table.Self()
	ready := slices.Clone(self.Ready)
	for p := range m.env.cfg.Partitions {
		if self.ReadyFor(p) && !v.writesTo(m.env.self, p) {
			ready = clearBit(ready, p)
		}
	}
	if slices.Equal(ready, self.Ready) {
		return false
	}
	m.table.SetReady(ready)
	m.saveState()
	return true
}

func (m *membershipActor) setState(s members.State) bool {
	if m.table.Self().State == s {
		return false
	}
	m.table.SetState(s)
	m.saveState()
	m.broadcast()
	return true
}

func (m *membershipActor) saveState() {
	self := m.table.Self()
	m.env.state.Store(uint32(self.State))
	if err := saveRingState(m.env.db, ringState{State: self.State, Ready: self.Ready}); err != nil {
		m.env.fatal(err)
	}
}

// broadcast sends this node's digest to every peer at once: a change of
// state or a new ready partition must not wait for random gossip.
func (m *membershipActor) broadcast() {
	for _, id := range m.peerIDs() {
		m.publish(messages.GossipSubject(id), false)
	}
}

// broadcastLeft repeats a departure to every peer for a few rounds, then
// stops the node.
func (m *membershipActor) broadcastLeft() {
	m.broadcast()
	m.leftRounds++
	if m.leftRounds == leftBroadcasts {
		m.env.fatal(ErrLeft)
	}
}

// onReady marks partition p held, if this node still gains it.
func (m *membershipActor) onReady(r *readyNote) {
	if !slices.Contains(m.view.transition().Gainers(r.partition, m.view.nmax), m.env.self) {
		return
	}
	m.table.SetReady(setBit(slices.Clone(m.table.Self().Ready), r.partition))
	m.saveState()
	m.broadcast()
	m.publishView(time.Now())
}

// mergeRemoved records removals a peer sent; it reports whether any was
// new. A node that learns it was removed itself stops for good.
func (m *membershipActor) mergeRemoved(rs []*messages.RemovedMember) bool {
	changed := false
	self := m.table.Self()
	for _, r := range rs {
		if r.Id == self.ID && r.Epoch == self.Epoch {
			if self.State != members.Left {
				m.table.SetState(members.Left)
				m.saveState()
				m.env.fatal(errors.New("this node was removed from the cluster: wipe its data dir to add it again as a new node"))
			}
			continue
		}
		if ValidNodeName(r.Id) && m.table.Remove(members.Removal{ID: r.Id, Epoch: r.Epoch, Zone: r.Zone, Weight: int(r.Weight)}) {
			m.env.log.Info("member removed from the cluster", "member", r.Id)
			changed = true
		}
	}
	return changed
}

// onDecommission starts this node's departure, or cancels it.
func (m *membershipActor) onDecommission(c *decommissionCmd) error {
	state := m.table.Self().State
	if c.cancel {
		if state == members.Leaving {
			m.env.log.Info("decommission cancelled")
			m.setState(members.Active)
			m.publishView(time.Now())
		}
		return nil
	}
	switch state {
	case members.Leaving:
		return nil
	case members.Joining:
		return badArg("%s is still joining: wait until it has joined, then decommission it", m.env.self)
	}
	if err := m.checkDeparture(m.env.self, c.force); err != nil {
		return err
	}
	m.env.log.Info("decommissioning: handing every partition to its next owners")
	m.setState(members.Leaving)
	m.publishView(time.Now())
	return nil
}

// onRemove takes a dead node out of the ring; the other replicas of its
// partitions copy them to the new owners.
func (m *membershipActor) onRemove(c *removeCmd) error {
	if c.id == m.env.self {
		// Any node may answer a removal, the target too while it is up.
		return badArg("%s is up (it answered this request): decommission it instead", c.id)
	}
	target, ok := m.table.Member(c.id)
	if !ok {
		return badArg("unknown node %q: it is not a member of this cluster", c.id)
	}
	if m.table.Up(c.id, time.Now()) && !c.force {
		return badArg("%s is up: decommission it instead, or remove it with --force if it is gone for good", c.id)
	}
	if err := m.checkDeparture(c.id, c.force); err != nil {
		return err
	}
	m.table.Remove(members.Removal{ID: target.ID, Epoch: target.Epoch, Zone: target.Zone, Weight: target.Weight})
	m.env.log.Info("member removed from the cluster; its partitions are re-replicated", "member", c.id)
	m.publishView(time.Now())
	m.broadcast()
	return nil
}

// checkDeparture refuses a departure that leaves no node, or (unless
// forced) fewer nodes than some namespace's N, or one while another is
// under way.
func (m *membershipActor) checkDeparture(id string, force bool) error {
	remaining, other := 0, ""
	for _, mm := range m.table.Members() {
		switch {
		case mm.ID == id:
		case mm.State == members.Leaving:
			other = mm.ID
		case mm.State == members.Active || mm.State == members.Joining:
			remaining++
		}
	}
	if ghosts := m.ghosts(); len(ghosts) > 0 && other == "" {
		other = ghosts[0].ID
	}
	switch {
	case remaining == 0:
		return badArg("%s is the last node: there would be nowhere to move its data", id)
	case force:
		return nil
	case other != "":
		return badArg("%s is leaving already: wait until its partitions have moved (or use --force)", other)
	case remaining < m.env.ns.maxN():
		return badArg("removing %s leaves %d node(s), fewer than the largest namespace n=%d: use --force to accept fewer copies", id, remaining, m.env.ns.maxN())
	}
	return nil
}

func badArg(format string, args ...any) error {
	return errorf(messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, format, args...)
}
