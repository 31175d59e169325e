package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/quorumkv/quorumkv/client"
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
	dial func(c conn) (store, error)
	// now is the clock ages are measured against; nil means time.Now.
	now func() time.Time
	// parsed, when set, replaces running a command: tests of the command
	// line see what it parsed to.
	parsed func(inv *invocation)
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

// run runs one command line and returns the exit status.
func (a *app) run(ctx context.Context, args []string) int {
	root := newRoot(a)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	var ran *ranError
	if err != nil && !errors.As(err, &ran) && !isUsage(err) {
		// What cobra itself refuses (a flag's value, an unknown command
		// of a group) is a usage error.
		err = usageErrorf("", "%s", err.Error())
	}
	return a.fail(err)
}

// ranError marks an error of a command that ran, as opposed to one of
// the command line.
type ranError struct{ err error }

func (e *ranError) Error() string { return e.err.Error() }
func (e *ranError) Unwrap() error { return e.err }

// usageError is a command line kvcli cannot run: exit status 2.
type usageError struct {
	cmd string // the command it concerns, "" for none
	msg string
}

func (e *usageError) Error() string {
	if e.cmd == "" {
		return e.msg + "; run 'kvcli --help' for usage"
	}
	return e.cmd + ": " + e.msg + "; run 'kvcli " + e.cmd + " --help' for usage"
}

func usageErrorf(cmd, format string, args ...any) error {
	return &usageError{cmd: cmd, msg: fmt.Sprintf(format, args...)}
}

func isUsage(err error) bool {
	var usage *usageError
	return errors.As(err, &usage)
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
	var silent exitStatus
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &silent):
		return int(silent)
	case isUsage(err):
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
