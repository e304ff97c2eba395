package certs

import (
	"crypto/ecdsa"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/custos-project/custos/internal/oids"
)

func TestIssueGovernance(t *testing.T) {
	root, org, _ := testPKI(t)
	gov, err := org.IssueGovernance("Test Court governance", testNow)
	if err != nil {
		t.Fatalf("IssueGovernance() = %v", err)
	}
	if _, ok := gov.Signer.(*ecdsa.PrivateKey); !ok || !SameKey(gov.Cert, gov.Signer) {
		t.Errorf("IssueGovernance().Signer = %T, want the certificate's ECDSA key", gov.Signer)
	}
	if gov.Cert.KeyUsage != x509.KeyUsageDigitalSignature || gov.Cert.IsCA {
		t.Errorf("KeyUsage = %v, IsCA = %v; want digitalSignature, false", gov.Cert.KeyUsage, gov.Cert.IsCA)
	}
	if len(gov.Cert.UnknownExtKeyUsage) != 1 || !gov.Cert.UnknownExtKeyUsage[0].Equal(oids.GovernanceKey) || len(gov.Cert.ExtKeyUsage) != 0 {
		t.Errorf("EKU = %v %v, want only %v", gov.Cert.ExtKeyUsage, gov.Cert.UnknownExtKeyUsage, oids.GovernanceKey)
	}
	if got, want := gov.Cert.NotAfter, testNow.Add(GovernanceValidity).UTC(); !got.Equal(want) {
		t.Errorf("NotAfter = %v, want %v", got, want)
	}
	if err := CheckGovernance(gov.Cert, org.Cert, root.Cert, testNow); err != nil {
		t.Errorf("CheckGovernance() = %v, want nil", err)
	}
	if _, err := root.IssueGovernance("x", testNow); !errors.Is(err, ErrNotCA) {
		t.Errorf("root.IssueGovernance() = %v, want ErrNotCA", err)
	}
	if _, err := org.IssueGovernance("", testNow); err == nil {
		t.Error("IssueGovernance(\"\") = nil error")
	}
}

// Only a governance certificate of the organization CA named, under the
// root, within every validity period, passes.
func TestCheckGovernance(t *testing.T) {
	root, org, tsa := testPKI(t)
	gov, err := org.IssueGovernance("gov", testNow)
	if err != nil {
		t.Fatal(err)
	}
	other, err := root.NewOrgCA(KindNotary, "Other Notary", testNow)
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := NewRoot("Stranger Root", testNow)
	if err != nil {
		t.Fatal(err)
	}
	strangerOrg, err := stranger.NewOrgCA(KindCourt, "Test Court", testNow)
	if err != nil {
		t.Fatal(err)
	}
	strangerGov, err := strangerOrg.IssueGovernance("gov", testNow)
	if err != nil {
		t.Fatal(err)
	}
	notary, err := other.IssueNotary("notary", testNow)
	if err != nil {
		t.Fatal(err)
	}
	node, err := org.IssueNode("node", newNodeKey(t), testNow)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name              string
		cert, orgCA, root *x509.Certificate
		at                time.Time
		want              error
	}{
		{"another organization's CA", gov.Cert, other.Cert, root.Cert, testNow, ErrChain},
		{"another consortium", strangerGov.Cert, strangerOrg.Cert, root.Cert, testNow, ErrChain},
		{"the root as organization CA", gov.Cert, root.Cert, root.Cert, testNow, ErrChain},
		{"a TSA certificate", tsa.Cert, org.Cert, root.Cert, testNow, ErrNotGovernance},
		{"a notary certificate", notary.Cert, other.Cert, root.Cert, testNow, ErrNotGovernance},
		{"a node certificate", node, org.Cert, root.Cert, testNow, ErrNotGovernance},
		{"an organization CA", org.Cert, org.Cert, root.Cert, testNow, ErrNotGovernance},
		{"expired", gov.Cert, org.Cert, root.Cert, testNow.Add(GovernanceValidity + time.Hour), ErrValidity},
		{"not yet valid", gov.Cert, org.Cert, root.Cert, testNow.Add(-time.Hour), ErrValidity},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := CheckGovernance(c.cert, c.orgCA, c.root, c.at); !errors.Is(err, c.want) {
				t.Errorf("CheckGovernance() = %v, want %v", err, c.want)
			}
		})
	}
}
