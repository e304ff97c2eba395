package imagehash

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/jpeg"
	"image/png"
	"runtime"
	"testing"

	"github.com/custos-project/custos/internal/testimage"
)

// pngHeader is a PNG of img whose IHDR is rewritten to declare w×h pixels
// and the interlace method (with a correct CRC), so that DecodeConfig
// accepts it; its pixel data stays that of img.
func pngHeader(t *testing.T, img image.Image, w, h int, interlace byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	binary.BigEndian.PutUint32(b[16:], uint32(w))
	binary.BigEndian.PutUint32(b[20:], uint32(h))
	b[28] = interlace
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// jpegHeader is a JPEG of img (Go writes baseline 4:2:0, or grey) whose
// frame header is rewritten to declare w×h pixels and, if progressive,
// SOF2.
func jpegHeader(t *testing.T, img image.Image, w, h int, progressive bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	i := bytes.Index(b, []byte{0xff, 0xc0})
	if i < 0 {
		t.Fatal("no SOF0")
	}
	if progressive {
		b[i+1] = 0xc2
	}
	binary.BigEndian.PutUint16(b[i+5:], uint16(h))
	binary.BigEndian.PutUint16(b[i+7:], uint16(w))
	return b
}

func TestDecodedBytes(t *testing.T) {
	rgba64 := image.NewRGBA64(image.Rect(0, 0, 1, 1))
	rgba := image.NewRGBA(image.Rect(0, 0, 1, 1))
	pal := image.NewPaletted(image.Rect(0, 0, 1, 1), palette.Plan9)
	gray := image.NewGray(image.Rect(0, 0, 16, 16))
	photo := testimage.Scene(3, 32, 32)
	for _, tc := range []struct {
		name string
		b    []byte
		want int64
	}{
		{"png 16-bit RGBA 8000×5000", pngHeader(t, rgba64, 8000, 5000, 0), 8000 * 5000 * 8},
		{"png 8-bit RGBA 4000×3000", pngHeader(t, rgba, 4000, 3000, 0), 4000 * 3000 * 4},
		{"png 8-bit RGBA 4000×3000 interlaced", pngHeader(t, rgba, 4000, 3000, 1), 4000 * 3000 * 8},
		{"png paletted 4000×3000", pngHeader(t, pal, 4000, 3000, 0), 4000 * 3000},
		// 4:2:0: MCUs of 16×16; Y 1 byte a pixel, Cb and Cr a quarter each.
		{"jpeg baseline 4:2:0 6000×4000", jpegHeader(t, photo, 6000, 4000, false), 6000 * 4000 * 3 / 2},
		{"jpeg progressive 4:2:0 6000×4000", jpegHeader(t, photo, 6000, 4000, true), 6000 * 4000 * 3 / 2 * 5},
		{"jpeg grey 1000×1000 (padded to 1000×1000)", jpegHeader(t, gray, 1000, 1000, false), 1000 * 1000},
		{"jpeg grey 1001×1001 (padded to 1008×1008)", jpegHeader(t, gray, 1001, 1001, false), 1008 * 1008},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, format, err := image.DecodeConfig(bytes.NewReader(tc.b))
			if err != nil {
				t.Fatal(err)
			}
			if got, err := DecodedBytes(tc.b, cfg, format); err != nil || got != tc.want {
				t.Errorf("DecodedBytes = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

// TestSumBoundsMemory: a small PNG that declares 8000×5000 16-bit RGBA
// pixels (320 MB decoded, within MaxPixels) and a progressive JPEG of
// 24 megapixels (180 MB) are refused from their headers, allocating
// next to nothing.
func TestSumBoundsMemory(t *testing.T) {
	for name, b := range map[string][]byte{
		"png 16-bit 8000×5000":     pngHeader(t, image.NewRGBA64(image.Rect(0, 0, 1, 1)), 8000, 5000, 0),
		"jpeg progressive 24 MP":   jpegHeader(t, testimage.Scene(3, 32, 32), 6000, 4000, true),
		"png interlaced 4000×3000": pngHeader(t, image.NewRGBA(image.Rect(0, 0, 1, 1)), 4000, 3000, 1),
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := Sum(b)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: Sum = %v, want ErrTooLarge", name, err)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
			t.Errorf("%s: Sum allocated %d bytes, want under 1 MiB", name, n)
		}
	}
}

// generic hides an image's concrete type, so Of takes the At path.
type generic struct{ image.Image }

// TestLumaFastPaths: the per-type luma readers give exactly the hash that
// the generic At path gives, so hashes stored before them still compare.
func TestLumaFastPaths(t *testing.T) {
	src := testimage.Scene(5, 96, 64)
	r := src.Bounds()
	conv := func(dst interface {
		image.Image
		Set(x, y int, c color.Color)
	}) image.Image {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				c := src.At(x, y)
				if x%7 == 0 { // some translucent pixels
					rr, gg, bb, _ := c.RGBA()
					c = color.NRGBA64{uint16(rr), uint16(gg), uint16(bb), 0x8000}
				}
				dst.Set(x, y, c)
			}
		}
		return dst
	}
	for name, img := range map[string]image.Image{
		"RGBA":     conv(image.NewRGBA(r)),
		"NRGBA":    conv(image.NewNRGBA(r)),
		"RGBA64":   conv(image.NewRGBA64(r)),
		"NRGBA64":  conv(image.NewNRGBA64(r)),
		"Gray16":   conv(image.NewGray16(r)),
		"CMYK":     conv(image.NewCMYK(r)),
		"Paletted": conv(image.NewPaletted(r, palette.WebSafe)),
	} {
		got, err1 := Of(img)
		want, err2 := Of(generic{img})
		if got != want || err1 != nil || err2 != nil {
			t.Errorf("%s: Of = %v, %v; want %v, %v (the At path)", name, got, err1, want, err2)
		}
	}
}

// TestSumBoundsScans: a progressive JPEG of more than MaxJPEGScans scans,
// or a sequential one of more scans than components, is refused before
// decoding (ErrTooLarge): each scan is a pass of the decoder over the
// whole image, and scans that end every block at once take a few bytes,
// so 1000 of them (24 KB) cost 1.5 s and the 8 MiB of a search would cost
// minutes. An ordinary scan count decodes.
func TestSumBoundsScans(t *testing.T) {
	for _, c := range []struct {
		name    string
		b       []byte
		refused bool
	}{
		{"progressive, 10 scans", testimage.ProgressiveJPEG(640, 9), false},
		{"progressive, MaxJPEGScans", testimage.ProgressiveJPEG(640, MaxJPEGScans-1), false},
		{"progressive, MaxJPEGScans + 1", testimage.ProgressiveJPEG(640, MaxJPEGScans), true},
		{"progressive, 1000 scans", testimage.ProgressiveJPEG(2000, 999), true},
		{"baseline, its one scan", testimage.JPEG(testimage.Scene(1, 64, 48), 90), false},
		{"baseline, its scan twice", baselineScanTwice(t), true},
		// Extraneous bytes before the scans, which image/jpeg skips: a walk
		// that took 0x42 for a marker would jump 32 KiB (0x7F7F) past them.
		{"progressive, 1000 scans behind extraneous bytes", withJunk(t, testimage.ProgressiveJPEG(2000, 999), 1), true},
		{"progressive, 1000 scans, extraneous bytes before each", withJunk(t, testimage.ProgressiveJPEG(2000, 999), -1), true},
		{"progressive, 10 scans behind extraneous bytes", withJunk(t, testimage.ProgressiveJPEG(640, 9), 1), false},
	} {
		_, err := Sum(c.b)
		if refused := errors.Is(err, ErrTooLarge); refused != c.refused {
			t.Errorf("Sum(%s) = %v; want refused (ErrTooLarge) %v", c.name, err, c.refused)
		}
	}
}

// withJunk puts 0x42 0x7F 0x7F, extraneous data image/jpeg skips, before
// the first n scans (SOS markers) of the JPEG b, or before every one if n
// is negative.
func withJunk(t *testing.T, b []byte, n int) []byte {
	t.Helper()
	sos := []byte{0xff, 0xda}
	var out []byte
	for k := 0; n < 0 || k < n; k++ {
		i := bytes.Index(b, sos)
		if i < 0 {
			break
		}
		out = append(append(out, b[:i]...), 0x42, 0x7f, 0x7f, 0xff, 0xda)
		b = b[i+2:]
	}
	if out == nil {
		t.Fatal("no SOS")
	}
	return append(out, b...)
}

// baselineScanTwice is a baseline JPEG (Go's, one interleaved scan of its
// three components) whose scan, header and data, comes twice.
func baselineScanTwice(t *testing.T) []byte {
	t.Helper()
	b := testimage.JPEG(testimage.Scene(1, 64, 48), 90)
	i := bytes.Index(b, []byte{0xff, 0xda})
	if i < 0 || !bytes.HasSuffix(b, []byte{0xff, 0xd9}) {
		t.Fatal("no SOS or EOI")
	}
	scan := b[i : len(b)-2]
	return append(append(bytes.Clone(b[:len(b)-2]), scan...), 0xff, 0xd9)
}
