// Package testcerts makes a throwaway certificate authority and the
// certificates tests need for TLS on loopback, written as PEM files into a
// test's temp dir. Nothing it makes is ever checked in.
//
// Invariant: every certificate is signed by the CA of the same Authority,
// valid from an hour ago for a day, and a server certificate names
// 127.0.0.1, ::1 and localhost.
package testcerts

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Authority is a CA whose certificate is in CAFile.
type Authority struct {
	t      testing.TB
	dir    string
	cert   *x509.Certificate
	key    *ecdsa.PrivateKey
	serial int64
	CAFile string
}

// Pair names a certificate's PEM file and its key's.
type Pair struct{ CertFile, KeyFile string }

// NewAuthority makes a CA in a fresh temp dir of t.
func NewAuthority(t testing.TB) *Authority {
	t.Helper()
	a := &Authority{t: t, dir: t.TempDir(), serial: 1}
	a.key = newKey(t)
	tmpl := a.template("quorumkv test CA")
	tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &a.key.PublicKey, a.key)
	if err != nil {
		t.Fatal(err)
	}
	if a.cert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	a.CAFile = a.writePEM("ca.pem", "CERTIFICATE", der)
	return a
}

// Server issues a certificate for TLS servers on loopback (also usable as
// a client certificate, as NATS routes need), naming dnsNames as well.
func (a *Authority) Server(name string, dnsNames ...string) Pair {
	tmpl := a.template(name)
	tmpl.DNSNames = append([]string{"localhost"}, dnsNames...)
	tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	return a.issue(name, tmpl)
}

// Pool returns a pool holding only the CA's certificate.
func (a *Authority) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(a.cert)
	return pool
}

// Client issues a client certificate.
func (a *Authority) Client(name string) Pair {
	tmpl := a.template(name)
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	return a.issue(name, tmpl)
}

func (a *Authority) issue(name string, tmpl *x509.Certificate) Pair {
	a.t.Helper()
	key := newKey(a.t)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &key.PublicKey, a.key)
	if err != nil {
		a.t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		a.t.Fatal(err)
	}
	return Pair{CertFile: a.writePEM(name+".pem", "CERTIFICATE", der), KeyFile: a.writePEM(name+"-key.pem", "EC PRIVATE KEY", keyDER)}
}

func (a *Authority) template(cn string) *x509.Certificate {
	a.serial++
	now := time.Now()
	return &x509.Certificate{SerialNumber: big.NewInt(a.serial), Subject: pkix.Name{CommonName: cn},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour)}
}

func (a *Authority) writePEM(name, kind string, der []byte) string {
	a.t.Helper()
	path := filepath.Join(a.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		a.t.Fatal(err)
	}
	return path
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}
