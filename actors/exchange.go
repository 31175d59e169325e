package actors

import (
	"cmp"
	"errors"
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/quorumkv/quorumkv/merkle"
	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/storage"
	"github.com/quorumkv/quorumkv/vclock"
)

// exchange is one anti-entropy comparison of a (partition, namespace) tree
// between this node and one peer home replica (Dynamo §4.7): root hashes
// first, then only the branches and leaves that differ, then the keys of
// the differing leaves, then the records of the keys that differ, which
// each side merges. Traffic in sync is one hash each way; after a
// divergence it grows with the difference, not with the data.
type exchange struct {
	env       *healEnv
	partition int
	namespace string
	peer      string
	pace      *pacer

	mu sync.Mutex // guards the counters: keys are repaired concurrently
	// bytes counts the payload of calls to the peer, both ways.
	bytes    int
	repaired int
}

// repairInFlight bounds the keys one exchange repairs at a time: each key
// costs two reads and up to two merges, round trips that a wiped replica
// would otherwise pay one after the other.
const repairInFlight = 8

func (x *exchange) ask(node string, c *replicaCall) replicaResult {
	c.partition, c.namespace = x.partition, x.namespace
	res := x.env.call(node, c)
	if node != x.env.self {
		n := proto.Size(replicaRequestProto(c)) + proto.Size(replicaResponseProto(res))
		x.mu.Lock()
		x.bytes += n
		x.mu.Unlock()
	}
	return res
}

// run compares and repairs; it returns the first error that stopped it.
func (x *exchange) run() error {
	leaves, err := x.differingLeaves()
	if err != nil || len(leaves) == 0 {
		return err
	}
	mine := x.ask(x.env.self, &replicaCall{op: messages.ReplicaOp_REPLICA_OP_SEGMENT, nodes: leaves})
	theirs := x.ask(x.peer, &replicaCall{op: messages.ReplicaOp_REPLICA_OP_SEGMENT, nodes: leaves})
	if err := errors.Join(mine.err, theirs.err); err != nil {
		return err
	}
	return x.repairKeys(differingKeys(mine.keys, theirs.keys))
}

// repairKeys repairs keys, repairInFlight at a time; it stops starting new
// ones after the first error, and returns it.
func (x *exchange) repairKeys(keys []string) error {
	sem := make(chan struct{}, repairInFlight)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for _, key := range keys {
		mu.Lock()
		failed := first != nil
		mu.Unlock()
		if failed {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := x.repairKey(key); err != nil {
				mu.Lock()
				first = cmp.Or(first, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

// differingLeaves descends both trees through the nodes that differ.
func (x *exchange) differingLeaves() ([]int, error) {
	idx := []int{0}
	for level := merkle.LevelRoot; ; level++ {
		c := func() *replicaCall {
			return &replicaCall{op: messages.ReplicaOp_REPLICA_OP_TREE, level: level, nodes: idx}
		}
		mine, theirs := x.ask(x.env.self, c()), x.ask(x.peer, c())
		if err := errors.Join(mine.err, theirs.err); err != nil {
			return nil, err
		}
		idx = merkle.Differ(idx, mine.hashes, theirs.hashes)
		if len(idx) == 0 || level == merkle.LevelLeaf {
			return idx, nil
		}
		idx = merkle.Children(level, idx)
	}
}

// differingKeys returns the keys present on one side only or with other
// versions, in key order. Both lists are sorted by key.
func differingKeys(a, b []keyDigest) []string {
	var out []string
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i].key < b[j].key):
			out = append(out, a[i].key)
			i++
		case i == len(a) || b[j].key < a[i].key:
			out = append(out, b[j].key)
			j++
		default:
			if a[i].digest != b[j].digest {
				out = append(out, a[i].key)
			}
			i++
			j++
		}
	}
	return out
}

// repairKey merges both replicas' records of key and sends the result to
// whichever side lacks part of it. A corrupt record on either side counts
// as absent: the merge replaces it.
func (x *exchange) repairKey(key string) error {
	mode := x.env.mode(x.namespace)
	mine := x.ask(x.env.self, &replicaCall{op: messages.ReplicaOp_REPLICA_OP_GET, key: key, mode: mode})
	theirs := x.ask(x.peer, &replicaCall{op: messages.ReplicaOp_REPLICA_OP_GET, key: key, mode: mode})
	for _, r := range []*replicaResult{&mine, &theirs} {
		if isCorrupt(r.err) {
			r.err, r.record = nil, vclock.Record{}
		}
	}
	if err := errors.Join(mine.err, theirs.err); err != nil {
		return err
	}
	merged := syncRecords(mode, mine.record, theirs.record)
	size := 0
	for _, s := range merged.Siblings {
		size += len(s.Value) + len(key)
	}
	if !x.pace.wait(size) {
		return errStopping
	}
	var errs []error
	for node, have := range map[string]vclock.Record{x.env.self: mine.record, x.peer: theirs.record} {
		if len(merged.Siblings) > 0 && !descends(mode, have, merged) {
			errs = append(errs, x.ask(node, &replicaCall{op: messages.ReplicaOp_REPLICA_OP_MERGE, key: key, mode: mode, record: merged}).err)
		}
	}
	x.mu.Lock()
	x.repaired++
	x.mu.Unlock()
	return errors.Join(errs...)
}

func isCorrupt(err error) bool {
	if errors.Is(err, storage.ErrCorrupt) {
		return true
	}
	var ae *apiError
	return errors.As(err, &ae) && ae.code == messages.ErrorCode_ERROR_CODE_CORRUPT
}
