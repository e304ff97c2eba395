package problem

import (
	"strconv"
	"strings"
)

// Lang is a language problem details are written in.
type Lang uint8

// The languages of the catalog. English is the default.
const (
	English Lang = iota
	Chinese      // Simplified Chinese
)

// Tag is the language's tag for Content-Language (RFC 9110 §8.5).
func (l Lang) Tag() string {
	if l == Chinese {
		return "zh-CN"
	}
	return "en"
}

// Negotiate chooses the language of an answer from an Accept-Language
// header (RFC 9110 §12.5.4): the acceptable language range of highest
// weight that the catalog has wins, the first one on a tie. zh alone,
// zh-Hans… and the Simplified regions (zh-CN, zh-SG, zh-MY) choose
// Chinese; en…, * and anything else English. A range of weight 0 is not
// acceptable. Without a usable range the answer is English.
func Negotiate(header string) Lang {
	best, bestQ := English, 0.0
	for _, part := range strings.Split(header, ",") {
		rng, q, ok := parseRange(part)
		if !ok || q <= bestQ {
			continue
		}
		if l, ok := match(rng); ok {
			best, bestQ = l, q
		}
	}
	return best
}

// parseRange parses one "range;q=0.8" element; q defaults to 1.
func parseRange(s string) (rng string, q float64, ok bool) {
	rng, params, _ := strings.Cut(s, ";")
	rng = strings.ToLower(strings.TrimSpace(rng))
	if rng == "" {
		return "", 0, false
	}
	q = 1
	for _, p := range strings.Split(params, ";") {
		k, v, found := strings.Cut(strings.TrimSpace(p), "=")
		if !found || strings.TrimSpace(strings.ToLower(k)) != "q" {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f < 0 || f > 1 {
			return "", 0, false
		}
		q = f
	}
	return rng, q, true
}

// match says which catalog language a language range asks for.
func match(rng string) (Lang, bool) {
	sub := strings.Split(rng, "-")
	switch sub[0] {
	case "*", "en":
		return English, true
	case "zh":
		if len(sub) == 1 {
			return Chinese, true
		}
		switch sub[1] {
		case "hans", "cn", "sg", "my":
			return Chinese, true
		}
	}
	return English, false
}
