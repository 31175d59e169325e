package actors

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/quorumkv/quorumkv/merkle"
	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/storage"
	"github.com/quorumkv/quorumkv/vclock"
)

// Operations a partition actor takes only from this node (never from the
// wire: validateCall refuses them).
const (
	// opHintDone removes hintFor from the targets of the key's hint, if the
	// hint's record still has version digest (any version when digest is
	// 0: a hint dropped by a bound).
	opHintDone messages.ReplicaOp = 100 + iota
	// opRebuild rebuilds the partition's Merkle trees from storage.
	opRebuild
	// opTreeInfo reports the partition's trees.
	opTreeInfo
	// opDrop deletes every record of the partition: this node no longer
	// owns it and the owners hold it.
	opDrop
)

// partitionActor is the only writer of one partition's keyspace on this
// node: its records, its hints and its Merkle trees. It applies writes in
// mailbox order and never waits for an fsync in Receive: the write is
// applied (visible) at once, and the reply goes out from the storage
// layer's group-commit wait, so many partitions and many writes share each
// WAL sync.
type partitionActor struct {
	id int
	// actor is the id this node issues dots under: the node id plus, for a
	// data dir created since ids had epochs, an epoch of that data dir, so
	// a node that lost its disk never reissues a dot it issued before.
	actor      string
	db         *storage.DB
	clock      *hybridClock
	maxContext int
	log        *slog.Logger
	metrics    *metrics
	writes     *sync.WaitGroup // lets shutdown wait for writes whose fsync is in flight
	// durable is true under --sync always: a write is acknowledged only
	// after its WAL sync, waited for off the actor's goroutine.
	durable bool
	// fatal stops the node when storage has failed for good (a WAL write
	// or fsync error never clears in Pebble; a restart replays the WAL).
	fatal func(error)
	// cache holds recent records of this partition (nil: no cache).
	cache *recordCache

	// trees holds one Merkle tree per namespace with records here, kept
	// up to date on every write; built is when they were last rebuilt from
	// storage.
	trees map[string]*nsTree
	built time.Time
	// hints counts (key, target) pairs of the hints this partition holds.
	// Only the actor changes it; coordinators read it (cachedRead).
	hints atomic.Int64
	// noteHint tells the node's hint summary of a new hint target here.
	noteHint func(target string, partition int)
	// scanPace bounds the bytes this node serves to ownership transfers.
	scanPace *pacer
	// started is called once the actor has built its trees and counted
	// its hints, so the node turns ready only with its gauges right.
	started func()
}

// nsTree is one namespace's Merkle tree in a partition, and its count of
// tombstone-only records (the tree counts all records).
type nsTree struct {
	tree       merkle.Tree
	tombstones int
}

// read returns the stored record of a key, from the cache when it is there.
func (p *partitionActor) read(namespace, key string) (vclock.Record, bool, error) {
	k := cacheKey(namespace, key)
	if rec, ok := p.cache.get(k); ok {
		return rec, len(rec.Siblings) > 0 || len(rec.Context) > 0, nil
	}
	rec, found, err := p.db.Get(p.id, namespace, key)
	if err == nil {
		p.cache.put(k, rec)
	}
	return rec, found, err
}

// cachedRead answers a read of this replica from another goroutine when
// the record is in the cache and the partition holds no hints (a hint
// would have to be merged in from storage); ok is false otherwise, and the
// read goes through the actor. A write is in the cache before it is
// acknowledged, so a hit never misses an acknowledged write.
func (p *partitionActor) cachedRead(namespace, key string) (res replicaResult, ok bool) {
	if p.cache == nil || p.hints.Load() > 0 {
		return replicaResult{}, false
	}
	rec, ok := p.cache.get(cacheKey(namespace, key))
	if !ok {
		return replicaResult{}, false
	}
	p.metrics.replicaOps.WithLabelValues("get").Inc()
	return replicaResult{record: rec, found: len(rec.Siblings) > 0 || len(rec.Context) > 0}, true
}

// readResult is a GET's answer: the record, or only "same" when the
// caller named the digest of the version it already holds and this is it.
func readResult(rec vclock.Record, found bool, digest uint64) replicaResult {
	if found && digest != 0 && rec.Digest() == digest {
		return replicaResult{found: true, same: true}
	}
	return replicaResult{record: rec, found: found}
}

func (p *partitionActor) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		p.rebuild()
		p.countHints()
		if p.started != nil {
			p.started()
			p.started = nil // a restart after a panic is not a start
		}
	case *replicaCall:
		p.onCall(m)
	}
}

func (p *partitionActor) onCall(call *replicaCall) {
	p.metrics.replicaOps.WithLabelValues(replicaOpName(call.op)).Inc()
	switch call.op {
	case messages.ReplicaOp_REPLICA_OP_GET:
		p.onGet(call)
	case messages.ReplicaOp_REPLICA_OP_PUT:
		if call.hintFor != "" {
			p.onHintWrite(call)
		} else {
			p.onPut(call)
		}
	case messages.ReplicaOp_REPLICA_OP_MERGE:
		if call.hintFor != "" {
			p.onHintWrite(call)
		} else {
			p.onMerge(call)
		}
	case messages.ReplicaOp_REPLICA_OP_TREE:
		p.onTree(call)
	case messages.ReplicaOp_REPLICA_OP_SEGMENT:
		p.onSegment(call)
	case messages.ReplicaOp_REPLICA_OP_REAP:
		p.onReap(call)
	case messages.ReplicaOp_REPLICA_OP_SCAN:
		p.onScan(call)
	case opHintDone:
		p.onHintDone(call)
	case opRebuild:
		p.rebuild()
		call.done(replicaResult{})
	case opTreeInfo:
		call.done(replicaResult{info: p.treeInfo()})
	case opDrop:
		p.onDrop(call)
	default:
		call.done(replicaResult{err: errorf(messages.ErrorCode_ERROR_CODE_MALFORMED_REQUEST, "unknown replica op %d", call.op)})
	}
}

// onGet answers a read with the key's record and, where this node holds a
// hint for the key (it was a fallback), the hint's record merged in: a
// read must find an acknowledged write that only fallbacks hold. A caller
// that sent the digest of the version it holds gets only "same" when that
// is this replica's version too, instead of the record again.
func (p *partitionActor) onGet(call *replicaCall) {
	rec, found, err := p.read(call.namespace, call.key)
	if err == nil && p.hints.Load() > 0 {
		if h, ok, herr := p.db.GetHint(p.id, call.namespace, call.key); herr == nil && ok {
			rec, found = syncRecords(call.mode, rec, h.Record), true
		}
	}
	if err != nil {
		call.done(replicaResult{err: err})
		return
	}
	call.done(readResult(rec, found, call.digest))
}

// onPut advances the key's version at this replica: the coordinating
// replica of a put or delete. A corrupt stored record refuses the write,
// since its lost dots could be reissued and collide with live ones.
func (p *partitionActor) onPut(call *replicaCall) {
	cur, found, err := p.read(call.namespace, call.key)
	if err != nil {
		call.done(replicaResult{err: err})
		return
	}
	next := p.advance(cur, call)
	p.persist(call, cur, found, next)
}

// advance applies a client write to cur, issuing a new dot.
func (p *partitionActor) advance(cur vclock.Record, call *replicaCall) vclock.Record {
	// A write must win over every value it replaces under last-write-wins,
	// even when the node that wrote them has a clock ahead of ours: those
	// stored here, and those the client saw (its context's entries carry
	// the times of the writes it covers), which this replica may not hold
	// yet. A context time further ahead of this node's clock than
	// maxContextLead is not trusted: a forged token must not drag the
	// clock into the future.
	for _, s := range cur.Siblings {
		p.clock.observe(s.Timestamp)
	}
	if call.mode == messages.ConflictMode_CONFLICT_MODE_LWW {
		limit := p.clock.wallNow() + int64(maxContextLead)
		for _, e := range call.context {
			if e.Time <= limit {
				p.clock.observe(e.Time)
			}
		}
	}
	now := p.clock.now()
	w := call.write
	w.Timestamp = now
	var next vclock.Record
	if call.mode == messages.ConflictMode_CONFLICT_MODE_LWW {
		next = vclock.UpdateLWW(cur, call.context, w, p.actor, now)
	} else {
		next = vclock.Update(cur, call.context, w, p.actor, now)
	}
	// Never prune our own entry: the next write would reissue a dot.
	return vclock.PruneKeep(next, p.maxContext, p.actor)
}

// onMerge folds a record from another replica into this one's state. A
// corrupt local record is replaced by the incoming one: the other replicas
// hold what it held.
func (p *partitionActor) onMerge(call *replicaCall) {
	cur, found, err := p.read(call.namespace, call.key)
	if err != nil {
		p.log.Warn("replacing corrupt record by merge", "partition", p.id, "namespace", call.namespace, "err", err)
		cur, found = vclock.Record{}, false
	}
	next := syncRecords(call.mode, cur, call.record)
	if found && next.Equal(cur) {
		call.done(replicaResult{found: true})
		return
	}
	p.persist(call, cur, found, next)
}

// persist applies rec (replacing cur) and replies once it is durable. A
// PUT's reply carries the new record (the coordinator answers the client
// with its context); a MERGE's is a bare acknowledgement, since no caller
// reads it and it would double the bytes of every replicated write.
func (p *partitionActor) persist(call *replicaCall, cur vclock.Record, found bool, rec vclock.Record) {
	k := cacheKey(call.namespace, call.key)
	pending, err := p.db.Put(p.id, call.namespace, call.key, rec)
	if err != nil {
		p.cache.remove(k) // what is stored is unknown now
		p.checkFailed(err)
		call.done(replicaResult{err: err})
		return
	}
	p.cache.put(k, rec)
	p.recordChanged(call.namespace, call.key, cur, found, rec, true)
	res := replicaResult{found: true}
	if call.op == messages.ReplicaOp_REPLICA_OP_PUT {
		res.record, res.actor = rec, p.actor
	}
	p.replyDurable(call, pending, res)
}

// replyDurable answers call with res once pending is durable.
func (p *partitionActor) replyDurable(call *replicaCall, pending storage.Pending, res replicaResult) {
	if !p.durable {
		res.err = pending.Wait()
		call.done(res)
		return
	}
	p.writes.Add(1)
	go func() {
		defer p.writes.Done()
		err := pending.Wait()
		p.checkFailed(err)
		res.err = err
		call.done(res)
	}()
}

func (p *partitionActor) checkFailed(err error) {
	if errors.Is(err, storage.ErrFailed) {
		p.fatal(err)
	}
}

// onDrop deletes the partition's records, and with them its trees and
// cached records.
func (p *partitionActor) onDrop(call *replicaCall) {
	err := p.db.DropPartition(p.id)
	if err == nil {
		p.cache.clear()
		p.setTrees(map[string]*nsTree{})
	}
	p.checkFailed(err)
	call.done(replicaResult{err: err})
}

// scanLimit caps one SCAN's answer: a batch that fits a NATS message with
// room to spare, big enough that a transfer is not round-trip bound.
const scanLimit = 256 << 10

// onScan serves the next records of the partition to a transfer, off the
// actor: a scan reads committed data through its own iterator and needs no
// ordering with writes (those reach the new owner as forwards, and its
// final Merkle comparison catches any the two missed). The reply waits for
// the node's serving budget.
func (p *partitionActor) onScan(call *replicaCall) {
	go func() {
		limit := min(max(call.limit, 1), scanLimit)
		entries, more, err := p.db.ScanFrom(p.id, call.namespace, call.key, limit)
		var bad *storage.ScanCorruptError
		if errors.As(err, &bad) {
			p.log.Warn("transfer skips corrupt records; anti-entropy replaces them", "partition", p.id, "count", bad.Count)
			err = nil
		}
		size := 0
		for _, e := range entries {
			size += e.Size
		}
		total, _ := p.db.PartitionBytes(p.id)
		if p.scanPace != nil && !p.scanPace.wait(size) {
			err = errStopping
		}
		p.metrics.transferSent.Add(int64(size))
		call.done(replicaResult{entries: entries, more: more, partBytes: total, err: err})
	}()
}

func replicaOpName(op messages.ReplicaOp) string {
	switch op {
	case messages.ReplicaOp_REPLICA_OP_GET:
		return "get"
	case messages.ReplicaOp_REPLICA_OP_PUT:
		return "put"
	case messages.ReplicaOp_REPLICA_OP_MERGE:
		return "merge"
	case messages.ReplicaOp_REPLICA_OP_TREE:
		return "tree"
	case messages.ReplicaOp_REPLICA_OP_SEGMENT:
		return "segment"
	case messages.ReplicaOp_REPLICA_OP_REAP:
		return "reap"
	case messages.ReplicaOp_REPLICA_OP_SCAN:
		return "scan"
	case opHintDone:
		return "hint_done"
	case opRebuild:
		return "rebuild"
	case opTreeInfo:
		return "tree_info"
	case opDrop:
		return "drop"
	}
	return "unknown"
}
