package storage

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// formatVersion is the version of this package's on-disk layout (key layout
// and record format, doc.go). Bump it, and teach Open to migrate or refuse,
// whenever either changes incompatibly.
const formatVersion = 1

// Layout metadata, under the meta keyspace. Names starting with
// reservedMetaPrefix belong to this package; SetMeta refuses them.
const (
	reservedMetaPrefix = "storage."
	metaFormat         = reservedMetaPrefix + "format"
	metaPartitions     = reservedMetaPrefix + "partitions"
	metaPlacement      = reservedMetaPrefix + "placement"
)

// Key-to-partition rules (package ring's Placement numbers). Storage only
// records which one a data dir was made with: the records' keys embed
// partitions computed by it.
const (
	// LegacyPlacement is the rule of data dirs made before the rule was
	// recorded.
	LegacyPlacement = 1
	// NewPlacement is the rule a new data dir gets when Options.Placement
	// is 0.
	NewPlacement = 2
	// maxPlacement is the newest rule this build knows.
	maxPlacement = 2
)

// checkDir refuses to create a database in a directory that already holds
// something other than pebble files: a mistyped --data pointing at a home
// dir must fail, not grow a database among unrelated files.
func checkDir(fs vfs.FS, dir string) error {
	names, err := fs.List(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil // pebble creates it
	}
	if err != nil {
		return fmt.Errorf("storage: open %s: %w", dir, err)
	}
	desc, err := pebble.Peek(dir, fs)
	if err != nil {
		return fmt.Errorf("storage: open %s: %w", dir, err)
	}
	if desc.Exists {
		return nil
	}
	for _, n := range names {
		if !pebbleFileName(n) {
			return fmt.Errorf("storage: open %s: directory is not empty and holds no database (found %q)", dir, n)
		}
	}
	return nil
}

// pebbleFileName reports whether n is a name pebble creates (or lost+found,
// which every fresh ext4 mount has). Such files may remain from a first
// Open that crashed before the database was complete.
func pebbleFileName(n string) bool {
	switch {
	case n == "LOCK", n == "lost+found", n == "CURRENT":
		return true
	case strings.HasPrefix(n, "MANIFEST-"), strings.HasPrefix(n, "OPTIONS-"), strings.HasPrefix(n, "marker."):
		return true
	case strings.HasSuffix(n, ".log"), strings.HasSuffix(n, ".sst"), strings.HasSuffix(n, ".blob"),
		strings.HasSuffix(n, ".dbtmp"):
		return true
	}
	return false
}

// checkLayout writes the layout metadata into a new store, or verifies it in
// an existing one.
func (d *DB) checkLayout(dir string) error {
	fv, okF, err := d.GetMeta(metaFormat)
	if err != nil {
		return err
	}
	qv, okQ, err := d.GetMeta(metaPartitions)
	if err != nil {
		return err
	}
	if !okF && !okQ {
		return d.initLayout(dir)
	}
	f, errF := strconv.Atoi(string(fv))
	q, errQ := strconv.Atoi(string(qv))
	if !okF || !okQ || errF != nil || errQ != nil {
		return fmt.Errorf("storage: open %s: %w: layout metadata damaged (format %q, partitions %q)",
			dir, ErrCorrupt, fv, qv)
	}
	if f != formatVersion {
		return fmt.Errorf("storage: open %s: %w: format version %d, this build reads %d",
			dir, ErrUnsupportedFormat, f, formatVersion)
	}
	if q != d.partitions {
		return fmt.Errorf("storage: open %s: %w: created with %d partitions, configured with %d",
			dir, ErrLayoutMismatch, q, d.partitions)
	}
	return d.checkPlacement(dir)
}

// checkPlacement reads the data dir's placement (LegacyPlacement when it
// has none recorded) and checks it against the one asked for, if any.
func (d *DB) checkPlacement(dir string) error {
	pv, ok, err := d.GetMeta(metaPlacement)
	if err != nil {
		return err
	}
	placement := LegacyPlacement
	if ok {
		if placement, err = strconv.Atoi(string(pv)); err != nil || placement < 1 {
			return fmt.Errorf("storage: open %s: %w: layout metadata damaged (placement %q)", dir, ErrCorrupt, pv)
		}
	}
	if placement > maxPlacement {
		return fmt.Errorf("storage: open %s: %w: key placement %d, this build knows up to %d",
			dir, ErrUnsupportedFormat, placement, maxPlacement)
	}
	if d.placement != 0 && d.placement != placement {
		return fmt.Errorf("storage: open %s: %w: created with key placement %d, configured with %d",
			dir, ErrLayoutMismatch, placement, d.placement)
	}
	d.placement = placement
	return nil
}

// initLayout stamps a new store. A store with keys but no layout metadata
// was not made by this package (or lost its metadata): refuse it rather than
// guess its Q.
func (d *DB) initLayout(dir string) (err error) {
	if err := d.acquire(); err != nil {
		return err
	}
	defer d.done(&err)
	it, err := d.db.NewIter(nil)
	if err != nil {
		return fmt.Errorf("storage: open %s: %w", dir, err)
	}
	hasKeys := it.First()
	if err := firstErr(it.Error(), it.Close()); err != nil {
		return fmt.Errorf("storage: open %s: %w", dir, err)
	}
	if hasKeys {
		return fmt.Errorf("storage: open %s: %w: database holds data but no layout metadata",
			dir, ErrLayoutMismatch)
	}
	b := d.db.NewBatch()
	defer b.Close()
	_ = b.Set(metaKey(metaFormat), []byte(strconv.Itoa(formatVersion)), nil)
	_ = b.Set(metaKey(metaPartitions), []byte(strconv.Itoa(d.partitions)), nil)
	if d.placement == 0 {
		d.placement = NewPlacement
	}
	if d.placement > maxPlacement {
		return fmt.Errorf("storage: open %s: %w: key placement %d, this build knows up to %d",
			dir, ErrInvalid, d.placement, maxPlacement)
	}
	_ = b.Set(metaKey(metaPlacement), []byte(strconv.Itoa(d.placement)), nil)
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("storage: open %s: writing layout metadata: %w", dir, err)
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
