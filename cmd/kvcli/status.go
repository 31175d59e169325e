package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/quorumkv/quorumkv/messages"
)

// runStatus prints the answering node's view of the cluster.
func runStatus(ctx context.Context, a *app, s store, inv *invocation) error {
	st, err := s.Status(ctx, inv.opts.node)
	if err != nil {
		return err
	}
	if inv.opts.json {
		return writeJSON(a.stdout, st)
	}
	return writeStatus(a.stdout, st)
}

// writeStatus prints a status as a members table and the under-replicated
// namespaces.
func writeStatus(w io.Writer, st *messages.StatusResponse) error {
	up := 0
	for _, m := range st.Members {
		if m.Up {
			up++
		}
	}
	fmt.Fprintf(w, "node %s answered: %d of %d members up, %d partitions\n\n",
		orDash(st.Node), up, len(st.Members), st.Partitions)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MEMBER\tZONE\tWEIGHT\tSTATE\tPHI\tLAST HEARD\tPRIMARY\tREPLICA")
	for _, m := range st.Members {
		state := "down"
		if m.Up {
			state = "up"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%.2f\t%s\t%d\t%d\n", m.Id, orDash(m.Zone), m.Weight, state,
			m.Phi, age(m.LastHeardMs), m.PrimaryPartitions, m.ReplicaPartitions)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	var under []*messages.NamespaceStatus
	for _, ns := range st.Namespaces {
		if ns.UnderReplicated {
			under = append(under, ns)
		}
	}
	if len(under) == 0 {
		_, err := fmt.Fprintln(w, "\nno namespace is under-replicated")
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "UNDER-REPLICATED\tN\tNOTE")
	for _, ns := range under {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", ns.GetNamespace().GetName(), ns.GetNamespace().GetN(), orDash(oneLine(ns.Note)))
	}
	return tw.Flush()
}

// age formats a heartbeat age in milliseconds: 800ms, 1.2s, 31s, 2m5s.
func age(ms int64) string {
	if ms < 0 {
		return "-"
	}
	d := time.Duration(ms) * time.Millisecond
	switch {
	case d >= time.Minute:
		d = d.Round(time.Second)
	case d >= time.Second:
		d = d.Round(100 * time.Millisecond)
	}
	return d.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
