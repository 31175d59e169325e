package actors

import (
	"errors"
	"slices"
	"time"

	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/storage"
	"github.com/quorumkv/quorumkv/vclock"
)

// countHints counts the hints this partition holds, at start.
func (p *partitionActor) countHints() {
	n := 0
	err := p.db.ScanHints(p.id, func(e storage.HintEntry) error {
		n += len(e.Hint.Targets)
		return nil
	})
	if err != nil && !errors.Is(err, storage.ErrCorrupt) {
		p.log.Error("cannot count hints", "partition", p.id, "err", err)
	}
	p.addHints(n)
}

func (p *partitionActor) addHints(n int) {
	p.hints.Add(int64(n))
	p.metrics.hints.Add(int64(n))
}

// onHintWrite takes a write as a fallback for the home node call.hintFor
// (Dynamo §4.6): the write is merged into the key's hint, kept apart from
// this node's own records, and the home joins the hint's targets. A PUT
// (this fallback coordinates the write) issues its dot from the hint's
// record, the one state this node holds for the key as a fallback.
func (p *partitionActor) onHintWrite(call *replicaCall) {
	h, found, err := p.db.GetHint(p.id, call.namespace, call.key)
	if err != nil {
		if !errors.Is(err, storage.ErrCorrupt) {
			call.done(replicaResult{err: err})
			return
		}
		p.log.Warn("replacing corrupt hint", "partition", p.id, "namespace", call.namespace, "err", err)
		h, found = storage.Hint{}, false
	}
	var next vclock.Record
	if call.op == messages.ReplicaOp_REPLICA_OP_PUT {
		next = p.advance(h.Record, call)
	} else {
		next = syncRecords(call.mode, h.Record, call.record)
	}
	if found && next.Equal(h.Record) && h.HasTarget(call.hintFor) {
		call.done(replicaResult{record: next, found: true, actor: p.actor})
		return
	}
	before, newTarget := len(h.Targets), !h.HasTarget(call.hintFor)
	if !found {
		h.Created = time.Now().UnixNano()
	}
	if !h.HasTarget(call.hintFor) {
		h.Targets = append(slices.Clone(h.Targets), call.hintFor)
	}
	h.Record = next
	pending, err := p.db.PutHint(p.id, call.namespace, call.key, h)
	if err != nil {
		p.checkFailed(err)
		call.done(replicaResult{err: err})
		return
	}
	p.addHints(len(h.Targets) - before)
	if newTarget {
		p.noteHint(call.hintFor, p.id)
	}
	p.replyDurable(call, pending, replicaResult{record: next, found: true, actor: p.actor})
}

// onHintDone removes call.hintFor from the key's hint once the home node
// acknowledged it, unless a newer write reached the hint meanwhile (its
// version digest differs): that one is delivered on the next pass. A digest
// of 0 removes the target whatever the version (the hint was dropped).
func (p *partitionActor) onHintDone(call *replicaCall) {
	h, found, err := p.db.GetHint(p.id, call.namespace, call.key)
	if err != nil || !found || !h.HasTarget(call.hintFor) ||
		(call.digest != 0 && h.Record.Digest() != call.digest) {
		call.done(replicaResult{err: err})
		return
	}
	h.Targets = slices.DeleteFunc(slices.Clone(h.Targets), func(t string) bool { return t == call.hintFor })
	pending, err := p.db.PutHint(p.id, call.namespace, call.key, h)
	if err != nil {
		p.checkFailed(err)
		call.done(replicaResult{err: err})
		return
	}
	p.addHints(-1)
	p.replyDurable(call, pending, replicaResult{found: true})
}
