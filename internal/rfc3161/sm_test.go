package rfc3161

import (
	"bytes"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"
)

var smNow = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func smChainForTest(t *testing.T) (root, org *certs.Authority, tsa *certs.Leaf) {
	t.Helper()
	root, err := certs.NewSuiteRoot(certs.SuiteSM, "SM Root", smNow)
	if err != nil {
		t.Fatal(err)
	}
	if org, err = root.NewOrgCA(certs.KindCourt, "SM Court", smNow); err != nil {
		t.Fatal(err)
	}
	if tsa, err = org.IssueTSA("SM TSA", smNow); err != nil {
		t.Fatal(err)
	}
	return root, org, tsa
}

func TestCheckChainSM(t *testing.T) {
	root, org, tsa := smChainForTest(t)
	other, _, _ := smChainForTest(t)
	pool := func(cs ...*x509.Certificate) *x509.CertPool {
		p := x509.NewCertPool()
		for _, c := range cs {
			p.AddCert(c)
		}
		return p
	}
	all := []*x509.Certificate{org.Cert, root.Cert}
	tests := []struct {
		name       string
		roots      *x509.CertPool
		candidates []*x509.Certificate
		at         time.Time
		wantErr    string // "" for success
	}{
		{"trusted", pool(root.Cert), all, smNow, ""},
		// A CertPool cannot be listed: the root must also be a candidate.
		{"root only in the pool", pool(root.Cert), all[:1], smNow, "no issuer"},
		{"years later, within validity", pool(root.Cert), all, smNow.AddDate(4, 0, 0), ""},
		{"after the TSA's expiry", pool(root.Cert), all, smNow.AddDate(6, 0, 0), "valid from"},
		{"another root", pool(other.Cert), all, smNow, "not trusted"},
		{"no organization CA", pool(root.Cert), all[1:], smNow, "no issuer"},
		{"the TSA a root", pool(tsa.Cert), all, smNow, "itself a root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chain, err := checkChainSM(tsa.Cert, tt.at, tt.roots, tt.candidates)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("checkChainSM() = %v", err)
			case tt.wantErr == "" && (len(chain) != 3 || chain[2] != root.Cert):
				t.Fatalf("checkChainSM() = chain of %d, want TSA, org CA, root", len(chain))
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("checkChainSM() = %v, want an error with %q", err, tt.wantErr)
			}
		})
	}
}

func TestCanIssue(t *testing.T) {
	_, org, tsa := smChainForTest(t)
	ca := func(edit func(*x509.Certificate)) *x509.Certificate {
		c := *org.Cert
		edit(&c)
		return &c
	}
	tests := []struct {
		name    string
		cert    *x509.Certificate
		below   int
		wantErr bool
	}{
		{"org CA, nothing between", org.Cert, 0, false},
		{"org CA, one CA between", org.Cert, 1, true},
		{"not a CA", tsa.Cert, 0, true},
		{"no keyCertSign", ca(func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageDigitalSignature }), 0, true},
		{"EKU serverAuth only", ca(func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth} }), 0, true},
		{"EKU timeStamping", ca(func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping} }), 0, false},
		{"no path length", ca(func(c *x509.Certificate) { c.MaxPathLen, c.MaxPathLenZero = -1, false }), 3, false},
	}
	for _, tt := range tests {
		if err := canIssue(tt.cert, tt.below); (err != nil) != tt.wantErr {
			t.Errorf("canIssue(%s, %d) = %v, want error %v", tt.name, tt.below, err, tt.wantErr)
		}
	}
}

func TestParseCertificatesSM(t *testing.T) {
	root, org, tsa := smChainForTest(t)
	der := bytes.Join([][]byte{tsa.Cert.Raw, org.Cert.Raw, root.Cert.Raw}, nil)
	if _, err := x509.ParseCertificates(der); err == nil {
		t.Fatal("crypto/x509 parses SM2 certificates now; parseCertificates' fallback may go")
	}
	got, err := parseCertificates(der)
	if err != nil || len(got) != 3 || !got[0].Equal(tsa.Cert) || !got[2].Equal(root.Cert) {
		t.Fatalf("parseCertificates(SM2 chain) = %d certificates, %v", len(got), err)
	}
	if _, err := parseCertificates(append(der, 0x30, 0x03, 1, 2, 3)); err == nil {
		t.Error("parseCertificates(chain + garbage) = nil error")
	}
}
