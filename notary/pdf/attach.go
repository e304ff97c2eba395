package pdf

import (
	"bytes"
	"compress/zlib"
	"crypto/md5"
	"fmt"
	"sort"
	"strings"
	"time"
)

// relationships are the /AFRelationship values of ISO 32000-2 Table 43
// that an Attachment may name; "" means Data.
var relationships = map[string]name{
	"": "Data", "Data": "Data", "Source": "Source", "Supplement": "Supplement",
	"Alternative": "Alternative", "Unspecified": "Unspecified",
}

// embedFiles appends an incremental update that embeds as (ISO 32000-1
// §7.11.4, embedded file streams, listed in the /EmbeddedFiles name tree of
// §7.7.4) and lists them as the document's associated files (/AF, ISO
// 32000-2 §14.13, as PDF/A-3 does).
func embedFiles(b []byte, as []Attachment, modified time.Time) ([]byte, error) {
	f, err := parseFile(b)
	if err != nil {
		return nil, err
	}
	root, ok := f.trailer.get("Root").(ref)
	if !ok {
		return nil, fmt.Errorf("%w: trailer /Root is not a reference", ErrMalformed)
	}
	catalog, err := f.dictOf(root)
	if err != nil {
		return nil, err
	}
	u, err := newUpdate(f)
	if err != nil {
		return nil, err
	}
	type entry struct {
		key  []byte
		spec ref
	}
	var entries []entry
	var af array
	for _, a := range as {
		spec, err := u.embed(a, modified)
		if err != nil {
			return nil, err
		}
		entries = append(entries, entry{encodeText(a.Name), spec})
		af = append(af, spec)
	}
	// A name tree's keys are sorted as byte strings (ISO 32000-1 §7.9.6).
	sort.Slice(entries, func(i, j int) bool { return bytes.Compare(entries[i].key, entries[j].key) < 0 })
	var names array
	for _, e := range entries {
		names = append(names, str{b: e.key, start: -1}, e.spec)
	}
	cat := catalog.clone()
	if err := setEmbeddedFiles(f, cat, names); err != nil {
		return nil, err
	}
	if old, ok := cat.get("AF").(array); ok {
		af = append(old, af...)
	}
	cat.set("AF", af)
	cat.set("PageMode", name("UseAttachments"))
	u.set(root.num, cat)
	out, _ := u.bytes()
	return out, nil
}

// embed adds an embedded file stream and its file specification, and
// returns the latter.
func (u *update) embed(a Attachment, modified time.Time) (ref, error) {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	if _, err := zw.Write(a.Data); err != nil {
		return ref{}, fmt.Errorf("pdf: compress %s: %w", a.Name, err)
	}
	if err := zw.Close(); err != nil {
		return ref{}, fmt.Errorf("pdf: compress %s: %w", a.Name, err)
	}
	mimeType := a.MIME
	if mimeType == "" {
		mimeType = "application/octet-stream"
	}
	sum := md5.Sum(a.Data)
	params := newDict()
	params.set("Size", len(a.Data))
	params.set("ModDate", str{b: []byte(pdfDate(modified)), start: -1})
	params.set("CheckSum", str{b: sum[:], start: -1})
	ef := newDict()
	ef.set("Type", name("EmbeddedFile"))
	ef.set("Subtype", name(mimeType))
	ef.set("Filter", name("FlateDecode"))
	ef.set("Params", params)
	file := u.add()
	u.setStream(file, ef, z.Bytes())

	refs := newDict()
	refs.set("F", ref{num: file})
	refs.set("UF", ref{num: file})
	spec := newDict()
	spec.set("Type", name("Filespec"))
	spec.set("F", str{b: []byte(asciiName(a.Name)), start: -1})
	spec.set("UF", textString(a.Name))
	if a.Description != "" {
		spec.set("Desc", textString(a.Description))
	}
	spec.set("AFRelationship", relationships[a.Relationship])
	spec.set("EF", refs)
	num := u.add()
	u.set(num, spec)
	return ref{num: num}, nil
}

// setEmbeddedFiles puts names in the catalog's /Names /EmbeddedFiles tree,
// merged with the entries of a flat tree already there.
func setEmbeddedFiles(f *file, cat *dict, names array) error {
	namesDict := newDict()
	if cat.get("Names") != nil {
		old, err := f.dictOf(cat.get("Names"))
		if err != nil {
			return err
		}
		namesDict = old.clone()
	}
	if old := namesDict.get("EmbeddedFiles"); old != nil {
		tree, err := f.dictOf(old)
		if err != nil {
			return err
		}
		if tree.get("Kids") != nil {
			return fmt.Errorf("%w: an /EmbeddedFiles name tree with /Kids", ErrUnsupported)
		}
		existing, _ := tree.get("Names").(array)
		names = append(existing, names...)
		// Merged keys must stay sorted.
		if err := sortNames(names); err != nil {
			return err
		}
	}
	tree := newDict()
	tree.set("Names", names)
	namesDict.set("EmbeddedFiles", tree)
	cat.set("Names", namesDict)
	return nil
}

func sortNames(a array) error {
	if len(a)%2 != 0 {
		return fmt.Errorf("%w: odd /Names array", ErrMalformed)
	}
	type pair struct{ k, v object }
	pairs := make([]pair, len(a)/2)
	for i := range pairs {
		if _, ok := a[2*i].(str); !ok {
			return fmt.Errorf("%w: name tree key is not a string", ErrMalformed)
		}
		pairs[i] = pair{a[2*i], a[2*i+1]}
	}
	sort.SliceStable(pairs, func(i, j int) bool { return bytes.Compare(pairs[i].k.(str).b, pairs[j].k.(str).b) < 0 })
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
