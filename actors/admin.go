package actors

import (
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	"github.com/quorumkv/quorumkv/internal/buildinfo"
	"github.com/quorumkv/quorumkv/members"
	"github.com/quorumkv/quorumkv/messages"
)

// namespaceSyncTimeout bounds how long a namespace creation waits for the
// other up nodes to store it; gossip carries it to any that miss it.
const namespaceSyncTimeout = 2 * time.Second

// handleNamespaceCreate stores a namespace and pushes it to every up node
// before answering, so that the next request through any node knows it.
// N above the cluster size is allowed with a warning: the cluster may grow,
// and meanwhile the namespace keeps working on the nodes there are.
func (n *Node) handleNamespaceCreate(m *nats.Msg) {
	req := &messages.NamespaceCreateRequest{}
	if err := decodeRequest(m, req); err != nil {
		n.reject(m, "ns.create", err, &messages.NamespaceCreateResponse{})
		return
	}
	def := req.Namespace
	if def != nil {
		def.CreatedUnixNano, def.CreatedBy = time.Now().UnixNano(), n.id
	}
	ns, err := n.ns.create(def)
	if err != nil {
		n.reject(m, "ns.create", err, &messages.NamespaceCreateResponse{})
		return
	}
	n.pushNamespaces()
	resp := &messages.NamespaceCreateResponse{Namespace: ns}
	if size := len(n.view.Load().members); int(ns.N) > size {
		resp.Warning = fmt.Sprintf("namespace %q has n=%d but the cluster has %d node(s): it is under-replicated until the cluster grows", ns.Name, ns.N, size)
	}
	n.metrics.observe("ns.create", nil, time.Time{})
	n.respond(m, resp)
}

// pushNamespaces sends the namespace table to every other up member and
// waits for their acks (or the timeout).
func (n *Node) pushNamespaces() {
	data, err := proto.Marshal(&messages.Gossip{From: n.id, Namespaces: n.ns.list()})
	if err != nil {
		return
	}
	v := n.view.Load()
	var wg sync.WaitGroup
	for _, mi := range v.members {
		if mi.ID == n.id || !v.isUp(mi.ID) {
			continue
		}
		wg.Add(1)
		go func(id string) {
			defer wg.Done()
			if _, err := n.conn.Request(messages.NodeSubjectPrefix(id)+"ns", data, namespaceSyncTimeout); err != nil {
				n.log.Warn("namespace push failed; gossip will retry", "member", id, "err", err)
			}
		}(mi.ID)
	}
	wg.Wait()
}

// onNamespacePush stores namespaces pushed by another node and acks.
func (n *Node) onNamespacePush(m *nats.Msg) {
	g := &messages.Gossip{}
	if err := proto.Unmarshal(m.Data, g); err == nil {
		n.ns.merge(g.Namespaces)
	}
	if m.Reply != "" {
		_ = n.conn.Publish(m.Reply, nil)
	}
}

func (n *Node) handleNamespaceList(m *nats.Msg) {
	req := &messages.NamespaceListRequest{}
	if err := decodeRequest(m, req); err != nil {
		n.reject(m, "ns.list", err, &messages.NamespaceListResponse{})
		return
	}
	n.respond(m, &messages.NamespaceListResponse{Namespaces: n.ns.list()})
}

// handleStatus reports the cluster as this node sees it.
func (n *Node) handleStatus(m *nats.Msg) {
	req := &messages.StatusRequest{}
	if err := decodeRequest(m, req); err != nil {
		n.reject(m, "status", err, &messages.StatusResponse{})
		return
	}
	n.respond(m, n.status())
}

func (n *Node) status() *messages.StatusResponse {
	v := n.view.Load()
	resp := &messages.StatusResponse{Node: n.id, Partitions: uint32(n.cfg.Partitions)}
	n.fillLocalStatus(resp)
	primary, replica, slots := v.ownership(3)
	for _, st := range n.memberStatus() {
		id := st.Member.ID
		ms := &messages.MemberStatus{
			Id: id, Zone: st.Member.Zone, Weight: uint32(st.Member.Weight), Addr: st.Member.Addr,
			Up: st.Up, Phi: finitePhi(st.Phi), LastHeardMs: st.LastHeard.Milliseconds(),
			Heartbeat: st.Member.Heartbeat, Incarnation: st.Member.Incarnation,
			PrimaryPartitions: uint32(primary[id]), ReplicaPartitions: uint32(replica[id]),
			State: st.Member.State.String(),
		}
		if slots > 0 {
			ms.Ownership = float64(replica[id]) / float64(slots)
		}
		resp.Members = append(resp.Members, ms)
	}
	for _, ns := range n.ns.list() {
		st := &messages.NamespaceStatus{Namespace: ns}
		if int(ns.N) > len(v.members) {
			st.UnderReplicated = true
			st.Note = fmt.Sprintf("n=%d but the cluster has %d node(s)", ns.N, len(v.members))
		}
		resp.Namespaces = append(resp.Namespaces, st)
	}
	return resp
}

// fillLocalStatus adds what the answering node knows of itself alone: its
// build and its store. Records are the partitions' own counts (every key
// with a value or a tombstone, once per namespace), exact since each
// partition counted its keys at start and kept count on every write; the
// disk size and the partitions held come from the store.
func (n *Node) fillLocalStatus(resp *messages.StatusResponse) {
	resp.Version, resp.Commit = buildinfo.Version(), buildinfo.Commit()
	resp.Records = uint64(max(0, n.metrics.records.Load()))
	st, err := n.db.Stats()
	if err != nil {
		n.log.Warn("status: cannot measure the store", "err", err)
		return
	}
	resp.DiskBytes, resp.PartitionsHeld = st.DiskBytes, uint32(st.PartitionsHeld)
}

// memberStatus asks the membership actor for its table.
func (n *Node) memberStatus() []members.MemberStatus {
	q := &statusQuery{reply: make(chan []members.MemberStatus, 1)}
	n.system.Root.Send(n.members, q)
	select {
	case st := <-q.reply:
		return st
	case <-time.After(2 * time.Second):
		return nil
	}
}

// finitePhi keeps +Inf out of JSON, which cannot carry it.
func finitePhi(p float64) float64 {
	if p > 1e9 {
		return 1e9
	}
	return p
}
