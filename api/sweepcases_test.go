package api

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// The malformed requests of the route sweep (sweep_test.go).

// sweepCase is one malformed request to an operation.
type sweepCase struct {
	what   string
	target string // path and query
	ctype  string
	body   *strings.Reader
	hdr    []string
}

var (
	sweepLong = strings.Repeat("a", 10<<10)
	sweepHuge = strings.Repeat("9", 400)
	// sweepBadSegments are malformed path parameters, escaped as on the
	// wire.
	sweepBadSegments = map[string]string{
		"empty": "", "overlong": sweepLong, "not UTF-8": "%FF", "not UTF-8 pair": "a%C3%28b", "zero width space": "%E2%80%8B",
		"right-to-left override": "a%E2%80%AEb", "dot dot": "..", "escaped dot dot": "%2E%2E", "escaped slash": "a%2Fb", "NUL": "a%00b",
		"space": "a%20b", "control": "a%01b", "BOM": "%EF%BB%BFx", "dots": "...", "huge number": sweepHuge, "negative": "-1",
		"percent": "%25", "json": "%7B%7D", "fullwidth": "%EF%BC%A1", "pdf suffix": "x.pdf", "lone surrogate": "%ED%A0%80",
	}
	// sweepBadValues are malformed query parameter values, escaped.
	sweepBadValues = []string{"", "-1", "0", "-" + sweepHuge, sweepHuge, "1e3", "1.5", "0x10", "abc", "%FF", "%00", "%E2%80%AE",
		sweepLong, "true", "null", "%zz", "+1", "%201", "9223372036854775808", "-9223372036854775809", "2026-13-45", "PT1H", "1ns", "-1s"}
	// sweepJSONValues are JSON values of every kind, for each field of a
	// JSON body.
	sweepJSONValues = []string{`123`, `-1`, `0`, `1e400`, `-` + sweepHuge, sweepHuge, `1.5`, `"s"`, `""`, `true`, `false`, `null`, `[]`, `{}`,
		`[1,"a",{}]`, `{"a":{"b":[]}}`, `"` + sweepLong + `"`, `"\u202e"`, `"\ud800"`, `"\u0000"`, `"2026-13-45T00:00:00Z"`, `"0001-01-01T00:00:00Z"`,
		`"9999-12-31T23:59:59Z"`, `["` + sweepLong + `"]`, `[` + strings.Repeat(`"x",`, 5000) + `"x"]`, `"../../etc/passwd"`, `"%FF"`}
)

// sweepCases are the malformed requests to op, path parameters given
// valid by value.
func sweepCases(op sweepOp, value func(name string) string) []sweepCase {
	var cases []sweepCase
	path := func(bad string, which string) string {
		out := op.path
		for {
			i := strings.Index(out, "{")
			if i < 0 {
				return out
			}
			j := strings.Index(out[i:], "}") + i
			name := out[i+1 : j]
			v := value(name)
			if name == which {
				v = bad
			}
			out = out[:i] + v + out[j+1:]
		}
	}
	good := path("", "")
	var names []string
	for rest := op.path; strings.Contains(rest, "{"); {
		i, j := strings.Index(rest, "{"), strings.Index(rest, "}")
		names = append(names, rest[i+1:j])
		rest = rest[j+1:]
	}
	// Path parameters.
	for _, name := range names {
		for what, seg := range sweepBadSegments {
			cases = append(cases, sweepCase{what: "path " + name + " " + what, target: path(seg, name)})
		}
		for kind, id := range sweepIDs {
			cases = append(cases, sweepCase{what: "path " + name + " an ID of a " + kind, target: path(id, name)})
		}
	}
	// Query parameters: documented ones with bad values, repeated, and
	// unknown ones.
	for _, q := range append(slices.Clone(op.query), "limit", "cursor", "wait", "from") {
		for _, v := range sweepBadValues {
			cases = append(cases, sweepCase{what: "query " + q + "=" + trim(v), target: good + "?" + q + "=" + v})
		}
		cases = append(cases, sweepCase{what: "query " + q + " repeated", target: good + "?" + q + "=1&" + q + "=2"})
		cases = append(cases, sweepCase{what: "query " + q + " no value", target: good + "?" + q})
	}
	cases = append(cases,
		sweepCase{what: "query unknown", target: good + "?unknown=1"},
		sweepCase{what: "query bad escape", target: good + "?%zz=%zz&limit=%"},
		sweepCase{what: "query many", target: good + "?" + strings.Repeat("a=1&", 2000)},
		sweepCase{what: "query only ?", target: good + "?"},
		sweepCase{what: "query ;", target: good + "?limit=1;cursor=x"},
	)
	// Bodies.
	jsonType := "application/json"
	switch {
	case slices.Contains(op.bodyTypes, "multipart/form-data"):
		cases = append(cases, multipartCases(good, op.props)...)
	case slices.Contains(op.bodyTypes, jsonType):
		cases = append(cases, jsonCases(good, op.props, op.base)...)
	}
	if op.method != http.MethodGet && op.method != http.MethodHead {
		for _, ct := range []string{"", "text/plain", "application/xml", "application/json; charset=latin1", "application/x-www-form-urlencoded",
			"multipart/form-data", "multipart/form-data; boundary=", "garbage/;;;", "application/json; a=\"", sweepLong} {
			cases = append(cases, sweepCase{what: "content-type " + trim(ct), target: good, ctype: ct, body: strings.NewReader(`{"a":1}`)})
		}
		for what, b := range map[string]string{"empty": "", "not JSON": "not json", "binary": "\x00\xff\xfe\x01", "NUL in JSON": "{\x00}"} {
			cases = append(cases, sweepCase{what: "body " + what, target: good, ctype: jsonType, body: strings.NewReader(b)})
		}
	}
	// Headers.
	ctype, body := "", ""
	if op.method != http.MethodGet && op.method != http.MethodHead && op.method != http.MethodDelete {
		ctype, body = jsonType, `{}`
	}
	for _, h := range [][]string{
		{"Idempotency-Key", sweepLong}, {"Idempotency-Key", ""}, {"Idempotency-Key", "ключ"}, {"Idempotency-Key", "a\x01b"},
		{"Idempotency-Key", "a", "Idempotency-Key", "b"}, {"Idempotency-Key", "\xff"},
		{"Range", "bytes=abc"}, {"Range", "bytes=5-1"}, {"Range", "bytes=-0"}, {"Range", "bytes=" + sweepHuge + "-"},
		{"Range", "bytes=-" + sweepHuge}, {"Range", "items=0-1"}, {"Range", "bytes=" + strings.Repeat("0-0,", 2000) + "0-0"},
		{"Range", "bytes=0-1", "Range", "bytes=2-3"}, {"Range", sweepLong}, {"If-Range", "garbage"}, {"If-Range", `"x"`},
		{"If-None-Match", `"`}, {"If-None-Match", "W/"}, {"If-None-Match", "*"}, {"If-None-Match", sweepLong}, {"If-Match", "garbage"},
		{"If-Modified-Since", "yesterday"}, {"If-Unmodified-Since", "0"}, {"Accept", "garbage/;;;"}, {"Accept", "application/problem+json;q=x"},
		{"Accept-Language", sweepLong}, {"Accept-Language", "zh;q=abc, *;q=-1"}, {"Accept-Encoding", "gzip;q=abc"},
		{"Custos-Metadata", `{"title":`}, {"Custos-Metadata", sweepLong}, {"Content-Disposition", "attachment; filename*=UTF-8''%FF"},
		{"Content-Disposition", `form-data; filename="../../x"`}, {"Content-Disposition", sweepLong}, {"X-Forwarded-For", "garbage"},
		{"Authorization", "Bearer"}, {"Authorization", "Bearer " + sweepLong}, {"Authorization", "Bearer \xff"},
	} {
		what := "header " + h[0] + ": " + trim(h[1])
		if len(h) > 2 {
			what += " twice"
		}
		cases = append(cases, sweepCase{what: what, target: good, ctype: ctype, body: strings.NewReader(body), hdr: h})
	}
	return cases
}

// sweepIDs are IDs of the wrong kind, set by newSweepWorld.
var sweepIDs = map[string]string{}

func jsonCases(target string, props []string, base string) []sweepCase {
	ct := "application/json"
	c := func(what, body string) sweepCase {
		return sweepCase{what: "json " + what, target: target, ctype: ct, body: strings.NewReader(body)}
	}
	cases := []sweepCase{
		c("truncated", `{"a":`), c("open", `{`), c("two objects", `{}{}`), c("trailing", `{} x`), c("huge number", sweepHuge),
		c("deep arrays", strings.Repeat("[", 100000)), c("deep objects", strings.Repeat(`{"a":`, 20000)),
		c("deep closed", strings.Repeat("[", 5000)+strings.Repeat("]", 5000)), c("unknown field", `{"zzz":1}`),
		c("BOM", "\xef\xbb\xbf{}"), c("not UTF-8", "{\"a\xff\":1}"), c("single quotes", `{'a':1}`), c("comment", `{/*x*/}`),
		c("long key", `{"`+sweepLong+`":1}`), c("many keys", "{"+strings.Repeat(`"a":1,`, 3000)+`"a":1}`),
	}
	for _, p := range props {
		for _, v := range sweepJSONValues {
			cases = append(cases, c(p+"="+trim(v), `{"`+p+`":`+v+`}`))
		}
		cases = append(cases, c(p+" twice", `{"`+p+`":"a","`+p+`":"b"}`), c(p+" twice typed", `{"`+p+`":1,"`+p+`":[]}`))
		cases = append(cases, c(p+" upper case", `{"`+strings.ToUpper(p)+`":"a"}`))
	}
	// The same values in a valid body, one field at a time.
	var fields map[string]json.RawMessage
	if base == "" || json.Unmarshal([]byte(base), &fields) != nil {
		return cases
	}
	for _, p := range props {
		for _, v := range sweepJSONValues {
			m := maps.Clone(fields)
			m[p] = json.RawMessage(v)
			b, err := json.Marshal(m)
			if err != nil {
				continue // not JSON: sent alone above
			}
			cases = append(cases, c("valid but "+p+"="+trim(v), string(b)))
		}
		m := maps.Clone(fields)
		delete(m, p)
		b, _ := json.Marshal(m)
		cases = append(cases, c("valid but no "+p, string(b)))
	}
	return cases
}

func multipartCases(target string, props []string) []sweepCase {
	mp := "multipart/form-data; boundary=b"
	part := func(name, filename, body string) string {
		d := `form-data; name="` + name + `"`
		if filename != "" {
			d += `; filename="` + filename + `"`
		}
		return "--b\r\nContent-Disposition: " + d + "\r\n\r\n" + body + "\r\n"
	}
	c := func(what, body string) sweepCase {
		return sweepCase{what: "multipart " + what, target: target, ctype: mp, body: strings.NewReader(body)}
	}
	cases := []sweepCase{
		c("truncated", "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc"), c("garbage", "not multipart"), c("empty", ""),
		c("only close", "--b--\r\n"), c("no parts", "--b\r\n\r\n--b--\r\n"), c("unnamed part", "--b\r\n\r\nx\r\n--b--\r\n"),
		c("long header", "--b\r\nX: "+sweepLong+sweepLong+"\r\n\r\nx\r\n--b--\r\n"),
		c("many parts", strings.Repeat(part("x", "", "1"), 2000)+"--b--\r\n"),
		c("bad disposition", "--b\r\nContent-Disposition: form-data; name=\"\xff\r\n\r\nx\r\n--b--\r\n"),
		c("file path", part("file", "../../etc/passwd", "x")+"--b--\r\n"),
		c("file NUL name", part("file", "a\x00b", "x")+"--b--\r\n"),
		c("file empty", part("file", "a.txt", "")+"--b--\r\n"),
		c("file base64", "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!\r\n--b--\r\n"),
	}
	for _, p := range props {
		for _, v := range sweepJSONValues {
			cases = append(cases, c(p+"="+trim(v), part(p, "", v)+part("file", "a.txt", "x")+"--b--\r\n"))
		}
		cases = append(cases, c(p+" twice", part(p, "", "{}")+part(p, "", "{}")+"--b--\r\n"))
	}
	for _, ct := range []string{"multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=" + sweepLong, "multipart/mixed; boundary=b"} {
		cases = append(cases, sweepCase{what: "multipart type " + trim(ct), target: target, ctype: ct, body: strings.NewReader(part("file", "a", "x") + "--b--\r\n")})
	}
	return cases
}

// trim shortens a case's value for its name.
func trim(s string) string {
	if len(s) > 24 {
		return fmt.Sprintf("%s…(%d bytes)", s[:12], len(s))
	}
	return s
}
