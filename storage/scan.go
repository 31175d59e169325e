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
