package notary

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/cms"
	"github.com/custos-project/custos/internal/oids"
)

// newSMTestPKI is newTestPKI in the sm suite: SM2 keys, SM2-with-SM3
// certificates.
func newSMTestPKI(t testing.TB, now time.Time) *testPKI {
	t.Helper()
	root, err := certs.NewSuiteRoot(certs.SuiteSM, "Notary SM Test Root", now)
	if err != nil {
		t.Fatal(err)
	}
	org, err := root.NewOrgCA(certs.KindNotary, "Test SM Notary Office", now)
	if err != nil {
		t.Fatal(err)
	}
	tsa, err := org.IssueTSA("Test SM TSA", now)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	return &testPKI{root: root, org: org, tsa: tsa, roots: roots}
}

// checkSMToken checks an sm suite reply by hand, with gmsm's SM2 and SM3
// and the project's CMS decoder: SM3 digest algorithms, the SM2-with-SM3
// signature algorithm, messageDigest = SM3(TSTInfo), the ESS
// signing-certificate-v2 hash = SHA-256(certificate), and the SM2
// signature over SM3(Z_A ‖ signed attributes) with the default user ID
// and with no other.
func checkSMToken(t *testing.T, reply []byte, cert *x509.Certificate) {
	t.Helper()
	token, err := cms.DecodeReply(reply)
	if err != nil {
		t.Fatalf("DecodeReply() = %v", err)
	}
	sd, err := cms.Decode(token)
	if err != nil {
		t.Fatalf("cms.Decode() = %v", err)
	}
	sm3Alg := cms.AlgorithmID(oids.SM3, false)
	if !bytes.Equal(sd.DigestAlgorithms, sm3Alg) || !bytes.Equal(sd.Signer.DigestAlgorithm, sm3Alg) {
		t.Errorf("digest algorithms %x, %x, want SM3 %x", sd.DigestAlgorithms, sd.Signer.DigestAlgorithm, sm3Alg)
	}
	if got, _ := cms.AlgorithmOID(sd.Signer.SignatureAlgorithm); !got.Equal(oids.SM2WithSM3) {
		t.Errorf("signatureAlgorithm %v, want %v", got, oids.SM2WithSM3)
	}
	attrs, err := cms.DecodeAttributes(sd.Signer.SignedAttrs)
	if err != nil {
		t.Fatal(err)
	}
	md, err := attrs.Single(oids.MessageDigest)
	if err != nil {
		t.Fatal(err)
	}
	if want := sm3.Sum(sd.Content); !bytes.Equal(md, cms.TLV(cms.TagOctetString, want[:])) {
		t.Errorf("messageDigest %x, want SM3 of the TSTInfo %x", md, want)
	}
	ess, err := attrs.Single(oids.SigningCertV2)
	if err != nil {
		t.Fatal(err)
	}
	h, certHash, err := cms.DecodeSigningCertificateV2(ess)
	if sum := sha256.Sum256(cert.Raw); err != nil || h != crypto.SHA256 || !bytes.Equal(certHash, sum[:]) {
		t.Errorf("ESS signing-certificate-v2 = %v %x, %v; want SHA-256 %x", h, certHash, err, sum)
	}
	pub := cert.PublicKey.(*ecdsa.PublicKey)
	if !sm2.VerifyASN1WithSM2(pub, nil, sd.Signer.SignedAttrs, sd.Signer.Signature) {
		t.Error("the SM2 signature does not verify with the default user ID")
	}
	if sm2.VerifyASN1WithSM2(pub, []byte("another user id"), sd.Signer.SignedAttrs, sd.Signer.Signature) {
		t.Error("the SM2 signature verifies with another user ID")
	}
}

func TestSMTokens(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	p := newSMTestPKI(t, now)
	tsa := newTestTSA(t, p, func() time.Time { return now })
	digest := sha256.Sum256([]byte("evidence"))
	tok, err := tsa.Stamp(context.Background(), crypto.SHA256, digest[:])
	if err != nil {
		t.Fatalf("Stamp() = %v", err)
	}
	checkSMToken(t, tok.Reply, p.tsa.Cert)

	query := mustQuery(t, timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: digest[:], Certificates: true})
	reply, err := tsa.Respond(query)
	if err != nil {
		t.Fatalf("Respond() = %v", err)
	}
	checkSMToken(t, reply, p.tsa.Cert)
}

// TestSMTSARefusesMismatch: an SM2 certificate with an ECDSA signer (or
// the reverse) is refused, as for the ecdsa suite.
func TestSMTSARefusesMismatch(t *testing.T) {
	now := time.Now()
	sm, ec := newSMTestPKI(t, now), newTestPKI(t, now)
	if _, err := NewTSA(TSAConfig{Cert: sm.tsa.Cert, Chain: sm.tsa.Chain, Signer: ec.tsa.Signer}); err == nil {
		t.Error("NewTSA(SM2 certificate, ECDSA signer) = nil error")
	}
	if _, err := NewTSA(TSAConfig{Cert: sm.tsa.Cert, Chain: ec.tsa.Chain, Signer: sm.tsa.Signer}); err == nil {
		t.Error("NewTSA(SM2 certificate, ECDSA chain) = nil error")
	}
}
