package actors

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/quorumkv/quorumkv/storage"
)

const identityMetaKey = "identity"

// identity is what a data dir remembers about its node. The id is fixed at
// creation; the incarnation goes up on every start, so gossip can tell a
// restarted node from stale news about its previous life.
type identity struct {
	ID          string `json:"id"`
	Incarnation uint64 `json:"incarnation"`
	// Actor is the id this node's replicas issue version-vector dots
	// under: ID plus an epoch drawn when the data dir was created. A node
	// that lost its disk and starts again under its old name gets a new
	// epoch, so it never reissues a dot that peers already hold (reissued
	// dots make new writes look already seen, and they are silently
	// dropped). Data dirs from before epochs keep Actor == ID.
	Actor string `json:"actor,omitempty"`
}

// loadIdentity reads the data dir's identity, creates it on first start,
// and bumps the incarnation. A name that differs from the stored id is
// refused: renaming a node would orphan its replicas.
func loadIdentity(db *storage.DB, name string) (identity, error) {
	var id identity
	raw, found, err := db.GetMeta(identityMetaKey)
	if err != nil {
		return id, fmt.Errorf("read identity: %w", err)
	}
	if found {
		if err := json.Unmarshal(raw, &id); err != nil || !ValidNodeName(id.ID) {
			return id, fmt.Errorf("data dir identity is corrupt: %q", raw)
		}
		if name != "" && name != id.ID {
			return id, fmt.Errorf("data dir belongs to node %q, not %q", id.ID, name)
		}
		if id.Actor == "" {
			id.Actor = id.ID
		}
	} else {
		id.ID = name
		if id.ID == "" {
			id.ID = defaultNodeName()
		}
		id.Actor = id.ID + "." + newEpoch()
	}
	id.Incarnation++
	raw, _ = json.Marshal(id)
	if err := db.SetMeta(identityMetaKey, raw); err != nil {
		return id, fmt.Errorf("write identity: %w", err)
	}
	return id, nil
}

// defaultNodeName derives a subject-safe id from the host name.
func defaultNodeName() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "node1"
	}
	h = strings.Map(func(r rune) rune {
		if r < 128 && (r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return r
		}
		return '-'
	}, h)
	if len(h) > 64 {
		h = h[:64]
	}
	return h
}

// newEpoch returns 8 random base-32 characters: a data dir's epoch.
func newEpoch() string {
	var b [5]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported systems
	return strings.ToLower(base32.StdEncoding.EncodeToString(b[:]))
}
