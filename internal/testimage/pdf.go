package testimage

import (
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// PDFPage renders one page (from 1) of the PDF file at dpi with poppler's
// pdftoppm, given pdftoppm's further options opts (such as
// "-hide-annotations").
func PDFPage(t testing.TB, file string, page, dpi int, opts ...string) image.Image {
	t.Helper()
	prefix := filepath.Join(t.TempDir(), "page")
	p := strconv.Itoa(page)
	args := append(opts, "-r", strconv.Itoa(dpi), "-png", "-singlefile", "-f", p, "-l", p, file, prefix)
	if out, err := exec.Command("pdftoppm", args...).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	f, err := os.Open(prefix + ".png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// SealRed counts the pixels of img inside r that have the bright red of
// an office's seal: not the darker red of a heading, nor a pale tint.
func SealRed(img image.Image, r image.Rectangle) int {
	n := 0
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if cr>>8 > 180 && cr>>8 > cg>>8+120 && cb>>8 < 110 {
				n++
			}
		}
	}
	return n
}
