// Command kvcli is the command-line client of quorumkv: put, get and delete
// keys, create and list namespaces, show the cluster's status, look at and
// drive hinted handoff and anti-entropy on each node, and change the
// membership (decommission a node, remove a dead one, follow the transfers
// of partitions to their new owners). It is a thin layer over the Go SDK
// (package client) on cobra; run "kvcli help" for usage, and see
// docs/cli.md for every command and its JSON output.
//
// Invariants: each command takes only its own flags and the global ones;
// -o json prints kvcli's own view structs (fixed camelCase names, numbers
// as numbers), never the wire's protojson; nothing but the command's
// output goes to stdout, and each error is one line on stderr.
//
// Exit status: 0 success; 1 any error (for a command that asks every
// node, any node that failed); 2 a usage error; 3 get of a missing key.
// Delete of a missing key succeeds (0): deletes are idempotent.
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	a := &app{
		stdin:  os.Stdin,
		stdout: os.Stdout,
		stderr: os.Stderr,
		getenv: os.Getenv,
		tty:    isTerminal(os.Stdout),
		dial:   dialSDK,
	}
	code := a.run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// isTerminal reports whether f is a character device, such as a terminal.
func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
