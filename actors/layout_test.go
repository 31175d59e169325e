package actors

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/ring"
)

// A member is admitted only with this node's partition count and key
// placement; a member from before placements were gossiped uses placement 1.
func TestLayoutMismatch(t *testing.T) {
	tests := []struct {
		name      string
		member    *messages.MemberInfo
		placement ring.Placement
		want      string // "" admits
	}{
		{"same", &messages.MemberInfo{Id: "b", Partitions: 256, Placement: 2}, ring.PlacementMixed, ""},
		{"other Q", &messages.MemberInfo{Id: "b", Partitions: 64, Placement: 2}, ring.PlacementMixed, "uses 64 partitions, this node 256"},
		{"other placement", &messages.MemberInfo{Id: "b", Partitions: 256, Placement: 1}, ring.PlacementMixed, "--placement 1"},
		{"old member, new node", &messages.MemberInfo{Id: "b", Partitions: 256}, ring.PlacementMixed, "placement 1, this node by 2"},
		{"old member, old cluster", &messages.MemberInfo{Id: "b", Partitions: 256}, ring.PlacementFNV, ""},
	}
	for _, tc := range tests {
		err := layoutMismatch(tc.member, 256, tc.placement)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}

// A node whose data dir was made with another placement cannot join: it
// stops with an error that says which --placement the cluster needs.
func TestNodeWithAnotherPlacementCannotJoin(t *testing.T) {
	route := freeAddr(t)
	start := func(cfg Config) *Node {
		t.Helper()
		cfg.DataDir, cfg.Listen, cfg.AEInterval = filepath.Join(t.TempDir(), "data"), freeAddr(t), time.Hour
		n, err := Start(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = n.Stop() })
		return n
	}
	a1 := start(Config{Name: "p1", ClusterListen: route})
	a2 := start(Config{Name: "p2", ClusterListen: freeAddr(t), Join: []string{"nats://" + route}, Placement: int(ring.PlacementFNV)})
	if a1.placement != ring.PlacementMixed || a2.placement != ring.PlacementFNV {
		t.Fatalf("placements %d and %d, want 2 (new data dir) and 1 (configured)", a1.placement, a2.placement)
	}
	select {
	case err := <-a2.Fatal():
		if !strings.Contains(err.Error(), "--placement 2") {
			t.Fatalf("a2 stopped with %q, want it to name --placement 2", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a2 joined a cluster of another placement, or did not stop within 30s")
	}
}
