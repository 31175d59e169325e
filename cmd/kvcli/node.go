package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/quorumkv/quorumkv/client"
)

// The commands of a membership change: a node's departure, a dead node's
// removal, and the transfers of partitions to their new owners that
// either causes (and a join too).

// runRemove takes a dead node out of the ring.
func runRemove(ctx context.Context, a *app, s store, inv *invocation) error {
	id := inv.args[0]
	if err := s.Remove(ctx, id, inv.opts.force); err != nil {
		return fmt.Errorf("remove %s: %w", id, explain(err))
	}
	switch inv.out {
	case formatJSON:
		return writeLine(a.stdout, removeView{Node: id, Removed: true})
	case formatValue:
		return writeValue(a.stdout, id)
	}
	_, err := fmt.Fprintf(a.stdout, "removed %s; its partitions are being re-replicated from the other replicas\n", id)
	return err
}

// The JSON of the node commands.
type (
	removeView struct {
		Node    string `json:"node"`
		Removed bool   `json:"removed"`
	}
	// departureLine is one line of node decommission -o json: the node's
	// state after the request, then its progress, then, with left true,
	// the end.
	departureLine struct {
		Node                string `json:"node"`
		State               string `json:"state"`
		PartitionsHandedOff int    `json:"partitionsHandedOff"`
		PartitionsToHandOff int    `json:"partitionsToHandOff"`
		BytesMoved          uint64 `json:"bytesMoved"`
		StalledTransfers    int    `json:"stalledTransfers"`
		Left                bool   `json:"left"`
	}
)

// runDecommission starts (or cancels) a node's departure and, unless
// --no-wait, follows it until the node has left.
func runDecommission(ctx context.Context, a *app, s store, inv *invocation) error {
	id := inv.args[0]
	o := client.DecommissionOptions{Cancel: inv.opts.cancel, Force: inv.opts.force}
	follow := !o.Cancel && !inv.opts.noWait
	d := &departure{a: a, s: s, id: id, out: inv.out, received: map[string]uint64{}, warned: map[string]bool{}}
	if follow {
		// What the other members received before does not count as moved.
		d.look(ctx, false)
	}
	state, err := s.Decommission(ctx, id, o)
	if err != nil {
		return fmt.Errorf("decommission %s: %w", id, explain(err))
	}
	switch {
	case inv.out == formatJSON:
		err = writeLine(a.stdout, departureLine{Node: id, State: state})
	case inv.out == formatValue && !follow:
		err = writeValue(a.stdout, state)
	case o.Cancel:
		_, err = fmt.Fprintf(a.stdout, "%s is %s\n", id, state)
	case !follow:
		_, err = fmt.Fprintf(a.stdout, "%s is %s: it hands its partitions on, then leaves the cluster; "+
			"'kvcli transfers' shows the progress\n", id, state)
	default:
		fmt.Fprintf(a.stderr, "decommission %s: %s, handing its partitions on\n", id, state)
	}
	if err != nil || !follow {
		return err
	}
	return d.follow(ctx)
}

// departure follows one node's decommission.
type departure struct {
	a   *app
	s   store
	id  string
	out format

	// last is the last report of the leaving node, nil before the first;
	// silent is why the node did not answer the last look, nil if it did.
	last   *client.TransfersReport
	silent error
	// total is the most partitions to hand off a report has shown: a node
	// that has left reports none left to hand off.
	total int
	// received is each other member's bytes received as of the last look
	// that it answered, and moved the sum of what they received since.
	received map[string]uint64
	moved    uint64
	stalled  int

	// line is the last progress line printed, rounds the looks since, and
	// warned the troubles reported on stderr and not over yet.
	line   string
	rounds int
	warned map[string]bool
}

// progressEvery is how many looks may go by without a progress line when
// nothing changes.
const progressEvery = 10

// follow looks at the departure every pollEvery, printing progress lines
// on stderr, until the node is gone: absent from the member list, or
// silent after a report that showed everything handed off. Each request
// has --timeout (the client's default); the wait has no bound but ctx.
func (d *departure) follow(ctx context.Context) error {
	every := d.a.pollEvery
	if every <= 0 {
		every = time.Second
	}
	for {
		gone := d.look(ctx, true)
		if ctx.Err() != nil {
			return d.interrupted()
		}
		if d.silent == nil && d.last.State == "active" {
			return fmt.Errorf("%s is active again: its decommission was cancelled", d.id)
		}
		done := gone || d.silent != nil && d.handedOff()
		d.progress(done)
		if done {
			return d.left()
		}
		if d.silent != nil {
			d.warn("silent", "%s does not answer (%s); waiting until it is gone from the member list",
				d.id, oneLine(d.silent.Error()))
		} else {
			delete(d.warned, "silent")
		}
		select {
		case <-ctx.Done():
			return d.interrupted()
		case <-time.After(every):
		}
	}
}

// left reports the end of the departure.
func (d *departure) left() error {
	switch d.out {
	case formatJSON:
		l := d.line0()
		l.State, l.Left, l.PartitionsHandedOff, l.PartitionsToHandOff = "left", true, d.total, d.total
		return writeLine(d.a.stdout, l)
	case formatValue:
		return writeValue(d.a.stdout, "left")
	}
	_, err := fmt.Fprintf(d.a.stdout, "%s has left the cluster\n", d.id)
	return err
}

// line0 is the JSON line of the departure as the last look saw it.
func (d *departure) line0() departureLine {
	l := departureLine{Node: d.id, BytesMoved: d.moved, StalledTransfers: d.stalled}
	switch r := d.last; {
	case r == nil:
	case r.State == "left":
		l.State, l.PartitionsHandedOff, l.PartitionsToHandOff = r.State, d.total, d.total
	default:
		l.State, l.PartitionsHandedOff, l.PartitionsToHandOff = r.State, r.PartitionsHandedOff, r.PartitionsToHandOff
	}
	return l
}

func (d *departure) interrupted() error {
	fmt.Fprintf(d.a.stderr, "kvcli: stopped waiting: %s goes on leaving ('kvcli node decommission %s --cancel' stops it)\n",
		d.id, d.id)
	return exitStatus(exitError)
}

// look asks the member list, then, all at once, the leaving node (with
// self) and every other member that is up for their transfers. It reports
// whether the leaving node is gone from the member list.
func (d *departure) look(ctx context.Context, self bool) (gone bool) {
	var nodes []asked
	if self {
		nodes = append(nodes, asked{id: d.id, up: true})
	}
	st, err := d.s.Status(ctx, "")
	if err == nil {
		delete(d.warned, "status")
		gone = true
		for _, m := range st.Members {
			switch {
			case m.ID == d.id:
				gone = false
			case m.Up:
				nodes = append(nodes, asked{id: m.ID, up: true})
			}
		}
	} else if self && ctx.Err() == nil {
		d.warn("status", "list the members: %s", oneLine(err.Error()))
	}
	d.stalled = 0
	fanOut(nodes, true, func(node string) (client.TransfersReport, error) {
		return d.s.Transfers(ctx, node)
	}, func(n asked, r client.TransfersReport, err error) {
		if n.id == d.id {
			d.silent = err
			if err == nil {
				d.last = &r
				d.total = max(d.total, r.PartitionsToHandOff)
			}
			return
		}
		if err != nil {
			return // the bytes moved are a best effort
		}
		if prev, ok := d.received[n.id]; ok {
			if r.BytesReceived >= prev {
				d.moved += r.BytesReceived - prev
			} else {
				d.moved += r.BytesReceived // it restarted
			}
		}
		d.received[n.id] = r.BytesReceived
		for _, t := range r.Transfers {
			if t.State == "stalled" {
				d.stalled++
			}
		}
	})
	return gone
}

// handedOff reports whether the last report of the leaving node showed
// every partition handed off.
func (d *departure) handedOff() bool {
	r := d.last
	return r != nil && (r.State == "left" || r.State == "leaving" && r.PartitionsHandedOff >= r.PartitionsToHandOff)
}

// progress prints a progress line when it differs from the last one, or
// when none was printed for a while, or (with final) to end on the latest.
func (d *departure) progress(final bool) {
	var b strings.Builder
	fmt.Fprintf(&b, "decommission %s: ", d.id)
	switch r := d.last; {
	case r == nil:
		fmt.Fprintf(&b, "no report from %s yet", d.id)
	case r.State == "left":
		fmt.Fprintf(&b, "%d/%d partitions handed off", d.total, d.total)
	default:
		fmt.Fprintf(&b, "%d/%d partitions handed off", r.PartitionsHandedOff, r.PartitionsToHandOff)
	}
	fmt.Fprintf(&b, ", %s moved", bytesText(d.moved))
	if d.stalled > 0 {
		fmt.Fprintf(&b, ", %s stalled", plural(d.stalled, "transfer"))
	}
	line := b.String()
	d.rounds++
	if line == d.line && (final || d.rounds < progressEvery) {
		return
	}
	d.line, d.rounds = line, 0
	if d.out == formatJSON {
		_ = writeLine(d.a.stdout, d.line0())
		return
	}
	fmt.Fprintln(d.a.stderr, line)
}

// warn prints a trouble on stderr once, until it is over (the caller then
// deletes key from warned).
func (d *departure) warn(key, format string, args ...any) {
	if d.warned[key] {
		return
	}
	d.warned[key] = true
	fmt.Fprintf(d.a.stderr, "kvcli: "+format+"\n", args...)
}

// runTransfers prints the transfers every member (or --node) takes part in.
func runTransfers(ctx context.Context, a *app, s store, inv *invocation) error {
	nodes, err := nodesToAsk(ctx, a, s, inv, false, "")
	if err != nil {
		return err
	}
	t := tally{a: a}
	var reports []client.TransfersReport
	fanOut(nodes, true, func(node string) (client.TransfersReport, error) {
		return s.Transfers(ctx, node)
	}, func(n asked, r client.TransfersReport, err error) {
		if t.ok(n, err) {
			r.Node = n.id
			reports = append(reports, r)
		}
	})
	switch {
	case inv.out == formatJSON:
		for _, r := range reports {
			if err := writeLine(a.stdout, transfersLineOf(r)); err != nil {
				return err
			}
		}
	case inv.out == formatValue:
		n := 0
		for _, r := range reports {
			n += len(r.Transfers)
		}
		if err := writeValue(a.stdout, n); err != nil {
			return err
		}
	case len(reports) > 0:
		if err := writeTransfers(a.stdout, reports); err != nil {
			return err
		}
	}
	return t.result()
}

// writeTransfers prints the transfers under way, then each node's part.
func writeTransfers(w io.Writer, reports []client.TransfersReport) error {
	var moving []client.Transfer
	for _, r := range reports {
		moving = append(moving, r.Transfers...)
	}
	if len(moving) == 0 {
		fmt.Fprintln(w, "no transfer in progress")
	} else if err := writeTransferTable(w, moving); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tSTATE\tRECEIVED\tHANDED OFF\tBYTES IN\tBYTES OUT\tCOMPLETED")
	for _, r := range reports {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", r.Node, orDash(r.State),
			ofTotal(r.PartitionsReceived, r.PartitionsGained), ofTotal(r.PartitionsHandedOff, r.PartitionsToHandOff),
			bytesText(r.BytesReceived), bytesText(r.BytesSent), r.PartitionsCompleted)
	}
	return tw.Flush()
}

// writeTransferTable prints one row per transfer, by partition and
// receiver.
func writeTransferTable(w io.Writer, moving []client.Transfer) error {
	moving = slices.Clone(moving)
	slices.SortFunc(moving, func(x, y client.Transfer) int {
		return cmp.Or(cmp.Compare(x.Partition, y.Partition), cmp.Compare(x.To, y.To))
	})
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PARTITION\tFROM\tTO\tDONE/TOTAL\tRATE\tETA\tSTATE\tREASON")
	for _, t := range moving {
		total := "?"
		if t.BytesTotal > 0 {
			total = bytesText(t.BytesTotal)
		}
		rate := "-"
		if t.BytesPerSecond >= 1 {
			rate = bytesText(uint64(t.BytesPerSecond)) + "/s"
		}
		eta := "-"
		if t.ETA >= 0 {
			eta = age(t.ETA.Milliseconds())
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s/%s\t%s\t%s\t%s\t%s\n", t.Partition, orDash(t.From), orDash(t.To),
			bytesText(t.BytesDone), total, rate, eta, orDash(t.State), orDash(oneLine(t.Reason)))
	}
	return tw.Flush()
}

// ofTotal is "3/10", or "-" when there is nothing to count.
func ofTotal(done, total int) string {
	if total == 0 {
		return "-"
	}
	return fmt.Sprintf("%d/%d", done, total)
}

// The JSON lines of transfers. Every field is always present; an ETA that
// is not known is null.
type (
	transfersLine struct {
		Node                string         `json:"node"`
		State               string         `json:"state"`
		PartitionsGained    int            `json:"partitionsGained"`
		PartitionsReceived  int            `json:"partitionsReceived"`
		PartitionsToHandOff int            `json:"partitionsToHandOff"`
		PartitionsHandedOff int            `json:"partitionsHandedOff"`
		BytesReceived       uint64         `json:"bytesReceived"`
		BytesSent           uint64         `json:"bytesSent"`
		PartitionsCompleted uint64         `json:"partitionsCompleted"`
		Transfers           []transferLine `json:"transfers"`
	}
	transferLine struct {
		Partition      int     `json:"partition"`
		From           string  `json:"from"`
		To             string  `json:"to"`
		BytesDone      uint64  `json:"bytesDone"`
		BytesTotal     uint64  `json:"bytesTotal"`
		Records        uint64  `json:"records"`
		BytesPerSecond float64 `json:"bytesPerSecond"`
		EtaMs          *int64  `json:"etaMs"`
		State          string  `json:"state"`
		Reason         string  `json:"reason"`
	}
)

func transfersLineOf(r client.TransfersReport) transfersLine {
	l := transfersLine{Node: r.Node, State: r.State, PartitionsGained: r.PartitionsGained,
		PartitionsReceived: r.PartitionsReceived, PartitionsToHandOff: r.PartitionsToHandOff,
		PartitionsHandedOff: r.PartitionsHandedOff, BytesReceived: r.BytesReceived, BytesSent: r.BytesSent,
		PartitionsCompleted: r.PartitionsCompleted, Transfers: transferLines(r.Transfers)}
	return l
}

// transferLines are the JSON of transfers, by partition and receiver.
func transferLines(moving []client.Transfer) []transferLine {
	lines := []transferLine{}
	for _, t := range moving {
		var eta *int64
		if t.ETA >= 0 {
			ms := t.ETA.Milliseconds()
			eta = &ms
		}
		lines = append(lines, transferLine{Partition: t.Partition, From: t.From, To: t.To,
			BytesDone: t.BytesDone, BytesTotal: t.BytesTotal, Records: t.Records, BytesPerSecond: t.BytesPerSecond,
			EtaMs: eta, State: t.State, Reason: t.Reason})
	}
	slices.SortFunc(lines, func(x, y transferLine) int {
		return cmp.Or(cmp.Compare(x.Partition, y.Partition), cmp.Compare(x.To, y.To))
	})
	return lines
}
