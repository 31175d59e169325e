package actors

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/storage"
)

// transferManager copies to this node the partitions it gains in a
// membership change (it joins, or takes over from a node that leaves or
// was removed). Per partition: stream every record from one old owner in
// batches (SCAN), merging each by version; then compare Merkle trees with
// every old owner that is up, which brings in whatever the stream missed
// (writes behind its cursor that no forward delivered, records the chosen
// owner lacked); then tell the membership actor, which marks the
// partition ready in gossip. Reads move to the new owners of a partition
// only once every one of them has marked it.
//
// A transfer that fails is retried, and says why meanwhile; one
// interrupted by a restart resumes from its persisted cursor (the final
// comparison makes any cursor safe).
type transferManager struct {
	env    *healEnv
	notify <-chan struct{}
	ready  func(partition int)
	pace   *pacer
	// delay is how long every member up must have routed by this node's
	// member states (their ring digests equal) before copying starts: the
	// writes coordinated before they all did, which may not have been
	// forwarded here, have finished by then, so the final comparison
	// sees them.
	delay time.Duration

	// unowned is when this node was first seen to be outside partition
	// p's owners with no change under way, and dropped the partitions
	// whose records it has deleted since; both are the run loop's own.
	unowned map[int]time.Time
	dropped map[int]bool

	mu        sync.Mutex
	status    map[int]*transferStatus
	completed uint64
	wake      chan struct{}
}

// transferStatus is one partition this node gains and does not hold yet.
type transferStatus struct {
	partition  int
	from       string
	bytesDone  uint64
	bytesTotal uint64
	records    uint64
	state      string // waiting, streaming, verifying, stalled, done
	reason     string
	attempts   int
	began      time.Time
	retryAt    time.Time
	stop       chan struct{}
}

const (
	transferRetry = 2 * time.Second
	transferTick  = 500 * time.Millisecond
)

var errTransferCancelled = errors.New("the partition is no longer gained")

func newTransferManager(env *healEnv, notify <-chan struct{}, ready func(int)) *transferManager {
	return &transferManager{env: env, notify: notify, ready: ready,
		pace:   &pacer{rate: env.cfg.HandoffRate, quit: env.quit},
		delay:  max(4*env.cfg.GossipInterval, env.cfg.RequestTimeout),
		status: map[int]*transferStatus{}, wake: make(chan struct{}, 1),
		unowned: map[int]time.Time{}, dropped: map[int]bool{}}
}

// run reconciles transfers with the view on every change, on every
// finished transfer, and every tick (for retries), until shutdown.
func (t *transferManager) run() {
	tick := time.NewTicker(transferTick)
	defer tick.Stop()
	var since time.Time // since when every member up routes by this view
	for {
		select {
		case <-t.env.quit:
			t.stopAll()
			return
		case <-t.notify:
		case <-t.wake:
		case <-tick.C:
		}
		v := t.env.view()
		switch {
		case !v.changing() || !v.converged(t.env.self):
			since = time.Time{}
		case since.IsZero():
			since = time.Now()
		}
		why := ""
		switch {
		case since.IsZero():
			why = "waiting until every node up has heard of the change"
		case time.Since(since) < t.delay:
			why = "waiting for writes coordinated before every node heard of the change to finish"
		}
		t.reconcile(v, why)
		t.dropUnowned(v)
	}
}

// dropUnowned deletes the records of partitions this node no longer owns:
// those whose writes have gone elsewhere for DropGrace with no change
// under way. The grace covers views that lag (a node that has not heard of
// the change yet may still read here) and reads in flight.
func (t *transferManager) dropUnowned(v *clusterView) {
	if v.changing() {
		clear(t.unowned)
		return
	}
	now := time.Now()
	for p := range v.moved {
		if v.writesTo(t.env.self, p) {
			delete(t.unowned, p)
			delete(t.dropped, p)
			continue
		}
		since, seen := t.unowned[p]
		if !seen {
			t.unowned[p] = now
			continue
		}
		if t.dropped[p] || now.Sub(since) < t.env.cfg.DropGrace {
			continue
		}
		res := t.env.call(t.env.self, &replicaCall{op: opDrop, partition: p})
		if res.err != nil {
			t.env.log.Warn("cannot drop a partition this node no longer owns", "partition", p, "err", res.err)
			continue
		}
		t.dropped[p] = true
	}
}

// reconcile tracks the partitions gained and not held, stops transfers
// of partitions no longer gained, and starts transfers up to the
// concurrency limit unless why says why not yet.
func (t *transferManager) reconcile(v *clusterView, why string) {
	gains := v.pendingGains(t.env.self)
	t.env.metrics.partitionsPending.Store(int64(len(gains)))
	t.mu.Lock()
	defer t.mu.Unlock()
	for p, st := range t.status {
		if !slices.Contains(gains, p) {
			if st.stop != nil {
				close(st.stop)
			}
			delete(t.status, p)
		}
	}
	running := 0
	for _, p := range gains {
		st := t.status[p]
		if st == nil {
			st = &transferStatus{partition: p, state: "waiting"}
			t.status[p] = st
		}
		if st.stop != nil {
			running++
		}
		if st.state == "waiting" {
			st.reason = why
		}
	}
	if why != "" {
		return
	}
	now := time.Now()
	for _, p := range gains {
		st := t.status[p]
		if st.stop != nil || st.state == "done" || now.Before(st.retryAt) {
			continue
		}
		if running >= t.env.cfg.HandoffConcurrency {
			st.reason = "waiting for a transfer slot"
			continue
		}
		running++
		st.stop, st.began, st.state, st.reason = make(chan struct{}), now, "streaming", ""
		st.bytesDone, st.records = 0, 0
		stop := st.stop
		t.env.metrics.transfersActive.Add(1)
		t.env.spawn(func() { t.finish(st, t.copy(st, stop)) })
	}
}

// finish records a transfer's outcome and wakes the loop.
func (t *transferManager) finish(st *transferStatus, err error) {
	t.env.metrics.transfersActive.Add(-1)
	t.mu.Lock()
	st.stop = nil
	switch {
	case err == nil:
		st.state = "done"
		t.completed++
	case errors.Is(err, errTransferCancelled) || errors.Is(err, errStopping):
	default:
		st.attempts++
		st.state, st.reason, st.retryAt = "stalled", err.Error(), time.Now().Add(transferRetry)
	}
	t.mu.Unlock()
	switch {
	case err == nil:
		t.env.metrics.transfersCompleted.Inc()
		t.env.log.Info("partition received", "partition", st.partition, "from", st.from, "bytes", st.bytesDone, "records", st.records)
		t.ready(st.partition)
	case !errors.Is(err, errTransferCancelled) && !errors.Is(err, errStopping):
		t.env.metrics.transferFailures.Inc()
		t.env.log.Warn("partition transfer stalled; retrying", "partition", st.partition, "err", err)
	}
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

func (t *transferManager) stopAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, st := range t.status {
		if st.stop != nil {
			close(st.stop)
			st.stop = nil
		}
	}
}

// copy streams partition st.partition from an old owner, then compares
// trees with every old owner that is up.
func (t *transferManager) copy(st *transferStatus, stop <-chan struct{}) error {
	p := st.partition
	sources, err := t.sources(p)
	if err != nil {
		return err
	}
	src := sources[st.attempts%len(sources)]
	t.update(st, func() { st.from = src })
	if err := t.stream(st, src, stop); err != nil {
		return err
	}
	t.update(st, func() { st.state = "verifying" })
	for _, ns := range t.env.ns.list() {
		for _, peer := range sources {
			if stopped(stop) {
				return errTransferCancelled
			}
			x := &exchange{env: t.env, partition: p, namespace: ns.Name, peer: peer, pace: t.pace}
			if err := x.run(); err != nil {
				return fmt.Errorf("compare namespace %q with %s: %w", ns.Name, peer, err)
			}
		}
	}
	t.saveCursor(p, transferCursor{})
	return nil
}

// sources are the old owners of p that are up, in preference order.
func (t *transferManager) sources(p int) ([]string, error) {
	v := t.env.view()
	var up, down []string
	for _, id := range v.ring.Replicas(p, v.nmax) {
		switch {
		case id == t.env.self:
		case v.isUp(id):
			up = append(up, id)
		default:
			down = append(down, id)
		}
	}
	if len(up) == 0 {
		return nil, fmt.Errorf("no old owner of partition %d is up (down: %s)", p, strings.Join(down, ", "))
	}
	return up, nil
}

// stream copies every record of the partition from src, resuming at the
// persisted cursor, within the node's receive budget.
func (t *transferManager) stream(st *transferStatus, src string, stop <-chan struct{}) error {
	p := st.partition
	cur := t.loadCursor(p)
	for {
		if stopped(stop) {
			return errTransferCancelled
		}
		res := t.env.call(src, &replicaCall{op: messages.ReplicaOp_REPLICA_OP_SCAN, partition: p,
			namespace: cur.Namespace, key: cur.Key, limit: scanLimit})
		if res.err != nil {
			return fmt.Errorf("stream from %s: %w", src, res.err)
		}
		size, err := t.mergeAll(p, res.entries)
		if err != nil {
			return err
		}
		if !t.pace.wait(size) {
			return errStopping
		}
		t.env.metrics.transferReceived.Add(int64(size))
		t.env.metrics.transferRecords.Add(float64(len(res.entries)))
		t.update(st, func() {
			st.bytesDone += uint64(size)
			st.records += uint64(len(res.entries))
			st.bytesTotal = max(res.partBytes, st.bytesDone)
		})
		if n := len(res.entries); n > 0 {
			cur = transferCursor{Namespace: res.entries[n-1].Namespace, Key: res.entries[n-1].Key}
			t.saveCursor(p, cur)
		}
		if !res.more {
			return nil
		}
	}
}

// mergeAll merges a batch into this node's partition, all at once (the
// partition actor applies them in order and the WAL syncs them together),
// and returns the batch's size once every merge is durable.
func (t *transferManager) mergeAll(p int, entries []storage.ScanEntry) (int, error) {
	results := make(chan error, len(entries))
	size, sent := 0, 0
	for _, e := range entries {
		size += e.Size
		if err := e.Record.Validate(); err != nil {
			t.env.log.Warn("transfer skips an invalid record; anti-entropy compares it", "partition", p, "err", err)
			continue
		}
		sent++
		c := &replicaCall{op: messages.ReplicaOp_REPLICA_OP_MERGE, partition: p, namespace: e.Namespace, key: e.Key,
			mode: t.env.mode(e.Namespace), record: e.Record, done: func(r replicaResult) { results <- r.err }}
		t.env.router.call(t.env.self, c)
	}
	var errs []error
	for range sent {
		select {
		case err := <-results:
			errs = append(errs, err)
		case <-t.env.quit:
			return 0, errStopping
		}
	}
	if err := errors.Join(errs...); err != nil {
		return 0, fmt.Errorf("store received records: %w", err)
	}
	return size, nil
}

func (t *transferManager) update(st *transferStatus, f func()) {
	t.mu.Lock()
	f()
	t.mu.Unlock()
}

func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// transferCursor is where a partition's stream stopped: the last record
// merged. The zero cursor starts at the first record.
type transferCursor struct {
	Namespace string `json:"ns,omitempty"`
	Key       string `json:"key,omitempty"`
}

func cursorMetaKey(p int) string { return fmt.Sprintf("transfer-cursor/%d", p) }

func (t *transferManager) loadCursor(p int) transferCursor {
	var c transferCursor
	if raw, found, err := t.env.db.GetMeta(cursorMetaKey(p)); err == nil && found {
		_ = json.Unmarshal(raw, &c) // unreadable: start over, which is safe
	}
	return c
}

func (t *transferManager) saveCursor(p int, c transferCursor) {
	raw, _ := json.Marshal(c)
	if err := t.env.db.SetMeta(cursorMetaKey(p), raw); err != nil {
		t.env.log.Warn("cannot persist transfer cursor", "partition", p, "err", err)
	}
}

// snapshot reports the transfers not done yet, by partition.
func (t *transferManager) snapshot() ([]*messages.TransferStatus, uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]*messages.TransferStatus, 0, len(t.status))
	for _, st := range t.status {
		if st.state == "done" {
			continue
		}
		ts := &messages.TransferStatus{Partition: uint32(st.partition), From: st.from, To: t.env.self,
			BytesDone: st.bytesDone, BytesTotal: st.bytesTotal, Records: st.records, State: st.state, Reason: st.reason, EtaMs: -1}
		if el := time.Since(st.began).Seconds(); st.state == "streaming" && el > 0 {
			ts.BytesPerSecond = float64(st.bytesDone) / el
			if ts.BytesPerSecond > 0 && st.bytesTotal >= st.bytesDone {
				ts.EtaMs = int64(float64(st.bytesTotal-st.bytesDone) / ts.BytesPerSecond * 1000)
			}
		}
		out = append(out, ts)
	}
	slices.SortFunc(out, func(a, b *messages.TransferStatus) int { return int(a.Partition) - int(b.Partition) })
	return out, t.completed
}
