package receipt

// The inputs of the vectors of docs/receipt.md §3.1 check 16, and one of
// check 14 (added in session 17): tokens over the evidence from TSAs under
// a root that trust.json does not hold. Like inputs.json's first token they
// are drawn at random (P-256 keys and signatures), once, and kept in
// inputs.json: the root's certificate and the nine replies. The second trust bundle,
// trust-tsa-roots.json, is trust.json with that root in tsa_roots_pem, so
// that a token under it is checked, and it is built from the two files.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/rfc3161"
	"github.com/custos-project/custos/notary"
)

// trustTSARoots is the trust bundle of the vectors that check tokens under
// inputs.json's tsa_root.
const trustTSARoots = "trust-tsa-roots.json"

// vectorTrusts names the vectors checked against another trust bundle than
// trust.json.
var vectorTrusts = map[string]string{
	"valid-tsa-roots":             trustTSARoots,
	"rule-tsa-not-yet-valid":      trustTSARoots,
	"rule-tsa-signing-time":       trustTSARoots,
	"rule-tsa-ess-other-cert":     trustTSARoots,
	"rule-tsa-two-signers":        trustTSARoots,
	"rule-tsa-ess-other-serial":   trustTSARoots,
	"rule-tsa-signer-not-found":   trustTSARoots,
	"rule-tsa-without-usage":      trustTSARoots,
	"rule-tsa-usage-not-critical": trustTSARoots,
}

// vectorTrust is the trust bundle vector name is checked against.
func vectorTrust(name string) string {
	if tr, ok := vectorTrusts[name]; ok {
		return tr
	}
	return "trust.json"
}

// drawTSAInputs draws in's inputs for check 16: a root of another time
// authority, and replies over the SHA-256 of vectorArtifact signed under
// it by a TSA certificate with the critical time-stamping usage
// (notary.TSA), by one without any extended key usage, and by one whose
// time-stamping usage is not critical. notary.NewTSA refuses the last two
// certificates, so their tokens are made with digitorus/timestamp.
func drawTSAInputs(t testing.TB, in *vectorInputs) {
	t.Helper()
	root, err := certs.NewRoot("Another Time Authority Root", fixtureTime)
	check(t, err)
	org, err := root.NewOrgCA(certs.KindNotary, "Another Time Authority", fixtureTime)
	check(t, err)
	leaf, err := org.IssueTSA("Another Time Authority TSA", fixtureTime)
	check(t, err)
	tsa, err := notary.NewTSA(notary.TSAConfig{Cert: leaf.Cert, Chain: leaf.Chain, Signer: leaf.Signer,
		Now: func() time.Time { return fixtureTime.Add(300 * time.Millisecond) }})
	check(t, err)
	sum := sha256.Sum256(vectorArtifact)
	tok, err := tsa.Stamp(context.Background(), crypto.SHA256, sum[:])
	check(t, err)
	in.TSARoot = string(certs.EncodePEM(root.Cert))
	in.OtherRootToken = base64.StdEncoding.EncodeToString(tok.Reply)
	in.NoUsageToken = stampAs(t, org, "Another Time Authority, no extended key usage", sum[:], func(*x509.Certificate) {})
	in.UsageNotCriticalToken = stampAs(t, org, "Another Time Authority, time-stamping usage not critical", sum[:],
		func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping} }) // Go writes it non-critical
	// A certificate issued after the token's genTime (fixtureTime + 1 s):
	// its validity starts an hour before it is drawn. The CMS signingTime
	// attribute is the time of drawing, within that validity.
	in.NotYetValidToken = stampAs(t, org, "Another Time Authority TSA, issued after the token", sum[:], func(c *x509.Certificate) {
		c.NotBefore = time.Now().Add(-time.Hour).UTC()
		timeStamping(t, c)
	})
	// A certificate valid for an hour from fixtureTime, which covers the
	// token's genTime but not its CMS signingTime attribute (the time of
	// drawing).
	in.SigningTimeOutsideToken = stampAs(t, org, "Another Time Authority TSA, valid for an hour", sum[:], func(c *x509.Certificate) {
		c.NotAfter = fixtureTime.Add(time.Hour)
		timeStamping(t, c)
	})
	in.ESSOtherCertToken = essOtherCert(t, org, sum[:])
	leaf2, err := org.IssueTSA("Another Time Authority TSA 2", fixtureTime)
	check(t, err)
	in.TwoSignersToken = signTSTInfo(t, tok.Reply, []tstSigner{{leaf: leaf}, {leaf: leaf2}})
	other := new(big.Int).Add(leaf.Cert.SerialNumber, big.NewInt(1))
	in.ESSOtherSerialToken = signTSTInfo(t, tok.Reply, []tstSigner{{leaf: leaf, essSerial: other}})
	in.SignerNotFoundToken = signTSTInfo(t, tok.Reply, []tstSigner{{leaf: leaf, skipCerts: true}})
}

// tstSigner is one signer of signTSTInfo: leaf signs; essSerial, when set,
// is the serial number the ESS identifier's issuerSerial names (its hash is
// leaf's certificate's); skipCerts leaves the certificates out of the
// token.
type tstSigner struct {
	leaf      *certs.Leaf
	essSerial *big.Int
	skipCerts bool
}

// essOtherCert returns a reply signed by a key that two TSA certificates
// under org hold, A and B, of the same issuer and serial number: its ESS
// signing-certificate attribute names B, and it carries A, so that the
// signer found by issuer and serial is A. The signature verifies with A's
// key; only the ESS identifier (RFC 5035) does not name the signer.
func essOtherCert(t testing.TB, org *certs.Authority, digest []byte) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	check(t, err)
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	check(t, err)
	serial.Add(serial, big.NewInt(1))
	issue := func(name string) *x509.Certificate {
		tmpl := &x509.Certificate{SerialNumber: serial,
			Subject: pkix.Name{CommonName: name, Organization: org.Cert.Subject.Organization,
				OrganizationalUnit: org.Cert.Subject.OrganizationalUnit},
			NotBefore: fixtureTime.Add(-5 * time.Minute), NotAfter: fixtureTime.Add(certs.TSAValidity),
			KeyUsage: x509.KeyUsageDigitalSignature, BasicConstraintsValid: true}
		timeStamping(t, tmpl)
		der, err := x509.CreateCertificate(rand.Reader, tmpl, org.Cert, key.Public(), org.Signer)
		check(t, err)
		c, err := x509.ParseCertificate(der)
		check(t, err)
		return c
	}
	a := issue("Another Time Authority TSA A")
	b := issue("Another Time Authority TSA B")
	for len(b.Raw) != len(a.Raw) { // ECDSA signatures vary in length
		b = issue("Another Time Authority TSA B")
	}
	ts := timestamp.Timestamp{HashAlgorithm: crypto.SHA256, HashedMessage: digest, Time: fixtureTime.Add(time.Second),
		Policy: notary.DefaultPolicy, AddTSACertificate: true, Certificates: []*x509.Certificate{org.Cert}}
	reply, err := ts.CreateResponseWithOpts(b, key, crypto.SHA256)
	check(t, err)
	if bytes.Count(reply, b.Raw) != 1 {
		t.Fatal("the reply does not carry B once")
	}
	return base64.StdEncoding.EncodeToString(bytes.Replace(reply, b.Raw, a.Raw, 1))
}

// signTSTInfo returns a granted reply whose token signs reply's TSTInfo
// once by each of signers, each SignerInfo with an ESS identifier of its
// certificate (RFC 5035), its certificate and its issuer's carried unless
// skipCerts.
func signTSTInfo(t testing.TB, reply []byte, signers []tstSigner) string {
	t.Helper()
	token, err := rfc3161.CheckStatus(reply)
	check(t, err)
	p7, err := pkcs7.Parse(token)
	check(t, err)
	sd, err := pkcs7.NewSignedData(p7.Content)
	check(t, err)
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	sd.SetContentType(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}) // id-ct-TSTInfo
	sd.GetSignedData().Version = 3
	for _, sg := range signers {
		l := sg.leaf
		h := sha256.Sum256(l.Cert.Raw)
		id := derTLV(0x04, h[:]) // ESSCertIDv2 {certHash}, SHA-256 by default
		if sg.essSerial != nil {
			serial, err := asn1.Marshal(sg.essSerial)
			check(t, err)
			names := derTLV(0x30, derTLV(0xa4, l.Cert.RawIssuer)) // GeneralNames {directoryName}
			id = append(id, derTLV(0x30, append(names, serial...))...)
		}
		ess := derTLV(0x30, derTLV(0x30, derTLV(0x30, id))) // SigningCertificateV2 {certs {ESSCertIDv2}}
		check(t, sd.AddSignerChain(l.Cert, l.Signer, l.Chain[:1], pkcs7.SignerInfoConfig{SkipCertificates: sg.skipCerts,
			ExtraSignedAttributes: []pkcs7.Attribute{{Type: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47},
				Value: asn1.RawValue{FullBytes: ess}}}}))
	}
	signed, err := sd.Finish()
	check(t, err)
	return base64.StdEncoding.EncodeToString(derTLV(0x30, append([]byte{0x30, 0x03, 0x02, 0x01, 0x00}, signed...)))
}

// timeStamping gives c exactly the critical id-kp-timeStamping extended
// key usage (RFC 3161 §2.3), as certs.IssueTSA does.
func timeStamping(t testing.TB, c *x509.Certificate) {
	t.Helper()
	eku, err := asn1.Marshal([]asn1.ObjectIdentifier{certs.OIDTimeStamping})
	check(t, err)
	c.ExtraExtensions = []pkix.Extension{{Id: certs.OIDExtKeyUsage, Critical: true, Value: eku}}
}

// stampAs issues, under org, a certificate of name (a TSA certificate
// valid from fixtureTime, without extended key usage, then changed by
// edit) and returns the RFC 3161 reply (standard base64) it signs over
// digest at fixtureTime + 1 s.
func stampAs(t testing.TB, org *certs.Authority, name string, digest []byte, edit func(*x509.Certificate)) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	check(t, err)
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	check(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: serial.Add(serial, big.NewInt(1)),
		Subject: pkix.Name{CommonName: name, Organization: org.Cert.Subject.Organization,
			OrganizationalUnit: org.Cert.Subject.OrganizationalUnit},
		NotBefore:             fixtureTime.Add(-5 * time.Minute),
		NotAfter:              fixtureTime.Add(certs.TSAValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	edit(tmpl)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, org.Cert, key.Public(), org.Signer)
	check(t, err)
	cert, err := x509.ParseCertificate(der)
	check(t, err)
	ts := timestamp.Timestamp{HashAlgorithm: crypto.SHA256, HashedMessage: digest, Time: fixtureTime.Add(time.Second),
		Policy: notary.DefaultPolicy, AddTSACertificate: true, Certificates: []*x509.Certificate{org.Cert}}
	reply, err := ts.CreateResponseWithOpts(cert, key, crypto.SHA256)
	check(t, err)
	return base64.StdEncoding.EncodeToString(reply)
}

// tsaRootsTrust is trust.json with inputs.json's tsa_root as a further
// root for time-stamp tokens.
func tsaRootsTrust(t testing.TB, b *vectorBase) []byte {
	t.Helper()
	tr := *b.trust
	tr.TSARootsPEM = b.inputs.TSARoot
	return marshalIndent(t, &tr)
}

// TestTSAVectorsOneRule shows that check 16's vectors break that check
// alone: each token's signature, imprint and signing-certificate identifier
// check (checks 13–15), its certificate passes RFC 5280 path validation for
// time-stamping under inputs.json's root (at its genTime; the not-yet-valid
// one only at its own notBefore), and the certificate's extended key usage
// (RFC 3161 §2.3) fails for the two tokens without the critical usage
// only. The check-14 tokens: the signingTime one is refused for that alone,
// and the signatures of the ESS and two-signer ones verify.
func TestTSAVectorsOneRule(t *testing.T) {
	b := loadVectorBase(t)
	roots, err := certs.ParsePEM([]byte(b.inputs.TSARoot))
	check(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(roots[0])
	sum := sha256.Sum256(vectorArtifact)
	for _, c := range []struct {
		name, token string
		tsa         bool // the certificate has exactly the critical time-stamping usage
	}{
		{"other_root_token", b.inputs.OtherRootToken, true},
		{"no_usage_token", b.inputs.NoUsageToken, false},
		{"usage_not_critical_token", b.inputs.UsageNotCriticalToken, false},
		{"not_yet_valid_token", b.inputs.NotYetValidToken, true},
	} {
		reply, err := base64.StdEncoding.DecodeString(c.token)
		check(t, err)
		token, err := rfc3161.CheckStatus(reply)
		check(t, err)
		ts, signer, err := rfc3161.CheckSignature(token, nil)
		if err != nil {
			t.Fatalf("%s: CheckSignature = %v", c.name, err)
		}
		if err := rfc3161.CheckImprint(ts, crypto.SHA256, sum[:]); err != nil {
			t.Errorf("%s: CheckImprint = %v", c.name, err)
		}
		inter := x509.NewCertPool()
		for _, cert := range ts.Certificates {
			inter.AddCert(cert)
		}
		opts := x509.VerifyOptions{Roots: pool, Intermediates: inter, CurrentTime: ts.Time,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}
		if _, err := signer.Verify(opts); (err == nil) != (c.name != "not_yet_valid_token") {
			t.Errorf("%s: path validation at genTime = %v", c.name, err)
		}
		opts.CurrentTime = signer.NotBefore // the one rule the not-yet-valid token breaks
		if _, err := signer.Verify(opts); err != nil {
			t.Errorf("%s: path validation at the certificate's notBefore = %v", c.name, err)
		}
		if err := certs.CheckTSA(signer); (err == nil) != c.tsa {
			t.Errorf("%s: certs.CheckTSA = %v, want an error: %v", c.name, err, !c.tsa)
		}
	}

	// The token whose signingTime lies outside its certificate's validity
	// (check 14): the signature check refuses it for that, and its
	// certificate is a TSA's that path validation accepts at genTime.
	reply, err := base64.StdEncoding.DecodeString(b.inputs.SigningTimeOutsideToken)
	check(t, err)
	token, err := rfc3161.CheckStatus(reply)
	check(t, err)
	if _, _, err := rfc3161.CheckSignature(token, nil); err == nil || !strings.Contains(err.Error(), "outside of certificate validity") {
		t.Errorf("signing_time_outside_token: CheckSignature = %v, want the signing time outside the certificate's validity", err)
	}
	p7, err := pkcs7.Parse(token)
	check(t, err)
	signer := p7.GetOnlySigner()
	if signer == nil {
		t.Fatal("signing_time_outside_token: no single signer")
	}
	if err := certs.CheckTSA(signer); err != nil {
		t.Errorf("signing_time_outside_token: certs.CheckTSA = %v", err)
	}
	inter := x509.NewCertPool()
	for _, cert := range p7.Certificates {
		inter.AddCert(cert)
	}
	if _, err := signer.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, CurrentTime: fixtureTime.Add(time.Second),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}); err != nil {
		t.Errorf("signing_time_outside_token: path validation at genTime = %v", err)
	}

	// The tokens whose ESS identifier names another certificate, and with
	// two signers: every signature in them verifies (digitorus/pkcs7, which
	// checks neither rule); TestRuleVectors shows the verifier refuses each
	// for its rule.
	for name, tok := range map[string]string{"ess_other_cert_token": b.inputs.ESSOtherCertToken, "two_signers_token": b.inputs.TwoSignersToken,
		"ess_other_serial_token": b.inputs.ESSOtherSerialToken} {
		reply, err := base64.StdEncoding.DecodeString(tok)
		check(t, err)
		token, err := rfc3161.CheckStatus(reply)
		check(t, err)
		p7, err := pkcs7.Parse(token)
		check(t, err)
		if err := p7.Verify(); err != nil {
			t.Errorf("%s: pkcs7 Verify = %v", name, err)
		}
		if n := len(p7.Signers); (n == 2) != (name == "two_signers_token") {
			t.Errorf("%s: %d signers", name, n)
		}
	}
}
