package actors

import (
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
)

// coordinator is one request's quorum coordinator: it takes coordStarted,
// then replies and its deadline, one message at a time, on its host's
// actor goroutine.
type coordinator interface {
	receive(msg any)
}

// coordHost is a long-lived actor that runs many coordinators, each its
// own state machine keyed by an id. Spawning an actor per request cost a
// props, a mailbox, a registry entry and three system messages, about a
// fifth of a put's allocations; a host routes each message to its
// coordinator instead. The coordinators of one host run one at a time,
// as each actor's messages always did, and share nothing.
type coordHost struct {
	root *actor.RootContext
	pid  *actor.PID
	live map[uint64]coordinator // touched only on the actor goroutine
}

// coordStart hands a new coordinator to its host.
type coordStart struct {
	id uint64
	c  coordinator
}

// coordMsg is a message for one of the host's coordinators.
type coordMsg struct {
	id  uint64
	msg any
}

func (h *coordHost) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *coordStart:
		h.live[m.id] = m.c
		m.c.receive(coordStarted{})
	case *replicaReply:
		h.route(m.coord, m)
	case *coordMsg:
		h.route(m.id, m.msg)
	}
}

// route hands msg to coordinator id. A coordinator that has stopped drops
// what still arrives for it, as a stopped actor did.
func (h *coordHost) route(id uint64, msg any) {
	if co, ok := h.live[id]; ok {
		co.receive(msg)
	}
}

// reply sends a replica's reply to its coordinator, which the reply names,
// so the hot path sends it without a wrapper; safe from any goroutine.
func (h *coordHost) reply(r *replicaReply) { h.root.Send(h.pid, r) }

// deliver sends any other msg (the deadline) to coordinator id; safe from
// any goroutine.
func (h *coordHost) deliver(id uint64, msg any) {
	h.root.Send(h.pid, &coordMsg{id: id, msg: msg})
}

// remove forgets coordinator id; called on the host's goroutine.
func (h *coordHost) remove(id uint64) { delete(h.live, id) }

// coordHosts spreads coordinators over a few hosts, so that requests are
// coordinated in parallel on every core.
type coordHosts struct {
	hosts []*coordHost
	next  atomic.Uint64
}

// coordHostCount is a few hosts per core on any machine a node runs on;
// a host's work per message is small (a quorum step), so more would only
// add mailboxes.
const coordHostCount = 16

func newCoordHosts(root *actor.RootContext, props func(actor.Producer) *actor.Props) *coordHosts {
	hs := &coordHosts{}
	for range coordHostCount {
		h := &coordHost{root: root, live: map[uint64]coordinator{}}
		h.pid = root.Spawn(props(func() actor.Actor { return h }))
		hs.hosts = append(hs.hosts, h)
	}
	return hs
}

// start gives a coordinator an id and a host and starts it there.
func (hs *coordHosts) start(sc *scatter, c coordinator) {
	id := hs.next.Add(1)
	h := hs.hosts[id%uint64(len(hs.hosts))]
	sc.host, sc.id = h, id
	h.root.Send(h.pid, &coordStart{id: id, c: c})
}
