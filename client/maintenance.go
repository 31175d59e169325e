package client

import (
	"context"
	"math"
	"time"

	"github.com/quorumkv/quorumkv/messages"
)

// AdminWorkTimeout is how long DrainHints and RepairNow wait for their
// answer when ctx has no deadline. They answer only once the work is done
// (every hint sent, every Merkle exchange finished), which on a node that
// held hints for a long outage or holds many partitions takes far longer
// than a key operation, so the client's default timeout would cut them
// short; a client whose default timeout is longer waits that long instead.
const AdminWorkTimeout = 60 * time.Second

// HintsReport is what one node holds for others under hinted handoff: the
// writes it took as a fallback while their home nodes were down.
type HintsReport struct {
	// Node is the node that answered: the holder of the hints.
	Node string
	// Targets has one entry per home node the holder keeps hints for.
	Targets []HintTarget
	// Delivered and Dropped count the hints handed to their targets and
	// the hints given up (too old, say) since the holder started.
	Delivered, Dropped uint64
}

// HintTarget is what a holder keeps for one home node.
type HintTarget struct {
	// Target is the home node the hints are for.
	Target string
	// Count is the number of hints and Bytes their size.
	Count, Bytes uint64
	// Oldest is when the oldest of them was stored; zero if unknown.
	Oldest time.Time
	// TargetUp is whether the holder sees the target up: it delivers
	// hints only then.
	TargetUp bool
}

// RepairReport is one node's anti-entropy state: one entry per Merkle tree
// it keeps, that is per partition and namespace it holds a replica of.
type RepairReport struct {
	// Node is the node that answered.
	Node string
	// Partitions has one entry per tree.
	Partitions []PartitionRepair
	// Exchanges, KeysRepaired and TombstonesReaped are totals since the
	// node started.
	Exchanges, KeysRepaired, TombstonesReaped uint64
}

// PartitionRepair is the anti-entropy state of one tree: one namespace's
// keys in one partition.
type PartitionRepair struct {
	Partition int
	Namespace string
	// LastExchange is when the tree was last compared with a peer's, and
	// LastPeer that peer; zero and "" before the first exchange.
	LastExchange time.Time
	LastPeer     string
	// KeysRepaired counts the keys this node sent or received in the
	// exchanges of this tree.
	KeysRepaired uint64
	// TreeBuilt is when the tree was last built, zero if never, and
	// Records how many records it covers.
	TreeBuilt time.Time
	Records   uint64
	// LastError is why the last exchange failed; "" if it did not.
	LastError string
}

// Hints asks node which hints it holds, per target node, and how many it
// has delivered and dropped since it started.
func (c *Client) Hints(ctx context.Context, node string) (HintsReport, error) {
	subject, err := adminSubject(ctx, node, messages.AdminHints)
	if err != nil {
		return HintsReport{}, err
	}
	_, wait := c.budget(ctx, 0)
	var resp messages.HintsResponse
	if err := c.call(ctx, subject, &messages.HintsRequest{}, &resp, wait); err != nil {
		return HintsReport{}, err
	}
	if err := wireError(resp.Error); err != nil {
		return HintsReport{}, err
	}
	r := HintsReport{Node: resp.Node, Delivered: resp.Delivered, Dropped: resp.Dropped,
		Targets: make([]HintTarget, len(resp.Targets))}
	for i, t := range resp.Targets {
		r.Targets[i] = HintTarget{Target: t.GetTarget(), Count: t.GetCount(), Bytes: t.GetBytes(),
			Oldest: unixNano(t.GetOldestUnixNano()), TargetUp: t.GetTargetUp()}
	}
	return r, nil
}

// DrainHints asks node, a holder of hints, to deliver its hints for target
// now rather than at its next delivery round; target "" means every
// target. It answers once the holder has tried them all: delivered is how
// many reached their target, remaining how many the holder still keeps
// (for a target that is down, say). The wait is bounded by ctx's deadline,
// or by AdminWorkTimeout when ctx has none.
func (c *Client) DrainHints(ctx context.Context, node, target string) (delivered, remaining uint64, err error) {
	subject, err := adminSubject(ctx, node, messages.AdminHintsDrain)
	if err != nil {
		return 0, 0, err
	}
	if target != "" && !validNodeName(target) {
		return 0, 0, invalid(messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, "invalid target node id %q", target)
	}
	var resp messages.HintsDrainResponse
	req := &messages.HintsDrainRequest{Target: target}
	if err := c.call(ctx, subject, req, &resp, c.workWait(ctx)); err != nil {
		return 0, 0, err
	}
	if err := wireError(resp.Error); err != nil {
		return 0, 0, err
	}
	return resp.Delivered, resp.Remaining, nil
}

// RepairStatus asks node for its anti-entropy state: per tree, when it was
// last built and compared with a peer and what that repaired, and the
// node's totals.
func (c *Client) RepairStatus(ctx context.Context, node string) (RepairReport, error) {
	subject, err := adminSubject(ctx, node, messages.AdminRepairState)
	if err != nil {
		return RepairReport{}, err
	}
	_, wait := c.budget(ctx, 0)
	var resp messages.RepairStatusResponse
	if err := c.call(ctx, subject, &messages.RepairStatusRequest{}, &resp, wait); err != nil {
		return RepairReport{}, err
	}
	if err := wireError(resp.Error); err != nil {
		return RepairReport{}, err
	}
	r := RepairReport{Node: resp.Node, Exchanges: resp.Exchanges, KeysRepaired: resp.KeysRepaired,
		TombstonesReaped: resp.TombstonesReaped, Partitions: make([]PartitionRepair, len(resp.Partitions))}
	for i, p := range resp.Partitions {
		r.Partitions[i] = PartitionRepair{
			Partition:    int(p.GetPartition()),
			Namespace:    p.GetNamespace(),
			LastExchange: unixNano(p.GetLastExchangeUnixNano()),
			LastPeer:     p.GetLastPeer(),
			KeysRepaired: p.GetKeysRepaired(),
			TreeBuilt:    unixNano(p.GetTreeBuiltUnixNano()),
			Records:      p.GetRecords(),
			LastError:    p.GetLastError(),
		}
	}
	return r, nil
}

// RepairNow has node run an anti-entropy exchange at once, for every tree
// of partition (or of every partition it holds when partition is -1) with
// each other home replica, and answers when they are done: how many
// exchanges ran and how many keys they repaired. The wait is bounded by
// ctx's deadline, or by AdminWorkTimeout when ctx has none.
func (c *Client) RepairNow(ctx context.Context, node string, partition int) (exchanges int, keysRepaired uint64, err error) {
	subject, err := adminSubject(ctx, node, messages.AdminRepairNow)
	if err != nil {
		return 0, 0, err
	}
	req := &messages.RepairNowRequest{All: partition == -1}
	switch {
	case partition < -1 || int64(partition) > math.MaxUint32:
		return 0, 0, invalid(messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT,
			"partition must be -1 (all) or a partition number, not %d", partition)
	case partition >= 0:
		req.Partition = uint32(partition)
	}
	var resp messages.RepairNowResponse
	if err := c.call(ctx, subject, req, &resp, c.workWait(ctx)); err != nil {
		return 0, 0, err
	}
	if err := wireError(resp.Error); err != nil {
		return 0, 0, err
	}
	return int(resp.Exchanges), resp.KeysRepaired, nil
}

// adminSubject does begin's checks and checks node, which, being part of
// the subject, must be a valid node id: anything else would address no
// node, or several through a wildcard.
func adminSubject(ctx context.Context, node, op string) (string, error) {
	subject := messages.AdminNodeSubject(node, op)
	if err := begin(ctx, subject); err != nil {
		return "", err
	}
	if !validNodeName(node) {
		return "", invalid(messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, "invalid node id %q", node)
	}
	return subject, nil
}

// workWait is how long a call that waits for work on the node waits: until
// ctx's deadline if it has one, else AdminWorkTimeout or the client's
// default timeout, whichever is longer. These requests carry no timeout
// for the node, so this wait is the only bound the client puts on them.
func (c *Client) workWait(ctx context.Context) time.Duration {
	if deadline, ok := ctx.Deadline(); ok {
		return max(time.Until(deadline), time.Millisecond)
	}
	return max(AdminWorkTimeout, c.timeout)
}

// unixNano is the time of a wire timestamp. 0 means not known, and so
// does a negative value: no tree or hint predates 1970, and the Go zero
// time's UnixNano is one.
func unixNano(ns int64) time.Time {
	if ns <= 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}
