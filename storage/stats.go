package storage

import (
	"encoding/binary"

	"github.com/cockroachdb/pebble/v2"
)

// Stats is what a node tells about its store in its status answer.
type Stats struct {
	// DiskBytes is the space the store's live files take on disk:
	// sstables, WAL and MANIFEST (pebble's DiskSpaceUsage). Space held by
	// deleted records is given back only when compaction rewrites their
	// files.
	DiskBytes uint64
	// PartitionsHeld counts the partitions with at least one record (a
	// value or a tombstone) in the store. Hints do not count: a partition
	// whose only keys are hints for other nodes is not held.
	PartitionsHeld int
}

// Stats measures the store. It costs one seek per held partition (plus
// one), whatever the number of records, so a status request may call it.
func (d *DB) Stats() (_ Stats, err error) {
	if err := d.acquire(); err != nil {
		return Stats{}, err
	}
	defer d.done(&err)
	held, err := d.heldPartitions()
	if err != nil {
		return Stats{}, wrapErr(err, "stats")
	}
	return Stats{DiskBytes: d.db.Metrics().DiskSpaceUsage(), PartitionsHeld: held}, nil
}

// heldPartitions counts the partitions that have a record: it seeks to the
// start of each partition from the first one past the last found, so
// empty partitions cost nothing and each held one a single seek.
func (d *DB) heldPartitions() (held int, err error) {
	lo, _ := partitionBounds(0)
	_, hi := partitionBounds(d.partitions - 1)
	it, err := d.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return 0, err
	}
	defer func() { err = firstErr(err, it.Close()) }()
	for p := 0; p < d.partitions; {
		start, _ := partitionBounds(p)
		if !it.SeekGE(start) {
			break
		}
		k := it.Key()
		if len(k) < recordKeyHeader {
			break // only corruption makes a record key this short
		}
		held++
		p = int(binary.BigEndian.Uint32(k[1:recordKeyHeader])) + 1
	}
	return held, it.Error()
}
