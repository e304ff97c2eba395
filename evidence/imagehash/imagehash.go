// Package imagehash computes a perceptual hash of an image: 64 bits that
// stay nearly the same when the image is resized, re-encoded or slightly
// retouched, so that copies of a registered image can be found by the
// Hamming distance between hashes.
//
// The hash is the DCT hash ("pHash"): the image is reduced to a 32×32
// grey-scale thumbnail by area averaging, transformed by a 2-D DCT-II, and
// the 8×8 lowest-frequency coefficients (the DC term left out) are
// compared with their median, one bit each. It was chosen over the
// difference hash (dHash) because it rests on the low frequencies of the
// whole image: resizing and JPEG quantization change mostly high
// frequencies, so they move few bits, while dHash compares neighbouring
// pixels of a 9×8 thumbnail and flips bits wherever a gradient is near
// flat. The cost is one 32×32 DCT per image, negligible beside decoding.
//
// Decoding is of outside input: [Sum] reads the header first and refuses,
// before allocating anything for it, an image of more than [MaxPixels]
// pixels, one whose decoding would allocate more than [MaxDecodedBytes]
// (see [DecodedBytes]), and a JPEG of more scans than [MaxJPEGScans] (or,
// sequential, than its components), each of which costs a pass over the
// whole image.
package imagehash

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // register the GIF decoder
	_ "image/jpeg" // register the JPEG decoder
	_ "image/png"  // register the PNG decoder
	"math"
	"math/bits"
	"slices"
)

// Hash is a 64-bit perceptual hash.
type Hash uint64

// Threshold is the largest Hamming distance at which two hashes are taken
// for the same picture. On the DCT hash, resized and re-encoded copies
// measure 0–6 and unrelated photographs 20–40 (32 on average, as for
// random bits); 10 leaves room for light edits (a re-crop of a few
// percent, a watermark) while keeping the false-match rate of unrelated
// images small. Search results carry the distance, so a reader can judge.
const Threshold = 10

// MaxPixels bounds the images Sum decodes: 40 million pixels (for example
// 8000×5000). It bounds the time the thumbnail takes (every pixel is read
// once); MaxDecodedBytes bounds the memory.
const MaxPixels = 40_000_000

// MaxDecodedBytes bounds what decoding one image may allocate, as
// DecodedBytes reckons it: 64 MiB. That admits a 40-megapixel baseline
// JPEG (4:2:0), a 16-megapixel 8-bit RGB(A) PNG, an 8-megapixel 16-bit
// PNG and an 8-megapixel progressive JPEG (4:2:0); larger images get no
// perceptual hash.
const MaxDecodedBytes = 64 << 20

// Errors.
var (
	// ErrNotImage means the bytes are not a PNG, JPEG or GIF image.
	ErrNotImage = errors.New("imagehash: not a PNG, JPEG or GIF image")
	// ErrTooLarge means the image has more than MaxPixels pixels, or its
	// decoding would allocate more than MaxDecodedBytes.
	ErrTooLarge = errors.New("imagehash: image too large")
	// ErrFlat means the image has next to no contrast at low frequencies
	// (a solid colour, or close to it): its hash would be rounding noise,
	// far from a resized copy and near unrelated flat images, so it has
	// none.
	ErrFlat = errors.New("imagehash: image too flat for a perceptual hash")
)

// Distance is the number of bits in which a and b differ (0 to 64).
func Distance(a, b Hash) int { return bits.OnesCount64(uint64(a ^ b)) }

// String formats h as 16 lowercase hex digits.
func (h Hash) String() string { return fmt.Sprintf("%016x", uint64(h)) }

// Sum decodes a PNG, JPEG or GIF image (the first frame of a GIF) and
// returns its hash. It reads the header first and refuses with ErrTooLarge
// an image of more than MaxPixels pixels, one whose decoding would
// allocate more than MaxDecodedBytes, and a JPEG of more scans than it
// may have (MaxJPEGScans; jpegScans). A flat image has no hash: ErrFlat.
func Sum(b []byte) (Hash, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrNotImage, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return 0, fmt.Errorf("%w: %d×%d pixels", ErrNotImage, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return 0, fmt.Errorf("%w: %d×%d pixels, over %d", ErrTooLarge, cfg.Width, cfg.Height, MaxPixels)
	}
	n, err := DecodedBytes(b, cfg, format)
	if err != nil {
		return 0, err
	}
	if n > MaxDecodedBytes {
		return 0, fmt.Errorf("%w: %d×%d pixels take %d bytes to decode, over %d", ErrTooLarge, cfg.Width, cfg.Height, n, MaxDecodedBytes)
	}
	if format == "jpeg" {
		if err := jpegScans(b); err != nil {
			return 0, err
		}
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrNotImage, err)
	}
	return Of(img)
}

// side is the thumbnail's side; low is the side of the block of
// coefficients kept.
const (
	side = 32
	low  = 8
)

// minACRMS is the least root mean square of the 63 AC coefficients kept
// for an image to have a hash: about 1.5 grey levels of contrast across
// the thumbnail (a ramp over 3 levels measures 73; photographs measure in
// the thousands). Below it the coefficients are rounding noise.
const minACRMS = 32

// Of returns the hash of a decoded image, or ErrFlat for an image with
// next to no contrast.
func Of(img image.Image) (Hash, error) {
	g := thumbnail(img)
	c := dct2(g)
	coef := make([]float64, 0, low*low)
	for v := range low {
		for u := range low {
			coef = append(coef, c[v][u])
		}
	}
	var energy float64
	for _, x := range coef[1:] {
		energy += x * x
	}
	if math.Sqrt(energy/float64(len(coef)-1)) < minACRMS {
		return 0, ErrFlat
	}
	med := median(coef[1:]) // the DC term is the mean brightness: left out of the median
	var h Hash
	for i, x := range coef {
		if x > med {
			h |= 1 << (63 - i)
		}
	}
	return h, nil
}

// thumbnail reduces img to side×side grey levels (ITU-R BT.601 luma,
// 0–255), each the average of the source pixels its cell covers, weighted
// by the area of overlap.
func thumbnail(img image.Image) *[side][side]float64 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	luma := lumaFunc(img)
	var sum, weight [side][side]float64
	for y := range h {
		ay, zy := cellSpan(y, h)
		for x := range w {
			l := luma(b.Min.X+x, b.Min.Y+y)
			ax, zx := cellSpan(x, w)
			for ty := int(ay); ty < side && float64(ty) < zy; ty++ {
				wy := min(zy, float64(ty+1)) - max(ay, float64(ty))
				for tx := int(ax); tx < side && float64(tx) < zx; tx++ {
					wt := wy * (min(zx, float64(tx+1)) - max(ax, float64(tx)))
					sum[ty][tx] += wt * l
					weight[ty][tx] += wt
				}
			}
		}
	}
	var out [side][side]float64
	for y := range side {
		for x := range side {
			if weight[y][x] > 0 {
				out[y][x] = sum[y][x] / weight[y][x]
			}
		}
	}
	return &out
}

// cellSpan is the extent of source pixel i of n in thumbnail cells.
func cellSpan(i, n int) (a, z float64) {
	return float64(i) * side / float64(n), float64(i+1) * side / float64(n)
}

// lumaFunc returns the grey level of a pixel, reading the luma plane
// directly for JPEG's Y′CbCr and grey images. For the other pixel types
// it computes exactly what img.At(x, y).RGBA() would give, without boxing
// every pixel in an interface.
func lumaFunc(img image.Image) func(x, y int) float64 {
	switch m := img.(type) {
	case *image.YCbCr:
		return func(x, y int) float64 { return float64(m.Y[m.YOffset(x, y)]) }
	case *image.Gray:
		return func(x, y int) float64 { return float64(m.Pix[m.PixOffset(x, y)]) }
	case *image.RGBA:
		return func(x, y int) float64 { return luma(m.RGBAAt(x, y).RGBA()) }
	case *image.NRGBA:
		return func(x, y int) float64 { return luma(m.NRGBAAt(x, y).RGBA()) }
	case *image.RGBA64:
		return func(x, y int) float64 { return luma(m.RGBA64At(x, y).RGBA()) }
	case *image.NRGBA64:
		return func(x, y int) float64 { return luma(m.NRGBA64At(x, y).RGBA()) }
	case *image.Gray16:
		return func(x, y int) float64 { return luma(m.Gray16At(x, y).RGBA()) }
	case *image.CMYK:
		return func(x, y int) float64 { return luma(m.CMYKAt(x, y).RGBA()) }
	case *image.Paletted:
		pal := make([]float64, len(m.Palette))
		for i, c := range m.Palette {
			pal[i] = luma(c.RGBA())
		}
		return func(x, y int) float64 {
			if i := int(m.ColorIndexAt(x, y)); i < len(pal) {
				return pal[i]
			}
			return 0 // At gives transparent black for an index past the palette
		}
	}
	return func(x, y int) float64 { return luma(img.At(x, y).RGBA()) }
}

// luma is the ITU-R BT.601 luma (0–255) of 16-bit colour components.
func luma(r, g, b, _ uint32) float64 {
	return (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)) / 257
}

// dct2 is the 2-D DCT-II of the thumbnail (unnormalized: only the order of
// coefficients matters).
func dct2(g *[side][side]float64) *[side][side]float64 {
	var tmp, out [side][side]float64
	for y := range side {
		for u := range low {
			var s float64
			for x := range side {
				s += g[y][x] * cosTable[u][x]
			}
			tmp[y][u] = s
		}
	}
	for u := range low {
		for v := range low {
			var s float64
			for y := range side {
				s += tmp[y][u] * cosTable[v][y]
			}
			out[v][u] = s
		}
	}
	return &out
}

var cosTable = func() (t [low][side]float64) {
	for u := range low {
		for x := range side {
			t[u][x] = math.Cos(float64(2*x+1) * float64(u) * math.Pi / (2 * side))
		}
	}
	return t
}()

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
