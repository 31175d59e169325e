package storage

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cockroachdb/pebble/v2"
)

// ErrCorrupt is wrapped by every error that reports damaged stored data: a
// record whose checksum, protobuf decoding or invariants fail, a malformed
// record key, or a block pebble itself found corrupt. Such data is never
// returned to a caller as if it were good.
var ErrCorrupt = errors.New("storage: corrupt record")

// ErrLayoutMismatch is wrapped when a data dir was created for a different
// partition count (Q) than the one configured. Keys embed the partition, so
// opening with another Q would silently misplace every record.
var ErrLayoutMismatch = errors.New("storage: data dir belongs to another cluster layout")

// ErrUnsupportedFormat is wrapped when a data dir was written by a newer (or
// unknown) storage format version than this build understands.
var ErrUnsupportedFormat = errors.New("storage: unsupported data dir format")

// ErrFailed is wrapped (by a *FatalError) when pebble hit an error it
// cannot continue from, such as a failed WAL write. The DB then refuses
// every call; the node should stop and restart, which replays the WAL.
var ErrFailed = errors.New("storage: store failed")

// ErrClosed is returned by every method of a DB after Close has begun.
var ErrClosed = errors.New("storage: closed")

// ErrInvalid is wrapped when a caller passes an argument the key layout
// cannot represent (partition out of range, namespace containing 0x00, a
// reserved meta name, a record failing vclock validation or holding invalid
// UTF-8). Nothing is written.
var ErrInvalid = errors.New("storage: invalid argument")

// RecordKey names one record within a partition.
type RecordKey struct {
	Namespace string
	Key       string
}

// maxReportedCorrupt bounds how many keys a ScanCorruptError lists, so that a
// badly damaged partition cannot make the error itself huge.
const maxReportedCorrupt = 64

// ScanCorruptError is returned by ScanPartition after a complete scan that
// skipped corrupt records. Callers that can repair (anti-entropy, handoff)
// use errors.As to learn which keys to fetch again from a peer; errors.Is(err,
// ErrCorrupt) holds.
type ScanCorruptError struct {
	Partition int
	Count     int         // corrupt records skipped
	Keys      []RecordKey // the first maxReportedCorrupt of them, in key order; a malformed pebble key is reported whole in Key
}

func (e *ScanCorruptError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "storage: partition %d: %d corrupt record(s) skipped:", e.Partition, e.Count)
	for i, k := range e.Keys {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, " %q/%q", k.Namespace, k.Key)
	}
	if e.Count > len(e.Keys) {
		b.WriteString(", ...")
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrCorrupt) true.
func (e *ScanCorruptError) Unwrap() error { return ErrCorrupt }

func (e *ScanCorruptError) add(ns, key string) {
	e.Count++
	if len(e.Keys) < maxReportedCorrupt {
		e.Keys = append(e.Keys, RecordKey{Namespace: ns, Key: key})
	}
}

// wrapErr adds context to an error from pebble or the codec. Pebble's own
// corruption errors (a bad block checksum) also get ErrCorrupt, so that
// callers need one errors.Is test for "this replica's copy is damaged".
func wrapErr(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	if pebble.IsCorruptionError(err) && !errors.Is(err, ErrCorrupt) {
		return fmt.Errorf("storage: %s: %w: %w", what, ErrCorrupt, err)
	}
	return fmt.Errorf("storage: %s: %w", what, err)
}
