package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	"github.com/quorumkv/quorumkv/internal/testcerts"
	"github.com/quorumkv/quorumkv/messages"
)

// startSecureNATS starts a nats-server with three users: "node", who may
// do anything; "app", who may only use kv.api.> (and its reply inbox), as
// docs/cli.md suggests for applications; and "deaf", who may publish on
// kv.api.> but not receive the replies. With tlsConfig it requires TLS.
func startSecureNATS(t *testing.T, tlsConfig *tls.Config) *server.Server {
	t.Helper()
	opts := &server.Options{Host: "127.0.0.1", Port: -1, NoSigs: true, NoLog: true,
		Users: []*server.User{
			{Username: "node", Password: "node-pw"},
			{Username: "app", Password: "app-pw", Permissions: &server.Permissions{
				Publish:   &server.SubjectPermission{Allow: []string{"kv.api.>"}},
				Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>"}},
			}},
			{Username: "deaf", Password: "deaf-pw", Permissions: &server.Permissions{
				Publish:   &server.SubjectPermission{Allow: []string{"kv.api.>"}},
				Subscribe: &server.SubjectPermission{Allow: []string{"elsewhere.>"}},
			}},
		}}
	if tlsConfig != nil {
		opts.TLSConfig, opts.TLS = tlsConfig, true
	}
	return runNATS(t, opts)
}

// runNATS starts a nats-server in process, stopped when the test ends.
func runNATS(t *testing.T, opts *server.Options) *server.Server {
	t.Helper()
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(5 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	t.Cleanup(s.Shutdown)
	return s
}

// respondToGets has a responder, connected as node, answer every get.
func respondToGets(t *testing.T, url string, opts ...nats.Option) {
	t.Helper()
	nc, err := nats.Connect(url, append(opts, nats.UserInfo("node", "node-pw"))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if _, err := nc.Subscribe(messages.SubjectGet, func(m *nats.Msg) {
		data, _ := proto.Marshal(&messages.GetResponse{Found: true, Values: []*messages.Value{{Value: []byte("v")}}})
		_ = m.Respond(data)
	}); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
}

// runReal runs kvcli through the real SDK with the environment env.
func runReal(env map[string]string, args ...string) outcome {
	var out, errOut bytes.Buffer
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut,
		getenv: func(k string) string { return env[k] }, dial: dialSDK}
	code := a.run(context.Background(), args)
	return outcome{code, out.String(), errOut.String()}
}

func TestCredentialsAndPermissions(t *testing.T) {
	s := startSecureNATS(t, nil)
	respondToGets(t, s.ClientURL())
	env := map[string]string{"KV_SERVER": s.ClientURL()}

	got := runReal(env, "get", "k", "--user", "app", "--password", "wrong")
	if got.code != exitError || !strings.HasPrefix(got.stderr, "kvcli: authentication failed: "+s.ClientURL()+" refused the credentials") ||
		!strings.HasSuffix(got.stderr, "; check --user/--password, --creds or --nkey\n") || strings.Count(got.stderr, "\n") != 1 {
		t.Fatalf("wrong password = %+v", got)
	}
	got = runReal(env, "get", "k")
	if got.code != exitError || !strings.HasPrefix(got.stderr, "kvcli: authentication failed: ") {
		t.Fatalf("no credentials = %+v", got)
	}

	// From the environment, as the nats CLI reads it.
	env["NATS_USER"], env["NATS_PASSWORD"] = "app", "app-pw"
	got = runReal(env, "get", "k")
	if got.code != exitOK || got.stdout != "v" {
		t.Fatalf("get as app = %+v", got)
	}

	// app may not use kv.admin.>: the refusal comes at once, naming the
	// subject, rather than as a timeout.
	start := time.Now()
	got = runReal(env, "ns", "create", "x", "--timeout", "20s")
	if got.code != exitError || got.stderr != "kvcli: create namespace \"x\": permission denied: this user may not publish to "+
		messages.SubjectNamespaceCreate+"\n" {
		t.Fatalf("ns create as app = %+v", got)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("the refusal took %v: it waited for the timeout", took)
	}

	// A user who may not receive the replies learns so at once too.
	env["NATS_USER"], env["NATS_PASSWORD"] = "deaf", "deaf-pw"
	start = time.Now()
	got = runReal(env, "get", "k", "--timeout", "20s")
	if got.code != exitError || !strings.HasPrefix(got.stderr, `kvcli: get "k": permission denied: this user may not subscribe to _INBOX.`) ||
		strings.Count(got.stderr, "\n") != 1 {
		t.Fatalf("get as deaf = %+v", got)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("the refusal took %v: it waited for the timeout", took)
	}

	// A file that is not what its flag says is refused before dialing,
	// naming the file.
	notASeed := filepath.Join(t.TempDir(), "not-a-seed")
	if err := os.WriteFile(notASeed, []byte("nonsense\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got = runReal(env, "get", "k", "--nkey", notASeed)
	if got.code != exitError || !strings.Contains(got.stderr, notASeed) || strings.Count(got.stderr, "\n") != 1 {
		t.Fatalf("--nkey with no seed = %+v", got)
	}
	got = runReal(env, "get", "k", "--creds", filepath.Join(t.TempDir(), "missing.creds"))
	if got.code != exitError || !strings.HasPrefix(got.stderr, "kvcli: --creds: cannot read ") {
		t.Fatalf("--creds with a missing file = %+v", got)
	}
}

// A user limited to kv.api.> gets the status, without the transfers
// (kv.admin.>), and a note saying so.
func TestStatusWithoutAdminPermission(t *testing.T) {
	s := startSecureNATS(t, nil)
	nc, err := nats.Connect(s.ClientURL(), nats.UserInfo("node", "node-pw"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	for _, subject := range []string{messages.SubjectStatus, messages.NodeAPISubject("n1", "status")} {
		if _, err := nc.Subscribe(subject, func(m *nats.Msg) {
			data, _ := proto.Marshal(membersStatus("n1"))
			_ = m.Respond(data)
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"KV_SERVER": s.ClientURL(), "NATS_USER": "app", "NATS_PASSWORD": "app-pw"}
	got := runReal(env, "status", "--timeout", "20s")
	if got.code != exitOK || !strings.HasPrefix(got.stdout, "1 of 1 members answered") ||
		got.stderr != "kvcli: transfers not shown: permission denied: this user may not publish to "+
			messages.AdminNodeSubject("n1", messages.AdminTransfers)+"\n" {
		t.Fatalf("status as app = %+v", got)
	}
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	ca := testcerts.NewAuthority(t)
	caFile := ca.CAFile
	srv := ca.Server("server")
	cert, err := tls.LoadX509KeyPair(srv.CertFile, srv.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	s := startSecureNATS(t, &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}})
	url := "tls://" + s.Addr().String()
	respondToGets(t, url, nats.RootCAs(caFile))
	env := map[string]string{"KV_SERVER": url, "NATS_USER": "app", "NATS_PASSWORD": "app-pw"}

	got := runReal(env, "get", "k")
	if got.code != exitError || !strings.HasPrefix(got.stderr, "kvcli: TLS failed: ") || strings.Count(got.stderr, "\n") != 1 ||
		!strings.HasSuffix(got.stderr, "(hint: --tls-ca names the CA that signed the server's certificate)\n") {
		t.Fatalf("without the CA = %+v", got)
	}
	got = runReal(env, "get", "k", "--tls-ca", caFile)
	if got.code != exitOK || got.stdout != "v" {
		t.Fatalf("with --tls-ca = %+v", got)
	}
	env["NATS_CA"] = caFile
	if got = runReal(env, "get", "k"); got.code != exitOK {
		t.Fatalf("with $NATS_CA = %+v", got)
	}
	got = runReal(env, "get", "k", "--tls-ca", filepath.Join(dir, "missing.pem"))
	if got.code != exitError || !strings.Contains(got.stderr, "--tls-ca: cannot read ") {
		t.Fatalf("with a missing CA file = %+v", got)
	}
	env["KV_SERVER"] = "nats://" + s.Addr().String()
	delete(env, "NATS_CA")
	if got = runReal(env, "get", "k"); got.code != exitError || !strings.HasPrefix(got.stderr, "kvcli: TLS failed: ") {
		t.Fatalf("nats:// to a TLS server = %+v", got)
	}
	if got = runReal(env, "get", "k", "--tls-ca", "/nonexistent/ca.pem"); got.code != exitError ||
		got.stderr != "kvcli: --tls-ca: cannot read /nonexistent/ca.pem: no such file or directory\n" {
		t.Fatalf("with a missing CA file = %+v", got)
	}
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("nonsense\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got = runReal(env, "get", "k", "--tls-ca", notPEM); got.code != exitError ||
		!strings.HasPrefix(got.stderr, "kvcli: TLS failed: ") || !strings.Contains(got.stderr, notPEM) {
		t.Fatalf("with a CA file that holds no certificate = %+v", got)
	}

	// TLS flags towards a server that does not offer TLS.
	plain := startSecureNATS(t, nil)
	env["KV_SERVER"] = plain.ClientURL()
	if got = runReal(env, "get", "k", "--tls-ca", caFile); got.code != exitError ||
		!strings.HasPrefix(got.stderr, "kvcli: TLS failed: ") || !strings.Contains(got.stderr, "--tls-ca") {
		t.Fatalf("--tls-ca towards a plain server = %+v", got)
	}
}
