// Package wire converts vclock values to and from their protobuf messages
// (messages/internal.proto): what replica traffic carries between nodes,
// and what storage keeps inside a hint. messages stays generated code only
// and vclock stays pure; this package is the one place that knows both.
package wire

import (
	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/vclock"
)

// RecordToProto converts a record to its wire message. The message shares
// Value bytes with r.
func RecordToProto(r vclock.Record) *messages.Record {
	p := &messages.Record{}
	if n := len(r.Siblings); n > 0 {
		backing := make([]messages.Sibling, n) // one allocation for all
		p.Siblings = make([]*messages.Sibling, n)
		for i, s := range r.Siblings {
			b := &backing[i]
			b.Node, b.Counter, b.Value = s.Dot.Node, s.Dot.Counter, s.Value
			b.ContentType, b.Tombstone, b.Timestamp = s.ContentType, s.Tombstone, s.Timestamp
			b.WriteId = s.WriteID
			p.Siblings[i] = b
		}
	}
	if n := len(r.Context); n > 0 {
		backing := make([]messages.VVEntry, n)
		p.Context = make([]*messages.VVEntry, n)
		for i, e := range r.Context {
			b := &backing[i]
			b.Node, b.Counter, b.Time = e.Node, e.Counter, e.Time
			p.Context[i] = b
		}
	}
	return p
}

// RecordFromProto converts a wire message to a record; nil (and nil
// elements) read as empty. The record shares Value bytes with p. Empty lists
// and values become nil.
func RecordFromProto(p *messages.Record) vclock.Record {
	var r vclock.Record
	if sibs := p.GetSiblings(); len(sibs) > 0 {
		r.Siblings = make([]vclock.Sibling, len(sibs))
		for i, s := range sibs {
			r.Siblings[i] = vclock.Sibling{
				Dot:         vclock.Dot{Node: s.GetNode(), Counter: s.GetCounter()},
				Value:       nilIfEmpty(s.GetValue()),
				ContentType: s.GetContentType(),
				Tombstone:   s.GetTombstone(),
				Timestamp:   s.GetTimestamp(),
				WriteID:     s.GetWriteId(),
			}
		}
	}
	if ctx := p.GetContext(); len(ctx) > 0 {
		r.Context = make(vclock.VV, len(ctx))
		for i, e := range ctx {
			r.Context[i] = vclock.Entry{Node: e.GetNode(), Counter: e.GetCounter(), Time: e.GetTime()}
		}
	}
	return r
}

// SiblingToProto converts one sibling (the write a replica PUT carries).
func SiblingToProto(s vclock.Sibling) *messages.Sibling {
	return &messages.Sibling{Node: s.Dot.Node, Counter: s.Dot.Counter, Value: s.Value,
		ContentType: s.ContentType, Tombstone: s.Tombstone, Timestamp: s.Timestamp, WriteId: s.WriteID}
}

// SiblingFromProto converts a wire sibling; nil reads as empty.
func SiblingFromProto(p *messages.Sibling) vclock.Sibling {
	return vclock.Sibling{Dot: vclock.Dot{Node: p.GetNode(), Counter: p.GetCounter()}, Value: p.GetValue(),
		ContentType: p.GetContentType(), Tombstone: p.GetTombstone(), Timestamp: p.GetTimestamp(), WriteID: p.GetWriteId()}
}

// VVToProto converts a version vector (a causal context).
func VVToProto(v vclock.VV) []*messages.VVEntry {
	out := make([]*messages.VVEntry, len(v))
	for i, e := range v {
		out[i] = &messages.VVEntry{Node: e.Node, Counter: e.Counter, Time: e.Time}
	}
	return out
}

// VVFromProto converts a wire version vector; empty reads as nil.
func VVFromProto(p []*messages.VVEntry) vclock.VV {
	if len(p) == 0 {
		return nil
	}
	out := make(vclock.VV, len(p))
	for i, e := range p {
		out[i] = vclock.Entry{Node: e.GetNode(), Counter: e.GetCounter(), Time: e.GetTime()}
	}
	return out
}

// nilIfEmpty: proto3 cannot tell an empty value from an absent one, so
// neither does a decoded record.
func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
