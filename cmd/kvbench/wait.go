package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/quorumkv/quorumkv/client"
)

// waitCommand polls every server until the cluster is ready:
//   - quorumkv: each node's Status shows --members members up;
//   - jetstream: each server answers JetStream account info (the
//     JetStream cluster has a meta leader);
//   - nats: each server accepts a connection.
func waitCommand(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("kvbench wait", flag.ContinueOnError)
	fs.SetOutput(stderr)
	servers := fs.String("servers", "nats://127.0.0.1:4222", "comma-separated NATS URLs; each is checked")
	kind := fs.String("kind", "quorumkv", "what must be ready: quorumkv, jetstream or nats")
	members := fs.Int("members", 3, "quorumkv: members every node must see up")
	timeout := fs.Duration("timeout", time.Minute, "give up after this long")
	quiet := fs.Bool("quiet", false, "print nothing when ready")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	urls := splitList(*servers)
	var ready func(context.Context) (string, error)
	switch *kind {
	case "quorumkv":
		seen := map[string]bool{}
		ready = func(ctx context.Context) (string, error) { return membersUp(ctx, urls, *members, seen) }
	case "jetstream":
		ready = func(ctx context.Context) (string, error) { return eachServer(ctx, urls, jetStreamReady) }
	case "nats":
		ready = func(ctx context.Context) (string, error) { return eachServer(ctx, urls, natsReady) }
	default:
		return usageError{fmt.Errorf("--kind %q: want quorumkv, jetstream or nats", *kind)}
	}
	for {
		attempt, cancelAttempt := context.WithTimeout(ctx, 2*time.Second)
		msg, err := ready(attempt)
		cancelAttempt()
		if err == nil {
			if !*quiet {
				fmt.Fprintf(stderr, "kvbench wait: %s\n", msg)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready after %v: %w", *timeout, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
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
			if m.Up {
				up++
			}
		}
		seen[st.Node] = up >= want
		if up < want {
			return "", fmt.Errorf("node %s sees %d of %d members up", st.Node, up, want)
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
