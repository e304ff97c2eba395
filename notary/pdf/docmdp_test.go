package pdf

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"

	"github.com/custos-project/custos/pdfcheck"
)

// docMDP returns the /P of the DocMDP transform (ISO 32000-1 §12.8.2.2)
// of the signature dictionary v, and 0 when v certifies nothing.
func docMDP(t *testing.T, f *pdfcheck.File, v *pdfcheck.Dict) int64 {
	t.Helper()
	refs, err := f.Resolve(v.Get("Reference"))
	if err != nil || refs == nil {
		return 0
	}
	list, _ := refs.(pdfcheck.Array)
	for _, o := range list {
		sr, err := f.DictOf(o)
		if err != nil || sr.Get("TransformMethod") != pdfcheck.Name("DocMDP") {
			continue
		}
		params, err := f.DictOf(sr.Get("TransformParams"))
		if err != nil {
			t.Fatalf("DocMDP /TransformParams: %v", err)
		}
		if params.Get("V") != pdfcheck.Name("1.2") {
			t.Errorf("DocMDP /V = %v, want /1.2", params.Get("V"))
		}
		p, _ := intArray(pdfcheck.Array{params.Get("P")})
		if len(p) != 1 {
			t.Fatalf("DocMDP /P = %v", params.Get("P"))
		}
		return p[0]
	}
	return 0
}

// sigDicts returns the signature dictionaries of a file's signature
// fields, in the order of /Fields, and the catalog's /Perms /DocMDP.
func sigDicts(t *testing.T, b []byte) (*pdfcheck.File, []*pdfcheck.Dict, pdfcheck.Object) {
	t.Helper()
	f, err := pdfcheck.ParseFile(b)
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
	var out []*pdfcheck.Dict
	for _, fr := range fields {
		field, err := f.DictOf(fr)
		if err != nil {
			t.Fatal(err)
		}
		v, err := f.DictOf(field.Get("V"))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	var perm pdfcheck.Object
	if perms, err := f.DictOf(catalog.Get("Perms")); err == nil {
		perm = perms.Get("DocMDP")
	}
	return f, out, perm
}

// TestSignCertifies: the first signature of a document is a certification
// signature with DocMDP permission P=1, no change permitted (ISO 32000-1
// §12.8.2.2, PAdES ETSI EN 319 142-1 §5.4), named by the catalog's /Perms,
// so that a viewer that honours it (Acrobat) calls any incremental update
// after signing, an annotation included, a violation; without it an
// approval signature lets a viewer accept annotations added after signing
// (the shadow update of TestVerifyShadowUpdate). A second signature only
// approves.
func TestSignCertifies(t *testing.T) {
	p := newTestPKI(t, time.Now())
	once := signedDocument(t, p)
	f, sigs, perm := sigDicts(t, once)
	if len(sigs) != 1 {
		t.Fatalf("%d signatures, want 1", len(sigs))
	}
	if got := docMDP(t, f, sigs[0]); got != 1 {
		t.Errorf("DocMDP P = %d, want 1 (no changes permitted)", got)
	}
	if r, ok := perm.(pdfcheck.Ref); !ok {
		t.Fatalf("catalog /Perms /DocMDP = %v, want a reference to the signature dictionary", perm)
	} else if v, err := f.DictOf(r); err != nil || v.Get("ByteRange") == nil {
		t.Errorf("catalog /Perms /DocMDP does not name the signature dictionary: %v", err)
	}
	if _, err := pdfcheck.Verify(once, p.roots); err != nil {
		t.Errorf("Verify(certified) = %v", err)
	}
	// Sign refuses to sign once again (TestSignRefusesCertified); after a
	// certification with P=2, which permits it, a second signature approves.
	opts := p.options()
	opts.Reason = "复核 Review"
	_, _, perm = sigDicts(t, signedAt(t, p, 2))
	twice, err := Sign(context.Background(), signedAt(t, p, 2), opts)
	if err != nil {
		t.Fatal(err)
	}
	f2, sigs2, perm2 := sigDicts(t, twice)
	if len(sigs2) != 2 || docMDP(t, f2, sigs2[0]) != 2 || docMDP(t, f2, sigs2[1]) != 0 {
		t.Errorf("the second signature certifies too, want an approval signature")
	}
	if perm2 != perm {
		t.Errorf("catalog /Perms /DocMDP = %v after a second signature, want the first's %v", perm2, perm)
	}
}

// TestSignRefusesCertified: Sign refuses to add a signature to a document
// certified with P=1, no change permitted: the result would be a PDF that
// Verify refuses (step certification). After P=2 it signs.
func TestSignRefusesCertified(t *testing.T) {
	p := newTestPKI(t, time.Now())
	opts := p.options()
	opts.Reason = "复核 Review"
	if b, err := Sign(context.Background(), signedAt(t, p, 1), opts); !errors.Is(err, ErrCertifiedNoChange) || b != nil {
		t.Errorf("Sign(certified with P=1) = %d bytes, %v; want ErrCertifiedNoChange", len(b), err)
	}
	if _, err := Sign(context.Background(), signedAt(t, p, 2), opts); err != nil {
		t.Errorf("Sign(certified with P=2) = %v", err)
	}
}

// signedAt signs a new document whose first signature certifies with
// DocMDP /P level (0: an approval signature, as before certification).
func signedAt(t *testing.T, p *testPKI, level int) []byte {
	t.Helper()
	old := certifyLevel
	certifyLevel = level
	t.Cleanup(func() { certifyLevel = old })
	b := signedDocument(t, p)
	certifyLevel = old
	return b
}

// TestVerifyCertification: Verify reports the DocMDP certification (ISO
// 32000-1 §12.8.2.2): its level, the certified revision and what was added
// after it. Content added after a certification that permits no change
// (P=1) is a violation: under a later signature at step certification,
// unsigned beside ErrAddedAfterSigning at step find. A document without
// DocMDP verifies as before and is reported not certified; after P=2 or
// P=3, a later signature is allowed and reported.
func TestVerifyCertification(t *testing.T) {
	p := newTestPKI(t, time.Now())
	resign := func(b []byte) []byte {
		t.Helper()
		opts := p.options()
		opts.Reason = "复核 Review"
		out, err := Sign(context.Background(), b, opts)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	certified := signedAt(t, p, 1)
	for _, c := range []struct {
		name string
		b    []byte
		want pdfcheck.Certification
	}{
		{"P=1", certified, pdfcheck.Certification{Level: 1, Length: int64(len(certified))}},
		{"not certified", signedAt(t, p, 0), pdfcheck.Certification{}},
		{"not certified, signed twice", resign(signedAt(t, p, 0)), pdfcheck.Certification{}},
		{"P=2, signed twice", resign(signedAt(t, p, 2)), pdfcheck.Certification{Level: 2, Revisions: 1, Changes: pdfcheck.ChangeSignatures}},
		{"P=3", signedAt(t, p, 3), pdfcheck.Certification{Level: 3}},
	} {
		sig, err := pdfcheck.Verify(c.b, p.roots)
		if err != nil {
			t.Errorf("Verify(%s) = %v", c.name, err)
			continue
		}
		got := sig.Certification
		if c.want.Level != 0 && c.want.Length == 0 {
			// The certified revision is the first signature's.
			_, sigs, _ := sigDicts(t, c.b)
			br, _ := intArray(sigs[0].Get("ByteRange"))
			c.want.Length = br[2] + br[3]
			c.want.Added = int64(len(c.b)) - c.want.Length
		}
		if c.want.Level > 0 && (got.Certifier == nil || !got.Certifier.Equal(p.notary.Cert)) {
			t.Errorf("Verify(%s).Certification.Certifier = %v, want the notary", c.name, got.Certifier)
		}
		if bare(got) != c.want {
			t.Errorf("Verify(%s).Certification = %+v, want %+v", c.name, got, c.want)
		}
	}

	t.Run("P=1, signed again", func(t *testing.T) {
		// Sign refuses this; another producer's software could do it.
		opts := p.options()
		opts.Reason = "复核 Review"
		b, err := appendSignature(context.Background(), certified, opts)
		if err != nil {
			t.Fatal(err)
		}
		_, err = pdfcheck.Verify(b, p.roots)
		var ve *pdfcheck.VerifyError
		if !errors.As(err, &ve) || ve.Step != "certification" || !errors.Is(err, pdfcheck.ErrCertificationViolated) {
			t.Fatalf("Verify(P=1, then a second signature) = %v, want step certification, ErrCertificationViolated", err)
		}
		if ve.Revision == nil || bare(ve.Revision.Certification) != (pdfcheck.Certification{Level: 1, Length: int64(len(certified))}) {
			t.Errorf("VerifyError.Revision = %+v, want the certified revision's signature", ve.Revision)
		}
	})
	t.Run("P=1, content appended", func(t *testing.T) {
		_, err := pdfcheck.Verify(shadowUpdate(t, certified), p.roots)
		var ve *pdfcheck.VerifyError
		if !errors.As(err, &ve) || ve.Step != "find" || !errors.Is(err, pdfcheck.ErrAddedAfterSigning) || !errors.Is(err, pdfcheck.ErrCertificationViolated) {
			t.Fatalf("Verify(P=1, then an update) = %v, want step find, ErrAddedAfterSigning and ErrCertificationViolated", err)
		}
		if ve.Revision == nil || ve.Revision.Certification.Level != 1 {
			t.Errorf("VerifyError.Revision = %+v, want the certified revision", ve.Revision)
		}
	})
	t.Run("not certified, content appended", func(t *testing.T) {
		_, err := pdfcheck.Verify(shadowUpdate(t, signedAt(t, p, 0)), p.roots)
		if !errors.Is(err, pdfcheck.ErrAddedAfterSigning) || errors.Is(err, pdfcheck.ErrCertificationViolated) {
			t.Fatalf("Verify(uncertified, then an update) = %v, want ErrAddedAfterSigning only", err)
		}
	})
}

// bare is c without its certifier and byte range, to compare.
func bare(c pdfcheck.Certification) pdfcheck.Certification {
	return pdfcheck.Certification{Level: c.Level, Length: c.Length, Added: c.Added, Revisions: c.Revisions, Changes: c.Changes, Drawn: c.Drawn}
}

// TestReadCertificationMalformed: a /Perms /DocMDP that names no DocMDP
// signature, or a /P out of range, is refused at step find.
func TestReadCertificationMalformed(t *testing.T) {
	p := newTestPKI(t, time.Now())
	b := signedAt(t, p, 1)
	for name, change := range map[string][2]string{
		"P=4":          {"/P 1 /V", "/P 4 /V"},
		"no DocMDP":    {"/TransformMethod /DocMDP", "/TransformMethod /Other!"},
		"not a number": {"/P 1 /V", "/P/A /V"},
	} {
		c := bytes.Replace(b, []byte(change[0]), []byte(change[1]), 1)
		if len(c) != len(b) || bytes.Equal(c, b) {
			t.Fatalf("%s: the change does not apply", name)
		}
		_, err := pdfcheck.Verify(c, p.roots)
		var ve *pdfcheck.VerifyError
		if !errors.As(err, &ve) || ve.Step != "find" || !errors.Is(err, pdfcheck.ErrMalformed) {
			t.Errorf("Verify(%s) = %v, want step find, ErrMalformed", name, err)
		}
	}
}

// TestPdfsigCertification has poppler's pdfsig read documents certified
// and then signed again: with P=1 (which Sign refuses; other software
// could), and with P=2, which permits it and which Sign does. pdfsig
// (22.12) reports neither the certification nor its violation, and calls
// both signatures valid, the second over the total document; Verify's step
// certification is Custos's own, and accepts the second document only.
// Should a pdfsig report DocMDP, the log shows it.
func TestPdfsigCertification(t *testing.T) {
	requireTool(t, "pdfsig", "certutil")
	p := newTestPKI(t, time.Now())
	opts := p.options()
	opts.Reason = "复核 Review"
	p1, err := appendSignature(context.Background(), signedAt(t, p, 1), opts)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := Sign(context.Background(), signedAt(t, p, 2), opts)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	db := nssDB(t, dir, certs.EncodePEM(p.root.Cert))
	for _, c := range []struct {
		name  string
		b     []byte
		valid bool
	}{{"p1-then-signed.pdf", p1, false}, {"p2-then-signed.pdf", p2, true}} {
		file := filepath.Join(dir, c.name)
		if err := os.WriteFile(file, c.b, 0o644); err != nil {
			t.Fatal(err)
		}
		out, _ := run(t, "pdfsig", "-nssdir", db, file)
		t.Logf("pdfsig %s:\n%s", c.name, out)
		if strings.Count(out, "Signature is Valid.") != 2 || !strings.Contains(out, "Total document signed") {
			t.Errorf("pdfsig does not accept both signatures of %s", c.name)
		}
		if strings.Contains(strings.ToLower(out), "certif") && !strings.Contains(strings.ToLower(out), "certificate") {
			t.Logf("pdfsig reports the certification: compare it with Verify's")
		}
		if _, err := pdfcheck.Verify(c.b, p.roots); (err == nil) != c.valid {
			t.Errorf("Verify(%s) = %v, want valid: %v", c.name, err, c.valid)
		}
	}
}
