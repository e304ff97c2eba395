package notary

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"

	"github.com/custos-project/custos/internal/cms"
	"github.com/custos-project/custos/internal/oids"
	"github.com/custos-project/custos/internal/rfc3161"
)

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

// smTestNow is the clock of the sm suite's test TSAs.
var smTestNow = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// smStamp makes an sm suite PKI and TSA, and a token of the SHA-256 of
// "evidence".
func smStamp(t testing.TB) (*testPKI, *TSA, [32]byte, *Token) {
	t.Helper()
	p := newSMTestPKI(t, smTestNow)
	tsa := newTestTSA(t, p, func() time.Time { return smTestNow })
	digest := sha256.Sum256([]byte("evidence"))
	tok, err := tsa.Stamp(context.Background(), crypto.SHA256, digest[:])
	if err != nil {
		t.Fatalf("Stamp() = %v", err)
	}
	return p, tsa, digest, tok
}

func TestSMTokens(t *testing.T) {
	p, tsa, digest, tok := smStamp(t)
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

// TestSMCheck: Check and a Checker verify sm suite tokens offline against
// the SM2 root, and refuse them, at the step that fails, when the root,
// the signature, the content or the chain is wrong.
func TestSMCheck(t *testing.T) {
	now := smTestNow
	p, tsa, digest, tok := smStamp(t)
	checker := rfc3161.NewChecker(p.roots)
	for i := 0; i < 2; i++ { // the second from the Checker's cache
		if _, err := checker.Check(tok.Reply, crypto.SHA256, digest[:], nil); err != nil {
			t.Fatalf("Checker.Check(sm token) #%d = %v", i, err)
		}
	}
	ts, err := Check(tok.Reply, crypto.SHA256, digest[:], p.roots, nil)
	if err != nil {
		t.Fatalf("Check(sm token) = %v", err)
	}
	if !ts.Time.Equal(now) {
		t.Errorf("Check().Time = %v, want %v", ts.Time, now)
	}

	// A token without certificates verifies with the chain as intermediates.
	query := mustQuery(t, timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: digest[:]})
	bare, err := tsa.Respond(query)
	if err != nil {
		t.Fatal(err)
	}
	chain := append([]*x509.Certificate{p.tsa.Cert}, p.tsa.Chain...)
	if _, err := Check(bare, crypto.SHA256, digest[:], p.roots, chain); err != nil {
		t.Errorf("Check(token without certificates, chain) = %v", err)
	}

	// A Checker made from the root certificates needs only the TSA's
	// and the organization CA's; one made from a pool needs the root too.
	rooted := rfc3161.NewCheckerForRoots([]*x509.Certificate{p.root.Cert})
	if _, err := rooted.Check(bare, crypto.SHA256, digest[:], chain[:2]); err != nil {
		t.Errorf("NewCheckerForRoots().Check(token without certificates, TSA and org CA) = %v", err)
	}
	if _, err := rfc3161.NewChecker(p.roots).Check(bare, crypto.SHA256, digest[:], chain[:2]); !errors.Is(err, ErrUntrusted) {
		t.Errorf("rfc3161.NewChecker(pool).Check(token without certificates, TSA and org CA) = %v, want ErrUntrusted", err)
	}

	other := newSMTestPKI(t, now)
	ecdsa := newTestPKI(t, now)
	flipped := func(i int) []byte {
		b := bytes.Clone(tok.Reply)
		b[i] ^= 1
		return b
	}
	token, _ := cms.DecodeReply(tok.Reply)
	sd, _ := cms.Decode(token)
	sigAt := bytes.LastIndex(tok.Reply, sd.Signer.Signature) + len(sd.Signer.Signature) - 3
	contentAt := bytes.Index(tok.Reply, sd.Content) + len(sd.Content) - 20
	other2 := sha256.Sum256([]byte("other evidence"))
	tests := []struct {
		name   string
		reply  []byte
		digest []byte
		roots  *x509.CertPool
		inter  []*x509.Certificate
		want   error
	}{
		{"another SM2 root", tok.Reply, digest[:], other.roots, nil, ErrUntrusted},
		{"an ECDSA root", tok.Reply, digest[:], ecdsa.roots, nil, ErrUntrusted},
		{"signature altered", flipped(sigAt), digest[:], p.roots, nil, ErrBadReply},
		{"TSTInfo altered", flipped(contentAt), digest[:], p.roots, nil, ErrBadReply},
		{"other digest", tok.Reply, other2[:], p.roots, nil, ErrMismatch},
		{"no certificates, no intermediates", bare, digest[:], p.roots, nil, ErrBadReply},
		{"no certificates, TSA only", bare, digest[:], p.roots, chain[:1], ErrUntrusted},
		{"no certificates, another TSA", bare, digest[:], p.roots, []*x509.Certificate{other.tsa.Cert}, ErrBadReply},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Check(tt.reply, crypto.SHA256, tt.digest, tt.roots, tt.inter)
			if !errors.Is(err, tt.want) {
				t.Errorf("Check() = %v, want %v", err, tt.want)
			}
			_, err = rfc3161.NewChecker(tt.roots).Check(tt.reply, crypto.SHA256, tt.digest, tt.inter)
			if !errors.Is(err, tt.want) {
				t.Errorf("Checker.Check() = %v, want %v", err, tt.want)
			}
		})
	}
}

// FuzzCheckSM mutates an sm suite reply (the token with its chain, and
// without certificates). Check must never panic, and what it accepts must
// be the original token's signed parts: the same TSTInfo and the same
// signed attributes, under the same signature (checkSignatureSM reads DER
// only, so no other encoding of them passes).
func FuzzCheckSM(f *testing.F) {
	p, tsa, digest, _ := smStamp(f)
	withCerts, err := tsa.Respond(mustQuery(f, timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: digest[:], Certificates: true}))
	if err != nil {
		f.Fatal(err)
	}
	bare, err := tsa.Respond(mustQuery(f, timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: digest[:]}))
	if err != nil {
		f.Fatal(err)
	}
	signed := map[string]bool{}
	for _, reply := range [][]byte{withCerts, bare} {
		f.Add(reply)
		token, _ := cms.DecodeReply(reply)
		sd, err := cms.Decode(token)
		if err != nil {
			f.Fatal(err)
		}
		signed[string(sd.Content)+string(sd.Signer.SignedAttrs)+string(sd.Signer.Signature)] = true
	}
	chain := append([]*x509.Certificate{p.tsa.Cert}, p.tsa.Chain...)
	f.Fuzz(func(t *testing.T, reply []byte) {
		if _, err := Check(reply, crypto.SHA256, digest[:], p.roots, chain); err != nil {
			return
		}
		token, err := cms.DecodeReply(reply)
		if err != nil {
			t.Fatalf("Check accepted a reply DecodeReply refuses: %v", err)
		}
		sd, err := cms.Decode(token)
		if err != nil {
			t.Fatalf("Check accepted a token cms.Decode refuses: %v", err)
		}
		if !signed[string(sd.Content)+string(sd.Signer.SignedAttrs)+string(sd.Signer.Signature)] {
			t.Fatalf("Check accepted signed parts the TSA never signed: %x", reply)
		}
	})
}

// TestSM3Imprint: both suites time-stamp SM3 imprints, in process and
// from a query, and Check verifies them; a digest of the wrong size is
// refused (ErrDigestSize) or rejected (badDataFormat).
func TestSM3Imprint(t *testing.T) {
	sum := sm3.Sum([]byte("evidence"))
	for name, p := range map[string]*testPKI{"ecdsa": newTestPKI(t, smTestNow), "sm": newSMTestPKI(t, smTestNow)} {
		t.Run(name, func(t *testing.T) {
			tsa := newTestTSA(t, p, func() time.Time { return smTestNow })
			tok, err := tsa.Stamp(context.Background(), SM3, sum[:])
			if err != nil {
				t.Fatalf("Stamp(SM3) = %v", err)
			}
			req := cms.Request{Version: 1, Imprint: cms.ImprintOf(SM3, sum[:]), CertReq: true}
			query, err := req.Encode()
			if err != nil {
				t.Fatal(err)
			}
			reply, err := tsa.Respond(query)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range [][]byte{tok.Reply, reply} {
				ts, err := Check(r, SM3, sum[:], p.roots, nil)
				if err != nil {
					t.Fatalf("Check(SM3 imprint) = %v", err)
				}
				if ts.HashAlgorithm != SM3 {
					t.Errorf("Check().HashAlgorithm = %v, want SM3", ts.HashAlgorithm)
				}
				if _, err := Check(r, crypto.SHA256, sum[:], p.roots, nil); !errors.Is(err, ErrMismatch) {
					t.Errorf("Check(SM3 token as SHA-256) = %v, want ErrMismatch", err)
				}
			}
			if _, err := tsa.Stamp(context.Background(), SM3, sum[:20]); !errors.Is(err, ErrDigestSize) {
				t.Errorf("Stamp(SM3, 20 bytes) = %v, want ErrDigestSize", err)
			}
			short := cms.Request{Version: 1, Imprint: cms.ImprintOf(SM3, sum[:20])}
			query, err = short.Encode()
			if err != nil {
				t.Fatal(err)
			}
			reply, err = tsa.Respond(query)
			if err != nil {
				t.Fatal(err)
			}
			wantRejection(t, reply, timestamp.BadDataFormat)
		})
	}
}
