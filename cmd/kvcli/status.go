package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/quorumkv/quorumkv/client"
)

// clusterStatus is what status gathered: each answering node's view, and
// why each member asked did not answer.
type clusterStatus struct {
	views  map[string]*nodeStatus
	failed map[string]error
	// ids are the members any view lists, and those asked, sorted.
	ids []string
}

// runStatus asks every member (or --node) for its status, all at once,
// and prints the members as they see each other, then the transfers the
// members that answered report.
func runStatus(ctx context.Context, a *app, s store, inv *invocation) error {
	cs, err := gatherStatus(ctx, s, inv.opts.node)
	if err != nil {
		return err
	}
	t := tally{a: a}
	for _, id := range cs.ids {
		if err, ok := cs.failed[id]; ok {
			t.ok(asked{id: id, up: true}, err)
		}
	}
	var moving []client.Transfer
	if inv.out != formatValue {
		moving = transfersUnderWay(ctx, a, s, cs, &t)
	}
	switch inv.out {
	case formatJSON:
		err = writeLine(a.stdout, statusViewOf(cs, moving))
	case formatValue:
		for _, id := range cs.ids {
			if err = writeValue(a.stdout, id); err != nil {
				break
			}
		}
	default:
		err = writeStatus(a.stdout, cs, moving)
	}
	if err != nil {
		return err
	}
	if t.failed > 0 {
		return exitStatus(exitError)
	}
	return nil
}

// transfersUnderWay asks the members that answered for the transfers
// they take part in.
func transfersUnderWay(ctx context.Context, a *app, s store, cs *clusterStatus, t *tally) []client.Transfer {
	var nodes []asked
	for _, id := range cs.ids {
		if cs.views[id] != nil {
			nodes = append(nodes, asked{id: id, up: true})
		}
	}
	var moving []client.Transfer
	denied := false
	fanOut(nodes, true, func(node string) (client.TransfersReport, error) {
		return s.Transfers(ctx, node)
	}, func(n asked, r client.TransfersReport, err error) {
		// A user who may not use the admin subjects still gets the
		// status, without the transfers.
		if errors.Is(err, client.ErrPermissionDenied) {
			if !denied {
				fmt.Fprintf(a.stderr, "kvcli: transfers not shown: %s\n", oneLine(explain(err).Error()))
			}
			denied = true
			return
		}
		if t.ok(n, err) {
			moving = append(moving, r.Transfers...)
		}
	})
	return moving
}

// gatherStatus asks node alone, or the connected node for the members and
// then every other member, all at once.
func gatherStatus(ctx context.Context, s store, node string) (*clusterStatus, error) {
	cs := &clusterStatus{views: map[string]*nodeStatus{}, failed: map[string]error{}}
	first, err := s.Status(ctx, node)
	if err != nil {
		if node != "" {
			return nil, fmt.Errorf("%s: %w", node, explain(err))
		}
		return nil, fmt.Errorf("cannot list the members: %w", explain(err))
	}
	cs.views[cmp.Or(node, first.Node)] = first
	ids := map[string]bool{cmp.Or(node, first.Node): true}
	var others []asked
	for _, m := range first.Members {
		if !ids[m.ID] {
			ids[m.ID] = true
			if node == "" {
				others = append(others, asked{id: m.ID, up: true})
			}
		}
	}
	fanOut(others, true, func(id string) (*nodeStatus, error) {
		return s.Status(ctx, id)
	}, func(n asked, st *nodeStatus, err error) {
		if err != nil {
			cs.failed[n.id] = err
			return
		}
		cs.views[n.id] = st
		for _, m := range st.Members {
			ids[m.ID] = true
		}
	})
	for id := range ids {
		cs.ids = append(cs.ids, id)
	}
	slices.Sort(cs.ids)
	return cs, nil
}

// seen is one member as one node sees it.
type seen struct {
	by string
	m  memberStatus
}

// sightings are the views of member id, its own first if it answered,
// then by viewer.
func (cs *clusterStatus) sightings(id string) []seen {
	var out []seen
	for _, by := range cs.ids {
		v := cs.views[by]
		if v == nil {
			continue
		}
		for _, m := range v.Members {
			if m.ID == id {
				out = append(out, seen{by: by, m: m})
			}
		}
	}
	slices.SortStableFunc(out, func(x, y seen) int {
		switch {
		case x.by == id:
			return -1
		case y.by == id:
			return 1
		}
		return 0
	})
	return out
}

// agreed is the value of a member's field the views agree on: its own
// view's where it answered, else the most common; then the viewers that
// see something else, as "(n2: joining, n3: leaving)".
func agreed(views []seen, of func(memberStatus) string, own string, hasOwn bool) (string, string) {
	base := own
	if !hasOwn {
		count := map[string]int{}
		for _, v := range views {
			count[of(v.m)]++
		}
		for _, v := range views {
			if base == "" || count[of(v.m)] > count[base] {
				base = of(v.m)
			}
		}
	}
	var differ []string
	for _, v := range views {
		if of(v.m) != base && v.by != v.m.ID {
			differ = append(differ, v.by+": "+orDash(of(v.m)))
		}
	}
	if len(differ) == 0 {
		return base, ""
	}
	return base, "(" + strings.Join(differ, ", ") + ")"
}

// memberRow is one member's row, for the table and JSON alike.
type memberRow struct {
	id, addr, zone string
	weight         int
	state, stateOf string // the agreed state, and who sees another
	up             string // up, down or no answer
	upOf           string
	ownership      float64
	hasOwnership   bool
	self           *nodeStatus // the member's own answer, nil if none
	failed         error
	views          []seen
}

func (cs *clusterStatus) row(id string) memberRow {
	r := memberRow{id: id, self: cs.views[id], failed: cs.failed[id], views: cs.sightings(id)}
	// The member's own view of itself comes first, if it answered.
	var own memberStatus
	if len(r.views) > 0 {
		own = r.views[0].m
		r.zone, r.weight = own.Zone, own.Weight
	}
	for _, v := range r.views {
		r.addr = cmp.Or(r.addr, v.m.Addr)
	}
	r.state, r.stateOf = agreed(r.views, func(m memberStatus) string { return m.State }, own.State, r.self != nil)
	r.ownership, r.hasOwnership = own.Ownership, own.State != ""
	upOf := func(m memberStatus) string {
		if m.Up {
			return "up"
		}
		return "down"
	}
	switch {
	case r.self != nil:
		r.up, r.upOf = agreed(r.views, upOf, "up", true)
	case r.failed != nil:
		_, r.upOf = agreed(r.views, upOf, "down", true)
		r.up = "no answer"
	default:
		r.up, r.upOf = agreed(r.views, upOf, "", false)
	}
	return r
}

// writeStatus prints the members table, the under-replicated namespaces
// and the transfers under way.
func writeStatus(w io.Writer, cs *clusterStatus, moving []client.Transfer) error {
	answered := 0
	partitions := 0
	for _, v := range cs.views {
		answered++
		partitions = max(partitions, v.Partitions)
	}
	fmt.Fprintf(w, "%d of %d members answered; %d partitions\n\n", answered, len(cs.ids), partitions)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MEMBER\tADDRESS\tZONE\tWEIGHT\tSTATE\tUP\tVERSION\tRECORDS\tDISK\tOWNS\tPARTITIONS")
	for _, id := range cs.ids {
		r := cs.row(id)
		version, records, disk, held := "-", "-", "-", "-"
		if r.self != nil {
			version = orDash(r.self.Version)
			records = fmt.Sprint(r.self.Records)
			disk = bytesText(r.self.DiskBytes)
			held = fmt.Sprint(r.self.PartitionsHeld)
		}
		owns := "-"
		if r.hasOwnership {
			owns = fmt.Sprintf("%.1f%%", 100*r.ownership)
		}
		weight := "-"
		if r.weight > 0 {
			weight = fmt.Sprint(r.weight)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", id, orDash(r.addr), orDash(r.zone), weight,
			joinNote(orDash(r.state), r.stateOf), joinNote(r.up, r.upOf), version, records, disk, owns, held)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	under := cs.underReplicated()
	if len(under) == 0 {
		fmt.Fprintln(w, "\nno namespace is under-replicated")
	} else {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "UNDER-REPLICATED\tN\tNOTE")
		for _, ns := range under {
			fmt.Fprintf(tw, "%s\t%d\t%s\n", ns.Namespace.Name, ns.Namespace.N, orDash(oneLine(ns.Note)))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(moving) > 0 {
		fmt.Fprintln(w, "\ntransfers in progress:")
		return writeTransferTable(w, moving)
	}
	return nil
}

func joinNote(s, note string) string {
	if note == "" {
		return s
	}
	return s + " " + note
}

// underReplicated are the namespaces some view finds under-replicated,
// by name.
func (cs *clusterStatus) underReplicated() []namespaceStatus {
	byName := map[string]namespaceStatus{}
	for _, id := range cs.ids {
		if v := cs.views[id]; v != nil {
			for _, ns := range v.Namespaces {
				if _, ok := byName[ns.Namespace.Name]; ns.UnderReplicated && !ok {
					byName[ns.Namespace.Name] = ns
				}
			}
		}
	}
	out := make([]namespaceStatus, 0, len(byName))
	for _, ns := range byName {
		out = append(out, ns)
	}
	slices.SortFunc(out, func(x, y namespaceStatus) int { return cmp.Compare(x.Namespace.Name, y.Namespace.Name) })
	return out
}

// The JSON of status.
type (
	statusView struct {
		Partitions int             `json:"partitions"`
		Members    []memberView    `json:"members"`
		Namespaces []namespaceNote `json:"underReplicated"`
		Transfers  []transferLine  `json:"transfers"`
	}
	memberView struct {
		ID        string  `json:"id"`
		Address   string  `json:"address"`
		Zone      string  `json:"zone"`
		Weight    int     `json:"weight"`
		State     string  `json:"state"`
		Answered  bool    `json:"answered"`
		Error     string  `json:"error"`
		Ownership float64 `json:"ownership"`
		// What the member says of itself; null when it did not answer.
		Version        *string `json:"version"`
		Commit         *string `json:"commit"`
		Records        *uint64 `json:"records"`
		DiskBytes      *uint64 `json:"diskBytes"`
		PartitionsHeld *int    `json:"partitionsHeld"`
		// How each node that answered sees the member.
		Views []sightingView `json:"views"`
	}
	sightingView struct {
		By                string  `json:"by"`
		State             string  `json:"state"`
		Up                bool    `json:"up"`
		Phi               float64 `json:"phi"`
		LastHeardMs       *int64  `json:"lastHeardMs"`
		PrimaryPartitions int     `json:"primaryPartitions"`
		ReplicaPartitions int     `json:"replicaPartitions"`
		Ownership         float64 `json:"ownership"`
	}
	namespaceNote struct {
		Name string `json:"name"`
		N    int    `json:"n"`
		Note string `json:"note"`
	}
)

func statusViewOf(cs *clusterStatus, moving []client.Transfer) statusView {
	v := statusView{Members: []memberView{}, Namespaces: []namespaceNote{}, Transfers: transferLines(moving)}
	for _, st := range cs.views {
		v.Partitions = max(v.Partitions, st.Partitions)
	}
	for _, id := range cs.ids {
		r := cs.row(id)
		m := memberView{ID: id, Address: r.addr, Zone: r.zone, Weight: r.weight, State: r.state,
			Answered: r.self != nil, Ownership: r.ownership, Views: []sightingView{}}
		if r.failed != nil {
			m.Error = oneLine(r.failed.Error())
		}
		if st := r.self; st != nil {
			m.Version, m.Commit, m.Records, m.DiskBytes, m.PartitionsHeld =
				&st.Version, &st.Commit, &st.Records, &st.DiskBytes, &st.PartitionsHeld
		}
		for _, s := range r.views {
			var heard *int64
			if s.m.LastHeard >= 0 {
				ms := s.m.LastHeard.Milliseconds()
				heard = &ms
			}
			m.Views = append(m.Views, sightingView{By: s.by, State: s.m.State, Up: s.m.Up, Phi: s.m.Phi,
				LastHeardMs: heard, PrimaryPartitions: s.m.Primary, ReplicaPartitions: s.m.Replica,
				Ownership: s.m.Ownership})
		}
		v.Members = append(v.Members, m)
	}
	for _, ns := range cs.underReplicated() {
		v.Namespaces = append(v.Namespaces, namespaceNote{Name: ns.Namespace.Name, N: ns.Namespace.N, Note: ns.Note})
	}
	return v
}

// age formats a duration in milliseconds: 800ms, 1.2s, 31s, 2m5s.
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
