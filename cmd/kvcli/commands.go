package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
)

// command describes one kvcli command: its arguments, its usage and the
// function that runs it.
type command struct {
	name             string // "put", "ns create"
	args             string // "KEY [VALUE]"
	minArgs, maxArgs int
	summary          string
	about            string
	flags            []flagDoc
	// unused names the global flags the command has no use for: its usage
	// leaves them out.
	unused []string
	run    func(ctx context.Context, a *app, s store, inv *invocation) error
}

// flagDoc is one line of a usage text.
type flagDoc struct{ name, arg, help string }

// The flags as each command describes them.
var (
	fServer    = flagDoc{"server", "URL", "NATS URL of the cluster (default $" + serverEnv + ", else " + defaultServer + ")"}
	fTimeout   = flagDoc{"timeout", "DURATION", "timeout of each request, e.g. 500ms (default 5s)"}
	fNamespace = flagDoc{"namespace", "NS", `namespace (default "default")`}
	fR         = flagDoc{"r", "N", "read quorum (default: the namespace's R)"}
	fW         = flagDoc{"w", "N", "write quorum (default: the namespace's W)"}
	fStrict    = flagDoc{"strict", "", "count only the N home replicas toward R and W"}
	fSloppy    = flagDoc{"sloppy", "", "let fallback replicas count toward R and W (the default)"}
	fContext   = flagDoc{"context", "TOKEN", "causal context to send, instead of reading the key first"}
	fNoContext = flagDoc{"no-context", "", "send no context: a blind write"}
	fJSON      = flagDoc{"json", "", "print protojson"}
)

var fNode = flagDoc{"node", "ID", "have node ID coordinate the request (default: any node)"}

// The flags of the maintenance commands, which ask nodes one by one
// rather than have one coordinate.
var (
	fAskNode   = flagDoc{"node", "ID", "ask only node ID (default: every member)"}
	fAskUpNode = flagDoc{"node", "ID", "ask only node ID (default: every member that is up)"}
	fLineJSON  = flagDoc{"json", "", "print one JSON object per node and line"}
	fAll       = flagDoc{"all", "", "show every tree, not only those with data"}
	fPart      = flagDoc{"partition", "P", "only partition P (default: every partition)"}
)

// The flags of the node commands.
var (
	fNoWait = flagDoc{"no-wait", "", "return once the node is leaving, without following its progress"}
	fCancel = flagDoc{"cancel", "", "stop a decommission under way: the node stays and owns its partitions again"}
	fForce  = flagDoc{"force", "", "accept leaving fewer nodes than some namespace's N, or a second departure at once"}
	// Without --force, removal also refuses a node that is up.
	fForceRemove = flagDoc{"force", "", "remove even a node that is up; accept fewer nodes than N, or a second departure"}
)

// askEveryNote tells how the maintenance commands find the nodes to ask
// and what a node that does not answer does to them.
const askEveryNote = "The members come from the status of the node kvcli is connected to. A node\n" +
	"that does not answer gets one line on stderr, the others are still asked,\n" +
	"and the exit status is 1."

var globalFlags = []flagDoc{fServer, fTimeout, fNode}

var commands = []command{
	{
		name: "put", args: "KEY [VALUE]", minArgs: 1, maxArgs: 2,
		summary: "write VALUE (or stdin) under KEY",
		about: "Without VALUE, put reads the value from stdin. Without --context it first\n" +
			"reads KEY and sends back the context it saw, so the write replaces the\n" +
			"current value(s); with --no-context the write is blind and, in a siblings\n" +
			"namespace, sits beside a concurrent value. Put a VALUE that starts with\n" +
			"'-' after \"--\". --json prints {\"context\": ...} of the version written.",
		flags: []flagDoc{fNamespace, fR, fW, fStrict, fSloppy, fContext, fNoContext,
			{"content-type", "CT", "content type stored with the value"}, fJSON},
		run: runPut,
	},
	{
		name: "get", args: "KEY", minArgs: 1, maxArgs: 1,
		summary: "print the value of KEY",
		about: "Prints the value's bytes as stored. Concurrent writes leave siblings:\n" +
			"get then prints each on its own, separated by a newline, and says\n" +
			"\"N siblings\" on stderr. Exit status 3 when the key is not found.\n" +
			"--json prints {\"found\", \"values\": [{\"value\": base64, \"contentType\"}], \"context\"}.",
		flags: []flagDoc{fNamespace, fR, fStrict, fSloppy, fJSON},
		run:   runGet,
	},
	{
		name: "delete", args: "KEY", minArgs: 1, maxArgs: 1,
		summary: "delete KEY",
		about: "Without --context, delete first reads KEY and deletes what it saw.\n" +
			"Deleting a missing key succeeds (exit status 0): delete is idempotent.",
		flags: []flagDoc{fNamespace, fR, fW, fStrict, fSloppy, fContext, fNoContext},
		run:   runDelete,
	},
	{
		name: "status", args: "", maxArgs: 0,
		summary: "show the cluster's members, under-replicated namespaces and transfers",
		about: "Asks one node for its view: each member's zone, weight, up/down (STATE),\n" +
			"place in the ring (RING: active; joining, while it receives the partitions\n" +
			"it is to own; leaving, while it hands its partitions on), phi (the failure\n" +
			"detector's suspicion), time since last heartbeat, the partitions it holds\n" +
			"and its share of the replicas reads use (OWNS); then the namespaces it\n" +
			"finds under-replicated. While the membership changes, it then asks every\n" +
			"member that is up for the partitions it is receiving and prints them under\n" +
			"\"transfers in progress\" (see 'kvcli help transfers'); a member that does\n" +
			"not answer gets one line on stderr, and the exit status is 1.\n" +
			"\n" +
			"--json prints the answering node's view alone, as protojson; 'kvcli\n" +
			"transfers --json' gives the transfers.",
		flags: []flagDoc{fNode, fJSON},
		run:   runStatus,
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
			"A member the status shows down is asked too, but its silence is no failure.\n" +
			"\n" +
			"--json prints one object per node: {\"node\", \"state\", \"partitionsGained\",\n" +
			"\"partitionsReceived\", \"partitionsToHandOff\", \"partitionsHandedOff\",\n" +
			"\"bytesReceived\", \"bytesSent\", \"partitionsCompleted\", \"transfers\":\n" +
			"[{\"partition\", \"from\", \"to\", \"bytesDone\", \"bytesTotal\", \"records\",\n" +
			"\"bytesPerSecond\", \"etaMs\", \"state\", \"reason\"}]}; an ETA not known is null.",
		flags: []flagDoc{fAskNode, fLineJSON},
		run:   runTransfers,
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
			"A member the status shows down is asked too, but its silence is no failure.\n" +
			"\n" +
			"--json prints one object per node: {\"node\", \"delivered\", \"dropped\",\n" +
			"\"targets\": [{\"target\", \"count\", \"bytes\", \"oldest\", \"oldestAgeMs\",\n" +
			"\"targetUp\"}]}; a time not known is null.",
		flags: []flagDoc{fAskNode, fLineJSON},
		run:   runHints,
	},
	{
		name: "hints drain", args: "NODE", minArgs: 1, maxArgs: 1,
		summary: "have every holder deliver its hints for NODE now",
		about: "Asks each member that is up, other than NODE, to deliver the hints it\n" +
			"holds for NODE at once rather than at its next round, and prints per\n" +
			"holder how many it delivered and how many it still holds (NODE down\n" +
			"again, say). Holders are asked one at a time and each answers when it is\n" +
			"done: without --timeout, each may take up to 60s.\n" +
			"\n" + askEveryNote + "\n" +
			"\n" +
			"--json prints one object per holder: {\"node\", \"target\", \"delivered\",\n" +
			"\"remaining\"}.",
		flags: []flagDoc{fAskUpNode, fLineJSON},
		run:   runHintsDrain,
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
			"A member the status shows down is asked too, but its silence is no failure.\n" +
			"\n" +
			"--json prints one object per node: {\"node\", \"exchanges\", \"keysRepaired\",\n" +
			"\"tombstonesReaped\", \"trees\", \"partitions\": [{\"partition\", \"namespace\",\n" +
			"\"lastExchange\", \"lastExchangeAgeMs\", \"lastPeer\", \"keysRepaired\",\n" +
			"\"treeBuilt\", \"treeAgeMs\", \"records\", \"lastError\"}]}, the same trees as\n" +
			"the table; a time not known is null.",
		flags: []flagDoc{fAll, fAskNode, fLineJSON},
		run:   runRepairStatus,
	},
	{
		name: "repair now", args: "", maxArgs: 0,
		summary: "run anti-entropy exchanges now",
		about: "Has each member that is up (or only --node) compare its trees of partition\n" +
			"P, or of every partition it holds, with each other home replica and repair\n" +
			"what differs, and prints per node the exchanges run and the keys repaired.\n" +
			"Nodes are asked one at a time and each answers when it is done: without\n" +
			"--timeout, each may take up to 60s.\n" +
			"\n" + askEveryNote + "\n" +
			"\n" +
			"--json prints one object per node: {\"node\", \"exchanges\", \"keysRepaired\",\n" +
			"\"elapsedMs\"}.",
		flags: []flagDoc{fPart, fAskUpNode, fLineJSON},
		run:   runRepairNow,
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
		flags:  []flagDoc{fNoWait, fCancel, fForce},
		unused: []string{"node"},
		run:    runDecommission,
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
		flags:  []flagDoc{fForceRemove},
		unused: []string{"node"},
		run:    runRemove,
	},
	{
		name: "ns create", args: "NAME", minArgs: 1, maxArgs: 1,
		summary: "create a namespace",
		about:   "N is fixed at creation; R and W are defaults each request may override.",
		flags: []flagDoc{
			{"n", "N", "replicas per key (default 3)"},
			{"r", "N", "default read quorum (default 2)"},
			{"w", "N", "default write quorum (default 2)"},
			{"mode", "MODE", "conflict mode: siblings or lww (default siblings)"},
		},
		run: runNamespaceCreate,
	},
	{
		name: "ns list", args: "", maxArgs: 0,
		summary: "list the namespaces",
		flags:   []flagDoc{fJSON},
		run:     runNamespaceList,
	},
}

func findCommand(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// subcommands returns the second words of the commands whose first word
// is group: "create" and "list" for "ns".
func subcommands(group string) []string {
	var subs []string
	for _, c := range commands {
		if sub, ok := strings.CutPrefix(c.name, group+" "); ok {
			subs = append(subs, sub)
		}
	}
	return subs
}

// writeUsage prints the usage of topic: "" for kvcli as a whole, a command
// name, or a group such as "ns" or "repair" for each of its commands (with
// the group's own command first, as "hints" before "hints drain").
func writeUsage(w io.Writer, topic string) {
	if topic == "" {
		writeMainUsage(w)
		return
	}
	var cmds []*command
	if c := findCommand(topic); c != nil {
		cmds = append(cmds, c)
	}
	if !strings.Contains(topic, " ") {
		for _, sub := range subcommands(topic) {
			cmds = append(cmds, findCommand(topic+" "+sub))
		}
	}
	for i, c := range cmds {
		if i > 0 {
			fmt.Fprintln(w)
		}
		writeCommandUsage(w, c)
	}
}

func writeMainUsage(w io.Writer) {
	fmt.Fprint(w, "kvcli talks to a quorumkv cluster over NATS.\n\n"+
		"Usage: kvcli [flags] <command> [flags] [args]\n\nCommands:\n")
	rows := make([][2]string, 0, len(commands)+1)
	for _, c := range commands {
		rows = append(rows, [2]string{strings.TrimSpace(c.name + " " + c.args), c.summary})
	}
	rows = append(rows, [2]string{"help [COMMAND]", "show the usage of kvcli or of a command"})
	writeRows(w, rows)
	fmt.Fprint(w, "\nGlobal flags, accepted anywhere on the line (e.g. kvcli put KEY VALUE --w 2):\n")
	all := append(append([]flagDoc{}, globalFlags...), fNamespace, fR, fW, fStrict, fSloppy, fJSON,
		fContext, fNoContext, flagDoc{"content-type", "CT", "content type stored with the value (put)"},
		flagDoc{"all", "", "show every tree (repair status)"},
		flagDoc{"partition", "P", "only partition P (repair now)"},
		flagDoc{"no-wait", "", "do not follow the departure (node decommission)"},
		flagDoc{"cancel", "", "stop a decommission under way (node decommission)"},
		flagDoc{"force", "", "accept fewer nodes than N (node decommission, node remove)"})
	writeFlags(w, all)
	fmt.Fprint(w, "\nA global flag a command does not use is ignored. \"--\" ends the flags.\n"+
		"Exit status: 0 ok, 1 error, 2 usage error, 3 key not found (get).\n"+
		"Run 'kvcli help COMMAND' for a command's flags.\n")
}

func writeCommandUsage(w io.Writer, c *command) {
	fmt.Fprintf(w, "Usage: kvcli %s [flags]\n\n%s.\n", strings.TrimSpace(c.name+" "+c.args), upperFirst(c.summary))
	if c.about != "" {
		fmt.Fprintf(w, "\n%s\n", c.about)
	}
	fmt.Fprintln(w, "\nFlags:")
	// A command's own description of a flag replaces the global one: --node
	// picks the coordinator of a key command but the nodes a maintenance
	// command asks.
	flags := append([]flagDoc{}, c.flags...)
	for _, g := range globalFlags {
		if !slices.ContainsFunc(c.flags, func(f flagDoc) bool { return f.name == g.name }) && !slices.Contains(c.unused, g.name) {
			flags = append(flags, g)
		}
	}
	writeFlags(w, flags)
}

func writeFlags(w io.Writer, flags []flagDoc) {
	rows := make([][2]string, len(flags))
	for i, f := range flags {
		rows[i] = [2]string{strings.TrimSpace("--" + f.name + " " + f.arg), f.help}
	}
	writeRows(w, rows)
}

// writeRows prints two aligned columns, indented.
func writeRows(w io.Writer, rows [][2]string) {
	width := 0
	for _, r := range rows {
		width = max(width, len(r[0]))
	}
	for _, r := range rows {
		fmt.Fprintf(w, "  %-*s  %s\n", width, r[0], r[1])
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
