package members

import (
	"bytes"
	"time"
)

// State is where a node stands in the ring. Only the node itself changes
// its own State (removal of a dead node is a separate record, see
// [Table.Remove]).
type State uint8

const (
	// Active owns its partitions. The zero value: nodes from before
	// states existed were active.
	Active State = iota
	// Joining is receiving the partitions it is to own; reads do not use
	// it for a partition until it holds that partition.
	Joining
	// Leaving is handing its partitions on (decommission).
	Leaving
	// Left has handed every partition on; it is removed everywhere.
	Left
)

var stateNames = [...]string{"active", "joining", "leaving", "left"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// Member is what gossip carries about one node.
//
// Only the node itself ever changes its own Member; every other table holds
// a copy and replaces it wholesale with a newer copy (see [Member.Newer]).
type Member struct {
	ID         string
	Zone       string
	Weight     int
	Addr       string // the node's NATS client URL, informational
	Partitions int    // the cluster's partition count Q that this node was started with
	Placement  int    // the cluster's key-to-partition rule this node uses (ring.Placement; 0: 1)
	// Incarnation is bumped by the node itself each time it (re)starts; a
	// higher incarnation supersedes everything about the old one.
	Incarnation uint64
	Heartbeat   uint64 // bumped by the node itself every gossip interval
	State       State
	// Ready is a bitmap (bit p of byte p/8) of the partitions this node
	// has received by ownership transfer and kept current since. It is
	// replaced, never modified in place.
	Ready []byte
	// Epoch names the life of the node's data dir: a node that lost its
	// data comes back under the same ID with a new epoch.
	Epoch string
	// RingDigest is a hash of the member states the node routes by, so
	// that others can tell when every node has heard of a change.
	RingDigest uint64
}

// ReadyFor reports whether bit p of m.Ready is set.
func (m Member) ReadyFor(p int) bool {
	return p >= 0 && p/8 < len(m.Ready) && m.Ready[p/8]&(1<<(p%8)) != 0
}

// sameRole reports whether m and o agree on what routing depends on
// beyond up/down: the state and the ready partitions.
func (m Member) sameRole(o Member) bool {
	return m.State == o.State && bytes.Equal(m.Ready, o.Ready) && m.RingDigest == o.RingDigest
}

// Newer reports whether m supersedes o, i.e. whether (Incarnation, Heartbeat)
// of m is lexicographically greater than that of o. The IDs are not compared.
//
// Equal versions are not newer: merging an entry we already hold must be a
// no-op, which is what makes Merge idempotent.
func (m Member) Newer(o Member) bool {
	if m.Incarnation != o.Incarnation {
		return m.Incarnation > o.Incarnation
	}
	return m.Heartbeat > o.Heartbeat
}

// MemberStatus is one row of [Table.Status].
type MemberStatus struct {
	Member Member
	Up     bool
	Phi    float64
	// LastHeard is the age of the last heartbeat advance seen for this
	// member (for self: the time since the last Tick).
	LastHeard time.Duration
}
