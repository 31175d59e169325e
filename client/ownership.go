package client

import (
	"context"
	"time"

	"github.com/quorumkv/quorumkv/messages"
)

// DecommissionOptions shape a Decommission call.
type DecommissionOptions struct {
	// Cancel stops a decommission under way: the node stays a member and
	// owns its partitions again.
	Cancel bool
	// Force accepts a departure that leaves fewer nodes than some
	// namespace's N, or starts while another node is leaving.
	Force bool
}

// Decommission asks node to hand every partition it holds to their next
// owners and then leave the cluster (its process exits once it has). It
// returns at once with the node's state ("leaving", or "active" after a
// cancel); Transfers reports the progress.
func (c *Client) Decommission(ctx context.Context, node string, o DecommissionOptions) (state string, err error) {
	subject, err := adminSubject(ctx, node, messages.AdminDecommission)
	if err != nil {
		return "", err
	}
	_, wait := c.budget(ctx, 0)
	var resp messages.DecommissionResponse
	if err := c.call(ctx, subject, &messages.DecommissionRequest{Cancel: o.Cancel, Force: o.Force}, &resp, wait); err != nil {
		return "", err
	}
	if err := wireError(resp.Error); err != nil {
		return "", err
	}
	return resp.State, nil
}

// Remove takes node, which is gone for good, out of the ring: the other
// replicas of its partitions copy them to their new owners. A node that
// is up is refused (decommission it instead) unless force is set, and so
// is a removal that leaves fewer nodes than some namespace's N. A removed
// node never rejoins with its old data dir.
func (c *Client) Remove(ctx context.Context, node string, force bool) error {
	if err := begin(ctx, messages.SubjectRemove); err != nil {
		return err
	}
	if !validNodeName(node) {
		return invalid(messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, "invalid node id %q", node)
	}
	_, wait := c.budget(ctx, 0)
	var resp messages.RemoveResponse
	if err := c.call(ctx, messages.SubjectRemove, &messages.RemoveRequest{Node: node, Force: force}, &resp, wait); err != nil {
		return err
	}
	return wireError(resp.Error)
}

// TransfersReport is one node's part in a membership change: the
// partitions it receives, and, for a leaving node, those it hands on.
type TransfersReport struct {
	Node  string
	State string // "active", "joining" or "leaving"
	// Transfers are the partitions this node is receiving or waiting for.
	Transfers []Transfer
	// PartitionsGained and PartitionsReceived: the partitions this node
	// gains in the change under way, and how many it holds already.
	PartitionsGained, PartitionsReceived int
	// PartitionsToHandOff and PartitionsHandedOff: for a leaving node, the
	// partitions it hands on, and how many have moved.
	PartitionsToHandOff, PartitionsHandedOff int
	// Since the node started.
	BytesReceived, BytesSent, PartitionsCompleted uint64
}

// Transfer is one partition moving to a new owner, as the receiver sees it.
type Transfer struct {
	Partition  int
	From, To   string
	BytesDone  uint64
	BytesTotal uint64 // an estimate; 0 while unknown
	Records    uint64
	// BytesPerSecond and ETA while streaming; ETA is -1 when unknown.
	BytesPerSecond float64
	ETA            time.Duration
	// State is "waiting", "streaming", "verifying" or "stalled"; Reason
	// says why a stalled transfer is stalled (it is retried).
	State, Reason string
}

// Transfers asks node for the ownership transfers it takes part in.
func (c *Client) Transfers(ctx context.Context, node string) (TransfersReport, error) {
	subject, err := adminSubject(ctx, node, messages.AdminTransfers)
	if err != nil {
		return TransfersReport{}, err
	}
	_, wait := c.budget(ctx, 0)
	var resp messages.TransfersResponse
	if err := c.call(ctx, subject, &messages.TransfersRequest{}, &resp, wait); err != nil {
		return TransfersReport{}, err
	}
	if err := wireError(resp.Error); err != nil {
		return TransfersReport{}, err
	}
	r := TransfersReport{Node: resp.Node, State: resp.State,
		PartitionsGained: int(resp.PartitionsGained), PartitionsReceived: int(resp.PartitionsReceived),
		PartitionsToHandOff: int(resp.PartitionsToHandOff), PartitionsHandedOff: int(resp.PartitionsHandedOff),
		BytesReceived: resp.BytesReceived, BytesSent: resp.BytesSent, PartitionsCompleted: resp.PartitionsCompleted}
	for _, t := range resp.Transfers {
		eta := time.Duration(-1)
		if t.EtaMs >= 0 {
			eta = time.Duration(t.EtaMs) * time.Millisecond
		}
		r.Transfers = append(r.Transfers, Transfer{Partition: int(t.Partition), From: t.From, To: t.To,
			BytesDone: t.BytesDone, BytesTotal: t.BytesTotal, Records: t.Records, BytesPerSecond: t.BytesPerSecond,
			ETA: eta, State: t.State, Reason: t.Reason})
	}
	return r, nil
}
