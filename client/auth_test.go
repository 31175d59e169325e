package client_test

import (
	"context"
	"crypto/tls"
	"errors"
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
	"github.com/quorumkv/quorumkv/internal/testcerts"
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

// newTLSFake starts the fake behind a NATS server that requires TLS and
// verifies client certificates signed by ca.
func newTLSFake(t *testing.T, ca *testcerts.Authority) *fakeNode {
	t.Helper()
	srv, cl := ca.Server("server"), ca.Client("fake")
	serverCert, err := tls.LoadX509KeyPair(srv.CertFile, srv.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	clientCert, err := tls.LoadX509KeyPair(cl.CertFile, cl.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	opts := &server.Options{
		TLS: true, TLSVerify: true, TLSTimeout: 5,
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{serverCert}, ClientCAs: ca.Pool(),
			ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12,
		},
	}
	f, err := startFakeOn(opts, nats.Secure(&tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{clientCert},
		MinVersion: tls.VersionTLS12}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.stop)
	return f
}

func TestTLS(t *testing.T) {
	ca := testcerts.NewAuthority(t)
	f := newTLSFake(t, ca)
	cl := ca.Client("client")

	c := connectURL(t, f.url, client.WithTLSFiles(ca.CAFile, cl.CertFile, cl.KeyFile))
	if _, err := c.Put(context.Background(), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}

	other := testcerts.NewAuthority(t)
	otherCl := other.Client("client")
	missing := filepath.Join(t.TempDir(), "none.pem")
	failures := map[string]struct {
		opts []client.ConnectOption
		says string
	}{
		"no TLS options":          {nil, ""},
		"a CA that did not sign":  {[]client.ConnectOption{client.WithTLSFiles(other.CAFile, cl.CertFile, cl.KeyFile)}, "unknown authority"},
		"no client certificate":   {[]client.ConnectOption{client.WithTLSFiles(ca.CAFile, "", "")}, "the server "},
		"a client cert not known": {[]client.ConnectOption{client.WithTLSFiles(ca.CAFile, otherCl.CertFile, otherCl.KeyFile)}, "the server "},
		"a missing CA file":       {[]client.ConnectOption{client.WithTLSFiles(missing, "", "")}, missing},
		"a cert without its key":  {[]client.ConnectOption{client.WithTLSFiles(ca.CAFile, cl.CertFile, "")}, "needs both"},
		"a key that is no cert":   {[]client.ConnectOption{client.WithTLSFiles(ca.CAFile, cl.KeyFile, cl.KeyFile)}, cl.KeyFile},
		"a CA file that is no CA": {[]client.ConnectOption{client.WithTLSFiles(cl.KeyFile, "", "")}, "no PEM certificate"},
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
	ca := testcerts.NewAuthority(t)
	f := newFake(t)
	_, err := client.Connect(f.url, client.WithTLSFiles(ca.CAFile, "", ""))
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
