package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"
)

// Client talks to a quorumkv cluster over one NATS connection. It is safe
// for concurrent use; every call shares the connection, and nothing in a
// Client changes after it is made.
type Client struct {
	nc *nats.Conn
	// owned is true when Connect dialed nc, so Close closes it.
	owned bool
	// timeout is the server-side timeout of a call with neither a ctx
	// deadline nor WithTimeout.
	timeout time.Duration
}

// ClientName is the NATS connection name Connect gives, visible in the
// server's connection list.
const ClientName = "quorumkv-client"

// Connect dials NATS at url (one URL or a comma-separated list) and returns
// a Client that owns the connection. The connection reconnects forever; a
// call made while it is reconnecting waits for its timeout. Connect fails
// with ErrNoServers when no server can be reached.
func Connect(url string, opts ...ConnectOption) (*Client, error) {
	cfg := newConfig(opts)
	natsOpts := make([]nats.Option, 0, 2+len(cfg.natsOptions))
	natsOpts = append(natsOpts, nats.Name(ClientName), nats.MaxReconnects(-1))
	natsOpts = append(natsOpts, cfg.natsOptions...)
	nc, err := nats.Connect(url, natsOpts...)
	if err != nil {
		if errors.Is(err, nats.ErrNoServers) {
			return nil, fmt.Errorf("%w: connect to %s: %w", ErrNoServers, url, err)
		}
		return nil, fmt.Errorf("connect to %s: %w", url, err)
	}
	return &Client{nc: nc, owned: true, timeout: cfg.timeout}, nil
}

// New wraps a connection the caller owns: Close leaves it open. Only
// WithDefaultTimeout has an effect here.
func New(nc *nats.Conn, opts ...ConnectOption) *Client {
	cfg := newConfig(opts)
	return &Client{nc: nc, timeout: cfg.timeout}
}

func newConfig(opts []ConnectOption) clientConfig {
	cfg := clientConfig{timeout: DefaultTimeout}
	for _, opt := range opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	return cfg
}

// Close closes the connection if Connect dialed it. Calls made after Close
// fail with ErrNoServers.
func (c *Client) Close() {
	if c.owned {
		c.nc.Close()
	}
}

// The client waits a grace period longer than the server-side timeout, so
// that the node's TIMEOUT or QUORUM_UNAVAILABLE answer arrives before the
// client gives up: a tenth of the timeout, at least minGrace (a round trip
// on a loaded LAN) and at most maxGrace (a slow cross-region round trip).
const (
	minGrace = 10 * time.Millisecond
	maxGrace = time.Second
)

func grace(d time.Duration) time.Duration {
	return min(max(d/10, minGrace), maxGrace)
}

// budget returns the server-side timeout to send and how long to wait for
// the answer. asked is the WithTimeout value (0 if none). With a ctx
// deadline and no WithTimeout, the node gets the time left less a grace
// period, so that its answer still arrives before ctx ends.
func (c *Client) budget(ctx context.Context, asked time.Duration) (server, wait time.Duration) {
	if asked > 0 {
		return asked, asked + grace(asked)
	}
	if deadline, ok := ctx.Deadline(); ok {
		left := time.Until(deadline)
		return max(left-grace(left), time.Millisecond), left
	}
	return c.timeout, c.timeout + grace(c.timeout)
}

// begin does the checks every call makes before it touches the network.
func begin(ctx context.Context, subject string) error {
	if ctx == nil {
		return errNilContext
	}
	if ctx.Err() != nil {
		return ctxError(ctx, subject)
	}
	return nil
}

// call sends req on subject, waits at most wait for the answer and decodes
// it into resp. It does not look at resp's error field.
func (c *Client) call(ctx context.Context, subject string, req, resp proto.Message, wait time.Duration) error {
	data, err := proto.Marshal(req)
	if err != nil {
		return fmt.Errorf("%s: encode request: %w", subject, err)
	}
	m, err := c.request(ctx, subject, data, wait)
	if err != nil {
		return c.transportError(ctx, subject, err)
	}
	if err := proto.Unmarshal(m.Data, resp); err != nil {
		return fmt.Errorf("%s: %w: undecodable response: %w", subject, ErrInternal, err)
	}
	return nil
}

// request is one NATS request-reply bounded by ctx and by wait. It makes
// no goroutine, and a derived context only when ctx can be cancelled and
// outlives wait.
func (c *Client) request(ctx context.Context, subject string, data []byte, wait time.Duration) (*nats.Msg, error) {
	if ctx.Done() == nil {
		return c.nc.Request(subject, data, wait)
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= wait {
		return c.nc.RequestWithContext(ctx, subject, data)
	}
	bounded, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	return c.nc.RequestWithContext(bounded, subject, data)
}
