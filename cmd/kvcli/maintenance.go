package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/quorumkv/quorumkv/client"
)

// The maintenance commands ask nodes one by one: each node answers for
// itself only. Their JSON is written with encoding/json rather than
// protojson, so that counts are numbers (protojson writes 64-bit integers
// as strings) and field names stay fixed by kvcli, not by the wire.

// runHints prints the hints every member (or --node) holds.
func runHints(ctx context.Context, a *app, s store, inv *invocation) error {
	nodes, err := nodesToAsk(ctx, a, s, inv, false, "")
	if err != nil {
		return err
	}
	t := tally{a: a}
	var reports []client.HintsReport
	fanOut(nodes, true, func(node string) (client.HintsReport, error) {
		return s.Hints(ctx, node)
	}, func(n asked, r client.HintsReport, err error) {
		if t.ok(n, err) {
			r.Node = n.id
			reports = append(reports, r)
		}
	})
	now := a.clock()
	switch {
	case inv.out == formatJSON:
		for _, r := range reports {
			if err := writeLine(a.stdout, hintsLineOf(r, now)); err != nil {
				return err
			}
		}
	case inv.out == formatValue:
		var held uint64
		for _, r := range reports {
			for _, h := range r.Targets {
				held += h.Count
			}
		}
		if err := writeValue(a.stdout, held); err != nil {
			return err
		}
	case len(reports) > 0:
		// Nothing to total when no node answered: stderr says why.
		if err := writeHints(a.stdout, reports, now); err != nil {
			return err
		}
	}
	return t.result()
}

// runHintsDrain asks each holder that is up to deliver its hints for the
// target now, one holder at a time.
func runHintsDrain(ctx context.Context, a *app, s store, inv *invocation) error {
	target := inv.args[0]
	nodes, err := nodesToAsk(ctx, a, s, inv, true, target)
	if err != nil {
		return err
	}
	t := tally{a: a}
	var delivered, remaining uint64
	var werr error
	type drained struct{ delivered, remaining uint64 }
	fanOut(nodes, false, func(node string) (drained, error) {
		wctx, cancel := workContext(ctx, inv)
		defer cancel()
		d, r, err := s.DrainHints(wctx, node, target)
		return drained{d, r}, err
	}, func(n asked, d drained, err error) {
		if !t.ok(n, err) || werr != nil {
			return
		}
		delivered += d.delivered
		remaining += d.remaining
		switch inv.out {
		case formatValue:
		case formatJSON:
			werr = writeLine(a.stdout, drainLine{Node: n.id, Target: target, Delivered: d.delivered, Remaining: d.remaining})
		default:
			_, werr = fmt.Fprintf(a.stdout, "%s: delivered %d hints for %s, %d remaining\n", n.id, d.delivered, target, d.remaining)
		}
	})
	if werr != nil {
		return werr
	}
	switch {
	case inv.out == formatValue:
		if err := writeValue(a.stdout, remaining); err != nil {
			return err
		}
	case inv.out == formatTable && t.answered > 1:
		if _, err := fmt.Fprintf(a.stdout, "total: delivered %d hints for %s, %d remaining, from %d holders\n",
			delivered, target, remaining, t.answered); err != nil {
			return err
		}
	}
	return t.result()
}

// runRepairStatus prints the anti-entropy state of every member (or
// --node).
func runRepairStatus(ctx context.Context, a *app, s store, inv *invocation) error {
	nodes, err := nodesToAsk(ctx, a, s, inv, false, "")
	if err != nil {
		return err
	}
	t := tally{a: a}
	var reports []client.RepairReport
	fanOut(nodes, true, func(node string) (client.RepairReport, error) {
		return s.RepairStatus(ctx, node)
	}, func(n asked, r client.RepairReport, err error) {
		if t.ok(n, err) {
			r.Node = n.id
			slices.SortFunc(r.Partitions, func(x, y client.PartitionRepair) int {
				return cmp.Or(cmp.Compare(x.Partition, y.Partition), cmp.Compare(x.Namespace, y.Namespace))
			})
			reports = append(reports, r)
		}
	})
	now := a.clock()
	switch {
	case inv.out == formatJSON:
		for _, r := range reports {
			if err := writeLine(a.stdout, repairLineOf(r, inv.opts.all, now)); err != nil {
				return err
			}
		}
	case inv.out == formatValue:
		var keys uint64
		for _, r := range reports {
			keys += r.KeysRepaired
		}
		if err := writeValue(a.stdout, keys); err != nil {
			return err
		}
	case len(reports) > 0:
		if err := writeRepairStatus(a.stdout, reports, inv.opts.all, now); err != nil {
			return err
		}
	}
	return t.result()
}

// runRepairNow runs anti-entropy exchanges on each member that is up (or
// --node), one node at a time so that the cluster does one node's work at
// a time, and prints each node's result as it comes.
func runRepairNow(ctx context.Context, a *app, s store, inv *invocation) error {
	nodes, err := nodesToAsk(ctx, a, s, inv, true, "")
	if err != nil {
		return err
	}
	partition := -1
	if inv.set["partition"] {
		partition = inv.opts.partition
	}
	t := tally{a: a}
	var exchanges int
	var keys uint64
	var werr error
	type repaired struct {
		exchanges int
		keys      uint64
		took      time.Duration
	}
	fanOut(nodes, false, func(node string) (repaired, error) {
		wctx, cancel := workContext(ctx, inv)
		defer cancel()
		start := time.Now()
		n, k, err := s.RepairNow(wctx, node, partition)
		return repaired{n, k, time.Since(start)}, err
	}, func(n asked, r repaired, err error) {
		if !t.ok(n, err) || werr != nil {
			return
		}
		exchanges += r.exchanges
		keys += r.keys
		switch inv.out {
		case formatValue:
		case formatJSON:
			werr = writeLine(a.stdout, repairNowLine{Node: n.id, Exchanges: r.exchanges, KeysRepaired: r.keys,
				ElapsedMs: r.took.Milliseconds()})
		default:
			_, werr = fmt.Fprintf(a.stdout, "%s: %d exchanges, %d keys repaired in %s\n", n.id, r.exchanges, r.keys,
				age(r.took.Milliseconds()))
		}
	})
	if werr != nil {
		return werr
	}
	switch {
	case inv.out == formatValue:
		if err := writeValue(a.stdout, keys); err != nil {
			return err
		}
	case inv.out == formatTable && t.answered > 1:
		if _, err := fmt.Fprintf(a.stdout, "total: %d exchanges, %d keys repaired on %d nodes\n",
			exchanges, keys, t.answered); err != nil {
			return err
		}
	}
	return t.result()
}

// asked is one node a maintenance command asks, and whether the status
// it was found in showed it up.
type asked struct {
	id string
	up bool
}

// nodesToAsk returns the nodes a maintenance command asks: --node's alone;
// else the members in the status of the node kvcli is connected to, by
// id, but skip. With upOnly, the members that status shows down are left
// out, each with a line on stderr: the work those commands ask for cannot
// happen on a node that is down.
func nodesToAsk(ctx context.Context, a *app, s store, inv *invocation, upOnly bool, skip string) ([]asked, error) {
	if inv.opts.node != "" {
		return []asked{{id: inv.opts.node, up: true}}, nil
	}
	st, err := s.Status(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("cannot list the members: %w", explain(err))
	}
	var nodes []asked
	for _, m := range st.Members {
		switch {
		case m.ID == skip:
		case upOnly && !m.Up:
			fmt.Fprintf(a.stderr, "kvcli: %s: down, not asked\n", m.ID)
		default:
			nodes = append(nodes, asked{id: m.ID, up: m.Up})
		}
	}
	if len(nodes) == 0 {
		if skip != "" {
			return nil, fmt.Errorf("no member other than %s to ask in the status of %s", skip, orDash(st.Node))
		}
		return nil, fmt.Errorf("no member to ask in the status of %s", orDash(st.Node))
	}
	slices.SortFunc(nodes, func(x, y asked) int { return cmp.Compare(x.id, y.id) })
	return nodes, nil
}

// workContext bounds one node's drain or repair by --timeout when it is
// given; otherwise the SDK's longer wait for such work applies, since the
// 5s default suits a key operation, not a node's worth of work.
func workContext(ctx context.Context, inv *invocation) (context.Context, context.CancelFunc) {
	if inv.set["timeout"] {
		return context.WithTimeout(ctx, inv.opts.conn.timeout)
	}
	return ctx, func() {}
}

// fanOut calls call for each node, all at once when parallel, else one
// after the other, and hands each result to report in the order of nodes:
// one node after the other, report runs as soon as its node has answered.
func fanOut[T any](nodes []asked, parallel bool, call func(node string) (T, error), report func(asked, T, error)) {
	if !parallel {
		for _, n := range nodes {
			v, err := call(n.id)
			report(n, v, err)
		}
		return
	}
	type result struct {
		v   T
		err error
	}
	results := make([]result, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i].v, results[i].err = call(n.id)
		}()
	}
	wg.Wait()
	for i, n := range nodes {
		report(n, results[i].v, results[i].err)
	}
}

// tally counts the nodes that answered and reports, one line on stderr
// each, those that did not.
type tally struct {
	a        *app
	answered int
	// failed counts the nodes that did not answer although their status
	// showed them up. A member shown down failing is expected: it is
	// reported but fails the command only if no node answered at all.
	failed int
}

// ok reports whether node n answered, and prints err if it did not.
func (t *tally) ok(n asked, err error) bool {
	if err == nil {
		t.answered++
		return true
	}
	if n.up {
		t.failed++
		fmt.Fprintf(t.a.stderr, "kvcli: %s: %s\n", n.id, oneLine(err.Error()))
	} else {
		fmt.Fprintf(t.a.stderr, "kvcli: %s (down): %s\n", n.id, oneLine(err.Error()))
	}
	return false
}

// result is the command's outcome: exit status 1, without another line,
// when some node failed or none answered.
func (t *tally) result() error {
	if t.failed > 0 || t.answered == 0 {
		return exitStatus(exitError)
	}
	return nil
}

// writeHints prints one row per holder and target, then the totals.
func writeHints(w io.Writer, reports []client.HintsReport, now time.Time) error {
	var count, size, delivered, dropped uint64
	rows := 0
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range reports {
		delivered += r.Delivered
		dropped += r.Dropped
		targets := slices.Clone(r.Targets)
		slices.SortFunc(targets, func(x, y client.HintTarget) int { return cmp.Compare(x.Target, y.Target) })
		for _, h := range targets {
			if rows == 0 {
				fmt.Fprintln(tw, "HOLDER\tTARGET\tHINTS\tBYTES\tOLDEST\tTARGET UP")
			}
			rows++
			count += h.Count
			size += h.Bytes
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", r.Node, h.Target, h.Count, bytesText(h.Bytes),
				since(now, h.Oldest), yesNo(h.TargetUp))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if rows > 0 {
		fmt.Fprintln(w)
	}
	held := "no hints held"
	if rows > 0 {
		held = fmt.Sprintf("%d hints held (%s)", count, bytesText(size))
	}
	_, err := fmt.Fprintf(w, "%s answered: %s; %d delivered and %d dropped since they started\n",
		plural(len(reports), "node"), held, delivered, dropped)
	return err
}

// writeRepairStatus prints one row per tree with data (every tree with
// all), then each node's totals.
func writeRepairStatus(w io.Writer, reports []client.RepairReport, all bool, now time.Time) error {
	shown, hidden := 0, 0
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range reports {
		for _, p := range r.Partitions {
			if !all && !hasData(p) {
				hidden++
				continue
			}
			if shown == 0 {
				fmt.Fprintln(tw, "NODE\tPARTITION\tNAMESPACE\tLAST EXCHANGE\tPEER\tKEYS REPAIRED\tTREE AGE\tRECORDS\tLAST ERROR")
			}
			shown++
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d\t%s\t%d\t%s\n", r.Node, p.Partition, orDash(p.Namespace),
				since(now, p.LastExchange), orDash(p.LastPeer), p.KeysRepaired, since(now, p.TreeBuilt), p.Records,
				orDash(oneLine(p.LastError)))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if shown == 0 && hidden > 0 {
		fmt.Fprintln(w, "no tree covers records, has repaired keys or failed")
	}
	if shown > 0 || hidden > 0 {
		fmt.Fprintln(w)
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tEXCHANGES\tKEYS REPAIRED\tTOMBSTONES REAPED\tTREES")
	for _, r := range reports {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", r.Node, r.Exchanges, r.KeysRepaired, r.TombstonesReaped, len(r.Partitions))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if hidden > 0 {
		_, err := fmt.Fprintf(w, "\n%s without data not shown; --all shows them\n", plural(hidden, "tree"))
		return err
	}
	return nil
}

// hasData reports whether a tree is worth a row by default: it covers
// records, its exchanges repaired keys, or its last exchange failed.
func hasData(p client.PartitionRepair) bool {
	return p.Records > 0 || p.KeysRepaired > 0 || p.LastError != ""
}

// The JSON lines. Every field is always present; a time that is not known
// is null, as is its age.
type (
	hintsLine struct {
		Node      string       `json:"node"`
		Delivered uint64       `json:"delivered"`
		Dropped   uint64       `json:"dropped"`
		Targets   []targetLine `json:"targets"`
	}
	targetLine struct {
		Target      string  `json:"target"`
		Count       uint64  `json:"count"`
		Bytes       uint64  `json:"bytes"`
		Oldest      *string `json:"oldest"`
		OldestAgeMs *int64  `json:"oldestAgeMs"`
		TargetUp    bool    `json:"targetUp"`
	}
	drainLine struct {
		Node      string `json:"node"`
		Target    string `json:"target"`
		Delivered uint64 `json:"delivered"`
		Remaining uint64 `json:"remaining"`
	}
	repairLine struct {
		Node             string     `json:"node"`
		Exchanges        uint64     `json:"exchanges"`
		KeysRepaired     uint64     `json:"keysRepaired"`
		TombstonesReaped uint64     `json:"tombstonesReaped"`
		Trees            int        `json:"trees"`
		Partitions       []treeLine `json:"partitions"`
	}
	treeLine struct {
		Partition         int     `json:"partition"`
		Namespace         string  `json:"namespace"`
		LastExchange      *string `json:"lastExchange"`
		LastExchangeAgeMs *int64  `json:"lastExchangeAgeMs"`
		LastPeer          string  `json:"lastPeer"`
		KeysRepaired      uint64  `json:"keysRepaired"`
		TreeBuilt         *string `json:"treeBuilt"`
		TreeAgeMs         *int64  `json:"treeAgeMs"`
		Records           uint64  `json:"records"`
		LastError         string  `json:"lastError"`
	}
	repairNowLine struct {
		Node         string `json:"node"`
		Exchanges    int    `json:"exchanges"`
		KeysRepaired uint64 `json:"keysRepaired"`
		ElapsedMs    int64  `json:"elapsedMs"`
	}
)

func hintsLineOf(r client.HintsReport, now time.Time) hintsLine {
	l := hintsLine{Node: r.Node, Delivered: r.Delivered, Dropped: r.Dropped, Targets: []targetLine{}}
	for _, h := range r.Targets {
		at, ago := stamp(now, h.Oldest)
		l.Targets = append(l.Targets, targetLine{Target: h.Target, Count: h.Count, Bytes: h.Bytes,
			Oldest: at, OldestAgeMs: ago, TargetUp: h.TargetUp})
	}
	slices.SortFunc(l.Targets, func(x, y targetLine) int { return cmp.Compare(x.Target, y.Target) })
	return l
}

func repairLineOf(r client.RepairReport, all bool, now time.Time) repairLine {
	l := repairLine{Node: r.Node, Exchanges: r.Exchanges, KeysRepaired: r.KeysRepaired,
		TombstonesReaped: r.TombstonesReaped, Trees: len(r.Partitions), Partitions: []treeLine{}}
	for _, p := range r.Partitions {
		if !all && !hasData(p) {
			continue
		}
		exchanged, exchangedAgo := stamp(now, p.LastExchange)
		built, builtAgo := stamp(now, p.TreeBuilt)
		l.Partitions = append(l.Partitions, treeLine{Partition: p.Partition, Namespace: p.Namespace,
			LastExchange: exchanged, LastExchangeAgeMs: exchangedAgo, LastPeer: p.LastPeer,
			KeysRepaired: p.KeysRepaired, TreeBuilt: built, TreeAgeMs: builtAgo, Records: p.Records,
			LastError: p.LastError})
	}
	return l
}

// stamp is t in RFC 3339 (UTC) and its age at now in milliseconds, both
// nil for the zero time.
func stamp(now, t time.Time) (*string, *int64) {
	if t.IsZero() {
		return nil, nil
	}
	at := t.UTC().Format(time.RFC3339Nano)
	ago := max(now.Sub(t), 0).Milliseconds()
	return &at, &ago
}

// since is the age of t at now, as age prints it; "-" for the zero time.
// A t after now (the node's clock ahead of this machine's) is 0s old.
func since(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return age(max(now.Sub(t), 0).Milliseconds())
}

// bytesText is a size in bytes, in binary units past 1 KiB: 100B, 3.4KiB.
func bytesText(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f%ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// plural is "1 node", "2 nodes".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
