package imagehash

import (
	"bytes"
	"errors"
	"image"
	"image/gif"
	"testing"

	"github.com/custos-project/custos/internal/testimage"
)

// TestCopies: a resized, re-encoded copy of a picture is within
// Threshold of the original; unrelated pictures are far from it.
func TestCopies(t *testing.T) {
	orig := testimage.Scene(1, 480, 360)
	h0, err := Sum(testimage.PNG(orig))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"jpeg q90", testimage.JPEG(orig, 90)},
		{"half size, jpeg q70", testimage.JPEG(testimage.Resize(orig, 240, 180), 70)},
		{"thumbnail 120x90, jpeg q50", testimage.JPEG(testimage.Resize(orig, 120, 90), 50)},
		{"upscaled 720x540 png", testimage.PNG(testimage.Resize(orig, 720, 540))},
		{"squashed 400x360, jpeg q75", testimage.JPEG(testimage.Resize(orig, 400, 360), 75)},
		{"gif", gifOf(t, orig)},
	} {
		h, err := Sum(tc.b)
		if err != nil {
			t.Fatalf("%s: Sum = %v", tc.name, err)
		}
		if d := Distance(h0, h); d > Threshold {
			t.Errorf("%s: Distance(orig, copy) = %d, want ≤ %d", tc.name, d, Threshold)
		} else {
			t.Logf("%s: distance %d", tc.name, d)
		}
	}
	for seed := uint64(2); seed < 12; seed++ {
		h, err := Sum(testimage.JPEG(testimage.Scene(seed, 240, 180), 85))
		if err != nil {
			t.Fatal(err)
		}
		d := Distance(h0, h)
		t.Logf("unrelated scene %d: distance %d", seed, d)
		if d <= Threshold+4 {
			t.Errorf("unrelated scene %d: Distance = %d, want > %d", seed, d, Threshold+4)
		}
	}
}

func gifOf(t *testing.T, img image.Image) []byte {
	var b bytes.Buffer
	if err := gif.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b Hash
		want int
	}{{0, 0, 0}, {0, ^Hash(0), 64}, {0b1011, 0b0001, 2}} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%v, %v) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestRefuses(t *testing.T) {
	// A GIF whose header declares 65535×65535 pixels: refused before any
	// pixel is allocated.
	var small bytes.Buffer
	if err := gif.Encode(&small, image.NewGray(image.Rect(0, 0, 1, 1)), nil); err != nil {
		t.Fatal(err)
	}
	big := bytes.Clone(small.Bytes())
	big[6], big[7], big[8], big[9] = 0xff, 0xff, 0xff, 0xff // logical screen width and height
	if _, err := Sum(big); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Sum(65535×65535 header) = %v, want ErrTooLarge", err)
	}
	if _, err := Sum([]byte("%PDF-1.7 not an image")); !errors.Is(err, ErrNotImage) {
		t.Errorf("Sum(PDF) = %v, want ErrNotImage", err)
	}
}

// FuzzSum: any bytes give a hash or an error, never a panic or a huge
// allocation.
func FuzzSum(f *testing.F) {
	img := testimage.Scene(7, 64, 48)
	f.Add(testimage.PNG(img))
	f.Add(testimage.JPEG(img, 80))
	var g bytes.Buffer
	if err := gif.Encode(&g, img, nil); err != nil {
		f.Fatal(err)
	}
	f.Add(g.Bytes())
	f.Add([]byte("GIF89a"))
	f.Add([]byte{0xff, 0xd8, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := Sum(b)
		if err == nil {
			h2, _ := Sum(b)
			if h != h2 {
				t.Fatalf("Sum is not deterministic: %v, %v", h, h2)
			}
		}
	})
}

// TestFlat: solid and near-solid images have no hash (their bits would be
// noise: solid white at two sizes measured 20–24 bits apart), while a
// gentle but visible ramp has one.
func TestFlat(t *testing.T) {
	fill := func(w, h int, g func(x, y int) uint8) image.Image {
		m := image.NewGray(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				m.Pix[y*m.Stride+x] = g(x, y)
			}
		}
		return m
	}
	for _, tc := range []struct {
		name string
		img  image.Image
		flat bool
	}{
		{"white 100×77", fill(100, 77, func(int, int) uint8 { return 255 }), true},
		{"white 333×501", fill(333, 501, func(int, int) uint8 { return 255 }), true},
		{"black", fill(64, 64, func(int, int) uint8 { return 0 }), true},
		{"one grey level of noise", fill(200, 150, func(x, y int) uint8 { return uint8(128 + (x*7+y*13)%2) }), true},
		{"ramp over 10 levels", fill(400, 300, func(x, _ int) uint8 { return uint8(120 + 10*x/400) }), false},
		{"photograph", testimage.Scene(1, 480, 360), false},
	} {
		_, err := Sum(testimage.PNG(tc.img))
		if got := errors.Is(err, ErrFlat); got != tc.flat {
			t.Errorf("%s: Sum = %v, want ErrFlat %v", tc.name, err, tc.flat)
		}
	}
}
