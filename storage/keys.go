package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
)

// Keyspace prefixes: the first byte of every pebble key. See doc.go.
const (
	prefixRecord byte = 'r' // 'r' | partition u32 BE | namespace | 0x00 | key
	prefixMeta   byte = 'm' // 'm' | name
	prefixHint   byte = 'h' // 'h' | partition u32 BE | namespace | 0x00 | key: a hint
	prefixMerkle byte = 'x' // reserved: Merkle tree segments
)

// recordKeyHeader is the prefix byte plus the partition number.
const recordKeyHeader = 1 + 4

// checkRecordKey rejects what the layout cannot represent: the 0x00 that ends
// a namespace must not occur inside it, and the partition must be one of Q.
func (d *DB) checkRecordKey(partition int, namespace string) error {
	if err := d.checkPartition(partition); err != nil {
		return err
	}
	if strings.IndexByte(namespace, 0) >= 0 {
		return fmt.Errorf("%w: namespace %q contains 0x00", ErrInvalid, namespace)
	}
	return nil
}

func (d *DB) checkPartition(partition int) error {
	if partition < 0 || partition >= d.partitions {
		return fmt.Errorf("%w: partition %d out of range [0,%d)", ErrInvalid, partition, d.partitions)
	}
	return nil
}

func recordKeyLen(namespace, key string) int {
	return recordKeyHeader + len(namespace) + 1 + len(key)
}

// appendRecordKey appends the record key of (partition, namespace, key).
// The caller has checked the arguments.
func appendRecordKey(dst []byte, partition int, namespace, key string) []byte {
	return appendKey(dst, prefixRecord, partition, namespace, key)
}

// appendKey appends prefix | partition | namespace | 0x00 | key: the shape
// of record and hint keys.
func appendKey(dst []byte, prefix byte, partition int, namespace, key string) []byte {
	dst = append(dst, prefix)
	dst = binary.BigEndian.AppendUint32(dst, uint32(partition))
	dst = append(dst, namespace...)
	dst = append(dst, 0)
	return append(dst, key...)
}

// partitionBounds returns [lo, hi): every record key of the partition and
// nothing else, so a scan cannot bleed into a neighbour.
func partitionBounds(partition int) (lo, hi []byte) {
	lo = binary.BigEndian.AppendUint32([]byte{prefixRecord}, uint32(partition))
	hi = binary.BigEndian.AppendUint32([]byte{prefixRecord}, uint32(partition)+1)
	return lo, hi
}

// parseRecordKey splits a record key into namespace and key. ok is false if
// the key is not a well-formed record key (only corruption produces that).
func parseRecordKey(k []byte) (namespace, key string, ok bool) {
	if len(k) < recordKeyHeader+1 || k[0] != prefixRecord {
		return "", "", false
	}
	return parseKeyRest(k[recordKeyHeader:])
}

// parseKeyRest splits what follows a key's header (namespace, 0x00, key).
func parseKeyRest(rest []byte) (namespace, key string, ok bool) {
	i := bytes.IndexByte(rest, 0)
	if i < 0 {
		return "", "", false
	}
	return string(rest[:i]), string(rest[i+1:]), true
}

func metaKey(name string) []byte {
	return append([]byte{prefixMeta}, name...)
}

// prefixEnd returns the smallest key greater than every key that starts with
// p, or nil if there is none (p is all 0xff).
func prefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
