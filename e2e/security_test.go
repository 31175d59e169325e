package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/quorumkv/quorumkv/client"
	"github.com/quorumkv/quorumkv/internal/testcerts"
	"github.com/quorumkv/quorumkv/internal/testcluster"
	"github.com/quorumkv/quorumkv/messages"
)

// The roles of docs/protocol.md, as a nats-server authorization block: a
// client may use the data subjects, an admin also the admin ones; nobody
// but the nodes may publish on kv.internal.>.
const authUsers = `
authorization {
  users = [
    { user: client, password: client-pw, permissions: { publish: ["kv.api.>"], subscribe: ["_INBOX.>"] } }
    { user: admin, password: admin-pw, permissions: { publish: ["kv.api.>", "kv.admin.>"], subscribe: ["_INBOX.>"] } }
  ]
}
`

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// violations collects the permission errors NATS reports asynchronously.
type violations struct {
	mu   sync.Mutex
	seen []string
}

func (v *violations) handler(_ *nats.Conn, _ *nats.Subscription, err error) {
	if errors.Is(err, nats.ErrPermissionViolation) {
		v.mu.Lock()
		v.seen = append(v.seen, err.Error())
		v.mu.Unlock()
	}
}

func (v *violations) about(subject string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, s := range v.seen {
		if strings.Contains(s, subject) {
			return true
		}
	}
	return false
}

// A node started with a config file of users and client TLS serves each
// role what its permissions allow, and nothing to anyone else.
func TestAuthAndTLSOnTheClientPort(t *testing.T) {
	ca := testcerts.NewAuthority(t)
	srv := ca.Server("solo")
	conf := writeFile(t, "nats.conf", authUsers+fmt.Sprintf("tls { cert_file: %q, key_file: %q }\n", srv.CertFile, srv.KeyFile))
	tlsOpt := nats.RootCAs(ca.CAFile)
	n := testcluster.NewNode(t, testcluster.NodeOptions{Name: "solo", Extra: []string{"--nats-config", conf},
		Dial: []client.ConnectOption{client.WithNATSOptions(nats.UserInfo("admin", "admin-pw"), tlsOpt)}})
	n.MustStart()
	ctx := testCtx(t)

	if nc, err := nats.Connect(n.URL(), tlsOpt, nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Fatal("a client without credentials was let in")
	} else if !strings.Contains(strings.ToLower(err.Error()), "authorization") {
		t.Fatalf("no credentials: want an authorization error, got %v", err)
	}
	if nc, err := nats.Connect(n.URL(), nats.UserInfo("client", "client-pw"), nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Fatal("a plaintext client was let in on a TLS port")
	}
	if nc, err := nats.Connect(n.URL(), nats.UserInfo("client", "wrong"), tlsOpt, nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Fatal("a wrong password was let in")
	}

	var seen violations
	user, err := client.Connect(n.URL(), client.WithNATSOptions(nats.UserInfo("client", "client-pw"), tlsOpt, nats.ErrorHandler(seen.handler)))
	if err != nil {
		t.Fatal(err)
	}
	defer user.Close()
	if _, err := user.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatalf("client user put: %v", err)
	}
	if res, err := user.Get(ctx, "k"); err != nil || string(res.Values[0].Data) != "v" {
		t.Fatalf("client user get: %+v %v", res, err)
	}
	// Requests on subjects the user may not publish to: NATS drops them
	// and says so; the forged internal message must change nothing.
	raw, err := nats.Connect(n.URL(), nats.UserInfo("client", "client-pw"), tlsOpt, nats.ErrorHandler(seen.handler))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	forged := messages.BatchSubject("solo")
	if err := raw.Publish(forged, []byte("forged")); err != nil {
		t.Fatal(err)
	}
	denied, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := user.CreateNamespace(denied, client.Namespace{Name: "nope", N: 1, R: 1, W: 1}); err == nil {
		t.Fatal("client user created a namespace")
	}
	testcluster.WaitFor(t, 10*time.Second, "permission violations for kv.internal and kv.admin", func() bool {
		return seen.about(forged) && seen.about(messages.SubjectNamespaceCreate)
	})

	admin := testcluster.Connect(t, n)
	if _, err := admin.CreateNamespace(ctx, client.Namespace{Name: "ops", N: 1, R: 1, W: 1}); err != nil {
		t.Fatalf("admin user create namespace: %v", err)
	}
	if _, err := user.Put(ctx, "k2", []byte("v2"), client.WithNamespace("ops")); err != nil {
		t.Fatalf("client user put in the admin's namespace: %v", err)
	}
}

// Three nodes whose routes require mutual TLS form a cluster, replicate
// (W=3), and refuse a client that offers no credentials.
func TestRouteTLSCluster(t *testing.T) {
	ca := testcerts.NewAuthority(t)
	tlsOpt := nats.RootCAs(ca.CAFile)
	dial := []client.ConnectOption{client.WithNATSOptions(nats.UserInfo("admin", "admin-pw"), tlsOpt)}
	cl := testcluster.NewCluster(t, 3, func(i int, o *testcluster.NodeOptions) {
		pair := ca.Server(o.Name)
		conf := authUsers + fmt.Sprintf(`
tls { cert_file: %q, key_file: %q }
cluster { tls { cert_file: %q, key_file: %q, ca_file: %q, verify: true } }
`, pair.CertFile, pair.KeyFile, pair.CertFile, pair.KeyFile, ca.CAFile)
		o.Extra = []string{"--nats-config", writeFile(t, "nats.conf", conf)}
		o.Dial = dial
	})
	for _, n := range cl.Nodes {
		for i, r := range n.Opts.Join {
			n.Opts.Join[i] = strings.Replace(r, "nats://", "tls://", 1)
		}
	}
	cl.Start()
	ctx := testCtx(t)
	c := cl.Client(cl.Nodes[0])
	if _, err := c.Put(ctx, "replicated", []byte("v"), client.WithW(3)); err != nil {
		t.Fatalf("W=3 put over TLS routes: %v", err)
	}
	res, err := cl.Client(cl.Nodes[2]).Get(ctx, "replicated", client.WithR(3))
	if err != nil || string(res.Values[0].Data) != "v" {
		t.Fatalf("R=3 get: %+v %v", res, err)
	}
	if nc, err := nats.Connect(cl.Nodes[1].URL(), tlsOpt, nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Fatal("a client without credentials was let in")
	}
}

// A node given a bad config file refuses to start, with one line naming
// the file and what is wrong with it.
func TestBadNATSConfigRefusesToStart(t *testing.T) {
	bin, _, err := testcluster.Binaries()
	if err != nil {
		t.Fatal(err)
	}
	ca := testcerts.NewAuthority(t)
	a, b := ca.Server("a"), ca.Server("b")
	unreadable := writeFile(t, "unreadable.conf", authUsers)
	if err := os.Chmod(unreadable, 0); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(t.TempDir(), "absent.conf"), "no such file"},
		{"syntax", writeFile(t, "syntax.conf", "authorization { users = [ { user: a "), "syntax.conf"},
		{"cert-key-mismatch", writeFile(t, "mismatch.conf", fmt.Sprintf("tls { cert_file: %q, key_file: %q }", a.CertFile, b.KeyFile)), "private key does not match"},
		{"unreadable", unreadable, "permission denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "unreadable" && os.Geteuid() == 0 {
				t.Skip("root reads any file; an unreadable file cannot be made")
			}
			var stderr bytes.Buffer
			cmd := exec.Command(bin, "--data-dir", t.TempDir(), "--listen", "127.0.0.1:0", "--nats-config", tc.path)
			cmd.Stderr = &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("want exit status 1, got %v\n%s", err, stderr.String())
			}
			var last string
			for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
				if strings.HasPrefix(line, "kvnode: ") {
					last = line
				}
			}
			if !strings.Contains(last, tc.path) || !strings.Contains(last, tc.want) {
				t.Fatalf("want one line naming %s and %q, got %q\n%s", tc.path, tc.want, last, stderr.String())
			}
		})
	}
}
