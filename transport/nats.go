package transport

import (
	"time"

	"github.com/nats-io/nats.go"
)

// NATS is a Conn over a nats.go connection.
type NATS struct{ nc *nats.Conn }

var _ Conn = (*NATS)(nil)

// OverNATS wraps nc, which the NATS Conn then owns (Close closes it).
func OverNATS(nc *nats.Conn) *NATS { return &NATS{nc: nc} }

// Raw returns the nats.go connection, for what only NATS has (server
// info, statistics).
func (t *NATS) Raw() *nats.Conn { return t.nc }

func (t *NATS) Publish(subject string, data []byte) error { return t.nc.Publish(subject, data) }

func (t *NATS) PublishRequest(subject, reply string, data []byte) error {
	return t.nc.PublishRequest(subject, reply, data)
}

func (t *NATS) PublishMsg(m *Msg) error { return t.nc.PublishMsg(m) }

func (t *NATS) Request(subject string, data []byte, timeout time.Duration) (*Msg, error) {
	return t.nc.Request(subject, data, timeout)
}

// Subscribe makes a subscription with no pending limits: a node never
// drops what reached it; back-pressure is the senders' business.
func (t *NATS) Subscribe(subject, queue string, h Handler) (Subscription, error) {
	if subject == "" {
		return nil, errEmptySubject
	}
	s, err := t.nc.QueueSubscribe(subject, queue, nats.MsgHandler(h))
	if err != nil {
		return nil, err
	}
	if err := s.SetPendingLimits(-1, -1); err != nil {
		_ = s.Unsubscribe()
		return nil, err
	}
	return s, nil
}

func (t *NATS) Flush() error { return t.nc.Flush() }

func (t *NATS) Connected() bool { return t.nc.IsConnected() }

// Close drains (subscriptions handle what they received) and closes. nats.go
// drains on a goroutine of its own and reports the end through the closed
// handler, so Close waits for that before it returns.
func (t *NATS) Close() {
	done := make(chan struct{})
	t.nc.SetClosedHandler(func(*nats.Conn) { close(done) })
	if err := t.nc.Drain(); err == nil {
		<-done
	}
	t.nc.Close()
}
