// Package testcluster starts real kvnode processes on 127.0.0.1 for tests
// and benchmarks: each node has its own embedded NATS server, its own
// ports and its own Pebble data dir, and can be stopped with SIGTERM,
// killed with SIGKILL and restarted on the same data dir.
//
// Rules: every process it starts is killed when the test ends; waits are
// conditions polled against a deadline, never fixed sleeps; only loopback
// addresses are used, except by NewNet, which puts nodes in network
// namespaces of its own on a private bridge so that a test can cut links
// between them (netns.go), and removes all of it when the test ends.
package testcluster
