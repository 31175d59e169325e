package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/quorumkv/quorumkv/client"
	"github.com/quorumkv/quorumkv/messages"
)

// runStatus prints the answering node's view of the cluster, then the
// transfers the members that are up report.
func runStatus(ctx context.Context, a *app, s store, inv *invocation) error {
	st, err := s.Status(ctx, inv.opts.node)
	if err != nil {
		return err
	}
	if inv.opts.json {
		return writeJSON(a.stdout, st)
	}
	if err := writeStatus(a.stdout, st); err != nil {
		return err
	}
	var nodes []asked
	for _, m := range st.GetMembers() {
		if m.GetUp() {
			nodes = append(nodes, asked{id: m.GetId(), up: true})
		}
	}
	if len(nodes) == 0 {
		return nil
	}
	slices.SortFunc(nodes, func(x, y asked) int { return cmp.Compare(x.id, y.id) })
	t := tally{a: a}
	var moving []client.Transfer
	fanOut(nodes, true, func(node string) (client.TransfersReport, error) {
		return s.Transfers(ctx, node)
	}, func(n asked, r client.TransfersReport, err error) {
		if t.ok(n, err) {
			moving = append(moving, r.Transfers...)
		}
	})
	if len(moving) > 0 {
		fmt.Fprintln(a.stdout, "\ntransfers in progress:")
		if err := writeTransferTable(a.stdout, moving); err != nil {
			return err
		}
	}
	return t.result()
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
	fmt.Fprintln(tw, "MEMBER\tZONE\tWEIGHT\tSTATE\tRING\tPHI\tLAST HEARD\tPRIMARY\tREPLICA\tOWNS")
	for _, m := range st.Members {
		state := "down"
		if m.Up {
			state = "up"
		}
		// A node that predates ring states reports neither a state nor
		// its ownership.
		owns := "-"
		if m.State != "" {
			owns = fmt.Sprintf("%.1f%%", 100*m.Ownership)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%.2f\t%s\t%d\t%d\t%s\n", m.Id, orDash(m.Zone), m.Weight, state,
			orDash(m.State), m.Phi, age(m.LastHeardMs), m.PrimaryPartitions, m.ReplicaPartitions, owns)
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
