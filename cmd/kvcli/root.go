package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/quorumkv/quorumkv/internal/buildinfo"
)

// Defaults of the global flags.
const (
	defaultServer  = "nats://127.0.0.1:4222"
	defaultTimeout = 5 * time.Second
	// serverEnv names the environment variable that replaces defaultServer.
	serverEnv = "KV_SERVER"
)

// options are the values of every flag kvcli knows. Each command defines
// only the flags it takes, onto the fields they fill.
type options struct {
	conn        conn
	output      string // -o
	json        bool   // --json, the older spelling of -o json
	namespace   string
	r, w        int
	strict      bool
	sloppy      bool
	token       string // --context
	noContext   bool
	contentType string
	n           int    // ns create
	mode        string // ns create
	node        string // --node
	all         bool   // repair status
	partition   int    // repair now
	noWait      bool   // node decommission
	cancel      bool   // node decommission
	force       bool   // node decommission, node remove
}

// invocation is a parsed command line.
type invocation struct {
	// cmd is the command: a name in commands ("put", "ns create", ...).
	cmd string
	// args are the positional arguments after the command words.
	args []string
	opts options
	// set holds the names of the flags given on the command line.
	set map[string]bool
	// out is the output format.
	out format
}

const rootAbout = `kvcli talks to a quorumkv cluster over NATS.

Flags go anywhere after the command; "--" ends them, so a key or value that
starts with '-' goes after it: kvcli put -- -k -v. A flag a command does not
take is a usage error. Every command takes -o table, json or value (see
'kvcli help COMMAND' for what each prints).

Connection flags fall back on environment variables: $KV_SERVER, $NATS_USER,
$NATS_PASSWORD, $NATS_CREDS, $NATS_NKEY, $NATS_CA, $NATS_CERT, $NATS_KEY.

Exit status: 0 ok, 1 error (for a command that asks every node: any node
that failed), 2 usage error, 3 get of a missing key.`

// newRoot builds kvcli's command tree, bound to a.
func newRoot(a *app) *cobra.Command {
	inv := &invocation{set: map[string]bool{}}
	root := &cobra.Command{
		Use:           "kvcli",
		Short:         "kvcli talks to a quorumkv cluster over NATS",
		Long:          rootAbout,
		Version:       buildinfo.String("kvcli"),
		Annotations:   map[string]string{"group": "yes"},
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("", "missing command")
			}
			return usageErrorf("", "unknown command %q%s", args[0], didYouMean(c, args[0]))
		},
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetUsageTemplate(usageTemplate)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return flagError(c, err) })
	globalFlags(root.PersistentFlags(), &inv.opts)
	root.SetHelpCommand(helpCommand(root))
	_ = root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(
		[]cobra.Completion{string(formatTable), string(formatJSON), string(formatValue)}, cobra.ShellCompDirectiveNoFileComp))
	root.CompletionOptions.DisableDefaultCmd = false

	addCommands(root, a, inv)
	return root
}

func init() { cobra.AddTemplateFunc("flagUsages", flagUsages) }

// usageTemplate is cobra's, with kvcli's flag list.
const usageTemplate = `Usage:{{if and .Runnable (ne (index .Annotations "group") "yes")}}
  {{.UseLine}}{{end}}{{if .HasAvailableSubCommands}}
  {{.CommandPath}} COMMAND [flags]

Commands:{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

Flags:
{{flagUsages .LocalFlags}}{{end}}{{if .HasAvailableInheritedFlags}}

Global flags:
{{flagUsages .InheritedFlags}}{{end}}{{if .HasAvailableSubCommands}}

Run '{{.CommandPath}} COMMAND --help' for a command's usage.{{end}}
`

// flagUsages lists flags as "--name ARG  usage (default D)", aligned.
func flagUsages(fs *pflag.FlagSet) string {
	var rows [][2]string
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		name := "    --" + f.Name
		if f.Shorthand != "" {
			name = "-" + f.Shorthand + ", --" + f.Name
		}
		arg, usage := pflag.UnquoteUsage(f)
		if f.Value.Type() != "bool" {
			name += " " + arg
			if f.DefValue != "" && f.DefValue != "0" {
				usage += " (default " + f.DefValue + ")"
			}
		}
		rows = append(rows, [2]string{name, usage})
	})
	width := 0
	for _, r := range rows {
		width = max(width, len(r[0]))
	}
	var b strings.Builder
	for i, r := range rows {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "  %-*s  %s", width, r[0], r[1])
	}
	return b.String()
}

// addCommands adds the commands of the table, each under its group
// ("ns" for "ns create"), and cobra's completion command.
func addCommands(root *cobra.Command, a *app, inv *invocation) {
	groups := map[string]*cobra.Command{}
	for i := range commands {
		spec := &commands[i]
		parent := root
		words := strings.Fields(spec.name)
		if len(words) == 2 {
			parent = groups[words[0]]
			if parent == nil {
				parent = groupCommand(words[0])
				groups[words[0]] = parent
				root.AddCommand(parent)
			}
		}
		c := spec.cobra(a, inv)
		if len(words) == 1 {
			groups[words[0]] = c
		}
		parent.AddCommand(c)
	}
	// cobra's completion command prints its usage, and succeeds, when
	// given no shell or one it does not know.
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.Args, c.RunE = cobra.ArbitraryArgs, func(c *cobra.Command, args []string) error {
				return subcommandError(c, args)
			}
		}
	}
	for _, g := range groups {
		g.Short = cmp.Or(g.Short, "the "+strings.Join(subcommandNames(g), " and ")+" commands")
	}
}

// globalFlags defines the flags every command takes.
func globalFlags(fs *pflag.FlagSet, o *options) {
	fs.StringVar(&o.conn.server, "server", "", "NATS `URL` of the cluster (default $"+serverEnv+", else "+defaultServer+")")
	fs.DurationVar(&o.conn.timeout, "timeout", defaultTimeout, "`DURATION` each request may take, e.g. 500ms")
	fs.StringVar(&o.conn.user, "user", "", "NATS user `NAME` (default $NATS_USER)")
	fs.StringVar(&o.conn.password, "password", "", "NATS `PASSWORD` (default $NATS_PASSWORD)")
	fs.StringVar(&o.conn.creds, "creds", "", "NATS credentials `FILE`: JWT and nkey seed (default $NATS_CREDS)")
	fs.StringVar(&o.conn.nkey, "nkey", "", "NATS nkey seed `FILE` (default $NATS_NKEY)")
	fs.StringVar(&o.conn.tlsCA, "tls-ca", "", "CA certificate `FILE` to verify the server with (default $NATS_CA)")
	fs.StringVar(&o.conn.tlsCert, "tls-cert", "", "client certificate `FILE`, with --tls-key (default $NATS_CERT)")
	fs.StringVar(&o.conn.tlsKey, "tls-key", "", "client private key `FILE`, with --tls-cert (default $NATS_KEY)")
	fs.StringVarP(&o.output, "output", "o", "", "output `FORMAT`: table, json or value (default: value for get, else table)")
	fs.BoolVar(&o.json, "json", false, "same as -o json")
	_ = fs.MarkHidden("json")
}

// groupCommand is a first word such as "ns" whose commands are its
// subcommands; alone, or with a word that is none of them, it is a usage
// error.
func groupCommand(name string) *cobra.Command {
	return &cobra.Command{
		Use:         name,
		Annotations: map[string]string{"group": "yes"},
		Args:        cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			return subcommandError(c, args)
		},
	}
}

// subcommandError is the usage error of a group given no subcommand or
// an unknown one.
func subcommandError(c *cobra.Command, args []string) error {
	subs := subcommandNames(c)
	if len(args) == 0 {
		return usageErrorf(c.Name(), "missing subcommand: %s", strings.Join(subs, " or "))
	}
	return usageErrorf(c.Name(), "unknown subcommand %q%s", args[0], didYouMean(c, args[0]))
}

func subcommandNames(c *cobra.Command) []string {
	var subs []string
	for _, s := range c.Commands() {
		if s.IsAvailableCommand() {
			subs = append(subs, s.Name())
		}
	}
	return subs
}

// didYouMean suggests the subcommands of c close to typed.
func didYouMean(c *cobra.Command, typed string) string {
	c.SuggestionsMinimumDistance = 2
	s := c.SuggestionsFor(typed)
	if len(s) == 0 {
		return ""
	}
	return " (did you mean " + strings.Join(s, " or ") + "?)"
}

// flagError rewords pflag's errors, and names the commands that take a
// flag given to one that does not.
func flagError(c *cobra.Command, err error) error {
	cmd := commandName(c)
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "unknown flag: --"); ok {
		if takers := commandsTaking(c.Root(), name); len(takers) > 0 {
			return usageErrorf(cmd, "unknown flag --%s (it applies to %s)", name, strings.Join(takers, ", "))
		}
		return usageErrorf(cmd, "unknown flag --%s%s", name, dashHint)
	}
	if strings.HasPrefix(msg, "unknown shorthand flag: ") {
		return usageErrorf(cmd, "%s%s", msg, dashHint)
	}
	if rest, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		return usageErrorf(cmd, "flag %s needs an argument", strings.Trim(rest, "'"))
	}
	return usageErrorf(cmd, "%s", msg)
}

// dashHint follows an unknown flag, which may be an argument that starts
// with '-'.
const dashHint = " (a key or value that starts with '-' goes after \"--\")"

// commandsTaking lists the commands under c that take the flag name.
func commandsTaking(c *cobra.Command, name string) []string {
	var takers []string
	for _, s := range c.Commands() {
		if s.LocalNonPersistentFlags().Lookup(name) != nil {
			takers = append(takers, commandName(s))
		}
		takers = append(takers, commandsTaking(s, name)...)
	}
	return takers
}

// commandName is a command's path without "kvcli": "ns create".
func commandName(c *cobra.Command) string {
	return strings.TrimPrefix(strings.TrimPrefix(c.CommandPath(), c.Root().Name()), " ")
}

// helpCommand replaces cobra's help command, which prints the main usage
// for a topic it does not know: here that is a usage error.
func helpCommand(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND]",
		Short: "show the usage of kvcli or of a command",
		Args:  cobra.ArbitraryArgs,
		ValidArgsFunction: func(c *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			target, _, err := root.Find(args)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return subcommandNames(target), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := root.Find(args)
			if err != nil || target == root && len(args) > 0 || len(rest) > 0 && target.HasSubCommands() {
				return usageErrorf("", "no help for %q", strings.Join(args, " "))
			}
			return target.Help()
		},
	}
}

// cobra makes the cobra command of spec, whose flags fill inv.
func (spec *command) cobra(a *app, inv *invocation) *cobra.Command {
	words := strings.Fields(spec.name)
	c := &cobra.Command{
		Use:   strings.TrimSpace(words[len(words)-1] + " " + spec.args),
		Short: spec.summary,
		Long:  upperFirst(spec.summary) + ".\n\n" + spec.about + spec.outputNote(),
		Args:  spec.checkArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if err := inv.fill(c, spec, args, a.getenv); err != nil {
				return err
			}
			return a.execute(c.Context(), spec, inv)
		},
	}
	c.Long = strings.TrimRight(c.Long, "\n")
	if spec.flags != nil {
		spec.flags(c.Flags(), &inv.opts)
	}
	if c.Flags().Lookup("mode") != nil {
		_ = c.RegisterFlagCompletionFunc("mode", cobra.FixedCompletions([]cobra.Completion{"siblings", "lww"},
			cobra.ShellCompDirectiveNoFileComp))
	}
	if c.Flags().Lookup("node") != nil {
		_ = c.RegisterFlagCompletionFunc("node", a.completeMembers(inv))
	}
	if strings.HasPrefix(spec.args, "ID") || strings.HasPrefix(spec.args, "NODE") {
		c.ValidArgsFunction = func(c *cobra.Command, args []string, word string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return a.completeMembers(inv)(c, args, word)
		}
	}
	return c
}

// completeMembers completes a node id from the member list of the node
// kvcli is connected to; it offers nothing when that takes more than a
// second or fails.
func (a *app) completeMembers(inv *invocation) cobra.CompletionFunc {
	return func(c *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		cn := inv.opts.conn
		cn.fromEnv(func(flag string) bool { return c.Flags().Changed(flag) }, a.getenv)
		cn.timeout = min(cn.timeout, time.Second)
		var ids []cobra.Completion
		if s, err := a.dial(cn); err == nil {
			defer s.Close()
			ctx, cancel := context.WithTimeout(context.Background(), cn.timeout)
			defer cancel()
			if st, err := s.Status(ctx, ""); err == nil {
				for _, m := range st.Members {
					ids = append(ids, m.ID)
				}
			}
		}
		return ids, cobra.ShellCompDirectiveNoFileComp
	}
}

// checkArgs checks the positional arguments of a command line.
func (spec *command) checkArgs(c *cobra.Command, args []string) error {
	name := spec.name
	names := strings.Fields(spec.args)
	switch n := len(args); {
	case n < spec.minArgs:
		return usageErrorf(name, "missing %s", strings.Trim(names[n], "[]"))
	case n > spec.maxArgs && c.HasSubCommands() && spec.maxArgs == 0:
		return subcommandError(c, args)
	case n > spec.maxArgs:
		return usageErrorf(name, "unexpected argument %q", args[spec.maxArgs])
	}
	if len(args) > 0 && args[0] == "" {
		return usageErrorf(name, "empty %s", strings.Trim(names[0], "[]"))
	}
	return nil
}

// fill completes inv from a parsed command line and checks what the flags
// say together.
func (inv *invocation) fill(c *cobra.Command, spec *command, args []string, getenv func(string) string) error {
	inv.cmd, inv.args = spec.name, args
	c.Flags().Visit(func(f *pflag.Flag) { inv.set[f.Name] = true })
	inv.opts.conn.fromEnv(func(flag string) bool { return inv.set[flag] }, getenv)
	out, err := inv.format(spec)
	if err != nil {
		return err
	}
	inv.out = out
	if err := inv.opts.conn.check(spec.name); err != nil {
		return err
	}
	return inv.check()
}

// format is the output format the flags ask for.
func (inv *invocation) format(spec *command) (format, error) {
	switch {
	case inv.set["output"] && inv.opts.json && inv.opts.output != string(formatJSON):
		return "", usageErrorf(spec.name, "--json and -o %s exclude each other", inv.opts.output)
	case inv.opts.json:
		return formatJSON, nil
	case !inv.set["output"]:
		return spec.defaultOutput(), nil
	}
	f := format(inv.opts.output)
	if !slices.Contains([]format{formatTable, formatJSON, formatValue}, f) {
		return "", usageErrorf(spec.name, "-o must be table, json or value, not %q", inv.opts.output)
	}
	return f, nil
}

// check validates the flags of a command line together.
func (inv *invocation) check() error {
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
	case o.partition < 0:
		return usageErrorf(inv.cmd, "--partition must not be negative (leave it out for every partition)")
	case inv.set["mode"] && o.mode != "siblings" && o.mode != "lww":
		return usageErrorf(inv.cmd, "--mode must be siblings or lww, not %q", o.mode)
	}
	return nil
}

// execute connects (for a command that talks to the cluster) and runs
// spec; what it returns is the command's, not the command line's.
func (a *app) execute(ctx context.Context, spec *command, inv *invocation) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if a.parsed != nil {
		a.parsed(inv)
		return nil
	}
	var s store
	if !spec.offline {
		var err error
		if s, err = a.dial(inv.opts.conn); err != nil {
			return &ranError{err}
		}
		defer s.Close()
	}
	if err := spec.run(ctx, a, s, inv); err != nil {
		return &ranError{err}
	}
	return nil
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
