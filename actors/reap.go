package actors

import (
	"errors"
	"time"

	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/storage"
	"github.com/quorumkv/quorumkv/vclock"
)

// maxReapPerPass bounds the tombstones one pass of a tree checks, so a
// mass delete is reaped over several rounds rather than in one burst.
const maxReapPerPass = 1000

// reap removes the tombstones of one tree that every home replica holds,
// at the same version, and that are older than the grace period. Only the
// first home of the partition runs it, so one node drives each tree's
// reaping. The all-homes check is the watermark: a home that was down
// during the delete lacks the tombstone (or holds the old value), so
// nothing is reaped until anti-entropy or a hint gave it the tombstone, and
// its old value can never come back. Nothing is reaped in a partition
// that is moving between owners. The grace period covers writes still
// in flight that carry the deleted value (hints up to HintMaxAge, read
// repairs up to the longest request timeout). It returns how many it
// reaped here.
func (r *repairActor) reap(view *clusterView, p int, task repairTask) (int, error) {
	if !view.settled(p, len(task.homes)) {
		// Moving between owners: a new owner that holds the old value
		// but not yet the tombstone would bring the key back.
		return 0, nil
	}
	for _, h := range task.homes {
		if !view.isUp(h) {
			return 0, nil // a home that cannot answer cannot confirm
		}
	}
	candidates, err := r.reapCandidates(p, task.namespace)
	if err != nil {
		return 0, err
	}
	mode := r.env.mode(task.namespace)
	reaped := 0
	for _, c := range candidates {
		if !r.everyHomeHolds(p, task, c, mode) {
			continue
		}
		var errs []error
		for _, h := range task.homes {
			res := r.env.call(h, &replicaCall{op: messages.ReplicaOp_REPLICA_OP_REAP, partition: p,
				namespace: task.namespace, key: c.key, digest: c.digest})
			errs = append(errs, res.err)
			if h == r.env.self && res.err == nil && res.found {
				reaped++
			}
		}
		if err := errors.Join(errs...); err != nil {
			return reaped, err
		}
	}
	return reaped, nil
}

// reapCandidates lists this node's tombstone-only records of the tree
// whose newest tombstone is older than the grace period.
func (r *repairActor) reapCandidates(p int, ns string) ([]keyDigest, error) {
	cutoff := time.Now().Add(-r.env.cfg.TombstoneGrace).UnixNano()
	var out []keyDigest
	stop := errors.New("enough")
	err := r.env.db.ScanNamespace(p, ns, func(key string, rec vclock.Record) error {
		if dead, newest := rec.TombstoneOnly(); dead && newest < cutoff {
			out = append(out, keyDigest{key: key, digest: rec.Digest()})
			if len(out) == maxReapPerPass {
				return stop
			}
		}
		return nil
	})
	var bad *storage.ScanCorruptError
	if errors.Is(err, stop) || errors.As(err, &bad) {
		err = nil
	}
	return out, err
}

// everyHomeHolds asks every other home for the key and reports whether
// each holds exactly the candidate's version.
func (r *repairActor) everyHomeHolds(p int, task repairTask, c keyDigest, mode messages.ConflictMode) bool {
	for _, h := range task.homes {
		if h == r.env.self {
			continue
		}
		res := r.env.call(h, &replicaCall{op: messages.ReplicaOp_REPLICA_OP_GET, partition: p,
			namespace: task.namespace, key: c.key, mode: mode})
		if res.err != nil || !res.found || res.record.Digest() != c.digest {
			return false
		}
	}
	return true
}
