package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/quorumkv/quorumkv/client"
)

// Defaults of the global flags.
const (
	defaultServer  = "nats://127.0.0.1:4222"
	defaultTimeout = 5 * time.Second
	// serverEnv names the environment variable that replaces defaultServer.
	serverEnv = "KV_SERVER"
)

// options are the values of every flag kvcli knows. One flag set holds them
// all, so flags may come anywhere on the command line; which of them a
// command uses is the command's business.
type options struct {
	server      string
	timeout     time.Duration
	namespace   string
	r, w        int
	strict      bool
	sloppy      bool
	json        bool
	token       string // --context
	noContext   bool
	contentType string
	n           int    // ns create
	mode        string // ns create
	help        bool
	node        string // --node
	all         bool   // repair status
	partition   int    // repair now
	noWait      bool   // node decommission
	cancel      bool   // node decommission
	force       bool   // node decommission, node remove
}

// invocation is a parsed command line.
type invocation struct {
	// cmd is the command: a name in commands ("put", "ns create", "repair
	// now", ...) or "help".
	cmd string
	// args are the positional arguments after the command words; for
	// "help", the topic's words.
	args []string
	opts options
	// set holds the names of the flags given on the command line.
	set map[string]bool
}

// usageError is a command line kvcli cannot run: exit status 2.
type usageError struct {
	cmd string // the command it concerns, "" for none
	msg string
}

func (e *usageError) Error() string {
	if e.cmd == "" {
		return e.msg + "; run 'kvcli help' for usage"
	}
	return e.cmd + ": " + e.msg + "; run 'kvcli help " + e.cmd + "' for usage"
}

func usageErrorf(cmd, format string, args ...any) error {
	return &usageError{cmd: cmd, msg: fmt.Sprintf(format, args...)}
}

// newFlagSet defines every flag on o, with the defaults filled in.
func newFlagSet(o *options, getenv func(string) string) *flag.FlagSet {
	fs := flag.NewFlagSet("kvcli", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	server := defaultServer
	if env := getenv(serverEnv); env != "" {
		server = env
	}
	fs.StringVar(&o.server, "server", server, "")
	fs.DurationVar(&o.timeout, "timeout", defaultTimeout, "")
	fs.StringVar(&o.namespace, "namespace", "", "")
	fs.IntVar(&o.r, "r", 0, "")
	fs.IntVar(&o.w, "w", 0, "")
	fs.BoolVar(&o.strict, "strict", false, "")
	fs.BoolVar(&o.sloppy, "sloppy", false, "")
	fs.BoolVar(&o.json, "json", false, "")
	fs.StringVar(&o.token, "context", "", "")
	fs.BoolVar(&o.noContext, "no-context", false, "")
	fs.StringVar(&o.contentType, "content-type", "", "")
	fs.IntVar(&o.n, "n", 0, "")
	fs.StringVar(&o.mode, "mode", "", "")
	fs.StringVar(&o.node, "node", "", "")
	fs.BoolVar(&o.all, "all", false, "")
	fs.IntVar(&o.partition, "partition", 0, "")
	fs.BoolVar(&o.noWait, "no-wait", false, "")
	fs.BoolVar(&o.cancel, "cancel", false, "")
	fs.BoolVar(&o.force, "force", false, "")
	fs.BoolVar(&o.help, "help", false, "")
	fs.BoolVar(&o.help, "h", false, "")
	return fs
}

// parseInterleaved parses flags anywhere among the positional arguments,
// which it returns in order. Everything after "--" is positional.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		// Parse stopped at "--" (which it consumed) or at a positional.
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// flagError rewords the flag package's errors in the --flag spelling
// kvcli's usage uses.
func flagError(err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return "unknown flag --" + name
	}
	if rest, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return "flag --" + rest + " needs an argument"
	}
	if rest, ok := strings.CutPrefix(msg, "invalid value "); ok {
		return "invalid value " + strings.Replace(rest, " for flag -", " for flag --", 1)
	}
	return msg
}

// parse reads a command line (without the program name).
func parse(args []string, getenv func(string) string) (*invocation, error) {
	inv := &invocation{set: map[string]bool{}}
	fs := newFlagSet(&inv.opts, getenv)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return nil, usageErrorf("", "%s", flagError(err))
	}
	fs.Visit(func(f *flag.Flag) { inv.set[f.Name] = true })

	if len(pos) > 0 && pos[0] == "help" {
		inv.opts.help, pos = true, pos[1:]
	}
	if inv.opts.help {
		inv.cmd, inv.args = "help", topicWords(pos)
		return inv, checkTopic(inv.args)
	}
	if len(pos) == 0 {
		return nil, usageErrorf("", "missing command")
	}
	cmd, words := pos[0], 1
	if len(pos) > 1 && findCommand(cmd+" "+pos[1]) != nil {
		cmd, words = cmd+" "+pos[1], 2
	}
	spec := findCommand(cmd)
	if spec == nil {
		subs := subcommands(cmd)
		switch {
		case len(subs) == 0:
			return nil, usageErrorf("", "unknown command %q", cmd)
		case len(pos) < 2:
			return nil, usageErrorf(cmd, "missing subcommand: %s", strings.Join(subs, " or "))
		}
		return nil, usageErrorf(cmd, "unknown subcommand %q", pos[1])
	}
	inv.cmd, inv.args = cmd, pos[words:]
	if err := inv.check(spec); err != nil {
		return nil, err
	}
	return inv, nil
}

// topicWords keeps the command words of a help topic: "ns create" from
// ["ns", "create", "x"], "put" from ["put", "KEY"], "hints" from
// ["hints", "x"].
func topicWords(pos []string) []string {
	switch {
	case len(pos) == 0:
		return nil
	case len(pos) > 1 && (findCommand(pos[0]+" "+pos[1]) != nil || findCommand(pos[0]) == nil && len(subcommands(pos[0])) > 0):
		return pos[:2]
	}
	return pos[:1]
}

func checkTopic(words []string) error {
	topic := strings.Join(words, " ")
	if topic == "" || findCommand(topic) != nil || len(subcommands(topic)) > 0 {
		return nil
	}
	return usageErrorf("", "no help for %q", topic)
}

// check validates the arguments and flags of a command line.
func (inv *invocation) check(spec *command) error {
	switch n := len(inv.args); {
	case n < spec.minArgs:
		return usageErrorf(inv.cmd, "missing %s", strings.Fields(spec.args)[n])
	case n > spec.maxArgs:
		return usageErrorf(inv.cmd, "unexpected argument %q", inv.args[spec.maxArgs])
	}
	if len(inv.args) > 0 && inv.args[0] == "" {
		return usageErrorf(inv.cmd, "empty %s", strings.Fields(spec.args)[0])
	}
	for _, only := range []struct {
		flag string
		cmds []string
	}{
		{"n", []string{"ns create"}}, {"mode", []string{"ns create"}}, {"all", []string{"repair status"}},
		{"partition", []string{"repair now"}}, {"no-wait", []string{"node decommission"}},
		{"cancel", []string{"node decommission"}}, {"force", []string{"node decommission", "node remove"}},
	} {
		if inv.set[only.flag] && !slices.Contains(only.cmds, inv.cmd) {
			return usageErrorf(inv.cmd, "--%s applies only to %s", only.flag, strings.Join(only.cmds, " and "))
		}
	}
	o := inv.opts
	switch {
	case o.cancel && o.force:
		return usageErrorf(inv.cmd, "--cancel and --force exclude each other")
	case inv.set["context"] && o.noContext:
		return usageErrorf(inv.cmd, "--context and --no-context exclude each other")
	case o.strict && o.sloppy:
		return usageErrorf(inv.cmd, "--strict and --sloppy exclude each other")
	case o.r < 0 || o.w < 0 || o.n < 0:
		return usageErrorf(inv.cmd, "--n, --r and --w must not be negative")
	case inv.set["r"] && o.r == 0, inv.set["w"] && o.w == 0, inv.set["n"] && o.n == 0:
		return usageErrorf(inv.cmd, "--n, --r and --w must be at least 1 (leave them out for the namespace default)")
	case o.timeout <= 0:
		return usageErrorf(inv.cmd, "--timeout must be positive")
	case o.partition < 0:
		return usageErrorf(inv.cmd, "--partition must not be negative (leave it out for every partition)")
	}
	if _, err := client.ParseMode(o.mode); err != nil {
		return usageErrorf(inv.cmd, "--mode must be siblings or lww, not %q", o.mode)
	}
	return nil
}
