package rfc3161

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
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

// TestCertCacheSum256 checks that a certCache's remembered hashes are the
// certificates' own, for a nil cache too, and stay bounded.
func TestCertCacheSum256(t *testing.T) {
	var c certCache
	var nilCache *certCache
	for i := range maxCachedSums + 10 {
		cert := &x509.Certificate{Raw: []byte{byte(i), byte(i >> 8)}}
		want := certHash(sha256.Sum256(cert.Raw))
		for range 2 {
			if got := c.sum256(cert); got != want {
				t.Fatalf("sum256 of certificate %d = %x, want %x", i, got, want)
			}
		}
		if got := nilCache.sum256(cert); got != want {
			t.Fatalf("nil cache: sum256 of certificate %d = %x, want %x", i, got, want)
		}
	}
	if len(c.sums) > maxCachedSums || len(c.sums) == 0 {
		t.Errorf("certCache holds %d hashes, want 1..%d", len(c.sums), maxCachedSums)
	}
}
