package wire

import (
	"reflect"
	"testing"

	"github.com/quorumkv/quorumkv/vclock"
)

// Every field survives the round trip; empty reads as nil, as proto3 has
// no empty-versus-absent distinction.
func TestRoundTrips(t *testing.T) {
	s := vclock.Sibling{Dot: vclock.Dot{Node: "n1.ab", Counter: 7}, Value: []byte("v"), ContentType: "text/plain",
		Tombstone: true, Timestamp: 42, WriteID: 9}
	if got := SiblingFromProto(SiblingToProto(s)); !reflect.DeepEqual(got, s) {
		t.Fatalf("sibling: %+v", got)
	}
	v := vclock.VV{{Node: "a", Counter: 1, Time: 5}, {Node: "b", Counter: 3}}
	if got := VVFromProto(VVToProto(v)); !reflect.DeepEqual(got, v) {
		t.Fatalf("vv: %+v", got)
	}
	if VVFromProto(nil) != nil {
		t.Fatal("empty vv is not nil")
	}
	r := vclock.Record{Siblings: []vclock.Sibling{s}, Context: v}
	if got := RecordFromProto(RecordToProto(r)); !reflect.DeepEqual(got, r) {
		t.Fatalf("record: %+v", got)
	}
	if got := RecordFromProto(nil); got.Siblings != nil || got.Context != nil {
		t.Fatalf("nil record: %+v", got)
	}
}
