package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
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

// IssueGovernanceFor certifies a key made elsewhere (a token's): the
// certificate passes CheckGovernance for that key, and only a P-256 ECDSA
// key is accepted.
func TestIssueGovernanceFor(t *testing.T) {
	root, org, _ := testPKI(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := org.IssueGovernanceFor("Test Court governance", key.Public(), testNow)
	if err != nil {
		t.Fatalf("IssueGovernanceFor() = %v", err)
	}
	if !SameKey(cert, key) {
		t.Error("IssueGovernanceFor() certifies another key")
	}
	if err := CheckGovernance(cert, org.Cert, root.Cert, testNow); err != nil {
		t.Errorf("CheckGovernance() = %v, want nil", err)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	for name, pub := range map[string]crypto.PublicKey{"P-384": p384.Public(), "Ed25519": ed.Public()} {
		if _, err := org.IssueGovernanceFor("x", pub, testNow); !errors.Is(err, ErrKey) {
			t.Errorf("IssueGovernanceFor(%s key) = %v, want ErrKey", name, err)
		}
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

// TestCheckGovernanceSM: in the sm suite (an SM2 root and organization CA,
// signatures SM2-with-SM3, which crypto/x509 cannot check) a governance
// certificate (an ECDSA P-256 key) checks under its organization CA and
// root, and not under another SM2 root.
func TestCheckGovernanceSM(t *testing.T) {
	root, org, _, _ := smPKI(t)
	gov, err := org.IssueGovernance("SM governance", testNow)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ParseCertificate(gov.Cert.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckGovernance(parsed, org.Cert, root.Cert, testNow); err != nil {
		t.Errorf("CheckGovernance in the sm suite = %v, want nil", err)
	}
	other, err := NewSuiteRoot(SuiteSM, "SM Root", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckGovernance(parsed, org.Cert, other.Cert, testNow); !errors.Is(err, ErrChain) {
		t.Errorf("CheckGovernance under another SM2 root = %v, want ErrChain", err)
	}
}

// TestCheckGovernanceIssued: a governance certificate is found issued by
// its organization CA, in both suites and once expired, and not by
// another CA, nor a certificate of another purpose.
func TestCheckGovernanceIssued(t *testing.T) {
	_, org, _ := testPKI(t)
	_, other, _ := testPKI(t)
	_, smOrg, _, notary := smPKI(t)
	gov, err := org.IssueGovernance("Test governance", testNow)
	if err != nil {
		t.Fatal(err)
	}
	smGov, err := smOrg.IssueGovernance("SM governance", testNow)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		cert, ca  *x509.Certificate
		wantError error
	}{
		{"ecdsa", gov.Cert, org.Cert, nil},
		{"sm", smGov.Cert, smOrg.Cert, nil},
		{"another CA", gov.Cert, other.Cert, ErrChain},
		{"another suite's CA", smGov.Cert, org.Cert, ErrChain},
		{"a notary certificate", notary.Cert, smOrg.Cert, ErrNotGovernance},
	} {
		if err := CheckGovernanceIssued(c.cert, c.ca); !errors.Is(err, c.wantError) || (err == nil) != (c.wantError == nil) {
			t.Errorf("%s: CheckGovernanceIssued() = %v, want %v", c.name, err, c.wantError)
		}
	}
}

// TestSignCheckSignature: Sign's signature checks under the signer's
// certificate in both suites, and not over another message or under
// another key.
func TestSignCheckSignature(t *testing.T) {
	_, org, _ := testPKI(t)
	_, smOrg, _, _ := smPKI(t)
	msg := []byte("custos revocation test")
	for _, a := range []*Authority{org, smOrg} {
		sig, err := Sign(a.Signer, msg)
		if err != nil {
			t.Fatalf("Sign(%s) = %v", KeySuite(a.Cert.PublicKey), err)
		}
		if err := CheckSignature(a.Cert, msg, sig); err != nil {
			t.Errorf("CheckSignature(%s) = %v", KeySuite(a.Cert.PublicKey), err)
		}
		if err := CheckSignature(a.Cert, []byte("another message"), sig); err == nil {
			t.Errorf("CheckSignature(%s) of another message = nil, want an error", KeySuite(a.Cert.PublicKey))
		}
	}
	sig, _ := Sign(org.Signer, msg)
	if err := CheckSignature(smOrg.Cert, msg, sig); err == nil {
		t.Error("CheckSignature() under another key = nil, want an error")
	}
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := Sign(edKey, msg); !errors.Is(err, ErrKey) {
		t.Errorf("Sign(Ed25519) = %v, want ErrKey", err)
	}
}
