package certs

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"testing"
	"time"
)

// TestSignOrgCA: the root signs a joining member's organization CA from
// its request, with NewOrgCA's profile, and the new CA issues node and
// governance certificates that chain to the root. A request with a bad
// kind or a broken signature is refused.
func TestSignOrgCA(t *testing.T) {
	now := time.Now()
	root, err := NewRoot("Test Root", now)
	if err != nil {
		t.Fatal(err)
	}
	key, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	csr, err := NewOrgCARequest(KindCourt, "Shanghai Court", key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := root.SignOrgCA(csr, now)
	if err != nil {
		t.Fatal(err)
	}
	want, err := root.NewOrgCA(KindCourt, "Shanghai Court", now)
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.String() != want.Cert.Subject.String() || !cert.IsCA || !cert.MaxPathLenZero || cert.KeyUsage != want.Cert.KeyUsage {
		t.Errorf("signed org CA %v (CA %v, pathlen0 %v, ku %v), want the profile of %v", cert.Subject, cert.IsCA, cert.MaxPathLenZero, cert.KeyUsage, want.Cert.Subject)
	}
	if !SameKey(cert, key) {
		t.Error("the org CA is not for the requested key")
	}
	org := &Authority{Cert: cert, Signer: key, Chain: root.chainBelow()}
	gov, err := org.IssueGovernance("Shanghai Court governance", now)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckGovernance(gov.Cert, cert, root.Cert, now); err != nil {
		t.Errorf("governance cert under the joined org CA: %v", err)
	}
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := org.IssueNode("Shanghai Court node", pub, now); err != nil {
		t.Errorf("node cert under the joined org CA: %v", err)
	}

	if _, err := NewOrgCARequest("bank", "X", key); !errors.Is(err, ErrKind) {
		t.Errorf("request of kind bank: %v, want ErrKind", err)
	}
	bad := append([]byte(nil), csr...)
	bad[len(bad)/2] ^= 1
	if _, err := root.SignOrgCA(bad, now); !errors.Is(err, ErrOrgRequest) {
		t.Errorf("a corrupted request: %v, want ErrOrgRequest", err)
	}
	if _, err := root.SignOrgCA([]byte("not pem"), now); !errors.Is(err, ErrOrgRequest) {
		t.Errorf("not PEM: %v, want ErrOrgRequest", err)
	}
}
