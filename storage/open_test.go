package storage

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

func TestOpenLayoutMismatch(t *testing.T) {
	fs := vfs.NewMem()
	d, err := Open("db", memOptions(fs))
	if err != nil {
		t.Fatal(err)
	}
	_ = d.Close()
	opts := memOptions(fs)
	opts.Partitions = testQ * 2
	_, err = Open("db", opts)
	if !errors.Is(err, ErrLayoutMismatch) {
		t.Fatalf("Open with another Q: %v, want ErrLayoutMismatch", err)
	}
	if msg := err.Error(); !strings.Contains(msg, fmt.Sprint(testQ)) || !strings.Contains(msg, fmt.Sprint(testQ*2)) {
		t.Errorf("error does not name both partition counts: %v", err)
	}
	// The failed Open released the directory: the right Q still opens.
	d, err = Open("db", memOptions(fs))
	if err != nil {
		t.Fatalf("reopen with the right Q: %v", err)
	}
	_ = d.Close()
}

// A pebble database this package did not stamp is refused, not adopted.
func TestOpenForeignPebbleDatabase(t *testing.T) {
	fs := vfs.NewMem()
	pdb, err := pebble.Open("db", &pebble.Options{FS: fs, Logger: pebbleLogger{slog.New(slog.DiscardHandler)}})
	if err != nil {
		t.Fatal(err)
	}
	_ = pdb.Set([]byte("someone else's key"), []byte("v"), pebble.Sync)
	_ = pdb.Close()
	if _, err := Open("db", memOptions(fs)); !errors.Is(err, ErrLayoutMismatch) {
		t.Fatalf("Open of a foreign database: %v, want ErrLayoutMismatch", err)
	}
}

func TestOpenFormatAndDamagedLayout(t *testing.T) {
	for name, tc := range map[string]struct {
		key, value string
		want       error
	}{
		"newer format":       {metaFormat, "99", ErrUnsupportedFormat},
		"garbled partitions": {metaPartitions, "eight", ErrCorrupt},
		"newer placement":    {metaPlacement, "9", ErrUnsupportedFormat},
		"garbled placement":  {metaPlacement, "two", ErrCorrupt},
	} {
		t.Run(name, func(t *testing.T) {
			fs := vfs.NewMem()
			d, err := Open("db", memOptions(fs))
			if err != nil {
				t.Fatal(err)
			}
			if err := d.db.Set(metaKey(tc.key), []byte(tc.value), pebble.Sync); err != nil {
				t.Fatal(err)
			}
			_ = d.Close()
			if _, err := Open("db", memOptions(fs)); !errors.Is(err, tc.want) {
				t.Fatalf("Open: %v, want %v", err, tc.want)
			}
		})
	}
}

func TestOpenBadDirectories(t *testing.T) {
	cases := map[string]func(t *testing.T, dir string){
		"regular file": func(t *testing.T, dir string) {
			writeFile(t, dir, "not a directory")
		},
		"garbage files": func(t *testing.T, dir string) {
			mkdir(t, dir)
			for i := range 5 {
				writeFile(t, filepath.Join(dir, fmt.Sprintf("junk-%d.txt", i)), "junk")
			}
		},
		"garbage with pebble names": func(t *testing.T, dir string) {
			mkdir(t, dir)
			for _, n := range []string{"CURRENT", "MANIFEST-000001", "OPTIONS-000002", "000003.log",
				"marker.manifest.000001.MANIFEST-000001", "marker.format-version.000001.024"} {
				writeFile(t, filepath.Join(dir, n), "\x00\xffgarbage\n")
			}
		},
		"missing MANIFEST": func(t *testing.T, dir string) {
			makeDB(t, dir)
			removeGlob(t, filepath.Join(dir, "MANIFEST-*"))
		},
		"corrupt MANIFEST": func(t *testing.T, dir string) {
			makeDB(t, dir)
			for _, m := range glob(t, filepath.Join(dir, "MANIFEST-*")) {
				writeFile(t, m, strings.Repeat("\xde\xad\xbe\xef", 100))
			}
		},
		"truncated MANIFEST": func(t *testing.T, dir string) {
			makeDB(t, dir)
			for _, m := range glob(t, filepath.Join(dir, "MANIFEST-*")) {
				if err := os.Truncate(m, 10); err != nil {
					t.Fatal(err)
				}
			}
		},
		"garbage marker": func(t *testing.T, dir string) {
			makeDB(t, dir)
			removeGlob(t, filepath.Join(dir, "marker.manifest.*"))
			writeFile(t, filepath.Join(dir, "marker.manifest.000009.MANIFEST-999999"), "")
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			setup(t, dir)
			d, err := Open(dir, Options{Partitions: testQ, CacheBytes: 8 << 20, MemTableBytes: 1 << 20})
			if err == nil {
				_ = d.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), dir) {
				t.Errorf("error does not name the directory: %v", err)
			}
			t.Logf("%v", err)
		})
	}
}

func TestOpenNoPermission(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores permissions; errorfs covers failing I/O")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o755)
	if _, err := Open(filepath.Join(dir, "data"), Options{Partitions: testQ}); err == nil {
		t.Fatal("Open in an unreadable dir succeeded")
	}
}

func TestOpenRejectsBadOptions(t *testing.T) {
	for name, o := range map[string]Options{
		"no partitions":     {},
		"negative":          {Partitions: -1},
		"cache too small":   {Partitions: 1, CacheBytes: 64 << 20},
		"cache vs memtable": {Partitions: 1, CacheBytes: 10 << 20, MemTableBytes: 4 << 20},
		"bad sync":          {Partitions: 1, Sync: 7},
	} {
		o.FS = vfs.NewMem()
		if _, err := Open("db", o); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Open err = %v, want ErrInvalid", name, err)
		}
	}
}

// Pebble's log lines reach the configured slog logger; none reach stderr
// (checked by the absence of output in go test -v, and here positively).
func TestPebbleLogsGoToLogger(t *testing.T) {
	var buf bytes.Buffer
	opts := memOptions(vfs.NewMem())
	opts.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d, err := Open("db", opts)
	if err != nil {
		t.Fatal(err)
	}
	_ = d.Close()
	if !strings.Contains(buf.String(), "pebble: ") {
		t.Fatalf("no pebble log lines reached the logger:\n%s", buf.String())
	}
}

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func makeDB(t *testing.T, dir string) {
	t.Helper()
	d, err := Open(dir, Options{Partitions: testQ, CacheBytes: 8 << 20, MemTableBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, d, 0, "ns", "k", rec("a", 1, "v"))
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
}

func glob(t *testing.T, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil || len(m) == 0 {
		t.Fatalf("glob %s: %v %v", pattern, m, err)
	}
	return m
}

func removeGlob(t *testing.T, pattern string) {
	t.Helper()
	for _, f := range glob(t, pattern) {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
}

// A data dir records the key placement it was made with. An old one that
// has none recorded reads as the legacy placement; a node configured with
// another placement than its data dir's is refused, like a different Q.
func TestOpenRecordsPlacement(t *testing.T) {
	open := func(fs vfs.FS, placement int) (*DB, error) {
		opts := memOptions(fs)
		opts.Placement = placement
		return Open("db", opts)
	}
	fs := vfs.NewMem()
	d, err := open(fs, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d.Placement() != NewPlacement {
		t.Fatalf("new data dir: placement %d, want %d", d.Placement(), NewPlacement)
	}
	_ = d.Close()
	if d, err = open(fs, NewPlacement); err != nil || d.Placement() != NewPlacement {
		t.Fatalf("reopen naming its placement: %v", err)
	}
	_ = d.Close()
	if _, err := open(fs, LegacyPlacement); !errors.Is(err, ErrLayoutMismatch) {
		t.Fatalf("reopen with another placement: %v, want ErrLayoutMismatch", err)
	}

	// A data dir made before placements were recorded.
	if d, err = open(fs, 0); err != nil {
		t.Fatal(err)
	}
	if err := d.db.Delete(metaKey(metaPlacement), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	_ = d.Close()
	if d, err = open(fs, 0); err != nil || d.Placement() != LegacyPlacement {
		t.Fatalf("old data dir: placement %v (err %v), want %d", d, err, LegacyPlacement)
	}
	_ = d.Close()
	if _, err := open(fs, NewPlacement); !errors.Is(err, ErrLayoutMismatch) {
		t.Fatalf("old data dir opened as placement 2: %v, want ErrLayoutMismatch", err)
	}

	// A new data dir made for a cluster of placement 1.
	fs1 := vfs.NewMem()
	if d, err = open(fs1, LegacyPlacement); err != nil {
		t.Fatal(err)
	}
	_ = d.Close()
	if d, err = open(fs1, 0); err != nil || d.Placement() != LegacyPlacement {
		t.Fatalf("data dir made with placement 1 reopened: %v", err)
	}
	_ = d.Close()
	if _, err := open(vfs.NewMem(), maxPlacement+1); !errors.Is(err, ErrInvalid) {
		t.Fatalf("new data dir with an unknown placement: %v, want ErrInvalid", err)
	}
	if _, err := open(vfs.NewMem(), -1); !errors.Is(err, ErrInvalid) {
		t.Fatalf("negative placement: %v, want ErrInvalid", err)
	}
}
