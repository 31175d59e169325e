package bench

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/nats-io/nats.go"
)

// target is the system under load. Every method is safe for concurrent
// use; Put and Get block until the answer (or the run's per-operation
// timeout, which the target applies).
type target interface {
	Put(ctx context.Context, key string, val []byte) error
	// Get reads key; a missing key is errNotFound.
	Get(ctx context.Context, key string) error
	Close()
}

// updater is a target that updates by read-modify-write instead of Put.
type updater interface {
	Update(ctx context.Context, key string, val []byte) error
}

// openTarget connects to cfg's target and prepares it (namespace, bucket,
// responder). The notes describe what it set up, for the report; progress
// (nil for none) hears of what it does on the way.
func openTarget(ctx context.Context, cfg *Config, progress io.Writer) (t target, notes []string, err error) {
	switch cfg.Target {
	case "quorumkv":
		return openQuorumKV(ctx, cfg, progress)
	case "jetstream":
		return openJetStream(ctx, cfg)
	case "echo":
		return openEcho(ctx, cfg)
	}
	return nil, nil, fmt.Errorf("unknown target %q", cfg.Target)
}

// connURLs is the server URL of each of n connections: the servers in
// turn.
func connURLs(servers []string, n int) []string {
	urls := make([]string, n)
	for i := range urls {
		urls[i] = servers[i%len(servers)]
	}
	return urls
}

// dialAll connects to each URL, reconnecting for ever after a drop; on
// error it closes the connections it made.
func dialAll(urls []string) ([]*nats.Conn, error) {
	conns := make([]*nats.Conn, 0, len(urls))
	for _, url := range urls {
		nc, err := nats.Connect(url, nats.Name("kvbench"), nats.MaxReconnects(-1))
		if err != nil {
			for _, c := range conns {
				c.Close()
			}
			return nil, fmt.Errorf("connect to %s: %w", url, err)
		}
		conns = append(conns, nc)
	}
	return conns, nil
}

// roundRobin spreads calls over k connections.
type roundRobin struct{ next atomic.Uint64 }

func (r *roundRobin) pick(k int) int {
	return int(r.next.Add(1) % uint64(k))
}
