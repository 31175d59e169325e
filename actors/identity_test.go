package actors

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/quorumkv/quorumkv/storage"
)

func openDB(t *testing.T, dir string) *storage.DB {
	t.Helper()
	db, err := storage.Open(dir, storage.Options{Partitions: 8})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// A data dir's dot actor id is fixed at creation: the node id plus an
// epoch. The same name on a new data dir (a replaced disk) gets another
// epoch, so it never reissues the dots of its previous life.
func TestIdentityEpochPerDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a")
	db := openDB(t, dir)
	first, err := loadIdentity(db, "n1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(first.Actor, "n1.") || len(first.Actor) != len("n1.")+8 {
		t.Fatalf("actor id %q: want n1.<8-char epoch>", first.Actor)
	}
	again, err := loadIdentity(db, "n1")
	if err != nil || again.Actor != first.Actor || again.Incarnation != first.Incarnation+1 {
		t.Fatalf("restart: %+v (%v), first %+v", again, err, first)
	}
	db.Close()
	wiped := openDB(t, filepath.Join(t.TempDir(), "b"))
	defer wiped.Close()
	fresh, err := loadIdentity(wiped, "n1")
	if err != nil || fresh.Actor == first.Actor || fresh.ID != "n1" {
		t.Fatalf("new disk, same name: %+v (%v), before %+v", fresh, err, first)
	}
}

// A data dir from before epochs keeps issuing dots under the bare id: its
// records already hold them, and a new id would not make them unique.
func TestIdentityWithoutEpochKeepsBareID(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "old"))
	defer db.Close()
	if err := db.SetMeta(identityMetaKey, []byte(`{"id":"n2","incarnation":4}`)); err != nil {
		t.Fatal(err)
	}
	id, err := loadIdentity(db, "")
	if err != nil || id.Actor != "n2" || id.Incarnation != 5 {
		t.Fatalf("legacy identity: %+v %v", id, err)
	}
}
