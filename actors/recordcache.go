package actors

import (
	"sync"

	"github.com/quorumkv/quorumkv/vclock"
)

// recordCache keeps the latest records a partition actor read or wrote, so
// that the read-modify-write of a hot key skips Pebble. It needs no
// invalidation because the partition actor that owns it is the only writer
// of its keyspace and the only one that fills the cache: every write goes
// through put after it reached storage, so a cached record is always the
// stored one. Coordinators read it from other goroutines (a read that
// hits is answered without a trip through the actor's mailbox), hence the
// lock; they never fill it, since a record they read from storage could
// be older than one the actor is writing at that moment.
//
// Eviction is first-in first-out by insertion, within a byte budget: cheap,
// and close enough to LRU for a cache whose job is the hot set.
type recordCache struct {
	mu     sync.Mutex
	budget int
	bytes  int
	items  map[string]cachedRecord
	order  []string // insertion order; may hold keys already replaced
}

type cachedRecord struct {
	rec  vclock.Record
	size int
}

func newRecordCache(budget int) *recordCache {
	return &recordCache{budget: budget, items: map[string]cachedRecord{}}
}

func cacheKey(namespace, key string) string { return namespace + "\x00" + key }

func (c *recordCache) get(k string) (vclock.Record, bool) {
	if c == nil {
		return vclock.Record{}, false
	}
	c.mu.Lock()
	e, ok := c.items[k]
	c.mu.Unlock()
	return e.rec, ok
}

// put records rec as the current state of k. Records are never mutated
// after they are built (vclock returns new values), so the cache may share
// them.
func (c *recordCache) put(k string, rec vclock.Record) {
	if c == nil {
		return
	}
	size := recordSize(k, rec)
	c.mu.Lock()
	defer c.mu.Unlock()
	if size > c.budget/4 {
		c.removeLocked(k) // too large to be worth holding
		return
	}
	if old, ok := c.items[k]; ok {
		c.bytes -= old.size
	} else {
		c.order = append(c.order, k)
	}
	c.items[k] = cachedRecord{rec: rec, size: size}
	c.bytes += size
	for c.bytes > c.budget && len(c.order) > 0 {
		c.evictOldest()
	}
}

func (c *recordCache) remove(k string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.removeLocked(k)
	c.mu.Unlock()
}

func (c *recordCache) removeLocked(k string) {
	if old, ok := c.items[k]; ok {
		c.bytes -= old.size
		delete(c.items, k)
	}
}

func (c *recordCache) evictOldest() {
	k := c.order[0]
	c.order[0] = ""
	c.order = c.order[1:]
	c.removeLocked(k)
	if len(c.order) == 0 {
		c.order = nil // let the backing array go
	}
}

// recordSize approximates a record's memory: its values and names plus a
// fixed overhead per sibling and entry.
func recordSize(k string, r vclock.Record) int {
	n := len(k) + 64
	for _, s := range r.Siblings {
		n += len(s.Value) + len(s.ContentType) + len(s.Dot.Node) + 48
	}
	for _, e := range r.Context {
		n += len(e.Node) + 32
	}
	return n
}

// clear empties the cache (its partition's records were dropped).
func (c *recordCache) clear() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.items)
	c.order, c.bytes = c.order[:0], 0
}
