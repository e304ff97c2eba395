package strictjson

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// checkAppendString fails t unless AppendString(s) is json.Marshal(s): the
// same bytes, or for invalid UTF-8 (which encoding/json spells \ufffd or
// U+FFFD depending on GOEXPERIMENT=nojsonv2) the same string once decoded.
func checkAppendString(t *testing.T, s string) {
	t.Helper()
	got := AppendString([]byte("x"), s)[1:]
	want, _ := json.Marshal(s)
	same := string(got) == string(want)
	if !utf8.ValidString(s) {
		var a, b string
		same = json.Unmarshal(got, &a) == nil && json.Unmarshal(want, &b) == nil && a == b
	}
	if !same {
		t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
	}
}

func TestAppendStringIsMarshal(t *testing.T) {
	for _, s := range []string{"", "plain", `a"b\c`, "<>&", "\b\f\n\r\t\x00\x1f\x7f", "中文", "\u2028\u2029",
		"bad \xff utf-8 \xe4\xb8", "\U0001F600", "\xed\xa0\x80"} {
		checkAppendString(t, s)
	}
}

func FuzzAppendStringIsMarshal(f *testing.F) {
	f.Add("a\"<\u2028\xff")
	f.Fuzz(checkAppendString)
}
