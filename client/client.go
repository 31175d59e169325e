package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	"github.com/quorumkv/quorumkv/messages"
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
	// anyNode turns off routing key calls to the node that embeds the NATS
	// server this client is connected to.
	anyNode bool

	mu sync.Mutex
	// notNodes are server names found to be no quorumkv node (a plain NATS
	// server): calls through them use the shared subjects.
	notNodes map[string]bool

	// denials fails requests on subjects NATS refuses to this client.
	denials denials
	// limits remembers the value limit learned from a node.
	limits valueLimit
}

// ClientName is the NATS connection name Connect gives, visible in the
// server's connection list.
const ClientName = "quorumkv-client"

// Connect dials NATS at url (one URL or a comma-separated list) and returns
// a Client that owns the connection. The connection reconnects forever: a
// call made while it is reconnecting is buffered and sent on reconnection,
// or fails with ErrTimeout (and ErrNoServers) if that does not happen in
// time. Connect fails with ErrNoServers when no server can be reached,
// ErrAuthFailed when the server refuses the credentials, and ErrTLS when
// TLS fails or a TLS file does not load.
func Connect(url string, opts ...ConnectOption) (*Client, error) {
	cfg := newConfig(opts)
	authOpts, err := cfg.auth.natsOptions()
	if err != nil {
		return nil, err
	}
	natsOpts := make([]nats.Option, 0, 3+len(authOpts)+len(cfg.natsOptions))
	natsOpts = append(natsOpts, nats.Name(ClientName), nats.MaxReconnects(-1), nats.ErrorHandler(logAsyncError))
	natsOpts = append(natsOpts, authOpts...)
	natsOpts = append(natsOpts, cfg.natsOptions...)
	nc, err := nats.Connect(url, natsOpts...)
	if err != nil {
		return nil, connectError(url, err)
	}
	c := &Client{nc: nc, owned: true, timeout: cfg.timeout, anyNode: cfg.anyNode}
	c.installErrorHandler()
	return c, nil
}

// New wraps a connection the caller owns: Close leaves it open. Only
// WithDefaultTimeout and WithAnyNode have an effect here. New puts an error
// handler in front of nc's (which still gets every error), so that a
// request NATS refuses fails at once with ErrPermissionDenied; a handler
// the caller sets on nc later replaces it.
func New(nc *nats.Conn, opts ...ConnectOption) *Client {
	cfg := newConfig(opts)
	c := &Client{nc: nc, timeout: cfg.timeout, anyNode: cfg.anyNode}
	c.installErrorHandler()
	return c
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

// Close closes the connection if Connect dialed it; calls made after that
// fail with ErrNoServers. For a Client made by New it does nothing.
func (c *Client) Close() {
	if c.owned {
		c.nc.Close()
	}
}

// The client waits a grace period longer than the server-side timeout, so
// that the node's TIMEOUT or QUORUM_UNAVAILABLE answer arrives before the
// client gives up: a tenth of the timeout, at least minGrace (a few round
// trips on a loaded LAN, plus scheduling delay on a busy node) and at most
// maxGrace (a slow cross-region round trip).
const (
	minGrace = 50 * time.Millisecond
	maxGrace = time.Second
)

func grace(d time.Duration) time.Duration {
	return min(max(d/10, minGrace), maxGrace)
}

// budget returns the server-side timeout to send and how long to wait for
// the answer. asked is the WithTimeout value (0 if none). When ctx's
// deadline comes first, or there is no WithTimeout, the node gets the time
// left before the deadline less a grace period (at most half of it), so
// that its answer still arrives before ctx ends.
func (c *Client) budget(ctx context.Context, asked time.Duration) (server, wait time.Duration) {
	server = asked
	if server == 0 {
		server = c.timeout
	}
	wait = server + grace(server)
	if deadline, ok := ctx.Deadline(); ok {
		if left := time.Until(deadline); asked == 0 || left < wait {
			g := min(grace(left), left/2)
			return max(left-g, time.Millisecond), left
		}
	}
	return server, wait
}

// begin does the checks every call makes before it touches the network.
func begin(ctx context.Context, subject string) error {
	if ctx == nil {
		return invalid(messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, "nil context.Context")
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
		return c.transportError(ctx, subject, wait, err)
	}
	// A node's answer never carries a NATS status; an empty payload is a
	// valid message (a Get that found nothing, a Delete that succeeded).
	if status := m.Header.Get("Status"); status != "" {
		return fmt.Errorf("%s: %w: NATS status %s %s", subject, ErrInternal, status, m.Header.Get("Description"))
	}
	if err := proto.Unmarshal(m.Data, resp); err != nil {
		return quiet(fmt.Sprintf("%s: %v: undecodable response", subject, ErrInternal), ErrInternal, err)
	}
	return nil
}

// request is one NATS request-reply bounded by ctx and by wait. It makes
// no goroutine.
func (c *Client) request(ctx context.Context, subject string, data []byte, wait time.Duration) (*nats.Msg, error) {
	// "No responders" means nothing was delivered, so a retry is always
	// safe; right after a node starts (or a client connects to another
	// server), its subscription may take a few milliseconds to reach every
	// server of the cluster. A few short retries ride that out.
	var m *nats.Msg
	var err error
	if !c.mayBeSpreading(subject) {
		return c.requestOnce(ctx, subject, data, wait)
	}
	for _, backoff := range noResponderBackoff {
		if m, err = c.requestOnce(ctx, subject, data, wait); !errors.Is(err, nats.ErrNoResponders) {
			return m, err
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return m, err
		}
	}
	return c.requestOnce(ctx, subject, data, wait)
}

// mayBeSpreading reports whether a subject's subscription may still be on
// its way to this client's server: a node addressed by name (API or admin)
// whose server is another one. The local node's subscriptions are on this
// very server, and "no responders" there means no node, at once.
func (c *Client) mayBeSpreading(subject string) bool {
	local := c.nc.ConnectedServerName()
	for _, prefix := range []string{"kv.api.node.", "kv.admin.node."} {
		if rest, ok := strings.CutPrefix(subject, prefix); ok {
			return !strings.HasPrefix(rest, local+".")
		}
	}
	return false
}

// noResponderBackoff is the wait before each retry of a request that met
// no responders: about 60 ms in all, past the 7 ms worst case of interest
// propagation between routed servers measured on a loaded machine.
var noResponderBackoff = []time.Duration{time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond,
	8 * time.Millisecond, 16 * time.Millisecond, 32 * time.Millisecond}

// requestOnce is one NATS request bounded by ctx and wait, which fails at
// once with ErrPermissionDenied if NATS refuses its subject.
func (c *Client) requestOnce(ctx context.Context, subject string, data []byte, wait time.Duration) (*nats.Msg, error) {
	wctx, done, err := c.denials.watch(ctx, subject)
	if err != nil {
		return nil, err
	}
	defer done()
	if deadline, ok := ctx.Deadline(); !ok || time.Until(deadline) > wait {
		var cancel context.CancelFunc
		wctx, cancel = context.WithTimeout(wctx, wait)
		defer cancel()
	}
	m, err := c.nc.RequestWithContext(wctx, subject, data)
	if err != nil {
		if cause := context.Cause(wctx); errors.Is(cause, ErrPermissionDenied) {
			return nil, cause
		}
	}
	return m, err
}

// route picks the subject of a key operation: the node named by ViaNode;
// else the node that embeds the NATS server this client is connected to,
// which saves the two route hops a queue-group delivery to another node
// costs; else the shared subject, where NATS picks any node. It returns the
// local node's name when it chose that node.
func (c *Client) route(o *callOptions, shared, op string) (subject, local string) {
	if o.node != "" {
		return messages.NodeAPISubject(o.node, op), ""
	}
	if c.anyNode {
		return shared, ""
	}
	name := c.nc.ConnectedServerName()
	if !validNodeName(name) {
		return shared, ""
	}
	c.mu.Lock()
	skip := c.notNodes[name]
	c.mu.Unlock()
	if skip {
		return shared, ""
	}
	return messages.NodeAPISubject(name, op), name
}

// callKey is call for a key operation, routed by route. When the local
// server turns out to embed no node (no responders), or this client may
// not publish on the node's own subjects (permissions that grant only the
// shared ones), nothing was delivered, so nothing can have happened: that
// server is remembered and the call goes to the shared subject instead.
func (c *Client) callKey(ctx context.Context, o *callOptions, shared, op string, req, resp proto.Message, wait time.Duration) error {
	subject, local := c.route(o, shared, op)
	err := c.call(ctx, subject, req, resp, wait)
	if local != "" && (errors.Is(err, ErrNoServers) && c.nc.IsConnected() || errors.Is(err, ErrPermissionDenied)) {
		c.mu.Lock()
		if c.notNodes == nil {
			c.notNodes = map[string]bool{}
		}
		c.notNodes[local] = true
		c.mu.Unlock()
		return c.call(ctx, shared, req, resp, wait)
	}
	return err
}

// validNodeName mirrors the node id rule: a NATS subject token.
func validNodeName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}
