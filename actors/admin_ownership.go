package actors

import (
	"slices"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/quorumkv/quorumkv/members"
	"github.com/quorumkv/quorumkv/messages"
)

// ownershipWait bounds how long a decommission or removal request waits
// for the membership actor to take it.
const ownershipWait = 5 * time.Second

// askMembers sends a command to the membership actor and waits for its
// answer.
func (n *Node) askMembers(msg any, reply chan error) *apiError {
	n.system.Root.Send(n.members, msg)
	select {
	case err := <-reply:
		if err != nil {
			return toAPIError(err)
		}
		return nil
	case <-time.After(ownershipWait):
		return errorf(messages.ErrorCode_ERROR_CODE_TIMEOUT, "the node did not take the request within %v", ownershipWait)
	case <-n.quit:
		return errorf(messages.ErrorCode_ERROR_CODE_INTERNAL, "the node is stopping")
	}
}

// handleDecommission starts (or cancels) this node's departure. It
// answers at once; progress is in the transfers of the other nodes and in
// this node's own transfers report.
func (n *Node) handleDecommission(m *nats.Msg) {
	req := &messages.DecommissionRequest{}
	if err := decodeRequest(m, req); err != nil {
		n.reject(m, "decommission", err, &messages.DecommissionResponse{})
		return
	}
	reply := make(chan error, 1)
	if err := n.askMembers(&decommissionCmd{cancel: req.Cancel, force: req.Force, reply: reply}, reply); err != nil {
		n.reject(m, "decommission", err, &messages.DecommissionResponse{})
		return
	}
	n.respond(m, &messages.DecommissionResponse{Node: n.id, State: n.selfState().String()})
}

// handleRemove takes a dead node out of the ring.
func (n *Node) handleRemove(m *nats.Msg) {
	req := &messages.RemoveRequest{}
	if err := decodeRequest(m, req); err != nil {
		n.reject(m, "remove", err, &messages.RemoveResponse{})
		return
	}
	if !ValidNodeName(req.Node) {
		n.reject(m, "remove", errorf(messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, "%q is not a node name", req.Node), &messages.RemoveResponse{})
		return
	}
	reply := make(chan error, 1)
	if err := n.askMembers(&removeCmd{id: req.Node, force: req.Force, reply: reply}, reply); err != nil {
		n.reject(m, "remove", err, &messages.RemoveResponse{})
		return
	}
	n.respond(m, &messages.RemoveResponse{Node: req.Node})
}

// handleTransfers reports the ownership transfers this node takes part in.
func (n *Node) handleTransfers(m *nats.Msg) {
	if err := decodeRequest(m, &messages.TransfersRequest{}); err != nil {
		n.reject(m, "transfers", err, &messages.TransfersResponse{})
		return
	}
	n.respond(m, n.transfersReport())
}

func (n *Node) transfersReport() *messages.TransfersResponse {
	v := n.view.Load()
	list, completed := n.transfers.snapshot()
	resp := &messages.TransfersResponse{Node: n.id, State: n.selfState().String(), Transfers: list,
		BytesReceived: uint64(n.metrics.transferReceived.Load()), BytesSent: uint64(n.metrics.transferSent.Load()),
		PartitionsCompleted: completed}
	if !v.changing() {
		return resp
	}
	tr := v.transition()
	for p := range v.moved {
		if slices.Contains(tr.Gainers(p, v.nmax), n.id) {
			resp.PartitionsGained++
			if v.ready(n.id, p) {
				resp.PartitionsReceived++
			}
		}
		if slices.Contains(v.ring.Replicas(p, v.nmax), n.id) && tr.Changing(p, v.nmax) {
			resp.PartitionsToHandOff++
			if v.moved[p] {
				resp.PartitionsHandedOff++
			}
		}
	}
	return resp
}

// selfState is this node's state in the ring ("left" once it has left,
// which its own view, holding only members on a ring, cannot say).
func (n *Node) selfState() members.State { return members.State(n.state.Load()) }
