package document

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// screenshotDir holds the pictures of the certificates that docs/api.md
// shows.
const screenshotDir = "../../docs/images"

// screenshots are the pages docs/api.md shows: the file, the document and
// its page.
var screenshots = []struct {
	file, doc string
	page      int
}{
	{"certificate-page1.png", "notarial", 1},
	{"certificate-annex.png", "notarial", 2},
	{"registration-certificate.png", "registration", 1},
}

// maxScreenshot bounds a screenshot's size, so that docs stay light.
const maxScreenshot = 300 << 10

// TestScreenshots checks the screenshots of docs/images: PNG pictures of
// A4 pages, each under 300 KB, each shown by docs/api.md. With
// CUSTOS_UPDATE_SCREENSHOTS=1 (`make screenshots`) it first renders them
// again from the page tests' sample documents (Chinese), signed, with
// pdftoppm at 72 dpi.
func TestScreenshots(t *testing.T) {
	if os.Getenv("CUSTOS_UPDATE_SCREENSHOTS") == "1" {
		renderScreenshots(t)
	}
	docs, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range screenshots {
		path := filepath.Join(screenshotDir, s.file)
		f, err := os.Open(path)
		if err != nil {
			t.Fatalf("%v (render it with `make screenshots`)", err)
		}
		info, err := f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if ratio := float64(cfg.Height) / float64(cfg.Width); info.Size() > maxScreenshot || ratio < 1.40 || ratio > 1.43 || cfg.Width < 500 {
			t.Errorf("%s: %d bytes, %d×%d px; want an A4 page at least 500 px wide in at most %d bytes", path, info.Size(), cfg.Width, cfg.Height, maxScreenshot)
		}
		if !strings.Contains(string(docs), "(images/"+s.file+")") {
			t.Errorf("docs/api.md does not show images/%s", s.file)
		}
	}
}

// renderScreenshots signs the sample documents and renders their pages
// into docs/images.
func renderScreenshots(t *testing.T) {
	need(t, "pdftoppm")
	is, n := sampleNotarial(t)
	notarial, err := is.Notarial(t.Context(), n)
	if err != nil {
		t.Fatal(err)
	}
	is, c, issued := sampleCopyright(t, "zh")
	registration, err := is.CopyrightCertificate(t.Context(), c, issued)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	files := map[string]string{"notarial": filepath.Join(tmp, "notarial.pdf"), "registration": filepath.Join(tmp, "registration.pdf")}
	for doc, b := range map[string][]byte{"notarial": notarial, "registration": registration} {
		if err := os.WriteFile(files[doc], b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range screenshots {
		page := string(rune('0' + s.page))
		out := filepath.Join(screenshotDir, strings.TrimSuffix(s.file, ".png"))
		run(t, "pdftoppm", "-r", "72", "-png", "-singlefile", "-f", page, "-l", page, files[s.doc], out)
	}
}
