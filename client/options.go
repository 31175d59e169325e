package client

import (
	"math"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/quorumkv/quorumkv/messages"
)

// Option adjusts one call. Options that do not apply to a call are ignored:
// Get sends R, Put and Delete send W; WithCausalContext applies to Put and
// Delete; WithContentType to Put; WithMaxAttempts to Update.
type Option func(*callOptions)

// callOptions are the per-call settings the Options fill in.
type callOptions struct {
	r, w        int
	namespace   string
	token       string
	contentType string
	timeout     time.Duration
	quorum      messages.Quorum
	node        string
	attempts    int
}

// ViaNode sends a Get, Put, Delete or Status to node id, instead of the
// node embedding the connected server (or any node). For ring-aware
// routing, tests and operators; if that node is down the call fails with
// ErrNoServers.
func ViaNode(id string) Option { return func(o *callOptions) { o.node = id } }

// WithR sets the read quorum: how many replicas must answer a Get. 0 (the
// default) means the namespace's R; a negative n is ErrInvalidArgument; the
// node rejects an R above the namespace's N.
func WithR(n int) Option { return func(o *callOptions) { o.r = n } }

// WithW sets the write quorum: how many replicas must durably acknowledge a
// Put or Delete. 0 (the default) means the namespace's W.
func WithW(n int) Option { return func(o *callOptions) { o.w = n } }

// WithNamespace selects the namespace; the default is "default".
func WithNamespace(ns string) Option { return func(o *callOptions) { o.namespace = ns } }

// WithCausalContext sends the causal context token of a previous Get
// (Result.Context) with a Put or Delete, which then supersedes exactly the
// values that Get saw. Without it a Put is a blind write and becomes a
// sibling of any concurrent value (in siblings mode). The token is opaque:
// send it back as it came.
func WithCausalContext(token string) Option { return func(o *callOptions) { o.token = token } }

// WithContext is WithCausalContext.
//
// Deprecated: use WithCausalContext; the name clashed with Go's
// context.Context, which every call takes as its first argument.
func WithContext(token string) Option { return WithCausalContext(token) }

// WithMaxAttempts bounds how many times Update reads, calls its function
// and writes before it gives up with ErrConflict. 0 means
// DefaultUpdateAttempts; a negative n is ErrInvalidArgument.
func WithMaxAttempts(n int) Option { return func(o *callOptions) { o.attempts = n } }

// WithContentType labels the value of a Put, e.g. "application/json". The
// store keeps it and returns it with the value; it never interprets it.
func WithContentType(ct string) Option { return func(o *callOptions) { o.contentType = ct } }

// WithTimeout sets the server-side timeout: how long the coordinating node
// waits for the quorum before answering ERROR_CODE_TIMEOUT. The client waits
// a little longer than d so that the node's answer, not a client-side
// timeout, reports what happened. 0 means the default: the time left before
// ctx's deadline, less a small margin, if ctx has one; otherwise the client's
// default timeout (5s unless WithDefaultTimeout). A ctx deadline that comes
// before d wins in the same way. A negative d is ErrInvalidArgument. The
// node sees milliseconds, rounded up.
func WithTimeout(d time.Duration) Option { return func(o *callOptions) { o.timeout = d } }

// Strict counts only the N home replicas toward R and W.
func Strict() Option { return func(o *callOptions) { o.quorum = messages.Quorum_QUORUM_STRICT } }

// Sloppy lets fallback replicas count toward R and W when home replicas are
// down, so that writes stay available. It is the namespace default.
func Sloppy() Option { return func(o *callOptions) { o.quorum = messages.Quorum_QUORUM_SLOPPY } }

func applyOptions(opts []Option) callOptions {
	var o callOptions
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}

// check does the server's cheap checks on the options, so that an obviously
// wrong call fails without touching the network.
func (o *callOptions) check() error {
	const code = messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT
	switch {
	case o.r < 0 || int64(o.r) > math.MaxUint32:
		return invalid(code, "R must be 0 (namespace default) or positive, not %d", o.r)
	case o.w < 0 || int64(o.w) > math.MaxUint32:
		return invalid(code, "W must be 0 (namespace default) or positive, not %d", o.w)
	case o.timeout < 0:
		return invalid(code, "timeout must not be negative, not %v", o.timeout)
	case o.attempts < 0:
		return invalid(code, "max attempts must be 0 (default) or positive, not %d", o.attempts)
	}
	return nil
}

// wire is the RequestOptions of a call with server-side timeout t. Only the
// quorum the operation uses is sent: R for a read, W for a write.
func (o *callOptions) wire(read bool, t time.Duration) *messages.RequestOptions {
	ro := &messages.RequestOptions{TimeoutMs: millis(t), Quorum: o.quorum}
	if read {
		ro.R = uint32(o.r)
	} else {
		ro.W = uint32(o.w)
	}
	return ro
}

// millis is d in whole milliseconds, rounded up, at least 1 and at most
// MaxUint32.
func millis(d time.Duration) uint32 {
	ms := (d + time.Millisecond - 1) / time.Millisecond
	switch {
	case ms < 1:
		return 1
	case ms > math.MaxUint32:
		return math.MaxUint32
	}
	return uint32(ms)
}

// ConnectOption configures a Client at Connect or New.
type ConnectOption func(*clientConfig)

type clientConfig struct {
	natsOptions []nats.Option
	timeout     time.Duration
	anyNode     bool
	// auth holds the credentials and TLS files; Connect checks and applies
	// them.
	auth authConfig
}

// DefaultTimeout is the server-side timeout of a call whose ctx has no
// deadline and that sets no WithTimeout. Five seconds is long enough for a
// quorum across a loaded cluster and short enough that a client notices a
// partition quickly.
const DefaultTimeout = 5 * time.Second

// WithNATSOptions adds options to the NATS connection that Connect dials
// (credentials, TLS, handlers). They come after the client's own
// (a name and unlimited reconnects), so they can override them. New ignores
// them: the caller dialed its connection.
func WithNATSOptions(opts ...nats.Option) ConnectOption {
	return func(c *clientConfig) { c.natsOptions = append(c.natsOptions, opts...) }
}

// WithAnyNode lets NATS pick any node to coordinate each call (the queue
// group). By default a client sends key operations to the node that embeds
// the NATS server it is connected to, saving two route hops a call, and
// falls back to any node when that server embeds none.
func WithAnyNode() ConnectOption { return func(c *clientConfig) { c.anyNode = true } }

// WithDefaultTimeout replaces DefaultTimeout for this client. d <= 0 keeps
// DefaultTimeout.
func WithDefaultTimeout(d time.Duration) ConnectOption {
	return func(c *clientConfig) {
		if d > 0 {
			c.timeout = d
		}
	}
}
