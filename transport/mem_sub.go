package transport

import (
	"sync"

	"github.com/nats-io/nats.go"
)

// subState is where a subscription's delivery goroutine is in its life.
type subState int

const (
	subOpen       subState = iota // handling messages as they come
	subDraining                   // Close: handle what is queued, then stop
	subDiscarding                 // Unsubscribe: drop what is queued, stop
)

// memSub is one subscription of a MemConn. Which subscriptions exist (and
// live) is the MemNet's state, under its lock; the pending queue has its
// own lock so that a handler never holds the network's.
type memSub struct {
	conn    *MemConn
	subject string
	pattern []string
	queue   string
	// live is false once the subscription left the network (Unsubscribe
	// or Close): a delayed message that lands after that is lost, as it
	// would be on a real network. Guarded by the MemNet's lock.
	live bool

	// inline, when set, takes each message at once on the sender's
	// goroutine instead of the queue: Request's reply subscription,
	// which must not block and needs no goroutine of its own.
	inline func(*Msg)

	handler Handler
	mu      sync.Mutex
	wake    *sync.Cond
	pending []*Msg // unbounded: the transport itself never drops
	state   subState
	done    chan struct{} // closed when the delivery goroutine returns
}

var _ Subscription = (*memSub)(nil)

// newMemSub makes a subscription; start launches its goroutine.
func newMemSub(c *MemConn, subject string, pattern []string, queue string, h Handler) *memSub {
	s := &memSub{conn: c, subject: subject, pattern: pattern, queue: queue, handler: h,
		live: true, done: make(chan struct{})}
	s.wake = sync.NewCond(&s.mu)
	return s
}

// start runs the subscription's delivery goroutine: one handler call at a
// time, in queue order, so that a slow handler stalls only itself.
func (s *memSub) start() {
	go func() {
		defer close(s.done)
		for {
			m, ok := s.next()
			if !ok {
				return
			}
			s.handler(m)
		}
	}()
}

// next waits for the next message to handle; ok is false when the
// goroutine must stop.
func (s *memSub) next() (m *Msg, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.pending) == 0 && s.state == subOpen {
		s.wake.Wait()
	}
	if s.state == subDiscarding || len(s.pending) == 0 {
		s.pending = nil
		return nil, false
	}
	m = s.pending[0]
	s.pending[0] = nil // let the message be collected once handled
	s.pending = s.pending[1:]
	return m, true
}

// push queues m; it never blocks on the handler.
func (s *memSub) push(m *Msg) {
	if s.inline != nil {
		s.inline(m)
		return
	}
	s.mu.Lock()
	s.pending = append(s.pending, m)
	s.mu.Unlock()
	s.wake.Signal()
}

// stop tells the delivery goroutine to finish: after the queued messages
// (to == subDraining) or at once (subDiscarding).
func (s *memSub) stop(to subState) {
	if s.inline != nil {
		return
	}
	s.mu.Lock()
	if s.state == subOpen {
		s.state = to
	}
	s.mu.Unlock()
	s.wake.Signal()
}

// wait waits for the delivery goroutine to return.
func (s *memSub) wait() {
	if s.inline == nil {
		<-s.done
	}
}

// Unsubscribe removes the subscription. As with nats.go, messages still
// queued are dropped and a handler call under way is not waited for; it
// fails with ErrClosed once the connection is closing and with
// nats.ErrBadSubscription when already unsubscribed.
func (s *memSub) Unsubscribe() error {
	n := s.conn.net
	n.mu.Lock()
	switch {
	case s.conn.closing:
		n.mu.Unlock()
		return ErrClosed
	case !s.live:
		n.mu.Unlock()
		return nats.ErrBadSubscription
	}
	n.removeSub(s)
	n.mu.Unlock()
	s.stop(subDiscarding)
	return nil
}
