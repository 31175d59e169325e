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
	var check func(context.Context, string) (string, error)
	switch *kind {
	case "quorumkv":
		check = func(ctx context.Context, url string) (string, error) { return membersUp(ctx, url, *members) }
	case "jetstream":
		check = jetStreamReady
	case "nats":
		check = natsReady
	default:
		return usageError{fmt.Errorf("--kind %q: want quorumkv, jetstream or nats", *kind)}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	for _, url := range splitList(*servers) {
		var last error
		for {
			attempt, cancelAttempt := context.WithTimeout(ctx, 2*time.Second)
			msg, err := check(attempt, url)
			cancelAttempt()
			if err == nil {
				if !*quiet {
					fmt.Fprintf(stderr, "kvbench wait: %s: %s\n", url, msg)
				}
				break
			}
			last = err
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s not ready after %v: %w", url, *timeout, last)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}

// membersUp checks that the node at url sees at least want members up.
func membersUp(ctx context.Context, url string, want int) (string, error) {
	c, err := client.Connect(url, client.WithNATSOptions(nats.MaxReconnects(0)))
	if err != nil {
		return "", err
	}
	defer c.Close()
	st, err := c.Status(ctx)
	if err != nil {
		return "", err
	}
	up := 0
	for _, m := range st.Members {
		if m.Up {
			up++
		}
	}
	if up < want {
		return "", fmt.Errorf("node %s sees %d of %d members up", st.Node, up, want)
	}
	return fmt.Sprintf("node %s sees %d members up", st.Node, up), nil
}

func jetStreamReady(ctx context.Context, url string) (string, error) {
	nc, err := nats.Connect(url, nats.MaxReconnects(0))
	if err != nil {
		return "", err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return "", err
	}
	if _, err := js.AccountInfo(ctx); err != nil {
		return "", err
	}
	return "JetStream ready", nil
}

func natsReady(_ context.Context, url string) (string, error) {
	nc, err := nats.Connect(url, nats.MaxReconnects(0))
	if err != nil {
		return "", err
	}
	defer nc.Close()
	return "connected to " + nc.ConnectedServerName(), nc.Flush()
}
