package strictjson

import (
	"encoding/json"
	"testing"
)

// FuzzScannerIsUnmarshal: whatever a Scanner accepts as one string, int64
// or uint64, encoding/json decodes to the same value.
func FuzzScannerIsUnmarshal(f *testing.F) {
	for _, s := range []string{`"a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"`, `"\ud800"`, `"\xff"`, ` "x" `, `-0`, `12`,
		`9223372036854775808`, `4294967296`, `1.0`, `1e3`, `01`, `-`, `"中"`, `"` + "\x01" + `"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := NewScanner(b)
		if v, ok := s.String(); ok && s.End() {
			var w string
			if err := json.Unmarshal(b, &w); err != nil || w != v {
				t.Errorf("String(%q) = %q; json.Unmarshal = %q, %v", b, v, w, err)
			}
		}
		s = NewScanner(b)
		if v, ok := s.Int64(); ok && s.End() {
			var w int64
			if err := json.Unmarshal(b, &w); err != nil || w != v {
				t.Errorf("Int64(%q) = %d; json.Unmarshal = %d, %v", b, v, w, err)
			}
		}
		s = NewScanner(b)
		if v, ok := s.Uint64(); ok && s.End() {
			var w uint64
			if err := json.Unmarshal(b, &w); err != nil || w != v {
				t.Errorf("Uint64(%q) = %d; json.Unmarshal = %d, %v", b, v, w, err)
			}
		}
		s = NewScanner(b)
		if v, ok := s.Uint32(); ok && s.End() {
			var w uint32
			if err := json.Unmarshal(b, &w); err != nil || w != v {
				t.Errorf("Uint32(%q) = %d; json.Unmarshal = %d, %v", b, v, w, err)
			}
		}
	})
}
