package notary

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"
)

// testPKI is an in-memory root → org CA → TSA hierarchy.
type testPKI struct {
	root, org *certs.Authority
	tsa       *certs.Leaf
	roots     *x509.CertPool
}

func newTestPKI(t testing.TB, now time.Time) *testPKI {
	t.Helper()
	return newSuiteTestPKI(t, certs.SuiteECDSA, now)
}

// newSMTestPKI is newTestPKI in the sm suite: SM2 keys, SM2-with-SM3
// certificates.
func newSMTestPKI(t testing.TB, now time.Time) *testPKI {
	t.Helper()
	return newSuiteTestPKI(t, certs.SuiteSM, now)
}

func newSuiteTestPKI(t testing.TB, suite certs.Suite, now time.Time) *testPKI {
	t.Helper()
	prefix := ""
	if suite != certs.SuiteECDSA {
		prefix = string(suite) + " "
	}
	root, err := certs.NewSuiteRoot(suite, "Notary "+prefix+"Test Root", now)
	if err != nil {
		t.Fatal(err)
	}
	org, err := root.NewOrgCA(certs.KindNotary, "Test "+prefix+"Notary Office", now)
	if err != nil {
		t.Fatal(err)
	}
	tsa, err := org.IssueTSA("Test "+prefix+"TSA", now)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	return &testPKI{root: root, org: org, tsa: tsa, roots: roots}
}

// newTestTSA returns a TSA on p's TSA certificate, with clock now (nil: the
// real clock).
func newTestTSA(t testing.TB, p *testPKI, now func() time.Time) *TSA {
	t.Helper()
	tsa, err := NewTSA(TSAConfig{Cert: p.tsa.Cert, Chain: p.tsa.Chain, Signer: p.tsa.Signer, Now: now})
	if err != nil {
		t.Fatalf("NewTSA() = %v", err)
	}
	return tsa
}

// shortLivedTSA issues, under p's org CA, a TSA certificate valid from
// notBefore to notAfter only.
func shortLivedTSA(t testing.TB, p *testPKI, notBefore, notAfter time.Time) *certs.Leaf {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return issueTSA(t, p, key, 4242, "Short-lived TSA", notBefore, notAfter)
}

// issueTSA issues, under p's org CA, a TSA certificate for key.
func issueTSA(t testing.TB, p *testPKI, key crypto.Signer, serial int64, name string, notBefore, notAfter time.Time) *certs.Leaf {
	t.Helper()
	eku, _ := asn1.Marshal([]asn1.ObjectIdentifier{certs.OIDTimeStamping})
	tmpl := &x509.Certificate{
		SerialNumber:    big.NewInt(serial),
		Subject:         pkix.Name{CommonName: name},
		NotBefore:       notBefore,
		NotAfter:        notAfter,
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{{Id: certs.OIDExtKeyUsage, Critical: true, Value: eku}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.org.Cert, key.Public(), p.org.Signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &certs.Leaf{Cert: cert, Signer: key, Chain: p.tsa.Chain}
}

func digestOf(s string) []byte {
	d := sha256.Sum256([]byte(s))
	return d[:]
}

func hashOf(h crypto.Hash, s string) []byte {
	w := h.New()
	w.Write([]byte(s))
	return w.Sum(nil)
}

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }
