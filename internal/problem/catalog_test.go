package problem

import (
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// englishPhrase is three English words in a row: a phrase left
// untranslated (names of fields and values stand alone or in lists).
var englishPhrase = regexp.MustCompile(`[A-Za-z]+(?: [a-z]+){2,}`)

// TestCatalogComplete fails on a message missing a language, a Chinese
// text with no Chinese in it, or languages with different parameters.
func TestCatalogComplete(t *testing.T) {
	for _, id := range IDs() {
		e, _ := Lookup(id)
		if strings.TrimSpace(e.EN) == "" || strings.TrimSpace(e.ZH) == "" {
			t.Errorf("%s: en %q, zh %q: want both", id, e.EN, e.ZH)
			continue
		}
		if !hasHan(e.ZH) {
			t.Errorf("%s: zh %q is not Chinese", id, e.ZH)
		}
		if m := englishPhrase.FindString(paramRE.ReplaceAllString(e.ZH, "")); m != "" {
			t.Errorf("%s: zh %q holds the English phrase %q", id, e.ZH, m)
		}
		if pe, pz := Params(e.EN), Params(e.ZH); !slices.Equal(pe, pz) {
			t.Errorf("%s: parameters en %v, zh %v: want the same", id, pe, pz)
		}
		if strings.Count(e.EN, "{") != strings.Count(e.EN, "}") || strings.Count(e.ZH, "{") != strings.Count(e.ZH, "}") {
			t.Errorf("%s: unbalanced braces", id)
		}
	}
}

func TestMsgIn(t *testing.T) {
	m := M("rate-limited", "who", M("who.key"), "rate", 2, "burst", 5)
	if got, want := m.In(English), "This API key may make 2 requests per second, in bursts of up to 5. Retry after the time in Retry-After."; got != want {
		t.Errorf("In(English) = %q, want %q", got, want)
	}
	if got, want := m.In(Chinese), "此 API 密钥每秒最多可发出 2 个请求，突发时最多 5 个。请在 Retry-After 所示时间之后重试。"; got != want {
		t.Errorf("In(Chinese) = %q, want %q", got, want)
	}
	if got := M("no-such-id").In(Chinese); got != "no-such-id" {
		t.Errorf("M(unknown).In = %q, want the id", got)
	}
}

func TestNegotiate(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   Lang
	}{
		{"", English},
		{"zh", Chinese},
		{"zh-CN", Chinese},
		{"ZH-cn", Chinese},
		{"zh-Hans", Chinese},
		{"zh-Hans-CN", Chinese},
		{"zh-SG", Chinese},
		{"zh-TW", English},   // Traditional: not in the catalog
		{"zh-Hant", English}, // idem
		{"en-US", English},
		{"fr", English},
		{"*", English},
		{"zh-CN,zh;q=0.9,en;q=0.8", Chinese},
		{"en-US,en;q=0.9,zh-CN;q=0.8", English},
		{"en;q=0.5, zh;q=0.9", Chinese},
		{"fr, zh;q=0.1", Chinese},
		{"zh;q=0", English},
		{"zh;q=0, *", English},
		{"zh;q=0.8, en;q=0.8", Chinese}, // a tie: the first
		{"zh;q=abc", English},
		{"zh;q=2", English},
		{" , ;q=1, zh-cn ;Q=0.7", Chinese},
		{"de-DE, fr;q=0.9", English},
	} {
		if got := Negotiate(tc.header); got != tc.want {
			t.Errorf("Negotiate(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}
}

func FuzzNegotiate(f *testing.F) {
	f.Add("zh-CN,zh;q=0.9,en;q=0.8")
	f.Add(";q=;,,")
	f.Fuzz(func(t *testing.T, h string) {
		if l := Negotiate(h); l != English && l != Chinese {
			t.Fatalf("Negotiate(%q) = %v", h, l)
		}
	})
}

func TestLocalized(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Accept-Language", "zh-CN")
	w := httptest.NewRecorder()
	Localized(w, r, 403, "not-a-member", M("title.not-a-member"), M("not-a-member"))
	h := w.Result().Header
	if h.Get("Content-Language") != "zh-CN" || h.Get("Vary") != "Accept-Language" || h.Get("Content-Type") != "application/problem+json" {
		t.Errorf("headers = %v", h)
	}
	if b := w.Body.String(); !strings.Contains(b, `"title":"不是联盟成员"`) || !strings.Contains(b, `"type":"urn:custos:problem:not-a-member"`) {
		t.Errorf("body = %s", b)
	}
}

func TestListIn(t *testing.T) {
	m := M("role-forbidden", "role", "viewer", "permission", "file", "roles", List{"admin", "submitter"})
	if got := m.In(English); !strings.Contains(got, ": admin, submitter.") {
		t.Errorf("In(English) = %q, want the roles joined with commas", got)
	}
	if got := m.In(Chinese); !strings.Contains(got, "：admin、submitter。") {
		t.Errorf("In(Chinese) = %q, want the roles joined with 、", got)
	}
}

func TestNamesIn(t *testing.T) {
	m := M("did-you-mean", "detail", M("no-directory"), "names", Names{"Test Firm A", "Test Firm B"})
	if got := m.In(English); !strings.HasSuffix(got, ` Did you mean "Test Firm A", "Test Firm B"?`) {
		t.Errorf("In(English) = %q, want the names quoted and joined with commas", got)
	}
	if got := m.In(Chinese); !strings.HasSuffix(got, "。您是不是要找“Test Firm A”、“Test Firm B”？") {
		t.Errorf("In(Chinese) = %q, want the names in “” joined with 、", got)
	}
}
