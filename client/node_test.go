package client_test

// Real nodes for the examples and for the tests that check the fake
// against the real thing: an actors.Node in this process, with its
// embedded NATS server on a random loopback port and its data in a
// temporary directory.

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/quorumkv/quorumkv/actors"
	"github.com/quorumkv/quorumkv/client"
	"github.com/quorumkv/quorumkv/storage"
)

// startNode starts a single node. Port -1 lets the embedded NATS server
// pick a free one. Sync none: the tests here check answers, not
// durability, and fsyncs are slow on a busy machine.
func startNode(cfg actors.Config) (n *actors.Node, stop func(), err error) {
	dir, err := os.MkdirTemp("", "quorumkv-client-test-")
	if err != nil {
		return nil, nil, err
	}
	if cfg.Name == "" {
		cfg.Name = "n1"
	}
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Listen = "127.0.0.1:-1"
	cfg.Sync = storage.SyncNone
	n, err = actors.Start(cfg)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("start node: %w", err)
	}
	return n, func() {
		_ = n.Stop()
		os.RemoveAll(dir)
	}, nil
}

// newNode starts a node for one test.
func newNode(t testing.TB, cfg actors.Config) *actors.Node {
	t.Helper()
	n, stop, err := startNode(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return n
}

// connectURL connects a client for one test.
func connectURL(t testing.TB, url string, opts ...client.ConnectOption) *client.Client {
	t.Helper()
	c, err := client.Connect(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// startExampleNode stands in for a running cluster in the examples: a
// real node of one.
func startExampleNode() (url string, stop func()) {
	n, stop, err := startNode(actors.Config{})
	if err != nil {
		panic(err)
	}
	return n.ClientURL(), stop
}
