package client_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/quorumkv/quorumkv/client"
)

// The users of the secured fake: an application that may use kv.api.>
// only, an operator that may do anything, and a user that may publish
// requests but not subscribe to their replies.
func securedUsers() []*server.User {
	allowAll := &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: []string{">"}},
		Subscribe: &server.SubjectPermission{Allow: []string{">"}},
	}
	return []*server.User{
		{Username: "app", Password: "app-secret", Permissions: &server.Permissions{
			Publish:   &server.SubjectPermission{Allow: []string{"kv.api.>"}},
			Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>"}},
		}},
		{Username: "admin", Password: "admin-secret", Permissions: allowAll},
		{Username: "narrow", Password: "narrow-secret", Permissions: &server.Permissions{
			Publish:   &server.SubjectPermission{Allow: []string{"kv.api.get", "kv.api.put", "kv.api.delete"}},
			Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>"}},
		}},
		{Username: "deaf", Password: "deaf-secret", Permissions: &server.Permissions{
			Publish:   &server.SubjectPermission{Allow: []string{"kv.api.>"}},
			Subscribe: &server.SubjectPermission{Deny: []string{">"}},
		}},
	}
}

func newSecuredFake(t *testing.T) *fakeNode {
	t.Helper()
	f, err := startFakeOn(&server.Options{Users: securedUsers()}, nats.UserInfo("admin", "admin-secret"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.stop)
	return f
}

func TestAuthFailed(t *testing.T) {
	f := newSecuredFake(t)
	for name, opts := range map[string][]client.ConnectOption{
		"no credentials": nil,
		"wrong password": {client.WithUserPassword("app", "guess")},
		"unknown user":   {client.WithUserPassword("mallory", "app-secret")},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := client.Connect(f.url, opts...)
			if !errors.Is(err, client.ErrAuthFailed) || !errors.Is(err, nats.ErrAuthorization) {
				t.Fatalf("err = %v, want ErrAuthFailed", err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "authentication failed: ") || strings.Contains(msg, "nats: ") {
				t.Fatalf("message %q, want it in the user's terms", msg)
			}
		})
	}
}

// A request on a subject the user may not publish to fails at once with
// ErrPermissionDenied naming the subject, not after its timeout.
func TestPermissionDenied(t *testing.T) {
	f := newSecuredFake(t)
	app := connectURL(t, f.url, client.WithUserPassword("app", "app-secret"), client.WithDefaultTimeout(20*time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	if _, err := app.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatalf("the app user may put: %v", err)
	}
	denied := map[string]struct {
		call    func() error
		subject string
	}{
		"create namespace": {func() error {
			_, err := app.CreateNamespace(ctx, client.Namespace{Name: "mine"})
			return err
		}, "kv.admin.ns.create"},
		"hints": {func() error { _, err := app.Hints(ctx, "n1"); return err }, "kv.admin.node.n1.hints"},
	}
	for name, tc := range denied {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			err := tc.call()
			if !errors.Is(err, client.ErrPermissionDenied) {
				t.Fatalf("err = %v, want ErrPermissionDenied", err)
			}
			if want := "permission denied: not allowed to publish to " + tc.subject; err.Error() != want {
				t.Fatalf("message %q, want %q", err, want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("took %v: the denial should end the call, not its timeout", d)
			}
		})
	}

	admin := connectURL(t, f.url, client.WithUserPassword("admin", "admin-secret"))
	if _, err := admin.CreateNamespace(ctx, client.Namespace{Name: "mine"}); err != nil {
		t.Fatalf("the admin user may create a namespace: %v", err)
	}
	// Many callers at once on allowed and denied subjects: each denial
	// reaches exactly the calls on its subject.
	errs := make(chan error, 20)
	for i := range 20 {
		go func() {
			if i%2 == 0 {
				_, err := app.Get(ctx, "k")
				errs <- err
				return
			}
			_, err := app.CreateNamespace(ctx, client.Namespace{Name: "mine"})
			if !errors.Is(err, client.ErrPermissionDenied) {
				err = errors.New("create namespace: " + errString(err))
			} else {
				err = nil
			}
			errs <- err
		}()
	}
	for range 20 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}

// A user granted only the shared key subjects, not the per-node ones the
// client prefers, still gets its calls through.
func TestPermissionsForTheSharedSubjectsOnly(t *testing.T) {
	f := newSecuredFake(t)
	c := connectURL(t, f.url, client.WithUserPassword("narrow", "narrow-secret"))
	ctx := context.Background()
	for range 2 {
		if _, err := c.Put(ctx, "k", []byte("v")); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Get(ctx, "k"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Status(ctx); !errors.Is(err, client.ErrPermissionDenied) ||
		err.Error() != "permission denied: not allowed to publish to kv.api.status" {
		t.Fatalf("Status: err = %v, want a denial naming kv.api.status", err)
	}
}

// A user that may not subscribe to the reply subject gets no answer ever;
// the call says why at once instead of timing out.
func TestReplySubjectDenied(t *testing.T) {
	f := newSecuredFake(t)
	c := connectURL(t, f.url, client.WithUserPassword("deaf", "deaf-secret"), client.WithDefaultTimeout(20*time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for range 2 {
		start := time.Now()
		_, err := c.Get(ctx, "k")
		if !errors.Is(err, client.ErrPermissionDenied) || !strings.Contains(err.Error(), "not allowed to subscribe to _INBOX.") {
			t.Fatalf("err = %v, want ErrPermissionDenied naming the reply subject", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("took %v: the denial should end the call, not its timeout", d)
		}
	}
}

// A handler the caller set on its own connection still gets the errors.
func TestNewKeepsTheCallersErrorHandler(t *testing.T) {
	f := newSecuredFake(t)
	seen := make(chan error, 4)
	nc, err := nats.Connect(f.url, nats.UserInfo("app", "app-secret"),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { seen <- err }))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	c := client.New(nc)
	_, err = c.CreateNamespace(context.Background(), client.Namespace{Name: "x"})
	if !errors.Is(err, client.ErrPermissionDenied) {
		t.Fatalf("err = %v, want ErrPermissionDenied", err)
	}
	select {
	case err := <-seen:
		if !errors.Is(err, nats.ErrPermissionViolation) {
			t.Fatalf("the caller's handler got %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the caller's handler got nothing")
	}
}

func TestNKeyFile(t *testing.T) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	seed, _ := kp.Seed()
	path := filepath.Join(t.TempDir(), "user.nk")
	if err := os.WriteFile(path, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	adminKP, _ := nkeys.CreateUser()
	adminPub, _ := adminKP.PublicKey()
	adminSeed, _ := adminKP.Seed()
	adminPath := filepath.Join(t.TempDir(), "admin.nk")
	if err := os.WriteFile(adminPath, adminSeed, 0o600); err != nil {
		t.Fatal(err)
	}
	adminOpt, err := nats.NkeyOptionFromSeed(adminPath)
	if err != nil {
		t.Fatal(err)
	}
	f, err := startFakeOn(&server.Options{Nkeys: []*server.NkeyUser{{Nkey: pub}, {Nkey: adminPub}}}, adminOpt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.stop)

	c := connectURL(t, f.url, client.WithNKeyFile(path))
	if _, err := c.Put(context.Background(), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	other, _ := nkeys.CreateUser()
	otherSeed, _ := other.Seed()
	otherPath := filepath.Join(t.TempDir(), "other.nk")
	if err := os.WriteFile(otherPath, otherSeed, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Connect(f.url, client.WithNKeyFile(otherPath)); !errors.Is(err, client.ErrAuthFailed) {
		t.Fatalf("an unknown nkey: err = %v, want ErrAuthFailed", err)
	}
	missing := filepath.Join(t.TempDir(), "none.nk")
	if _, err := client.Connect(f.url, client.WithNKeyFile(missing)); err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("a missing nkey file: err = %v, want it named", err)
	}
}

func TestEmptyCredentialOptionsAddNothing(t *testing.T) {
	f := newFake(t)
	c := connectURL(t, f.url, client.WithUserPassword("", ""), client.WithCredsFile(""), client.WithNKeyFile(""),
		client.WithTLSFiles("", "", ""))
	if _, err := c.Put(context.Background(), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "user.creds")
	if _, err := client.Connect(f.url, client.WithCredsFile(missing)); err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("a missing creds file: err = %v, want it named", err)
	}
}

// pki is a CA and the certificates it signed, as PEM files.
type pki struct {
	dir                  string
	ca, cert, key        string // the CA, and a client certificate and key
	serverCert, serverKy string
	pool                 *x509.CertPool
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "quorumkv test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	p := &pki{dir: dir, pool: x509.NewCertPool()}
	p.pool.AddCert(caCert)
	p.ca = writePEM(t, dir, "ca.pem", "CERTIFICATE", caDER)
	issue := func(name string, serial int64, usage x509.ExtKeyUsage) (certFile, keyFile string) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, _ := x509.MarshalECPrivateKey(key)
		return writePEM(t, dir, name+".pem", "CERTIFICATE", der), writePEM(t, dir, name+"-key.pem", "EC PRIVATE KEY", keyDER)
	}
	p.serverCert, p.serverKy = issue("server", 2, x509.ExtKeyUsageServerAuth)
	p.cert, p.key = issue("client", 3, x509.ExtKeyUsageClientAuth)
	return p
}

func writePEM(t *testing.T, dir, name, kind string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// newTLSFake starts the fake behind a NATS server that requires TLS and
// verifies client certificates signed by p's CA.
func newTLSFake(t *testing.T, p *pki) *fakeNode {
	t.Helper()
	serverCert, err := tls.LoadX509KeyPair(p.serverCert, p.serverKy)
	if err != nil {
		t.Fatal(err)
	}
	clientCert, err := tls.LoadX509KeyPair(p.cert, p.key)
	if err != nil {
		t.Fatal(err)
	}
	opts := &server.Options{
		TLS: true, TLSVerify: true, TLSTimeout: 5,
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{serverCert}, ClientCAs: p.pool,
			ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12,
		},
	}
	f, err := startFakeOn(opts, nats.Secure(&tls.Config{RootCAs: p.pool, Certificates: []tls.Certificate{clientCert},
		MinVersion: tls.VersionTLS12}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.stop)
	return f
}

func TestTLS(t *testing.T) {
	p := newPKI(t)
	f := newTLSFake(t, p)

	c := connectURL(t, f.url, client.WithTLSFiles(p.ca, p.cert, p.key))
	if _, err := c.Put(context.Background(), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}

	other := newPKI(t)
	missing := filepath.Join(t.TempDir(), "none.pem")
	failures := map[string]struct {
		opts []client.ConnectOption
		says string
	}{
		"no TLS options":          {nil, ""},
		"a CA that did not sign":  {[]client.ConnectOption{client.WithTLSFiles(other.ca, p.cert, p.key)}, "unknown authority"},
		"no client certificate":   {[]client.ConnectOption{client.WithTLSFiles(p.ca, "", "")}, "the server "},
		"a client cert not known": {[]client.ConnectOption{client.WithTLSFiles(p.ca, other.cert, other.key)}, "the server "},
		"a missing CA file":       {[]client.ConnectOption{client.WithTLSFiles(missing, "", "")}, missing},
		"a cert without its key":  {[]client.ConnectOption{client.WithTLSFiles(p.ca, p.cert, "")}, "needs both"},
		"a key that is no cert":   {[]client.ConnectOption{client.WithTLSFiles(p.ca, p.key, p.key)}, p.key},
		"a CA file that is no CA": {[]client.ConnectOption{client.WithTLSFiles(p.key, "", "")}, "no PEM certificate"},
	}
	for name, tc := range failures {
		t.Run(name, func(t *testing.T) {
			opts := append(tc.opts, client.WithNATSOptions(nats.Timeout(5*time.Second)))
			c, err := client.Connect(f.url, opts...)
			if err == nil {
				c.Close()
				t.Fatal("connected")
			}
			if !errors.Is(err, client.ErrTLS) || !strings.HasPrefix(err.Error(), "tls: ") {
				t.Fatalf("err = %v, want ErrTLS and a message starting tls:", err)
			}
			if !strings.Contains(err.Error(), tc.says) || strings.Contains(err.Error(), "nats: ") {
				t.Fatalf("err = %v, want it to say %q, in the user's terms", err, tc.says)
			}
		})
	}
}

// A client that wants TLS from a server that offers none is told so.
func TestTLSWantedButNotOffered(t *testing.T) {
	p := newPKI(t)
	f := newFake(t)
	_, err := client.Connect(f.url, client.WithTLSFiles(p.ca, "", ""))
	if !errors.Is(err, client.ErrTLS) || !strings.HasPrefix(err.Error(), "tls: ") {
		t.Fatalf("err = %v, want ErrTLS", err)
	}
}

// userCreds issues a user of account (signed by accountKP) and returns
// the text of its credentials file.
func userCreds(t *testing.T, accountKP nkeys.KeyPair, allowPub ...string) []byte {
	t.Helper()
	ukp, _ := nkeys.CreateUser()
	upub, _ := ukp.PublicKey()
	uc := jwt.NewUserClaims(upub)
	uc.Pub.Allow.Add(allowPub...)
	uc.Sub.Allow.Add("_INBOX.>", "kv.>")
	ujwt, err := uc.Encode(accountKP)
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := ukp.Seed()
	creds, err := jwt.FormatUserConfig(ujwt, seed)
	if err != nil {
		t.Fatal(err)
	}
	return creds
}

// A server in operator mode trusts users by their JWTs, which the
// credentials file carries with the user's seed.
func TestCredsFile(t *testing.T) {
	okp, _ := nkeys.CreateOperator()
	opub, _ := okp.PublicKey()
	oc := jwt.NewOperatorClaims(opub)
	akp, _ := nkeys.CreateAccount()
	apub, _ := akp.PublicKey()
	ajwt, err := jwt.NewAccountClaims(apub).Encode(okp)
	if err != nil {
		t.Fatal(err)
	}
	resolver := &server.MemAccResolver{}
	if err := resolver.Store(apub, ajwt); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	nodeCreds := filepath.Join(dir, "node.creds")
	appCreds := filepath.Join(dir, "app.creds")
	if err := os.WriteFile(nodeCreds, userCreds(t, akp, ">"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(appCreds, userCreds(t, akp, "kv.api.>"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := startFakeOn(&server.Options{TrustedOperators: []*jwt.OperatorClaims{oc}, AccountResolver: resolver},
		nats.UserCredentials(nodeCreds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.stop)

	c := connectURL(t, f.url, client.WithCredsFile(appCreds))
	ctx := context.Background()
	if _, err := c.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateNamespace(ctx, client.Namespace{Name: "x"}); !errors.Is(err, client.ErrPermissionDenied) {
		t.Fatalf("CreateNamespace: err = %v, want ErrPermissionDenied", err)
	}
	if _, err := client.Connect(f.url); !errors.Is(err, client.ErrAuthFailed) {
		t.Fatalf("no credentials: err = %v, want ErrAuthFailed", err)
	}
}
