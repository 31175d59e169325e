package actors

import (
	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/vclock"
)

// siblingToProto and the helpers below convert the parts of a replica PUT
// that are not a whole record; whole records use storage's codec.
func siblingToProto(s vclock.Sibling) *messages.Sibling {
	return &messages.Sibling{Node: s.Dot.Node, Counter: s.Dot.Counter, Value: s.Value,
		ContentType: s.ContentType, Tombstone: s.Tombstone, Timestamp: s.Timestamp, WriteId: s.WriteID}
}

func siblingFromProto(p *messages.Sibling) vclock.Sibling {
	return vclock.Sibling{Dot: vclock.Dot{Node: p.GetNode(), Counter: p.GetCounter()}, Value: p.GetValue(),
		ContentType: p.GetContentType(), Tombstone: p.GetTombstone(), Timestamp: p.GetTimestamp(), WriteID: p.GetWriteId()}
}

func vvToProto(v vclock.VV) []*messages.VVEntry {
	out := make([]*messages.VVEntry, len(v))
	for i, e := range v {
		out[i] = &messages.VVEntry{Node: e.Node, Counter: e.Counter, Time: e.Time}
	}
	return out
}

func vvFromProto(p []*messages.VVEntry) vclock.VV {
	if len(p) == 0 {
		return nil
	}
	out := make(vclock.VV, len(p))
	for i, e := range p {
		out[i] = vclock.Entry{Node: e.GetNode(), Counter: e.GetCounter(), Time: e.GetTime()}
	}
	return out
}
