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

	"github.com/custos-project/custos/certs"
)

// issueFromRequest plays an outside CA that grants what the request asks.
func issueFromRequest(t *testing.T, ca *certs.Authority, csrPEM []byte, notAfter time.Time) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(csrPEM)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		t.Fatalf("NewRequest gave no CERTIFICATE REQUEST block: %q", csrPEM)
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if err := csr.CheckSignature(); err != nil {
		t.Fatalf("request signature: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: csr.Subject,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter,
		ExtraExtensions: csr.Extensions,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, csr.PublicKey, ca.Signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func TestRequestThenCheckIssued(t *testing.T) {
	now := time.Now()
	root, err := certs.NewRoot("Outside CA", now)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for _, purpose := range []string{certs.PurposeTSA, certs.PurposeNotary} {
		t.Run(purpose, func(t *testing.T) {
			csr, err := certs.NewRequest(purpose, pkix.Name{CommonName: "杭州市互联网公证处 " + purpose, Country: []string{"CN"}}, key)
			if err != nil {
				t.Fatal(err)
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
