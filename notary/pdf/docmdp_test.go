package pdf

import (
	"context"
	"testing"
	"time"
)

// docMDP returns the /P of the DocMDP transform (ISO 32000-1 §12.8.2.2)
// of the signature dictionary v, and 0 when v certifies nothing.
func docMDP(t *testing.T, f *file, v *dict) int64 {
	t.Helper()
	refs, err := f.resolve(v.get("Reference"))
	if err != nil || refs == nil {
		return 0
	}
	list, _ := refs.(array)
	for _, o := range list {
		sr, err := f.dictOf(o)
		if err != nil || sr.get("TransformMethod") != name("DocMDP") {
			continue
		}
		params, err := f.dictOf(sr.get("TransformParams"))
		if err != nil {
			t.Fatalf("DocMDP /TransformParams: %v", err)
		}
		if params.get("V") != name("1.2") {
			t.Errorf("DocMDP /V = %v, want /1.2", params.get("V"))
		}
		p, _ := intArray(array{params.get("P")})
		if len(p) != 1 {
			t.Fatalf("DocMDP /P = %v", params.get("P"))
		}
		return p[0]
	}
	return 0
}

// sigDicts returns the signature dictionaries of a file's signature
// fields, in the order of /Fields, and the catalog's /Perms /DocMDP.
func sigDicts(t *testing.T, b []byte) (*file, []*dict, object) {
	t.Helper()
	f, err := parseFile(b)
	if err != nil {
		t.Fatal(err)
	}
	catalog, err := f.dictOf(f.trailer.get("Root"))
	if err != nil {
		t.Fatal(err)
	}
	form, _, err := acroForm(f, catalog)
	if err != nil {
		t.Fatal(err)
	}
	fields, _ := form.get("Fields").(array)
	var out []*dict
	for _, fr := range fields {
		field, err := f.dictOf(fr)
		if err != nil {
			t.Fatal(err)
		}
		v, err := f.dictOf(field.get("V"))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	var perm object
	if perms, err := f.dictOf(catalog.get("Perms")); err == nil {
		perm = perms.get("DocMDP")
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
	if r, ok := perm.(ref); !ok {
		t.Fatalf("catalog /Perms /DocMDP = %v, want a reference to the signature dictionary", perm)
	} else if v, err := f.dictOf(r); err != nil || v.get("ByteRange") == nil {
		t.Errorf("catalog /Perms /DocMDP does not name the signature dictionary: %v", err)
	}
	opts := p.options()
	opts.Reason = "复核 Review"
	twice, err := Sign(context.Background(), once, opts)
	if err != nil {
		t.Fatal(err)
	}
	f2, sigs2, perm2 := sigDicts(t, twice)
	if len(sigs2) != 2 || docMDP(t, f2, sigs2[1]) != 0 {
		t.Errorf("the second signature certifies too, want an approval signature")
	}
	if perm2 != perm {
		t.Errorf("catalog /Perms /DocMDP = %v after a second signature, want the first's %v", perm2, perm)
	}
	if _, err := Verify(once, p.roots); err != nil {
		t.Errorf("Verify(certified) = %v", err)
	}
}
