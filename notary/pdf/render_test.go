package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/custos-project/custos/pdfcheck"
)

// width1 measures one unit per rune, two per CJK rune.
func width1(s string) (float64, error) {
	w := 0.0
	for _, r := range s {
		w++
		if isCJK(r) {
			w++
		}
	}
	return w, nil
}

func TestWrap(t *testing.T) {
	tests := []struct {
		text  string
		width float64
		want  []string
	}{
		{"hello world", 20, []string{"hello world"}},
		{"hello world", 7, []string{"hello", "world"}},
		{"公证书杭州互联网法院", 8, []string{"公证书杭", "州互联网", "法院"}},
		{"公证书，杭州", 6, []string{"公证书，", "杭州"}}, // the comma hangs
		{"0123456789abcdef", 6, []string{"012345", "6789ab", "cdef"}},
		{"SHA 0123456789", 6, []string{"SHA", "012345", "6789"}},
		{"一\n二", 10, []string{"一", "二"}},
		{"", 10, []string{""}},
	}
	for _, tt := range tests {
		got, err := wrap(width1, tt.text, tt.width)
		if err != nil || strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("wrap(%q, %v) = %q, %v, want %q", tt.text, tt.width, got, err, tt.want)
		}
	}
}

// TestWrapKeepsEveryCharacter guards against the fpdf bug of dropping a
// CJK character at a line break.
func TestWrapKeepsEveryCharacter(t *testing.T) {
	text := strings.Repeat("杭州互联网法院公证书，Custos 0123456789abcdef。", 20)
	for w := 3.0; w < 40; w++ {
		lines, err := wrap(width1, text, w)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.ReplaceAll(strings.Join(lines, ""), " ", "")
		if want := strings.ReplaceAll(text, " ", ""); got != want {
			t.Fatalf("wrap(width %v) lost characters: %d runes, want %d", w, utf8.RuneCountInString(got), utf8.RuneCountInString(want))
		}
	}
}

func TestRenderAttachments(t *testing.T) {
	r := testRenderer(t)
	doc := testDocument()
	doc.Attachments = append(doc.Attachments, Attachment{Name: "证据清单.csv", MIME: "text/csv", Relationship: "Supplement", Data: []byte("a,b\n")})
	b, err := r.Render(doc)
	if err != nil {
		t.Fatal(err)
	}
	f, err := pdfcheck.ParseFile(b)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := f.DictOf(f.Trailer.Get("Root"))
	if err != nil {
		t.Fatal(err)
	}
	names, _ := cat.Get("Names").(*pdfcheck.Dict)
	tree, _ := names.Get("EmbeddedFiles").(*pdfcheck.Dict)
	list, _ := tree.Get("Names").(pdfcheck.Array)
	af, _ := cat.Get("AF").(pdfcheck.Array)
	if len(list) != 4 || len(af) != 2 {
		t.Fatalf("EmbeddedFiles /Names has %d entries and /AF %d, want 4 and 2", len(list), len(af))
	}
	for i := 0; i < len(list); i += 2 {
		spec, err := f.DictOf(list[i+1])
		if err != nil {
			t.Fatal(err)
		}
		ef, _ := spec.Get("EF").(*pdfcheck.Dict)
		s, err := f.Resolve(ef.Get("F"))
		if err != nil {
			t.Fatal(err)
		}
		data, err := pdfcheck.Decode(s.(*pdfcheck.Stream))
		if err != nil {
			t.Fatal(err)
		}
		key := pdfcheck.DecodeText(list[i].(pdfcheck.Str).Bytes)
		want := map[string]string{"receipt-0001.json": `{"version":1,"id":"0001"}`, "证据清单.csv": "a,b\n"}[key]
		if string(data) != want {
			t.Errorf("attachment %q = %q, want %q", key, data, want)
		}
	}
}

func TestRenderManyPages(t *testing.T) {
	r := testRenderer(t)
	doc := testDocument()
	for i := range 60 {
		doc.Sections = append(doc.Sections, Section{Heading: fmt.Sprintf("证据 %d", i+1), Fields: []Field{{Label: "SHA-256", Value: strings.Repeat("ab", 32), Digest: true}}})
	}
	b, err := r.Render(doc)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte("/Type /Page\n")) + bytes.Count(b, []byte("/Type /Page ")); n < 3 {
		t.Errorf("%d pages, want several", n)
	}
}

func TestRenderInvalid(t *testing.T) {
	r := testRenderer(t)
	tests := map[string]func(*Document){
		"no title":         func(d *Document) { d.Title = " " },
		"duplicate name":   func(d *Document) { d.Attachments = append(d.Attachments, d.Attachments[0]) },
		"slash in name":    func(d *Document) { d.Attachments[0].Name = "a/b" },
		"bad media type":   func(d *Document) { d.Attachments[0].MIME = "json" },
		"bad relationship": func(d *Document) { d.Attachments[0].Relationship = "Evil" },
	}
	for name, edit := range tests {
		t.Run(name, func(t *testing.T) {
			doc := testDocument()
			edit(doc)
			if _, err := r.Render(doc); !errors.Is(err, ErrDocument) {
				t.Errorf("Render() = %v, want ErrDocument", err)
			}
		})
	}
}

func TestExtractFace(t *testing.T) {
	tests := map[string][]byte{
		"empty":           nil,
		"not ttcf":        []byte("OTTO\x00\x01\x00\x00\x00\x00\x00\x01"),
		"face missing":    []byte("ttcf\x00\x01\x00\x00\x00\x00\x00\x00"),
		"dir off the end": []byte("ttcf\x00\x01\x00\x00\x00\x00\x00\x01\x7f\xff\xff\xff"),
	}
	for name, b := range tests {
		if _, err := ExtractFace(b, 0); !errors.Is(err, ErrFont) {
			t.Errorf("ExtractFace(%s) = %v, want ErrFont", name, err)
		}
	}
	if _, err := LoadFont(DefaultFontPath, 2); err == nil {
		if testRenderer(t) != nil {
			t.Errorf("LoadFont(face 2 of 2) = nil error")
		}
	}
}
