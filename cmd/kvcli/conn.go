package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/quorumkv/quorumkv/client"
)

// This file is the one place that turns kvcli's connection flags into a
// NATS connection, and the NATS connection's refusals into one line in the
// user's terms: kvcli dials NATS itself and hands the connection to the SDK
// (client.New), so that it can read the connection's limits and see the
// server's permission errors.

// conn holds the connection flags, each also read from an environment
// variable (spelled as the nats CLI spells them) when the flag is not
// given.
type conn struct {
	server   string
	timeout  time.Duration
	user     string
	password string
	creds    string // a .creds file (JWT and seed)
	nkey     string // an nkey seed file
	tlsCA    string
	tlsCert  string
	tlsKey   string
}

// connEnv names the environment variable of each connection flag.
var connEnv = map[string]string{
	"server": serverEnv, "user": "NATS_USER", "password": "NATS_PASSWORD", "creds": "NATS_CREDS",
	"nkey": "NATS_NKEY", "tls-ca": "NATS_CA", "tls-cert": "NATS_CERT", "tls-key": "NATS_KEY",
}

// fromEnv fills the fields whose flag was not given from the environment.
func (c *conn) fromEnv(given func(flag string) bool, getenv func(string) string) {
	for flag, field := range map[string]*string{
		"server": &c.server, "user": &c.user, "password": &c.password, "creds": &c.creds,
		"nkey": &c.nkey, "tls-ca": &c.tlsCA, "tls-cert": &c.tlsCert, "tls-key": &c.tlsKey,
	} {
		if !given(flag) {
			if v := getenv(connEnv[flag]); v != "" {
				*field = v
			}
		}
	}
	if c.server == "" {
		c.server = defaultServer
	}
}

// check rejects combinations that cannot work, before anything is dialed.
func (c *conn) check(cmd string) error {
	switch {
	case c.timeout <= 0:
		return usageErrorf(cmd, "--timeout must be positive")
	case (c.tlsCert == "") != (c.tlsKey == ""):
		return usageErrorf(cmd, "--tls-cert and --tls-key go together (or $NATS_CERT and $NATS_KEY)")
	case c.password != "" && c.user == "":
		return usageErrorf(cmd, "--password needs --user (or $NATS_USER)")
	case c.creds != "" && c.nkey != "":
		return usageErrorf(cmd, "--creds and --nkey exclude each other")
	}
	return nil
}

// natsOptions are the NATS options of the flags. guard hears the
// connection's asynchronous errors.
func (c *conn) natsOptions(g *guard) ([]nats.Option, error) {
	opts := []nats.Option{nats.Name("kvcli"), nats.Timeout(c.timeout), nats.ErrorHandler(g.onError)}
	for flag, path := range map[string]string{"creds": c.creds, "nkey": c.nkey, "tls-ca": c.tlsCA,
		"tls-cert": c.tlsCert, "tls-key": c.tlsKey} {
		if path == "" {
			continue
		}
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("--%s: cannot read %s: %w", flag, path, errors.Unwrap(err))
		}
	}
	if c.user != "" {
		opts = append(opts, nats.UserInfo(c.user, c.password))
	}
	if c.creds != "" {
		opts = append(opts, nats.UserCredentials(c.creds))
	}
	if c.nkey != "" {
		o, err := nats.NkeyOptionFromSeed(c.nkey)
		if err != nil {
			return nil, fmt.Errorf("--nkey: %s holds no nkey seed: %w", c.nkey, err)
		}
		opts = append(opts, o)
	}
	if c.tlsCA != "" {
		opts = append(opts, nats.RootCAs(c.tlsCA))
	}
	if c.tlsCert != "" {
		opts = append(opts, nats.ClientCert(c.tlsCert, c.tlsKey))
	}
	return opts, nil
}

// Kinds of refused connections and requests.
var (
	errAuthFailed       = errors.New("authentication failed")
	errTLSFailed        = errors.New("TLS failed")
	errPermissionDenied = errors.New("permission denied")
)

// dialSDK connects to the cluster as the flags say.
func dialSDK(c conn) (store, error) {
	g := &guard{calls: map[int]context.CancelCauseFunc{}}
	opts, err := c.natsOptions(g)
	if err != nil {
		return nil, err
	}
	nc, err := nats.Connect(c.server, opts...)
	if err != nil {
		return nil, connectError(c.server, err)
	}
	return &sdkStore{c: client.New(nc, client.WithDefaultTimeout(c.timeout)), nc: nc, g: g}, nil
}

// connectError says why a connection was refused, in one line.
func connectError(server string, err error) error {
	var unknownCA x509.UnknownAuthorityError
	var badHost x509.HostnameError
	var badCert x509.CertificateInvalidError
	msg := strings.TrimPrefix(err.Error(), "nats: ")
	switch {
	case errors.Is(err, nats.ErrAuthorization), errors.Is(err, nats.ErrAuthExpired),
		errors.Is(err, nats.ErrAuthRevoked), errors.Is(err, nats.ErrAccountAuthExpired):
		return fmt.Errorf("%w: %s refused the credentials (%s); check --user/--password, --creds or --nkey",
			errAuthFailed, server, msg)
	case errors.Is(err, nats.ErrSecureConnRequired):
		return fmt.Errorf("%w: %s requires TLS; use a tls:// URL and --tls-ca", errTLSFailed, server)
	case errors.Is(err, nats.ErrSecureConnWanted):
		return fmt.Errorf("%w: %s does not offer TLS; use a nats:// URL", errTLSFailed, server)
	case errors.As(err, &unknownCA), errors.As(err, &badHost), errors.As(err, &badCert),
		strings.Contains(msg, "tls:"), strings.Contains(msg, "x509:"), strings.Contains(msg, "certificate"):
		hint := ""
		if errors.As(err, &unknownCA) || strings.Contains(msg, "unknown authority") {
			hint = " (hint: --tls-ca names the CA that signed the server's certificate)"
		}
		return fmt.Errorf("%w: %s: %s%s", errTLSFailed, server, msg, hint)
	case errors.Is(err, nats.ErrNoServers):
		return fmt.Errorf("%w: cannot connect to %s", client.ErrNoServers, server)
	}
	return fmt.Errorf("cannot connect to %s: %s", server, msg)
}

// guard fails the calls under way when the server reports a permission
// violation: NATS reports it asynchronously, and a request it refused
// would otherwise wait for its timeout.
type guard struct {
	// mu guards next and calls.
	mu    sync.Mutex
	next  int
	calls map[int]context.CancelCauseFunc
}

// permissionsRe finds the subject in a server's permissions violation.
var permissionsRe = regexp.MustCompile(`(?i)permissions violation for (publish|subscription) to "?([^"\s]+)"?`)

func (g *guard) onError(_ *nats.Conn, _ *nats.Subscription, err error) {
	if !errors.Is(err, nats.ErrPermissionViolation) {
		return
	}
	cause := fmt.Errorf("%w: this user may not use %s", errPermissionDenied, "the subject")
	if m := permissionsRe.FindStringSubmatch(err.Error()); m != nil {
		verb := "publish to"
		if strings.EqualFold(m[1], "subscription") {
			verb = "subscribe to"
		}
		cause = fmt.Errorf("%w: this user may not %s %s", errPermissionDenied, verb, m[2])
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, cancel := range g.calls {
		cancel(cause)
	}
}

// watch returns a ctx for one call that ends on a permission violation,
// and the function that ends the watch and explains the call's error.
func (g *guard) watch(ctx context.Context) (context.Context, func(error) error) {
	ctx, cancel := context.WithCancelCause(ctx)
	g.mu.Lock()
	id := g.next
	g.next++
	g.calls[id] = cancel
	g.mu.Unlock()
	return ctx, func(err error) error {
		g.mu.Lock()
		delete(g.calls, id)
		g.mu.Unlock()
		cause := context.Cause(ctx)
		cancel(nil)
		if err != nil && errors.Is(cause, errPermissionDenied) {
			return cause
		}
		return err
	}
}
