package strictjson

import "unicode/utf8"

// AppendString appends s quoted as encoding/json quotes it with HTML-safe
// escaping (json.Marshal's default): the quote and the backslash, \b, \f,
// \n, \r and \t escaped as such, other control characters and <, > and &
// as \u00XX with lowercase hex, U+2028 and U+2029 escaped; everything else
// as it is. It lets a hand-written encoder give encoding/json's bytes
// without its reflection (append_test.go compares the two). Each byte of
// invalid UTF-8 becomes \ufffd, as encoding/json writes it when built with
// GOEXPERIMENT=nojsonv2 (the browser verifier); the encoding/json over
// json/v2 writes U+FFFD itself, which decodes to the same string.
func AppendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += n
			continue
		}
		i += n
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
