package members

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"time"
)

// Table is one node's view of the cluster: its own Member, what gossip has
// told it about every other node, and a failure detector per peer.
//
// Table is not safe for concurrent use (one actor owns it).
type Table struct {
	cfg      Config
	self     Member
	selfTick time.Time // last Tick (or creation), for Status of self
	peers    map[string]*peer
	// forgotten maps a forgotten ID to the incarnation it was forgotten
	// at, so that gossip still carrying that incarnation cannot resurrect
	// it; a restart (higher incarnation) does bring it back.
	forgotten map[string]uint64
	// removed maps an ID to its life that was taken out of the cluster
	// (decommissioned, or removed while dead): gossip about that life is
	// ignored for good.
	removed map[string]Removal
}

type peer struct {
	m   Member
	det *Detector
	up  bool // status last reported by Merge or Sweep
}

// NewTable returns a table that knows only self. cfg is validated (zero
// fields take defaults). NewTable panics if cfg is invalid or self.ID is
// empty: both are programming errors, and Validate reports the former
// beforehand.
func NewTable(self Member, cfg Config, now time.Time) *Table {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	if self.ID == "" {
		panic("members: NewTable: self has an empty ID")
	}
	return &Table{
		cfg:       cfg,
		self:      self,
		selfTick:  now,
		peers:     make(map[string]*peer),
		forgotten: make(map[string]uint64),
		removed:   make(map[string]Removal),
	}
}

// Config returns the validated configuration in use.
func (t *Table) Config() Config { return t.cfg }

// Tick advances self's heartbeat by one (call every Interval).
func (t *Table) Tick(now time.Time) {
	t.self.Heartbeat++
	t.selfTick = now
}

// SetState sets self's State. It also advances the heartbeat, since peers
// only take an entry whose (Incarnation, Heartbeat) is newer: without it
// the change would wait for the next Tick to spread.
func (t *Table) SetState(s State) {
	if t.self.State != s {
		t.self.State = s
		t.self.Heartbeat++
	}
}

// SetReady replaces self's Ready bitmap (copied), advancing the heartbeat
// when it changes, as SetState does.
func (t *Table) SetReady(ready []byte) {
	if !bytes.Equal(t.self.Ready, ready) {
		t.self.Ready = bytes.Clone(ready)
		t.self.Heartbeat++
	}
}

// SetRingDigest replaces self's RingDigest, advancing the heartbeat when
// it changes, as SetState does.
func (t *Table) SetRingDigest(d uint64) {
	if t.self.RingDigest != d {
		t.self.RingDigest = d
		t.self.Heartbeat++
	}
}

// Remove records that the life r.ID, r.Epoch of a node is out of the
// cluster for good, and forgets the member if the table holds that life
// (taking its zone and weight into the record when r lacks them). It
// reports whether the record is new. Removing self only records it: the
// owner decides what a node that was removed does.
func (t *Table) Remove(r Removal) bool {
	if r.ID == "" {
		return false
	}
	if old, ok := t.removed[r.ID]; ok && old.Epoch == r.Epoch {
		return false
	}
	if p, ok := t.peers[r.ID]; ok && p.m.Epoch == r.Epoch {
		if r.Weight == 0 {
			r.Zone, r.Weight = p.m.Zone, p.m.Weight
		}
		delete(t.peers, r.ID) // the removal record keeps it out, at any incarnation
	}
	t.removed[r.ID] = r
	return true
}

// Removed returns the removal records, sorted by ID.
func (t *Table) Removed() []Removal {
	out := make([]Removal, 0, len(t.removed))
	for _, r := range t.removed {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Removal) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// IsRemoved reports whether the life (id, epoch) was removed.
func (t *Table) IsRemoved(id, epoch string) bool {
	r, ok := t.removed[id]
	return ok && r.Epoch == epoch
}

// Removal names one node life taken out of the cluster, with the zone and
// weight it had (0 when unknown), so that its partitions can still be
// found on the ring while they move to their new owners.
type Removal struct {
	ID, Epoch string
	Zone      string
	Weight    int
}

// Self returns self's current Member.
func (t *Table) Self() Member { return t.self }

// Digest returns every known member (self included), sorted by ID, for
// sending to peers. Down members are included: their last entry must keep
// spreading so that every node computes the ring from the same set.
func (t *Table) Digest() []Member { return t.Members() }

// Members returns every known member (self included, up or down) sorted by
// ID. The ring is computed from all of them: being down only reroutes
// requests, it never moves data.
func (t *Table) Members() []Member {
	out := make([]Member, 0, len(t.peers)+1)
	out = append(out, t.self)
	for _, p := range t.peers {
		out = append(out, p.m)
	}
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Member returns what the table holds about id.
func (t *Table) Member(id string) (Member, bool) {
	if id == t.self.ID {
		return t.self, true
	}
	if p, ok := t.peers[id]; ok {
		return p.m, true
	}
	return Member{}, false
}

// Merge folds a peer's digest in, at now. For each entry:
//   - an entry about self is ignored, unless it is newer than self: then it
//     was written by an older process of ours that had got further, and
//     self's incarnation is bumped above it so that our own entry wins
//     again everywhere;
//   - an unknown member is added, its detector starting now (unless it was
//     forgotten at this incarnation or a later one);
//   - a known member is replaced if the entry is newer (see Member.Newer).
//     A higher incarnation resets the detector's history, a higher heartbeat
//     records an arrival at now.
//
// An entry about a removed life is ignored; an entry in state Left records
// the removal of its life (see [Table.Remove]) and is reported.
//
// It returns, sorted, the IDs that are new, removed, whose State or Ready
// changed, and those whose Up/Down status at now differs from the one last
// reported by Merge or Sweep (which includes peers that went down by
// silence alone), so that the caller knows when to recompute routing.
func (t *Table) Merge(digest []Member, now time.Time) []string {
	var changed []string
	for _, m := range digest {
		switch {
		case m.ID == "":
			// Malformed; nothing can refer to it.
		case m.ID == t.self.ID:
			t.mergeSelf(m)
		default:
			if t.mergePeer(m, now) {
				changed = append(changed, m.ID)
			}
		}
	}
	changed = append(changed, t.Sweep(now)...)
	slices.Sort(changed)
	return slices.Compact(changed)
}

// mergeSelf handles a claim about self. Any claim newer than self comes from
// an older process of ours (a restart that kept the incarnation, or one
// whose entry is still gossiped around), so we move past it. The spec's
// rule ("higher incarnation") is extended to an equal incarnation with a
// higher heartbeat: otherwise a node restarted with an unchanged
// incarnation would look silent to every peer until its counter caught up.
func (t *Table) mergeSelf(claim Member) {
	if !claim.Newer(t.self) {
		return
	}
	if claim.Incarnation == math.MaxUint64 {
		// Cannot be beaten; wrapping to 0 would lose to everything.
		return
	}
	t.self.Incarnation = claim.Incarnation + 1
}

// mergePeer applies one entry about another node and reports whether
// routing may change: the node is new or removed, or its state or ready
// partitions changed.
func (t *Table) mergePeer(m Member, now time.Time) bool {
	if t.IsRemoved(m.ID, m.Epoch) {
		return false
	}
	if m.State == Left {
		return t.Remove(Removal{ID: m.ID, Epoch: m.Epoch, Zone: m.Zone, Weight: m.Weight})
	}
	p, known := t.peers[m.ID]
	if !known {
		if inc, gone := t.forgotten[m.ID]; gone {
			if m.Incarnation <= inc {
				return false
			}
			delete(t.forgotten, m.ID)
		}
		t.peers[m.ID] = &peer{m: m, det: NewDetector(t.cfg, now), up: true}
		return true
	}
	if !m.Newer(p.m) {
		return false
	}
	if m.Incarnation > p.m.Incarnation {
		p.det.Reset(now)
	} else {
		p.det.Heartbeat(now)
	}
	changed := !m.sameRole(p.m) || m.Epoch != p.m.Epoch
	p.m = m
	return changed
}

// Sweep re-evaluates every peer's status at now and returns, sorted, the IDs
// whose Up/Down status changed since last reported. Merge calls it; the
// owner should also call it on every Tick, because a peer goes down by
// silence, when no digest mentions it.
func (t *Table) Sweep(now time.Time) []string {
	var changed []string
	for id, p := range t.peers {
		if up := t.peerUp(p, now); up != p.up {
			p.up = up
			changed = append(changed, id)
		}
	}
	slices.Sort(changed)
	return changed
}

func (t *Table) peerUp(p *peer, now time.Time) bool {
	return p.det.Phi(now) < t.cfg.PhiThreshold
}

// Phi returns the suspicion level of member id at now (0 for self, +Inf for
// unknown).
func (t *Table) Phi(id string, now time.Time) float64 {
	if id == t.self.ID {
		return 0
	}
	p, ok := t.peers[id]
	if !ok {
		return math.Inf(1)
	}
	return p.det.Phi(now)
}

// Up reports whether phi < PhiThreshold at now. Self is always up; an
// unknown member is not.
func (t *Table) Up(id string, now time.Time) bool {
	return t.Phi(id, now) < t.cfg.PhiThreshold
}

// Status returns, for every member sorted by ID, the Member, whether it is
// up, its phi and the age of its last heartbeat advance at now.
func (t *Table) Status(now time.Time) []MemberStatus {
	ms := t.Members()
	out := make([]MemberStatus, len(ms))
	for i, m := range ms {
		s := MemberStatus{Member: m, Up: true, LastHeard: now.Sub(t.selfTick)}
		if p, ok := t.peers[m.ID]; ok {
			s.Phi = p.det.Phi(now)
			s.Up = s.Phi < t.cfg.PhiThreshold
			s.LastHeard = now.Sub(p.det.LastArrival())
		}
		out[i] = s
	}
	return out
}

// UpMembers returns the IDs up at now, sorted, self included.
func (t *Table) UpMembers(now time.Time) []string {
	out := []string{t.self.ID}
	for id, p := range t.peers {
		if t.peerUp(p, now) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// Forget removes member id (for decommissioning). Gossip still carrying the
// member at the incarnation it had here, or an older one, is ignored from
// then on, so it does not come back from peers that have not forgotten it
// yet; a restarted node (higher incarnation) is welcomed again. Forgetting
// self or an unknown ID does nothing.
func (t *Table) Forget(id string) {
	p, ok := t.peers[id]
	if !ok {
		return
	}
	t.forgotten[id] = p.m.Incarnation
	delete(t.peers, id)
}
