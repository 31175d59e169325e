package client

import (
	"context"
	"strings"
	"time"

	"github.com/quorumkv/quorumkv/messages"
)

// Status is one node's view of the cluster and of itself.
type Status struct {
	// Node is the id of the node that answered.
	Node string
	// Partitions is Q, the cluster's fixed partition count.
	Partitions int
	// Version and Commit are the answering node's build ("" when the node
	// predates them or was built without version information).
	Version, Commit string
	// Records is how many records (values and tombstones, one per key and
	// namespace) the answering node stores, an estimate from its storage
	// engine; DiskBytes is the size of its store on disk.
	Records, DiskBytes uint64
	// PartitionsHeld is how many partitions the answering node holds data
	// of.
	PartitionsHeld int
	// Members is every member the answering node knows, itself included.
	Members []Member
	// Namespaces lists every namespace, with whether the cluster is too
	// small for its N.
	Namespaces []NamespaceStatus
}

// Member is one member of the cluster as the answering node sees it.
type Member struct {
	ID     string
	Zone   string
	Weight int
	// Addr is the member's client address, as it advertises it.
	Addr string
	// Up is the answering node's failure detector's verdict, Phi its
	// suspicion level (higher is more suspect) and LastHeard how long ago
	// the member's last heartbeat arrived.
	Up        bool
	Phi       float64
	LastHeard time.Duration
	// Heartbeat and Incarnation are the member's gossip counters.
	Heartbeat, Incarnation uint64
	// PrimaryPartitions is how many partitions the member is the first
	// home replica of; ReplicaPartitions how many it is among the first
	// three home replicas of.
	PrimaryPartitions, ReplicaPartitions int
	// State is where the member stands in the ring, in lowercase as the
	// node says it: "active", "joining" (receiving the partitions it is to
	// own) or "leaving" (handing its partitions on).
	State string
	// Ownership is the member's share of the partition replicas that reads
	// use now, between 0 and 1.
	Ownership float64
}

// NamespaceStatus is a namespace and whether it is under-replicated.
type NamespaceStatus struct {
	Namespace Namespace
	// UnderReplicated is set when the cluster has fewer members than the
	// namespace's N; Note says so in words.
	UnderReplicated bool
	Note            string
}

// Status returns the answering node's view of the cluster (its members with
// their failure-detector state, the namespaces it considers
// under-replicated) and facts about itself (build, records, disk use). The
// node that answers is chosen like a key operation's coordinator:
// ViaNode's, else the node embedding the connected server, else any.
func (c *Client) Status(ctx context.Context, opts ...Option) (*Status, error) {
	o := applyOptions(opts)
	if err := begin(ctx, messages.SubjectStatus); err != nil {
		return nil, err
	}
	_, wait := c.budget(ctx, 0)
	var resp messages.StatusResponse
	if err := c.callKey(ctx, &o, messages.SubjectStatus, "status", &messages.StatusRequest{}, &resp, wait); err != nil {
		return nil, err
	}
	if err := wireError(resp.Error); err != nil {
		return nil, err
	}
	return StatusFromWire(&resp), nil
}

func StatusFromWire(r *messages.StatusResponse) *Status {
	st := &Status{
		Node:           r.GetNode(),
		Partitions:     int(r.GetPartitions()),
		Version:        r.GetVersion(),
		Commit:         r.GetCommit(),
		Records:        r.GetRecords(),
		DiskBytes:      r.GetDiskBytes(),
		PartitionsHeld: int(r.GetPartitionsHeld()),
		Members:        make([]Member, len(r.GetMembers())),
		Namespaces:     make([]NamespaceStatus, len(r.GetNamespaces())),
	}
	for i, m := range r.GetMembers() {
		st.Members[i] = Member{
			ID: m.GetId(), Zone: m.GetZone(), Weight: int(m.GetWeight()), Addr: m.GetAddr(),
			Up: m.GetUp(), Phi: m.GetPhi(), LastHeard: time.Duration(m.GetLastHeardMs()) * time.Millisecond,
			Heartbeat: m.GetHeartbeat(), Incarnation: m.GetIncarnation(),
			PrimaryPartitions: int(m.GetPrimaryPartitions()), ReplicaPartitions: int(m.GetReplicaPartitions()),
			State: strings.ToLower(m.GetState()), Ownership: m.GetOwnership(),
		}
	}
	for i, ns := range r.GetNamespaces() {
		st.Namespaces[i] = NamespaceStatus{
			Namespace:       namespaceFromWire(ns.GetNamespace()),
			UnderReplicated: ns.GetUnderReplicated(),
			Note:            ns.GetNote(),
		}
	}
	return st
}
