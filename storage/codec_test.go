package storage

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/vclock"
	"github.com/quorumkv/quorumkv/wire"
)

// randRecord builds a record that passes vclock validation, with edge values
// (empty strings, zero and negative times, max counters) mixed in.
func randRecord(rng *rand.Rand) vclock.Record {
	var r vclock.Record
	nodes := rng.IntN(5)
	for i := range nodes {
		e := vclock.Entry{Node: fmt.Sprintf("node-%d", i), Counter: 1 + rng.Uint64N(1000)}
		switch rng.IntN(4) {
		case 0:
			e.Counter = math.MaxUint64
		case 1:
			e.Time = -rng.Int64()
		case 2:
			e.Time = rng.Int64()
		}
		r.Context = append(r.Context, e)
	}
	for _, e := range r.Context {
		if rng.IntN(2) == 0 {
			continue
		}
		s := vclock.Sibling{Dot: vclock.Dot{Node: e.Node, Counter: 1 + rng.Uint64N(e.Counter)}}
		if rng.IntN(3) > 0 {
			s.Value = make([]byte, rng.IntN(300))
			for i := range s.Value {
				s.Value[i] = byte(rng.IntN(256))
			}
			if len(s.Value) == 0 {
				s.Value = nil // the codec does not keep empty vs nil apart
			}
		}
		s.Tombstone = s.Value == nil && rng.IntN(2) == 0
		if rng.IntN(2) == 0 {
			s.ContentType = "application/json; ü"
		}
		s.Timestamp = rng.Int64() - math.MaxInt64/2
		s.WriteID = randWriteID(rng, r.Siblings)
		r.Siblings = append(r.Siblings, s)
	}
	return r
}

// randWriteID returns none, an edge value, a random id, or (twins) the id of
// an earlier sibling.
func randWriteID(rng *rand.Rand, earlier []vclock.Sibling) uint64 {
	switch rng.IntN(5) {
	case 0:
		return 0
	case 1:
		return math.MaxUint64
	case 2:
		if len(earlier) > 0 {
			return earlier[rng.IntN(len(earlier))].WriteID
		}
	}
	return rng.Uint64() >> rng.IntN(64)
}

func TestEncodeMatchesProtoMarshal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	withIDs := 0
	for i := range 2000 {
		r := randRecord(rng)
		if slices.ContainsFunc(r.Siblings, func(s vclock.Sibling) bool { return s.WriteID != 0 }) {
			withIDs++
		}
		want, err := proto.MarshalOptions{Deterministic: true}.Marshal(wire.RecordToProto(r))
		if err != nil {
			t.Fatal(err)
		}
		got := EncodeRecord(r)
		if !bytes.Equal(got[checksumLen:], want) {
			t.Fatalf("record %d: hand encoding differs from proto.Marshal\n got %x\nwant %x", i, got[checksumLen:], want)
		}
	}
	if withIDs < 500 {
		t.Fatalf("only %d of 2000 records had a write id", withIDs)
	}
}

// Write ids came after the first stored records. A record without field 7
// must still decode, with WriteID 0, and one with it must decode to its id.
// Both bodies are spelled out so that the field's number and place stay
// pinned.
func TestWriteIDEncoding(t *testing.T) {
	sib := vclock.Sibling{Dot: vclock.Dot{Node: "a", Counter: 1}, Value: []byte("v"), Timestamp: 42}
	ctx := vclock.VV{{Node: "a", Counter: 1}}
	for _, tc := range []struct {
		name string
		id   uint64
		body string
	}{
		{"stored before write ids", 0, "0a0a" + "0a0161" + "1001" + "1a0176" + "302a" + "12050a01611001"},
		{"with a write id", 300, "0a0d" + "0a0161" + "1001" + "1a0176" + "302a" + "38ac02" + "12050a01611001"},
	} {
		body, err := hex.DecodeString(tc.body)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeRecord(withChecksum(body))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		sib.WriteID = tc.id
		want := vclock.Record{Siblings: []vclock.Sibling{sib}, Context: ctx}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: decoded %+v, want %+v", tc.name, got, want)
		}
		if enc := EncodeRecord(want); !bytes.Equal(enc[checksumLen:], body) {
			t.Fatalf("%s: encoded %x, want %x", tc.name, enc[checksumLen:], body)
		}
	}
}

func TestRecordRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 2000 {
		r := randRecord(rng)
		got, err := DecodeRecord(EncodeRecord(r))
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("record %d: round trip\n got %+v\nwant %+v", i, got, r)
		}
		if back := wire.RecordFromProto(wire.RecordToProto(r)); !reflect.DeepEqual(back, r) {
			t.Fatalf("record %d: proto round trip\n got %+v\nwant %+v", i, back, r)
		}
	}
}

func TestEmptyRecordEncoding(t *testing.T) {
	b := EncodeRecord(vclock.Record{})
	if len(b) != checksumLen {
		t.Fatalf("empty record encodes to %d bytes, want %d", len(b), checksumLen)
	}
	r, err := DecodeRecord(b)
	if err != nil || r.Siblings != nil || r.Context != nil {
		t.Fatalf("DecodeRecord(empty) = %+v, %v", r, err)
	}
}

func TestRecordFromProtoNil(t *testing.T) {
	if r := wire.RecordFromProto(nil); r.Siblings != nil || r.Context != nil {
		t.Fatalf("wire.RecordFromProto(nil) = %+v", r)
	}
	p := &messages.Record{Siblings: []*messages.Sibling{nil}, Context: []*messages.VVEntry{nil}}
	r := wire.RecordFromProto(p)
	if len(r.Siblings) != 1 || len(r.Context) != 1 || r.Siblings[0].Dot.Node != "" {
		t.Fatalf("nil elements: %+v", r)
	}
}

func TestDecodeRejectsDamage(t *testing.T) {
	r := randRecord(rand.New(rand.NewPCG(5, 6)))
	for len(r.Siblings) == 0 {
		r = randRecord(rand.New(rand.NewPCG(rand.Uint64(), 0)))
	}
	good := EncodeRecord(r)
	cases := map[string][]byte{
		"nil":      nil,
		"short":    good[:3],
		"header":   good[:checksumLen],
		"garbage":  []byte("this is not a record at all"),
		"zeros":    make([]byte, 64),
		"flipped":  flip(good, len(good)/2),
		"crcflip":  flip(good, 0),
		"truncate": good[:len(good)-1],
		"extended": append(bytes.Clone(good), 0),
	}
	for name, b := range cases {
		if _, err := DecodeRecord(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: DecodeRecord err = %v, want ErrCorrupt", name, err)
		}
	}
}

// A body with a valid checksum can still be bad protobuf or break vclock
// invariants; those are corrupt too.
func TestDecodeRejectsBadBodyWithValidChecksum(t *testing.T) {
	invalid := vclock.Record{Siblings: []vclock.Sibling{{Dot: vclock.Dot{Node: "a", Counter: 3}}}} // not covered
	body, _ := proto.Marshal(wire.RecordToProto(invalid))
	for name, b := range map[string][]byte{
		"bad proto":    {0x0a, 0x05, 0x01},
		"bad utf8":     {0x12, 0x03, 0x0a, 0x01, 0xff},
		"invalid dots": body,
	} {
		if _, err := DecodeRecord(withChecksum(b)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err = %v, want ErrCorrupt", name, err)
		}
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x40
	return c
}

func withChecksum(body []byte) []byte {
	b := make([]byte, checksumLen+len(body))
	copy(b[checksumLen:], body)
	putChecksum(b)
	return b
}

func FuzzDecodeRecord(f *testing.F) {
	rng := rand.New(rand.NewPCG(7, 8))
	for range 8 {
		f.Add(EncodeRecord(randRecord(rng)))
	}
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 0, 0x0a})
	f.Add(withChecksum([]byte{0x0a, 0x04, 0x10, 0x01, 0x38, 0x07, 0x12, 0x05, 0x0a, 0x00, 0x10, 0x01})) // write id 7
	f.Fuzz(func(t *testing.T, b []byte) {
		checkDifferential(t, b)
		checkDecode(t, b)
		// Also with a valid checksum, so the fuzzer reaches the protobuf and
		// validation paths that the CRC otherwise guards.
		if len(b) >= checksumLen {
			c := bytes.Clone(b)
			putChecksum(c)
			checkDecode(t, c)
		}
	})
}

// checkDecode: either an ErrCorrupt, or a valid record that re-encodes to a
// record decoding to the same value.
func checkDecode(t *testing.T, b []byte) {
	r, err := DecodeRecord(b)
	if err != nil {
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("error does not wrap ErrCorrupt: %v", err)
		}
		return
	}
	if err := r.Validate(); err != nil {
		t.Fatalf("decoded an invalid record: %v", err)
	}
	again, err := DecodeRecord(EncodeRecord(r))
	if err != nil || !reflect.DeepEqual(again, r) {
		t.Fatalf("re-encode: %+v, %v; want %+v", again, err, r)
	}
}

// protoDecode is the reference for decodeRecordProto: the generated code.
func protoDecode(body []byte) (vclock.Record, error) {
	var p messages.Record
	if err := proto.Unmarshal(body, &p); err != nil {
		return vclock.Record{}, err
	}
	return wire.RecordFromProto(&p), nil
}

// checkDifferential: the hand decoder accepts exactly what proto.Unmarshal
// accepts, and yields the same record.
func checkDifferential(t *testing.T, body []byte) {
	t.Helper()
	got, gotErr := decodeRecordProto(body)
	want, wantErr := protoDecode(body)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("body %x: hand decoder err = %v, proto.Unmarshal err = %v", body, gotErr, wantErr)
	}
	if gotErr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("body %x: hand decoder\n got %+v\nwant %+v", body, got, want)
	}
}

func TestDecoderMatchesProto(t *testing.T) {
	edge := [][]byte{
		{},
		{0x08, 0x01},                         // field 1 as a varint: unknown, skipped
		{0x0a, 0x00},                         // an empty sibling
		{0x0a, 0x04, 0x10, 0x01, 0x10, 0x02}, // repeated counter: last wins
		{0x0a, 0x02, 0x1a, 0x00},             // empty value
		{0x0a, 0x02, 0x28, 0x05},             // tombstone 5 reads as true
		{0x2a, 0x01, 0x00},                   // unknown field 5
		{0x0b, 0x0c},                         // an empty group (field 1)
		{0x0b},                               // unterminated group
		{0x0c},                               // stray end group
		{0x00},                               // field number 0
		{0x0a, 0x05, 0x01},                   // truncated payload
		{0x12, 0x03, 0x0a, 0x01, 0xff},       // invalid UTF-8 node
		{0x0d, 1, 2, 3, 4},                   // field 1 as fixed32
		{0x12, 0x09, 0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, // negative time
		{0x0a, 0x02, 0x38, 0x05},             // write id 5
		{0x0a, 0x04, 0x38, 0x05, 0x38, 0x06}, // repeated write id: last wins
		{0x0a, 0x02, 0x3a, 0x00},             // write id as bytes: unknown, skipped
		{0x0a, 0x0b, 0x38, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, // max write id
		{0x0a, 0x0b, 0x38, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}, // varint overflow
	}
	for _, b := range edge {
		checkDifferential(t, b)
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for range 20000 {
		body := EncodeRecord(randRecord(rng))[checksumLen:]
		checkDifferential(t, body)
		if len(body) == 0 {
			continue
		}
		mutated := bytes.Clone(body)
		for range 1 + rng.IntN(3) {
			mutated[rng.IntN(len(mutated))] = byte(rng.IntN(256))
		}
		checkDifferential(t, mutated)
		checkDifferential(t, body[:rng.IntN(len(body))])
	}
}
