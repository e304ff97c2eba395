package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"

	"github.com/custos-project/custos/pdfcheck"
)

// forgedSignature is a document signed by p's notary, then changed in an
// update that adds or replaces a signature dictionary, then signed again
// by p's notary over the whole file: a trusted last signature, and one
// before it that is not what it claims.
type forgedSignature struct {
	name  string
	b     []byte
	field string // the signature Verify refuses
	step  string // the step it fails at, within step signatures
	err   error
	// pdfsigFails: pdfsig (poppler 22.12) reports that field's signature
	// as not valid; false where it calls it valid and Verify is stricter.
	pdfsigFails bool
	// fixed: Verify accepted it before the review.
	fixed bool
}

// forgedSignatures makes the documents of the review of session 18 (P1 to
// P3 in docs/security.md): a second field whose dictionary copies the
// first signature's /ByteRange with a /Contents of its own; the first
// signature's dictionary replaced in a later revision by one with another
// /Reason and the same /ByteRange and /Contents value (not at the same
// place); a signature widget in a page's /Annots that /Fields does not
// list; a signature field nested deeper than Verify reads; and, refused
// before too, second fields whose /ByteRange does not start at 0, or ends
// within a revision.
func forgedSignatures(t *testing.T, p *testPKI) []forgedSignature {
	t.Helper()
	signed := certifiedMinimal(t, p, 0)
	f, err := pdfcheck.ParseFile(signed)
	if err != nil {
		t.Fatal(err)
	}
	catalog, err := f.DictOf(f.Trailer.Get("Root"))
	if err != nil {
		t.Fatal(err)
	}
	form, _, err := pdfcheck.AcroForm(f, catalog)
	if err != nil {
		t.Fatal(err)
	}
	fields, _ := form.Get("Fields").(pdfcheck.Array)
	field, err := f.DictOf(fields[0])
	if err != nil {
		t.Fatal(err)
	}
	vref := field.Get("V").(pdfcheck.Ref)
	v, err := f.DictOf(vref)
	if err != nil {
		t.Fatal(err)
	}
	// sigDict is a signature dictionary with byteRange and a /Contents
	// that is no CMS.
	sigDict := func(byteRange pdfcheck.Object) *pdfcheck.Dict {
		d := pdfcheck.NewDict()
		d.Set("Type", pdfcheck.Name("Sig"))
		d.Set("Filter", pdfcheck.Name("Adobe.PPKLite"))
		d.Set("SubFilter", pdfcheck.Name("ETSI.CAdES.detached"))
		d.Set("ByteRange", byteRange)
		d.Set("Contents", pdfcheck.Str{Bytes: []byte{0x30, 0x00}})
		d.Set("Reason", pdfcheck.TextString("同意 I agree"))
		return d
	}
	// addField adds the field whose object is num to /Fields.
	addField := func(u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref, num int) {
		fm := form.Clone()
		fm.Set("Fields", append(append(pdfcheck.Array{}, fields...), pdfcheck.Ref{Num: num}))
		catalog.Set("AcroForm", fm)
		u.set(root.Num, catalog)
	}
	shared := appendUpdate(t, signed, func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
		s, w := u.add(), u.add()
		u.set(s, sigDict(v.Get("ByteRange")))
		fd := pdfcheck.NewDict()
		fd.Set("FT", pdfcheck.Name("Sig"))
		fd.Set("T", pdfcheck.TextString("Forged"))
		fd.Set("V", pdfcheck.Ref{Num: s})
		u.set(w, fd)
		addField(u, catalog, root, w)
	})
	replaced := appendUpdate(t, signed, func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
		d := v.Clone()
		d.Set("Reason", pdfcheck.TextString("同意 I agree"))
		u.set(vref.Num, d)
	})
	onPage := appendUpdate(t, signed, func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
		s, w := u.add(), u.add()
		u.set(s, sigDict(pdfcheck.Array{0, 10, 20, 30}))
		page, err := pdfcheck.NthPage(f, catalog, 1)
		if err != nil {
			t.Fatal(err)
		}
		wd := pdfcheck.NewDict()
		wd.Set("Type", pdfcheck.Name("Annot"))
		wd.Set("Subtype", pdfcheck.Name("Widget"))
		wd.Set("FT", pdfcheck.Name("Sig"))
		wd.Set("T", pdfcheck.TextString("OnPage"))
		wd.Set("Rect", pdfcheck.Array{0, 0, 0, 0})
		wd.Set("P", page)
		wd.Set("V", pdfcheck.Ref{Num: s})
		u.set(w, wd)
		u.set(page.Num, mustDict(t, f, page.Num, func(d *pdfcheck.Dict) {
			annots, _ := d.Get("Annots").(pdfcheck.Array)
			d.Set("Annots", append(append(pdfcheck.Array{}, annots...), pdfcheck.Ref{Num: w}))
		}))
	})
	deep := appendUpdate(t, signed, func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
		s, leaf := u.add(), u.add()
		u.set(s, sigDict(pdfcheck.Array{0, 10, 20, 30}))
		ld := pdfcheck.NewDict()
		ld.Set("FT", pdfcheck.Name("Sig"))
		ld.Set("T", pdfcheck.TextString("Deep"))
		ld.Set("V", pdfcheck.Ref{Num: s})
		u.set(leaf, ld)
		for range pdfcheck.MaxDepth + 2 {
			n := u.add()
			nd := pdfcheck.NewDict()
			nd.Set("T", pdfcheck.TextString("n"))
			nd.Set("Kids", pdfcheck.Array{pdfcheck.Ref{Num: leaf}})
			u.set(n, nd)
			leaf = n
		}
		addField(u, catalog, root, leaf)
	})
	br, _ := intArray(v.Get("ByteRange"))
	// withRange adds a field "Forged" whose dictionary has byteRange.
	withRange := func(byteRange pdfcheck.Array) []byte {
		return appendUpdate(t, signed, func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
			s, w := u.add(), u.add()
			u.set(s, sigDict(byteRange))
			fd := pdfcheck.NewDict()
			fd.Set("FT", pdfcheck.Name("Sig"))
			fd.Set("T", pdfcheck.TextString("Forged"))
			fd.Set("V", pdfcheck.Ref{Num: s})
			u.set(w, fd)
			addField(u, catalog, root, w)
		})
	}
	return []forgedSignature{
		{"a second field copying the /ByteRange", signAgain(t, p, shared), "Forged", "byteRange", pdfcheck.ErrByteRange, true, true},
		{"the signed dictionary replaced", signAgain(t, p, replaced), "Signature1", "byteRange", pdfcheck.ErrByteRange, false, true},
		{"a signature widget only on a page", signAgain(t, p, onPage), "OnPage", "find", pdfcheck.ErrMalformed, true, true},
		{"a signature field nested too deep", signAgain(t, p, deep), "", "", pdfcheck.ErrUnsupported, false, true},
		{"a /ByteRange not from 0", signAgain(t, p, withRange(pdfcheck.Array{1, br[1], br[2], br[3]})), "Forged", "byteRange", pdfcheck.ErrByteRange, true, false},
		{"a /ByteRange ending within a revision", signAgain(t, p, withRange(pdfcheck.Array{0, br[1], br[2], br[3] - 40})), "Forged", "find", pdfcheck.ErrMalformed, true, false},
	}
}

// TestVerifySignatureDictionaries: each signature Verify reports is the
// value of its field as signed, and every signature a viewer finds is
// checked. Before the review of session 18, Verify accepted the four
// forgedSignatures marked fixed: the field copying the first signature's /ByteRange
// and the replaced dictionary (another /Reason, which viewers show beside
// a valid signature) were taken for the first signature, and the widget
// on a page and the deep field were not read.
func TestVerifySignatureDictionaries(t *testing.T) {
	p := newTestPKI(t, time.Now())
	for _, c := range forgedSignatures(t, p) {
		t.Run(c.name, func(t *testing.T) {
			if _, err := pdfcheck.VerifyWhole(c.b, p.roots); err != nil {
				t.Fatalf("the last signature does not verify: %v", err)
			}
			_, err := pdfcheck.Verify(c.b, p.roots)
			var ve *pdfcheck.VerifyError
			if !errors.As(err, &ve) || ve.Step != "signatures" || !errors.Is(err, c.err) {
				t.Fatalf("Verify = %v, want step signatures, %v", err, c.err)
			}
			var se *pdfcheck.SignatureError
			if c.step == "" {
				if errors.As(err, &se) {
					t.Errorf("Verify = %v, want no single signature named", err)
				}
				return
			}
			if !errors.As(err, &se) || se.Field != c.field || se.Step() != c.step {
				t.Errorf("Verify = %v, want the signature of field %q, at step %s", err, c.field, c.step)
			}
		})
	}
}

// TestPdfsigSignatureDictionaries: pdfsig lists the second field copying
// the /ByteRange and the signature widget on a page as signatures and
// fails them, as Verify now does; it calls the replaced dictionary valid
// (it checks the copied /Contents over the same ranges), which Verify
// refuses, the dictionary not being the one signed.
func TestPdfsigSignatureDictionaries(t *testing.T) {
	requireTool(t, "pdfsig", "certutil")
	p := newTestPKI(t, time.Now())
	dir := t.TempDir()
	db := nssDB(t, dir, certs.EncodePEM(p.root.Cert))
	for i, c := range forgedSignatures(t, p) {
		if c.field == "" {
			continue
		}
		file := filepath.Join(dir, string(rune('a'+i))+".pdf")
		if err := os.WriteFile(file, c.b, 0o644); err != nil {
			t.Fatal(err)
		}
		out, _ := run(t, "pdfsig", "-nssdir", db, file)
		t.Logf("pdfsig (%s):\n%s", c.name, out)
		_, rest, ok := strings.Cut(out, "Signature Field Name: "+c.field+"\n")
		if !ok {
			t.Errorf("pdfsig(%s): no signature of field %q", c.name, c.field)
			continue
		}
		rest, _, _ = strings.Cut(rest, "Signature #")
		if fails := !strings.Contains(rest, "Signature is Valid."); fails != c.pdfsigFails {
			t.Errorf("pdfsig(%s): field %q fails = %v, want %v", c.name, c.field, fails, c.pdfsigFails)
		}
	}
}

// TestVerifyContentsMalleable: the bytes of /Contents are not signed, so
// a signed file has other encodings that verify as it does (review P6,
// accepted): its hex digits in the other case, and padding zeros written
// as white space (ISO 32000-1 §7.3.4.3 ignores it in a hex string). Their
// SHA-256 differs from the file's; the signed bytes do not.
func TestVerifyContentsMalleable(t *testing.T) {
	p := newTestPKI(t, time.Now())
	b := certifiedMinimal(t, p, 0)
	sig, err := pdfcheck.Verify(b, p.roots)
	if err != nil {
		t.Fatal(err)
	}
	c := bytes.Clone(b)
	gap := c[sig.ByteRange[1]+1 : sig.ByteRange[2]-1]
	for i, x := range gap {
		if x >= 'a' && x <= 'f' || x >= 'A' && x <= 'F' {
			gap[i] = x ^ 0x20
		}
	}
	gap[len(gap)-1], gap[len(gap)-2] = ' ', ' ' // a padding zero
	if bytes.Equal(b, c) {
		t.Fatal("no byte changed")
	}
	if _, err := pdfcheck.Verify(c, p.roots); err != nil {
		t.Errorf("Verify(other encoding of /Contents) = %v, want valid", err)
	}
}

// regenerated rewrites, in an update to b, the content stream of page 1
// unchanged but for its generation numbers: header in "N G obj", entry in
// the cross-reference table.
func regenerated(t *testing.T, b []byte, header, entry int) []byte {
	t.Helper()
	f, _, _, num := firstPage(t, b)
	o, err := f.Object(num)
	if err != nil {
		t.Fatal(err)
	}
	s := o.(*pdfcheck.Stream)
	u, err := newUpdate(f)
	if err != nil {
		t.Fatal(err)
	}
	u.setStream(num, s.Dict, s.Raw)
	out, offsets := u.bytes()
	tail, ok := bytes.CutPrefix(out[len(b):], fmt.Appendf(nil, "%d 0 obj", num))
	if !ok {
		t.Fatalf("the update does not start with object %d", num)
	}
	tail = append(fmt.Appendf(nil, "%d %d obj", num, header), tail...)
	tail = bytes.Replace(tail, fmt.Appendf(nil, "%010d 00000 n", offsets[num]), fmt.Appendf(nil, "%010d %05d n", offsets[num], entry), 1)
	return append(bytes.Clone(b), tail...)
}

// TestVerifyGenerationChanged (review P7): after a certification with P=2,
// a later revision that writes a page's content stream again, its value
// unchanged but its generation number 1, hides the page from viewers (the
// page's "N 0 R" finds no object N 0: pdftotext reads nothing), and one
// whose "N 1 obj" does not match its entry (0) makes viewers rebuild the
// table from the objects in the file. Verify compared values only, and
// accepted both, signed again by a trusted notary, as unchanged; now the
// first is a change not permitted, and the second cannot be read.
func TestVerifyGenerationChanged(t *testing.T) {
	p := newTestPKI(t, time.Now())
	certified := signedAt(t, p, 2)
	hidden := signAgain(t, p, regenerated(t, certified, 1, 1))
	for _, c := range []struct {
		name string
		b    []byte
		what string
	}{
		{"generation changed", hidden, "generation number is changed"},
		{"header not the entry's", signAgain(t, p, regenerated(t, certified, 1, 0)), "cannot be read"},
	} {
		_, err := pdfcheck.Verify(c.b, p.roots)
		var ce *pdfcheck.ChangeError
		if !errors.As(err, &ce) || ce.Revision != 1 || !strings.Contains(ce.What, c.what) {
			t.Errorf("%s: Verify = %v, want a change not permitted in revision 1: %s", c.name, err, c.what)
		}
	}
	requireTool(t, "pdftotext")
	dir := t.TempDir()
	for _, c := range []struct {
		file string
		b    []byte
		text bool
	}{{"certified.pdf", certified, true}, {"hidden.pdf", hidden, false}} {
		file := filepath.Join(dir, c.file)
		if err := os.WriteFile(file, c.b, 0o644); err != nil {
			t.Fatal(err)
		}
		out, _ := run(t, "pdftotext", file, "-")
		if got := strings.Contains(out, "公证书"); got != c.text {
			t.Errorf("pdftotext(%s) shows the title: %v, want %v:\n%s", c.file, got, c.text, out)
		}
	}
}

// TestVerifyKeyTwice (review P8): after a certification with P=2, a later
// revision that writes page 1 again with /Contents twice, a new (empty)
// content stream first and the certified one last, read as unchanged (the
// parser keeps the last value, as poppler does for a small dictionary; a
// reader keeping the first shows the empty page). Now a key twice in an
// object a later revision changes is a change not permitted.
func TestVerifyKeyTwice(t *testing.T) {
	p := newTestPKI(t, time.Now())
	certified := signedAt(t, p, 2)
	b := signAgain(t, p, appendUpdate(t, certified, func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
		page, err := pdfcheck.NthPage(f, catalog, 1)
		if err != nil {
			t.Fatal(err)
		}
		d := mustDict(t, f, page.Num, func(*pdfcheck.Dict) {})
		orig := d.Get("Contents").(pdfcheck.Ref)
		s := u.add()
		u.setStream(s, pdfcheck.NewDict(), []byte(" "))
		d.Del("Contents")
		u.set(page.Num, d)
		body := u.objs[page.Num]
		u.objs[page.Num] = fmt.Appendf(body[:len(body)-2:len(body)-2], "/Contents %d 0 R /Contents %d 0 R>>", s, orig.Num)
	}))
	_, err := pdfcheck.Verify(b, p.roots)
	var ce *pdfcheck.ChangeError
	if !errors.As(err, &ce) || ce.Revision != 1 || !strings.Contains(ce.What, "/Contents twice") {
		t.Errorf("Verify = %v, want a change not permitted in revision 1: /Contents twice", err)
	}
}

// firstPage returns page 1 of b, its object number, and the number of
// its content stream.
func firstPage(t *testing.T, b []byte) (f *pdfcheck.File, page *pdfcheck.Dict, pageNum, content int) {
	t.Helper()
	f, err := pdfcheck.ParseFile(b)
	if err != nil {
		t.Fatal(err)
	}
	catalog, err := f.DictOf(f.Trailer.Get("Root"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := pdfcheck.NthPage(f, catalog, 1)
	if err != nil {
		t.Fatal(err)
	}
	page = mustDict(t, f, r.Num, func(*pdfcheck.Dict) {})
	return f, page, r.Num, page.Get("Contents").(pdfcheck.Ref).Num
}

// xrefStreamData is the data of a cross-reference stream with /W [1 4 2]
// for entries of type typ, with fields a and b.
func xrefStreamData(entries ...[3]int) []byte {
	var data []byte
	for _, e := range entries {
		data = append(data, byte(e[0]), byte(e[1]>>24), byte(e[1]>>16), byte(e[1]>>8), byte(e[1]), byte(e[2]>>8), byte(e[2]))
	}
	return data
}

// hybridUpdate appends to b an update whose classic table lists nothing
// and whose /XRefStm, a cross-reference stream of a hybrid-reference file
// (ISO 32000-1 §7.5.8.4), redefines page 1's content stream as empty.
func hybridUpdate(t *testing.T, b []byte) []byte {
	t.Helper()
	f, _, _, content := firstPage(t, b)
	size, err := f.Size()
	if err != nil {
		t.Fatal(err)
	}
	out := bytes.NewBuffer(bytes.Clone(b))
	at := out.Len()
	fmt.Fprintf(out, "%d 0 obj\n<< /Length 1 >>\nstream\n \nendstream\nendobj\n", content)
	stm := out.Len()
	data := xrefStreamData([3]int{1, at, 0})
	fmt.Fprintf(out, "%d 0 obj\n<< /Type /XRef /Size %d /Index [%d 1] /W [1 4 2] /Length %d >>\nstream\n%s\nendstream\nendobj\n",
		size, size+1, content, len(data), data)
	table := out.Len()
	trailer := pdfcheck.NewDict()
	trailer.Set("Size", size+1)
	trailer.Set("Root", f.Trailer.Get("Root"))
	trailer.Set("ID", f.Trailer.Get("ID"))
	trailer.Set("Prev", f.StartXref)
	trailer.Set("XRefStm", stm)
	out.WriteString("xref\n0 0\ntrailer\n")
	pdfcheck.WriteObject(out, trailer)
	fmt.Fprintf(out, "\nstartxref\n%d\n%%%%EOF\n", table)
	return out.Bytes()
}

// objStmTwice appends to b an update, with a cross-reference stream, that
// puts page 1 in a new object stream listed twice: at index 0 with an
// empty content stream, at index 1 as it was; the entry names index 0.
func objStmTwice(t *testing.T, b []byte) []byte {
	t.Helper()
	f, page, pageNum, _ := firstPage(t, b)
	size, err := f.Size()
	if err != nil {
		t.Fatal(err)
	}
	empty, stm, xref := size, size+1, size+2
	forged := page.Clone()
	forged.Set("Contents", pdfcheck.Ref{Num: empty})
	var one, two bytes.Buffer
	pdfcheck.WriteObject(&one, forged)
	pdfcheck.WriteObject(&two, page)
	header := fmt.Sprintf("%d 0 %d %d ", pageNum, pageNum, one.Len()+1)
	body := header + one.String() + " " + two.String()
	out := bytes.NewBuffer(bytes.Clone(b))
	at := map[int]int{empty: out.Len()}
	fmt.Fprintf(out, "%d 0 obj\n<< /Length 1 >>\nstream\n \nendstream\nendobj\n", empty)
	at[stm] = out.Len()
	fmt.Fprintf(out, "%d 0 obj\n<< /Type /ObjStm /N 2 /First %d /Length %d >>\nstream\n%s\nendstream\nendobj\n", stm, len(header), len(body), body)
	at[xref] = out.Len()
	data := xrefStreamData([3]int{2, stm, 0}, [3]int{1, at[empty], 0}, [3]int{1, at[stm], 0}, [3]int{1, at[xref], 0})
	fmt.Fprintf(out, "%d 0 obj\n<< /Type /XRef /Size %d /Index [%d 1 %d 3] /W [1 4 2] /Root %d 0 R /ID %s /Prev %d /Length %d >>\nstream\n%s\nendstream\nendobj\n",
		xref, xref+1, pageNum, empty, f.Trailer.Get("Root").(pdfcheck.Ref).Num, idOf(f), f.StartXref, len(data), data)
	fmt.Fprintf(out, "startxref\n%d\n%%%%EOF\n", at[xref])
	return out.Bytes()
}

// idOf writes f's trailer /ID.
func idOf(f *pdfcheck.File) string {
	var buf bytes.Buffer
	pdfcheck.WriteObject(&buf, f.Trailer.Get("ID"))
	return buf.String()
}

// TestVerifyHiddenFromCrossReference (review P9, P10): after a
// certification with P=2, a later revision, signed again by a trusted
// notary, redefined page 1's content where the parser did not look and
// poppler does: in the /XRefStm of a hybrid-reference file, which the
// parser did not read, and in an object stream that lists the page twice,
// the parser taking the last (the page as it was) and poppler the index
// the entry names (the page with an empty content stream). Verify
// accepted both as unchanged, while pdftotext reads the forged revision's
// page empty; now it
// reads them as poppler does, and refuses the changed content stream and
// the changed page.
func TestVerifyHiddenFromCrossReference(t *testing.T) {
	p := newTestPKI(t, time.Now())
	certified := signedAt(t, p, 2)
	dir := t.TempDir()
	for _, c := range []struct {
		name   string
		forged []byte // the later revision, not yet signed
		what   string
	}{
		{"xrefstm", hybridUpdate(t, certified), "changed: a stream"},
		{"objstm", objStmTwice(t, certified), "a page's /Contents is changed"},
	} {
		_, err := pdfcheck.Verify(signAgain(t, p, c.forged), p.roots)
		var ce *pdfcheck.ChangeError
		if !errors.As(err, &ce) || ce.Revision != 1 || !strings.Contains(ce.What, c.what) {
			t.Errorf("%s: Verify = %v, want a change not permitted in revision 1: %s", c.name, err, c.what)
		}
		if _, err := exec.LookPath("pdftotext"); err != nil {
			continue
		}
		file := filepath.Join(dir, c.name+".pdf")
		if err := os.WriteFile(file, c.forged, 0o644); err != nil {
			t.Fatal(err)
		}
		// What the forged revision shows. (Signed again by Sign, the
		// objstm page is written again as the parser reads it, which
		// undid the forgery before the fix; a signer that fills in a
		// signature field the forged revision adds would not.)
		if out, _ := run(t, "pdftotext", file, "-"); strings.Contains(out, "公证书") {
			t.Errorf("%s: pdftotext shows the certified page; want it empty, as the forgery makes it:\n%s", c.name, out)
		}
	}
}

// TestVerifySignatureFieldAction (review P11): after a certification with
// P=2, a later revision may add signature fields, but not one whose
// widget runs an action: JavaScript on opening the page (/AA /PO), which
// could change what the certified document shows. Verify accepted it as
// a signature field added; now it is a change not permitted.
func TestVerifySignatureFieldAction(t *testing.T) {
	p := newTestPKI(t, time.Now())
	certified := signedAt(t, p, 2)
	for _, c := range []struct {
		name string
		key  pdfcheck.Name
		err  bool
	}{{"no action", "", false}, {"/AA", "AA", true}, {"/A", "A", true}} {
		b := signAgain(t, p, appendUpdate(t, certified, func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
			page, err := pdfcheck.NthPage(f, catalog, 1)
			if err != nil {
				t.Fatal(err)
			}
			w := u.add()
			wd := pdfcheck.NewDict()
			wd.Set("Type", pdfcheck.Name("Annot"))
			wd.Set("Subtype", pdfcheck.Name("Widget"))
			wd.Set("FT", pdfcheck.Name("Sig"))
			wd.Set("T", pdfcheck.TextString("Extra"))
			wd.Set("Rect", pdfcheck.Array{0, 0, 0, 0})
			wd.Set("P", page)
			js := pdfcheck.NewDict()
			js.Set("S", pdfcheck.Name("JavaScript"))
			js.Set("JS", pdfcheck.TextString("this.getField('x')"))
			switch c.key {
			case "AA":
				aa := pdfcheck.NewDict()
				aa.Set("PO", js)
				wd.Set("AA", aa)
			case "A":
				wd.Set("A", js)
			}
			u.set(w, wd)
			form, _, err := pdfcheck.AcroForm(f, catalog)
			if err != nil {
				t.Fatal(err)
			}
			fields, _ := form.Get("Fields").(pdfcheck.Array)
			form.Set("Fields", append(append(pdfcheck.Array{}, fields...), pdfcheck.Ref{Num: w}))
			catalog.Set("AcroForm", form)
			u.set(root.Num, catalog)
			u.set(page.Num, mustDict(t, f, page.Num, func(d *pdfcheck.Dict) {
				annots, _ := d.Get("Annots").(pdfcheck.Array)
				d.Set("Annots", append(append(pdfcheck.Array{}, annots...), pdfcheck.Ref{Num: w}))
			}))
		}))
		_, err := pdfcheck.Verify(b, p.roots)
		var ce *pdfcheck.ChangeError
		if c.err && (!errors.As(err, &ce) || !strings.Contains(ce.What, "with an action")) || !c.err && err != nil {
			t.Errorf("%s: Verify = %v, want a change not permitted: %v", c.name, err, c.err)
		}
	}
}
