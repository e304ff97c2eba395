package rfc3161

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"
)

// TestCheckerBounded fills the cache past its bound.
func TestCheckerBounded(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Checker Test TSA"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<32, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	c := NewChecker(roots)
	chain := []*x509.Certificate{cert, cert} // a signer and its root: only the shape matters
	for i := range maxCachedChains + 10 {
		c.remember(certHash{byte(i), byte(i >> 8)}, [][]*x509.Certificate{chain})
		c.remember(certHash{byte(i), byte(i >> 8)}, [][]*x509.Certificate{chain}) // a duplicate
	}
	if c.n > maxCachedChains || c.n == 0 {
		t.Errorf("Checker holds %d chains, want 1..%d", c.n, maxCachedChains)
	}
}
