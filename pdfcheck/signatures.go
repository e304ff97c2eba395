package pdfcheck

import (
	"cmp"
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
)

// DocumentSignature is one signature of a document, verified over the
// revision it signs (Signature: its first End() bytes, all but its own
// /Contents).
type DocumentSignature struct {
	// Field is the fully qualified name of its signature field (ISO
	// 32000-1 §12.7.3.2: the parents' /T, then its own, joined by ".").
	Field string
	// Start is where the revision of the signature before it ends (0 for
	// the first): the signature adds the revisions from Start to End().
	Start int64
	// Certifies: this is the document's certifying signature, the one
	// that the catalog's /Perms /DocMDP names (Certification).
	Certifies bool
	*Signature
}

// End is the length of the revision s signs: the end of its /ByteRange.
func (s *Signature) End() int64 { return s.ByteRange[2] + s.ByteRange[3] }

// maxSignatures bounds the signatures of a document that Verify checks,
// each over its own revision (one per revision at most: maxLaterRevisions);
// maxFieldNodes the form fields it reads to find them.
const (
	maxSignatures = maxLaterRevisions
	maxFieldNodes = 4096
)

// CheckSignatures is step signatures: every signature of the document,
// that of each signature field with a value (signatureFields), verifies
// over the revision it signs (VerifyWhole of its first End() bytes: steps
// find to chain), and is the signature that VerifyWhole finds there (the
// same /ByteRange, and the field's own /Contents between its ranges). sig is
// the whole file's, already verified. It returns them in the order of the
// file, the certifying one marked, and sets the certification's Certifier.
// A signature that does not verify is a *SignatureError naming it; one of
// a kind Verify does not check (another /SubFilter, a document
// time-stamp) is refused too, ErrUnsupported.
func CheckSignatures(pdf []byte, sig *Signature, roots *x509.CertPool) error {
	fail := func(err error) error { return &VerifyError{Step: "signatures", Err: err} }
	f, err := ParseFile(pdf)
	if err != nil {
		return fail(err)
	}
	fields, err := signatureFields(f)
	if err != nil {
		return fail(err)
	}
	if len(fields) > maxSignatures {
		return fail(fmt.Errorf("%w: %d signatures, more than %d", ErrUnsupported, len(fields), maxSignatures))
	}
	ends := make([]int64, len(fields))
	for i, fd := range fields {
		if br, err := intArray(fd.v.Get("ByteRange")); err == nil && len(br) == 4 {
			ends[i] = br[2] + br[3]
		}
	}
	order := make([]int, len(fields))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(ends[a], ends[b]) })

	whole := *sig // the whole file's, without the list
	var list []DocumentSignature
	var start int64
	for k, i := range order {
		fd := fields[i]
		rs, err := verifyField(pdf, fd.v, &whole, roots)
		if err != nil {
			return fail(&SignatureError{Index: k + 1, Count: len(fields), Field: fd.name, End: ends[i],
				Certifies: sig.Certification.Level > 0 && ends[i] == sig.Certification.Length, Err: err})
		}
		if len(list) > 0 && list[len(list)-1].ByteRange == rs.ByteRange {
			continue // two fields of one signature dictionary
		}
		c := sig.Certification.Level > 0 && rs.ByteRange == sig.Certification.byteRange
		list = append(list, DocumentSignature{Field: fd.name, Start: start, Certifies: c, Signature: rs})
		start = rs.End()
		if c {
			sig.Certification.Certifier = rs.Signer
		}
	}
	if sig.Certification.Level > 0 && sig.Certification.Certifier == nil {
		return fail(fmt.Errorf("%w: the certifying signature that /Perms /DocMDP names is the value of no signature field", ErrMalformed))
	}
	sig.Signatures = list
	return nil
}

// verifyField verifies the signature dictionary v of a signature field of
// pdf over the revision it signs; whole is the whole file's signature,
// verified.
func verifyField(pdf []byte, v *Dict, whole *Signature, roots *x509.CertPool) (*Signature, error) {
	if v.Get("Type") != nil && v.Get("Type") != Name("Sig") || v.Get("SubFilter") != Name("ETSI.CAdES.detached") {
		return nil, &VerifyError{Step: "find", Err: fmt.Errorf("%w: a signature of /Type %v, /SubFilter %v, which Verify does not check", ErrUnsupported, v.Get("Type"), v.Get("SubFilter"))}
	}
	br, err := intArray(v.Get("ByteRange"))
	if err != nil || len(br) != 4 || br[0] != 0 || br[2]+br[3] <= 0 || br[2]+br[3] > int64(len(pdf)) {
		return nil, &VerifyError{Step: "byteRange", Err: ErrByteRange, Want: fmt.Sprintf("[0 a b c], b+c at most the file's %d bytes", len(pdf)), Got: fmt.Sprint(v.Get("ByteRange"))}
	}
	rs := whole
	if end := br[2] + br[3]; end < int64(len(pdf)) {
		if rs, err = VerifyWhole(pdf[:end], roots); err != nil {
			return nil, err
		}
	}
	if rs.ByteRange != [4]int64(br) {
		return nil, &VerifyError{Step: "byteRange", Err: ErrByteRange,
			Want: fmt.Sprintf("%v, the /ByteRange of the signature that verifies over the first %d bytes", rs.ByteRange, rs.End()),
			Got:  fmt.Sprint(br)}
	}
	// The field's own dictionary must be the one signed: its /Contents is
	// the hex string between the ranges, which the signature verified. A
	// dictionary that only copies the /ByteRange (another field's, or one
	// a later revision put in place of the signed one, with another
	// /Reason or /M) is not that signature, though viewers show it as one.
	if c, ok := v.Get("Contents").(Str); !ok || c.Start < 0 || int64(c.Start) != br[1] || int64(c.end) != br[2] {
		got := "no direct /Contents string"
		if ok && c.Start >= 0 {
			got = fmt.Sprintf("its /Contents at bytes %d to %d", c.Start, c.end)
		}
		return nil, &VerifyError{Step: "byteRange", Err: ErrByteRange,
			Want: fmt.Sprintf("the field's own /Contents between the ranges, bytes %d to %d (the signature dictionary that was signed)", br[1], br[2]),
			Got:  got}
	}
	return rs, nil
}

// sigField is a signature field with a value: its fully qualified name and
// its signature dictionary.
type sigField struct {
	name string
	v    *Dict
}

// signatureFields lists the signature fields of f that hold a signature
// (ISO 32000-1 §12.7.3.1, §12.7.4.5: /FT /Sig, inherited from a parent,
// and a /V): those of the field tree, in its order, reading at most
// maxFieldNodes fields, MaxDepth deep (a deeper one is refused), then the
// widgets of signature fields that a page's /Annots holds and the tree
// does not (pageSignatures: pdfsig checks those too). A field that cannot
// be read is passed over, as findSignature does; a /V that is not a
// dictionary is refused.
func signatureFields(f *File) ([]sigField, error) {
	catalog, err := f.DictOf(f.Trailer.Get("Root"))
	if err != nil {
		return nil, err
	}
	form, _, err := AcroForm(f, catalog)
	if err != nil {
		return nil, err
	}
	top, err := f.Resolve(form.Get("Fields"))
	if err != nil {
		return nil, err
	}
	var out []sigField
	seen := map[int]bool{}
	nodes := 0
	var walk func(list Array, parent string, ft Object, depth int) error
	walk = func(list Array, parent string, ft Object, depth int) error {
		for _, o := range list {
			if r, ok := o.(Ref); ok {
				if seen[r.Num] {
					continue
				}
				seen[r.Num] = true
			}
			if nodes++; nodes > maxFieldNodes {
				return fmt.Errorf("%w: more than %d form fields", ErrUnsupported, maxFieldNodes)
			}
			field, err := f.DictOf(o)
			if err != nil {
				continue
			}
			full := parent
			if t, ok := field.Get("T").(Str); ok {
				if full != "" {
					full += "."
				}
				full += DecodeText(t.Bytes)
			}
			fft := ft
			if x := field.Get("FT"); x != nil {
				fft = x
			}
			if sf, err := fieldSignature(f, field, full, fft); err != nil {
				return err
			} else if sf != nil {
				out = append(out, *sf)
			}
			if kids, err := f.Resolve(field.Get("Kids")); err == nil {
				if a, ok := kids.(Array); ok && len(a) > 0 {
					if depth >= MaxDepth {
						return fmt.Errorf("%w: form fields nested more than %d deep", ErrUnsupported, MaxDepth)
					}
					if err := walk(a, full, fft, depth+1); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	list, _ := top.(Array)
	if err := walk(list, "", nil, 0); err != nil {
		return nil, err
	}
	more, err := pageSignatures(f, catalog, seen)
	return append(out, more...), err
}

// fieldSignature returns the signature field field, of fully qualified
// name full and field type ft, if it holds a signature; nil if not.
func fieldSignature(f *File, field *Dict, full string, ft Object) (*sigField, error) {
	val, err := f.Resolve(field.Get("V"))
	if err != nil || ft != Name("Sig") || val == nil {
		return nil, err
	}
	v, err := f.DictOf(val)
	if err != nil {
		return nil, fmt.Errorf("%w: the value of signature field %q: %w", ErrMalformed, full, err)
	}
	return &sigField{name: full, v: v}, nil
}

// maxAnnots bounds the annotations pageSignatures reads.
const maxAnnots = 1 << 16

// pageSignatures lists the widgets in the pages' /Annots (ISO 32000-1
// §12.5.2) that are signature fields holding a signature (/FT and the
// names inherited through /Parent, §12.7.3.1) and that are not among the
// fields seen in the field tree: a signature a viewer finds on a page
// (poppler's standalone fields) is checked as one in /Fields is. It reads
// maxPages pages and maxAnnots annotations at most; more is refused.
func pageSignatures(f *File, catalog *Dict, seen map[int]bool) ([]sigField, error) {
	var out []sigField
	visited := map[int]bool{}
	annots := 0
	stack := []Object{catalog.Get("Pages")}
	for len(stack) > 0 {
		o := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		r, ok := o.(Ref)
		if !ok || visited[r.Num] {
			continue
		}
		if visited[r.Num] = true; len(visited) > maxPages {
			return nil, fmt.Errorf("%w: more than %d page tree nodes", ErrUnsupported, maxPages)
		}
		node, err := f.DictOf(r)
		if err != nil {
			continue
		}
		if kids, err := f.Resolve(node.Get("Kids")); err == nil {
			k, _ := kids.(Array)
			for i := len(k) - 1; i >= 0; i-- {
				stack = append(stack, k[i]) // the first kid first
			}
		}
		a, err := f.Resolve(node.Get("Annots"))
		if err != nil {
			continue
		}
		list, _ := a.(Array)
		if annots += len(list); annots > maxAnnots {
			return nil, fmt.Errorf("%w: more than %d annotations", ErrUnsupported, maxAnnots)
		}
		for _, o := range list {
			if r, ok := o.(Ref); ok {
				if seen[r.Num] {
					continue
				}
				seen[r.Num] = true
			}
			w, err := f.DictOf(o)
			if err != nil || w.Get("Subtype") != Name("Widget") {
				continue
			}
			full, ft := inheritedName(f, w)
			if sf, err := fieldSignature(f, w, full, ft); err != nil {
				return nil, err
			} else if sf != nil {
				out = append(out, *sf)
			}
		}
	}
	return out, nil
}

// inheritedName returns the fully qualified name of the field w, from the
// /T of it and its /Parent chain, and its field type, its own /FT or the
// nearest parent's.
func inheritedName(f *File, w *Dict) (string, Object) {
	var parts []string
	var ft Object
	for d, depth := w, 0; d != nil && depth < MaxDepth; depth++ {
		if t, ok := d.Get("T").(Str); ok {
			parts = append(parts, DecodeText(t.Bytes))
		}
		if ft == nil {
			ft = d.Get("FT")
		}
		p := d.Get("Parent")
		if p == nil {
			break
		}
		d, _ = f.DictOf(p)
	}
	slices.Reverse(parts)
	return strings.Join(parts, "."), ft
}
