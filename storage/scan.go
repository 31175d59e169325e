package storage

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/quorumkv/quorumkv/vclock"
)

// ScanNamespace is ScanPartition restricted to one namespace's records of
// the partition (a contiguous key range), with the same handling of
// corrupt records.
func (d *DB) ScanNamespace(partition int, namespace string, fn func(key string, rec vclock.Record) error) (err error) {
	if err := d.checkRecordKey(partition, namespace); err != nil {
		return err
	}
	if err := d.acquire(); err != nil {
		return err
	}
	defer d.done(&err)
	lo := appendRecordKey(nil, partition, namespace, "")
	it, err := d.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		return fmt.Errorf("storage: scan p%d %q: %w", partition, namespace, err)
	}
	bad := &ScanCorruptError{Partition: partition}
	err = scanRecords(it, bad, func(_, key string, rec vclock.Record) error { return fn(key, rec) })
	if cerr := it.Close(); err == nil && cerr != nil {
		err = recordErr("scan", partition, namespace, "", cerr)
	}
	if err == nil && bad.Count > 0 {
		return bad
	}
	return err
}

// ScanEntry is one record returned by ScanFrom; Size is its stored size
// (key and value bytes).
type ScanEntry struct {
	Namespace, Key string
	Record         vclock.Record
	Size           int
}

// ScanFrom returns a partition's records after (afterNS, afterKey) in
// (namespace, key) order, with both empty meaning from the first, until
// limitBytes of stored size (but at least one record when any is left),
// and whether more follow. It is a cursor for streaming a partition in
// batches: each call is a consistent read of its own, and records written
// between calls behind the cursor are not seen (the caller reconciles those
// otherwise). Corrupt records are skipped, as ScanPartition skips them,
// and counted in the returned *ScanCorruptError only when nothing else
// failed; the entries are valid either way.
func (d *DB) ScanFrom(partition int, afterNS, afterKey string, limitBytes int) (entries []ScanEntry, more bool, err error) {
	if err := d.checkPartition(partition); err != nil {
		return nil, false, err
	}
	if err := d.acquire(); err != nil {
		return nil, false, err
	}
	defer d.done(&err)
	lo, hi := partitionBounds(partition)
	if afterNS != "" || afterKey != "" {
		lo = append(appendRecordKey(nil, partition, afterNS, afterKey), 0) // the next key after it
	}
	it, err := d.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, false, fmt.Errorf("storage: scan p%d: %w", partition, err)
	}
	defer func() {
		if cerr := it.Close(); err == nil && cerr != nil {
			err = recordErr("scan", partition, "", "", cerr)
		}
	}()
	bad := &ScanCorruptError{Partition: partition}
	size := 0
	for valid := it.First(); valid; valid = it.Next() {
		if size >= limitBytes && len(entries) > 0 {
			return entries, true, nil
		}
		ns, key, ok := parseRecordKey(it.Key())
		v, verr := it.ValueAndErr()
		if verr != nil {
			return entries, false, recordErr("scan", partition, ns, key, verr)
		}
		rec, derr := DecodeRecord(v)
		if !ok || derr != nil {
			bad.add(ns, key)
			continue
		}
		n := len(it.Key()) + len(v)
		size += n
		entries = append(entries, ScanEntry{Namespace: ns, Key: key, Record: rec, Size: n})
	}
	if err := it.Error(); err != nil {
		return entries, false, recordErr("scan", partition, "", "", err)
	}
	if bad.Count > 0 {
		return entries, false, bad
	}
	return entries, false, nil
}

// PartitionBytes estimates the disk space a partition's records take.
func (d *DB) PartitionBytes(partition int) (_ uint64, err error) {
	if err := d.checkPartition(partition); err != nil {
		return 0, err
	}
	if err := d.acquire(); err != nil {
		return 0, err
	}
	defer d.done(&err)
	lo, hi := partitionBounds(partition)
	return d.db.EstimateDiskUsage(lo, hi)
}

// DropPartition deletes every record of a partition (not its hints), as
// one synced range deletion: the node no longer owns it and its data lives
// on the owners.
func (d *DB) DropPartition(partition int) (err error) {
	if err := d.checkPartition(partition); err != nil {
		return err
	}
	if err := d.acquire(); err != nil {
		return err
	}
	defer d.done(&err)
	lo, hi := partitionBounds(partition)
	if err := d.db.DeleteRange(lo, hi, pebble.Sync); err != nil {
		return recordErr("drop", partition, "", "", err)
	}
	return nil
}
