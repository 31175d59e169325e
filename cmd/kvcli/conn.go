package main

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/quorumkv/quorumkv/client"
)

// This file is the one place that turns kvcli's connection flags into the
// SDK's connect options, and a refused connection into one line in the
// user's terms.

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

// connectOptions are the SDK's options for the flags. An empty flag adds
// nothing. Asynchronous NATS errors are not printed: the SDK turns the
// ones that matter (permission violations) into the failure of the call
// they concern.
func (c *conn) connectOptions() []client.ConnectOption {
	return []client.ConnectOption{
		client.WithDefaultTimeout(c.timeout),
		client.WithUserPassword(c.user, c.password),
		client.WithCredsFile(c.creds),
		client.WithNKeyFile(c.nkey),
		client.WithTLSFiles(c.tlsCA, c.tlsCert, c.tlsKey),
		client.WithNATSOptions(nats.Name("kvcli"), nats.Timeout(c.timeout),
			nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {})),
	}
}

// checkFiles names the flag of a file that cannot be read, before the SDK
// reads it.
func (c *conn) checkFiles() error {
	for _, f := range []struct{ flag, path string }{{"creds", c.creds}, {"nkey", c.nkey},
		{"tls-ca", c.tlsCA}, {"tls-cert", c.tlsCert}, {"tls-key", c.tlsKey}} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			return fmt.Errorf("--%s: cannot read %s: %w", f.flag, f.path, errors.Unwrap(err))
		}
	}
	return nil
}

// dialSDK connects to the cluster as the flags say.
func dialSDK(c conn) (store, error) {
	if err := c.checkFiles(); err != nil {
		return nil, err
	}
	sc, err := client.Connect(c.server, c.connectOptions()...)
	if err != nil {
		return nil, connectError(c.server, err)
	}
	return &sdkStore{c: sc}, nil
}

// connectError puts a refused connection in kvcli's terms, with a hint
// naming the flags that would fix it. It keeps err's kind for errors.Is.
func connectError(server string, err error) error {
	switch {
	case errors.Is(err, client.ErrAuthFailed):
		reason := natsReason(err, client.ErrAuthFailed)
		if reason != "" {
			reason = " (" + reason + ")"
		}
		return &reworded{fmt.Sprintf("%v: %s refused the credentials%s; check --user/--password, --creds or --nkey",
			client.ErrAuthFailed, server, reason), err}
	case errors.Is(err, client.ErrTLS):
		msg := "TLS failed: " + strings.TrimPrefix(err.Error(), client.ErrTLS.Error()+": ")
		var unknownCA x509.UnknownAuthorityError
		switch {
		case errors.As(err, &unknownCA), strings.Contains(msg, "unknown authority"):
			msg += " (hint: --tls-ca names the CA that signed the server's certificate)"
		case errors.Is(err, nats.ErrSecureConnRequired):
			msg += " (hint: use a tls:// URL and --tls-ca)"
		case errors.Is(err, nats.ErrSecureConnWanted):
			msg += " (hint: use a nats:// URL, without --tls-ca, --tls-cert or --tls-key)"
		}
		return &reworded{msg, err}
	}
	return err
}

// natsReason is NATS's own words for a refusal that the SDK wrapped with
// sentinel, or "" if it kept none.
func natsReason(err, sentinel error) string {
	if multi, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range multi.Unwrap() {
			if e != sentinel {
				return strings.TrimPrefix(e.Error(), "nats: ")
			}
		}
	}
	return ""
}

// reworded is err in kvcli's words.
type reworded struct {
	msg string
	err error
}

func (r *reworded) Error() string { return r.msg }
func (r *reworded) Unwrap() error { return r.err }
