package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/quorumkv/quorumkv/client"
	"github.com/quorumkv/quorumkv/messages"
)

// Exit statuses.
const (
	exitOK       = 0
	exitError    = 1
	exitUsage    = 2
	exitNotFound = 3
)

// app is kvcli with its surroundings made explicit, so tests can run it
// without a process or a server.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// tty is true when stdout is a terminal: get then ends its output
	// with a newline.
	tty bool
	// dial connects to the cluster.
	dial func(server string, timeout time.Duration) (store, error)
	// now is the clock ages are measured against; nil means time.Now.
	now func() time.Time
	// pollEvery is the pause between two looks at a departure under way
	// (node decommission); 0 means a second.
	pollEvery time.Duration
}

func (a *app) clock() time.Time {
	if a.now == nil {
		return time.Now()
	}
	return a.now()
}

// store is what the commands need of the SDK.
type store interface {
	Get(ctx context.Context, key string, o request) (*client.Result, error)
	Put(ctx context.Context, key string, value []byte, o request) (string, error)
	Delete(ctx context.Context, key string, o request) error
	CreateNamespace(ctx context.Context, ns client.Namespace) (string, error)
	ListNamespaces(ctx context.Context) ([]client.Namespace, error)
	Status(ctx context.Context, node string) (*messages.StatusResponse, error)
	Hints(ctx context.Context, node string) (client.HintsReport, error)
	DrainHints(ctx context.Context, node, target string) (delivered, remaining uint64, err error)
	RepairStatus(ctx context.Context, node string) (client.RepairReport, error)
	RepairNow(ctx context.Context, node string, partition int) (exchanges int, keysRepaired uint64, err error)
	Decommission(ctx context.Context, node string, o client.DecommissionOptions) (state string, err error)
	Remove(ctx context.Context, node string, force bool) error
	Transfers(ctx context.Context, node string) (client.TransfersReport, error)
	Close()
}

// request holds the per-request options of a key command.
type request struct {
	namespace   string
	r, w        int
	strict      bool
	sloppy      bool
	token       string
	contentType string
	node        string
}

func requestOf(o options) request {
	return request{namespace: o.namespace, r: o.r, w: o.w, strict: o.strict, sloppy: o.sloppy,
		token: o.token, contentType: o.contentType, node: o.node}
}

// sdk converts a request to SDK options.
func (q request) sdk() []client.Option {
	opts := make([]client.Option, 0, 7)
	if q.namespace != "" {
		opts = append(opts, client.WithNamespace(q.namespace))
	}
	if q.r > 0 {
		opts = append(opts, client.WithR(q.r))
	}
	if q.w > 0 {
		opts = append(opts, client.WithW(q.w))
	}
	if q.strict {
		opts = append(opts, client.Strict())
	}
	if q.sloppy {
		opts = append(opts, client.Sloppy())
	}
	if q.token != "" {
		opts = append(opts, client.WithContext(q.token))
	}
	if q.contentType != "" {
		opts = append(opts, client.WithContentType(q.contentType))
	}
	if q.node != "" {
		opts = append(opts, client.ViaNode(q.node))
	}
	return opts
}

// sdkStore is the store of a real cluster.
type sdkStore struct{ c *client.Client }

func dialSDK(server string, timeout time.Duration) (store, error) {
	c, err := client.Connect(server, client.WithDefaultTimeout(timeout),
		client.WithNATSOptions(nats.Name("kvcli"), nats.Timeout(timeout)))
	if err != nil {
		return nil, err
	}
	return sdkStore{c}, nil
}

func (s sdkStore) Get(ctx context.Context, key string, o request) (*client.Result, error) {
	return s.c.Get(ctx, key, o.sdk()...)
}

func (s sdkStore) Put(ctx context.Context, key string, value []byte, o request) (string, error) {
	return putContext(s.c.Put(ctx, key, value, o.sdk()...))
}

func (s sdkStore) Delete(ctx context.Context, key string, o request) error {
	return s.c.Delete(ctx, key, o.sdk()...)
}

func (s sdkStore) CreateNamespace(ctx context.Context, ns client.Namespace) (string, error) {
	return s.c.CreateNamespace(ctx, ns)
}

func (s sdkStore) ListNamespaces(ctx context.Context) ([]client.Namespace, error) {
	return s.c.ListNamespaces(ctx)
}

func (s sdkStore) Status(ctx context.Context, node string) (*messages.StatusResponse, error) {
	if node != "" {
		return statusToWire(s.c.Status(ctx, client.ViaNode(node)))
	}
	return statusToWire(s.c.Status(ctx))
}

func (s sdkStore) Hints(ctx context.Context, node string) (client.HintsReport, error) {
	return s.c.Hints(ctx, node)
}

func (s sdkStore) DrainHints(ctx context.Context, node, target string) (uint64, uint64, error) {
	return s.c.DrainHints(ctx, node, target)
}

func (s sdkStore) RepairStatus(ctx context.Context, node string) (client.RepairReport, error) {
	return s.c.RepairStatus(ctx, node)
}

func (s sdkStore) RepairNow(ctx context.Context, node string, partition int) (int, uint64, error) {
	return s.c.RepairNow(ctx, node, partition)
}

func (s sdkStore) Decommission(ctx context.Context, node string, o client.DecommissionOptions) (string, error) {
	return s.c.Decommission(ctx, node, o)
}

func (s sdkStore) Remove(ctx context.Context, node string, force bool) error {
	return s.c.Remove(ctx, node, force)
}

func (s sdkStore) Transfers(ctx context.Context, node string) (client.TransfersReport, error) {
	return s.c.Transfers(ctx, node)
}

func (s sdkStore) Close() { s.c.Close() }

// run runs one command line and returns the exit status.
func (a *app) run(ctx context.Context, args []string) int {
	inv, err := parse(args, a.getenv)
	if err != nil {
		return a.fail(err)
	}
	if inv.cmd == "help" {
		writeUsage(a.stdout, strings.Join(inv.args, " "))
		return exitOK
	}
	s, err := a.dial(inv.opts.server, inv.opts.timeout)
	if err != nil {
		return a.fail(err)
	}
	defer s.Close()
	return a.fail(findCommand(inv.cmd).run(ctx, a, s, inv))
}

// exitStatus is an error that only sets the exit status: what there was
// to say is already printed.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// fail prints err as one line on stderr and returns its exit status.
func (a *app) fail(err error) int {
	code := exitCode(err)
	var silent exitStatus
	if err != nil && !errors.As(err, &silent) {
		fmt.Fprintf(a.stderr, "kvcli: %s\n", oneLine(err.Error()))
	}
	return code
}

func exitCode(err error) int {
	var usage *usageError
	var silent exitStatus
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &silent):
		return int(silent)
	case errors.As(err, &usage):
		return exitUsage
	case errors.Is(err, client.ErrNotFound):
		return exitNotFound
	}
	return exitError
}

// oneLine folds a message onto one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
