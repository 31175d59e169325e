package actors

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	"github.com/quorumkv/quorumkv/members"
	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/ring"
	"github.com/quorumkv/quorumkv/storage"
	"github.com/quorumkv/quorumkv/transport"
)

// announceEvery is how many gossip rounds pass between announcements to
// every node on kv.internal.join: often enough that two halves of a healed
// partition find each other within seconds, rare enough to cost nothing.
const announceEvery = 20

// gossipTick drives one gossip round.
type gossipTick struct{ now time.Time }

// gossipIn is a digest that arrived from a peer.
type gossipIn struct{ msg *messages.Gossip }

// statusQuery asks the membership actor for a status snapshot.
type statusQuery struct{ reply chan []members.MemberStatus }

// membershipActor owns the member table: it bumps this node's heartbeat,
// gossips the table to a few random peers each interval, merges what peers
// send, runs the phi-accrual detector, and publishes a new cluster view
// whenever the member set or anyone's up/down status changes.
type membershipActor struct {
	env     *membershipEnv
	table   *members.Table
	rounds  int
	stopper chan struct{}
	joined  bool // some peer has been merged: this node is part of a cluster
	// savedSig identifies the member set last persisted.
	savedSig string
	// started is when the actor started, for JoinWait.
	started time.Time
	// view is the last view published; nmax the largest N it used.
	view *clusterView
	nmax int
	// leftRounds counts the gossip rounds since this node left; it stops
	// after a few, once its departure has spread.
	leftRounds int
	// ghostsDone are removed lives (id/epoch) whose partitions have all
	// moved: they are off the ring.
	ghostsDone map[string]bool
}

// membershipEnv is what the membership actor uses of its node: its id and
// configuration, the transport (to gossip), the data dir's metadata (the
// member list), the namespace table, and the places it publishes to (the
// cluster view, the hint index).
type membershipEnv struct {
	self      string
	cfg       *Config
	placement ring.Placement // the node's key placement, which members must share
	conn      transport.Conn
	db        *storage.DB
	ns        *namespaceTable
	metrics   *metrics
	log       *slog.Logger
	fatal     func(error)
	spawn     func(func())
	ownHints  *atomic.Pointer[[]*messages.HintSummary]
	setHints  func(holder string, sums []*messages.HintSummary)
	setView   func(*clusterView)
	state     *atomic.Uint32 // this node's members.State, for readers
}

// leftBroadcasts is how many gossip rounds a node that has left keeps
// announcing it to every peer before it stops.
const leftBroadcasts = 3

func newMembershipActor(n *Node) *membershipActor {
	self := n.selfInfo()
	self.Addr, self.Partitions, self.Incarnation = n.ClientURL(), n.cfg.Partitions, n.incarn
	self.Placement = int(n.placement)
	self.State, self.Ready = n.ringState.State, n.ringState.Ready
	cfg := members.DefaultConfig()
	cfg.Interval = n.cfg.GossipInterval
	env := &membershipEnv{self: n.id, cfg: &n.cfg, placement: n.placement, conn: n.conn, db: n.db, ns: n.ns, metrics: n.metrics, log: n.log,
		fatal: n.failFatal, spawn: n.goTracked, ownHints: &n.ownHints, setHints: n.setHints, setView: n.setView, state: &n.state}
	m := &membershipActor{env: env, table: members.NewTable(self, cfg, time.Now()), started: time.Now(), ghostsDone: map[string]bool{}}
	m.loadRemoved()
	m.loadKnown()
	return m
}

const (
	knownMembersMetaKey = "members"
	removedMetaKey      = "removed"
)

// loadKnown seeds the table with the members this node knew before it
// stopped, so a restarted node routes by the full ring from its first
// request instead of by a ring of itself. They count as up until their
// detectors say otherwise; requests to a node that is gone fail fast.
func (m *membershipActor) loadKnown() {
	raw, found, err := m.env.db.GetMeta(knownMembersMetaKey)
	if err != nil || !found {
		return
	}
	var known []members.Member
	if err := json.Unmarshal(raw, &known); err != nil {
		m.env.log.Warn("ignoring unreadable member list", "err", err)
		return
	}
	for i := range known {
		known[i].Heartbeat = 0 // any real heartbeat is newer
		if known[i].ID == m.env.self {
			known[i] = m.table.Self() // this node's own state is its own
		}
	}
	m.table.Merge(known, time.Now())
	m.publishView(time.Now())
}

// loadRemoved restores the node lives removed from the cluster.
func (m *membershipActor) loadRemoved() {
	raw, found, err := m.env.db.GetMeta(removedMetaKey)
	if err != nil || !found {
		return
	}
	var removed []members.Removal
	if err := json.Unmarshal(raw, &removed); err != nil {
		m.env.log.Warn("ignoring unreadable removed-member list", "err", err)
		return
	}
	for _, r := range removed {
		m.table.Remove(r)
	}
}

// saveKnown persists the member set when it changes (and the removed
// lives with it).
func (m *membershipActor) saveKnown(all []members.Member) {
	ids := make([]string, len(all))
	for i, mm := range all {
		ids[i] = fmt.Sprintf("%s/%s/%d/%s/%x", mm.ID, mm.Zone, mm.Weight, mm.State, mm.Ready)
	}
	for _, r := range m.table.Removed() {
		ids = append(ids, "-"+r.ID+"/"+r.Epoch)
	}
	sig := strings.Join(ids, ",")
	if sig == m.savedSig {
		return
	}
	raw, _ := json.Marshal(all)
	removed, _ := json.Marshal(m.table.Removed())
	if err := errors.Join(m.env.db.SetMeta(knownMembersMetaKey, raw), m.env.db.SetMeta(removedMetaKey, removed)); err != nil {
		m.env.log.Warn("cannot persist member list", "err", err)
		return
	}
	m.savedSig = sig
}

func (m *membershipActor) Receive(c actor.Context) {
	switch msg := c.Message().(type) {
	case *actor.Started:
		m.onStarted(c)
	case *gossipTick:
		m.onTick(msg.now)
	case *gossipIn:
		m.onGossip(msg.msg)
	case *statusQuery:
		msg.reply <- m.table.Status(time.Now())
	case *readyNote:
		m.onReady(msg)
	case *decommissionCmd:
		msg.reply <- m.onDecommission(msg)
	case *removeCmd:
		msg.reply <- m.onRemove(msg)
	case *actor.Stopping:
		close(m.stopper)
	}
}

func (m *membershipActor) onStarted(c actor.Context) {
	m.stopper = make(chan struct{})
	root, self, every, stop := c.ActorSystem().Root, c.Self(), m.env.cfg.GossipInterval, m.stopper
	m.env.spawn(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case now := <-t.C:
				root.Send(self, &gossipTick{now: now})
			}
		}
	})
	m.publish(messages.SubjectJoin, true)
}

func (m *membershipActor) onTick(now time.Time) {
	m.table.Tick(now)
	m.rounds++
	if m.table.Self().State == members.Left {
		m.broadcastLeft()
		return
	}
	peers := m.peerIDs()
	if len(peers) == 0 || m.rounds%announceEvery == 0 {
		m.publish(messages.SubjectJoin, len(peers) == 0)
	}
	rand.Shuffle(len(peers), func(i, j int) { peers[i], peers[j] = peers[j], peers[i] })
	for _, id := range peers[:min(len(peers), m.env.cfg.GossipFanout)] {
		m.publish(messages.GossipSubject(id), false)
	}
	if changed := m.table.Sweep(now); len(changed) > 0 || m.env.ns.maxN() != m.nmax {
		m.logChanges(changed, now)
		m.publishView(now)
	} else if m.advance(now) { // a join may finish by JoinWait passing
		m.buildView(now)
	}
}

func (m *membershipActor) onGossip(g *messages.Gossip) {
	now := time.Now()
	if m.mergeRemoved(g.Removed) {
		m.publishView(now)
	}
	digest := make([]members.Member, 0, len(g.Members))
	for _, mi := range g.Members {
		if !m.admit(mi) {
			continue
		}
		digest = append(digest, memberFromProto(mi))
	}
	if changed := m.table.Merge(digest, now); len(changed) > 0 {
		m.logChanges(changed, now)
		m.publishView(now)
	}
	if len(digest) > 0 && g.From != m.env.self {
		m.joined = true
	}
	m.env.ns.merge(g.Namespaces)
	if g.From != m.env.self && ValidNodeName(g.From) && len(g.Members) > 0 {
		m.env.setHints(g.From, g.Hints)
	}
	if g.WantReply && g.From != m.env.self && ValidNodeName(g.From) {
		m.publish(messages.GossipSubject(g.From), false)
	}
}

// admit refuses members that cannot share this cluster's ring: a node
// started with another partition count Q would place keys differently. A
// node that has not yet joined anyone and meets such a cluster stops: it is
// the one that is wrong.
func (m *membershipActor) admit(mi *messages.MemberInfo) bool {
	if mi.Id == m.env.self {
		return true // the table itself handles claims about this node
	}
	if !ValidNodeName(mi.Id) || mi.Weight < 1 || m.table.IsRemoved(mi.Id, mi.Epoch) {
		return false
	}
	err := layoutMismatch(mi, m.env.cfg.Partitions, m.env.placement)
	if err == nil {
		return true
	}
	m.env.log.Error("refusing member with a different layout", "member", mi.Id, "err", err)
	if !m.joined && len(m.env.cfg.Join) > 0 {
		m.env.fatal(err)
	}
	return false
}

// layoutMismatch says how a member's partition count or key placement
// differs from this node's, which no cluster can mix: the two would look
// for keys in different partitions.
func layoutMismatch(mi *messages.MemberInfo, partitions int, placement ring.Placement) error {
	if int(mi.Partitions) != partitions {
		return fmt.Errorf("member %s uses %d partitions, this node %d: a cluster's partition count never changes",
			mi.Id, mi.Partitions, partitions)
	}
	theirs := ring.Placement(max(mi.Placement, 1)) // nodes that predate placements use 1
	if theirs != placement {
		return fmt.Errorf("member %s places keys by placement %d, this node by %d: a cluster's placement never changes; "+
			"start a node with an empty data dir with --placement %d to join that cluster",
			mi.Id, theirs, placement, theirs)
	}
	return nil
}

func (m *membershipActor) peerIDs() []string {
	all := m.table.Members()
	out := make([]string, 0, len(all))
	for _, mm := range all {
		if mm.ID != m.env.self {
			out = append(out, mm.ID)
		}
	}
	return out
}

func (m *membershipActor) publish(subject string, wantReply bool) {
	g := &messages.Gossip{From: m.env.self, WantReply: wantReply, Namespaces: m.env.ns.list()}
	for _, r := range m.table.Removed() {
		g.Removed = append(g.Removed, &messages.RemovedMember{Id: r.ID, Epoch: r.Epoch})
	}
	if own := m.env.ownHints.Load(); own != nil {
		g.Hints = *own
	}
	for _, mm := range m.table.Digest() {
		g.Members = append(g.Members, memberToProto(mm))
	}
	b, err := proto.Marshal(g)
	if err == nil {
		err = m.env.conn.Publish(subject, b)
	}
	if err != nil && !errors.Is(err, transport.ErrClosed) {
		m.env.log.Debug("gossip publish failed", "subject", subject, "err", err)
	}
}

// publishView swaps in a new cluster view built from every known member
// (down members stay on the ring: down only reroutes, it never moves data).
func (m *membershipActor) publishView(now time.Time) {
	m.buildView(now)
	if m.advance(now) {
		m.buildView(now)
	}
}

func (m *membershipActor) logChanges(ids []string, now time.Time) {
	for _, id := range ids {
		if m.table.Up(id, now) {
			m.env.log.Info("member up", "member", id)
		} else {
			m.env.log.Warn("member down", "member", id, "phi", m.table.Phi(id, now))
		}
	}
}

// onGossip decodes a digest from NATS and hands it to the membership actor.
func (n *Node) onGossip(msg *nats.Msg) {
	g := &messages.Gossip{}
	if err := proto.Unmarshal(msg.Data, g); err != nil {
		n.log.Debug("dropping malformed gossip", "err", err)
		return
	}
	n.system.Root.Send(n.members, &gossipIn{msg: g})
}

func memberToProto(m members.Member) *messages.MemberInfo {
	return &messages.MemberInfo{Id: m.ID, Zone: m.Zone, Weight: uint32(m.Weight), Addr: m.Addr,
		Partitions: uint32(m.Partitions), Placement: uint32(m.Placement), Incarnation: m.Incarnation, Heartbeat: m.Heartbeat,
		State: messages.MemberState(m.State), Ready: m.Ready, Epoch: m.Epoch, RingDigest: m.RingDigest}
}

func memberFromProto(p *messages.MemberInfo) members.Member {
	return members.Member{ID: p.Id, Zone: p.Zone, Weight: int(p.Weight), Addr: p.Addr,
		Partitions: int(p.Partitions), Placement: int(p.Placement), Incarnation: p.Incarnation, Heartbeat: p.Heartbeat,
		State: members.State(p.State), Ready: p.Ready, Epoch: p.Epoch, RingDigest: p.RingDigest}
}
