package main

import (
	"context"
	"strings"

	"github.com/spf13/pflag"
)

// command describes one kvcli command: its arguments, its flags, its usage
// and the function that runs it.
type command struct {
	name             string // "put", "ns create"
	args             string // "KEY [VALUE]"
	minArgs, maxArgs int
	summary          string
	about            string
	// flags defines the command's own flags onto o; the global ones are
	// the root's.
	flags func(fs *pflag.FlagSet, o *options)
	// outputs says what each output format prints; the first is the
	// default.
	outputs []output
	// offline commands do not talk to the cluster.
	offline bool
	run     func(ctx context.Context, a *app, s store, inv *invocation) error
}

// output is what a command prints in one format.
type output struct {
	f    format
	what string
}

func (spec *command) defaultOutput() format {
	if len(spec.outputs) == 0 {
		return formatTable
	}
	return spec.outputs[0].f
}

// outputNote is the usage's paragraph on the output formats.
func (spec *command) outputNote() string {
	if len(spec.outputs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n\nOutput (-o; the first is the default; JSON shapes in docs/cli.md):")
	for _, o := range spec.outputs {
		b.WriteString("\n  " + string(o.f) + strings.Repeat(" ", 7-len(o.f)) + o.what)
	}
	return b.String()
}

// The flags, as each command defines them.
func fNamespace(fs *pflag.FlagSet, o *options) {
	fs.StringVar(&o.namespace, "namespace", "", "namespace `NS` of the key (default \"default\")")
}
func fR(fs *pflag.FlagSet, o *options) {
	fs.IntVar(&o.r, "r", 0, "read quorum: `N` replicas must answer (default: the namespace's R)")
}
func fW(fs *pflag.FlagSet, o *options) {
	fs.IntVar(&o.w, "w", 0, "write quorum: `N` replicas must acknowledge (default: the namespace's W)")
}
func fQuorum(fs *pflag.FlagSet, o *options) {
	fs.BoolVar(&o.strict, "strict", false, "count only the N home replicas toward R and W")
	fs.BoolVar(&o.sloppy, "sloppy", false, "let fallback replicas count toward R and W (the default)")
}
func fContext(fs *pflag.FlagSet, o *options) {
	fs.StringVar(&o.token, "context", "", "causal context `TOKEN` to send, instead of reading the key first")
	fs.BoolVar(&o.noContext, "no-context", false, "send no context: a blind write")
}

// fCoordinator is --node of a key command: which node coordinates it.
func fCoordinator(fs *pflag.FlagSet, o *options) {
	fs.StringVar(&o.node, "node", "", "have node `ID` coordinate the request (default: the node embedding the "+
		"NATS server kvcli is connected to, else any node)")
}

// fAskNode is --node of a command that asks every member.
func fAskNode(fs *pflag.FlagSet, o *options) {
	fs.StringVar(&o.node, "node", "", "ask only node `ID` (default: every member)")
}

// fAskUpNode is --node of a command that asks every member that is up.
func fAskUpNode(fs *pflag.FlagSet, o *options) {
	fs.StringVar(&o.node, "node", "", "ask only node `ID` (default: every member that is up)")
}

// flagsOf combines flag definitions.
func flagsOf(defs ...func(*pflag.FlagSet, *options)) func(*pflag.FlagSet, *options) {
	return func(fs *pflag.FlagSet, o *options) {
		for _, d := range defs {
			d(fs, o)
		}
	}
}

// askEveryNote tells how the maintenance commands find the nodes to ask
// and what a node that does not answer does to them.
const askEveryNote = "The members come from the status of the node kvcli is connected to. A node\n" +
	"that does not answer gets one line on stderr, the others are still asked,\n" +
	"and the exit status is 1."

var commands = []command{
	{
		name: "put", args: "KEY [VALUE]", minArgs: 1, maxArgs: 2,
		summary: "write VALUE (or stdin) under KEY",
		about: "Without VALUE, put reads the value from stdin. Without --context it first\n" +
			"reads KEY and sends back the context it saw, so the write replaces the\n" +
			"current value(s); with --no-context the write is blind and, in a siblings\n" +
			"namespace, sits beside a concurrent value. Put a KEY or VALUE that starts\n" +
			"with '-' after \"--\".",
		flags: flagsOf(fNamespace, fR, fW, fQuorum, fContext, func(fs *pflag.FlagSet, o *options) {
			fs.StringVar(&o.contentType, "content-type", "", "content `TYPE` stored with the value, e.g. application/json")
		}, fCoordinator),
		outputs: []output{{formatTable, "nothing"}, {formatJSON, `{"key", "namespace", "context"} of the version written`},
			{formatValue, "the context of the version written"}},
		run: runPut,
	},
	{
		name: "get", args: "KEY", minArgs: 1, maxArgs: 1,
		summary: "print the value of KEY",
		about: "Concurrent writes leave siblings: get prints each. Exit status 3 when the\n" +
			"key is not found (in JSON too, which then says \"found\": false).",
		flags: flagsOf(fNamespace, fR, fQuorum, fCoordinator),
		outputs: []output{{formatValue, "the value's bytes as stored; siblings separated by a newline, and\n" +
			"         \"N siblings\" on stderr"},
			{formatTable, "a row per sibling: its content type, size and value"},
			{formatJSON, `{"key", "namespace", "found", "values": [{"value": base64, "text",` + "\n" +
				`         "contentType", "bytes"}], "context"}`}},
		run: runGet,
	},
	{
		name: "delete", args: "KEY", minArgs: 1, maxArgs: 1,
		summary: "delete KEY",
		about: "Without --context, delete first reads KEY and deletes what it saw.\n" +
			"Deleting a missing key succeeds (exit status 0): delete is idempotent.",
		flags:   flagsOf(fNamespace, fR, fW, fQuorum, fContext, fCoordinator),
		outputs: []output{{formatTable, "nothing"}, {formatJSON, `{"key", "namespace", "deleted": true}`}, {formatValue, "nothing"}},
		run:     runDelete,
	},
	{
		name: "status", args: "", maxArgs: 0,
		summary: "show every member as the members see each other",
		about: "Asks every member (or only --node) for its status, all at once, each\n" +
			"bounded by --timeout, and prints one row per member: its address, zone,\n" +
			"weight, STATE in the ring (active; joining, while it receives the\n" +
			"partitions it is to own; leaving, while it hands its partitions on), UP\n" +
			"(whether it answered), its version, the records it stores and their size\n" +
			"on disk, OWNS (its share of the replicas reads use) and the partitions it\n" +
			"holds data of. Where the members disagree, the cell says who sees what:\n" +
			"\"active (n2: joining)\". A member that does not answer shows as such, and\n" +
			"the exit status is 1. Then come the namespaces some member finds\n" +
			"under-replicated and, while the membership changes, the partitions moving\n" +
			"to new owners (see 'kvcli help transfers').",
		flags: fAskNode,
		outputs: []output{{formatTable, "the members, under-replicated namespaces and transfers"},
			{formatJSON, `{"partitions", "members": [...], "namespaces": [...], "transfers": [...]}`},
			{formatValue, "the member ids, one a line"}},
		run: runStatus,
	},
	{
		name: "transfers", args: "", maxArgs: 0,
		summary: "show the partitions moving to new owners in a membership change",
		about: "When a node joins, is decommissioned or is removed, partitions move to\n" +
			"their new owners: each new owner copies them from an old one. transfers\n" +
			"asks every member (or only --node) and prints a row per partition a node\n" +
			"is receiving: from which node, the bytes copied of the partition's\n" +
			"estimated size, the rate and the time left while it streams, and its state\n" +
			"(waiting for a slot, streaming, verifying against the other old owners, or\n" +
			"stalled, with the reason; a stalled transfer is retried). Then per node:\n" +
			"its state; of the partitions it gains in the change under way, those it\n" +
			"has RECEIVED; of those it holds whose owners change (for a leaving node,\n" +
			"all), those HANDED OFF, which every new owner holds; and, since it\n" +
			"started, the bytes it received and sent and the partitions it received\n" +
			"in full.\n" +
			"\n" + askEveryNote + "\n" +
			"A member the status shows down is asked too, but its silence is no failure.",
		flags: fAskNode,
		outputs: []output{{formatTable, "the transfers, then each node's part"},
			{formatJSON, "one object per node and line"}, {formatValue, "the number of transfers under way"}},
		run: runTransfers,
	},
	{
		name: "hints", args: "", maxArgs: 0,
		summary: "show the hints nodes hold for members that were down",
		about: "A node that takes a write for a home replica that is down (a sloppy quorum)\n" +
			"keeps it as a hint and delivers it once that replica is back. hints asks\n" +
			"every member (or only --node) and prints a row per holder and target: the\n" +
			"hints, their size, the age of the oldest, and whether the holder sees the\n" +
			"target up (it delivers only then); then the totals, with the hints\n" +
			"delivered and dropped since each node started.\n" +
			"\n" + askEveryNote + "\n" +
			"A member the status shows down is asked too, but its silence is no failure.",
		flags: fAskNode,
		outputs: []output{{formatTable, "a row per holder and target, then the totals"},
			{formatJSON, "one object per node and line"}, {formatValue, "the number of hints held"}},
		run: runHints,
	},
	{
		name: "hints drain", args: "NODE", minArgs: 1, maxArgs: 1,
		summary: "have every holder deliver its hints for NODE now",
		about: "Asks each member that is up, other than NODE, to deliver the hints it\n" +
			"holds for NODE at once rather than at its next round, and prints per\n" +
			"holder how many it delivered and how many it still holds (NODE down\n" +
			"again, say). Holders are asked one at a time and each answers when it is\n" +
			"done: without --timeout, each may take up to 60s.\n" +
			"\n" + askEveryNote,
		flags: fAskUpNode,
		outputs: []output{{formatTable, "a line per holder, then the total"},
			{formatJSON, "one object per holder and line, as each answers"}, {formatValue, "the hints still held"}},
		run: runHintsDrain,
	},
	{
		name: "repair status", args: "", maxArgs: 0,
		summary: "show each node's anti-entropy (Merkle tree) state",
		about: "Each node keeps a Merkle tree per partition and namespace it holds and\n" +
			"compares it with the other home replicas' in the background. repair status\n" +
			"asks every member (or only --node) and prints a row per tree: how long ago\n" +
			"it was last compared, with which peer, the keys those exchanges repaired,\n" +
			"the age of the tree, the records it covers and the last exchange's error;\n" +
			"then each node's totals. Only trees that cover records, repaired keys or\n" +
			"failed are shown, unless --all.\n" +
			"\n" + askEveryNote + "\n" +
			"A member the status shows down is asked too, but its silence is no failure.",
		flags: flagsOf(func(fs *pflag.FlagSet, o *options) {
			fs.BoolVar(&o.all, "all", false, "show every tree, not only those with data")
		}, fAskNode),
		outputs: []output{{formatTable, "a row per tree, then each node's totals"},
			{formatJSON, "one object per node and line"}, {formatValue, "the keys repaired since the nodes started"}},
		run: runRepairStatus,
	},
	{
		name: "repair now", args: "", maxArgs: 0,
		summary: "run anti-entropy exchanges now",
		about: "Has each member that is up (or only --node) compare its trees of partition\n" +
			"P, or of every partition it holds, with each other home replica and repair\n" +
			"what differs, and prints per node the exchanges run and the keys repaired.\n" +
			"Nodes are asked one at a time and each answers when it is done: without\n" +
			"--timeout, each may take up to 60s.\n" +
			"\n" + askEveryNote,
		flags: flagsOf(func(fs *pflag.FlagSet, o *options) {
			fs.IntVar(&o.partition, "partition", 0, "only partition `P` (default: every partition)")
		}, fAskUpNode),
		outputs: []output{{formatTable, "a line per node, then the total"},
			{formatJSON, "one object per node and line, as each answers"}, {formatValue, "the keys repaired"}},
		run: runRepairNow,
	},
	{
		name: "node decommission", args: "ID", minArgs: 1, maxArgs: 1,
		summary: "have node ID hand its partitions on and leave the cluster",
		about: "Node ID hands each partition it holds to its next owner; once every one\n" +
			"has moved, it leaves the cluster and its process exits. It goes on serving\n" +
			"until then. The request returns at once; unless --no-wait, kvcli then\n" +
			"follows the departure, once a second, with a line on stderr such as\n" +
			"\"decommission n4: 37/64 partitions handed off, 1.2MiB moved\" (the bytes the\n" +
			"other members received meanwhile), and ends with \"ID has left the cluster\"\n" +
			"once ID has handed everything off and stopped answering, or is gone from\n" +
			"the member list. --timeout bounds each request, not the wait, which lasts\n" +
			"until the node is gone: interrupting it stops kvcli, not the departure.\n" +
			"\n" +
			"Refused while ID is joining, when ID is the last node, and, unless\n" +
			"--force, when it would leave fewer nodes than some namespace's N or\n" +
			"another node is leaving. --cancel stops a decommission under way and\n" +
			"prints the node's state.",
		flags: func(fs *pflag.FlagSet, o *options) {
			fs.BoolVar(&o.noWait, "no-wait", false, "return once the node is leaving, without following its progress")
			fs.BoolVar(&o.cancel, "cancel", false, "stop a decommission under way: the node stays and owns its partitions again")
			fs.BoolVar(&o.force, "force", false, "accept leaving fewer nodes than some namespace's N, or a second departure at once")
		},
		outputs: []output{{formatTable, "the outcome; progress lines on stderr"},
			{formatJSON, "one object per line: the request's answer, each change of progress, the outcome"},
			{formatValue, "the node's state at the end: left, leaving (--no-wait) or active (--cancel)"}},
		run: runDecommission,
	},
	{
		name: "node remove", args: "ID", minArgs: 1, maxArgs: 1,
		summary: "take node ID, gone for good, out of the ring",
		about: "For a node that is dead and will not come back. Its partitions move to\n" +
			"their new owners, which copy them from the other replicas; a removed\n" +
			"node is refused if it starts again on its old data dir. Any node takes\n" +
			"the request. Refused for a node that is up (decommission it instead)\n" +
			"and for a removal that leaves fewer nodes than some namespace's N,\n" +
			"unless --force. 'kvcli transfers' shows the copying.",
		flags: func(fs *pflag.FlagSet, o *options) {
			fs.BoolVar(&o.force, "force", false, "remove even a node that is up; accept fewer nodes than N, or a second departure")
		},
		outputs: []output{{formatTable, "one line"}, {formatJSON, `{"node", "removed": true}`}, {formatValue, "the node's id"}},
		run:     runRemove,
	},
	{
		name: "ns create", args: "NAME", minArgs: 1, maxArgs: 1,
		summary: "create a namespace",
		about: "N is fixed at creation; R and W are defaults each request may override.\n" +
			"Without --n, kvcli asks for N=3; without --r or --w, the node picks the\n" +
			"cluster's defaults (2 and 2, at most N).",
		flags: func(fs *pflag.FlagSet, o *options) {
			fs.IntVar(&o.n, "n", 0, "`N` replicas per key (default 3)")
			fs.IntVar(&o.r, "r", 0, "default read quorum `R` (default: the cluster's, 2, at most N)")
			fs.IntVar(&o.w, "w", 0, "default write quorum `W` (default: the cluster's, 2, at most N)")
			fs.StringVar(&o.mode, "mode", "", "conflict `MODE`: siblings or lww (default siblings)")
		},
		outputs: []output{{formatTable, "one line, and a warning on stderr if the cluster has fewer members than N"},
			{formatJSON, `{"name", "n", "r", "w", "mode", "warning"}`}, {formatValue, "the namespace's name"}},
		run: runNamespaceCreate,
	},
	{
		name: "ns list", args: "", maxArgs: 0,
		summary: "list the namespaces",
		outputs: []output{{formatTable, "a row per namespace"},
			{formatJSON, `{"namespaces": [{"name", "n", "r", "w", "mode", "created", "createdBy"}]}`},
			{formatValue, "the names, one a line"}},
		run: runNamespaceList,
	},
	{
		name: "version", args: "", maxArgs: 0,
		summary: "print kvcli's version",
		about:   "The same line as kvcli --version.",
		outputs: []output{{formatTable, "kvcli VERSION (commit COMMIT, GO)"},
			{formatJSON, `{"program", "version", "commit", "go"}`}, {formatValue, "the version alone"}},
		offline: true,
		run:     runVersion,
	},
}
