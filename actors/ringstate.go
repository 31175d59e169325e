package actors

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/quorumkv/quorumkv/members"
	"github.com/quorumkv/quorumkv/storage"
)

// ErrLeft is the fatal error of a node that has left the cluster: every
// partition it held has moved. The process exits 0 on it.
var ErrLeft = errors.New("this node has left the cluster")

const ringStateMetaKey = "ring-state"

// ringState is where this node stands in the ring, kept in its data dir so
// that a restart resumes a join or a departure where it was.
type ringState struct {
	State members.State `json:"state"`
	// Ready is the bitmap of partitions received by ownership transfer.
	Ready []byte `json:"ready,omitempty"`
}

// loadRingState reads this node's ring state. A data dir without one is
// created now: joining when the node is new and asked to join a cluster,
// else active (a new cluster, or a data dir from before states). A node
// that left refuses to start: its partitions live elsewhere now.
func loadRingState(db *storage.DB, fresh, join bool) (ringState, error) {
	raw, found, err := db.GetMeta(ringStateMetaKey)
	if err != nil {
		return ringState{}, fmt.Errorf("read ring state: %w", err)
	}
	var st ringState
	if found {
		if err := json.Unmarshal(raw, &st); err != nil {
			return st, fmt.Errorf("data dir ring state is corrupt: %q", raw)
		}
		if st.State == members.Left {
			return st, fmt.Errorf("%w (it was decommissioned or removed): wipe its data dir to add it again as a new node", ErrLeft)
		}
		return st, nil
	}
	if fresh && join {
		st.State = members.Joining
	}
	return st, saveRingState(db, st)
}

func saveRingState(db *storage.DB, st ringState) error {
	raw, _ := json.Marshal(st)
	if err := db.SetMeta(ringStateMetaKey, raw); err != nil {
		return fmt.Errorf("write ring state: %w", err)
	}
	return nil
}

// clearBit clears bit i of bitmap (see setBit).
func clearBit(bitmap []byte, i int) []byte {
	if i/8 < len(bitmap) {
		bitmap[i/8] &^= 1 << (i % 8)
	}
	return bitmap
}
