package pdf

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/cms"
	"github.com/custos-project/custos/internal/oids"

	"github.com/custos-project/custos/pdfcheck"
)

// smNow is the clock of the sm suite's test PKIs and TSAs.
var smNow = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func newSMTestPKI(t testing.TB) *testPKI {
	t.Helper()
	return newSuitePKI(t, certs.SuiteSM, smNow)
}

// signedParts returns the CMS of signed's signature (the DER, without the
// zero padding) and the signed bytes (the byte ranges, concatenated).
func signedParts(t testing.TB, signed []byte) (der, content []byte) {
	t.Helper()
	sig, err := pdfcheck.FindSignature(signed)
	if err != nil {
		t.Fatal(err)
	}
	br := sig.ByteRange
	der = signatureDER(t, signed, br)
	content = append(bytes.Clone(signed[:br[1]]), signed[br[2]:]...)
	return der, content
}

// TestSignVerifySM signs a certificate PDF in the sm suite, checks each
// part of its CMS by hand with gmsm, and verifies it with Verify against
// the SM2 root.
func TestSignVerifySM(t *testing.T) {
	p := newSMTestPKI(t)
	signed := signedDocument(t, p)
	sig, err := pdfcheck.Verify(signed, p.roots)
	if err != nil {
		t.Fatalf("Verify(sm PDF) = %v", err)
	}
	if !sig.Time.Equal(smNow) || len(sig.Chain) != 3 || !sig.Chain[2].Equal(p.root.Cert) || !sig.Signer.Equal(p.notary.Cert) {
		t.Errorf("Verify() = time %v, chain of %d, want %v and notary, org CA, root", sig.Time, len(sig.Chain), smNow)
	}

	der, content := signedParts(t, signed)
	sd, err := cms.Decode(der)
	if err != nil {
		t.Fatal(err)
	}
	sm3Alg := cms.AlgorithmID(oids.SM3, false)
	if !bytes.Equal(sd.DigestAlgorithms, sm3Alg) || !bytes.Equal(sd.Signer.DigestAlgorithm, sm3Alg) {
		t.Errorf("digest algorithms %x, %x, want SM3 %x", sd.DigestAlgorithms, sd.Signer.DigestAlgorithm, sm3Alg)
	}
	if !bytes.Equal(sd.Signer.SignatureAlgorithm, cms.AlgorithmID(oids.SM2WithSM3, false)) {
		t.Errorf("signatureAlgorithm %x, want SM2-with-SM3 without parameters", sd.Signer.SignatureAlgorithm)
	}
	attrs, err := cms.DecodeAttributes(sd.Signer.SignedAttrs)
	if err != nil {
		t.Fatal(err)
	}
	md, _ := attrs.Single(oids.MessageDigest)
	if want := sm3.Sum(content); !bytes.Equal(md, cms.TLV(cms.TagOctetString, want[:])) {
		t.Errorf("messageDigest %x, want SM3 of the byte ranges %x", md, want)
	}
	ess, _ := attrs.Single(oids.SigningCertV2)
	h, certHash, err := cms.DecodeSigningCertificateV2(ess)
	if sum := sha256.Sum256(p.notary.Cert.Raw); err != nil || h != crypto.SHA256 || !bytes.Equal(certHash, sum[:]) {
		t.Errorf("signing-certificate-v2 = %v %x, %v; want SHA-256 %x", h, certHash, err, sum)
	}
	pub := p.notary.Cert.PublicKey.(*ecdsa.PublicKey)
	if !sm2.VerifyASN1WithSM2(pub, nil, sd.Signer.SignedAttrs, sd.Signer.Signature) {
		t.Error("the SM2 signature does not verify with the default user ID")
	}
	if sm2.VerifyASN1WithSM2(pub, []byte("another user id"), sd.Signer.SignedAttrs, sd.Signer.Signature) {
		t.Error("the SM2 signature verifies with another user ID")
	}

	// The signature time-stamp: an SM3 imprint of the signature value.
	unsigned, err := cms.DecodeAttributes(sd.Signer.UnsignedAttrs)
	if err != nil {
		t.Fatal(err)
	}
	token, _ := unsigned.Single(oids.TimeStampToken)
	tsd, err := cms.Decode(token)
	if err != nil {
		t.Fatal(err)
	}
	inf, err := cms.DecodeTSTInfo(tsd.Content)
	if err != nil {
		t.Fatal(err)
	}
	want := sm3.Sum(sd.Signer.Signature)
	if mi := inf.MessageImprint; !mi.HashAlgorithm.Algorithm.Equal(oids.SM3) || !bytes.Equal(mi.HashedMessage, want[:]) {
		t.Errorf("token imprint %v %x, want SM3 %x of the signature", mi.HashAlgorithm.Algorithm, mi.HashedMessage, want)
	}
}

// TestVerifySMRefused: an sm PDF with a byte altered, or checked against
// roots that are not its own, is refused at the step that fails.
func TestVerifySMRefused(t *testing.T) {
	p := newSMTestPKI(t)
	signed := signedDocument(t, p)
	sig, err := pdfcheck.Verify(signed, p.roots)
	if err != nil {
		t.Fatal(err)
	}
	br := sig.ByteRange
	for name, off := range map[string]int64{
		"body":            int64(len(signed)) / 3,
		"inside contents": br[1] + 200,
		"after contents":  br[2] + 2,
	} {
		t.Run(name, func(t *testing.T) {
			b := bytes.Clone(signed)
			b[off] ^= 0x01
			if _, err := pdfcheck.Verify(b, p.roots); err == nil {
				t.Errorf("Verify(byte %d flipped) = nil, want an error", off)
			}
		})
	}
	t.Run("signature value", func(t *testing.T) {
		der, _ := signedParts(t, signed)
		sd, _ := cms.Decode(der)
		enc := []byte(hex.EncodeToString(sd.Signer.Signature))
		i := bytes.Index(signed, enc)
		if i < 0 {
			t.Fatal("signature value not found in /Contents")
		}
		b := bytes.Clone(signed)
		last := &b[i+len(enc)-1] // another hex digit, so the DER stays DER
		if *last == '0' {
			*last = '1'
		} else {
			*last = '0'
		}
		var ve *pdfcheck.VerifyError
		if _, err := pdfcheck.Verify(b, p.roots); !errors.As(err, &ve) || ve.Step != "signature" || !errors.Is(err, pdfcheck.ErrSignature) {
			t.Errorf("Verify(signature altered) = %v, want the signature step", err)
		}
	})

	// An SM2 key's signature under ecdsa-with-SHA256: not of the suite.
	t.Run("SM2 key, ECDSA algorithm", func(t *testing.T) {
		opts := p.options()
		b, _, err := signOnce(context.Background(), minimalXrefStreamPDF(), &opts, pdfcheck.Algorithms[0], 16<<10)
		if err != nil || b == nil {
			t.Fatalf("signOnce() = %v", err)
		}
		var ve *pdfcheck.VerifyError
		if _, err := pdfcheck.Verify(b, p.roots); !errors.As(err, &ve) || ve.Step != "signature" || !errors.Is(err, pdfcheck.ErrSignature) {
			t.Errorf("Verify(SM2 key, ecdsa-with-SHA256) = %v, want the signature step", err)
		}
	})

	other, ecdsaPKI := newSMTestPKI(t), newTestPKI(t, smNow)
	both := x509.NewCertPool()
	both.AddCert(other.root.Cert)
	both.AddCert(ecdsaPKI.root.Cert)
	for name, roots := range map[string]*x509.CertPool{"another SM2 root": other.roots, "an ECDSA root": ecdsaPKI.roots, "both": both} {
		t.Run(name, func(t *testing.T) {
			if _, err := pdfcheck.Verify(signed, roots); !errors.Is(err, pdfcheck.ErrTimestamp) && !errors.Is(err, pdfcheck.ErrUntrusted) {
				t.Errorf("Verify(%s) = %v, want ErrTimestamp or ErrUntrusted", name, err)
			}
		})
	}

	// The time-stamp from a TSA the roots trust, the signer from another
	// root: the chain step refuses it.
	t.Run("signer under another root", func(t *testing.T) {
		opts := p.options()
		opts.TSA = other.tsa
		b, err := Sign(context.Background(), minimalXrefStreamPDF(), opts)
		if err != nil {
			t.Fatal(err)
		}
		var ve *pdfcheck.VerifyError
		if _, err := pdfcheck.Verify(b, other.roots); !errors.As(err, &ve) || ve.Step != "chain" || !errors.Is(err, pdfcheck.ErrUntrusted) {
			t.Errorf("Verify(signer of another root) = %v, want the chain step and ErrUntrusted", err)
		}
		if _, err := pdfcheck.Verify(b, p.roots); !errors.Is(err, pdfcheck.ErrTimestamp) {
			t.Errorf("Verify(TSA of another root) = %v, want ErrTimestamp", err)
		}
	})
}

// TestSignSMOptions: an SM2 certificate with an ECDSA signer, or the
// reverse, is refused before anything is signed.
func TestSignSMOptions(t *testing.T) {
	sm, ec := newSMTestPKI(t), newTestPKI(t, smNow)
	for name, opts := range map[string]SignOptions{
		"SM2 certificate, ECDSA signer": {Signer: ec.notary.Signer, Certificate: sm.notary.Cert, TSA: sm.tsa},
		"ECDSA certificate, SM2 signer": {Signer: sm.notary.Signer, Certificate: ec.notary.Cert, TSA: ec.tsa},
	} {
		if _, err := Sign(context.Background(), minimalXrefStreamPDF(), opts); !errors.Is(err, ErrSignOptions) {
			t.Errorf("Sign(%s) = %v, want ErrSignOptions", name, err)
		}
	}
}
