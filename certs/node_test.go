package certs

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"testing"
	"time"
)

func newNodeKey(t *testing.T) ed25519.PublicKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("ed25519.GenerateKey() = %v", err)
	}
	return pub
}

func TestIssueNode(t *testing.T) {
	root, org, _ := testPKI(t)
	pub := newNodeKey(t)
	cert, err := org.IssueNode("node0", pub, testNow)
	if err != nil {
		t.Fatalf("IssueNode() = %v", err)
	}
	if got, ok := cert.PublicKey.(ed25519.PublicKey); !ok || !got.Equal(pub) {
		t.Errorf("IssueNode().PublicKey = %v, want %v", cert.PublicKey, pub)
	}
	if cert.Subject.CommonName != "node0" || cert.Subject.Organization[0] != "Test Court" || cert.Subject.OrganizationalUnit[0] != KindCourt {
		t.Errorf("IssueNode().Subject = %v, want CN=node0,O=Test Court,OU=court", cert.Subject)
	}
	if cert.KeyUsage != x509.KeyUsageDigitalSignature || cert.IsCA {
		t.Errorf("IssueNode() KeyUsage = %v, IsCA = %v; want digitalSignature, false", cert.KeyUsage, cert.IsCA)
	}
	if got, want := cert.NotAfter, testNow.Add(NodeValidity).UTC(); !got.Equal(want) {
		t.Errorf("IssueNode().NotAfter = %v, want %v", got, want)
	}

	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	inter := x509.NewCertPool()
	inter.AddCert(org.Cert)
	tests := []struct {
		name    string
		at      time.Time
		usage   x509.ExtKeyUsage
		wantErr bool
	}{
		{"client now", testNow, x509.ExtKeyUsageClientAuth, false},
		{"server now", testNow, x509.ExtKeyUsageServerAuth, false},
		{"in four years", testNow.AddDate(4, 0, 0), x509.ExtKeyUsageClientAuth, false},
		{"after expiry", testNow.AddDate(6, 0, 0), x509.ExtKeyUsageClientAuth, true},
		{"before issue", testNow.Add(-time.Hour), x509.ExtKeyUsageClientAuth, true},
		{"time stamping", testNow, x509.ExtKeyUsageTimeStamping, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chains, err := cert.Verify(x509.VerifyOptions{
				Roots: roots, Intermediates: inter, CurrentTime: tt.at,
				KeyUsages: []x509.ExtKeyUsage{tt.usage},
			})
			if (err != nil) != tt.wantErr {
				t.Fatalf("Verify() = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && (len(chains) != 1 || len(chains[0]) != 3 || !chains[0][1].Equal(org.Cert)) {
				t.Errorf("Verify() chains = %v, want [node org root]", chains)
			}
		})
	}
}

func TestIssueNodeClamped(t *testing.T) {
	_, org, _ := testPKI(t)
	// Nine years on, the organization CA has one year left.
	cert, err := org.IssueNode("late", newNodeKey(t), testNow.AddDate(9, 0, 0))
	if err != nil {
		t.Fatalf("IssueNode() = %v", err)
	}
	if !cert.NotAfter.Equal(org.Cert.NotAfter) {
		t.Errorf("IssueNode().NotAfter = %v, want the CA's %v", cert.NotAfter, org.Cert.NotAfter)
	}
}

func TestIssueNodeRules(t *testing.T) {
	root, org, tsa := testPKI(t)
	pub := newNodeKey(t)
	leafAuthority := &Authority{Cert: tsa.Cert, Signer: tsa.Signer}
	tests := []struct {
		name string
		a    *Authority
		cn   string
		pub  ed25519.PublicKey
		want error
	}{
		{"root", root, "n", pub, ErrNotCA},
		{"not a CA", leafAuthority, "n", pub, ErrNotCA},
		{"short key", org, "n", pub[:31], ErrKey},
		{"nil key", org, "n", nil, ErrKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.a.IssueNode(tt.cn, tt.pub, testNow); !errors.Is(err, tt.want) {
				t.Errorf("IssueNode() = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := org.IssueNode("", pub, testNow); err == nil {
		t.Errorf("IssueNode(\"\") = nil, want error")
	}
}
