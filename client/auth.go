package client

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/nats-io/nats.go"
)

// authConfig is what the credential and TLS options collected. Every field
// may be empty: an empty one adds nothing, so that a command line can pass
// its flags through unconditionally.
type authConfig struct {
	user, password string
	credsFile      string
	nkeyFile       string
	caFile         string
	certFile       string
	keyFile        string
}

// WithUserPassword authenticates with a user name and password (a NATS
// authorization user). An empty user adds nothing.
func WithUserPassword(user, password string) ConnectOption {
	return func(c *clientConfig) { c.auth.user, c.auth.password = user, password }
}

// WithCredsFile authenticates with a NATS credentials file (a user JWT and
// its nkey seed, as nsc writes them). An empty path adds nothing.
func WithCredsFile(path string) ConnectOption {
	return func(c *clientConfig) { c.auth.credsFile = path }
}

// WithNKeyFile authenticates with the nkey seed in file path (the seed
// signs the server's challenge; the server knows the public key). An empty
// path adds nothing.
func WithNKeyFile(path string) ConnectOption {
	return func(c *clientConfig) { c.auth.nkeyFile = path }
}

// WithTLSFiles connects over TLS. caFile (PEM) is the authority that signed
// the server's certificate; empty means the system's roots. certFile and
// keyFile (PEM) are the client certificate and its key, for servers that
// verify clients; give both or neither. With all three empty it adds
// nothing, and the connection uses TLS only if the URL says tls://.
func WithTLSFiles(caFile, certFile, keyFile string) ConnectOption {
	return func(c *clientConfig) { c.auth.caFile, c.auth.certFile, c.auth.keyFile = caFile, certFile, keyFile }
}

// natsOptions checks the files the options name and turns them into NATS
// options. A file that cannot be read or parsed fails here, naming it,
// rather than as a connection failure.
func (a authConfig) natsOptions() ([]nats.Option, error) {
	var opts []nats.Option
	if a.user != "" {
		opts = append(opts, nats.UserInfo(a.user, a.password))
	}
	if a.credsFile != "" {
		if _, err := os.Stat(a.credsFile); err != nil {
			return nil, fmt.Errorf("credentials file: %w", err)
		}
		opts = append(opts, nats.UserCredentials(a.credsFile))
	}
	if a.nkeyFile != "" {
		o, err := nats.NkeyOptionFromSeed(a.nkeyFile)
		if err != nil {
			return nil, fmt.Errorf("nkey file %s: %w", a.nkeyFile, cleanNATS(err))
		}
		opts = append(opts, o)
	}
	tlsOpts, err := a.tlsOptions()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTLS, err)
	}
	return append(opts, tlsOpts...), nil
}

func (a authConfig) tlsOptions() ([]nats.Option, error) {
	var opts []nats.Option
	if a.caFile != "" {
		pem, err := os.ReadFile(a.caFile)
		if err != nil {
			return nil, fmt.Errorf("CA file: %w", err)
		}
		if !x509.NewCertPool().AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s: no PEM certificate in it", a.caFile)
		}
		opts = append(opts, nats.RootCAs(a.caFile))
	}
	switch {
	case a.certFile == "" && a.keyFile == "":
	case a.certFile == "" || a.keyFile == "":
		return nil, errors.New("a client certificate needs both a certificate file and a key file")
	default:
		if _, err := tls.LoadX509KeyPair(a.certFile, a.keyFile); err != nil {
			return nil, fmt.Errorf("client certificate %s with key %s: %w", a.certFile, a.keyFile, err)
		}
		opts = append(opts, nats.ClientCert(a.certFile, a.keyFile))
	}
	return opts, nil
}

// connectError says in one line why Connect failed: the server refused the
// credentials (ErrAuthFailed), TLS failed (ErrTLS, "tls: ..."), or no server
// could be reached (ErrNoServers).
func connectError(url string, err error) error {
	switch {
	case errors.Is(err, nats.ErrAuthorization), errors.Is(err, nats.ErrAuthExpired),
		errors.Is(err, nats.ErrAuthRevoked), errors.Is(err, nats.ErrAccountAuthExpired):
		return quiet(fmt.Sprintf("%v: the server at %s refused the credentials", ErrAuthFailed, url), ErrAuthFailed, err)
	case isTLSError(err):
		return quiet(fmt.Sprintf("%v: connect to %s: %s", ErrTLS, url, tlsReason(err)), ErrTLS, err)
	case errors.Is(err, nats.ErrNoServers):
		return quiet(fmt.Sprintf("%v: cannot connect to %s", ErrNoServers, url), ErrNoServers, err)
	}
	return quiet(fmt.Sprintf("connect to %s: %v", url, cleanNATS(err)), err)
}

// isTLSError reports whether a connection failed in TLS: a certificate the
// client does not trust, a handshake the server refused (a missing client
// certificate, say), or one side wanting TLS and the other not.
func isTLSError(err error) bool {
	var (
		verify    *tls.CertificateVerificationError
		alert     tls.AlertError
		record    tls.RecordHeaderError
		authority x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	switch {
	case errors.Is(err, nats.ErrTLS), errors.Is(err, nats.ErrSecureConnRequired), errors.Is(err, nats.ErrSecureConnWanted),
		errors.As(err, &verify), errors.As(err, &alert), errors.As(err, &record),
		errors.As(err, &authority), errors.As(err, &hostname), errors.As(err, &invalid):
		return true
	}
	// A TLS alert from the server arrives as a *net.OpError whose text is
	// "remote error: tls: ...".
	var op *net.OpError
	return errors.As(err, &op) && strings.Contains(op.Err.Error(), "tls:")
}

// tlsReason is the TLS failure without the "tls:" and "nats:" prefixes the
// libraries add, so that ErrTLS's own prefix is the only one.
func tlsReason(err error) string {
	switch {
	case errors.Is(err, nats.ErrSecureConnRequired):
		return "the server requires TLS (give a CA file, or use a tls:// URL)"
	case errors.Is(err, nats.ErrSecureConnWanted):
		return "the server does not offer TLS"
	case strings.Contains(err.Error(), "closed by remote after TLS handshake"):
		return "the server closed the connection after the TLS handshake: it wants a client certificate " +
			"and got none, or one it does not trust"
	}
	s := cleanNATS(err).Error()
	if i := strings.Index(s, "remote error: tls: "); i >= 0 {
		// The server's alert: what it did not like about this client.
		return "the server refused the TLS handshake: " + s[i+len("remote error: tls: "):]
	}
	for _, p := range []string{"tls error: ", "tls: "} {
		if i := strings.Index(s, p); i >= 0 {
			s = s[:i] + s[i+len(p):]
		}
	}
	return s
}

// quietError reads msg and is each of errs for errors.Is and errors.As: it
// keeps the cause without printing the library's own wording.
type quietError struct {
	msg  string
	errs []error
}

func quiet(msg string, errs ...error) error { return &quietError{msg: msg, errs: errs} }

func (e *quietError) Error() string   { return e.msg }
func (e *quietError) Unwrap() []error { return e.errs }

// cleanNATS drops the "nats: " prefix that nats.go puts on its errors.
func cleanNATS(err error) error {
	if s, ok := strings.CutPrefix(err.Error(), "nats: "); ok {
		return errors.New(s)
	}
	return err
}
