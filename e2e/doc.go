// Package e2e holds end-to-end tests: they build kvnode and kvcli, start
// real node processes on 127.0.0.1 with real Pebble data dirs, and drive
// them with kvcli, the Go SDK and plain NATS requests. Failure tests kill
// processes with SIGKILL and restart them on the same data dir.
package e2e
