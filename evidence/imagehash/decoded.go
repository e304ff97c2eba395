package imagehash

import (
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
)

// DecodedBytes reckons, from the image's header, how many bytes Go's
// decoder of its format allocates to decode it: not the pixel count, as
// decoders allocate by bit depth and layout. cfg and format are what
// image.DecodeConfig returned for b. The figures follow image/png,
// image/jpeg and image/gif, rounded up:
//
//   - PNG: 1 byte a pixel for a paletted image, 8 for 16-bit depths, 4
//     otherwise (a grey image with a tRNS chunk decodes to NRGBA, which
//     the header does not tell); twice that for an interlaced (Adam7)
//     image, whose passes are decoded apart and then merged.
//   - JPEG: every component's plane at its sampling factors, padded to
//     whole MCUs; for a progressive JPEG also its coefficients, 4 bytes
//     each, which the decoder keeps for the whole image until the last
//     scan; plus 4 bytes a pixel when the planes are converted (CMYK, or
//     RGB rather than Y′CbCr).
//   - GIF: 1 byte a pixel of the logical screen (the first frame lies
//     within it).
func DecodedBytes(b []byte, cfg image.Config, format string) (int64, error) {
	px := int64(cfg.Width) * int64(cfg.Height)
	switch format {
	case "png":
		return pngBytes(b, cfg.ColorModel, px), nil
	case "jpeg":
		return jpegBytes(b)
	case "gif":
		return px, nil
	}
	return 0, fmt.Errorf("%w: format %q", ErrNotImage, format)
}

func pngBytes(b []byte, m color.Model, px int64) int64 {
	var per int64 = 4
	switch m {
	case color.Gray16Model, color.RGBA64Model, color.NRGBA64Model:
		per = 8
	default:
		if _, ok := m.(color.Palette); ok {
			per = 1
		}
	}
	// The IHDR chunk follows the 8-byte signature: length, "IHDR", width,
	// height, bit depth, colour type, compression, filter, interlace.
	if len(b) > 28 && b[28] != 0 {
		per *= 2
	}
	return px * per
}

// jpegBytes reads the frame header (SOF) and the Adobe APP14 segment of a
// JPEG (ITU T.81 §B.2.2) and reckons what image/jpeg allocates for it.
func jpegBytes(b []byte) (int64, error) {
	f, err := jpegFrame(b)
	if err != nil {
		return 0, err
	}
	var hmax, vmax int64 = 1, 1
	for _, c := range f.comps {
		hmax, vmax = max(hmax, c.h), max(vmax, c.v)
	}
	if len(f.comps) == 1 { // grey: image/jpeg ignores the sampling factors
		hmax, vmax = 1, 1
		f.comps[0].h, f.comps[0].v = 1, 1
	}
	mcus := (f.width + 8*hmax - 1) / (8 * hmax) * ((f.height + 8*vmax - 1) / (8 * vmax))
	var planes int64
	for _, c := range f.comps {
		planes += 64 * c.h * c.v * mcus
	}
	n := planes
	if f.progressive {
		n += 4 * planes // one int32 coefficient for every sample
	}
	if len(f.comps) == 4 || len(f.comps) == 3 && f.rgb {
		n += 4 * f.width * f.height
	}
	return n, nil
}

type jpegComp struct{ id, h, v int64 }

type jpegFrameHeader struct {
	width, height int64
	progressive   bool
	rgb           bool // stored as RGB, converted to RGBA when decoded
	comps         []jpegComp
}

// jpegFrame scans the segments of a JPEG up to its first frame header.
func jpegFrame(b []byte) (*jpegFrameHeader, error) {
	bad := func(why string) error { return fmt.Errorf("%w: JPEG %s", ErrNotImage, why) }
	if len(b) < 2 || b[0] != 0xff || b[1] != 0xd8 {
		return nil, bad("without SOI")
	}
	adobeRGB := false
	for i := 2; ; {
		m, at, ok := nextMarker(b, i)
		if !ok {
			return nil, bad("without a frame header")
		}
		i = at
		if m >= 0xd0 && m <= 0xd7 { // RSTn: no length
			continue
		}
		if m == 0xd9 || m == 0xda || i+2 > len(b) {
			return nil, bad("without a frame header")
		}
		n := int(binary.BigEndian.Uint16(b[i:]))
		if n < 2 || i+n > len(b) {
			return nil, bad("with a truncated segment")
		}
		seg := b[i+2 : i+n]
		i += n
		switch {
		case m == 0xee && len(seg) >= 12 && string(seg[:5]) == "Adobe":
			adobeRGB = seg[11] == 0 // transform 0: RGB or CMYK, not Y′CbCr
		case m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc:
			return parseSOF(seg, m, adobeRGB, bad)
		}
	}
}

func parseSOF(seg []byte, m byte, adobeRGB bool, bad func(string) error) (*jpegFrameHeader, error) {
	if len(seg) < 6 {
		return nil, bad("with a short frame header")
	}
	f := &jpegFrameHeader{
		height:      int64(binary.BigEndian.Uint16(seg[1:])),
		width:       int64(binary.BigEndian.Uint16(seg[3:])),
		progressive: m == 0xc2 || m == 0xc6 || m == 0xca || m == 0xce,
	}
	nc := int(seg[5])
	if nc == 0 || len(seg) < 6+3*nc {
		return nil, bad("with a short frame header")
	}
	for k := range nc {
		c := seg[6+3*k:]
		h, v := int64(c[1]>>4), int64(c[1]&15)
		if h == 0 || v == 0 {
			return nil, bad("with a zero sampling factor")
		}
		f.comps = append(f.comps, jpegComp{id: int64(c[0]), h: h, v: v})
	}
	if nc == 3 {
		ids := f.comps[0].id == 'R' && f.comps[1].id == 'G' && f.comps[2].id == 'B'
		f.rgb = adobeRGB || ids
	}
	return f, nil
}

// MaxJPEGScans bounds the scans of a progressive JPEG that Sum decodes.
// image/jpeg goes over every block of a component for each scan of it,
// and a scan that ends every block at once (an end-of-band run) takes a
// few bytes, so without a bound a file of a few hundred kilobytes asks for
// minutes of CPU: 10000 such scans of a 2000×2000 grey image took 15 s,
// and the 8 MiB of a search would hold a decoding slot for about 13
// minutes. Encoders write 6 to 10 scans (libjpeg's default scripts; a
// tuned script a few dozen), so 100 leaves room: 100 such scans of the
// largest progressive grey image Sum takes (3600×3600) took 0.7 s. A
// sequential JPEG has each component in one scan (ITU T.81 §B.2.3), so its
// scans name at most as many components as its frame has.
const MaxJPEGScans = 100

// nextMarker finds the first marker at or after i as image/jpeg's decoder
// finds it (reader.go), which both walks over a JPEG's segments must
// follow, or the bytes they check would not be the bytes it decodes:
// 0xFF, then a byte that is neither 0x00 nor 0xFF; every byte before it is
// skipped (fill bytes, 0xFF 0x00, and other extraneous data, which the
// decoder ignores). It returns the marker and the index after it.
func nextMarker(b []byte, i int) (m byte, next int, ok bool) {
	for ; i+1 < len(b); i++ {
		if b[i] == 0xff && b[i+1] != 0xff && b[i+1] != 0x00 {
			return b[i+1], i + 2, true
		}
	}
	return 0, len(b), false
}

// jpegScans checks the scans (SOS segments) of a JPEG: at most
// MaxJPEGScans if it is progressive; if it is sequential, components named
// by its scans at most as many as its frame's. Past either it is
// ErrTooLarge. It skips each scan's entropy-coded data to the next marker
// (ITU T.81 §B.1.1.5: within it 0xFF is followed by 0x00 or a restart
// marker). What is too short to read on is left to the decoder.
func jpegScans(b []byte) error {
	f, err := jpegFrame(b)
	if err != nil {
		return err
	}
	scans, named := 0, 0
	for i := 2; i < len(b); {
		m, at, ok := nextMarker(b, i)
		if !ok || m == 0xd9 { // EOI
			break
		}
		i = at
		if m >= 0xd0 && m <= 0xd7 { // RSTn: no length
			continue
		}
		if i+3 > len(b) {
			break
		}
		n, ns := int(binary.BigEndian.Uint16(b[i:])), int(b[i+2])
		if n < 2 {
			break
		}
		i += n
		if m != 0xda {
			continue
		}
		scans, named = scans+1, named+ns
		switch {
		case f.progressive && scans > MaxJPEGScans:
			return fmt.Errorf("%w: a progressive JPEG of more than %d scans", ErrTooLarge, MaxJPEGScans)
		case !f.progressive && named > len(f.comps):
			return fmt.Errorf("%w: a sequential JPEG whose scans name more than its %d components", ErrTooLarge, len(f.comps))
		}
		for i+1 < len(b) && (b[i] != 0xff || b[i+1] == 0 || b[i+1] >= 0xd0 && b[i+1] <= 0xd7) {
			i++
		}
	}
	return nil
}
