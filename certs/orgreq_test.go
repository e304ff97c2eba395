package certs

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/internal/testenv"
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

// TestSignOrgCASM: under an SM2 root, an SM2 request (signed SM2 with SM3)
// gets an SM2 organization CA signed SM2 with SM3, which issues under the
// root. A tampered request is refused, and so is a request whose key is of
// the other suite, in both directions: a consortium's chains are of one
// suite.
func TestSignOrgCASM(t *testing.T) {
	now := time.Now()
	root, key, csr, cert := smOrgCA(t, now)
	req, kind, name, err := ParseOrgCARequest(csr)
	if err != nil || kind != KindNotary || name != "杭州市互联网公证处" || KeySuite(req.PublicKey) != SuiteSM {
		t.Fatalf("ParseOrgCARequest = %v %q %q, want an SM2 request of the notary", err, kind, name)
	}
	if KeySuite(cert.PublicKey) != SuiteSM || !SameKey(cert, key) {
		t.Errorf("the org CA's key is of the %s suite or not the requested key", KeySuite(cert.PublicKey))
	}
	if err := CheckSignatureFrom(cert, root.Cert); err != nil {
		t.Errorf("the org CA does not verify under the SM2 root: %v", err)
	}
	org := &Authority{Cert: cert, Signer: key, Chain: root.chainBelow()}
	tsa, err := org.IssueTSA("TSA", now)
	if err != nil {
		t.Fatal(err)
	}
	if KeySuite(tsa.Cert.PublicKey) != SuiteSM || CheckSignatureFrom(tsa.Cert, cert) != nil {
		t.Errorf("the TSA under the joined SM2 org CA is of the %s suite or does not verify", KeySuite(tsa.Cert.PublicKey))
	}

	// The last byte of the DER is in the signature's s: the request still
	// parses, and its signature does not verify.
	block, _ := pem.Decode(csr)
	der := append([]byte(nil), block.Bytes...)
	der[len(der)-1] ^= 1
	bad := pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: der})
	if _, err := root.SignOrgCA(bad, now); !errors.Is(err, ErrOrgRequest) || !strings.Contains(err.Error(), "signature") {
		t.Errorf("an SM2 request with a changed signature: %v, want ErrOrgRequest for its signature", err)
	}
	ecKey, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	ecCSR, err := NewOrgCARequest(KindCourt, "Shanghai Court", ecKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := root.SignOrgCA(ecCSR, now); !errors.Is(err, ErrOrgRequest) {
		t.Errorf("an ECDSA request under an SM2 root: %v, want ErrOrgRequest", err)
	}
	ecRoot, err := NewRoot("EC Root", now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ecRoot.SignOrgCA(csr, now); !errors.Is(err, ErrOrgRequest) {
		t.Errorf("an SM2 request under an ECDSA root: %v, want ErrOrgRequest", err)
	}
}

// TestSignOrgCASMOpenSSL: OpenSSL checks an SM2 organization CA request's
// signature with the default user ID of GM/T 0009 (and not without it:
// OpenSSL 3 uses an empty ID unless told), and the organization CA the SM2
// root signed from it verifies under the root.
func TestSignOrgCASMOpenSSL(t *testing.T) {
	bin := testenv.LookBinary(t, "openssl")
	root, _, csr, cert := smOrgCA(t, time.Now())
	dir := t.TempDir()
	for name, b := range map[string][]byte{"req.pem": csr, "root.pem": EncodePEM(root.Cert), "org.pem": EncodePEM(cert)} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) string {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		out, _ := cmd.CombinedOutput()
		return string(out)
	}
	distid := []string{"-vfyopt", "distid:1234567812345678"}
	if out := run(append([]string{"req", "-in", "req.pem", "-noout", "-verify"}, distid...)...); !strings.Contains(out, "verify OK") {
		t.Errorf("openssl req -verify (distid) did not verify the SM2 request:\n%s", out)
	}
	if out := run("req", "-in", "req.pem", "-noout", "-verify"); strings.Contains(out, "verify OK") {
		t.Errorf("openssl req -verify without the distid verified the SM2 request:\n%s", out)
	}
	if out := run(append(append([]string{"verify"}, distid...), "-CAfile", "root.pem", "org.pem")...); !strings.Contains(out, "org.pem: OK") {
		t.Errorf("openssl verify (distid) refused the SM2 organization CA:\n%s", out)
	}
}

// smOrgCA is an SM2 root, the SM2 key of a joining notary, its organization
// CA request and the organization CA the root signed from it.
func smOrgCA(t *testing.T, now time.Time) (root *Authority, key crypto.Signer, csr []byte, cert *x509.Certificate) {
	t.Helper()
	root, err := NewSuiteRoot(SuiteSM, "SM Root", now)
	if err != nil {
		t.Fatal(err)
	}
	if key, err = NewSuiteKey(SuiteSM); err != nil {
		t.Fatal(err)
	}
	if csr, err = NewOrgCARequest(KindNotary, "杭州市互联网公证处", key); err != nil {
		t.Fatal(err)
	}
	if cert, err = root.SignOrgCA(csr, now); err != nil {
		t.Fatal(err)
	}
	return root, key, csr, cert
}
