package members

import "time"

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
	// Incarnation is bumped by the node itself each time it (re)starts; a
	// higher incarnation supersedes everything about the old one.
	Incarnation uint64
	Heartbeat   uint64 // bumped by the node itself every gossip interval
	Leaving     bool   // set by the node when it is decommissioning (used later)
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
