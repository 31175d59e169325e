package storage

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/quorumkv/quorumkv/vclock"
)

// checksumLen is the size of the CRC-32C that precedes a stored record.
const checksumLen = 4

// castagnoli is CRC-32C: hardware-accelerated on amd64 and arm64, and
// better at catching burst errors than IEEE CRC-32.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Field numbers of messages.Record, Sibling and VVEntry (internal.proto).
// The hand encoder below must agree with them; codec_test checks its output
// byte for byte against proto.Marshal.
const (
	fieldRecordSiblings = 1
	fieldRecordContext  = 2

	fieldSiblingNode        = 1
	fieldSiblingCounter     = 2
	fieldSiblingValue       = 3
	fieldSiblingContentType = 4
	fieldSiblingTombstone   = 5
	fieldSiblingTimestamp   = 6
	fieldSiblingWriteID     = 7 // absent in records stored before it existed: reads as 0, no write id

	fieldEntryNode    = 1
	fieldEntryCounter = 2
	fieldEntryTime    = 3
)

// EncodeRecord returns the stored form of r:
//
//	bytes 0..3   CRC-32C (Castagnoli) of bytes 4.., big-endian
//	bytes 4..    protobuf encoding of messages.Record (wire.RecordToProto(r))
//
// The protobuf bytes are what proto.Marshal produces (fields in number
// order, zero values omitted), written without building the message. Node
// and ContentType strings must be valid UTF-8 (a proto3 rule the decoder
// enforces); Put checks this, see checkRecord.
func EncodeRecord(r vclock.Record) []byte {
	b := make([]byte, checksumLen+recordProtoSize(r))
	putRecord(b, r)
	return b
}

// putRecord writes the stored form of r into dst, which must be exactly
// checksumLen+recordProtoSize(r) bytes (Put writes straight into a batch).
func putRecord(dst []byte, r vclock.Record) {
	body := appendRecordProto(dst[checksumLen:checksumLen], r)
	if len(body) != len(dst)-checksumLen {
		// A size/append disagreement is a bug in this file; writing a
		// record whose length prefix lies would corrupt it silently.
		panic(fmt.Sprintf("storage: encoded %d bytes, sized %d", len(body), len(dst)-checksumLen))
	}
	putChecksum(dst)
}

// putChecksum stores the CRC-32C of b[checksumLen:] in b[:checksumLen].
func putChecksum(b []byte) {
	binary.BigEndian.PutUint32(b, crc32.Checksum(b[checksumLen:], castagnoli))
}

// DecodeRecord verifies the checksum, unmarshals the protobuf (decode.go)
// and checks the vclock invariants (Record.Validate). Every failure wraps
// ErrCorrupt. The result shares no memory with b.
func DecodeRecord(b []byte) (vclock.Record, error) {
	if len(b) < checksumLen {
		return vclock.Record{}, fmt.Errorf("%w: %d bytes, shorter than the checksum", ErrCorrupt, len(b))
	}
	body := b[checksumLen:]
	want := binary.BigEndian.Uint32(b)
	if got := crc32.Checksum(body, castagnoli); got != want {
		return vclock.Record{}, fmt.Errorf("%w: checksum %08x, stored %08x", ErrCorrupt, got, want)
	}
	r, err := decodeRecordProto(body)
	if err != nil {
		return vclock.Record{}, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if err := r.Validate(); err != nil {
		return vclock.Record{}, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return r, nil
}

// checkRecord rejects a record that would encode but not decode, so that Put
// never stores something Get must then call corrupt.
func checkRecord(r vclock.Record) error {
	for _, s := range r.Siblings {
		if !utf8.ValidString(s.Dot.Node) || !utf8.ValidString(s.ContentType) {
			return fmt.Errorf("%w: sibling %v: node or content type is not valid UTF-8", ErrInvalid, s.Dot)
		}
	}
	for _, e := range r.Context {
		if !utf8.ValidString(e.Node) {
			return fmt.Errorf("%w: context node %q is not valid UTF-8", ErrInvalid, e.Node)
		}
	}
	if err := r.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

func recordProtoSize(r vclock.Record) int {
	n := 0
	for _, s := range r.Siblings {
		n += sizeMessage(fieldRecordSiblings, siblingSize(s))
	}
	for _, e := range r.Context {
		n += sizeMessage(fieldRecordContext, entrySize(e))
	}
	return n
}

func appendRecordProto(b []byte, r vclock.Record) []byte {
	for _, s := range r.Siblings {
		b = protowire.AppendTag(b, fieldRecordSiblings, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(siblingSize(s)))
		b = appendSibling(b, s)
	}
	for _, e := range r.Context {
		b = protowire.AppendTag(b, fieldRecordContext, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(entrySize(e)))
		b = appendEntry(b, e)
	}
	return b
}

func sizeMessage(num protowire.Number, size int) int {
	return protowire.SizeTag(num) + protowire.SizeBytes(size)
}

// The size and append functions below follow proto3 implicit presence: a
// field holding its zero value is not written at all.

func siblingSize(s vclock.Sibling) int {
	return sizeLen(fieldSiblingNode, len(s.Dot.Node)) +
		sizeUint(fieldSiblingCounter, s.Dot.Counter) +
		sizeLen(fieldSiblingValue, len(s.Value)) +
		sizeLen(fieldSiblingContentType, len(s.ContentType)) +
		sizeBool(fieldSiblingTombstone, s.Tombstone) +
		sizeUint(fieldSiblingTimestamp, uint64(s.Timestamp)) +
		sizeUint(fieldSiblingWriteID, s.WriteID)
}

func appendSibling(b []byte, s vclock.Sibling) []byte {
	b = appendString(b, fieldSiblingNode, s.Dot.Node)
	b = appendUint(b, fieldSiblingCounter, s.Dot.Counter)
	if len(s.Value) > 0 {
		b = protowire.AppendTag(b, fieldSiblingValue, protowire.BytesType)
		b = protowire.AppendBytes(b, s.Value)
	}
	b = appendString(b, fieldSiblingContentType, s.ContentType)
	if s.Tombstone {
		b = protowire.AppendTag(b, fieldSiblingTombstone, protowire.VarintType)
		b = protowire.AppendVarint(b, 1)
	}
	b = appendUint(b, fieldSiblingTimestamp, uint64(s.Timestamp))
	return appendUint(b, fieldSiblingWriteID, s.WriteID)
}

func entrySize(e vclock.Entry) int {
	return sizeLen(fieldEntryNode, len(e.Node)) +
		sizeUint(fieldEntryCounter, e.Counter) +
		sizeUint(fieldEntryTime, uint64(e.Time))
}

func appendEntry(b []byte, e vclock.Entry) []byte {
	b = appendString(b, fieldEntryNode, e.Node)
	b = appendUint(b, fieldEntryCounter, e.Counter)
	return appendUint(b, fieldEntryTime, uint64(e.Time))
}

// sizeLen sizes a string or bytes field of n bytes.
func sizeLen(num protowire.Number, n int) int {
	if n == 0 {
		return 0
	}
	return protowire.SizeTag(num) + protowire.SizeBytes(n)
}

// sizeUint also serves int64 fields: proto encodes a negative int64 as its
// two's-complement uint64 (ten bytes), exactly as the conversion gives.
func sizeUint(num protowire.Number, v uint64) int {
	if v == 0 {
		return 0
	}
	return protowire.SizeTag(num) + protowire.SizeVarint(v)
}

func sizeBool(num protowire.Number, v bool) int {
	if !v {
		return 0
	}
	return protowire.SizeTag(num) + 1
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendUint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// nilIfEmpty: proto3 cannot tell an empty value from an absent one, so
// neither does a decoded record.
func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
