package pdf

import "fmt"

// maxAttachments bounds the embedded files Attachments reads.
const maxAttachments = 10000

// Attachments returns the files embedded in the PDF b, as Render embeds
// them: the entries of the flat /EmbeddedFiles name tree of the catalog
// (ISO 32000-1 §7.7.4, §7.11.4), in the tree's order, each with its name
// (/UF, else the tree's key), media type (the stream's /Subtype),
// description (/Desc) and decoded bytes. A PDF without embedded files
// gives none. Read from a PDF whose signature pdf.Verify found to cover
// the whole file, they are part of what was signed.
func Attachments(b []byte) ([]Attachment, error) {
	f, err := parseFile(b)
	if err != nil {
		return nil, err
	}
	cat, err := f.dictOf(f.trailer.get("Root"))
	if err != nil {
		return nil, err
	}
	if cat.get("Names") == nil {
		return nil, nil
	}
	names, err := f.dictOf(cat.get("Names"))
	if err != nil {
		return nil, err
	}
	if names.get("EmbeddedFiles") == nil {
		return nil, nil
	}
	tree, err := f.dictOf(names.get("EmbeddedFiles"))
	if err != nil {
		return nil, err
	}
	if tree.get("Kids") != nil {
		return nil, fmt.Errorf("%w: an /EmbeddedFiles name tree with /Kids", ErrUnsupported)
	}
	list, err := f.resolve(tree.get("Names"))
	if err != nil {
		return nil, err
	}
	entries, ok := list.(array)
	if !ok || len(entries)%2 != 0 || len(entries)/2 > maxAttachments {
		return nil, fmt.Errorf("%w: /EmbeddedFiles /Names is not an array of key and value pairs (at most %d)", ErrMalformed, maxAttachments)
	}
	var out []Attachment
	for i := 0; i < len(entries); i += 2 {
		key, ok := entries[i].(str)
		if !ok {
			return nil, fmt.Errorf("%w: /EmbeddedFiles key %d is not a string", ErrMalformed, i/2)
		}
		a, err := f.attachment(decodeText(key.b), entries[i+1])
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// attachment reads one file specification of the /EmbeddedFiles tree.
func (f *file) attachment(key string, o object) (Attachment, error) {
	a := Attachment{Name: key}
	spec, err := f.dictOf(o)
	if err != nil {
		return a, err
	}
	if uf, ok := spec.get("UF").(str); ok {
		a.Name = decodeText(uf.b)
	}
	if d, ok := spec.get("Desc").(str); ok {
		a.Description = decodeText(d.b)
	}
	if r, ok := spec.get("AFRelationship").(name); ok {
		a.Relationship = string(r)
	}
	ef, err := f.dictOf(spec.get("EF"))
	if err != nil {
		return a, fmt.Errorf("%w: embedded file %q: /EF: %w", ErrMalformed, key, err)
	}
	so, err := f.resolve(ef.get("F"))
	if err != nil {
		return a, err
	}
	s, ok := so.(*stream)
	if !ok {
		return a, fmt.Errorf("%w: embedded file %q: /EF /F is not a stream", ErrMalformed, key)
	}
	if mt, ok := s.dict.get("Subtype").(name); ok {
		a.MIME = string(mt)
	}
	if a.Data, err = decode(s); err != nil {
		return a, fmt.Errorf("embedded file %q: %w", key, err)
	}
	return a, nil
}
