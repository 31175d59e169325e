package testcerts_test

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/quorumkv/quorumkv/internal/testcerts"
)

func load(t *testing.T, p testcerts.Pair) *x509.Certificate {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(p.CertFile, p.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func TestServer(t *testing.T) {
	ca := testcerts.NewAuthority(t)
	cert := load(t, ca.Server("node", "*.peers", "kv"))
	for _, host := range []string{"127.0.0.1", "::1", "localhost", "a.peers", "kv"} {
		for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
			if _, err := cert.Verify(x509.VerifyOptions{DNSName: host, Roots: ca.Pool(),
				KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
				t.Errorf("%s, usage %v: %v", host, usage, err)
			}
		}
	}
	if err := cert.VerifyHostname("example.com"); err == nil {
		t.Error("verifies for a name it was not issued for")
	}
	if now := time.Now(); !cert.NotBefore.Before(now.Add(-50*time.Minute)) || !cert.NotAfter.After(now.Add(23*time.Hour)) {
		t.Errorf("valid %v to %v, want from an hour ago for a day", cert.NotBefore, cert.NotAfter)
	}
	if !slices.ContainsFunc(cert.IPAddresses, net.IPv6loopback.Equal) {
		t.Errorf("IPs %v, want ::1", cert.IPAddresses)
	}
}

func TestClient(t *testing.T) {
	ca := testcerts.NewAuthority(t)
	cert := load(t, ca.Client("app"))
	if !slices.Equal(cert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) {
		t.Errorf("usages %v, want client auth only", cert.ExtKeyUsage)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Error(err)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: testcerts.NewAuthority(t).Pool(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
		t.Error("verifies against another authority's pool")
	}
}
