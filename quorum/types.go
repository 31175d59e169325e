package quorum

import "fmt"

// Versions merges and compares replica states of one key: all a
// coordinator needs of them. The coordinator actors use vclock records
// under the namespace's conflict mode.
type Versions[R any] interface {
	// Sync merges two replicas' states.
	Sync(a, b R) R
	// Descends reports whether state a already holds everything in b, so
	// that merging b into it would change nothing.
	Descends(a, b R) bool
}

// Phase names what a replica is asked to do, and which round a reply
// belongs to.
type Phase uint8

const (
	// Read asks a replica for its record of the key (a get).
	Read Phase = iota
	// Coordinate asks a replica to apply a client write: it issues the
	// version and persists it (a put's first round).
	Coordinate
	// Replicate merges the coordinated record into another replica.
	Replicate
	// WriteBack merges a strict read's merged record into a replica that
	// answered stale, before the read answers.
	WriteBack
	// Repair merges a read's merged record into a stale home replica after
	// the read answered. Nobody waits for its reply: none comes back.
	Repair
	// Forward merges a put's coordinated record (or a strict read's
	// merged one) into a node that is not a home but must see every write
	// while partitions move (see Targets.Forward). It never counts toward
	// W or R. Outside strict mode nothing comes back, as for Repair; a
	// strict request needs every forward's ack besides its quorum.
	Forward
)

var phaseNames = [...]string{"read", "coordinate", "replicate", "write-back", "repair", "forward"}

func (p Phase) String() string {
	if int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return fmt.Sprintf("phase(%d)", uint8(p))
}

// EventKind tells what happened to a coordinator.
type EventKind uint8

const (
	// Replied: a replica answered a call.
	Replied EventKind = iota
	// Failed: a call failed (the replica is gone, refused, or timed out).
	Failed
	// Expired: the request's deadline passed.
	Expired
)

// Event is one input to a coordinator.
type Event[R any] struct {
	Kind  EventKind
	Node  string // Replied, Failed: the replica called
	Phase Phase  // Replied, Failed: the phase of the call it answers
	// Record and Found are a Read reply's record and whether the replica had
	// one; Record is also a Coordinate reply's new record.
	Record R
	Found  bool
	// Actor is, in a Coordinate reply, the id under which the replica
	// issued the write's dot.
	Actor string
}

// ReplyOK is a successful reply from node to a call of phase ph.
func ReplyOK[R any](node string, ph Phase, rec R, found bool) Event[R] {
	return Event[R]{Kind: Replied, Node: node, Phase: ph, Record: rec, Found: found}
}

// ReplyFailed is a failed call of phase ph to node.
func ReplyFailed[R any](node string, ph Phase) Event[R] {
	return Event[R]{Kind: Failed, Node: node, Phase: ph}
}

// Deadline is the request's timeout passing.
func Deadline[R any]() Event[R] { return Event[R]{Kind: Expired} }

// EffectKind tells the caller what to do.
type EffectKind uint8

const (
	// Send a call of Phase to To; every phase but Repair (and Forward
	// outside strict mode) reports back as exactly one Replied or Failed
	// event.
	Send EffectKind = iota
	// Answer the client: with Record (and, for a put, Actor) when Err is
	// nil, else with Err.
	Answer
	// Done: the coordinator wants no more events; stop it.
	Done
)

// Effect is one output of a coordinator, to be applied in order.
type Effect[R any] struct {
	Kind  EffectKind
	To    string // Send: the replica
	Phase Phase  // Send
	// Record is what Replicate, WriteBack and Repair merge into the
	// replica, and what a successful Answer returns.
	Record R
	// HintFor is, on a Coordinate or Replicate to a fallback, the home
	// replica the write stands in for ("": none; the write is its own).
	HintFor string
	// Actor is, on a put's successful Answer, the id that issued the
	// write's dot (for the context returned to the client).
	Actor string
	Err   *Error // Answer: nil on success
}

// Code classifies a failed answer.
type Code uint8

const (
	// Unavailable: too few replicas can answer for the quorum.
	Unavailable Code = iota + 1
	// Timeout: the deadline passed before the quorum was reached.
	Timeout
)

// Error is a failed answer: which step fell short, and by how much.
type Error struct {
	Code        Code
	What        string // "read", "read write-back" or "write"
	Got, Needed int
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s got %d of %d replica acknowledgements", e.What, e.Got, e.Needed)
}
