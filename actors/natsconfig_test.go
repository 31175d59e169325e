package actors

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quorumkv/quorumkv/internal/testcerts"
)

func writeConf(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "nats.conf")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestNATSConfigRefusals(t *testing.T) {
	ca := testcerts.NewAuthority(t)
	a, b := ca.Server("a"), ca.Server("b")
	for _, tc := range []struct {
		name, body, want string
	}{
		{"syntax", "authorization { users = [ {user: a, password: ", "nats.conf"},
		{"token", "authorization { token: s3cret }", "token is not supported"},
		{"accounts", "accounts { A: { users: [ {user: a, password: b} ] } }", "accounts and operators are not supported"},
		{"cert-key-mismatch", "tls { cert_file: '" + a.CertFile + "', key_file: '" + b.KeyFile + "' }", "private key does not match"},
		{"missing-cert", "tls { cert_file: '/nonexistent/cert.pem', key_file: '" + a.KeyFile + "' }", "/nonexistent/cert.pem"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeConf(t, tc.body)
			_, err := loadNATSConfig(path)
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if !strings.Contains(msg, path) || !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Fatalf("want one line naming %s and %q, got %q", path, tc.want, msg)
			}
		})
	}
	_, err := loadNATSConfig("/nonexistent/nats.conf")
	if err == nil || err.Error() != "nats config /nonexistent/nats.conf: no such file or directory" {
		t.Fatalf("missing file: %v", err)
	}
}

func TestNATSConfigUsersAndFlags(t *testing.T) {
	path := writeConf(t, `
listen: 0.0.0.0:9999
max_payload: 1024
authorization { user: admin, password: pw }
cluster { name: mine, listen: 127.0.0.1:7777 }
`)
	cfg := Config{Name: "n1", NATSConfig: path, Listen: "127.0.0.1:4333", ClusterListen: "127.0.0.1:6333",
		Join: []string{"nats://127.0.0.1:6334"}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	opts, err := embeddedOptions(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Host != "127.0.0.1" || opts.Port != 4333 || opts.Cluster.Port != 6333 || opts.Cluster.Name != "mine" {
		t.Fatalf("flags must set the addresses, the file the rest: %+v %+v", opts, opts.Cluster)
	}
	if opts.MaxPayload != cfg.maxPayload() || len(opts.Routes) != 1 {
		t.Fatalf("max payload %d routes %v", opts.MaxPayload, opts.Routes)
	}
	if len(opts.Users) != 1 || opts.Users[0].Username != "admin" || opts.Username != "" || !authRequired(opts) {
		t.Fatalf("single user becomes a list of one: %+v", opts.Users)
	}
}

func TestNATSConfigWithNATSURLRefused(t *testing.T) {
	cfg := Config{NATSConfig: "x.conf", NATSURL: "nats://127.0.0.1:4222"}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "nats-config") {
		t.Fatalf("want a refusal naming nats-config, got %v", err)
	}
}
