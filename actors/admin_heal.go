package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/nats-io/nats.go"

	"github.com/quorumkv/quorumkv/messages"
)

// adminWait bounds how long a drain or repair-now request waits for its
// work; the work itself goes on if the wait ends first.
const adminWait = 5 * time.Minute

// await waits for an actor's reply on ch, or gives up at shutdown or after
// adminWait.
func await[T any](n *Node, ch chan T) (T, bool) {
	t := time.NewTimer(adminWait)
	defer t.Stop()
	select {
	case v := <-ch:
		return v, true
	case <-n.quit:
	case <-t.C:
	}
	var zero T
	return zero, false
}

var errAdminTimeout = errorf(messages.ErrorCode_ERROR_CODE_TIMEOUT, "the node did not finish within %v (it goes on in the background)", adminWait)

// handleHints reports the hints this node holds, per target.
func (n *Node) handleHints(m *nats.Msg) {
	if err := decodeRequest(m, &messages.HintsRequest{}); err != nil {
		n.reject(m, "hints", err, &messages.HintsResponse{})
		return
	}
	ch := make(chan *messages.HintsResponse, 1)
	n.system.Root.Send(n.handoff, &hintStatusQuery{reply: ch})
	resp, ok := await(n, ch)
	if !ok {
		n.reject(m, "hints", errAdminTimeout, &messages.HintsResponse{})
		return
	}
	n.respond(m, resp)
}

// handleHintsDrain delivers this node's hints for a target now.
func (n *Node) handleHintsDrain(m *nats.Msg) {
	req := &messages.HintsDrainRequest{}
	if err := decodeRequest(m, req); err != nil {
		n.reject(m, "hints.drain", err, &messages.HintsDrainResponse{})
		return
	}
	if req.Target != "" && !ValidNodeName(req.Target) {
		n.reject(m, "hints.drain", errorf(messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, "target %q is not a node name", req.Target), &messages.HintsDrainResponse{})
		return
	}
	n.goTracked(func() {
		ch := make(chan hintDrainResult, 1)
		n.system.Root.Send(n.handoff, &hintDrain{target: req.Target, reply: ch})
		res, ok := await(n, ch)
		if !ok {
			n.reject(m, "hints.drain", errAdminTimeout, &messages.HintsDrainResponse{})
			return
		}
		n.respond(m, &messages.HintsDrainResponse{Delivered: res.delivered, Remaining: res.remaining})
	})
}

// handleRepairStatus reports every tree this node holds: its last exchange
// and its size.
func (n *Node) handleRepairStatus(m *nats.Msg) {
	if err := decodeRequest(m, &messages.RepairStatusRequest{}); err != nil {
		n.reject(m, "repair.status", err, &messages.RepairStatusResponse{})
		return
	}
	n.goTracked(func() {
		ch := make(chan map[treeKey]treeRepair, 1)
		n.system.Root.Send(n.repair, &repairStatusQuery{reply: ch})
		state, ok := await(n, ch)
		if !ok {
			n.reject(m, "repair.status", errAdminTimeout, &messages.RepairStatusResponse{})
			return
		}
		n.respond(m, n.repairStatus(state))
	})
}

func (n *Node) repairStatus(state map[treeKey]treeRepair) *messages.RepairStatusResponse {
	resp := &messages.RepairStatusResponse{Node: n.id}
	env := n.healEnv()
	for p := range n.cfg.Partitions {
		info := env.call(n.id, &replicaCall{op: opTreeInfo, partition: p}).info
		for _, ns := range n.ns.list() {
			st := state[treeKey{p, ns.Name}]
			pr := &messages.PartitionRepair{Partition: uint32(p), Namespace: ns.Name, LastPeer: st.lastPeer,
				KeysRepaired: st.keysRepaired, LastError: st.lastError}
			if !st.lastExchange.IsZero() {
				pr.LastExchangeUnixNano = st.lastExchange.UnixNano()
			}
			if info != nil {
				pr.TreeBuiltUnixNano = info.built.UnixNano()
				pr.Records = uint64(info.byNamespace[ns.Name][0])
			}
			if pr.LastExchangeUnixNano != 0 || pr.Records > 0 {
				resp.Partitions = append(resp.Partitions, pr)
			}
		}
	}
	resp.Exchanges = uint64(counterValue(n.metrics.aeExchanges))
	resp.KeysRepaired = uint64(counterValue(n.metrics.aeKeysRepaired))
	resp.TombstonesReaped = uint64(counterValue(n.metrics.tombstonesReaped))
	return resp
}

// handleRepairNow runs an anti-entropy exchange now and answers when done.
func (n *Node) handleRepairNow(m *nats.Msg) {
	req := &messages.RepairNowRequest{}
	if err := decodeRequest(m, req); err != nil {
		n.reject(m, "repair.now", err, &messages.RepairNowResponse{})
		return
	}
	var parts []int
	if !req.All {
		if int(req.Partition) >= n.cfg.Partitions {
			n.reject(m, "repair.now", errorf(messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT,
				"partition %d: the cluster has partitions 0..%d", req.Partition, n.cfg.Partitions-1), &messages.RepairNowResponse{})
			return
		}
		parts = []int{int(req.Partition)}
	}
	n.goTracked(func() {
		ch := make(chan *messages.RepairNowResponse, 1)
		n.system.Root.Send(n.repair, &repairNow{partitions: parts, reply: ch})
		resp, ok := await(n, ch)
		if !ok {
			n.reject(m, "repair.now", errAdminTimeout, &messages.RepairNowResponse{})
			return
		}
		n.respond(m, resp)
	})
}

// spawnHealing starts the handoff and repair actors.
func (n *Node) spawnHealing() {
	env := n.healEnv()
	n.repair = n.system.Root.Spawn(n.props(func() actor.Actor { return &repairActor{env: env} }))
	h := &handoffActor{env: env, summary: n.hintSummary,
		repair: func(parts []int) { n.system.Root.Send(n.repair, &repairSoon{partitions: parts}) }}
	n.handoff = n.system.Root.Spawn(n.props(func() actor.Actor { return h }))
}

func (n *Node) healEnv() *healEnv {
	return &healEnv{self: n.id, cfg: &n.cfg, db: n.db, router: n.router, view: n.view.Load, ns: n.ns,
		metrics: n.metrics, log: n.log, quit: n.quit, spawn: n.goTracked}
}
