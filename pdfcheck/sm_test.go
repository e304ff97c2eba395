package pdfcheck

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"
)

// smNow is the clock of the sm suite's test PKI.
var smNow = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// smPKI is a development consortium PKI of the sm suite (SM2 with SM3):
// root → notary organization CA → the notary's signing certificate.
type smPKI struct {
	root, org *certs.Authority
	notary    *certs.Leaf
	roots     *x509.CertPool
}

func newSMPKI(t *testing.T) *smPKI {
	t.Helper()
	root, err := certs.NewSuiteRoot(certs.SuiteSM, "Custos Test Root CA", smNow)
	if err != nil {
		t.Fatal(err)
	}
	org, err := root.NewOrgCA(certs.KindNotary, "杭州市互联网公证处", smNow)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := org.IssueNotary("张三 公证员", smNow)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	return &smPKI{root: root, org: org, notary: leaf, roots: roots}
}

// TestCheckChainSM checks the sm chain step alone.
func TestCheckChainSM(t *testing.T) {
	p, other := newSMPKI(t), newSMPKI(t)
	n := p.notary
	all := append([]*x509.Certificate{n.Cert}, n.Chain...)
	tests := []struct {
		name     string
		embedded []*x509.Certificate
		roots    *x509.CertPool
		at       time.Time
		ok       bool
	}{
		{"whole chain", all, p.roots, smNow, true},
		{"root not embedded", all[:2], p.roots, smNow, false},
		{"no org CA", []*x509.Certificate{n.Cert, p.root.Cert}, p.roots, smNow, false},
		{"another root", all, other.roots, smNow, false},
		{"another org CA of that name", []*x509.Certificate{n.Cert, other.org.Cert, other.root.Cert}, other.roots, smNow, false},
		{"before the notary's validity", all, p.roots, smNow.Add(-time.Hour), false},
		{"after the notary's validity", all, p.roots, n.Cert.NotAfter.Add(time.Second), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chain, err := checkChainSM(n.Cert, tt.embedded, tt.roots, tt.at)
			if (err == nil) != tt.ok {
				t.Fatalf("checkChainSM() = %v, want ok %v", err, tt.ok)
			}
			if tt.ok && (len(chain) != 3 || !chain[2].Equal(p.root.Cert)) {
				t.Errorf("checkChainSM() = chain of %d, want notary, org CA, root", len(chain))
			}
		})
	}
	// A TSA certificate of the same CA: its extended key usage is
	// timeStamping only, not emailProtection.
	tsa, err := p.org.IssueTSA("Custos Test TSA 2", smNow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := checkChainSM(tsa.Cert, all, p.roots, smNow); err == nil {
		t.Error("checkChainSM(TSA certificate, timeStamping only) = nil, want an error")
	}
}
