package certs_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/custos-project/custos/certs"
)

// requestSuite is the suite of a PEM request, from its key and its
// signature algorithm, which must agree.
func requestSuite(t *testing.T, csrPEM []byte) certs.Suite {
	t.Helper()
	block, _ := pem.Decode(csrPEM)
	if block == nil {
		t.Fatalf("not PEM: %q", csrPEM)
	}
	req, err := certs.ParseRequest(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	suite := certs.KeySuite(req.PublicKey)
	sm := req.SignatureAlgorithm == x509.SignatureAlgorithm(smx509.SM2WithSM3)
	if sm != (suite == certs.SuiteSM) {
		t.Errorf("a request with a key of the %s suite signed with %v", suite, req.SignatureAlgorithm)
	}
	return suite
}

// issueFromRequest plays an outside CA that grants what the request asks.
func issueFromRequest(t *testing.T, ca *certs.Authority, csrPEM []byte, notAfter time.Time) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(csrPEM)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		t.Fatalf("NewRequest gave no CERTIFICATE REQUEST block: %q", csrPEM)
	}
	csr, err := certs.ParseRequest(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: csr.Subject,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter,
		ExtraExtensions: csr.Extensions,
	}
	// smx509 signs for either suite (SM2-with-SM3 for an SM2 CA).
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, ca.Cert, csr.PublicKey, ca.Signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := certs.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// TestRequestThenCheckIssued: in both suites, a request for each purpose,
// granted by an outside CA of the suite, installs (CheckIssued); the
// certificate of another key, a chain without its root or an expired one do
// not. In the sm suite the request is SM2 with SM3.
func TestRequestThenCheckIssued(t *testing.T) {
	for _, suite := range []certs.Suite{certs.SuiteECDSA, certs.SuiteSM} {
		t.Run(string(suite), func(t *testing.T) { requestThenCheckIssued(t, suite) })
	}
}

func requestThenCheckIssued(t *testing.T, suite certs.Suite) {
	now := time.Now()
	root, err := certs.NewSuiteRoot(suite, "Outside CA", now)
	if err != nil {
		t.Fatal(err)
	}
	key, err := certs.NewSuiteKey(suite)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for _, purpose := range []string{certs.PurposeTSA, certs.PurposeNotary} {
		t.Run(purpose, func(t *testing.T) {
			csr, err := certs.NewRequest(purpose, pkix.Name{CommonName: "杭州市互联网公证处 " + purpose, Country: []string{"CN"}}, key)
			if err != nil {
				t.Fatal(err)
			}
			if got := requestSuite(t, csr); got != suite {
				t.Errorf("the request's key and signature are of the %s suite, want %s", got, suite)
			}
			leaf := issueFromRequest(t, root, csr, now.Add(24*time.Hour))
			if err := certs.CheckIssued(purpose, []*x509.Certificate{leaf, root.Cert}, key.Public(), now); err != nil {
				t.Fatalf("CheckIssued(granted request) = %v, want nil", err)
			}
			if purpose == certs.PurposeTSA && certs.CheckNotary(leaf) == nil {
				t.Error("CheckNotary(TSA certificate) = nil, want an error")
			}
			if purpose == certs.PurposeNotary && certs.CheckTSA(leaf) == nil {
				t.Error("CheckTSA(notary certificate) = nil, want an error")
			}
			bad := []struct {
				name  string
				chain []*x509.Certificate
				pub   any
				now   time.Time
				want  error
			}{
				{"other key", []*x509.Certificate{leaf, root.Cert}, other.Public(), now, certs.ErrKey},
				{"no root", []*x509.Certificate{leaf}, key.Public(), now, certs.ErrChain},
				{"expired", []*x509.Certificate{leaf, root.Cert}, key.Public(), now.Add(48 * time.Hour), certs.ErrValidity},
			}
			for _, b := range bad {
				if err := certs.CheckIssued(purpose, b.chain, b.pub, b.now); !errors.Is(err, b.want) {
					t.Errorf("CheckIssued(%s) = %v, want %v", b.name, err, b.want)
				}
			}
		})
	}
	if _, err := certs.NewRequest("tls", pkix.Name{CommonName: "x"}, key); !errors.Is(err, certs.ErrPurpose) {
		t.Errorf("NewRequest(tls) = %v, want ErrPurpose", err)
	}
}
