package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/cockroachdb/pebble/v2"
	"google.golang.org/protobuf/proto"

	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/vclock"
	"github.com/quorumkv/quorumkv/wire"
)

// Hint is a write a fallback replica took for home nodes that were down:
// the merged record of every such write to the key, the homes that still
// have to receive it, and when the hint was first stored (unix nanos). One
// key has at most one hint on a node, whatever the number of targets, so a
// fallback that coordinates a write issues its dot from the one state it
// holds for the key.
type Hint struct {
	Record  vclock.Record
	Targets []string
	Created int64
}

// HasTarget reports whether the hint is still to be delivered to node.
func (h Hint) HasTarget(node string) bool {
	for _, t := range h.Targets {
		if t == node {
			return true
		}
	}
	return false
}

func appendHintKey(dst []byte, partition int, namespace, key string) []byte {
	return appendKey(dst, prefixHint, partition, namespace, key)
}

// GetHint reads the hint of (partition, namespace, key). A hint that fails
// its checksum or decoding yields an error wrapping ErrCorrupt.
func (d *DB) GetHint(partition int, namespace, key string) (h Hint, found bool, err error) {
	if err := d.checkRecordKey(partition, namespace); err != nil {
		return Hint{}, false, err
	}
	if err := d.acquire(); err != nil {
		return Hint{}, false, err
	}
	defer d.done(&err)
	v, closer, err := d.db.Get(appendHintKey(nil, partition, namespace, key))
	if errors.Is(err, pebble.ErrNotFound) {
		return Hint{}, false, nil
	}
	if err != nil {
		return Hint{}, false, wrapErr(err, "get hint p%d %q/%q", partition, namespace, key)
	}
	h, err = decodeHint(v)
	_ = closer.Close()
	if err != nil {
		return Hint{}, false, wrapErr(err, "get hint p%d %q/%q", partition, namespace, key)
	}
	return h, true, nil
}

// PutHint stores h as the hint of (partition, namespace, key), or deletes
// the hint when h has no targets left. Durability as for Put.
func (d *DB) PutHint(partition int, namespace, key string, h Hint) (_ Pending, err error) {
	if err := d.checkRecordKey(partition, namespace); err != nil {
		return Pending{}, err
	}
	if len(h.Targets) > 0 {
		if err := checkRecord(h.Record); err != nil {
			return Pending{}, fmt.Errorf("storage: put hint p%d %q/%q: %w", partition, namespace, key, err)
		}
	}
	if err := d.acquire(); err != nil {
		return Pending{}, err
	}
	defer d.done(&err)
	b := d.db.NewBatch()
	k := appendHintKey(nil, partition, namespace, key)
	if len(h.Targets) == 0 {
		_ = b.Delete(k, nil)
	} else {
		_ = b.Set(k, encodeHint(h), nil)
	}
	return d.apply(b, partition, namespace, key)
}

// Delete removes the record of (partition, namespace, key): a tombstone
// reaped once every home replica holds it. Durability as for Put.
func (d *DB) Delete(partition int, namespace, key string) (_ Pending, err error) {
	if err := d.checkRecordKey(partition, namespace); err != nil {
		return Pending{}, err
	}
	if err := d.acquire(); err != nil {
		return Pending{}, err
	}
	defer d.done(&err)
	b := d.db.NewBatch()
	_ = b.Delete(appendRecordKey(nil, partition, namespace, key), nil)
	return d.apply(b, partition, namespace, key)
}

// HintEntry is one hint met by ScanHints; Size is its stored size in bytes.
type HintEntry struct {
	Partition int
	Namespace string
	Key       string
	Hint      Hint
	Size      int
}

// ScanHints calls fn for every hint of partition, or of every partition
// when partition is -1, in key order over a consistent snapshot. A corrupt
// hint is skipped and reported after the scan as a *ScanCorruptError (it
// cannot be delivered; anti-entropy restores what it held). An error from
// fn stops the scan and is returned as is.
func (d *DB) ScanHints(partition int, fn func(HintEntry) error) (err error) {
	lo, hi := []byte{prefixHint}, []byte{prefixHint + 1}
	if partition >= 0 {
		if err := d.checkPartition(partition); err != nil {
			return err
		}
		lo = binary.BigEndian.AppendUint32([]byte{prefixHint}, uint32(partition))
		hi = binary.BigEndian.AppendUint32([]byte{prefixHint}, uint32(partition)+1)
	}
	if err := d.acquire(); err != nil {
		return err
	}
	defer d.done(&err)
	it, err := d.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return fmt.Errorf("storage: scan hints: %w", err)
	}
	bad := &ScanCorruptError{Partition: partition}
	err = scanHints(it, bad, fn)
	if cerr := it.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("storage: scan hints: %w", cerr)
	}
	if err == nil && bad.Count > 0 {
		return bad
	}
	return err
}

func scanHints(it *pebble.Iterator, bad *ScanCorruptError, fn func(HintEntry) error) error {
	for valid := it.First(); valid; valid = it.Next() {
		k := it.Key()
		if len(k) < recordKeyHeader+1 {
			bad.add("", string(k))
			continue
		}
		part := int(binary.BigEndian.Uint32(k[1:recordKeyHeader]))
		ns, key, ok := parseKeyRest(k[recordKeyHeader:])
		if !ok {
			bad.add("", string(k))
			continue
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return fmt.Errorf("storage: scan hints: %w", err)
		}
		h, err := decodeHint(v)
		if err != nil {
			bad.add(ns, key)
			continue
		}
		if err := fn(HintEntry{Partition: part, Namespace: ns, Key: key, Hint: h, Size: len(k) + len(v)}); err != nil {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("storage: scan hints: %w", err)
	}
	return nil
}

// encodeHint is the stored form of a hint: a CRC-32C of the rest, then the
// protobuf encoding of messages.Hint. Hints are rare next to records, so the
// plain protobuf encoder is fast enough.
func encodeHint(h Hint) []byte {
	body, _ := proto.Marshal(&messages.Hint{Record: wire.RecordToProto(h.Record), Targets: h.Targets, Created: h.Created})
	b := make([]byte, checksumLen+len(body))
	copy(b[checksumLen:], body)
	putChecksum(b)
	return b
}

func decodeHint(b []byte) (Hint, error) {
	if len(b) < checksumLen {
		return Hint{}, fmt.Errorf("%w: hint of %d bytes", ErrCorrupt, len(b))
	}
	if crc32.Checksum(b[checksumLen:], castagnoli) != binary.BigEndian.Uint32(b) {
		return Hint{}, fmt.Errorf("%w: hint checksum mismatch", ErrCorrupt)
	}
	var m messages.Hint
	if err := proto.Unmarshal(b[checksumLen:], &m); err != nil {
		return Hint{}, fmt.Errorf("%w: hint: %w", ErrCorrupt, err)
	}
	rec := wire.RecordFromProto(m.Record)
	if err := rec.Validate(); err != nil {
		return Hint{}, fmt.Errorf("%w: hint: %w", ErrCorrupt, err)
	}
	return Hint{Record: rec, Targets: m.Targets, Created: m.Created}, nil
}
