package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEnvironmentDocumented: every CUSTOS_* variable the binary reads is
// named in docs/cli.md or docs/operations.md, and every CUSTOS_* variable
// those and the README name is read somewhere (the binary, its tests, the
// Makefile or the scripts).
func TestEnvironmentDocumented(t *testing.T) {
	envVar := regexp.MustCompile(`CUSTOS_[A-Z0-9_]*[A-Z0-9]`)
	read := func(paths ...string) string {
		t.Helper()
		var b strings.Builder
		for _, p := range paths {
			s, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(s)
		}
		return b.String()
	}
	var bin, all []string
	err := filepath.WalkDir("../..", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			if d != nil && d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules" || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return err
		}
		if strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".sh") || d.Name() == "Makefile" {
			all = append(all, path)
			if filepath.Dir(path) == filepath.Join("..", "..", "cmd", "custos") && !strings.HasSuffix(path, "_test.go") {
				bin = append(bin, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	names := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, v := range envVar.FindAllString(s, -1) {
			m[v] = true
		}
		return m
	}
	code := names(read(all...))
	docs := names(read("../../docs/cli.md", "../../docs/operations.md"))
	for v := range names(read(bin...)) {
		if !docs[v] {
			t.Errorf("custos reads $%s, which neither docs/cli.md nor docs/operations.md names", v)
		}
	}
	for _, name := range []string{"README.md", "docs/cli.md", "docs/operations.md", "docs/api.md", "docs/threat-model.md", "docs/reliability.md", "docs/governance.md"} {
		for v := range names(read("../../" + name)) {
			if !code[v] {
				t.Errorf("%s names $%s, which nothing reads", name, v)
			}
		}
	}
}
