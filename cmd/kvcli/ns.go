package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/quorumkv/quorumkv/client"
)

// defaultN is the N kvcli asks for when ns create is given no --n: the
// cluster's documented default, sent explicitly so that it does not
// depend on how the node reads an N of 0.
const defaultN = 3

// The JSON of the namespace commands.
type (
	namespaceView struct {
		Name string `json:"name"`
		N    int    `json:"n"`
		R    int    `json:"r"`
		W    int    `json:"w"`
		Mode string `json:"mode"`
		// Created is RFC 3339 (UTC), null when the node does not know it
		// (the default namespace).
		Created   *string `json:"created"`
		CreatedBy string  `json:"createdBy"`
	}
	namespaceListView struct {
		Namespaces []namespaceView `json:"namespaces"`
	}
	namespaceCreateView struct {
		Name    string `json:"name"`
		N       int    `json:"n"`
		R       int    `json:"r"`
		W       int    `json:"w"`
		Mode    string `json:"mode"`
		Warning string `json:"warning"`
	}
)

// runNamespaceCreate creates a namespace; zero R and W leave the
// cluster's defaults to the node.
func runNamespaceCreate(ctx context.Context, a *app, s store, inv *invocation) error {
	o := inv.opts
	ns := client.Namespace{Name: inv.args[0], N: o.n, R: o.r, W: o.w, Mode: o.mode}
	if ns.N == 0 {
		ns.N = defaultN
	}
	warning, err := s.CreateNamespace(ctx, ns)
	if err != nil {
		return fmt.Errorf("create namespace %q: %w", ns.Name, explain(err))
	}
	switch inv.out {
	case formatJSON:
		err = writeLine(a.stdout, created(ctx, s, ns, warning))
	case formatValue:
		err = writeValue(a.stdout, ns.Name)
	default:
		_, err = fmt.Fprintf(a.stdout, "created namespace %s\n", ns.Name)
	}
	if warning != "" {
		fmt.Fprintf(a.stderr, "kvcli: warning: %s\n", oneLine(warning))
	}
	return err
}

// created is the namespace as the cluster lists it once created, with
// the defaults the node filled in; as asked if the list fails.
func created(ctx context.Context, s store, ns client.Namespace, warning string) namespaceCreateView {
	if ns.Mode == "" {
		ns.Mode = client.ModeSiblings
	}
	if list, err := s.ListNamespaces(ctx); err == nil {
		for _, l := range list {
			if l.Name == ns.Name {
				ns = l
			}
		}
	}
	return namespaceCreateView{Name: ns.Name, N: ns.N, R: ns.R, W: ns.W, Mode: ns.Mode, Warning: oneLine(warning)}
}

// runNamespaceList prints the namespaces.
func runNamespaceList(ctx context.Context, a *app, s store, inv *invocation) error {
	list, err := s.ListNamespaces(ctx)
	if err != nil {
		return fmt.Errorf("list the namespaces: %w", explain(err))
	}
	switch inv.out {
	case formatJSON:
		return writeLine(a.stdout, namespaceListOf(list))
	case formatValue:
		for _, ns := range list {
			if err := writeValue(a.stdout, ns.Name); err != nil {
				return err
			}
		}
		return nil
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

func namespaceListOf(list []client.Namespace) namespaceListView {
	v := namespaceListView{Namespaces: []namespaceView{}}
	for _, ns := range list {
		var created *string
		if !ns.Created.IsZero() {
			t := ns.Created.UTC().Format(time.RFC3339Nano)
			created = &t
		}
		v.Namespaces = append(v.Namespaces, namespaceView{Name: ns.Name, N: ns.N, R: ns.R, W: ns.W, Mode: ns.Mode,
			Created: created, CreatedBy: ns.CreatedBy})
	}
	return v
}
