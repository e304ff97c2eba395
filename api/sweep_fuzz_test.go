package api

import (
	"flag"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// FuzzRouter sends arbitrary requests (method, path, query, content type,
// body, one header, role) to the sweep's server: no answer is 5xx or a
// panic, and every 4xx is a problem of a documented type. Its seeds are
// cases of TestRouteSweep's table, a few for each operation (519), all of
// which run in go test; under -fuzz only the first of each operation is
// added (see fuzzing).
func FuzzRouter(f *testing.F) {
	sw := newSweepWorld(f)
	methods := []string{"GET", "POST", "PATCH", "DELETE", "HEAD", "PUT"}
	for _, op := range sweepOps(f) {
		cases := sweepCases(op, func(name string) string { return sw.paramValue(op.path, name) })
		step := max(1, len(cases)/6)
		if fuzzing() {
			step = len(cases)
		}
		for i := 0; i < len(cases); i += step {
			tc := cases[i]
			path, query, _ := strings.Cut(tc.target, "?")
			var body string
			if tc.body != nil {
				b := make([]byte, tc.body.Len())
				tc.body.Read(b)
				body = string(b)
			}
			hdr := []string{"", ""}
			if len(tc.hdr) >= 2 {
				hdr = tc.hdr[:2]
			}
			f.Add(uint8(slices.Index(methods, op.method)), path, query, tc.ctype, body, hdr[0], hdr[1], uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, method uint8, path, query, ctype, body, hname, hvalue string, role uint8) {
		target := path
		if query != "" {
			target += "?" + query
		}
		// What net/http would refuse before any handler: a request line
		// that does not parse, a header name or value that cannot be sent.
		u, err := url.ParseRequestURI(target)
		if err != nil || !strings.HasPrefix(path, "/") || strings.ContainsFunc(target, func(r rune) bool { return r <= ' ' || r == 0x7f }) ||
			!headerToken(hname) || !headerValue(hvalue) || !headerValue(ctype) {
			return
		}
		if u.Query().Has("wait") {
			return // a valid wait holds the request up to a minute
		}
		var hdr []string
		if hname != "" {
			hdr = []string{hname, hvalue}
		}
		rec, p := sw.do(sweepRoles[int(role)%len(sweepRoles)], methods[int(method)%len(methods)], target, ctype, strings.NewReader(body), hdr)
		if msg := sw.checkSweep(rec, p); msg != "" {
			t.Errorf("%s %s: %s", methods[int(method)%len(methods)], trim(target), msg)
		}
	})
}

// fuzzing reports whether the test binary is fuzzing (go test -fuzz), in
// the coordinator or a worker. Before fuzzing, Go runs every seed once
// more in a worker to gather its coverage, at 25-50 ms a seed whatever
// the target (the worker sends its whole coverage map back for each): 519
// seeds took the first 15 s of every run, longer than make test's 5 s
// pass. The seeds all run in go test, and the whole table in
// TestRouteSweep.
func fuzzing() bool {
	fl := flag.Lookup("test.fuzz")
	return fl != nil && fl.Value.String() != ""
}

// headerToken reports whether s is "" or a header name net/http would send
// (RFC 9110 §5.1: a token).
func headerToken(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool {
		return r <= ' ' || r >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r)
	})
}

// headerValue reports whether s is a header value net/http would send: no
// control character but tab (RFC 9110 §5.5).
func headerValue(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f })
}
