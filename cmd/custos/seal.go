package main

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // seal images may be JPEG
	_ "image/png"  // or PNG, best with a transparent background
	"os"
)

// maxSealBytes bounds a seal image file.
const maxSealBytes = 4 << 20

// loadSeal reads the office's seal image ([notary] seal): a PNG or JPEG of
// at least 64 pixels a side.
func loadSeal(path string) (image.Image, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("seal image: %w", err)
	}
	if len(b) > maxSealBytes {
		return nil, fmt.Errorf("seal image %s: %d bytes, at most %d", path, len(b), maxSealBytes)
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("seal image %s: not a PNG or JPEG: %w", path, err)
	}
	if r := img.Bounds(); r.Dx() < 64 || r.Dy() < 64 {
		return nil, fmt.Errorf("seal image %s: %d×%d pixels, want at least 64×64", path, r.Dx(), r.Dy())
	}
	return img, nil
}
