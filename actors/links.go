package actors

import (
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/transport"
)

// maxBatchItems bounds one batch, so a burst cannot build a message near
// the NATS max payload (values are at most MaxValueBytes each).
const maxBatchItems = 64

// peerLink carries this node's replica traffic to one peer. Callers enqueue
// envelopes; one goroutine takes whatever has queued up since its last send
// and publishes it as a single ReplicaBatch. Nothing waits for a batch to
// fill: an idle link sends each envelope at once, a busy one sends many per
// message, which is where the NATS cost of a replicated write goes.
type peerLink struct {
	peer  string
	queue chan *messages.ReplicaEnvelope
	quit  <-chan struct{}
	send  func(l *peerLink, batch *messages.ReplicaBatch, hasRequests bool)
	stats linkCounters
	self  string
	limit int // approximate payload budget per batch, bytes
}

func (l *peerLink) run() {
	for {
		var first *messages.ReplicaEnvelope
		select {
		case <-l.quit:
			return
		case first = <-l.queue:
		}
		l.flush(first)
	}
}

// flush sends first plus whatever else is queued right now.
func (l *peerLink) flush(first *messages.ReplicaEnvelope) {
	batch := &messages.ReplicaBatch{From: l.self, Items: []*messages.ReplicaEnvelope{first}}
	size := envelopeSize(first)
	for len(batch.Items) < maxBatchItems && size < l.limit {
		select {
		case e := <-l.queue:
			batch.Items = append(batch.Items, e)
			size += envelopeSize(e)
			continue
		default:
		}
		break
	}
	hasRequests := false
	for _, e := range batch.Items {
		hasRequests = hasRequests || e.Request != nil
	}
	l.send(l, batch, hasRequests)
}

// envelopeSize estimates an envelope's payload from its values, which
// dominate; the exact size would cost a second marshal.
func envelopeSize(e *messages.ReplicaEnvelope) int {
	n := 64
	if r := e.Request; r != nil {
		n += len(r.Key) + len(r.Write.GetValue())
		for _, s := range r.Record.GetSiblings() {
			n += len(s.Value)
		}
	}
	for _, s := range e.Response.GetRecord().GetSiblings() {
		n += len(s.Value)
	}
	return n
}

// links owns one peerLink per peer, created on first use.
type links struct {
	self  string
	conn  transport.Conn
	quit  <-chan struct{}
	spawn func(func())
	limit int
	// unreachable fails every call pending on peer after a batch to it
	// found no subscriber: the peer is not there.
	unreachable func(peer string)
	// inbox is the router's reply inbox; a batch with requests names
	// inbox.peer-<peer> as its reply subject, so NATS's no-responders
	// status for it arrives there.
	inbox string
	stats *linkMetrics // nil: not counted

	mu     sync.Mutex
	byPeer map[string]*peerLink
}

// peerStatusPrefix marks reply subjects that carry a batch's delivery
// status rather than a response (call ids are all digits).
const peerStatusPrefix = "peer-"

func (ls *links) enqueue(peer string, e *messages.ReplicaEnvelope) {
	ls.mu.Lock()
	l, ok := ls.byPeer[peer]
	if !ok {
		select {
		case <-ls.quit: // shutting down: start no goroutine
			ls.mu.Unlock()
			return
		default:
		}
		l = &peerLink{peer: peer, queue: make(chan *messages.ReplicaEnvelope, 4096), quit: ls.quit,
			send: ls.publish, stats: ls.stats.peer(peer), self: ls.self, limit: ls.limit}
		ls.byPeer[peer] = l
		ls.spawn(l.run)
	}
	ls.mu.Unlock()
	select {
	case l.queue <- e:
	case <-ls.quit:
	}
}

// publish sends one batch. A batch that carries requests names a reply
// subject only so that NATS answers "no responders" when the peer has no
// subscription; real responses come back as batches of their own.
func (ls *links) publish(l *peerLink, batch *messages.ReplicaBatch, hasRequests bool) {
	data, err := proto.Marshal(batch)
	if err == nil {
		subject := messages.BatchSubject(l.peer)
		if hasRequests {
			err = ls.conn.PublishRequest(subject, ls.inbox+"."+peerStatusPrefix+l.peer, data)
		} else {
			err = ls.conn.Publish(subject, data)
		}
	}
	if err != nil {
		l.stats.failed()
		if hasRequests {
			ls.unreachable(l.peer)
		}
		return
	}
	l.stats.sent(len(data))
}

// undelivered counts a batch to peer that NATS found no subscriber for.
func (ls *links) undelivered(peer string) {
	ls.mu.Lock()
	l := ls.byPeer[peer]
	ls.mu.Unlock()
	if l != nil {
		l.stats.failed()
	}
}
