package pdfcheck

import "fmt"

// Attachment is a file embedded in the PDF, such as an evidence item's
// receipt, so that the document alone carries what is needed to verify it.
type Attachment struct {
	// Name is the file name, unique within the document.
	Name string
	// MIME is the media type, e.g. "application/json". Default:
	// application/octet-stream.
	MIME string
	// Description is shown by PDF readers beside the file.
	Description string
	// Relationship is the file's /AFRelationship to the document (ISO
	// 32000-2 Table 43): Data (the default: the content of the document is
	// derived from it), Source, Supplement, Alternative or Unspecified.
	Relationship string
	Data         []byte
}

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
	f, err := ParseFile(b)
	if err != nil {
		return nil, err
	}
	cat, err := f.DictOf(f.Trailer.Get("Root"))
	if err != nil {
		return nil, err
	}
	if cat.Get("Names") == nil {
		return nil, nil
	}
	names, err := f.DictOf(cat.Get("Names"))
	if err != nil {
		return nil, err
	}
	if names.Get("EmbeddedFiles") == nil {
		return nil, nil
	}
	tree, err := f.DictOf(names.Get("EmbeddedFiles"))
	if err != nil {
		return nil, err
	}
	if tree.Get("Kids") != nil {
		return nil, fmt.Errorf("%w: an /EmbeddedFiles name tree with /Kids", ErrUnsupported)
	}
	list, err := f.Resolve(tree.Get("Names"))
	if err != nil {
		return nil, err
	}
	entries, ok := list.(Array)
	if !ok || len(entries)%2 != 0 || len(entries)/2 > maxAttachments {
		return nil, fmt.Errorf("%w: /EmbeddedFiles /Names is not an array of key and value pairs (at most %d)", ErrMalformed, maxAttachments)
	}
	var out []Attachment
	for i := 0; i < len(entries); i += 2 {
		key, ok := entries[i].(Str)
		if !ok {
			return nil, fmt.Errorf("%w: /EmbeddedFiles key %d is not a string", ErrMalformed, i/2)
		}
		a, err := f.attachment(DecodeText(key.Bytes), entries[i+1])
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// attachment reads one file specification of the /EmbeddedFiles tree.
func (f *File) attachment(key string, o Object) (Attachment, error) {
	a := Attachment{Name: key}
	spec, err := f.DictOf(o)
	if err != nil {
		return a, err
	}
	if uf, ok := spec.Get("UF").(Str); ok {
		a.Name = DecodeText(uf.Bytes)
	}
	if d, ok := spec.Get("Desc").(Str); ok {
		a.Description = DecodeText(d.Bytes)
	}
	if r, ok := spec.Get("AFRelationship").(Name); ok {
		a.Relationship = string(r)
	}
	ef, err := f.DictOf(spec.Get("EF"))
	if err != nil {
		return a, fmt.Errorf("%w: embedded file %q: /EF: %w", ErrMalformed, key, err)
	}
	so, err := f.Resolve(ef.Get("F"))
	if err != nil {
		return a, err
	}
	s, ok := so.(*Stream)
	if !ok {
		return a, fmt.Errorf("%w: embedded file %q: /EF /F is not a stream", ErrMalformed, key)
	}
	if mt, ok := s.Dict.Get("Subtype").(Name); ok {
		a.MIME = string(mt)
	}
	if a.Data, err = Decode(s); err != nil {
		return a, fmt.Errorf("embedded file %q: %w", key, err)
	}
	return a, nil
}
