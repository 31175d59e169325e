package transport

import (
	"time"

	"github.com/nats-io/nats.go"
)

// MemConn is one endpoint of a MemNet: a Conn whose messages travel in
// memory, through the network's faults. Make it with MemNet.Endpoint.
//
// Messages it receives have no Msg.Sub, so Msg.Respond and
// Msg.RespondMsg fail with nats.ErrMsgNotBound: answer with
// Publish(m.Reply, ...) or PublishMsg, which work on every Conn.
type MemConn struct {
	net  *MemNet
	name string
	done chan struct{} // closed by Close, to wake waiting requests

	// Guarded by net.mu. closing is set when Close starts: subscriptions
	// are gone and no new ones can be made, but handlers finishing their
	// queues may still publish (their replies), as during a NATS drain;
	// closed is set when Close is done, and then nothing works.
	closing bool
	closed  bool
	subs    map[*memSub]struct{}
	flights map[chan struct{}]struct{} // delayed messages not yet landed
}

var _ Conn = (*MemConn)(nil)

// Name returns the endpoint's name, the one faults are set on.
func (c *MemConn) Name() string { return c.name }

// Publish sends data to subject.
func (c *MemConn) Publish(subject string, data []byte) error {
	return c.publish(&Msg{Subject: subject, Data: data})
}

// PublishRequest sends data to subject with reply as the reply subject.
func (c *MemConn) PublishRequest(subject, reply string, data []byte) error {
	return c.publish(&Msg{Subject: subject, Reply: reply, Data: data})
}

// PublishMsg sends m's subject, reply, header and data.
func (c *MemConn) PublishMsg(m *Msg) error {
	if m == nil {
		return nats.ErrInvalidMsg
	}
	return c.publish(m)
}

// publish copies m at once (the caller may reuse its buffers as soon as
// Publish returns, as with nats.go) and routes it.
func (c *MemConn) publish(m *Msg) error {
	if err := checkPublish(m.Subject, m.Reply); err != nil {
		return err
	}
	f := copyMsg(m)
	n := c.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	n.route(c, f)
	return nil
}

// Request publishes data with a fresh reply subject and waits for the
// first answer, for a no-responders status (ErrNoResponders), for the
// timeout (ErrTimeout) or for Close (ErrClosed).
func (c *MemConn) Request(subject string, data []byte, timeout time.Duration) (*Msg, error) {
	answers := make(chan *Msg, 1)
	s, err := c.subscribe(NewInbox(), "", nil, func(m *Msg) {
		select {
		case answers <- m: // the first answer wins; later ones are dropped
		default:
		}
	})
	if err != nil {
		return nil, err
	}
	defer c.leave(s)
	if err := c.publish(&Msg{Subject: subject, Reply: s.subject, Data: data}); err != nil {
		return nil, err
	}
	return c.await(answers, timeout)
}

// await waits for Request's answer. An answer already there wins over a
// timeout or a Close that happened meanwhile.
func (c *MemConn) await(answers <-chan *Msg, timeout time.Duration) (*Msg, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case m := <-answers:
		return answer(m)
	default:
	}
	select {
	case m := <-answers:
		return answer(m)
	case <-t.C:
		return nil, ErrTimeout
	case <-c.done:
		return nil, ErrClosed
	}
}

func answer(m *Msg) (*Msg, error) {
	if IsNoResponders(m) {
		return nil, ErrNoResponders
	}
	return m, nil
}

// Subscribe delivers subject's messages to h on a goroutine of the
// subscription's own. A subject nats.go or the NATS server would refuse
// (empty, whitespace, an empty token, ">" before the last token) is an
// error here at once; a nil h is nats.ErrBadSubscription.
func (c *MemConn) Subscribe(subject, queue string, h Handler) (Subscription, error) {
	if h == nil {
		return nil, nats.ErrBadSubscription
	}
	s, err := c.subscribe(subject, queue, h, nil)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// subscribe puts a subscription on the network: with a handler and its
// own goroutine, or inline (see memSub.inline).
func (c *MemConn) subscribe(subject, queue string, h Handler, inline func(*Msg)) (*memSub, error) {
	pattern, err := parsePattern(subject)
	if err != nil {
		return nil, err
	}
	if hasSpace(queue) {
		return nil, nats.ErrBadQueueName
	}
	s := newMemSub(c, subject, pattern, queue, h)
	s.inline = inline
	n := c.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if c.closing {
		return nil, ErrClosed
	}
	n.addSub(s)
	if inline == nil {
		s.start()
	}
	return s, nil
}

// leave takes Request's reply subscription off the network.
func (c *MemConn) leave(s *memSub) {
	n := c.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if s.live {
		n.removeSub(s)
	}
}

// Flush returns once every message this endpoint published before it is
// queued to its subscribers (or lost): at once, unless delays hold some
// in flight. Subscriptions are in place as soon as Subscribe returns.
func (c *MemConn) Flush() error {
	n := c.net
	n.mu.Lock()
	if c.closed {
		n.mu.Unlock()
		return ErrClosed
	}
	inFlight := make([]chan struct{}, 0, len(c.flights))
	for landed := range c.flights {
		inFlight = append(inFlight, landed)
	}
	n.mu.Unlock()
	for _, landed := range inFlight {
		<-landed
	}
	return nil
}

// Connected reports whether the endpoint can send: true until Close is
// done (while Close drains, handlers can still send, as with NATS).
func (c *MemConn) Connected() bool {
	n := c.net
	n.mu.Lock()
	defer n.mu.Unlock()
	return !c.closed
}

// Close takes every subscription off the network at once (requests to
// them get no-responders from then on) and fails a Request under way
// with ErrClosed; then it lets each subscription handle the messages it
// had queued, as a NATS drain does (handlers may still publish their
// replies meanwhile), and returns when they all have. After that every
// call fails with ErrClosed. Messages the endpoint sent with a delay
// still land.
//
// Since it waits for the handlers, Close must not be called from a handler
// of the same endpoint, nor while one of them is blocked on something
// that waits for Close to return. A second Close returns at once.
func (c *MemConn) Close() {
	n := c.net
	n.mu.Lock()
	if c.closing {
		n.mu.Unlock()
		return
	}
	c.closing = true
	close(c.done)
	subs := make([]*memSub, 0, len(c.subs))
	for s := range c.subs {
		subs = append(subs, s)
	}
	for _, s := range subs {
		n.removeSub(s)
	}
	n.mu.Unlock()
	for _, s := range subs {
		s.stop(subDraining)
	}
	for _, s := range subs {
		s.wait()
	}
	n.mu.Lock()
	c.closed = true
	n.mu.Unlock()
}
