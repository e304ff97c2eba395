package rfc3161

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"
)

// TestPrime: a primed TSA chain serves a check at a time within its window
// from the cache, and not one outside it; a certificate that chains to no
// root is not primed.
func TestPrime(t *testing.T) {
	day := 24 * time.Hour
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	root, rootKey := primeCert(t, "Root", nil, nil, t0, t0.Add(1000*day), true)
	ca, caKey := primeCert(t, "Org CA", root, rootKey, t0.Add(10*day), t0.Add(500*day), true)
	tsa, _ := primeCert(t, "TSA", ca, caKey, t0.Add(20*day), t0.Add(100*day), false)
	stranger, strangerKey := primeCert(t, "Another Root", nil, nil, t0, t0.Add(1000*day), true)
	other, _ := primeCert(t, "Other TSA", stranger, strangerKey, t0.Add(20*day), t0.Add(100*day), false)

	c := NewCheckerForRoots([]*x509.Certificate{root})
	if err := c.Prime(tsa, []*x509.Certificate{ca}); err != nil {
		t.Fatalf("Prime(tsa) = %v", err)
	}
	key := c.certs.sum256(tsa)
	if !c.cached(key, t0.Add(50*day), nil, []*x509.Certificate{ca}) {
		t.Errorf("after Prime, a check within the window is not served from the cache")
	}
	if c.cached(key, t0.Add(200*day), nil, []*x509.Certificate{ca}) {
		t.Errorf("after Prime, a check after the TSA certificate expired is served from the cache")
	}
	if err := c.Prime(other, []*x509.Certificate{ca}); err == nil {
		t.Errorf("Prime(a certificate of another root) = nil, want an error")
	}
	if c.cached(c.certs.sum256(other), t0.Add(50*day), nil, []*x509.Certificate{ca}) {
		t.Errorf("a chain that failed is cached")
	}
}

// primeCert makes a certificate for a new P-256 key, issued by parent (self-signed
// when nil): a CA, or a TSA certificate as certs.CheckTSA wants it.
func primeCert(t *testing.T, cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, from, to time.Time, isCA bool) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: from, NotAfter: to, BasicConstraintsValid: true, IsCA: isCA}
	if isCA {
		tmpl.KeyUsage = x509.KeyUsageCertSign
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		eku, err := asn1.Marshal([]asn1.ObjectIdentifier{certs.OIDTimeStamping})
		if err != nil {
			t.Fatal(err)
		}
		tmpl.ExtraExtensions = []pkix.Extension{{Id: certs.OIDExtKeyUsage, Critical: true, Value: eku}}
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}
