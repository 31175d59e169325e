package storage

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/cockroachdb/pebble/v2"
)

// GetMeta returns the metadata value stored under name (a copy).
func (d *DB) GetMeta(name string) (_ []byte, _ bool, err error) {
	if err := d.acquire(); err != nil {
		return nil, false, err
	}
	defer d.done(&err)
	v, closer, err := d.db.Get(metaKey(name))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, metaErr("get", name, err)
	}
	out := bytes.Clone(v)
	_ = closer.Close()
	if out == nil {
		out = []byte{} // found, but empty: keep found distinguishable by value too
	}
	return out, true, nil
}

// SetMeta stores value under name and returns once it is durable (always
// synced, whatever the SyncMode: metadata is rare and precious, e.g. the
// node's identity). Names starting with "storage." are reserved.
func (d *DB) SetMeta(name string, value []byte) (err error) {
	if name == "" || strings.HasPrefix(name, reservedMetaPrefix) {
		return fmt.Errorf("%w: meta name %q is empty or reserved", ErrInvalid, name)
	}
	if err := d.acquire(); err != nil {
		return err
	}
	defer d.done(&err)
	if err := d.db.Set(metaKey(name), value, pebble.Sync); err != nil {
		// A synced write fails only in the WAL, which pebble does not
		// recover: the store is failed, as after a failed Pending.Wait.
		d.fail(&FatalError{Msg: "WAL write or sync failed: " + err.Error()})
		return fmt.Errorf("%w: %w", ErrFailed, metaErr("set", name, err))
	}
	return nil
}

// ScanMeta calls fn for every metadata entry whose name starts with prefix,
// in name order (bytewise). value is only valid during the call. An error
// from fn stops the scan and is returned as is. The layout entries
// ("storage.*") are included when the prefix matches them.
func (d *DB) ScanMeta(prefix string, fn func(name string, value []byte) error) (err error) {
	if err := d.acquire(); err != nil {
		return err
	}
	defer d.done(&err)
	lo := metaKey(prefix)
	it, err := d.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		return metaErr("scan", prefix, err)
	}
	err = scanMeta(it, fn)
	if cerr := it.Close(); err == nil && cerr != nil {
		err = metaErr("scan", prefix, cerr)
	}
	return err
}

func scanMeta(it *pebble.Iterator, fn func(string, []byte) error) error {
	for valid := it.First(); valid; valid = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			return metaErr("scan", string(it.Key()[1:]), err)
		}
		if err := fn(string(it.Key()[1:]), v); err != nil {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return metaErr("scan", "", err)
	}
	return nil
}

func metaErr(op, name string, err error) error {
	return wrapErr(err, "meta %s %q", op, name)
}
