package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/custos-project/custos/receipt"
)

// nodeScript loads the wasm as a page would (wasm_exec.js from GOROOT),
// prepares the first case's trust bundle and an unusable one with
// custosPrepare, calls custosVerify once per case of cases.json, and prints
// the reports and custosPrepare's results as one JSON object.
const nodeScript = `"use strict";
const fs = require("fs");
const [goroot, wasm, casesFile] = process.argv.slice(2);
globalThis.require = require;
globalThis.fs = fs;
globalThis.TextEncoder = require("util").TextEncoder;
globalThis.TextDecoder = require("util").TextDecoder;
globalThis.performance ??= require("perf_hooks").performance;
globalThis.crypto ??= require("crypto").webcrypto;
require(goroot + "/lib/wasm/wasm_exec.js");
(async () => {
	const go = new Go();
	const { instance } = await WebAssembly.instantiate(fs.readFileSync(wasm), go.importObject);
	go.run(instance); // registers custosVerify, then waits forever
	const cases = JSON.parse(fs.readFileSync(casesFile, "utf8"));
	const prepared = [custosPrepare(cases[0][1]), custosPrepare("{")]; // as the page does, before verifying
	// {"bytes": BASE64} stands for a Uint8Array of those bytes, as the page
	// passes a receipt file.
	// {"bytes": BASE64, "expand": {at, repeat, times}} stands for the bytes
	// with repeat written times times at offset at (a receipt vector too
	// large to commit, docs/receipt.md §7).
	const expand = (b, e) => e ? Buffer.concat([b.subarray(0, e.at), Buffer.alloc(e.repeat.length * e.times, e.repeat), b.subarray(e.at)]) : b;
	const arg = (a) => (a !== null && typeof a === "object" && "bytes" in a) ? new Uint8Array(expand(Buffer.from(a.bytes, "base64"), a.expand)) : a;
	const out = cases.map((c) => JSON.parse(custosVerify(...c.map(arg))));
	out.push(JSON.parse(custosWarmUp()));
	out.push({ version: globalThis.custosVerifyVersion });
	// Exit once the output is written: a pipe takes it in parts.
	process.stdout.write(JSON.stringify({ reports: out, prepared }), () => process.exit(0));
})().catch((e) => { console.error(e); process.exit(1); });
`

// TestNode builds the wasm and runs it in Node.js, as the web page does:
// the golden receipt with its file's SHA-256 is valid; tampered receipts
// and bad calls fail at the right step; custosWarmUp gives WarmUp's report. It is skipped when node is not
// installed, unless CUSTOS_REQUIRE_INTEGRATION=1.
func TestNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CUSTOS_REQUIRE_INTEGRATION") == "1" {
			t.Fatalf("node not found and CUSTOS_REQUIRE_INTEGRATION=1: %v", err)
		}
		t.Skip("node not installed")
	}
	if testing.Short() {
		t.Skip("builds the wasm (slow); not with -short")
	}
	dir := t.TempDir()
	wasm := filepath.Join(dir, "verify.wasm")
	gotool := "go" // with GOTOOLCHAIN from the environment
	if g := filepath.Join(runtime.GOROOT(), "bin", "go"); runtime.GOROOT() != "" {
		if _, err := os.Stat(g); err == nil {
			gotool = g // the toolchain running this test
		}
	}
	// As the Makefile's wasm target builds it (WASM_ENV, WASM_FLAGS).
	build := exec.Command(gotool, "build", "-trimpath", "-gcflags=all=-l", "-ldflags=-s -w", "-o", wasm, ".")
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "GOEXPERIMENT=nojsonv2")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("GOOS=js GOARCH=wasm go build: %v\n%s", err, out)
	}
	goroot, err := exec.Command(gotool, "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}

	rec, trust, sha, sm := golden(t)
	tampered := tamper(t, rec, func(r *receipt.Receipt) {
		r.Events[4].Event = strings.Replace(r.Events[4].Event, "court-clerk", "court-clerq", 1)
	})
	notUTF8Name := strings.Replace(trust, `"name": "`, "\"name\": \"\xff", 1)
	if notUTF8Name == trust {
		t.Fatal("no validator name in the golden trust bundle")
	}
	cases := []struct {
		args []any
		step string // "" = valid
		// byJSON: the message is encoding/json's, which the wasm's build
		// (GOEXPERIMENT=nojsonv2) words otherwise; only the verdict and
		// step are compared with the native ones.
		byJSON bool
	}{
		{[]any{rec, trust, sha, ""}, "", false},
		{[]any{rec, trust, sha, sm, 63}, "", false},
		{[]any{rec, trust}, "", false},
		{[]any{tampered, trust, sha, ""}, receipt.StepInclusion, false},
		{[]any{rec, trust, strings.Repeat("0", 64), ""}, receipt.StepDigest, false},
		{[]any{"{}", trust, "", ""}, receipt.StepFormat, false},
		{[]any{rec, 42, "", ""}, StepInput, false},
		{[]any{rec, "{", "", ""}, StepInput, false},
		// The receipt as the page reads a file: its exact bytes. A text
		// decoding would drop the byte-order mark and replace bytes that are
		// not UTF-8; custos verify refuses both at step format.
		{[]any{fileBytes(rec), trust, sha, ""}, "", false},
		{[]any{fileBytes("\ufeff" + rec), trust, sha, ""}, receipt.StepFormat, true},
		{[]any{fileBytes(strings.Replace(rec, "text/plain", "text/pl\xffin", 1)), trust, sha, ""}, receipt.StepFormat, false},

		// The trust bundle as the page reads the court's file: its bytes
		// too. custos verify finds a bundle after a byte-order mark
		// unusable, and keeps a byte that is not UTF-8 in a validator's
		// name (the receipt stays valid, the name is the bundle's).
		{[]any{rec, fileBytes(trust), sha, ""}, "", false},
		{[]any{rec, fileBytes("\ufeff" + trust), sha, ""}, StepInput, false},
		{[]any{rec, fileBytes(notUTF8Name), sha, ""}, "", false},
	}
	// Every published vector, as the page passes it (the receipt's bytes):
	// the WebAssembly build (encoding/json v1, GOEXPERIMENT=nojsonv2) must
	// reach the native verdict on each. An expanded receipt is refused for
	// its size before encoding/json reads it, so its whole report is
	// compared: the template alone would fail otherwise.
	for _, v := range publishedVectors(t) {
		in := v.in
		c := struct {
			args   []any
			step   string
			byJSON bool
		}{[]any{vectorFile(v), in.Trust, in.SHA256Hex, in.SM3Hex, int(in.Size)}, v.step, v.step == receipt.StepFormat && v.expand == nil}
		cases = append(cases, c)
	}
	args := make([][]any, len(cases))
	for i, c := range cases {
		args[i] = c.args
	}
	casesFile := filepath.Join(dir, "cases.json")
	script := filepath.Join(dir, "run.js")
	b, _ := json.Marshal(args)
	for name, data := range map[string][]byte{casesFile: b, script: []byte(nodeScript)} {
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(node, script, strings.TrimSpace(string(goroot)), wasm, casesFile).Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	var got struct {
		Reports  []Report
		Prepared []string
	}
	if err := json.Unmarshal(out, &got); err != nil || len(got.Reports) != len(cases)+2 || len(got.Prepared) != 2 {
		t.Fatalf("node printed %s (%v), want %d reports, the warm-up's and the version, and two custosPrepare results", out, err, len(cases))
	}
	reps := got.Reports
	if got.Prepared[0] != "" || got.Prepared[1] != Prepare("{") || got.Prepared[1] == "" {
		t.Errorf("custosPrepare(trust), custosPrepare(\"{\") = %q; want \"\" and %q", got.Prepared, Prepare("{"))
	}
	for i, c := range cases {
		rep := reps[i]
		if rep.Valid != (c.step == "") || rep.FailedStep != c.step || rep.Version != ContractVersion {
			t.Errorf("custosVerify(case %d) = valid %v, failed step %q, want %q: %+v", i, rep.Valid, rep.FailedStep, c.step, rep.Error)
		}
		if want := Verify(inputOf(c.args)); c.step != StepInput && !c.byJSON && !jsonEqual(t, rep, want) {
			t.Errorf("custosVerify(case %d) in node differs from Verify natively:\n%+v\n%+v", i, rep, want)
		}
	}
	if warm := reps[len(cases)]; !warm.Valid || !jsonEqual(t, warm, json.RawMessage(WarmUp())) {
		t.Errorf("custosWarmUp() in node = valid %v, error %+v; want valid, as WarmUp natively", warm.Valid, warm.Error)
	}
	if reps[len(cases)+1].Version != ContractVersion {
		t.Errorf("custosVerifyVersion = %d, want %d", reps[len(cases)+1].Version, ContractVersion)
	}
}

// fileBytes is an argument the script passes as a Uint8Array of these
// bytes (JSON {"bytes": BASE64}).
type fileBytes string

func (b fileBytes) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string][]byte{"bytes": []byte(b)})
}

// expandedBytes is an argument the script passes as a Uint8Array of the
// bytes rule makes of file (JSON {"bytes": BASE64, "expand": rule}), so
// that a receipt vector of 64 MiB is not written out.
type expandedBytes struct {
	file string
	rule *expandRule
}

func (b expandedBytes) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Bytes  []byte      `json:"bytes"`
		Expand *expandRule `json:"expand"`
	}{[]byte(b.file), b.rule})
}

// vectorFile is the receipt argument of v as the page passes a file.
func vectorFile(v vectorCase) any {
	if v.expand != nil {
		return expandedBytes{v.file, v.expand}
	}
	return fileBytes(v.in.Receipt)
}

// inputOf is the Input of custosVerify's string, byte and number arguments.
func inputOf(args []any) Input {
	s := func(i int) string {
		if i < len(args) {
			switch v := args[i].(type) {
			case string:
				return v
			case fileBytes:
				return string(v)
			case expandedBytes:
				return v.rule.apply(v.file)
			}
		}
		return ""
	}
	in := Input{Receipt: s(0), Trust: s(1), SHA256Hex: s(2), SM3Hex: s(3)}
	if len(args) > 4 {
		in.Size = int64(args[4].(int))
	}
	return in
}

func jsonEqual(t *testing.T, a any, b any) bool {
	t.Helper()
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	return string(x) == string(y)
}
