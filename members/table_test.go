package members

import (
	"math"
	"reflect"
	"slices"
	"testing"
	"time"
)

func node(id string, inc, hb uint64) Member {
	return Member{ID: id, Zone: "z-" + id, Weight: 1, Addr: "nats://" + id, Partitions: 64, Incarnation: inc, Heartbeat: hb}
}

func newTable(id string) *Table {
	return NewTable(node(id, 1, 0), Config{}, epoch)
}

func mustMember(t *testing.T, tb *Table, id string) Member {
	t.Helper()
	m, ok := tb.Member(id)
	if !ok {
		t.Fatalf("%s unknown", id)
	}
	return m
}

func TestMergeUnknownKnownStaleNewer(t *testing.T) {
	tb := newTable("a")
	now := epoch.Add(time.Second)
	if got := tb.Merge([]Member{node("b", 1, 5), node("c", 2, 1)}, now); !slices.Equal(got, []string{"b", "c"}) {
		t.Fatalf("new members reported as %v", got)
	}
	if d := tb.peers["b"].det; !d.LastArrival().Equal(now) || d.Samples() != 0 {
		t.Fatal("a new member's detector must start at merge time")
	}

	now = now.Add(DefaultInterval)
	stale := node("b", 1, 4)
	stale.Zone = "stale"
	equal := node("c", 2, 1)
	equal.Zone = "equal"
	if got := tb.Merge([]Member{stale, equal}, now); len(got) != 0 {
		t.Fatalf("stale/equal entries reported %v", got)
	}
	if mustMember(t, tb, "b").Zone != "z-b" || mustMember(t, tb, "c").Zone != "z-c" {
		t.Fatal("a stale or equal entry replaced the held one")
	}
	if tb.peers["b"].det.Samples() != 0 {
		t.Fatal("a stale entry recorded an arrival")
	}

	newer := node("b", 1, 6)
	newer.Weight = 3
	if got := tb.Merge([]Member{newer}, now); len(got) != 0 {
		t.Fatalf("a heartbeat advance of an up member reported %v", got)
	}
	if m := mustMember(t, tb, "b"); !reflect.DeepEqual(m, newer) {
		t.Fatalf("newer entry not taken: %+v", m)
	}
	if d := tb.peers["b"].det; d.Samples() != 1 || !d.LastArrival().Equal(now) {
		t.Fatal("a heartbeat advance must record an arrival")
	}
}

func TestIncarnationSupersedesHeartbeat(t *testing.T) {
	tb := newTable("a")
	tb.Merge([]Member{node("b", 1, 1000)}, epoch)
	now := feedPeer(tb, "b", 1, 1001, 10, epoch)
	if tb.peers["b"].det.Samples() != 10 {
		t.Fatal("setup: expected 10 samples")
	}
	restarted := node("b", 2, 1)
	restarted.Addr = "nats://b-new"
	tb.Merge([]Member{restarted}, now)
	if m := mustMember(t, tb, "b"); !reflect.DeepEqual(m, restarted) {
		t.Fatalf("higher incarnation with lower heartbeat not taken: %+v", m)
	}
	if d := tb.peers["b"].det; d.Samples() != 0 || !d.LastArrival().Equal(now) {
		t.Fatal("a new incarnation must reset the detector")
	}
	// The old process's entries, whatever their heartbeat, are now stale.
	tb.Merge([]Member{node("b", 1, 99999)}, now)
	if m := mustMember(t, tb, "b"); !reflect.DeepEqual(m, restarted) {
		t.Fatalf("old incarnation overrode the new one: %+v", m)
	}
}

// feedPeer merges n heartbeat advances of id, hb from..from+n-1, one
// Interval apart after now, and returns the last merge time.
func feedPeer(tb *Table, id string, inc, from uint64, n int, now time.Time) time.Time {
	for i := range n {
		now = now.Add(DefaultInterval)
		tb.Merge([]Member{node(id, inc, from+uint64(i))}, now)
	}
	return now
}

func TestPeerKilledGoesDownAndComesBack(t *testing.T) {
	tb := newTable("a")
	tb.Merge([]Member{node("b", 1, 0)}, epoch)
	last := feedPeer(tb, "b", 1, 1, 100, epoch)
	if !tb.Up("b", last) {
		t.Fatal("b should be up while heartbeating")
	}
	// b dies: step the fake clock, sweeping as the owner would.
	var downAt time.Duration
	for e := time.Millisecond; e < time.Minute; e += time.Millisecond {
		if got := tb.Sweep(last.Add(e)); len(got) > 0 {
			if !slices.Equal(got, []string{"b"}) || tb.Up("b", last.Add(e)) {
				t.Fatalf("sweep reported %v at %v", got, e)
			}
			downAt = e
			break
		}
		if !tb.Up("b", last.Add(e)) {
			t.Fatalf("b down at %v but the sweep did not say so", e)
		}
	}
	if downAt < detectMin || downAt > detectMax {
		t.Fatalf("b went down %v after its last heartbeat, want [%v, %v]", downAt, detectMin, detectMax)
	}
	now := last.Add(10 * time.Second)
	if got := tb.UpMembers(now); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("UpMembers = %v", got)
	}
	if got := tb.Members(); len(got) != 2 {
		t.Fatalf("a down member must stay in Members: %v", got)
	}
	// Heartbeats resume.
	if got := tb.Merge([]Member{node("b", 1, 101)}, now); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("b coming back reported %v", got)
	}
	if !tb.Up("b", now) {
		t.Fatal("b should be up again")
	}
}

func TestRestartedPeerComesBackUp(t *testing.T) {
	tb := newTable("a")
	tb.Merge([]Member{node("b", 1, 0)}, epoch)
	last := feedPeer(tb, "b", 1, 1, 100, epoch)
	now := last.Add(30 * time.Second)
	if got := tb.Sweep(now); !slices.Equal(got, []string{"b"}) || tb.Up("b", now) {
		t.Fatalf("b should have gone down: %v", got)
	}
	if got := tb.Merge([]Member{node("b", 2, 1)}, now); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("restart reported %v", got)
	}
	if !tb.Up("b", now) || mustMember(t, tb, "b").Incarnation != 2 {
		t.Fatal("restarted b should be up at incarnation 2")
	}
	last = feedPeer(tb, "b", 2, 2, 20, now)
	if !tb.Up("b", last.Add(DefaultInterval)) {
		t.Fatal("restarted b should stay up while heartbeating")
	}
}

func TestSelfClaims(t *testing.T) {
	tb := NewTable(node("a", 5, 10), Config{}, epoch)
	for _, claim := range []Member{node("a", 4, 1000), node("a", 5, 10), node("a", 5, 3)} {
		if got := tb.Merge([]Member{claim}, epoch); len(got) != 0 {
			t.Fatalf("claim %+v reported %v", claim, got)
		}
		if s := tb.Self(); !reflect.DeepEqual(s, node("a", 5, 10)) {
			t.Fatalf("claim %+v not about a newer self changed self to %+v", claim, s)
		}
	}
	// An older process of ours with a higher incarnation.
	bogus := node("a", 9, 1)
	bogus.Zone = "elsewhere"
	tb.Merge([]Member{bogus}, epoch)
	s := tb.Self()
	if s.Incarnation != 10 || s.Zone != "z-a" || s.Heartbeat != 10 {
		t.Fatalf("after a claim at incarnation 9, self = %+v", s)
	}
	// Same incarnation, higher heartbeat: a restart that kept its
	// incarnation. We must move past it too.
	tb.Merge([]Member{node("a", 10, 500)}, epoch)
	if s := tb.Self(); s.Incarnation != 11 {
		t.Fatalf("after a claim (10, 500), self = %+v", s)
	}
	tb.Merge([]Member{node("a", math.MaxUint64, 0)}, epoch)
	if s := tb.Self(); s.Incarnation != 11 {
		t.Fatalf("an unbeatable claim wrapped the incarnation: %+v", s)
	}
	if len(tb.Members()) != 1 {
		t.Fatal("claims about self must not add members")
	}
	if tb.Phi("a", epoch.Add(time.Hour)) != 0 || !tb.Up("a", epoch.Add(time.Hour)) {
		t.Fatal("self must always be up with phi 0")
	}
}

func TestDigestSortedIncludesSelf(t *testing.T) {
	tb := newTable("m")
	tb.Merge([]Member{node("z", 1, 1), node("b", 1, 1), {ID: ""}, node("q", 1, 1)}, epoch)
	tb.Tick(epoch.Add(DefaultInterval))
	var ids []string
	for _, m := range tb.Digest() {
		ids = append(ids, m.ID)
	}
	if !slices.Equal(ids, []string{"b", "m", "q", "z"}) {
		t.Fatalf("digest IDs %v", ids)
	}
	if self := tb.Digest()[1]; !reflect.DeepEqual(self, tb.Self()) || self.Heartbeat != 1 {
		t.Fatalf("digest's self entry %+v, Self %+v", self, tb.Self())
	}
	if !reflect.DeepEqual(tb.Digest(), tb.Members()) {
		t.Fatal("Digest and Members disagree")
	}
	// The digest is a copy.
	d := tb.Digest()
	d[0].Heartbeat = 999
	if mustMember(t, tb, "b").Heartbeat == 999 {
		t.Fatal("Digest aliases the table")
	}
}

func TestMergeIdempotent(t *testing.T) {
	tb := newTable("a")
	tb.Merge([]Member{node("b", 1, 1), node("c", 1, 1)}, epoch)
	now := epoch.Add(DefaultInterval)
	digest := []Member{node("a", 1, 0), node("b", 1, 2), node("c", 2, 1), node("d", 1, 7)}
	first := tb.Merge(digest, now)
	if !slices.Equal(first, []string{"d"}) {
		t.Fatalf("first merge reported %v", first)
	}
	before := snapshot(tb, now)
	if got := tb.Merge(digest, now); len(got) != 0 {
		t.Fatalf("second merge reported %v", got)
	}
	if after := snapshot(tb, now); !reflect.DeepEqual(before, after) {
		t.Fatalf("second merge changed the table:\n%+v\n%+v", before, after)
	}
}

type peerState struct {
	m       Member
	samples int
	last    time.Time
	up      bool
}

func snapshot(tb *Table, now time.Time) map[string]any {
	s := map[string]any{"self": tb.Self(), "status": tb.Status(now)}
	for id, p := range tb.peers {
		s[id] = peerState{p.m, p.det.Samples(), p.det.LastArrival(), p.up}
	}
	return s
}

func TestStatusAndUpMembers(t *testing.T) {
	tb := newTable("b")
	tb.Merge([]Member{node("a", 1, 1), node("c", 1, 1)}, epoch)
	now := epoch.Add(5 * time.Second)
	tb.Tick(now.Add(-100 * time.Millisecond))
	tb.Merge([]Member{node("c", 1, 2)}, now.Add(-200*time.Millisecond))
	st := tb.Status(now)
	if len(st) != 3 || st[0].Member.ID != "a" || st[1].Member.ID != "b" || st[2].Member.ID != "c" {
		t.Fatalf("status not sorted: %+v", st)
	}
	a, b, c := st[0], st[1], st[2]
	if a.Up || a.Phi < DefaultPhiThreshold || a.LastHeard != 5*time.Second {
		t.Fatalf("a: %+v", a)
	}
	if !b.Up || b.Phi != 0 || b.LastHeard != 100*time.Millisecond || !reflect.DeepEqual(b.Member, tb.Self()) {
		t.Fatalf("self: %+v", b)
	}
	if !c.Up || c.LastHeard != 200*time.Millisecond || c.Phi != tb.Phi("c", now) {
		t.Fatalf("c: %+v", c)
	}
	if got := tb.UpMembers(now); !slices.Equal(got, []string{"b", "c"}) {
		t.Fatalf("UpMembers = %v", got)
	}
	if !math.IsInf(tb.Phi("nobody", now), 1) || tb.Up("nobody", now) {
		t.Fatal("an unknown member must have phi +Inf and be down")
	}
}

func TestForget(t *testing.T) {
	tb := newTable("a")
	tb.Merge([]Member{node("b", 3, 10)}, epoch)
	tb.Forget("b")
	tb.Forget("a")      // self: no-op
	tb.Forget("nobody") // unknown: no-op
	if _, ok := tb.Member("b"); ok || len(tb.Members()) != 1 {
		t.Fatal("b not forgotten")
	}
	// Peers still gossiping b's old incarnation do not resurrect it.
	if got := tb.Merge([]Member{node("b", 3, 11), node("b", 2, 50)}, epoch); len(got) != 0 {
		t.Fatalf("forgotten b came back: %v", got)
	}
	// A restarted b does.
	if got := tb.Merge([]Member{node("b", 4, 1)}, epoch); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("restarted b reported %v", got)
	}
}

func TestSetStateSpreads(t *testing.T) {
	a, b := newTable("a"), newTable("b")
	b.Merge(a.Digest(), epoch)
	a.SetState(Leaving)
	if got := b.Merge(a.Digest(), epoch); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("a state change was reported as %v, want [a]", got)
	}
	if mustMember(t, b, "a").State != Leaving {
		t.Fatal("the state did not spread before the next Tick")
	}
	hb := a.Self().Heartbeat
	a.SetState(Leaving)
	if a.Self().Heartbeat != hb {
		t.Fatal("setting the state to its current value bumped the heartbeat")
	}
}

func TestSetReadySpreads(t *testing.T) {
	a, b := newTable("a"), newTable("b")
	b.Merge(a.Digest(), epoch)
	bits := []byte{0, 0b100}
	a.SetReady(bits)
	bits[1] = 0 // SetReady copies
	if got := b.Merge(a.Digest(), epoch); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("a ready change was reported as %v, want [a]", got)
	}
	m := mustMember(t, b, "a")
	if !m.ReadyFor(10) || m.ReadyFor(9) || m.ReadyFor(100) || m.ReadyFor(-1) {
		t.Fatalf("ready bits %08b: want exactly partition 10", m.Ready)
	}
}

func TestRemovedLifeNeverComesBack(t *testing.T) {
	tb := newTable("a")
	b1 := node("b", 1, 5)
	b1.Epoch = "b.1"
	tb.Merge([]Member{b1}, epoch)
	if !tb.Remove(Removal{ID: "b", Epoch: "b.1"}) || tb.Remove(Removal{ID: "b", Epoch: "b.1"}) {
		t.Fatal("Remove must report a new record once")
	}
	if _, ok := tb.Member("b"); ok {
		t.Fatal("the removed life is still a member")
	}
	b1.Incarnation, b1.Heartbeat = 9, 99 // even a restart of that life
	if got := tb.Merge([]Member{b1}, epoch); len(got) != 0 {
		t.Fatalf("removed life came back: %v", got)
	}
	b2 := node("b", 1, 1)
	b2.Epoch = "b.2" // a wiped data dir is a new life
	if got := tb.Merge([]Member{b2}, epoch); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("new life of b reported %v", got)
	}
	if rs := tb.Removed(); len(rs) != 1 || rs[0] != (Removal{ID: "b", Epoch: "b.1", Zone: "z-b", Weight: 1}) {
		t.Fatalf("Removed() = %v", rs)
	}
}

func TestLeftRemovesTheLife(t *testing.T) {
	tb := newTable("a")
	c := node("c", 1, 5)
	c.Epoch = "c.x"
	tb.Merge([]Member{c}, epoch)
	c.Heartbeat, c.State = 6, Left
	if got := tb.Merge([]Member{c}, epoch); !slices.Equal(got, []string{"c"}) {
		t.Fatalf("a member that left was reported as %v", got)
	}
	if _, ok := tb.Member("c"); ok || !tb.IsRemoved("c", "c.x") {
		t.Fatal("a member that left is still in the table")
	}
}
