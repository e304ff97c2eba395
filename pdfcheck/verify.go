package pdfcheck

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/custos-project/custos/internal/cms"
	"github.com/custos-project/custos/internal/oids"
	"github.com/custos-project/custos/internal/rfc3161"
	"github.com/digitorus/timestamp"
	"github.com/emmansun/gmsm/sm2"
)

// Signature is a verified PAdES signature.
type Signature struct {
	// Signer is the signer's certificate; Chain is the verified chain from
	// it to a trusted root, Signer first.
	Signer *x509.Certificate
	Chain  []*x509.Certificate
	// Time is the trusted signing time: the genTime of the signature
	// time-stamp, at which Chain was verified.
	Time time.Time
	// Timestamp is the parsed signature time-stamp token.
	Timestamp *timestamp.Timestamp
	// ClaimedTime is the signer's own claim (/M); zero if absent.
	ClaimedTime                   time.Time
	Reason, Location, ContactInfo string
	// ByteRange is the signed part of the file: all of it but /Contents.
	ByteRange [4]int64
	// Certification is the document's DocMDP certification, read from the
	// signed file: by this signature or by an earlier one of the file
	// (the zero value when the document is not certified).
	Certification Certification
	// Signatures, from Verify, are all the signatures of the document in
	// the order of the file, each verified over the revision it signs,
	// this one last (step signatures).
	Signatures []DocumentSignature // Drawn, from Verify after a certification with P=2 or P=3, are the
	// widgets and other annotations that a later revision adds to a page,
	// or whose appearance it changes, and that a viewer draws over the
	// certified page (the first 256 of Certification.Drawn; type Drawn):
	// changes the certification permits, which can still show a reader
	// other content than was certified. Each is a warning, not a failure.
	// Added in December 2026 (security review P5); nil when there is none.
	Drawn []Drawn
}

// Verify checks the signature of pdf that covers the whole file, then
// every other signature of it over its own revision (step 9), offline, in
// these steps:
//
//  1. find: a signature field whose signature dictionary is a
//     /ETSI.CAdES.detached one and whose /ByteRange ends at the end of the
//     file (a byte appended after it fails here; when what precedes the
//     appended bytes is a signed revision that verifies, the error wraps
//     ErrAddedAfterSigning and carries that revision: signedRevision);
//  2. byteRange: the /ByteRange is [0 a b c] with a the offset of that
//     dictionary's own /Contents hex string, b the offset just after it,
//     and b+c the file's length: everything but the signature is signed;
//  3. cms: /Contents is a strict detached CMS SignedData with one signer
//     (ETSI EN 319 142-1 §6.3: no signing-time attribute);
//  4. digest: its message-digest attribute is the digest of the signed
//     bytes;
//  5. signature: the signature value verifies with the embedded signer
//     certificate, which the signing-certificate-v2 attribute names (in
//     the sm suite, SM3 digests and an SM2-with-SM3 signature: sm.go);
//  6. timestamp: the id-aa-timeStampToken attribute is an RFC 3161 token
//     over the signature value from a TSA trusted by roots (rfc3161.Check);
//  7. chain: the signer certificate chains to roots AT THE TIME-STAMP'S
//     TIME, with key usage digitalSignature or contentCommitment and
//     extended key usage emailProtection, as NSS (pdfsig) requires;
//  8. certification: the document's DocMDP certification, if any
//     (Signature.Certification): a certification with permission 1, no
//     change, followed by a later revision fails here with
//     ErrCertificationViolated (appended bytes no signature covers fail at
//     find, and wrap ErrCertificationViolated too when the signed revision
//     is so certified); after one with permission 2 or 3, a later revision
//     that makes a change it does not permit fails here with a
//     *ChangeError (ErrChangeNotPermitted; CheckChanges), and the widgets
//     and annotations that permitted changes draw over a page are
//     reported, as warnings, in Signature.Drawn;
//  9. signatures: every signature of the document, the value of each
//     signature field of the field tree or of a page's /Annots
//     (maxSignatures at most), verifies over the revision it signs, its
//     first b+c bytes, by steps 1 to 7 on them, and is the signature found
//     there, its own /Contents the one verified (a dictionary that copies
//     another's /ByteRange, or that a later revision put in place of the
//     signed one, fails at byteRange); so the certifying signature is checked, and
//     its signer reported as Certification.Certifier, and each approval
//     signature between it and the last. Signature.Signatures lists them
//     in the order of the file. One that does not verify fails here with
//     a *SignatureError naming it (its field, its revision) and wrapping
//     the failed step's *VerifyError; a signature of a kind Verify does
//     not check (another /SubFilter, a document time-stamp) fails with
//     ErrUnsupported.
//
// Failures are *VerifyError naming the step.
func Verify(pdf []byte, roots *x509.CertPool) (*Signature, error) {
	sig, err := VerifyWhole(pdf, roots)
	var ve *VerifyError
	if errors.As(err, &ve) && ve.Step == "find" {
		if rev := signedRevision(pdf, roots); rev != nil {
			n := rev.ByteRange[2] + rev.ByteRange[3]
			e := fmt.Errorf("%w (%w)", ErrAddedAfterSigning, ErrNoSignature)
			if rev.Certification.Level == 1 {
				e = fmt.Errorf("%w (%w; %w)", ErrAddedAfterSigning, ErrCertificationViolated, ErrNoSignature)
			}
			return nil, &VerifyError{Step: "find", Err: e, Revision: rev,
				Want: fmt.Sprintf("%d bytes, where the signed revision ends", n),
				Got:  fmt.Sprintf("%d bytes: %d bytes added after the signature", len(pdf), int64(len(pdf))-n)}
		}
	}
	if err != nil {
		return nil, err
	}
	if err := checkCertification(pdf, sig, roots); err != nil {
		return nil, err
	}
	if err := CheckSignatures(pdf, sig, roots); err != nil {
		return nil, err
	}
	return sig, nil
}

// checkCertification is step 8: a document certified with no change
// permitted has no revision after the certified one; with permission 2 or
// 3, each later revision makes only the changes it permits (CheckChanges),
// which sig.Certification then reports. The certified revision, when it
// verifies, is reported as VerifyError.Revision.
func checkCertification(pdf []byte, sig *Signature, roots *x509.CertPool) error {
	c := sig.Certification
	var err error
	switch {
	case c.Violated():
		err = ErrCertificationViolated
	case c.Level >= 2 && c.Added > 0:
		if sig.Certification, sig.Drawn, err = CheckChanges(pdf, c); err == nil {
			return nil
		}
	default:
		return nil
	}
	rev, _ := VerifyWhole(pdf[:c.Length], roots)
	ve := &VerifyError{Step: "certification", Err: err, Revision: rev,
		Want: fmt.Sprintf("no change after the certified revision of %d bytes (DocMDP P=1)", c.Length),
		Got:  fmt.Sprintf("%d bytes: %d bytes added after the certified revision, under a later signature", len(pdf), c.Added)}
	if c.Level >= 2 {
		ve.Want = fmt.Sprintf("only the changes DocMDP P=%d permits after the certified revision of %d bytes", c.Level, c.Length)
		ve.Got = fmt.Sprintf("%d bytes: %d bytes added after the certified revision, making a change it does not permit", len(pdf), c.Added)
	}
	return ve
}

// signedRevision looks, in a PDF no signature covers whole, for a first
// part that is a signed revision: the longest prefix that a /ByteRange
// [0 a b c] in the file ends (b+c shorter than the file) and that
// verifies, its certification included (a revision signed after a change
// that the certification does not permit is passed over). Nil if none. It tries the maxRevisions longest candidates
// only, so that a file full of /ByteRange does not cost a verification
// each. The signature dictionary of a PAdES signature is
// never in an object stream (its /ByteRange locates /Contents in the
// file), so a scan of the raw bytes finds every candidate.
func signedRevision(pdf []byte, roots *x509.CertPool) *Signature {
	var ends []int64
	for rest, off := pdf, 0; ; {
		i := bytes.Index(rest, []byte("/ByteRange"))
		if i < 0 {
			break
		}
		off += i + len("/ByteRange")
		rest = pdf[off:]
		var a, b, c, d int64
		if _, err := fmt.Sscanf(string(rest[:min(len(rest), 4*21)]), " [%d %d %d %d]", &a, &b, &c, &d); err == nil &&
			a == 0 && b > 0 && c > b && d >= 0 && c+d > 0 && c+d < int64(len(pdf)) {
			ends = append(ends, c+d)
		}
	}
	slices.Sort(ends)
	ends = slices.Compact(ends)
	for _, n := range slices.Backward(ends[max(0, len(ends)-maxRevisions):]) {
		if sig, err := VerifyWhole(pdf[:n], roots); err == nil && checkCertification(pdf[:n], sig, roots) == nil && CheckSignatures(pdf[:n], sig, roots) == nil {
			return sig
		}
	}
	return nil
}

// maxRevisions bounds the signed revisions signedRevision tries.
const maxRevisions = 4

// VerifyWhole is Verify without the search for a signed revision.
func VerifyWhole(pdf []byte, roots *x509.CertPool) (*Signature, error) {
	sd, sig, err := findSignature(pdf)
	if err != nil {
		return nil, err
	}
	if err := checkByteRange(pdf, sd, sig); err != nil {
		return nil, err
	}
	signed, err := parseSignedData(sd.contents.Bytes)
	if err != nil {
		return nil, &VerifyError{Step: "cms", Err: err}
	}
	if err := checkDigest(pdf, sig.ByteRange, signed); err != nil {
		return nil, err
	}
	if sig.Signer, err = checkSignature(signed); err != nil {
		return nil, err
	}
	if sig.Timestamp, err = checkTimestamp(signed, roots); err != nil {
		return nil, err
	}
	sig.Time = sig.Timestamp.Time
	if sig.Chain, err = checkChain(sig.Signer, signed.certs, roots, sig.Time); err != nil {
		return nil, err
	}
	sig.Certification = sd.cert
	return sig, nil
}

// sigDict is what findSignature reads from a signature dictionary.
type sigDict struct {
	contents Str
	cert     Certification // the document's, read from its catalog
}

// FindSignature is step find of Verify alone: the signature whose
// /ByteRange covers the whole file, and the document's certification, as
// read, with nothing verified; for taking a signature apart (its CMS lies
// between ByteRange[1] and ByteRange[2]).
func FindSignature(pdf []byte) (*Signature, error) {
	_, sig, err := findSignature(pdf)
	return sig, err
}

// findSignature is FindSignature with what Verify reads of the signature
// dictionary.
func findSignature(pdf []byte) (*sigDict, *Signature, error) {
	fail := func(err error) (*sigDict, *Signature, error) {
		return nil, nil, &VerifyError{Step: "find", Err: err}
	}
	f, err := ParseFile(pdf)
	if err != nil {
		return fail(err)
	}
	catalog, err := f.DictOf(f.Trailer.Get("Root"))
	if err != nil {
		return fail(err)
	}
	cert, err := CertificationOf(f, catalog, pdf)
	if err != nil {
		return fail(err)
	}
	form, _, err := AcroForm(f, catalog)
	if err != nil {
		return fail(err)
	}
	fields, err := f.Resolve(form.Get("Fields"))
	if err != nil {
		return fail(err)
	}
	list, _ := fields.(Array)
	for _, fieldRef := range list {
		field, err := f.DictOf(fieldRef)
		if err != nil || field.Get("FT") != Name("Sig") {
			continue
		}
		v, err := f.DictOf(field.Get("V"))
		if err != nil {
			continue
		}
		if sd, sig, ok := readSigDict(v, len(pdf)); ok {
			sd.cert = cert
			return sd, sig, nil
		}
	}
	return fail(ErrNoSignature)
}

// readSigDict reads a /ETSI.CAdES.detached signature dictionary whose
// /ByteRange reaches the end of a file of n bytes.
func readSigDict(v *Dict, n int) (*sigDict, *Signature, bool) {
	if v.Get("Type") != nil && v.Get("Type") != Name("Sig") || v.Get("SubFilter") != Name("ETSI.CAdES.detached") {
		return nil, nil, false
	}
	br, err := intArray(v.Get("ByteRange"))
	contents, ok := v.Get("Contents").(Str)
	if err != nil || len(br) != 4 || !ok || br[2]+br[3] != int64(n) {
		return nil, nil, false
	}
	sig := &Signature{ByteRange: [4]int64(br)}
	if m, ok := v.Get("M").(Str); ok {
		sig.ClaimedTime, _ = parsePDFDate(string(m.Bytes))
	}
	for k, dst := range map[Name]*string{"Reason": &sig.Reason, "Location": &sig.Location, "ContactInfo": &sig.ContactInfo} {
		if s, ok := v.Get(k).(Str); ok {
			*dst = DecodeText(s.Bytes)
		}
	}
	return &sigDict{contents: contents}, sig, true
}

// checkByteRange checks that the signed bytes are the whole file but the
// dictionary's own /Contents hex string (ISO 32000-2 §12.8.1).
func checkByteRange(pdf []byte, sd *sigDict, sig *Signature) error {
	br := sig.ByteRange
	want := fmt.Sprintf("[0 %d %d %d]", sd.contents.Start, sd.contents.end, int64(len(pdf))-int64(sd.contents.end))
	got := fmt.Sprintf("[%d %d %d %d]", br[0], br[1], br[2], br[3])
	if sd.contents.Start < 0 || br[0] != 0 || br[1] != int64(sd.contents.Start) || br[2] != int64(sd.contents.end) ||
		br[3] < 0 || br[2]+br[3] != int64(len(pdf)) {
		return &VerifyError{Step: "byteRange", Want: want, Got: got, Err: ErrByteRange}
	}
	if pdf[sd.contents.Start] != '<' || pdf[sd.contents.end-1] != '>' {
		return &VerifyError{Step: "byteRange", Want: "a hex string between the ranges", Err: ErrByteRange}
	}
	return nil
}

func checkDigest(pdf []byte, br [4]int64, signed *signedData) error {
	md, err := single(signed.signedAttrs, oids.MessageDigest)
	if err != nil {
		return &VerifyError{Step: "digest", Err: err}
	}
	want, err := cms.DecodeOctetString(md)
	if err != nil {
		return &VerifyError{Step: "digest", Err: fmt.Errorf("%w: malformed message-digest", ErrCMS)}
	}
	h := signed.alg.NewHash()
	h.Write(pdf[:br[1]])
	h.Write(pdf[br[2]:])
	if got := h.Sum(nil); !bytes.Equal(got, want) {
		return &VerifyError{Step: "digest", Want: fmt.Sprintf("%x", []byte(want)), Got: fmt.Sprintf("%x", got), Err: ErrDigest}
	}
	return nil
}

// checkSignature finds the signer's certificate, checks the content-type
// and signing-certificate-v2 attributes and the absence of signing-time,
// and verifies the signature over the signed attributes.
func checkSignature(signed *signedData) (*x509.Certificate, error) {
	fail := func(err error) (*x509.Certificate, error) { return nil, &VerifyError{Step: "signature", Err: err} }
	var signer *x509.Certificate
	for _, c := range signed.certs {
		if bytes.Equal(c.RawIssuer, signed.issuer) && c.SerialNumber.Cmp(signed.serial) == 0 {
			signer = c
			break
		}
	}
	if signer == nil {
		return fail(fmt.Errorf("%w: the signer's certificate is not embedded", ErrCMS))
	}
	if err := checkAttributes(signed, signer); err != nil {
		return fail(err)
	}
	if signed.alg.SM || sm2.IsSM2PublicKey(signer.PublicKey) {
		if err := checkSignatureSM(signer, signed.alg, signed.attrs, signed.sig); err != nil {
			return fail(err)
		}
	} else if err := signer.CheckSignature(signed.alg.x509, signed.attrs, signed.sig); err != nil {
		return fail(fmt.Errorf("%w: %w", ErrSignature, err))
	}
	return signer, nil
}

func checkAttributes(signed *signedData, signer *x509.Certificate) error {
	ct, err := single(signed.signedAttrs, oids.ContentType)
	if err != nil {
		return err
	}
	if oid, err := cms.DecodeOID(ct); err != nil || !oid.Equal(oids.Data) {
		return fmt.Errorf("%w: content-type is not id-data", ErrCMS)
	}
	if signed.signedAttrs.Has(oids.SigningTime) {
		return fmt.Errorf("%w: signing-time attribute present (ETSI EN 319 142-1 forbids it)", ErrCMS)
	}
	sc, err := single(signed.signedAttrs, oids.SigningCertV2)
	if err != nil {
		return err
	}
	return checkSigningCertV2(sc, signer)
}

// checkSigningCertV2 checks that the first ESSCertIDv2 of RFC 5035 §3 is
// the signer's certificate, so no certificate with the same key but
// another name or usage can be substituted.
func checkSigningCertV2(v []byte, signer *x509.Certificate) error {
	hash, certHash, err := cms.DecodeSigningCertificateV2(v)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCMS, err)
	}
	h := hash.New()
	h.Write(signer.Raw)
	if !bytes.Equal(h.Sum(nil), certHash) {
		return fmt.Errorf("%w: signing-certificate-v2 does not name the signer's certificate", ErrCMS)
	}
	return nil
}

// checkTimestamp checks the signature time-stamp (RFC 3161 Appendix A)
// with rfc3161.Check: a token over the signature value, signed by a TSA
// that chains to roots at the token's time.
func checkTimestamp(signed *signedData, roots *x509.CertPool) (*timestamp.Timestamp, error) {
	fail := func(err error) (*timestamp.Timestamp, error) { return nil, &VerifyError{Step: "timestamp", Err: err} }
	token, err := single(signed.unsignedAttrs, oids.TimeStampToken)
	if err != nil {
		return fail(fmt.Errorf("%w: %w", ErrTimestamp, err))
	}
	if signed.alg.SM {
		return checkTimestampSM(token, signed, roots)
	}
	ts, err := timestamp.Parse(token)
	if err != nil {
		return fail(fmt.Errorf("%w: %w", ErrTimestamp, err))
	}
	if ts.HashAlgorithm != crypto.SHA256 && ts.HashAlgorithm != crypto.SHA384 && ts.HashAlgorithm != crypto.SHA512 {
		return fail(fmt.Errorf("%w: imprint hash %v", ErrTimestamp, ts.HashAlgorithm))
	}
	h := ts.HashAlgorithm.New()
	h.Write(signed.sig)
	// rfc3161.Check takes a whole TimeStampResp: wrap the token in a granted
	// one (RFC 3161 §2.4.2, status 0).
	checked, err := rfc3161.Check(cms.EncodeReply(token), ts.HashAlgorithm, h.Sum(nil), roots, signed.certs)
	if err != nil {
		return fail(fmt.Errorf("%w: %w", ErrTimestamp, err))
	}
	return checked, nil
}

// checkChain verifies the signer's certificate at t, the time-stamp's
// time, so that a signature still verifies after the certificate expires.
func checkChain(signer *x509.Certificate, embedded []*x509.Certificate, roots *x509.CertPool, t time.Time) ([]*x509.Certificate, error) {
	fail := func(err error) ([]*x509.Certificate, error) { return nil, &VerifyError{Step: "chain", Err: err} }
	if roots == nil {
		return fail(fmt.Errorf("%w: no trusted roots given", ErrUntrusted))
	}
	if signer.KeyUsage != 0 && signer.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		return fail(fmt.Errorf("%w: key usage forbids signatures", ErrUntrusted))
	}
	if isSM(signer) {
		chain, err := checkChainSM(signer, embedded, roots, t)
		if err != nil {
			return fail(fmt.Errorf("%w: at %v: %w", ErrUntrusted, t.UTC(), err))
		}
		return chain, nil
	}
	pool := x509.NewCertPool()
	for _, c := range embedded {
		pool.AddCert(c)
	}
	chains, err := signer.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: pool,
		CurrentTime:   t,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
	})
	if err != nil {
		return fail(fmt.Errorf("%w: at %v: %w", ErrUntrusted, t.UTC(), err))
	}
	return chains[0], nil
}

// parsePDFDate parses the dates this package writes, D:YYYYMMDDHHmmSSZ,
// and those with an offset, D:YYYYMMDDHHmmSS+HH'mm'.
func parsePDFDate(s string) (time.Time, error) {
	for _, layout := range []string{"D:20060102150405Z", "D:20060102150405Z07'00'", "D:20060102150405-07'00'", "D:20060102150405"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: date %q", ErrMalformed, s)
}
