package certs

import (
	"crypto/x509"
	"errors"
	"testing"
	"time"
)

func TestIssueNotary(t *testing.T) {
	now := time.Now()
	root, err := NewRoot("Root", now)
	if err != nil {
		t.Fatal(err)
	}
	org, err := root.NewOrgCA(KindNotary, "杭州市互联网公证处", now)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := org.IssueNotary("张三", now)
	if err != nil {
		t.Fatal(err)
	}
	c := leaf.Cert
	if c.Subject.CommonName != "张三" || c.Subject.Organization[0] != "杭州市互联网公证处" || c.Subject.OrganizationalUnit[0] != KindNotary {
		t.Errorf("Subject = %v", c.Subject)
	}
	if want := x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment; c.KeyUsage != want {
		t.Errorf("KeyUsage = %v, want %v", c.KeyUsage, want)
	}
	if len(c.ExtKeyUsage) != 1 || c.ExtKeyUsage[0] != x509.ExtKeyUsageEmailProtection {
		t.Errorf("ExtKeyUsage = %v, want [emailProtection]", c.ExtKeyUsage)
	}
	if c.IsCA || !SameKey(c, leaf.Signer) || len(leaf.Chain) != 2 {
		t.Errorf("IsCA = %v, key matches = %v, chain = %d", c.IsCA, SameKey(c, leaf.Signer), len(leaf.Chain))
	}
	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	inter := x509.NewCertPool()
	inter.AddCert(org.Cert)
	if _, err := c.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}); err != nil {
		t.Errorf("Verify() = %v", err)
	}
	if err := CheckTSA(c); !errors.Is(err, ErrNotTSA) {
		t.Errorf("CheckTSA(notary) = %v, want ErrNotTSA", err)
	}
}

func TestIssueNotaryRefuses(t *testing.T) {
	now := time.Now()
	root, _ := NewRoot("Root", now)
	court, _ := root.NewOrgCA(KindCourt, "杭州互联网法院", now)
	notary, _ := root.NewOrgCA(KindNotary, "公证处", now)
	if _, err := court.IssueNotary("x", now); !errors.Is(err, ErrKind) {
		t.Errorf("court CA IssueNotary() = %v, want ErrKind", err)
	}
	if _, err := root.IssueNotary("x", now); !errors.Is(err, ErrNotCA) {
		t.Errorf("root IssueNotary() = %v, want ErrNotCA", err)
	}
	if _, err := notary.IssueNotary("", now); err == nil {
		t.Errorf("IssueNotary(\"\") = nil error")
	}
}
