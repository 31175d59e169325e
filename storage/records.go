package storage

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/quorumkv/quorumkv/vclock"
)

// Get reads the record of (partition, namespace, key); found is false when
// there is none. A record that fails its checksum, decoding or invariants
// yields an error wrapping ErrCorrupt and no data.
func (d *DB) Get(partition int, namespace, key string) (rec vclock.Record, found bool, err error) {
	if err := d.checkRecordKey(partition, namespace); err != nil {
		return vclock.Record{}, false, err
	}
	if err := d.acquire(); err != nil {
		return vclock.Record{}, false, err
	}
	defer d.done(&err)
	k := appendRecordKey(make([]byte, 0, recordKeyLen(namespace, key)), partition, namespace, key)
	v, closer, err := d.db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return vclock.Record{}, false, nil
	}
	if err != nil {
		return vclock.Record{}, false, recordErr("get", partition, namespace, key, err)
	}
	rec, err = DecodeRecord(v) // copies out of v, so closing next is safe
	_ = closer.Close()         // only releases a buffer reference
	if err != nil {
		return vclock.Record{}, false, recordErr("get", partition, namespace, key, err)
	}
	return rec, true, nil
}

func recordErr(op string, partition int, namespace, key string, err error) error {
	return wrapErr(err, "%s p%d %q/%q", op, partition, namespace, key)
}

// Pending is a write that is applied (visible to Get) and possibly not yet
// durable. Call Wait exactly once, on any goroutine: it returns when the
// write is durable per the DB's SyncMode, and releases the write's batch.
// The zero Pending is already durable.
type Pending struct {
	b *pebble.Batch // nil when there is nothing to wait for
	d *DB
}

// Wait blocks until the WAL fsync covering the write has completed
// (SyncAlways) and returns its error; with SyncNone it returns nil at once.
// Calling Wait twice is a bug (the batch is recycled).
//
// A Wait error means the WAL could not be written or synced. Pebble does not
// retry a failed WAL, and what the OS kept of it is unknown, so the store
// turns failed: this error and every later call wrap ErrFailed, and the node
// must restart (replaying the WAL) before it serves again. Never acknowledge
// the write.
func (p Pending) Wait() error {
	if p.b == nil {
		return nil
	}
	err := p.b.SyncWait()
	_ = p.b.Close() // returns the batch to pebble's pool; nothing to report
	if err != nil {
		p.d.fail(&FatalError{Msg: "WAL write or sync failed: " + err.Error()})
		return fmt.Errorf("storage: wal sync: %w: %w", ErrFailed, err)
	}
	return nil
}

// Put writes rec as the record of (partition, namespace, key), replacing any
// previous one, and returns once the write is applied: a Get that starts
// after Put returns sees it. Durability comes later, from Pending.Wait.
// Writes from one goroutine are applied in call order. rec is copied; the
// caller may reuse it at once. On error nothing is written and there is
// nothing to Wait for.
func (d *DB) Put(partition int, namespace, key string, rec vclock.Record) (_ Pending, err error) {
	if err := d.checkRecordKey(partition, namespace); err != nil {
		return Pending{}, err
	}
	if err := checkRecord(rec); err != nil {
		return Pending{}, fmt.Errorf("storage: put p%d %q/%q: %w", partition, namespace, key, err)
	}
	if err := d.acquire(); err != nil {
		return Pending{}, err
	}
	defer d.done(&err)
	b := d.db.NewBatch()
	// Encode key and record straight into the batch: no intermediate copy.
	op := b.SetDeferred(recordKeyLen(namespace, key), checksumLen+recordProtoSize(rec))
	appendRecordKey(op.Key[:0], partition, namespace, key)
	putRecord(op.Value, rec)
	_ = op.Finish() // errors only for indexed batches
	return d.apply(b, partition, namespace, key)
}

// apply commits b. With SyncAlways the commit is queued for the next group
// fsync and the batch travels in the Pending; with SyncNone it is done.
func (d *DB) apply(b *pebble.Batch, partition int, namespace, key string) (Pending, error) {
	if d.sync == SyncNone {
		err := d.db.Apply(b, pebble.NoSync)
		_ = b.Close()
		if err != nil {
			return Pending{}, recordErr("put", partition, namespace, key, err)
		}
		return Pending{}, nil
	}
	if err := d.db.ApplyNoSyncWait(b, pebble.Sync); err != nil {
		_ = b.Close()
		return Pending{}, recordErr("put", partition, namespace, key, err)
	}
	return Pending{b: b, d: d}, nil
}

// ScanPartition calls fn for every record of the partition, ordered by
// namespace then key (bytewise), over a consistent snapshot taken at the
// start. fn may call Get and Put (not Close); an error from fn stops the scan
// and is returned as is.
//
// A corrupt record does not stop the scan: it is skipped (fn never sees its
// data), and after the last record ScanPartition returns a
// *ScanCorruptError, which wraps ErrCorrupt and names the skipped keys, so
// that anti-entropy can still sync the good records and re-fetch the bad
// ones. An I/O error stops the scan, and so does a damaged pebble block
// (the error then wraps ErrCorrupt too): the iterator cannot step past it.
func (d *DB) ScanPartition(partition int, fn func(namespace, key string, rec vclock.Record) error) (err error) {
	if err := d.checkPartition(partition); err != nil {
		return err
	}
	if err := d.acquire(); err != nil {
		return err
	}
	defer d.done(&err)
	lo, hi := partitionBounds(partition)
	it, err := d.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return fmt.Errorf("storage: scan p%d: %w", partition, err)
	}
	bad := &ScanCorruptError{Partition: partition}
	err = scanRecords(it, bad, fn)
	if cerr := it.Close(); err == nil && cerr != nil {
		err = recordErr("scan", partition, "", "", cerr)
	}
	if err == nil && bad.Count > 0 {
		return bad
	}
	return err
}

func scanRecords(it *pebble.Iterator, bad *ScanCorruptError, fn func(string, string, vclock.Record) error) error {
	for valid := it.First(); valid; valid = it.Next() {
		ns, key, ok := parseRecordKey(it.Key())
		if !ok {
			bad.add("", string(it.Key())) // no namespace to name: report the raw key
			continue
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return recordErr("scan", bad.Partition, ns, key, err)
		}
		rec, err := DecodeRecord(v)
		if err != nil {
			bad.add(ns, key)
			continue
		}
		if err := fn(ns, key, rec); err != nil {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return recordErr("scan", bad.Partition, "", "", err)
	}
	return nil
}
