package main

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custos-project/custos/certs"
)

// writeSeal writes a red ring on transparency, as a seal image.
func writeSeal(t *testing.T, dir string) string {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 128, 128))
	for y := range 128 {
		for x := range 128 {
			if d := (x-64)*(x-64) + (y-64)*(y-64); d < 62*62 && d > 54*54 {
				img.Set(x, y, color.NRGBA{R: 0xd0, G: 0x10, B: 0x10, A: 0xff})
			}
		}
	}
	path := filepath.Join(dir, "office-seal.png")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestConsortiumInitNotaryOffice: consortium init writes a notary member's
// office, short name and seal into its [notary] table and names its notary
// in the document-signing certificate, so its numbers read
// （2026）浙杭钱证字第N号; bad notary flags are refused.
func TestConsortiumInitNotaryOffice(t *testing.T) {
	dir := t.TempDir()
	seal := writeSeal(t, dir)
	out := filepath.Join(dir, "consortium")
	args := []string{"consortium", "init", "--out", out, "--org", "court:Hangzhou Internet Court", "--org", "notary:Qiantang Notary Office",
		"--notary-office", "浙江省杭州市钱塘公证处", "--notary-abbrev", "浙杭钱", "--notary-name", "张三", "--seal", seal}
	if o, err := runCustos(t, args...); err != nil {
		t.Fatalf("consortium init: %v\n%s", err, o)
	}
	member := filepath.Join(out, "qiantang-notary-office")
	cfg, err := loadConfig(filepath.Join(member, "custos.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Notary.Office != "浙江省杭州市钱塘公证处" || cfg.Notary.Abbrev != "浙杭钱" || cfg.Notary.Seal != filepath.Join(member, "seal.png") {
		t.Errorf("[notary] = %+v", cfg.Notary)
	}
	if _, err := loadSeal(cfg.Notary.Seal); err != nil {
		t.Errorf("the copied seal: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(member, "pki", "notary.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if c, err := certs.ParsePEM(b); err != nil || c[0].Subject.CommonName != "张三" {
		t.Errorf("notary.pem: %v, want the notary 张三", err)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "hangzhou-internet-court", "custos.toml")); strings.Contains(string(b), "[notary]") {
		t.Errorf("a court member has a [notary] table")
	}

	notSeal := filepath.Join(dir, "seal.txt")
	os.WriteFile(notSeal, []byte("not an image"), 0o644)
	for name, extra := range map[string][]string{
		"no notary member": {"--org", "court:A Court", "--notary-abbrev", "浙杭"},
		"not an image":     {"--org", "notary:N Office", "--seal", notSeal},
		"which notary":     {"--org", "notary:N Office", "--org", "notary:M Office", "--notary-abbrev", "浙杭"},
		"unknown member":   {"--org", "notary:N Office", "--org", "notary:M Office", "--notary-abbrev", "X Office=浙杭"},
	} {
		args := append([]string{"consortium", "init", "--out", filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))}, extra...)
		if o, err := runCustos(t, args...); err == nil {
			t.Errorf("%s: consortium init succeeded:\n%s", name, o)
		}
	}
	// Several notary members, each named.
	many := []string{"consortium", "init", "--out", filepath.Join(dir, "two"), "--org", "notary:N Office", "--org", "notary:M Office",
		"--notary-abbrev", "N Office=浙杭", "--notary-abbrev", "M Office=京东"}
	if o, err := runCustos(t, many...); err != nil {
		t.Fatalf("two notary members: %v\n%s", err, o)
	}
	for slug, want := range map[string]string{"n-office": "浙杭", "m-office": "京东"} {
		if cfg, err := loadConfig(filepath.Join(dir, "two", slug, "custos.toml")); err != nil || cfg.Notary.Abbrev != want {
			t.Errorf("%s: abbrev %q (%v), want %q", slug, cfg.Notary.Abbrev, err, want)
		}
	}
}

// TestConfigSeal: [notary] seal is read relative to the config file, and
// one that is missing or not an image stops the config from loading,
// naming the key.
func TestConfigSeal(t *testing.T) {
	dir := t.TempDir()
	writeSeal(t, dir)
	writeFile(t, dir, "seal.txt", []byte("not an image"))
	for seal, ok := range map[string]bool{"office-seal.png": true, "seal.txt": false, "missing.png": false} {
		path := writeFile(t, dir, "custos.toml", []byte("org = \"Office\"\n[notary]\nseal = \""+seal+"\"\n"))
		cfg, err := loadConfig(path)
		switch {
		case ok && (err != nil || cfg.Notary.Seal != filepath.Join(dir, seal)):
			t.Errorf("seal %s: %v, %q", seal, err, cfg.Notary.Seal)
		case !ok && (err == nil || !strings.Contains(err.Error(), "notary.seal")):
			t.Errorf("seal %s: loadConfig = %v, want an error naming notary.seal", seal, err)
		}
	}
}
