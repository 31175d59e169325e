package deploy_test

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/quorumkv/quorumkv/internal/testcerts"
)

// TestNATSConfigExample loads deploy/nats.conf.example as nats-server
// itself does, with its certificate paths pointed at certificates made
// here, and checks the permissions it grants each role.
func TestNATSConfigExample(t *testing.T) {
	conf, _ := exampleConfig(t)
	opts, err := server.ProcessConfigFile(conf)
	if err != nil {
		t.Fatalf("nats-server refuses the example: %v", err)
	}
	if opts.TLSConfig == nil {
		t.Error("no client TLS")
	}
	if opts.Cluster.TLSConfig == nil || opts.Cluster.TLSConfig.ClientAuth != tls.RequireAndVerifyClientCert {
		t.Error("routes: want TLS with verify (mutual TLS between nodes)")
	}
	users := map[string]*server.Permissions{}
	for _, u := range opts.Users {
		users[u.Username] = u.Permissions
	}
	want := map[string][]string{"app": {"kv.api.>"}, "admin": {"kv.api.>", "kv.admin.>"}}
	for name, pub := range want {
		p := users[name]
		if p == nil || p.Publish == nil || p.Subscribe == nil {
			t.Errorf("user %s: want publish and subscribe permissions", name)
			continue
		}
		if !slices.Equal(p.Publish.Allow, pub) || !slices.Equal(p.Subscribe.Allow, []string{"_INBOX.>"}) {
			t.Errorf("user %s: publish %v subscribe %v, want publish %v subscribe [_INBOX.>]", name, p.Publish.Allow, p.Subscribe.Allow, pub)
		}
	}
	if len(users) != len(want) {
		t.Errorf("users %v, want exactly app and admin", users)
	}
}

// exampleConfig writes deploy/nats.conf.example to a temporary directory
// with its certificate paths pointed at certificates made there, and
// returns the config's path and the CA's.
func exampleConfig(t *testing.T) (conf, ca string) {
	t.Helper()
	data, err := os.ReadFile("nats.conf.example")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeCerts(t, dir)
	const certDir = "/etc/quorumkv/tls/"
	if !strings.Contains(string(data), certDir) {
		t.Fatalf("the example no longer names %s, where deploy/k8s mounts the certificates", certDir)
	}
	conf = filepath.Join(dir, "nats.conf")
	if err := os.WriteFile(conf, []byte(strings.ReplaceAll(string(data), certDir, dir+"/")), 0o600); err != nil {
		t.Fatal(err)
	}
	return conf, filepath.Join(dir, "ca.crt")
}

// writeCerts makes a CA and a certificate signed by it for both server
// and client use, as ca.crt, tls.crt and tls.key (the names of a
// kubernetes.io/tls Secret).
func writeCerts(t *testing.T, dir string) {
	t.Helper()
	ca := testcerts.NewAuthority(t)
	leaf := ca.Server("quorumkv", "*.quorumkv-peers", "quorumkv")
	for name, from := range map[string]string{"ca.crt": ca.CAFile, "tls.crt": leaf.CertFile, "tls.key": leaf.KeyFile} {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
