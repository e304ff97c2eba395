package pdf

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/cms"
	"github.com/custos-project/custos/internal/rfc3161"

	"github.com/custos-project/custos/pdfcheck"
)

// Stamper obtains RFC 3161 time-stamps: *notary.TSA (built-in) and
// *notary.Client (a remote TSA) both are one (notary.Token is
// rfc3161.Token).
type Stamper interface {
	Stamp(ctx context.Context, h crypto.Hash, digest []byte) (*rfc3161.Token, error)
}

// SignOptions says who signs, and with which time-stamping authority.
type SignOptions struct {
	// Signer holds the private key of Certificate: in memory, an HSM or a
	// KMS. Required.
	Signer crypto.Signer
	// Certificate is the signer's document-signing certificate (see
	// certs.Authority.IssueNotary). Required.
	Certificate *x509.Certificate
	// Chain holds Certificate's issuers, issuer first, embedded in the
	// signature so that it verifies with nothing but the root.
	Chain []*x509.Certificate
	// TSA time-stamps the signature value (PAdES B-T). Required.
	TSA Stamper
	// Reason, Location and ContactInfo go in the signature dictionary.
	Reason, Location, ContactInfo string
	// Time is the claimed signing time, the dictionary's /M. The trusted
	// time is the time-stamp's. Default: time.Now.
	Time time.Time
	// Appearance, when set, makes the signature visible: its widget covers
	// this rectangle of this page, where the renderer left room for the
	// office's seal (Renderer.Layout), and shows the placement's Seal as
	// its appearance, so a reader shows the seal as the signature and
	// opens the signature from it. Nil: an invisible signature on the
	// first page.
	Appearance *Placement
}

func (o *SignOptions) check() error {
	switch {
	case o.Signer == nil || o.Certificate == nil:
		return fmt.Errorf("%w: Signer and Certificate are required", ErrSignOptions)
	case o.TSA == nil:
		return fmt.Errorf("%w: TSA is required for a PAdES B-T signature", ErrSignOptions)
	case !certs.SameKey(o.Certificate, o.Signer):
		return fmt.Errorf("%w: Signer does not hold the key of Certificate", ErrSignOptions)
	}
	return nil
}

// estimatedTokenSize is room reserved for the time-stamp token before it
// is known; Sign retries once with the exact size if it was too little.
const estimatedTokenSize = 6 << 10

// byteRangeWidth is the room for "[0 a b c]", padded with spaces.
const byteRangeWidth = 3 + 3*11 + 1

// Sign appends to pdf an incremental update holding a PAdES baseline B-T
// signature (ETSI EN 319 142-1; ISO 32000-2 §12.8): a signature field in
// the catalog's /AcroForm (invisible on the first page, or with the seal as
// its appearance, see SignOptions.Appearance), and a signature
// dictionary (/SubFilter /ETSI.CAdES.detached) whose /ByteRange covers the
// whole resulting file but its /Contents, a detached CMS SignedData over
// those bytes with an RFC 3161 signature time-stamp.
//
// The first signature of a document certifies it with DocMDP permission 1,
// no change permitted (ISO 32000-1 §12.8.2.2); a later one approves. Sign
// refuses a document so certified (ErrCertifiedNoChange), since Verify
// would refuse the result, and signs one certified with P=2 or P=3.
func Sign(ctx context.Context, pdf []byte, opts SignOptions) ([]byte, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	if err := checkSignable(pdf); err != nil {
		return nil, err
	}
	return appendSignature(ctx, pdf, opts)
}

// checkSignable refuses a document certified with no change permitted: a
// signature added to it violates the certification.
func checkSignable(pdf []byte) error {
	f, err := pdfcheck.ParseFile(pdf)
	if err != nil {
		return err
	}
	catalog, err := f.DictOf(f.Trailer.Get("Root"))
	if err != nil {
		return err
	}
	c, err := pdfcheck.CertificationOf(f, catalog, pdf)
	if err != nil {
		return err
	}
	if c.Level == 1 {
		return fmt.Errorf("%w: certified by the signature of its first %d bytes", ErrCertifiedNoChange, c.Length)
	}
	return nil
}

// appendSignature is Sign without checkSignable: tests use it to make
// what another producer could, a signature after a P=1 certification.
func appendSignature(ctx context.Context, pdf []byte, opts SignOptions) ([]byte, error) {
	alg, err := algorithmFor(opts.Certificate.PublicKey)
	if err != nil {
		return nil, err
	}
	if opts.Time.IsZero() {
		opts.Time = time.Now()
	}
	size := 4096 + estimatedTokenSize
	for _, c := range append([]*x509.Certificate{opts.Certificate}, opts.Chain...) {
		size += len(c.Raw)
	}
	out, need, err := signOnce(ctx, pdf, &opts, alg, size)
	if err == nil && out == nil {
		out, _, err = signOnce(ctx, pdf, &opts, alg, need+512)
	}
	if err == nil && out == nil {
		return nil, fmt.Errorf("pdf: sign: signature of %d bytes does not fit", need)
	}
	return out, err
}

// signOnce signs with room for a CMS of size bytes. If the CMS needs more,
// it returns nil and the size needed.
func signOnce(ctx context.Context, pdf []byte, opts *SignOptions, alg pdfcheck.Algorithm, size int) ([]byte, int, error) {
	out, contents, err := prepare(pdf, opts, size)
	if err != nil {
		return nil, 0, err
	}
	h := alg.NewHash()
	h.Write(out[:contents.start])
	h.Write(out[contents.end:])
	s, err := sign(opts.Signer, opts.Certificate, opts.Chain, h.Sum(nil), alg)
	if err != nil {
		return nil, 0, err
	}
	token, err := stamp(ctx, opts.TSA, s.sig, alg.SM)
	if err != nil {
		return nil, 0, err
	}
	cms, err := s.encode(token)
	if err != nil {
		return nil, 0, fmt.Errorf("pdf: encode CMS: %w", err)
	}
	if len(cms) > size {
		return nil, len(cms), nil
	}
	hex.Encode(out[contents.start+1:], cms)
	return out, 0, nil
}

// stamp obtains the signature time-stamp: an RFC 3161 token over the
// SHA-256 of the signature value (RFC 3161 Appendix A), or its SM3 in the
// sm suite, returned as the DER TimeStampToken (a ContentInfo) taken out of
// the TimeStampResp.
//
// The sm suite asks for an SM3 imprint (cms.SM3, 1.2.156.10197.1.401)
// so that every digest of the signature is SM3, as GM/T 0033 time-stamps
// are; the built-in TSA and notary.Client both take it, and Verify also
// accepts a SHA-2 imprint from a TSA that takes no SM3.
func stamp(ctx context.Context, tsa Stamper, sig []byte, sm bool) ([]byte, error) {
	h, d := crypto.SHA256, sha256.Sum256(sig)
	if sm {
		h, d = cms.SM3, sm3.Sum(sig)
	}
	tok, err := tsa.Stamp(ctx, h, d[:])
	if err != nil {
		return nil, fmt.Errorf("pdf: signature time-stamp: %w", err)
	}
	token, err := tokenOf(tok.Reply)
	if err != nil {
		return nil, fmt.Errorf("pdf: signature time-stamp: %w", err)
	}
	return token, nil
}

// tokenOf returns the timeStampToken of a granted RFC 3161 §2.4.2
// TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken }.
func tokenOf(reply []byte) ([]byte, error) {
	token, err := cms.DecodeReply(reply)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", pdfcheck.ErrTimestamp, err)
	}
	return token, nil
}

// span locates the /Contents hex string in the file: out[start] is '<',
// out[end-1] is '>'.
type span struct{ start, end int }

// prepare writes the incremental update with a /Contents placeholder of
// size bytes and its /ByteRange filled in.
func prepare(pdf []byte, opts *SignOptions, size int) ([]byte, span, error) {
	f, err := pdfcheck.ParseFile(pdf)
	if err != nil {
		return nil, span{}, err
	}
	u, err := newUpdate(f)
	if err != nil {
		return nil, span{}, err
	}
	sigNum := u.add()
	certify, err := addField(f, u, sigNum, opts.Appearance)
	if err != nil {
		return nil, span{}, err
	}
	u.objs[sigNum] = signatureDict(opts, size, certify)
	out, offsets := u.bytes()
	c, err := locate(out, offsets[sigNum])
	if err != nil {
		return nil, span{}, err
	}
	br := fmt.Sprintf("[0 %d %d %d]", c.start, c.end, len(out)-c.end)
	at := bytes.Index(out[offsets[sigNum]:], []byte("/ByteRange ")) + int(offsets[sigNum]) + len("/ByteRange ")
	copy(out[at:at+byteRangeWidth], br+string(bytes.Repeat([]byte(" "), byteRangeWidth-len(br))))
	return out, c, nil
}

// docMDPReference is the /Reference of a certification signature (ISO
// 32000-1 §12.8.1 Table 253, §12.8.2.2): the DocMDP transform with
// permission P 1, no change to the document permitted. A viewer that
// honours it reports any incremental update after signing (a page's new
// annotation included) as a violation of the certification, where it would
// accept some such changes under an approval signature.
const docMDPReference = " /Reference [<</Type /SigRef /TransformMethod /DocMDP /TransformParams <</Type /TransformParams /P %d /V /1.2>>>>]"

// certifyLevel is the DocMDP /P of the first signature of a document: 1.
// Tests set 2 or 3, or 0 to sign as Custos did before certifying (an
// approval signature, no /Perms).
var certifyLevel = 1

// signatureDict is the signature dictionary (ISO 32000-1 §12.8.1, Table
// 252) with placeholders: the /ByteRange of byteRangeWidth spaces and a
// /Contents of size zero bytes; with certify, a certification signature's
// (docMDPReference).
func signatureDict(opts *SignOptions, size int, certify bool) []byte {
	var b bytes.Buffer
	b.WriteString("<</Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached")
	d := pdfcheck.NewDict()
	d.Set("M", pdfcheck.Str{Bytes: []byte(pdfDate(opts.Time)), Start: -1})
	for _, kv := range []struct {
		k pdfcheck.Name
		v string
	}{{"Reason", opts.Reason}, {"Location", opts.Location}, {"ContactInfo", opts.ContactInfo}} {
		if kv.v != "" {
			d.Set(kv.k, pdfcheck.TextString(kv.v))
		}
	}
	for _, k := range d.Keys {
		b.WriteByte(' ')
		pdfcheck.WriteName(&b, k)
		b.WriteByte(' ')
		pdfcheck.WriteObject(&b, d.Map[k])
	}
	if certify {
		fmt.Fprintf(&b, docMDPReference, certifyLevel)
	}
	b.WriteString(" /ByteRange ")
	b.Write(bytes.Repeat([]byte(" "), byteRangeWidth))
	b.WriteString(" /Contents <")
	b.Write(bytes.Repeat([]byte("0"), 2*size))
	b.WriteString(">>>")
	return b.Bytes()
}

// locate finds the /Contents placeholder of the signature dictionary
// written at off.
func locate(out []byte, off int64) (span, error) {
	i := bytes.Index(out[off:], []byte("/Contents <"))
	if i < 0 {
		return span{}, fmt.Errorf("pdf: sign: lost the /Contents placeholder")
	}
	start := int(off) + i + len("/Contents ")
	end := bytes.IndexByte(out[start:], '>')
	return span{start: start, end: start + end + 1}, nil
}

// addField adds the signature field and its widget (one object, ISO
// 32000-1 §12.7.3.1) to the catalog's /AcroForm and a page's /Annots, with
// /V sigNum: invisible on the first page, or over the placement at with
// its seal as the appearance (§12.5.5). The first signature of a document
// (no signature field yet, no /Perms) certifies it: the catalog's /Perms
// /DocMDP names sigNum (§12.8.4), and addField reports certify; a later
// one approves only.
func addField(f *pdfcheck.File, u *update, sigNum int, at *Placement) (certify bool, err error) {
	root, ok := f.Trailer.Get("Root").(pdfcheck.Ref)
	if !ok {
		return false, fmt.Errorf("%w: trailer /Root is not a reference", pdfcheck.ErrMalformed)
	}
	catalog, err := f.DictOf(root)
	if err != nil {
		return false, err
	}
	n, rect := 1, pdfcheck.Array{0, 0, 0, 0}
	if at != nil {
		n = at.Page
		rect = pdfcheck.Array{pts(at.Rect[0]), pts(at.Rect[1]), pts(at.Rect[2]), pts(at.Rect[3])}
	}
	page, err := pdfcheck.NthPage(f, catalog, n)
	if err != nil {
		return false, err
	}
	form, formRef, err := pdfcheck.AcroForm(f, catalog)
	if err != nil {
		return false, err
	}
	fields, err := f.Resolve(form.Get("Fields"))
	if err != nil {
		return false, err
	}
	fieldList, _ := fields.(pdfcheck.Array)
	widget := u.add()
	w := pdfcheck.NewDict()
	w.Set("Type", pdfcheck.Name("Annot"))
	w.Set("Subtype", pdfcheck.Name("Widget"))
	w.Set("FT", pdfcheck.Name("Sig"))
	w.Set("T", pdfcheck.TextString("Signature"+strconv.Itoa(len(fieldList)+1)))
	w.Set("V", pdfcheck.Ref{Num: sigNum})
	w.Set("F", 132) // Print | Locked
	w.Set("Rect", rect)
	w.Set("P", page)
	if at != nil {
		ap, err := u.appearance(at.Seal, at.Rect[2]-at.Rect[0], at.Rect[3]-at.Rect[1])
		if err != nil {
			return false, err
		}
		n := pdfcheck.NewDict()
		n.Set("N", ap)
		w.Set("AP", n)
	}
	u.set(widget, w)

	form.Set("Fields", append(append(pdfcheck.Array{}, fieldList...), pdfcheck.Ref{Num: widget}))
	form.Set("SigFlags", 3) // SignaturesExist | AppendOnly
	certify = certifyLevel != 0 && catalog.Get("Perms") == nil && !hasSignature(f, fieldList)
	cat := catalog.Clone()
	if certify {
		perms := pdfcheck.NewDict()
		perms.Set("DocMDP", pdfcheck.Ref{Num: sigNum})
		cat.Set("Perms", perms)
	}
	if formRef.Num > 0 {
		u.set(formRef.Num, form)
	} else {
		cat.Set("AcroForm", form)
	}
	u.set(root.Num, cat)
	return certify, addAnnot(f, u, page, pdfcheck.Ref{Num: widget})
}

// hasSignature reports whether one of fields is a signature field.
func hasSignature(f *pdfcheck.File, fields pdfcheck.Array) bool {
	for _, fr := range fields {
		if d, err := f.DictOf(fr); err == nil && d.Get("FT") == pdfcheck.Name("Sig") {
			return true
		}
	}
	return false
}

// pts writes a coordinate, in points to the hundredth.
func pts(v float64) pdfcheck.Number { return pdfcheck.Number(strconv.FormatFloat(v, 'f', 2, 64)) }

// addAnnot rewrites page with annot added to its /Annots.
func addAnnot(f *pdfcheck.File, u *update, page, annot pdfcheck.Ref) error {
	d, err := f.DictOf(page)
	if err != nil {
		return err
	}
	d = d.Clone()
	annots, err := f.Resolve(d.Get("Annots"))
	if err != nil {
		return err
	}
	list, _ := annots.(pdfcheck.Array)
	d.Set("Annots", append(append(pdfcheck.Array{}, list...), annot))
	u.set(page.Num, d)
	return nil
}
