package actors

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/storage"
)

// hintDeliveryInFlight bounds the hints one pass has in flight to a target.
const hintDeliveryInFlight = 16

type (
	// hintTick starts a handoff pass unless one is running.
	hintTick struct{}
	// hintPassDone carries a pass's outcome back to the actor.
	hintPassDone struct{ stats map[string]hintTargetStats }
	// hintDrain asks for a pass now, delivering to target ("" = all).
	hintDrain struct {
		target string
		reply  chan hintDrainResult
		// deliveredBefore is the delivered count when the drain was asked,
		// and pass the first pass that started after it.
		deliveredBefore uint64
		pass            int
	}
	// hintStatusQuery asks for the last pass's summary.
	hintStatusQuery struct{ reply chan *messages.HintsResponse }
)

type hintDrainResult struct{ delivered, remaining uint64 }

// handoffActor delivers the hints this node holds as a fallback (Dynamo
// §4.6). Every HintInterval a pass scans the hints, drops those past the
// count, byte and age bounds (oldest first; their partitions are marked for
// a prompt anti-entropy exchange), delivers the rest to targets that are up
// (oldest first, throttled to HintRate, each merged into the home replica
// and removed here only once acknowledged) and publishes a summary that
// gossip carries, so reads know whose "not found" not to trust.
//
// Passes run one at a time on a tracked goroutine; the actor only holds
// the schedule and the last summary.
type handoffActor struct {
	env       *healEnv
	repair    func(partitions []int) // marks partitions for prompt anti-entropy
	summary   *hintSummary
	running   bool
	passes    int // passes started
	drains    []hintDrain
	stats     map[string]hintTargetStats
	delivered atomic.Uint64
	dropped   atomic.Uint64
	stopper   chan struct{}
}

func (h *handoffActor) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		h.stopper = make(chan struct{})
		tickEvery(h.env, c, h.env.cfg.HintInterval, h.stopper, func() any { return &hintTick{} })
	case *actor.Stopping:
		close(h.stopper)
	case *hintTick:
		h.startPass(c, "")
	case *hintDrain:
		m.deliveredBefore, m.pass = h.delivered.Load(), h.passes+1
		h.drains = append(h.drains, *m)
		h.startPass(c, m.target)
	case *hintPassDone:
		h.onPassDone(c, m)
	case *hintStatusQuery:
		m.reply <- h.status()
	}
}

// tickEvery sends make() to the actor every d until stop closes.
func tickEvery(env *healEnv, c actor.Context, d time.Duration, stop chan struct{}, make func() any) {
	root, self := c.ActorSystem().Root, c.Self()
	env.spawn(func() {
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				root.Send(self, make())
			}
		}
	})
}

func (h *handoffActor) startPass(c actor.Context, drainTarget string) {
	if h.running {
		return // a drain waits for the pass after this one (onPassDone)
	}
	h.running = true
	h.passes++
	h.summary.passStarted()
	root, self := c.ActorSystem().Root, c.Self()
	view := h.env.view()
	h.env.spawn(func() {
		stats := h.pass(view, drainTarget)
		root.Send(self, &hintPassDone{stats: stats})
	})
}

func (h *handoffActor) onPassDone(c actor.Context, m *hintPassDone) {
	h.running = false
	h.stats = m.stats
	h.summary.passEnded(m.stats)
	// A drain is answered by the first pass that started after it; one
	// asked during this pass starts the next at once.
	var waiting []hintDrain
	for _, d := range h.drains {
		if d.pass > h.passes {
			waiting = append(waiting, d)
			continue
		}
		d.reply <- hintDrainResult{delivered: h.delivered.Load() - d.deliveredBefore, remaining: uint64(h.remaining(d.target))}
	}
	h.drains = waiting
	if len(waiting) > 0 {
		h.startPass(c, waiting[0].target)
	}
}

func (h *handoffActor) remaining(target string) int {
	n := 0
	for t, s := range h.stats {
		if target == "" || t == target {
			n += s.count
		}
	}
	return n
}

// pass is one scan, bound and delivery round. It returns what remains
// held per target afterwards.
func (h *handoffActor) pass(view *clusterView, drainTarget string) map[string]hintTargetStats {
	byTarget := map[string][]hintRef{}
	err := h.env.db.ScanHints(-1, func(e storage.HintEntry) error {
		for _, t := range e.Hint.Targets {
			byTarget[t] = append(byTarget[t], hintRef{partition: e.Partition, namespace: e.Namespace, key: e.Key,
				digest: e.Hint.Record.Digest(), size: e.Size, created: e.Hint.Created})
		}
		return nil
	})
	if err != nil {
		h.env.log.Warn("hint scan incomplete", "err", err)
	}
	bounds := hintBounds{maxCount: h.env.cfg.HintMaxCount, maxBytes: h.env.cfg.HintMaxBytes, maxAge: h.env.cfg.HintMaxAge}
	stats := map[string]hintTargetStats{}
	pace := &pacer{rate: h.env.cfg.HintRate, quit: h.env.quit}
	for target, refs := range byTarget {
		keep, drop := boundHints(refs, bounds, time.Now())
		h.drop(target, drop)
		if view.isUp(target) && target != h.env.self && (drainTarget == "" || drainTarget == target) {
			keep = h.deliver(target, keep, pace)
		}
		stats[target] = summarise(keep)
	}
	return stats
}

// drop removes hints past a bound and marks their partitions for a prompt
// anti-entropy exchange.
func (h *handoffActor) drop(target string, refs []hintRef) {
	if len(refs) == 0 {
		return
	}
	parts := map[int]bool{}
	for _, r := range refs {
		res := h.env.call(h.env.self, &replicaCall{op: opHintDone, partition: r.partition, namespace: r.namespace,
			key: r.key, hintFor: target})
		if res.err == nil && res.found {
			parts[r.partition] = true
			h.dropped.Add(1)
			h.env.metrics.hintsDropped.Inc()
		}
	}
	list := make([]int, 0, len(parts))
	for p := range parts {
		list = append(list, p)
	}
	sort.Ints(list)
	h.env.log.Warn("dropped hints past a bound; anti-entropy will repair their partitions",
		"target", target, "hints", len(refs), "partitions", list)
	h.repair(list)
}

// deliver sends target its hints, oldest first, at most
// hintDeliveryInFlight at a time and within the byte rate, and returns
// those still held (not acknowledged, or changed since the scan).
func (h *handoffActor) deliver(target string, refs []hintRef, pace *pacer) []hintRef {
	sem := make(chan struct{}, hintDeliveryInFlight)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var left []hintRef
	for i, r := range refs {
		if !pace.wait(r.size) {
			mu.Lock()
			left = append(left, refs[i:]...)
			mu.Unlock()
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if !h.deliverOne(target, r) {
				mu.Lock()
				left = append(left, r)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return left
}

// deliverOne reads the hint (it may have grown since the scan), merges it
// into the target's replica, and removes the target from the hint if the
// hint did not change meanwhile.
func (h *handoffActor) deliverOne(target string, r hintRef) bool {
	hint, found, err := h.env.db.GetHint(r.partition, r.namespace, r.key)
	if err != nil || !found || !hint.HasTarget(target) {
		return err == nil // gone or delivered: nothing left to hold
	}
	res := h.env.call(target, &replicaCall{op: messages.ReplicaOp_REPLICA_OP_MERGE, partition: r.partition,
		namespace: r.namespace, key: r.key, mode: h.env.mode(r.namespace), record: hint.Record})
	if res.err != nil {
		return false
	}
	done := h.env.call(h.env.self, &replicaCall{op: opHintDone, partition: r.partition, namespace: r.namespace,
		key: r.key, hintFor: target, digest: hint.Record.Digest()})
	if done.err != nil || !done.found {
		return false // a newer write joined the hint: the next pass delivers it
	}
	h.delivered.Add(1)
	h.env.metrics.hintsDelivered.Inc()
	return true
}

func (h *handoffActor) status() *messages.HintsResponse {
	resp := &messages.HintsResponse{Node: h.env.self, Delivered: h.delivered.Load(), Dropped: h.dropped.Load()}
	view := h.env.view()
	for target, s := range h.stats {
		if s.count == 0 {
			continue
		}
		resp.Targets = append(resp.Targets, &messages.HintTargetStatus{Target: target, Count: uint64(s.count),
			Bytes: uint64(s.bytes), OldestUnixNano: s.oldest, TargetUp: view.isUp(target)})
	}
	sort.Slice(resp.Targets, func(i, j int) bool { return resp.Targets[i].Target < resp.Targets[j].Target })
	return resp
}
