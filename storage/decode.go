package storage

import (
	"errors"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/quorumkv/quorumkv/vclock"
)

// The decoder below parses messages.Record straight into a vclock.Record. It
// follows proto.Unmarshal's rules for these three messages (fields in any
// order, the last of a repeated scalar wins, a known field with the wrong
// wire type is an unknown field, unknown fields are skipped, strings must be
// UTF-8) and FuzzDecodeRecord checks it against proto.Unmarshal +
// wire.RecordFromProto. It exists because Get is hot: it halves the allocations
// of going through the generated messages and roughly halves decode time.

var (
	errInvalidUTF8 = errors.New("string field is not valid UTF-8")
	errFieldNumber = errors.New("field number out of range")
)

// field is one decoded protobuf field: varint holds a VarintType value,
// bytes a BytesType payload (aliasing the input); other types are skipped.
type field struct {
	num    protowire.Number
	typ    protowire.Type
	varint uint64
	bytes  []byte
}

// nextField consumes one field from b and returns it and the rest of b.
func nextField(b []byte) (field, []byte, error) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return field{}, nil, protowire.ParseError(n)
	}
	if num > protowire.MaxValidNumber { // ConsumeTag lets these through; proto.Unmarshal does not
		return field{}, nil, errFieldNumber
	}
	b = b[n:]
	f := field{num: num, typ: typ}
	switch typ {
	case protowire.VarintType:
		f.varint, n = protowire.ConsumeVarint(b)
	case protowire.BytesType:
		f.bytes, n = protowire.ConsumeBytes(b)
	default:
		n = protowire.ConsumeFieldValue(num, typ, b)
	}
	if n < 0 {
		return field{}, nil, protowire.ParseError(n)
	}
	return f, b[n:], nil
}

func (f field) is(num protowire.Number, typ protowire.Type) bool {
	return f.num == num && f.typ == typ
}

// decodeRecordProto parses a messages.Record encoding.
func decodeRecordProto(b []byte) (vclock.Record, error) {
	nsib, nctx, err := countRecordFields(b)
	if err != nil {
		return vclock.Record{}, err
	}
	var r vclock.Record
	if nsib > 0 {
		r.Siblings = make([]vclock.Sibling, 0, nsib)
	}
	if nctx > 0 {
		r.Context = make(vclock.VV, 0, nctx)
	}
	for len(b) > 0 {
		f, rest, _ := nextField(b) // framing checked by countRecordFields
		b = rest
		switch {
		case f.is(fieldRecordSiblings, protowire.BytesType):
			s, err := decodeSibling(f.bytes)
			if err != nil {
				return vclock.Record{}, err
			}
			r.Siblings = append(r.Siblings, s)
		case f.is(fieldRecordContext, protowire.BytesType):
			e, err := decodeEntry(f.bytes, r.Siblings)
			if err != nil {
				return vclock.Record{}, err
			}
			r.Context = append(r.Context, e)
		}
	}
	return r, nil
}

// countRecordFields checks the top-level framing and counts siblings and
// context entries, so that each slice is allocated once at its final size.
func countRecordFields(b []byte) (nsib, nctx int, err error) {
	for len(b) > 0 {
		var f field
		if f, b, err = nextField(b); err != nil {
			return 0, 0, err
		}
		switch {
		case f.is(fieldRecordSiblings, protowire.BytesType):
			nsib++
		case f.is(fieldRecordContext, protowire.BytesType):
			nctx++
		}
	}
	return nsib, nctx, nil
}

func decodeSibling(b []byte) (s vclock.Sibling, err error) {
	for len(b) > 0 {
		var f field
		if f, b, err = nextField(b); err != nil {
			return vclock.Sibling{}, err
		}
		switch {
		case f.is(fieldSiblingNode, protowire.BytesType):
			if s.Dot.Node, err = decodeString(f.bytes, nil); err != nil {
				return vclock.Sibling{}, err
			}
		case f.is(fieldSiblingCounter, protowire.VarintType):
			s.Dot.Counter = f.varint
		case f.is(fieldSiblingValue, protowire.BytesType):
			s.Value = nilIfEmpty(append([]byte(nil), f.bytes...)) // never alias the pebble buffer
		case f.is(fieldSiblingContentType, protowire.BytesType):
			if s.ContentType, err = decodeString(f.bytes, nil); err != nil {
				return vclock.Sibling{}, err
			}
		case f.is(fieldSiblingTombstone, protowire.VarintType):
			s.Tombstone = f.varint != 0
		case f.is(fieldSiblingTimestamp, protowire.VarintType):
			s.Timestamp = int64(f.varint)
		case f.is(fieldSiblingWriteID, protowire.VarintType):
			s.WriteID = f.varint
		}
	}
	return s, nil
}

// decodeEntry parses a VVEntry. Its node name usually equals a sibling's,
// whose string it then shares instead of allocating another.
func decodeEntry(b []byte, sibs []vclock.Sibling) (e vclock.Entry, err error) {
	for len(b) > 0 {
		var f field
		if f, b, err = nextField(b); err != nil {
			return vclock.Entry{}, err
		}
		switch {
		case f.is(fieldEntryNode, protowire.BytesType):
			if e.Node, err = decodeString(f.bytes, sibs); err != nil {
				return vclock.Entry{}, err
			}
		case f.is(fieldEntryCounter, protowire.VarintType):
			e.Counter = f.varint
		case f.is(fieldEntryTime, protowire.VarintType):
			e.Time = int64(f.varint)
		}
	}
	return e, nil
}

// maxInternScan bounds the search for a sibling node name to share, so a
// record with many siblings and a long context stays linear.
const maxInternScan = 8

// decodeString copies b into a string, reusing a sibling's node name when
// equal (the comparison does not allocate).
func decodeString(b []byte, sibs []vclock.Sibling) (string, error) {
	if !utf8.Valid(b) {
		return "", errInvalidUTF8
	}
	for i := range min(len(sibs), maxInternScan) {
		if sibs[i].Dot.Node == string(b) {
			return sibs[i].Dot.Node, nil
		}
	}
	return string(b), nil
}
