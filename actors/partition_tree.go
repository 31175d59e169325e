package actors

import (
	"errors"
	"time"

	"github.com/quorumkv/quorumkv/merkle"
	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/storage"
	"github.com/quorumkv/quorumkv/vclock"
)

// treeInfo is what a partition reports about its trees.
type treeInfo struct {
	built time.Time
	// byNamespace maps a namespace to its record and tombstone counts.
	byNamespace map[string][2]int
}

// rebuild recomputes every tree of the partition from storage. It runs in
// Receive: a partition's scan is short (a node's data over Q partitions),
// and the repair actor spaces rebuilds out under its keys-per-second
// budget. A corrupt record is left out of the tree, so the leaf holding it
// differs from every good replica's and anti-entropy fetches it again.
func (p *partitionActor) rebuild() {
	trees := map[string]*nsTree{}
	err := p.db.ScanPartition(p.id, func(ns, key string, rec vclock.Record) error {
		t := trees[ns]
		if t == nil {
			t = &nsTree{}
			trees[ns] = t
		}
		t.tree.Add(key, rec.Digest())
		if dead, _ := rec.TombstoneOnly(); dead {
			t.tombstones++
		}
		return nil
	})
	var bad *storage.ScanCorruptError
	switch {
	case errors.As(err, &bad):
		p.log.Error("corrupt records left out of the Merkle tree; anti-entropy will replace them",
			"partition", p.id, "count", bad.Count, "keys", bad.Keys)
		for _, k := range bad.Keys {
			p.cache.remove(cacheKey(k.Namespace, k.Key))
		}
	case err != nil:
		p.log.Error("Merkle tree rebuild failed; keeping the old trees", "partition", p.id, "err", err)
		return
	}
	p.setTrees(trees)
	p.built = time.Now()
}

// setTrees replaces the trees, moving the node's record gauges by the
// difference.
func (p *partitionActor) setTrees(trees map[string]*nsTree) {
	var dRecords, dTombs int
	for _, t := range p.trees {
		dRecords -= t.tree.Items()
		dTombs -= t.tombstones
	}
	for _, t := range trees {
		dRecords += t.tree.Items()
		dTombs += t.tombstones
	}
	p.trees = trees
	p.metrics.records.Add(int64(dRecords))
	p.metrics.tombstones.Add(int64(dTombs))
}

// recordChanged moves the namespace's tree and counts from the old state
// of a key to the new one (a missing record on either side is absent).
func (p *partitionActor) recordChanged(ns, key string, old vclock.Record, hadOld bool, cur vclock.Record, hasCur bool) {
	t := p.trees[ns]
	if t == nil {
		if p.trees == nil { // the first build failed; later writes still count
			p.trees = map[string]*nsTree{}
		}
		t = &nsTree{}
		p.trees[ns] = t
	}
	if hadOld {
		t.tree.Remove(key, old.Digest())
		p.metrics.records.Add(-1)
		if dead, _ := old.TombstoneOnly(); dead {
			t.tombstones--
			p.metrics.tombstones.Add(-1)
		}
	}
	if hasCur {
		t.tree.Add(key, cur.Digest())
		p.metrics.records.Add(1)
		if dead, _ := cur.TombstoneOnly(); dead {
			t.tombstones++
			p.metrics.tombstones.Add(1)
		}
	}
}

// onTree answers hashes of the namespace's tree at one level.
func (p *partitionActor) onTree(call *replicaCall) {
	var tree merkle.Tree // no records in the namespace: the empty tree
	if t := p.trees[call.namespace]; t != nil {
		tree = t.tree
	}
	var idx []int
	if len(call.nodes) > 0 {
		idx = call.nodes
	}
	hashes, ok := tree.Hashes(call.level, idx)
	if !ok {
		call.done(replicaResult{err: errorf(messages.ErrorCode_ERROR_CODE_MALFORMED_REQUEST, "tree level %d nodes %v out of range", call.level, call.nodes)})
		return
	}
	call.done(replicaResult{hashes: hashes})
}

// onSegment lists the keys and version digests of the namespace's records
// in the leaves asked for.
func (p *partitionActor) onSegment(call *replicaCall) {
	leaves := map[int]bool{}
	for _, i := range call.nodes {
		leaves[i] = true
	}
	var keys []keyDigest
	err := p.db.ScanNamespace(p.id, call.namespace, func(key string, rec vclock.Record) error {
		if leaves[merkle.LeafOf(key)] {
			keys = append(keys, keyDigest{key: key, digest: rec.Digest()})
		}
		return nil
	})
	var bad *storage.ScanCorruptError
	if errors.As(err, &bad) {
		err = nil // corrupt keys are absent here: the peer's copies replace them
	}
	call.done(replicaResult{keys: keys, err: err})
}

// onReap deletes a tombstone-only record whose version is still the one
// every home replica was found to hold. Anything newer (a write since the
// check) keeps it.
func (p *partitionActor) onReap(call *replicaCall) {
	cur, found, err := p.read(call.namespace, call.key)
	if err != nil || !found || cur.Digest() != call.digest {
		call.done(replicaResult{err: err})
		return
	}
	if dead, _ := cur.TombstoneOnly(); !dead {
		call.done(replicaResult{})
		return
	}
	pending, err := p.db.Delete(p.id, call.namespace, call.key)
	p.cache.remove(cacheKey(call.namespace, call.key))
	if err != nil {
		p.checkFailed(err)
		call.done(replicaResult{err: err})
		return
	}
	p.recordChanged(call.namespace, call.key, cur, true, vclock.Record{}, false)
	p.metrics.tombstonesReaped.Inc()
	p.replyDurable(call, pending, replicaResult{found: true})
}

func (p *partitionActor) treeInfo() *treeInfo {
	info := &treeInfo{built: p.built, byNamespace: map[string][2]int{}}
	for ns, t := range p.trees {
		info.byNamespace[ns] = [2]int{t.tree.Items(), t.tombstones}
	}
	return info
}
