package deploy_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
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
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "quorumkv test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "quorumkv"},
		DNSNames:    []string{"*.quorumkv-peers", "quorumkv", "localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:   time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	for name, block := range map[string]*pem.Block{
		"ca.crt":  {Type: "CERTIFICATE", Bytes: caDER},
		"tls.crt": {Type: "CERTIFICATE", Bytes: leafDER},
		"tls.key": {Type: "EC PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
