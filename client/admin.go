package client

import (
	"context"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/quorumkv/quorumkv/messages"
)

// Conflict modes of a namespace.
const (
	// ModeSiblings keeps concurrent writes as siblings for the client to
	// resolve. It is the default.
	ModeSiblings = "siblings"
	// ModeLWW keeps the write with the greatest hybrid timestamp.
	ModeLWW = "lww"
)

// DefaultN is the replica count of a namespace created without one, as
// in Dynamo and Riak: three copies survive the loss of any two nodes.
const DefaultN = 3

// Namespace is a keyspace with its own replication settings.
type Namespace struct {
	Name string
	// N is the number of replicas per key, fixed at creation; R and W are
	// the default read and write quorums. At creation an N of 0 means
	// DefaultN, and an R or W of 0 a majority of N (2 of 3).
	N, R, W int
	// Mode is ModeSiblings or ModeLWW; "" at creation means ModeSiblings.
	Mode string
	// Created and CreatedBy are set by the cluster; CreateNamespace
	// ignores them.
	Created   time.Time
	CreatedBy string
}

// CreateNamespace creates ns. The warning is set when the cluster has fewer
// members than ns.N, so that keys would be under-replicated.
func (c *Client) CreateNamespace(ctx context.Context, ns Namespace) (warning string, err error) {
	subject := messages.SubjectNamespaceCreate
	if err := begin(ctx, subject); err != nil {
		return "", err
	}
	wire, err := ns.toWire()
	if err != nil {
		return "", err
	}
	_, wait := c.budget(ctx, 0)
	var resp messages.NamespaceCreateResponse
	req := &messages.NamespaceCreateRequest{Namespace: wire}
	if err := c.call(ctx, subject, req, &resp, wait); err != nil {
		return "", err
	}
	if err := wireError(resp.Error); err != nil {
		return "", err
	}
	return resp.Warning, nil
}

// ListNamespaces returns every namespace the answering node knows.
func (c *Client) ListNamespaces(ctx context.Context) ([]Namespace, error) {
	subject := messages.SubjectNamespaceList
	if err := begin(ctx, subject); err != nil {
		return nil, err
	}
	_, wait := c.budget(ctx, 0)
	var resp messages.NamespaceListResponse
	if err := c.call(ctx, subject, &messages.NamespaceListRequest{}, &resp, wait); err != nil {
		return nil, err
	}
	if err := wireError(resp.Error); err != nil {
		return nil, err
	}
	list := make([]Namespace, len(resp.Namespaces))
	for i, ns := range resp.Namespaces {
		list[i] = namespaceFromWire(ns)
	}
	return list, nil
}

// toWire checks ns and converts it to its wire form.
func (ns Namespace) toWire() (*messages.Namespace, error) {
	const code = messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT
	if ns.Name == "" {
		return nil, invalid(code, "empty namespace name")
	}
	for _, q := range []struct {
		name string
		v    int
	}{{"N", ns.N}, {"R", ns.R}, {"W", ns.W}} {
		if q.v < 0 || int64(q.v) > math.MaxUint32 {
			return nil, invalid(code, "namespace %s must be 0 (default) or positive, not %d", q.name, q.v)
		}
	}
	mode, err := ParseMode(ns.Mode)
	if err != nil {
		return nil, err
	}
	if ns.N == 0 {
		ns.N = DefaultN
	}
	return &messages.Namespace{
		Name: ns.Name, N: uint32(ns.N), R: uint32(ns.R), W: uint32(ns.W), Mode: mode,
	}, nil
}

// ParseMode reads a conflict mode name: "siblings" (or "") or "lww",
// in any case.
func ParseMode(s string) (messages.ConflictMode, error) {
	switch strings.ToLower(s) {
	case "", ModeSiblings:
		return messages.ConflictMode_CONFLICT_MODE_SIBLINGS, nil
	case ModeLWW:
		return messages.ConflictMode_CONFLICT_MODE_LWW, nil
	}
	return 0, invalid(messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT,
		"conflict mode must be %q or %q, not %q", ModeSiblings, ModeLWW, s)
}

// ModeName is the name ParseMode reads for m.
func ModeName(m messages.ConflictMode) string {
	switch m {
	case messages.ConflictMode_CONFLICT_MODE_SIBLINGS:
		return ModeSiblings
	case messages.ConflictMode_CONFLICT_MODE_LWW:
		return ModeLWW
	}
	return "mode(" + strconv.Itoa(int(m)) + ")"
}

// namespaceFromWire converts a namespace from its wire form.
func namespaceFromWire(ns *messages.Namespace) Namespace {
	out := Namespace{
		Name:      ns.GetName(),
		N:         int(ns.GetN()),
		R:         int(ns.GetR()),
		W:         int(ns.GetW()),
		Mode:      ModeName(ns.GetMode()),
		CreatedBy: ns.GetCreatedBy(),
	}
	if t := ns.GetCreatedUnixNano(); t != 0 {
		out.Created = time.Unix(0, t)
	}
	return out
}
