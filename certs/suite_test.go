package certs

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custos-project/custos/internal/testenv"
)

// smPKI builds an sm suite root → notary organization CA → TSA and notary.
func smPKI(t testing.TB) (root, org *Authority, tsa, notary *Leaf) {
	t.Helper()
	root, err := NewSuiteRoot(SuiteSM, "SM Root", testNow)
	if err != nil {
		t.Fatalf("NewSuiteRoot(sm) = %v", err)
	}
	if org, err = root.NewOrgCA(KindNotary, "SM Notary Office", testNow); err != nil {
		t.Fatalf("NewOrgCA() = %v", err)
	}
	if tsa, err = org.IssueTSA("SM TSA", testNow); err != nil {
		t.Fatalf("IssueTSA() = %v", err)
	}
	if notary, err = org.IssueNotary("SM Notary", testNow); err != nil {
		t.Fatalf("IssueNotary() = %v", err)
	}
	return root, org, tsa, notary
}

func TestSuiteSM(t *testing.T) {
	root, org, tsa, notary := smPKI(t)
	for _, c := range []*x509.Certificate{root.Cert, org.Cert, tsa.Cert, notary.Cert} {
		if got := KeySuite(c.PublicKey); got != SuiteSM {
			t.Errorf("KeySuite(%q) = %q, want %q", c.Subject.CommonName, got, SuiteSM)
		}
	}
	links := []struct{ child, parent *x509.Certificate }{
		{root.Cert, root.Cert}, {org.Cert, root.Cert}, {tsa.Cert, org.Cert}, {notary.Cert, org.Cert}}
	for _, l := range links {
		if err := CheckSignatureFrom(l.child, l.parent); err != nil {
			t.Errorf("CheckSignatureFrom(%q, %q) = %v", l.child.Subject.CommonName, l.parent.Subject.CommonName, err)
		}
	}
	if err := CheckSignatureFrom(tsa.Cert, root.Cert); err == nil {
		t.Error("CheckSignatureFrom(TSA, root) = nil, want an error (the org CA signed it)")
	}
	if err := CheckTSA(tsa.Cert); err != nil {
		t.Errorf("CheckTSA() = %v", err)
	}
	if err := CheckIssued(PurposeTSA, append([]*x509.Certificate{tsa.Cert}, tsa.Chain...), tsa.Signer.Public(), testNow); err != nil {
		t.Errorf("CheckIssued(tsa) = %v", err)
	}
	if err := CheckIssued(PurposeNotary, append([]*x509.Certificate{notary.Cert}, notary.Chain...), notary.Signer.Public(), testNow); err != nil {
		t.Errorf("CheckIssued(notary) = %v", err)
	}
	other, _, _, _ := smPKI(t)
	bad := []*x509.Certificate{tsa.Cert, org.Cert, other.Cert}
	if err := CheckIssued(PurposeTSA, bad, tsa.Signer.Public(), testNow); !errors.Is(err, ErrChain) {
		t.Errorf("CheckIssued(another root) = %v, want ErrChain", err)
	}
}

// TestSuiteSMKeepsNodeKeys: node keys stay Ed25519 and governance keys
// ECDSA, certified by the SM2 organization CA.
func TestSuiteSMKeepsNodeKeys(t *testing.T) {
	_, org, _, _ := smPKI(t)
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	node, err := org.IssueNode("node0", pub, testNow)
	if err != nil {
		t.Fatalf("IssueNode() = %v", err)
	}
	if err := CheckSignatureFrom(node, org.Cert); err != nil {
		t.Errorf("CheckSignatureFrom(node, org) = %v", err)
	}
	gov, err := org.IssueGovernance("admin", testNow)
	if err != nil {
		t.Fatalf("IssueGovernance() = %v", err)
	}
	if KeySuite(gov.Cert.PublicKey) != SuiteECDSA || KeySuite(node.PublicKey) != SuiteECDSA {
		t.Error("a node or governance key follows the sm suite; want Ed25519 and ECDSA")
	}
}

func TestSuiteSMPEM(t *testing.T) {
	root, org, tsa, _ := smPKI(t)
	certs, err := ParsePEM(EncodePEM(tsa.Cert, org.Cert, root.Cert))
	if err != nil {
		t.Fatalf("ParsePEM() = %v", err)
	}
	if len(certs) != 3 || !certs[0].Equal(tsa.Cert) || !certs[2].Equal(root.Cert) {
		t.Fatalf("ParsePEM() = %d certificates, not the ones encoded", len(certs))
	}
	if KeySuite(certs[0].PublicKey) != SuiteSM {
		t.Errorf("parsed TSA key is not SM2")
	}
	keyPEM, err := EncodeKeyPEM(tsa.Signer)
	if err != nil {
		t.Fatalf("EncodeKeyPEM(SM2) = %v", err)
	}
	key, err := ParseKeyPEM(keyPEM)
	if err != nil {
		t.Fatalf("ParseKeyPEM(SM2) = %v", err)
	}
	if !SameKey(tsa.Cert, key) {
		t.Error("ParseKeyPEM(EncodeKeyPEM(key)) is another key")
	}
}

func TestLoadOrCreateDevReadsSM(t *testing.T) {
	root, org, tsa, _ := smPKI(t)
	dir := t.TempDir()
	d := &Dev{Root: root, Org: org, TSA: tsa}
	contents, err := d.encode()
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range devFiles {
		if err := os.WriteFile(filepath.Join(dir, name), contents[i], 0o600); err != nil {
			t.Fatal(err)
		}
	}
	got, err := LoadOrCreateDev(dir, "unused", testNow)
	if err != nil {
		t.Fatalf("LoadOrCreateDev(sm files) = %v", err)
	}
	if !got.TSA.Cert.Equal(tsa.Cert) || !SameKey(got.TSA.Cert, got.TSA.Signer) {
		t.Error("loaded TSA differs from the one written")
	}
}

func TestParseSuite(t *testing.T) {
	for in, want := range map[string]Suite{"": SuiteECDSA, "ecdsa": SuiteECDSA, "sm": SuiteSM} {
		if got, err := ParseSuite(in); err != nil || got != want {
			t.Errorf("ParseSuite(%q) = %q, %v, want %q", in, got, err, want)
		}
	}
	if _, err := ParseSuite("sm2"); !errors.Is(err, ErrSuite) {
		t.Errorf("ParseSuite(sm2) = %v, want ErrSuite", err)
	}
}

// TestSuiteSMOpenSSL has OpenSSL 3, an independent implementation, verify
// the sm chains: it accepts each certificate with the GM/T 0009 default
// user ID as distinguishing ID, and refuses it without (OpenSSL then
// hashes no Z_A), which shows the signatures are over SM3(Z_A ‖ TBS) with
// that ID. OpenSSL 3.0's verify command sets the distinguishing ID only
// on the certificate it verifies, not on the intermediates of
// -untrusted, so a three-level chain is checked link by link: the org CA
// against the root, then each leaf against the org CA (-partial_chain).
func TestSuiteSMOpenSSL(t *testing.T) {
	bin, err := exec.LookPath("openssl")
	if err != nil {
		if testenv.RequireIntegration() {
			t.Fatalf("openssl not found and CUSTOS_REQUIRE_INTEGRATION=1: %v", err)
		}
		t.Skip("openssl not found; set CUSTOS_REQUIRE_INTEGRATION=1 to make this a failure")
	}
	root, org, tsa, notary := smPKI(t)
	dir := t.TempDir()
	files := map[string][]byte{"root.pem": EncodePEM(root.Cert), "org.pem": EncodePEM(org.Cert),
		"tsa.pem": EncodePEM(tsa.Cert), "notary.pem": EncodePEM(notary.Cert)}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	// 2026-03-08, inside every certificate's validity.
	at := []string{"verify", "-attime", "1773000000"}
	links := []struct{ issuer, leaf string }{
		{"root.pem", "org.pem"}, {"org.pem", "tsa.pem"}, {"org.pem", "notary.pem"}}
	for _, l := range links {
		ca := []string{"-CAfile", l.issuer, l.leaf}
		if l.issuer != "root.pem" {
			ca = append([]string{"-partial_chain"}, ca...)
		}
		args := append(append(append([]string{}, at...), "-vfyopt", "distid:1234567812345678"), ca...)
		if out, err := run(args...); err != nil || !strings.Contains(out, l.leaf+": OK") {
			t.Errorf("openssl %s = %v\n%s", strings.Join(args, " "), err, out)
		}
		args = append(append([]string{}, at...), ca...)
		if out, err := run(args...); err == nil || strings.Contains(out, l.leaf+": OK") {
			t.Errorf("openssl %s (no distid) accepted the certificate:\n%s", strings.Join(args, " "), out)
		}
	}
}

// FuzzParseCertificate: ParseCertificate (crypto/x509, then smx509 for SM2)
// never panics on outside bytes, and what it accepts is exactly its input,
// which parses again to the same certificate.
func FuzzParseCertificate(f *testing.F) {
	root, org, tsa, _ := smPKI(f)
	ecRoot, _, ecTSA := testPKI(f)
	for _, c := range []*x509.Certificate{root.Cert, org.Cert, tsa.Cert, ecRoot.Cert, ecTSA.Cert} {
		f.Add(c.Raw)
	}
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		c, err := ParseCertificate(der)
		if err != nil {
			return
		}
		if string(c.Raw) != string(der) {
			t.Fatalf("ParseCertificate accepted %x as a certificate of %x", der, c.Raw)
		}
		again, err := ParseCertificate(c.Raw)
		if err != nil || !again.Equal(c) || KeySuite(again.PublicKey) != KeySuite(c.PublicKey) {
			t.Fatalf("ParseCertificate(c.Raw) = %v, another certificate", err)
		}
	})
}
