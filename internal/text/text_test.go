package text

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"
)

func TestCheckVisible(t *testing.T) {
	refused := []struct {
		r    rune
		kind Kind
	}{
		{0x00, Control}, {0x07, Control}, {0x09, Control}, {0x0a, Control}, {0x0d, Control}, {0x1b, Control}, {0x1f, Control},
		{0x7f, Control}, {0x80, Control}, {0x85, Control}, {0x9b, Control}, {0x9f, Control},
		{0x00ad, Format}, {0x061c, Format}, {0x180e, Format},
		{0x200b, Format}, {0x200c, Format}, {0x200d, Format}, {0x200e, Format}, {0x200f, Format},
		{0x202a, Format}, {0x202b, Format}, {0x202c, Format}, {0x202d, Format}, {0x202e, Format},
		{0x2060, Format}, {0x2061, Format}, {0x2064, Format},
		{0x2066, Format}, {0x2067, Format}, {0x2068, Format}, {0x2069, Format}, {0x206f, Format},
		{0xfeff, Format}, {0xfff9, Format}, {0xfffb, Format}, {0xe0001, Format}, {0xe0041, Format}, {0xe007f, Format},
		{0x2028, Separator}, {0x2029, Separator}, {0xfffd, NotUTF8},
	}
	for _, tt := range refused {
		for _, s := range []string{string(tt.r), "invoice" + string(tt.r) + "fdp.exe", "报告" + string(tt.r)} {
			err := CheckVisible("file_name", s)
			var te *Error
			if !errors.As(err, &te) || te.Rune != tt.r || te.Kind != tt.kind || te.Field != "file_name" || !errors.Is(err, ErrInvisible) {
				t.Errorf("CheckVisible(%q) = %v, want %s %s", s, err, tt.kind, CodePoint(tt.r))
				continue
			}
			if s[te.Offset:] == "" || !strings.HasPrefix(s[te.Offset:], string(tt.r)) {
				t.Errorf("CheckVisible(%q) offset %d does not point at %s", s, te.Offset, CodePoint(tt.r))
			}
		}
	}
	if err := CheckVisible("file_name", "invoice\u202efdp.exe"); err == nil || err.Error() != "file_name contains an invisible or direction-changing character U+202E" {
		t.Errorf("CheckVisible message = %v", err)
	}
	if err := CheckVisible("title", "bad \xff byte"); err == nil || !strings.Contains(err.Error(), "not UTF-8 (at byte 4)") {
		t.Errorf("CheckVisible(bad UTF-8) = %v", err)
	}

	accepted := []string{
		"", "Contract 2026-03 (signed).pdf", "Zhang San 张三", "合同扫描件.pdf", "Müller & Söhne GmbH",
		"محكمة الاستئناف", "עורך דין", "日本語のファイル名", "Ελληνικά", "ज्ञान",
		"e\u0301",             // combining acute accent (Mn)
		"😀 emoji", "a\u00a0b", // no-break space is visible as a space
		"\U0001F1E8\U0001F1F3", // regional indicators
		"漢\ufe00",              // variation selector (Mn)
	}
	for _, s := range accepted {
		if err := CheckVisible("name", s); err != nil {
			t.Errorf("CheckVisible(%q) = %v, want nil", s, err)
		}
	}
	if err := CheckVisibleText("description", "line 1\r\nline 2\tcolumn"); err != nil {
		t.Errorf("CheckVisibleText(lines, tab) = %v, want nil", err)
	}
	if err := CheckVisibleText("description", "line 1\n\u2067line 2"); err == nil {
		t.Error("CheckVisibleText(U+2067) = nil")
	}
}

// TestEveryCfAndCcRefused walks every code point: each of category Cf or
// Cc is refused in a one-line field.
func TestEveryCfAndCcRefused(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		want := unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Cc, r)
		if got := CheckVisible("f", string(r)) != nil; want && !got {
			t.Errorf("CheckVisible(%s) = nil, want refused", CodePoint(r))
		}
	}
}

func TestValidatorTags(t *testing.T) {
	v := validator.New()
	if err := RegisterValidation(v); err != nil {
		t.Fatal(err)
	}
	type in struct {
		Name string   `json:"name" validate:"visible"`
		Desc string   `json:"desc" validate:"visibletext"`
		List []string `json:"list" validate:"dive,visible"`
	}
	v.RegisterTagNameFunc(func(f reflect.StructField) string { return strings.Split(f.Tag.Get("json"), ",")[0] })
	err := v.Struct(in{Name: "ok", Desc: "a\nb", List: []string{"x", "y\u200b"}})
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) || len(ves) != 1 {
		t.Fatalf("Struct = %v, want one field error", err)
	}
	te := FieldError(ves[0])
	if te == nil || te.Error() != "list[1] contains an invisible or direction-changing character U+200B" {
		t.Errorf("FieldError = %v", te)
	}
	if err := v.Struct(in{Name: "ok", Desc: "a\nb\tc", List: []string{"x"}}); err != nil {
		t.Errorf("Struct(visible values) = %v", err)
	}
}

// FuzzCheckVisible: the checker never panics, accepts exactly the strings
// without a refused character, and names one that is in the string.
func FuzzCheckVisible(f *testing.F) {
	for _, s := range []string{"", "plain", "invoice\u202efdp.exe", "\x00", "\xff", "a\u200db", "行\u2028", "\u0085", "ok\n"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, multiline bool) {
		err := check("f", s, multiline)
		var bad *Error
		for i, r := range s {
			if classify(r, multiline) != 0 {
				bad = &Error{Field: "f", Rune: r, Offset: i, Kind: classify(r, multiline)}
				break
			}
		}
		if bad == nil {
			if err != nil {
				t.Fatalf("check(%q, %v) = %v, want nil", s, multiline, err)
			}
			if !utf8.ValidString(s) {
				t.Fatalf("check(%q) accepted bytes that are not UTF-8", s)
			}
			return
		}
		var te *Error
		if !errors.As(err, &te) || *te != *bad {
			t.Fatalf("check(%q, %v) = %v, want %v", s, multiline, err, bad)
		}
	})
}
