package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/quorumkv/quorumkv/client"
)

// WaitConfig is what Wait waits for.
type WaitConfig struct {
	// Kind is what must be ready:
	//   - quorumkv: each node's Status shows Members members up and active
	//     (no join under way);
	//   - jetstream: each server answers JetStream account info (the
	//     JetStream cluster has a meta leader);
	//   - nats: each server accepts a connection.
	Kind string
	// Servers are the NATS URLs; each is checked.
	Servers []string
	// Members is, for quorumkv, how many members every node must see up.
	Members int
	// Timeout bounds the whole wait.
	Timeout time.Duration
}

// Validate rejects a kind Wait does not know.
func (c WaitConfig) Validate() error {
	_, err := c.readiness()
	return err
}

// Wait polls every server until the cluster is ready, or fails when
// Timeout passes first. Its message says what it found ready.
func Wait(ctx context.Context, cfg WaitConfig) (string, error) {
	ready, err := cfg.readiness()
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	for {
		attempt, cancelAttempt := context.WithTimeout(ctx, 2*time.Second)
		msg, err := ready(attempt)
		cancelAttempt()
		if err == nil {
			return msg, nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("not ready after %v: %w", cfg.Timeout, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// readiness is the check of one attempt for cfg's kind.
func (c WaitConfig) readiness() (func(context.Context) (string, error), error) {
	urls := c.Servers
	switch c.Kind {
	case "quorumkv":
		seen := map[string]bool{}
		return func(ctx context.Context) (string, error) { return membersUp(ctx, urls, c.Members, seen) }, nil
	case "jetstream":
		return func(ctx context.Context) (string, error) { return eachServer(ctx, urls, jetStreamReady) }, nil
	case "nats":
		return func(ctx context.Context) (string, error) { return eachServer(ctx, urls, natsReady) }, nil
	}
	return nil, fmt.Errorf("--kind %q: want quorumkv, jetstream or nats", c.Kind)
}

// eachServer runs check against every URL in turn.
func eachServer(ctx context.Context, urls []string, check func(context.Context, string) error) (string, error) {
	for _, url := range urls {
		if err := check(ctx, url); err != nil {
			return "", fmt.Errorf("%s: %w", url, err)
		}
	}
	return fmt.Sprintf("%d servers ready", len(urls)), nil
}

// membersUp asks for the cluster's status through every URL (each request
// is answered by whichever node the queue group picks) and records in seen
// which nodes answered with at least want members up. It is done when want
// distinct nodes have.
func membersUp(ctx context.Context, urls []string, want int, seen map[string]bool) (string, error) {
	for _, url := range urls {
		c, err := client.Connect(url, client.WithNATSOptions(nats.MaxReconnects(0)))
		if err != nil {
			return "", err
		}
		st, err := c.Status(ctx)
		c.Close()
		if err != nil {
			return "", fmt.Errorf("%s: %w", url, err)
		}
		up := 0
		for _, m := range st.Members {
			// A member still joining or leaving moves partitions: the
			// figures are for a cluster at rest.
			if m.Up && (m.State == "" || m.State == "active") {
				up++
			}
		}
		seen[st.Node] = up >= want
		if up < want {
			return "", fmt.Errorf("node %s sees %d of %d members up and active", st.Node, up, want)
		}
	}
	ok := 0
	for _, good := range seen {
		if good {
			ok++
		}
	}
	if ok < want {
		return "", fmt.Errorf("%d of %d nodes have reported %d members up", ok, want, want)
	}
	return fmt.Sprintf("%d nodes each see %d members up", ok, want), nil
}

func jetStreamReady(ctx context.Context, url string) error {
	nc, err := nats.Connect(url, nats.MaxReconnects(0))
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	_, err = js.AccountInfo(ctx)
	return err
}

func natsReady(_ context.Context, url string) error {
	nc, err := nats.Connect(url, nats.MaxReconnects(0))
	if err != nil {
		return err
	}
	defer nc.Close()
	return nc.Flush()
}
