package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/quorumkv/quorumkv/client"
	"github.com/quorumkv/quorumkv/messages"
)

// runNamespaceCreate creates a namespace; zero N, R and W leave the
// cluster's defaults to the node.
func runNamespaceCreate(ctx context.Context, a *app, s store, inv *invocation) error {
	o := inv.opts
	ns := client.Namespace{Name: inv.args[0], N: o.n, R: o.r, W: o.w, Mode: o.mode}
	warning, err := s.CreateNamespace(ctx, ns)
	if err != nil {
		return err
	}
	if warning != "" {
		fmt.Fprintf(a.stderr, "kvcli: warning: %s\n", oneLine(warning))
	}
	_, err = fmt.Fprintf(a.stdout, "created namespace %s\n", ns.Name)
	return err
}

// runNamespaceList prints the namespaces as a table or as protojson.
func runNamespaceList(ctx context.Context, a *app, s store, inv *invocation) error {
	list, err := s.ListNamespaces(ctx)
	if err != nil {
		return err
	}
	if inv.opts.json {
		return writeJSON(a.stdout, namespaceList(list))
	}
	return writeNamespaces(a.stdout, list)
}

func writeNamespaces(w io.Writer, list []client.Namespace) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tN\tR\tW\tMODE\tCREATED\tBY")
	for _, ns := range list {
		created := "-"
		if !ns.Created.IsZero() {
			created = ns.Created.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%s\n", ns.Name, ns.N, ns.R, ns.W, ns.Mode, created, orDash(ns.CreatedBy))
	}
	return tw.Flush()
}

// namespaceList is the wire form of a namespace list, for --json.
func namespaceList(list []client.Namespace) *messages.NamespaceListResponse {
	resp := &messages.NamespaceListResponse{Namespaces: make([]*messages.Namespace, len(list))}
	for i, ns := range list {
		mode, _ := client.ParseMode(ns.Mode)
		w := &messages.Namespace{Name: ns.Name, N: uint32(ns.N), R: uint32(ns.R), W: uint32(ns.W),
			Mode: mode, CreatedBy: ns.CreatedBy}
		if !ns.Created.IsZero() {
			w.CreatedUnixNano = ns.Created.UnixNano()
		}
		resp.Namespaces[i] = w
	}
	return resp
}
