package actors

import (
	"github.com/quorumkv/quorumkv/quorum"
	"github.com/quorumkv/quorumkv/ring"
)

// clusterView is an immutable snapshot of placement: the ring over every
// known member and which members this node believes up. Coordinators read
// it without locks; the membership actor swaps in a new one on change.
type clusterView struct {
	ring    *ring.Ring
	members []ring.Member
	up      map[string]bool
}

// newClusterView builds a view; up == nil means every member is up.
func newClusterView(q int, members []ring.Member, up map[string]bool) *clusterView {
	r, err := ring.New(q, ring.DefaultTokensPerWeight, members)
	if err != nil {
		// Members are validated before they reach a view; a failure here is
		// a bug, and a ring of none keeps the node answering with errors.
		r, _ = ring.New(q, ring.DefaultTokensPerWeight, nil)
	}
	return &clusterView{ring: r, members: members, up: up}
}

func (v *clusterView) isUp(id string) bool { return v.up == nil || v.up[id] }

func (n *Node) setView(v *clusterView) { n.view.Store(v) }

func (n *Node) selfInfo() ring.Member {
	return ring.Member{ID: n.id, Zone: n.cfg.Zone, Weight: n.cfg.Weight}
}

// targets places a request on a partition's preference list, as this
// node sees the cluster now.
func (n *Node) targets(partition int, plan quorum.Plan) quorum.Targets {
	v := n.view.Load()
	return quorum.Place(v.ring.PreferenceList(partition), plan, v.isUp)
}
