package pdf

import (
	"bytes"
	"compress/zlib"
	"crypto/md5"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/custos-project/custos/pdfcheck"
)

// relationships are the /AFRelationship values of ISO 32000-2 Table 43
// that an Attachment may name; "" means Data.
var relationships = map[string]pdfcheck.Name{
	"": "Data", "Data": "Data", "Source": "Source", "Supplement": "Supplement",
	"Alternative": "Alternative", "Unspecified": "Unspecified",
}

// embedFiles appends an incremental update that embeds as (ISO 32000-1
// §7.11.4, embedded file streams, listed in the /EmbeddedFiles name tree of
// §7.7.4) and lists them as the document's associated files (/AF, ISO
// 32000-2 §14.13, as PDF/A-3 does).
func embedFiles(b []byte, as []Attachment, modified time.Time) ([]byte, error) {
	f, err := pdfcheck.ParseFile(b)
	if err != nil {
		return nil, err
	}
	root, ok := f.Trailer.Get("Root").(pdfcheck.Ref)
	if !ok {
		return nil, fmt.Errorf("%w: trailer /Root is not a reference", pdfcheck.ErrMalformed)
	}
	catalog, err := f.DictOf(root)
	if err != nil {
		return nil, err
	}
	u, err := newUpdate(f)
	if err != nil {
		return nil, err
	}
	type entry struct {
		key  []byte
		spec pdfcheck.Ref
	}
	var entries []entry
	var af pdfcheck.Array
	for _, a := range as {
		spec, err := u.embed(a, modified)
		if err != nil {
			return nil, err
		}
		entries = append(entries, entry{pdfcheck.EncodeText(a.Name), spec})
		af = append(af, spec)
	}
	// A name tree's keys are sorted as byte strings (ISO 32000-1 §7.9.6).
	sort.Slice(entries, func(i, j int) bool { return bytes.Compare(entries[i].key, entries[j].key) < 0 })
	var names pdfcheck.Array
	for _, e := range entries {
		names = append(names, pdfcheck.Str{Bytes: e.key, Start: -1}, e.spec)
	}
	cat := catalog.Clone()
	if err := setEmbeddedFiles(f, cat, names); err != nil {
		return nil, err
	}
	if old, ok := cat.Get("AF").(pdfcheck.Array); ok {
		af = append(old, af...)
	}
	cat.Set("AF", af)
	cat.Set("PageMode", pdfcheck.Name("UseAttachments"))
	u.set(root.Num, cat)
	out, _ := u.bytes()
	return out, nil
}

// embed adds an embedded file stream and its file specification, and
// returns the latter.
func (u *update) embed(a Attachment, modified time.Time) (pdfcheck.Ref, error) {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	if _, err := zw.Write(a.Data); err != nil {
		return pdfcheck.Ref{}, fmt.Errorf("pdf: compress %s: %w", a.Name, err)
	}
	if err := zw.Close(); err != nil {
		return pdfcheck.Ref{}, fmt.Errorf("pdf: compress %s: %w", a.Name, err)
	}
	mimeType := a.MIME
	if mimeType == "" {
		mimeType = "application/octet-stream"
	}
	sum := md5.Sum(a.Data)
	params := pdfcheck.NewDict()
	params.Set("Size", len(a.Data))
	params.Set("ModDate", pdfcheck.Str{Bytes: []byte(pdfDate(modified)), Start: -1})
	params.Set("CheckSum", pdfcheck.Str{Bytes: sum[:], Start: -1})
	ef := pdfcheck.NewDict()
	ef.Set("Type", pdfcheck.Name("EmbeddedFile"))
	ef.Set("Subtype", pdfcheck.Name(mimeType))
	ef.Set("Filter", pdfcheck.Name("FlateDecode"))
	ef.Set("Params", params)
	file := u.add()
	u.setStream(file, ef, z.Bytes())

	refs := pdfcheck.NewDict()
	refs.Set("F", pdfcheck.Ref{Num: file})
	refs.Set("UF", pdfcheck.Ref{Num: file})
	spec := pdfcheck.NewDict()
	spec.Set("Type", pdfcheck.Name("Filespec"))
	spec.Set("F", pdfcheck.Str{Bytes: []byte(asciiName(a.Name)), Start: -1})
	spec.Set("UF", pdfcheck.TextString(a.Name))
	if a.Description != "" {
		spec.Set("Desc", pdfcheck.TextString(a.Description))
	}
	spec.Set("AFRelationship", relationships[a.Relationship])
	spec.Set("EF", refs)
	num := u.add()
	u.set(num, spec)
	return pdfcheck.Ref{Num: num}, nil
}

// setEmbeddedFiles puts names in the catalog's /Names /EmbeddedFiles tree,
// merged with the entries of a flat tree already there.
func setEmbeddedFiles(f *pdfcheck.File, cat *pdfcheck.Dict, names pdfcheck.Array) error {
	namesDict := pdfcheck.NewDict()
	if cat.Get("Names") != nil {
		old, err := f.DictOf(cat.Get("Names"))
		if err != nil {
			return err
		}
		namesDict = old.Clone()
	}
	if old := namesDict.Get("EmbeddedFiles"); old != nil {
		tree, err := f.DictOf(old)
		if err != nil {
			return err
		}
		if tree.Get("Kids") != nil {
			return fmt.Errorf("%w: an /EmbeddedFiles name tree with /Kids", pdfcheck.ErrUnsupported)
		}
		existing, _ := tree.Get("Names").(pdfcheck.Array)
		names = append(existing, names...)
		// Merged keys must stay sorted.
		if err := sortNames(names); err != nil {
			return err
		}
	}
	tree := pdfcheck.NewDict()
	tree.Set("Names", names)
	namesDict.Set("EmbeddedFiles", tree)
	cat.Set("Names", namesDict)
	return nil
}

func sortNames(a pdfcheck.Array) error {
	if len(a)%2 != 0 {
		return fmt.Errorf("%w: odd /Names array", pdfcheck.ErrMalformed)
	}
	type pair struct{ k, v pdfcheck.Object }
	pairs := make([]pair, len(a)/2)
	for i := range pairs {
		if _, ok := a[2*i].(pdfcheck.Str); !ok {
			return fmt.Errorf("%w: name tree key is not a string", pdfcheck.ErrMalformed)
		}
		pairs[i] = pair{a[2*i], a[2*i+1]}
	}
	sort.SliceStable(pairs, func(i, j int) bool {
		return bytes.Compare(pairs[i].k.(pdfcheck.Str).Bytes, pairs[j].k.(pdfcheck.Str).Bytes) < 0
	})
	for i, p := range pairs {
		a[2*i], a[2*i+1] = p.k, p.v
	}
	return nil
}

// asciiName is the /F of a file specification: the name with non-ASCII
// characters replaced, for readers older than PDF 1.7's /UF.
func asciiName(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '_'
		}
		return r
	}, s)
}

// pdfDate formats t as a PDF date (ISO 32000-1 §7.9.4), in UTC.
func pdfDate(t time.Time) string {
	return t.UTC().Format("D:20060102150405Z")
}
