// Package transport is the seam between a quorumkv node and the network:
// everything a node sends or receives (client requests and replies, replica
// batches, gossip, admin requests) goes through a Conn. NATS implements it
// for real (nats.go); Mem implements it in memory, so that a whole cluster
// can run in one test process with messages dropped, delayed, duplicated
// or cut between nodes.
//
// The contract is NATS's, and both implementations keep it:
//
//   - Subjects are dot-separated tokens; a subscription may use "*" for one
//     token and ">" for the rest, as in NATS.
//   - Each subscription's handler runs on one goroutine of its own, one
//     message at a time, in the order the subscription received them; a
//     handler may block without stalling other subscriptions.
//   - A queue subscription (non-empty queue) shares the subject with the
//     other members of its group: each message goes to one of them.
//   - A message published with a reply subject to a subject nobody
//     subscribes to is answered on the reply subject with an empty message
//     whose header Status is "503" (NATS's no-responders status), and
//     Request returns ErrNoResponders.
//   - The no-responders status goes only to the publisher's own
//     subscription of the reply subject.
//   - Publish never blocks on a slow subscriber and never reports whether
//     anyone received the message.
//   - Replies go through the Conn (Publish or PublishMsg to m.Reply), never
//     m.Respond: a message from memory is bound to no nats.go subscription.
//   - Close drains: handlers finish what they had received (and may still
//     publish); it must not be called from a handler of the same Conn.
package transport

import (
	"errors"
	"time"

	"github.com/nats-io/nats.go"
)

// Msg is a message: NATS's own type, so that headers, reply subjects and
// status codes mean the same on every transport.
type Msg = nats.Msg

// Handler takes one message.
type Handler func(*Msg)

// Conn is one node's (or one client's) connection to the transport.
type Conn interface {
	// Publish sends data to subject.
	Publish(subject string, data []byte) error
	// PublishRequest sends data to subject, naming reply as the subject
	// that answers (and a no-responders status) go to.
	PublishRequest(subject, reply string, data []byte) error
	// PublishMsg sends m (subject, reply, header and data).
	PublishMsg(m *Msg) error
	// Request sends data and waits for the first answer; it fails with
	// ErrNoResponders when nobody subscribes to subject and ErrTimeout
	// when nobody answers in time.
	Request(subject string, data []byte, timeout time.Duration) (*Msg, error)
	// Subscribe delivers the messages of subject (wildcards allowed) to h;
	// a non-empty queue makes it a member of that queue group.
	Subscribe(subject, queue string, h Handler) (Subscription, error)
	// Flush returns once everything published so far has reached the
	// transport (the server, for NATS), so that subscriptions made before
	// it are in place everywhere the transport can make them so.
	Flush() error
	// Connected reports whether the connection can send now.
	Connected() bool
	// Close stops every subscription of the connection, after the
	// messages already received are handled, and closes it.
	Close()
}

// Subscription is one subscription of a Conn.
type Subscription interface {
	Unsubscribe() error
}

// The errors Request returns, the same values on every transport.
var (
	ErrNoResponders = nats.ErrNoResponders
	ErrTimeout      = nats.ErrTimeout
	ErrClosed       = nats.ErrConnectionClosed
)

// NewInbox returns a subject unique to this process, for replies.
func NewInbox() string { return nats.NewInbox() }

// StatusNoResponders is the header Status of a no-responders message.
const StatusNoResponders = "503"

// IsNoResponders reports whether m is a no-responders status.
func IsNoResponders(m *Msg) bool {
	return len(m.Data) == 0 && m.Header.Get("Status") == StatusNoResponders
}

var errEmptySubject = errors.New("transport: empty subject")
