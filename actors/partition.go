package actors

import (
	"errors"
	"log/slog"
	"sync"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/storage"
	"github.com/quorumkv/quorumkv/vclock"
)

// partitionActor is the only writer of one partition's keyspace on this
// node. It applies writes in mailbox order and never waits for an fsync in
// Receive: the write is applied (visible) at once, and the reply goes out
// from the storage layer's group-commit wait, so many partitions and many
// writes share each WAL sync.
type partitionActor struct {
	id         int
	self       string
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

func (p *partitionActor) Receive(c actor.Context) {
	if call, ok := c.Message().(*replicaCall); ok {
		p.onCall(call)
	}
}

func (p *partitionActor) onCall(call *replicaCall) {
	p.metrics.replicaOps.WithLabelValues(replicaOpName(call.op)).Inc()
	switch call.op {
	case messages.ReplicaOp_REPLICA_OP_GET:
		rec, found, err := p.read(call.namespace, call.key)
		call.done(replicaResult{record: rec, found: found, err: err})
	case messages.ReplicaOp_REPLICA_OP_PUT:
		p.onPut(call)
	case messages.ReplicaOp_REPLICA_OP_MERGE:
		p.onMerge(call)
	default:
		call.done(replicaResult{err: errorf(messages.ErrorCode_ERROR_CODE_MALFORMED_REQUEST, "unknown replica op %d", call.op)})
	}
}

// onPut advances the key's version at this replica: the coordinating
// replica of a put or delete. A corrupt stored record refuses the write,
// since its lost dots could be reissued and collide with live ones.
func (p *partitionActor) onPut(call *replicaCall) {
	cur, _, err := p.read(call.namespace, call.key)
	if err != nil {
		call.done(replicaResult{err: err})
		return
	}
	// A write must win over every value it replaces under last-write-wins,
	// even when the node that wrote them has a clock ahead of ours.
	for _, s := range cur.Siblings {
		p.clock.observe(s.Timestamp)
	}
	now := p.clock.now()
	w := call.write
	w.Timestamp = now
	var next vclock.Record
	if call.mode == messages.ConflictMode_CONFLICT_MODE_LWW {
		next = vclock.UpdateLWW(cur, call.context, w, p.self, now)
	} else {
		next = vclock.Update(cur, call.context, w, p.self, now)
	}
	// Never prune our own entry: the next write would reissue a dot.
	p.persist(call, vclock.PruneKeep(next, p.maxContext, p.self))
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
	var next vclock.Record
	if call.mode == messages.ConflictMode_CONFLICT_MODE_LWW {
		next = vclock.SyncLWW(cur, call.record)
	} else {
		next = vclock.Sync(cur, call.record)
	}
	if found && next.Equal(cur) {
		call.done(replicaResult{record: cur, found: true})
		return
	}
	p.persist(call, next)
}

// persist applies rec and replies once it is durable.
func (p *partitionActor) persist(call *replicaCall, rec vclock.Record) {
	k := cacheKey(call.namespace, call.key)
	pending, err := p.db.Put(p.id, call.namespace, call.key, rec)
	if err != nil {
		p.cache.remove(k) // what is stored is unknown now
		p.checkFailed(err)
		call.done(replicaResult{err: err})
		return
	}
	p.cache.put(k, rec)
	if !p.durable {
		call.done(replicaResult{record: rec, found: true, err: pending.Wait()})
		return
	}
	p.writes.Add(1)
	go func() {
		defer p.writes.Done()
		err := pending.Wait()
		p.checkFailed(err)
		call.done(replicaResult{record: rec, found: true, err: err})
	}()
}

func (p *partitionActor) checkFailed(err error) {
	if errors.Is(err, storage.ErrFailed) {
		p.fatal(err)
	}
}

func replicaOpName(op messages.ReplicaOp) string {
	switch op {
	case messages.ReplicaOp_REPLICA_OP_GET:
		return "get"
	case messages.ReplicaOp_REPLICA_OP_PUT:
		return "put"
	case messages.ReplicaOp_REPLICA_OP_MERGE:
		return "merge"
	}
	return "unknown"
}
