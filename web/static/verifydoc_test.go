package static

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// receiptBytesScript runs verify-doc.js's receiptBytes, as the page has it,
// on each view of a cases file (base64) and prints, per case, the spans it
// returns (base64) or the error it throws. The function is taken out of the
// file's text (from "  function receiptBytes(b) {" to the first "  }" at its
// indentation), so that the test runs the code the page runs, with no hook
// added for it.
const receiptBytesScript = `"use strict";
const fs = require("fs");
const [src, casesFile] = process.argv.slice(2);
const text = fs.readFileSync(src, "utf8");
const start = text.indexOf("\n  function receiptBytes(b) {\n");
const end = text.indexOf("\n  }\n", start + 1);
if (start < 0 || end < 0) { console.error("receiptBytes not found in " + src); process.exit(2); }
const receiptBytes = new Function(text.slice(start, end + 4) + "\nreturn receiptBytes;")();
const out = JSON.parse(fs.readFileSync(casesFile, "utf8")).map((v) => {
	try {
		return { spans: receiptBytes(new Uint8Array(Buffer.from(v, "base64"))).map((s) => Buffer.from(s).toString("base64")) };
	} catch (e) {
		return { error: String(e && e.message ? e.message : e) || "thrown" };
	}
});
process.stdout.write(JSON.stringify(out), () => process.exit(0));
`

// TestReceiptBytes runs verify-doc.js's receiptBytes in Node.js: each
// receipt value's exact bytes are taken out of a document view whatever
// its spacing, escapes and nesting; a member named twice in the view or in
// an item, trailing data, a byte-order mark and every truncation are
// refused. It is skipped when node is not installed, unless
// CUSTOS_REQUIRE_INTEGRATION=1.
func TestReceiptBytes(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CUSTOS_REQUIRE_INTEGRATION") == "1" {
			t.Fatalf("node not found and CUSTOS_REQUIRE_INTEGRATION=1: %v", err)
		}
		t.Skip("node not installed")
	}
	const full = `{"kind":"certificate","number":"(2026)浙杭西证字第1号","items":[{"id":"a","receipt":{"version":1,"events":[{"event":"{\"seq\":0}"}]}},{"id":"b","receipt":{"x":"}{\"]["}}],"pdf_sha256":"00"}`
	tests := []struct {
		name string
		view string
		want []string // the receipts' bytes; nil: refused
	}{
		{"compact", `{"kind":"certificate","items":[{"id":"a","receipt":{"x":1}}]}`, []string{`{"x":1}`}},
		{"two items, nested, strings holding braces and quotes", full,
			[]string{`{"version":1,"events":[{"event":"{\"seq\":0}"}]}`, `{"x":"}{\"]["}`}},
		{"white space everywhere, kept inside the receipt",
			" \t\r\n{ \"kind\" :\t\"certificate\" ,\r\n \"items\" : [ { \"receipt\"\n:\n{ \"x\" : [ 1 , 2 ] ,\t\"y\" : { } }\n , \"id\" : \"a\" } ] } \n",
			[]string{"{ \"x\" : [ 1 , 2 ] ,\t\"y\" : { } }"}},
		{"escapes kept as written", `{"items":[{"receipt":{"t":"\u4e2d\n\\\"\/","u":"\\"}}]}`,
			[]string{`{"t":"\u4e2d\n\\\"\/","u":"\\"}`}},
		{"a key spelled with an escape is that key", `{"items":[{"rec\u0065ipt":{"x":1}}]}`, []string{`{"x":1}`}},
		{"a key holding a quote and braces", `{"a\"}{":1,"items":[{"re\"ceipt":{"y":2},"receipt":{"x":1}}]}`, []string{`{"x":1}`}},
		{"nested members beside the items", `{"office":{"names":[["}",{"items":[]}],null]},"items":[{"id":{"receipt":{"no":1}},"receipt":{"x":1}}]}`,
			[]string{`{"x":1}`}},
		{"a receipt that is not an object", `{"items":[{"receipt":"{\"x\":1}"},{"receipt":null},{"receipt":-1.5e3}]}`,
			[]string{`"{\"x\":1}"`, `null`, `-1.5e3`}},
		{"an item without a receipt", `{"items":[{"id":"a"},{"receipt":{}}]}`, []string{``, `{}`}},
		{"no items", `{"items":[]}`, []string{}},
		{"a member twice within a receipt is the verifier's to judge", `{"items":[{"receipt":{"x":1,"x":2}}]}`,
			[]string{`{"x":1,"x":2}`}},
		{"items twice", `{"items":[{"receipt":{"x":1}}],"items":[{"receipt":{"x":2}}]}`, nil},
		{"items twice, once escaped", `{"items":[],"it\u0065ms":[{"receipt":{"x":2}}]}`, nil},
		{"kind twice", `{"kind":"certificate","items":[],"kind":"copyright"}`, nil},
		{"receipt twice in an item", `{"items":[{"receipt":{"x":1},"receipt":{"x":2}}]}`, nil},
		{"id twice in an item", `{"items":[{"id":"a","receipt":{"x":1},"id":"b"}]}`, nil},
		{"no items member", `{"kind":"certificate"}`, nil},
		{"an array", `[{"items":[]}]`, nil},
		{"empty", ``, nil},
		{"only white space", " \n", nil},
		{"a byte-order mark", "\ufeff" + `{"items":[]}`, nil},
		{"trailing data", `{"items":[]}x`, nil},
		{"a second document", `{"items":[]}{"items":[]}`, nil},
		{"a trailing comma", `{"items":[],}`, nil},
		{"a string not closed", `{"items":[{"receipt":"abc}]}`, nil},
		{"a byte not UTF-8 in a string", "{\"items\":[{\"receipt\":{\"x\":\"\xff\"}}]}", nil},
	}
	// Every proper prefix of a view is refused: it ends before the view's
	// closing brace.
	for n := range len(full) {
		tests = append(tests, struct {
			name string
			view string
			want []string
		}{fmt.Sprintf("truncated to %d bytes", n), full[:n], nil})
	}

	dir := t.TempDir()
	views := make([][]byte, len(tests))
	for i, tc := range tests {
		views[i] = []byte(tc.view)
	}
	casesFile, script := filepath.Join(dir, "cases.json"), filepath.Join(dir, "run.js")
	b, err := json.Marshal(views) // base64
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{casesFile: b, script: []byte(receiptBytesScript)} {
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(node, script, "verify-doc.js", casesFile).Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	var got []struct {
		Spans [][]byte
		Error string
	}
	if err := json.Unmarshal(out, &got); err != nil || len(got) != len(tests) {
		t.Fatalf("node printed %.200s (%v), want %d results", out, err, len(tests))
	}
	for i, tc := range tests {
		g := got[i]
		if tc.want == nil {
			if g.Error == "" {
				t.Errorf("%s: receiptBytes(%q) = %q, want an error", tc.name, tc.view, g.Spans)
			}
			continue
		}
		spans := make([]string, len(g.Spans))
		for j, s := range g.Spans {
			spans[j] = string(s)
		}
		if g.Error != "" || strings.Join(spans, "\x00") != strings.Join(tc.want, "\x00") || len(spans) != len(tc.want) {
			t.Errorf("%s: receiptBytes(%q) = %q, error %q; want %q", tc.name, tc.view, spans, g.Error, tc.want)
		}
	}
}
