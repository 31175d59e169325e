package transport

import (
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// MemNet is an in-memory network of named endpoints (MemConn), which keeps
// the package's contract and adds the faults a real network has: cuts
// between endpoints, dropped, duplicated and delayed messages. It lets a
// whole quorumkv cluster run in one test process.
//
// Endpoints are named by what they stand for: a node id, or "client-1".
// Several endpoints may share a name (a node that opens two connections,
// or a node restarted under its old name while the old endpoint is still
// closing): faults apply to names, so endpoints sharing one are one host,
// and messages between them are never faulted.
//
// Routing follows one NATS server, with every subscription in one place:
//
//   - A message goes to every matching plain subscription and to one member
//     of each matching queue group, the member drawn with the seeded RNG.
//     Groups are keyed by queue name alone, as in NATS: members of one
//     group subscribed to different patterns still share each message.
//   - A subscription behind a cut, or one whose message is dropped, still
//     counts as a subscriber: NATS across a silent network cut sends no
//     no-responders status, the request just times out. A queue member is
//     drawn among all members, reachable or not, then the cut applies.
//   - Only a message that matches no subscription at all gets the
//     no-responders status. As in the NATS server, the status goes only to
//     the publishing endpoint, to its first plain subscription matching
//     the reply subject (Request's own reply subscription included), and
//     is never faulted: it comes from the publisher's own server. An
//     endpoint that is closed has no subscriptions, so requests to it get
//     no-responders at once; Isolate a node to make it silent instead.
//   - There is no "down but not closed" state: Close models a node (or its
//     connection) gone, Isolate a node unreachable. Connected is false
//     only once Close is done.
//
// Faults apply to each delivery of a message to a subscription of an
// endpoint with another name: a cut drops it, then it is dropped with the
// drop probability, else delivered twice with the duplicate probability,
// each copy delayed by a random duration in [0, max delay]. With no delay,
// a subscription receives one sender's messages in the order they were
// sent; delayed messages may overtake each other.
//
// All randomness comes from one RNG seeded by NewMemNet, drawn under the
// network's lock: runs are reproducible when the traffic's order is (one
// goroutine publishing); with concurrent senders, only the probabilities
// hold. The fault controls are safe to call during traffic.
type MemNet struct {
	mu       sync.Mutex
	rng      *rand.Rand
	subs     []*memSub // every live subscription, oldest first
	cuts     map[namePair]bool
	isolated map[string]bool
	drop     float64
	dup      float64
	delay    time.Duration
	stats    MemStats
}

// MemStats counts what a MemNet did with messages since it was made.
type MemStats struct {
	// Delivered counts messages queued to a subscription, each copy of a
	// duplicated message and each no-responders status included.
	Delivered uint64
	// Dropped counts deliveries lost to the drop probability.
	Dropped uint64
	// Cut counts deliveries lost to a cut (Cut, Isolate, Partition).
	Cut uint64
	// Duplicated counts the extra copies the duplicate probability made.
	Duplicated uint64
	// NoResponders counts no-responders statuses sent.
	NoResponders uint64
	// Lost counts delayed deliveries whose subscription had gone by the
	// time they landed.
	Lost uint64
}

// namePair is an unordered pair of endpoint names, smaller first.
type namePair struct{ a, b string }

func pairOf(a, b string) namePair {
	if b < a {
		a, b = b, a
	}
	return namePair{a, b}
}

// NewMemNet returns a network with no faults whose random choices (queue
// members, drops, duplicates, delays) all come from seed.
func NewMemNet(seed uint64) *MemNet {
	return &MemNet{
		rng:      rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		cuts:     map[namePair]bool{},
		isolated: map[string]bool{},
	}
}

// Endpoint returns a new connection to the network named name. It panics
// on an empty name, which could not be told apart in faults.
func (n *MemNet) Endpoint(name string) *MemConn {
	if name == "" {
		panic("transport: MemNet endpoint with an empty name")
	}
	return &MemConn{net: n, name: name, done: make(chan struct{}),
		subs: map[*memSub]struct{}{}, flights: map[chan struct{}]struct{}{}}
}

// Cut silently drops every message between endpoints named a and b, both
// ways, until Heal(a, b) or HealAll.
func (n *MemNet) Cut(a, b string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if a != b {
		n.cuts[pairOf(a, b)] = true
	}
}

// Heal undoes Cut(a, b). It does not undo Isolate.
func (n *MemNet) Heal(a, b string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.cuts, pairOf(a, b))
}

// Isolate cuts the endpoints named name from every other name, including
// names that appear later, until Rejoin(name) or HealAll.
func (n *MemNet) Isolate(name string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.isolated[name] = true
}

// Rejoin undoes Isolate(name); cuts made with Cut stay.
func (n *MemNet) Rejoin(name string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.isolated, name)
}

// Partition cuts every name of each group from every name of the others,
// as a network split into those groups would. Names in no group are left
// as they are.
func (n *MemNet) Partition(groups ...[]string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for i, g := range groups {
		for _, other := range groups[i+1:] {
			for _, a := range g {
				for _, b := range other {
					if a != b {
						n.cuts[pairOf(a, b)] = true
					}
				}
			}
		}
	}
}

// HealAll undoes every Cut, Isolate and Partition. Drop, duplicate and
// delay settings stay.
func (n *MemNet) HealAll() {
	n.mu.Lock()
	defer n.mu.Unlock()
	clear(n.cuts)
	clear(n.isolated)
}

// SetDrop makes each delivery between different names lost with
// probability p (clamped to [0, 1]).
func (n *MemNet) SetDrop(p float64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.drop = clampProb(p)
}

// SetDuplicate makes each delivery between different names that is not
// dropped happen twice with probability p (clamped to [0, 1]).
func (n *MemNet) SetDuplicate(p float64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.dup = clampProb(p)
}

// SetDelay delays each delivery between different names by a uniformly
// random duration in [0, maxDelay]; zero (or less) turns delays off.
func (n *MemNet) SetDelay(maxDelay time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.delay = max(maxDelay, 0)
}

// Stats returns the counts so far.
func (n *MemNet) Stats() MemStats {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.stats
}

func clampProb(p float64) float64 {
	if !(p > 0) { // NaN too
		return 0
	}
	return min(p, 1)
}

// route sends f, published by from, to its subscribers, or answers it
// with no-responders. The caller holds n.mu: everything a publish does to
// the network happens at one instant, so that Close and Unsubscribe,
// which take the same lock, never race with a half-routed message.
func (n *MemNet) route(from *MemConn, f *Msg) {
	targets := n.targets(f.Subject)
	if len(targets) == 0 {
		if f.Reply != "" {
			n.noResponders(from, f)
		}
		return
	}
	for _, s := range targets {
		n.send(from, s, f)
	}
}

// targets returns the subscriptions a message to subject goes to: every
// matching plain one and one member of each matching queue group.
func (n *MemNet) targets(subject string) []*memSub {
	tokens, ok := literalTokens(subject)
	if !ok {
		return nil
	}
	var out []*memSub
	var groups map[string][]*memSub
	var order []string // group names in first-seen order, for determinism
	for _, s := range n.subs {
		if !matchTokens(s.pattern, tokens) {
			continue
		}
		if s.queue == "" {
			out = append(out, s)
			continue
		}
		if groups == nil {
			groups = map[string][]*memSub{}
		}
		if _, seen := groups[s.queue]; !seen {
			order = append(order, s.queue)
		}
		groups[s.queue] = append(groups[s.queue], s)
	}
	for _, q := range order {
		out = append(out, pick(n.rng, groups[q]))
	}
	return out
}

func pick(rng *rand.Rand, members []*memSub) *memSub {
	if len(members) == 1 {
		return members[0]
	}
	return members[rng.IntN(len(members))]
}

// noResponders answers f on its reply subject, to the publisher only.
func (n *MemNet) noResponders(from *MemConn, f *Msg) {
	tokens, ok := literalTokens(f.Reply)
	if !ok {
		return
	}
	for _, s := range n.subs {
		if s.conn == from && s.queue == "" && matchTokens(s.pattern, tokens) {
			n.stats.NoResponders++
			n.enqueue(s, noRespondersMsg(f))
			return
		}
	}
}

// noRespondersMsg is the status the NATS server sends: no data, header
// Status 503 and (in the servers this module uses) Nats-Subject, the
// subject nobody answered; the conformance test checks both.
func noRespondersMsg(f *Msg) *Msg {
	return &Msg{Subject: f.Reply, Header: nats.Header{
		"Status":       {StatusNoResponders},
		"Nats-Subject": {f.Subject},
	}}
}

// send delivers f from from to s, through the faults.
func (n *MemNet) send(from *MemConn, s *memSub, f *Msg) {
	if from.name == s.conn.name {
		n.enqueue(s, f) // a host's messages to itself never cross the network
		return
	}
	if n.isCut(from.name, s.conn.name) {
		n.stats.Cut++
		return
	}
	if n.chance(n.drop) {
		n.stats.Dropped++
		return
	}
	copies := 1
	if n.chance(n.dup) {
		copies = 2
		n.stats.Duplicated++
	}
	for range copies {
		n.sendAfter(from, s, f, n.delayFor())
	}
}

func (n *MemNet) isCut(a, b string) bool {
	return n.isolated[a] || n.isolated[b] || n.cuts[pairOf(a, b)]
}

// chance draws from the RNG only when p is set, so that turning one fault
// on does not change the draws of a run that had it off.
func (n *MemNet) chance(p float64) bool {
	return p > 0 && n.rng.Float64() < p
}

func (n *MemNet) delayFor() time.Duration {
	if n.delay <= 0 {
		return 0
	}
	return time.Duration(n.rng.Int64N(int64(n.delay) + 1))
}

// sendAfter queues f to s after d. A delayed message is in flight until it
// lands; the sender's Flush waits for it.
func (n *MemNet) sendAfter(from *MemConn, s *memSub, f *Msg, d time.Duration) {
	if d == 0 {
		n.enqueue(s, f)
		return
	}
	landed := make(chan struct{})
	from.flights[landed] = struct{}{}
	time.AfterFunc(d, func() {
		n.mu.Lock()
		if s.live {
			n.enqueue(s, f)
		} else {
			n.stats.Lost++
		}
		delete(from.flights, landed)
		n.mu.Unlock()
		close(landed)
	})
}

// enqueue gives s its own copy of f. The caller holds n.mu.
func (n *MemNet) enqueue(s *memSub, f *Msg) {
	n.stats.Delivered++
	s.push(copyMsg(f))
}

// addSub puts s on the network. The caller holds n.mu.
func (n *MemNet) addSub(s *memSub) {
	n.subs = append(n.subs, s)
	s.conn.subs[s] = struct{}{}
}

// removeSub takes s off the network. The caller holds n.mu.
func (n *MemNet) removeSub(s *memSub) {
	s.live = false
	delete(s.conn.subs, s)
	if i := slices.Index(n.subs, s); i >= 0 {
		n.subs = slices.Delete(n.subs, i, i+1)
	}
}

// copyMsg returns a copy of m that shares no memory with it: a
// subscriber must not see another's (or the publisher's) mutations. An
// empty header becomes nil and empty data non-nil, as nats.go delivers
// them.
func copyMsg(m *Msg) *Msg {
	out := &Msg{Subject: m.Subject, Reply: m.Reply, Data: make([]byte, len(m.Data))}
	copy(out.Data, m.Data)
	if len(m.Header) > 0 {
		out.Header = make(nats.Header, len(m.Header))
		for k, v := range m.Header {
			out.Header[k] = slices.Clone(v)
		}
	}
	return out
}
