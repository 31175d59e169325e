package main

import (
	"context"
	"fmt"
	"io"
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
	run              func(ctx context.Context, a *app, s store, inv *invocation) error
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
		summary: "show the cluster's members and under-replicated namespaces",
		about: "Asks one node for its view: each member's zone, weight, up/down, phi\n" +
			"(the failure detector's suspicion), time since last heartbeat and the\n" +
			"partitions it holds, then the namespaces it finds under-replicated.",
		flags: []flagDoc{fNode, fJSON},
		run:   runStatus,
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

// writeUsage prints the usage of topic: "" for kvcli as a whole, "ns" for
// the namespace commands, or a command name.
func writeUsage(w io.Writer, topic string) {
	switch topic {
	case "":
		writeMainUsage(w)
	case "ns":
		writeCommandUsage(w, findCommand("ns create"))
		fmt.Fprintln(w)
		writeCommandUsage(w, findCommand("ns list"))
	default:
		writeCommandUsage(w, findCommand(topic))
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
		fContext, fNoContext, flagDoc{"content-type", "CT", "content type stored with the value (put)"})
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
	writeFlags(w, append(append([]flagDoc{}, c.flags...), globalFlags...))
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
