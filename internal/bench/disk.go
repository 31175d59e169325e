package bench

import (
	"io/fs"
	"path/filepath"
)

// dirsBytes is the apparent size of every regular file under dirs (0 for
// none). A file that vanishes during the walk (a compaction deleting an
// sstable) is skipped: the figure is a snapshot, not a ledger.
func dirsBytes(dirs []string) uint64 {
	var total uint64
	for _, dir := range dirs {
		_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil
			}
			if info, err := d.Info(); err == nil {
				total += uint64(info.Size())
			}
			return nil
		})
	}
	return total
}
