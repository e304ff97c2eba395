package pdfcheck

import (
	"crypto/x509"
	"fmt"
	"strings"
)

// Certification is a document's DocMDP certification (ISO 32000-1
// §12.8.2.2, PAdES ETSI EN 319 142-1 §5.4): what its certifying signature
// permits to change after it. Its zero value: the document is not
// certified (no DocMDP; an approval signature only, as in PDFs Custos
// signed before December 2026).
type Certification struct {
	// Level is the DocMDP permission /P: 1 no change, 2 filling in forms,
	// instantiating page templates and signing, 3 those and annotations;
	// 0 when the document is not certified.
	Level int
	// Length is the certified revision's length: the first Length bytes of
	// the file, up to the end of the certifying signature's /ByteRange.
	Length int64
	// Added is the number of bytes after the certified revision: later
	// revisions (incremental updates, signed or not). With Level 1 any is
	// a violation (ErrCertificationViolated); with Level 2 or 3 Verify
	// checks what each changes (CheckChanges, ErrChangeNotPermitted).
	Added int64
	// Revisions is the number of revisions after the certified one that
	// Verify checked, with Level 2 or 3, and Changes what they change, all
	// permitted.
	Revisions int
	Changes   Changes
	// Drawn, after a certification with P=2 or P=3, is the number of
	// widgets and other annotations that the later revisions add to a
	// page, or whose appearance they change, and that a viewer draws over
	// the certified page: permitted, each is a warning, listed in
	// Signature.Drawn (added in December 2026, security review P5).
	Drawn int
	// Certifier is the signer of the certifying signature, which Verify
	// verified over the certified revision (step signatures).
	Certifier *x509.Certificate

	byteRange [4]int64 // the certifying signature's /ByteRange
}

// Violated reports a change that the certification does not permit: bytes
// added after a Level 1 certification.
func (c Certification) Violated() bool { return c.Level == 1 && c.Added > 0 }

// CertificationOf reads the certification of pdf, parsed as f with the
// catalog catalog: the first that the catalog of one of its revisions
// names, the earliest revision first (a document has one certification,
// its first signature's: ISO 32000-1 §12.8.2.2), so that a later revision
// can neither undo it by rewriting the catalog without /Perms nor replace
// it by naming a certification of its own (changes that the certification
// does not permit either). It reads the maxLaterRevisions first revisions
// at most, then the whole file's catalog.
func CertificationOf(f *File, catalog *Dict, pdf []byte) (Certification, error) {
	ends := revisionEnds(pdf, 0)
	for _, end := range ends[:min(len(ends)-1, maxLaterRevisions)] {
		g, err := ParseFile(pdf[:end])
		if err != nil {
			continue // not a revision's end
		}
		cat, err := g.DictOf(g.Trailer.Get("Root"))
		if err != nil {
			continue
		}
		if c, err := readCertification(g, cat, int(end)); err != nil || c.Level > 0 {
			c.Added = int64(len(pdf)) - c.Length
			return c, err
		}
	}
	return readCertification(f, catalog, len(pdf))
}

// readCertification reads the certification of the document whose
// catalog is catalog and whose length is n (ISO 32000-1 §12.8.4, §12.8.2.2):
// the catalog's /Perms /DocMDP names the certifying signature dictionary,
// whose /Reference holds a signature reference dictionary with
// /TransformMethod /DocMDP and /TransformParams /P (2 when absent, Table
// 254). Not certified without /Perms /DocMDP; ErrMalformed for a /Perms
// /DocMDP that names no such signature, a /P other than 1, 2 or 3, or a
// certified revision that is not a part of the file.
func readCertification(f *File, catalog *Dict, n int) (Certification, error) {
	perms, err := f.Resolve(catalog.Get("Perms"))
	if err != nil || perms == nil {
		return Certification{}, err
	}
	pd, ok := perms.(*Dict)
	if !ok || pd.Get("DocMDP") == nil {
		return Certification{}, nil
	}
	sd, err := f.DictOf(pd.Get("DocMDP"))
	if err != nil {
		return Certification{}, err
	}
	level, err := docMDPLevel(f, sd)
	if err != nil {
		return Certification{}, err
	}
	br, err := intArray(sd.Get("ByteRange"))
	if err != nil || len(br) != 4 || br[2] < 0 || br[3] < 0 || br[2]+br[3] <= 0 || br[2]+br[3] > int64(n) {
		return Certification{}, fmt.Errorf("%w: the certifying signature's /ByteRange is not a part of the file", ErrMalformed)
	}
	end := br[2] + br[3]
	return Certification{Level: level, Length: end, Added: int64(n) - end, byteRange: [4]int64(br)}, nil
}

// docMDPLevel is the /P of the DocMDP signature reference of the
// signature dictionary sd (ISO 32000-1 §12.8.1 Table 253).
func docMDPLevel(f *File, sd *Dict) (int, error) {
	refs, err := f.Resolve(sd.Get("Reference"))
	if err != nil {
		return 0, err
	}
	list, _ := refs.(Array)
	for _, o := range list {
		sr, err := f.DictOf(o)
		if err != nil {
			return 0, err
		}
		if sr.Get("TransformMethod") != Name("DocMDP") {
			continue
		}
		level := int64(2)
		if tp := sr.Get("TransformParams"); tp != nil {
			params, err := f.DictOf(tp)
			if err != nil {
				return 0, err
			}
			if p, err := f.Resolve(params.Get("P")); err != nil {
				return 0, err
			} else if p != nil {
				v, ok := asInt(p)
				if !ok {
					return 0, fmt.Errorf("%w: DocMDP /P %v", ErrMalformed, p)
				}
				level = v
			}
		}
		if level < 1 || level > 3 {
			return 0, fmt.Errorf("%w: DocMDP /P %d, want 1, 2 or 3", ErrMalformed, level)
		}
		return int(level), nil
	}
	return 0, fmt.Errorf("%w: /Perms /DocMDP names a signature without a DocMDP reference", ErrMalformed)
}

// Changes are the kinds of change that the revisions after a DocMDP
// certification with permission 2 or 3 make, each one permitted
// (CheckChanges).
type Changes uint8

const (
	// ChangeSignatures: signature fields and their widgets added, and
	// signatures (or document time-stamps) put in them (P=2 and 3).
	ChangeSignatures Changes = 1 << iota
	// ChangeForms: form fields filled in, their /V, /AS or /AP changed, and
	// the form's default resources (P=2 and 3).
	ChangeForms
	// ChangeAnnotations: annotations other than widgets added, changed or
	// deleted (P=3 only).
	ChangeAnnotations
	// ChangeDSS: the document security store of PAdES LTV (ETSI EN 319
	// 142-1 §5.4.2), which the certification permits as well.
	ChangeDSS
)

var changeNames = []string{"signatures", "form fields", "annotations", "DSS"}

// String names the kinds, "signatures, DSS", or "none".
func (c Changes) String() string {
	var out []string
	for i, n := range changeNames {
		if c&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}
