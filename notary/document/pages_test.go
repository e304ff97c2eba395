package document

import (
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/internal/testimage"
	"github.com/custos-project/custos/notary/pdf"
)

// need skips without the poppler tools, unless CUSTOS_REQUIRE_INTEGRATION=1.
func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CUSTOS_REQUIRE_INTEGRATION") == "1" {
				t.Fatal(err)
			}
			t.Skipf("%s not installed (Debian poppler-utils): %v", tool, err)
		}
	}
}

// run runs a poppler tool and returns its output.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// pageImage renders one page at 50 dpi, with pdftoppm's options opts.
func pageImage(t *testing.T, file string, page int, opts ...string) image.Image {
	t.Helper()
	return testimage.PDFPage(t, file, page, 50, opts...)
}

// redIn counts the seal-red pixels of img inside rect (PDF points, origin
// bottom left) of a page pageH points high, rendered at 50 dpi.
func redIn(img image.Image, rect [4]float64, pageH float64) int {
	const scale = 50.0 / 72
	return testimage.SealRed(img, image.Rect(int(rect[0]*scale), int((pageH-rect[3])*scale), int(rect[2]*scale), int((pageH-rect[1])*scale)))
}

// pageOf is the page pdfimages lists the first image on.
func pageOf(t *testing.T, file string) int {
	t.Helper()
	lines := strings.Split(run(t, "pdfimages", "-list", file), "\n")
	if len(lines) < 3 {
		t.Fatalf("pdfimages -list %s: no image", file)
	}
	p, err := strconv.Atoi(strings.Fields(lines[2])[0])
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var hexFragment = regexp.MustCompile(`^[0-9a-f]{1,15}$`)

// signedPages lays doc out (for the seal's placement), signs it with sign,
// writes it (to the file keepEnv names, if set), checks it with pdfsig and
// that every page says 第n页 共N页 (or its doc.PageLabel), and returns the file, each page's text
// (pdftotext -layout) and the seal's placement.
func signedPages(t *testing.T, is *Issuer, doc *pdf.Document, sign func() ([]byte, error), keepEnv string) (string, []string, *pdf.Placement) {
	t.Helper()
	_, seal, err := is.Renderer.Layout(doc)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := sign()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "document.pdf")
	if keep := os.Getenv(keepEnv); keep != "" {
		file = keep
	}
	if err := os.WriteFile(file, signed, 0o644); err != nil {
		t.Fatal(err)
	}
	if out := run(t, "pdfsig", file); !strings.Contains(out, "Signature is Valid") {
		t.Errorf("pdfsig: %s", out)
	}
	pages := strings.Split(run(t, "pdftotext", "-layout", file, "-"), "\f")
	pages = pages[:len(pages)-1] // the text after the last form feed
	label := doc.PageLabel
	if label == nil {
		label = func(p, n int) string { return "第" + strconv.Itoa(p) + "页 共" + strconv.Itoa(n) + "页" }
	}
	for i, p := range pages {
		if want := label(i+1, len(pages)); !strings.Contains(p, want) {
			t.Errorf("page %d does not say %q", i+1, want)
		}
	}
	if seal == nil || seal.Page < 1 || seal.Page > len(pages) {
		t.Fatalf("seal placement = %+v in %d pages", seal, len(pages))
	}
	return file, pages, seal
}

// sampleNotarial is the notarial certificate of the page tests and the
// screenshots in docs/images: two items, one with a real receipt, issued
// by a notary office with its short name.
func sampleNotarial(t *testing.T) (*Issuer, *Notarial) {
	t.Helper()
	is, _ := testIssuer(t)
	is.Office, is.Abbrev = "浙江省杭州市钱塘公证处", "浙杭钱"
	second := syntheticItem(t, "bbbbbbbbbbbbbbbbbbbbbbbbbb")
	return is, &Notarial{ID: "abcdefghijklmnopqrstuvwxyz", VerifyToken: "zyxwvutsrqponmlkjihgfedcba", Number: "（2026）浙杭钱证字第123号",
		Applicant: "杭州互联网法院", Matter: "（2026）浙0192民初1号 著作权纠纷", Issued: time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC),
		Items: []Item{testItem(t), second}, Names: map[string]string{"orgaaaaaaaaaaaaaaaaaaaaaaa": "浙江星河律师事务所"}}
}

// sampleCopyright is the registration certificate of the page tests and
// the screenshots, in lang, and its issue time: a photograph of two files.
func sampleCopyright(t *testing.T, lang string) (*Issuer, *Copyright, time.Time) {
	t.Helper()
	is, _ := testIssuer(t)
	is.Office = "浙江省杭州市钱塘公证处"
	second := syntheticItem(t, "bbbbbbbbbbbbbbbbbbbbbbbbbb")
	second.SHA256 = strings.Repeat("0123456789abcdef", 4)
	second.Receipt.Evidence.SHA256 = second.SHA256 // a document states what the receipt proves
	return is, &Copyright{ID: "cccccccccccccccccccccccccc", VerifyToken: "tttttttttttttttttttttttttt", Number: "CUS-(2026)-作登字-M1-000001",
		Title: "西湖晨雾", Type: "image", Authors: []string{"李明", "Jane Doe"}, Owner: "李明", Created: "2025-06-01",
		Published: "2025-07-01", PublishedAt: "杭州", Registrant: "杭州摄影工作室", RegisteredAt: time.Date(2026, 3, 1, 8, 0, 1, 0, time.UTC),
		Items: []Item{syntheticItem(t, "aaaaaaaaaaaaaaaaaaaaaaaaaa"), second}, Lang: lang}, time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)
}

// TestCertificatePages renders a signed notarial certificate of two items
// and checks its pages as a reader sees them: the seal is red where the
// signature's widget is, the QR code's page has its caption, every page is
// numbered "第n页 共N页", custody names the organization, and each digest
// prints in whole groups of 16 digits, never a stray fragment on a line.
// It keeps the PDF when CUSTOS_KEEP_PDF names a file.
func TestCertificatePages(t *testing.T) {
	need(t, "pdftoppm", "pdftotext", "pdfimages", "pdfsig")
	is, n := sampleNotarial(t)
	doc, err := is.notarialDocument(n)
	if err != nil {
		t.Fatal(err)
	}
	file, pages, seal := signedPages(t, is, doc, func() ([]byte, error) { return is.Notarial(t.Context(), n) }, "CUSTOS_KEEP_PDF")
	if len(pages) < 2 {
		t.Fatalf("%d pages, want the certificate and its annex", len(pages))
	}

	// The seal: red under the signature's widget, on the page of the date.
	if !strings.Contains(pages[seal.Page-1], "二〇二六年十二月六日") || !strings.Contains(pages[seal.Page-1], "公证员") {
		t.Errorf("the seal's page %d does not hold the date and the notary", seal.Page)
	}
	img := pageImage(t, file, seal.Page)
	r := seal.Rect
	around := [4]float64{r[0] - 3, r[1] - 3, r[2] + 3, r[3] + 3} // a pixel's rounding at 50 dpi
	in, page := redIn(img, r, 841.89), redIn(img, [4]float64{0, 0, 595.28, 841.89}, 841.89)
	if out := page - redIn(img, around, 841.89); in < 200 || out > 10 {
		t.Errorf("%d red pixels under the signature widget on page %d, %d elsewhere: want the seal there, and only there", in, seal.Page, out)
	}
	// The seal is the signature's appearance: without annotations, the page has none.
	if bare := redIn(pageImage(t, file, seal.Page, "-hide-annotations"), around, 841.89); bare > 10 {
		t.Errorf("%d red pixels under the widget with annotations hidden: the seal is printed on the page, not by the signature", bare)
	}

	// The QR code with its caption.
	if q := pageOf(t, file); !strings.Contains(pages[q-1], "扫描二维码") {
		t.Errorf("the QR code's page %d has no caption", q)
	}

	// The annex: names, and digests in whole groups.
	all := strings.Join(pages, "\n")
	if !strings.Contains(all, "浙江星河律师事务所：存证 filed") || strings.Contains(all, "orgaaaaaaaaaaaaaaaaaaaaaaa") {
		t.Errorf("custody does not name the organization:\n%s", all)
	}
	for _, it := range n.Items {
		for _, d := range []string{it.SHA256, it.SM3} {
			for i := 0; i+16 <= len(d); i += 16 {
				if !regexp.MustCompile(`(^|\s)` + d[i:i+16] + `(\s|$)`).MatchString(all) {
					t.Errorf("digest group %s of %s is not printed whole", d[i:i+16], d)
				}
			}
		}
	}
	for _, line := range strings.Split(all, "\n") {
		f := strings.Fields(line)
		if len(f) == 1 && hexFragment.MatchString(f[0]) {
			t.Errorf("a line holds a lone digest fragment: %q", line)
		}
	}
}

// TestRegistrationPages renders a signed registration certificate in
// Chinese and in English and checks its first page as a reader sees it:
// the number as the chain issued it, the particulars, the registration
// date in words, the files' fingerprints in whole groups, the QR code
// beside its caption, the date and the office under the seal, which is red
// under the signature's widget and only there as its appearance; and
// every page numbered. It keeps the Chinese PDF when
// CUSTOS_KEEP_REGISTRATION_PDF names a file.
func TestRegistrationPages(t *testing.T) {
	need(t, "pdftoppm", "pdftotext", "pdfimages", "pdfsig")
	for _, c := range []struct {
		lang, keep string
		want       []string
	}{
		{"zh", "CUSTOS_KEEP_REGISTRATION_PDF", []string{"作品登记证书", "登记号：CUS-(2026)-作登字-M1-000001", "作品名称：", "西湖晨雾",
			"美术、摄影作品", "李明、Jane Doe", "2025年6月1日", "2025年7月1日，杭州", "二〇二六年三月一日（2026-03-01 16:00:01 北京时间）",
			"文件2 SHA-256：", "兹证明", "二〇二六年十二月六日"}},
		{"en", "CUSTOS_KEEP_REGISTRATION_EN_PDF", []string{"Certificate of Copyright Registration", "No. CUS-(2026)-作登字-M1-000001", "Title:", "西湖晨雾",
			"Artistic or photographic work", "李明, Jane Doe", "1 June 2025", "1 July 2025, 杭州", "1 March 2026 (2026-03-01 16:00:01 China Standard Time)",
			"File 2 SHA-256:", "This certifies", "6 December 2026"}},
	} {
		t.Run(c.lang, func(t *testing.T) {
			is, cr, issued := sampleCopyright(t, c.lang)
			second := cr.Items[1]
			doc, err := is.CopyrightDocument(cr, issued)
			if err != nil {
				t.Fatal(err)
			}
			file, pages, seal := signedPages(t, is, doc, func() ([]byte, error) { return is.CopyrightCertificate(t.Context(), cr, issued) }, c.keep)
			flat := strings.Join(strings.Fields(pages[0]), " ")
			for _, w := range c.want {
				if !strings.Contains(flat, strings.Join(strings.Fields(w), " ")) {
					t.Errorf("page 1 does not say %q:\n%s", w, pages[0])
				}
			}
			for i := 0; i < 64; i += 16 {
				if !regexp.MustCompile(`(^|\s)` + second.SHA256[i:i+16] + `(\s|$)`).MatchString(pages[0]) {
					t.Errorf("page 1 does not print fingerprint group %s whole", second.SHA256[i:i+16])
				}
			}
			if seal.Page != 1 {
				t.Errorf("the seal is on page %d, want the first with the particulars", seal.Page)
			}
			r := seal.Rect
			around := [4]float64{r[0] - 3, r[1] - 3, r[2] + 3, r[3] + 3}
			if red := redIn(pageImage(t, file, seal.Page), r, 841.89); red < 200 {
				t.Errorf("%d red pixels under the signature widget, want the seal", red)
			}
			if bare := redIn(pageImage(t, file, seal.Page, "-hide-annotations"), around, 841.89); bare > 10 {
				t.Errorf("%d red pixels under the widget with annotations hidden, want the seal only as the signature's appearance", bare)
			}
			if q := pageOf(t, file); q != 1 || !strings.Contains(pages[0], "扫描二维码") {
				t.Errorf("the QR code is on page %d, want page 1 beside its caption", q)
			}
		})
	}
}

// TestConfiguredSeal: a configured seal image prints under the signature's
// widget in place of the drawn one (here a red square, which the drawn
// seal never fills: its corners are red).
func TestConfiguredSeal(t *testing.T) {
	need(t, "pdftoppm")
	is, _ := testIssuer(t)
	square := image.NewNRGBA(image.Rect(0, 0, 96, 96))
	for i := 0; i < len(square.Pix); i += 4 {
		copy(square.Pix[i:], []byte{0xd0, 0x10, 0x10, 0xff})
	}
	is.Seal = square
	n := &Notarial{ID: "abcdefghijklmnopqrstuvwxyz", VerifyToken: "zyxwvutsrqponmlkjihgfedcba", Number: "（2026）浙杭证字第1号",
		Applicant: "杭州互联网法院", Issued: time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC), Items: []Item{testItem(t)}}
	doc, err := is.notarialDocument(n)
	if err != nil {
		t.Fatal(err)
	}
	_, seal, err := is.Renderer.Layout(doc)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := is.Notarial(t.Context(), n)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "c.pdf")
	if err := os.WriteFile(file, signed, 0o644); err != nil {
		t.Fatal(err)
	}
	img := pageImage(t, file, seal.Page)
	r := seal.Rect
	corner := [4]float64{r[0] + 4, r[3] - 16, r[0] + 16, r[3] - 4} // the top left corner
	if red := redIn(img, corner, 841.89); red < 30 {
		t.Errorf("%d red pixels in the seal's corner, want the configured square seal", red)
	}
}
