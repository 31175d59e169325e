// Command kvnode runs one quorumkv node: an embedded NATS server (or a
// connection to an existing NATS cluster), the node's actors and its Pebble
// data dir. See `kvnode --help`.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/quorumkv/quorumkv/actors"
	"github.com/quorumkv/quorumkv/internal/buildinfo"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// defaultGCPercent trades memory for CPU: a node allocates per request, and
// at Go's default of 100 the collector took about a tenth of a loaded node's
// CPU. GOGC in the environment still wins.
const defaultGCPercent = 400

func run(args []string) int {
	if len(args) > 0 && args[0] == "probe" {
		return probeMain(args[1:])
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	cfg, logger, err := parseFlags(args, os.Getenv)
	if err != nil {
		switch err {
		case errHelp:
			return 0
		case errVersion:
			fmt.Println(buildinfo.String("kvnode"))
			return 0
		}
		fmt.Fprintln(os.Stderr, "kvnode:", err)
		return 2
	}
	// Catch signals before starting, so a SIGTERM during startup still
	// shuts the node down cleanly.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	node, err := actors.Start(cfg)
	if err != nil {
		logger.Error("cannot start", "err", err)
		fmt.Fprintln(os.Stderr, "kvnode:", err)
		return 1
	}
	code := 0
	select {
	case s := <-sigs:
		logger.Info("shutting down", "signal", s.String())
	case err := <-node.Fatal():
		if errors.Is(err, actors.ErrLeft) {
			logger.Info("left the cluster: every partition it held has moved; stopping")
			break
		}
		logger.Error("stopping", "err", err)
		fmt.Fprintln(os.Stderr, "kvnode:", err)
		code = 1
	}
	if err := node.Stop(); err != nil {
		logger.Error("stop", "err", err)
		return 1
	}
	return code
}
