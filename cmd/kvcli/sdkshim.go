package main

import (
	"github.com/quorumkv/quorumkv/client"
	"github.com/quorumkv/quorumkv/messages"
)

// putContext adapts Put's result to the context token the commands print.
func putContext(r *client.PutResult, err error) (string, error) {
	if err != nil {
		return "", err
	}
	return r.Context, nil
}

// statusToWire gives the commands the status in the wire form they read.
func statusToWire(st *client.Status, err error) (*messages.StatusResponse, error) {
	if err != nil {
		return nil, err
	}
	out := &messages.StatusResponse{
		Node: st.Node, Partitions: uint32(st.Partitions), Version: st.Version, Commit: st.Commit,
		Records: st.Records, DiskBytes: st.DiskBytes, PartitionsHeld: uint32(st.PartitionsHeld),
	}
	for _, m := range st.Members {
		out.Members = append(out.Members, &messages.MemberStatus{
			Id: m.ID, Zone: m.Zone, Weight: uint32(m.Weight), Addr: m.Addr, Up: m.Up, Phi: m.Phi,
			LastHeardMs: m.LastHeard.Milliseconds(), Heartbeat: m.Heartbeat, Incarnation: m.Incarnation,
			PrimaryPartitions: uint32(m.PrimaryPartitions), ReplicaPartitions: uint32(m.ReplicaPartitions),
			State: m.State, Ownership: m.Ownership,
		})
	}
	for _, ns := range st.Namespaces {
		mode, _ := client.ParseMode(ns.Namespace.Mode)
		wire := &messages.Namespace{Name: ns.Namespace.Name, N: uint32(ns.Namespace.N), R: uint32(ns.Namespace.R),
			W: uint32(ns.Namespace.W), Mode: mode, CreatedBy: ns.Namespace.CreatedBy}
		if !ns.Namespace.Created.IsZero() {
			wire.CreatedUnixNano = ns.Namespace.Created.UnixNano()
		}
		out.Namespaces = append(out.Namespaces, &messages.NamespaceStatus{
			Namespace: wire, UnderReplicated: ns.UnderReplicated, Note: ns.Note})
	}
	return out, nil
}
