package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// vectorsDir holds the receipt test vectors (docs/receipt.md, Test vectors).
const vectorsDir = "../../receipt/testdata/vectors"

type vector struct {
	Name     string `json:"name"`
	Receipt  string `json:"receipt"`
	Trust    string `json:"trust"`
	Evidence string `json:"evidence"`
	Valid    bool   `json:"valid"`
	Step     string `json:"step"`
	// Expand, when present, makes the receipt from the committed template
	// (docs/receipt.md §7): the 64 MiB bound's vector.
	Expand *struct {
		At     int    `json:"at"`
		Repeat string `json:"repeat"`
		Times  int    `json:"times"`
	} `json:"expand"`
}

// receiptPath is the file the command reads for v: the committed receipt,
// or, for a vector with an expand rule, the receipt it stands for, written
// to a temporary folder.
func receiptPath(t *testing.T, v vector) string {
	t.Helper()
	path := filepath.Join(vectorsDir, v.Receipt)
	if v.Expand == nil {
		return path
	}
	tmpl, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	e := v.Expand
	if e.At < 0 || e.At > len(tmpl) || e.Times < 0 {
		t.Fatalf("%s: expand rule out of range", v.Name)
	}
	b := slices.Concat(tmpl[:e.At], []byte(strings.Repeat(e.Repeat, e.Times)), tmpl[e.At:])
	out := filepath.Join(t.TempDir(), "receipt.json")
	if err := os.WriteFile(out, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectorsDir, "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Vectors []vector }
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	return doc.Vectors
}

// TestVectors runs the command on every receipt test vector: exit status
// 0 and "VALID" for the valid ones, 1 and the failing step for the others,
// in text and in JSON.
func TestVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			args := []string{"--receipt", receiptPath(t, v), "--trust", filepath.Join(vectorsDir, v.Trust)}
			if v.Evidence != "" {
				args = append(args, "--file", filepath.Join(vectorsDir, v.Evidence))
			}
			want := 0
			if !v.Valid {
				want = 1
			}
			var out, errOut bytes.Buffer
			if code := run(args, &out, &errOut); code != want {
				t.Fatalf("run(%q) = %d, want %d\n%s%s", args, code, want, out.String(), errOut.String())
			}
			text := out.String()
			switch {
			case v.Valid && !strings.Contains(text, "\nVALID"):
				t.Errorf("run(%q) printed no VALID line:\n%s", args, text)
			case !v.Valid && !strings.HasPrefix(text, "✗ "+v.Step+"\n"):
				t.Errorf("run(%q) does not start with ✗ %s:\n%s", args, v.Step, text)
			case v.Expand != nil && !strings.Contains(text, "-byte limit"):
				// The template alone fails at the same step by another
				// check; the expanded receipt must fail by the bound.
				t.Errorf("run(%q) does not name the size limit:\n%s", args, text)
			}
			out.Reset()
			if code := run(append(args, "--json"), &out, &errOut); code != want {
				t.Fatalf("run(%q --json) = %d, want %d", args, code, want)
			}
			var rep struct {
				Valid bool   `json:"valid"`
				Step  string `json:"step"`
			}
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil || rep.Valid != v.Valid || rep.Step != v.Step {
				t.Errorf("run(%q --json) = %s (%v), want valid %v step %q", args, out.String(), err, v.Valid, v.Step)
			}
		})
	}
}

// TestUsage: a missing flag, a stray argument, an unreadable file and a
// bad trust bundle are usage errors (status 2); --help is not an error.
func TestUsage(t *testing.T) {
	good := filepath.Join(vectorsDir, "valid", "valid.json")
	trust := filepath.Join(vectorsDir, "trust.json")
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"no flags", nil, 2},
		{"no trust", []string{"--receipt", good}, 2},
		{"stray argument", []string{"--receipt", good, "--trust", trust, "extra"}, 2},
		{"unknown flag", []string{"--receipt", good, "--trust", trust, "--node", "https://node.example"}, 2},
		{"PDF without trust or roots", []string{"--pdf", good}, 2},
		{"PDF with a receipt", []string{"--pdf", good, "--receipt", good, "--trust", trust}, 2},
		{"PDF with an argument", []string{"--pdf", good, "--trust", trust, "extra"}, 2},
		{"missing PDF", []string{"--pdf", filepath.Join(t.TempDir(), "none.pdf"), "--trust", trust}, 2},
		{"PDF with a receipt as trust bundle", []string{"--pdf", good, "--trust", good}, 2},
		{"PDF with roots not PEM", []string{"--pdf", good, "--roots", trust}, 2},
		{"missing receipt", []string{"--receipt", filepath.Join(t.TempDir(), "none.json"), "--trust", trust}, 2},
		{"receipt as trust bundle", []string{"--receipt", good, "--trust", good}, 2},
		{"help", []string{"--help"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run(tt.args, &out, &errOut); code != tt.want {
				t.Errorf("run(%q) = %d, want %d\n%s", tt.args, code, tt.want, errOut.String())
			}
		})
	}
}

// TestTransitions: the receipt signed after a validator change
// (docs/receipt.md §8.4) is valid with the genesis bundle when it carries
// its transition, not valid at step checkpoint without it, and valid with
// --transitions naming the companion list.
func TestTransitions(t *testing.T) {
	dir := "../../receipt/testdata/transitions"
	trust, file := filepath.Join(vectorsDir, "trust.json"), filepath.Join(vectorsDir, "evidence.txt")
	tests := []struct {
		args []string
		want int
	}{
		{[]string{"--receipt", filepath.Join(dir, "receipt-v4.json")}, 0},
		{[]string{"--receipt", filepath.Join(dir, "receipt-v3-after-change.json")}, 1},
		{[]string{"--receipt", filepath.Join(dir, "receipt-v3-after-change.json"), "--transitions", filepath.Join(dir, "receipt-companion.json")}, 0},
		{[]string{"--receipt", filepath.Join(dir, "receipt-v3-after-change.json"), "--transitions", trust}, 2},
	}
	for _, tt := range tests {
		args := append(tt.args, "--trust", trust, "--file", file)
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != tt.want {
			t.Errorf("run(%q) = %d, want %d\n%s%s", args, code, tt.want, out.String(), errOut.String())
		}
	}
}

// TestChineseLocale: under a Chinese locale the steps come in Chinese,
// still ending in VALID; the C locale keeps them English.
func TestChineseLocale(t *testing.T) {
	args := []string{"--receipt", filepath.Join(vectorsDir, "valid", "v3-complete.json"), "--trust", filepath.Join(vectorsDir, "trust.json")}
	for loc, want := range map[string]string{"zh_CN.UTF-8": "VALID（有效）\n", "C.UTF-8": "✓ format: receipt version 3"} {
		t.Setenv("LC_ALL", loc)
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 0 || !strings.Contains(out.String(), want) {
			t.Errorf("LC_ALL=%s: run = %d, want 0 and %q in:\n%s%s", loc, code, want, out.String(), errOut.String())
		}
	}
	t.Setenv("LC_ALL", "zh_CN.UTF-8")
	var out, errOut bytes.Buffer
	bad := []string{"--receipt", filepath.Join(vectorsDir, "invalid", "custody-chain-broken.json"), "--trust", filepath.Join(vectorsDir, "trust.json")}
	if code := run(bad, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "回执无效（NOT valid）：custody（保管链）") {
		t.Errorf("a broken chain under zh_CN: run = %d, stderr %q; want 1 and the verdict in Chinese", code, errOut.String())
	}
}

// TestChineseUsage: under a Chinese locale the help, the flags'
// descriptions and the usage errors are in Chinese, as custos verify's
// are; under another locale they stay as they were.
func TestChineseUsage(t *testing.T) {
	good := filepath.Join(vectorsDir, "valid", "valid.json")
	for _, tc := range []struct {
		locale string
		args   []string
		code   int
		want   []string
	}{
		{"zh_CN.UTF-8", []string{"--help"}, 0, []string{"用法：custos-verify", "离线核验", "回执 JSON 文件", "信任包 JSON 文件", "custos-verify --pdf 证书文件", "根证书 PEM 文件"}},
		{"zh_CN.UTF-8", nil, 2, []string{"custos-verify 需要 --receipt FILE 和 --trust BUNDLE"}},
		{"zh_CN.UTF-8", []string{"--receipt", good, "--node"}, 2, []string{"未知选项：-node", "用法：custos-verify"}},
		{"zh_CN.UTF-8", []string{"--pdf", good}, 2, []string{"custos-verify --pdf 需要 --trust BUNDLE、--roots PEM 或两者"}},
		{"zh_CN.UTF-8", []string{"--pdf", good, "--receipt", good}, 2, []string{"custos-verify --pdf 只检查证书 PDF 本身"}},
		{"zh_CN.UTF-8", []string{"--pdf", good, "--roots", good}, 2, []string{"应为一个或多个 PEM 证书"}},
		{"zh_CN.UTF-8", []string{"--receipt"}, 2, []string{"选项需要参数：-receipt"}},
		{"C.UTF-8", []string{"--help"}, 0, []string{"usage: custos-verify", "receipt JSON file"}},
		{"C.UTF-8", []string{"--receipt", good, "--node"}, 2, []string{"flag provided but not defined: -node", "usage: custos-verify"}},
		{"C.UTF-8", []string{"--pdf", good}, 2, []string{"custos-verify: --pdf needs --trust BUNDLE, --roots PEM or both"}},
		{"C.UTF-8", nil, 2, []string{"custos-verify: needs --receipt FILE and --trust BUNDLE"}},
	} {
		t.Setenv("LC_ALL", tc.locale)
		var out, errOut bytes.Buffer
		code := run(tc.args, &out, &errOut)
		s := out.String() + errOut.String()
		for _, w := range tc.want {
			if code != tc.code || !strings.Contains(s, w) {
				t.Errorf("LC_ALL=%s run(%q) = %d, want %d and %q in:\n%s", tc.locale, tc.args, code, tc.code, w, s)
			}
		}
		if strings.HasPrefix(tc.locale, "zh") && (strings.Contains(s, "usage:") || strings.Contains(s, "file to check")) {
			t.Errorf("LC_ALL=%s run(%q) keeps English:\n%s", tc.locale, tc.args, s)
		}
		for _, line := range strings.Split(s, "\n") {
			if strings.HasPrefix(tc.locale, "zh") && strings.HasPrefix(line, "    \t") && !strings.ContainsFunc(line, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
				t.Errorf("LC_ALL=%s: a flag without a Chinese description (flagsZH, zh.go): %q", tc.locale, line)
			}
		}
	}
}
