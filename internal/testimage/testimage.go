// Package testimage makes synthetic pictures for tests of perceptual
// hashing: photograph-like scenes (smooth gradients and soft shapes) that
// depend only on a seed, and the copies an infringer makes of them
// (resized, re-encoded as JPEG); and renders PDF pages (pdftoppm) for
// checks of what a reader sees, such as where a seal is red.
package testimage

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
)

// Scene draws a w×h picture determined by seed: a tilted colour gradient
// under a few soft-edged discs.
func Scene(seed uint64, w, h int) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	type disc struct{ x, y, r, c0, c1, c2 float64 }
	discs := make([]disc, 6)
	for i := range discs {
		discs[i] = disc{rng.Float64(), rng.Float64(), 0.08 + 0.25*rng.Float64(), rng.Float64() * 255, rng.Float64() * 255, rng.Float64() * 255}
	}
	angle := rng.Float64() * 2 * math.Pi
	base := [3]float64{rng.Float64() * 255, rng.Float64() * 255, rng.Float64() * 255}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			u, v := float64(x)/float64(w), float64(y)/float64(h)
			t := 0.5 + 0.5*math.Sin(3*(u*math.Cos(angle)+v*math.Sin(angle)))
			px := [3]float64{base[0] * t, base[1] * (1 - t), base[2] * t}
			for _, d := range discs {
				dist := math.Hypot(u-d.x, v-d.y)
				a := 1 / (1 + math.Exp((dist-d.r)*40)) // a soft edge
				px[0] = px[0]*(1-a) + d.c0*a
				px[1] = px[1]*(1-a) + d.c1*a
				px[2] = px[2]*(1-a) + d.c2*a
			}
			img.SetRGBA(x, y, color.RGBA{uint8(px[0]), uint8(px[1]), uint8(px[2]), 255})
		}
	}
	return img
}

// Resize scales img to w×h by bilinear interpolation.
func Resize(img image.Image, w, h int) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		sy := (float64(y)+0.5)*float64(b.Dy())/float64(h) - 0.5
		for x := range w {
			sx := (float64(x)+0.5)*float64(b.Dx())/float64(w) - 0.5
			out.Set(x, y, bilinear(img, b, sx, sy))
		}
	}
	return out
}

func bilinear(img image.Image, b image.Rectangle, sx, sy float64) color.RGBA {
	x0, y0 := int(math.Floor(sx)), int(math.Floor(sy))
	fx, fy := sx-float64(x0), sy-float64(y0)
	clamp := func(v, lo, hi int) int { return max(lo, min(v, hi-1)) }
	var acc [3]float64
	for _, p := range [4]struct {
		dx, dy int
		w      float64
	}{{0, 0, (1 - fx) * (1 - fy)}, {1, 0, fx * (1 - fy)}, {0, 1, (1 - fx) * fy}, {1, 1, fx * fy}} {
		r, g, bl, _ := img.At(b.Min.X+clamp(x0+p.dx, 0, b.Dx()), b.Min.Y+clamp(y0+p.dy, 0, b.Dy())).RGBA()
		acc[0] += p.w * float64(r>>8)
		acc[1] += p.w * float64(g>>8)
		acc[2] += p.w * float64(bl>>8)
	}
	return color.RGBA{uint8(acc[0] + 0.5), uint8(acc[1] + 0.5), uint8(acc[2] + 0.5), 255}
}

// JPEG encodes img at the given quality (1–100).
func JPEG(img image.Image, quality int) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: quality}); err != nil {
		panic(err) // encoding to memory does not fail
	}
	return b.Bytes()
}

// PNG encodes img.
func PNG(img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}
