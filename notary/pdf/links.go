package pdf

import "fmt"

// maxLinkPages bounds the pages Links reads.
const maxLinkPages = 1000

// Links returns the addresses of the URI links of the PDF b's pages (ISO
// 32000-1 §12.5.6.5 link annotations with a §12.6.4.7 URI action), in
// page order, each once: in a certificate Custos renders, the QR code's
// link to its public verification page (Document.VerifyURL), where its
// current status shows. Read from a PDF whose signature Verify found to
// cover the whole file, they are part of what was signed.
func Links(b []byte) ([]string, error) {
	f, err := parseFile(b)
	if err != nil {
		return nil, err
	}
	cat, err := f.dictOf(f.trailer.get("Root"))
	if err != nil {
		return nil, err
	}
	var out []string
	seen := map[string]bool{}
	for n := 1; n <= maxLinkPages; n++ {
		page, err := nthPage(f, cat, n)
		if err != nil {
			break // past the last page
		}
		d, err := f.dictOf(page)
		if err != nil {
			return nil, err
		}
		annots, err := f.resolve(d.get("Annots"))
		if err != nil {
			return nil, err
		}
		list, _ := annots.(array)
		for _, a := range list {
			uri, err := linkURI(f, a)
			if err != nil {
				return nil, err
			}
			if uri != "" && !seen[uri] {
				seen[uri] = true
				out = append(out, uri)
			}
		}
	}
	return out, nil
}

// linkURI is the address of annotation a if it is a link with a URI
// action, else "".
func linkURI(f *file, a object) (string, error) {
	d, err := f.dictOf(a)
	if err != nil {
		return "", fmt.Errorf("%w: an annotation is not a dictionary", ErrMalformed)
	}
	if d.get("Subtype") != name("Link") || d.get("A") == nil {
		return "", nil
	}
	action, err := f.dictOf(d.get("A"))
	if err != nil || action.get("S") != name("URI") {
		return "", nil
	}
	uri, err := f.resolve(action.get("URI"))
	if err != nil {
		return "", err
	}
	s, _ := uri.(str)
	return string(s.b), nil
}
