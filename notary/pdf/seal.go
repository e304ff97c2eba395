package pdf

import (
	"fmt"
	"image"
	"math"

	"github.com/signintech/gopdf"
)

// Closing is the signature block that ends a document's body: its lines
// right-aligned (the notary, the office, the date in words), and the
// office's seal over the last two, drawn as the appearance of the
// signature's widget (see Placement and SignOptions.Appearance).
type Closing struct {
	Lines []string
	// Seal is the office's seal, as configured: an image (a PNG with a
	// transparent background prints best), not changed once rendered (the
	// Renderer keeps the seal it drew from it). Nil draws a plain red circular
	// seal with SealText around its top and a star in the middle.
	Seal image.Image
	// SealText is the office's name, around a drawn seal.
	SealText string
}

// sealSize is the seal's diameter in points: 42 mm, the size of a notary
// office's seal.
const sealSize = 119.0

// closing writes the signature block and records where its seal goes,
// over the office and the date (Renderer.sealPDF draws it).
func (l *layout) closing(c *Closing) error {
	lineH := (sizeBody + 1.5) * lineSpacing
	if err := l.need(28 + float64(len(c.Lines))*lineH + sealSize); err != nil {
		return err
	}
	l.y += 28
	if err := l.font(sizeBody + 1.5); err != nil {
		return err
	}
	widest := 0.0
	for _, line := range c.Lines {
		w, err := l.gp.MeasureTextWidth(line)
		if err != nil {
			return err
		}
		widest = max(widest, w)
	}
	right := marginX + l.width - 12
	sealed := max(len(c.Lines)-2, 0) // the lines from here are under the seal
	var cy float64
	for i, line := range c.Lines {
		if i == sealed && i > 0 {
			// Clear the seal of the lines above it (the notary's name).
			l.y += sealSize/2 - lineH + 8
		}
		if i == sealed {
			cy = l.y + lineH*float64(min(len(c.Lines)-sealed, 2))/2 - lineH*0.15
		}
		w, err := l.gp.MeasureTextWidth(line)
		if err != nil {
			return err
		}
		// Each line centred on the widest, as a signature block is set.
		l.gp.SetXY(right-widest+(widest-w)/2, l.y)
		if err := l.gp.Cell(nil, line); err != nil {
			return err
		}
		l.y += lineH
	}
	if len(c.Lines) == 0 {
		cy = l.y + sealSize/2
	}
	// The seal sits over the last two lines (the office and the date).
	cx := right - widest/2
	if cx+sealSize/2 > marginX+l.width+marginX/2 {
		cx = marginX + l.width + marginX/2 - sealSize/2
	}
	x, y := cx-sealSize/2, cy-sealSize/2
	l.seal = &Placement{Page: l.page, Rect: [4]float64{x, l.pageH - (y + sealSize), x + sealSize, l.pageH - y}}
	l.y = max(l.y, y+sealSize)
	return nil
}

// drawSeal draws the seal centred on (cx, cy), multiplied over the text
// under it so that the text stays legible, as ink does.
func (l *layout) drawSeal(c *Closing, cx, cy float64) error {
	if err := l.gp.SetTransparency(gopdf.Transparency{Alpha: 0.85, BlendModeType: gopdf.Multiply}); err != nil {
		return fmt.Errorf("pdf: seal: %w", err)
	}
	defer l.gp.ClearTransparency()
	r := sealSize / 2
	if c.Seal != nil {
		if err := l.gp.ImageFrom(c.Seal, cx-r, cy-r, &gopdf.Rect{W: sealSize, H: sealSize}); err != nil {
			return fmt.Errorf("%w: seal image: %w", ErrDocument, err)
		}
		return nil
	}
	const red = 0xd0
	l.gp.SetStrokeColor(red, 0x10, 0x10)
	l.gp.SetFillColor(red, 0x10, 0x10)
	l.gp.SetLineWidth(3.2)
	l.gp.Oval(cx-r+2, cy-r+2, cx+r-2, cy+r-2)
	star := make([]gopdf.Point, 10)
	for i := range star {
		rho := r * 0.27
		if i%2 == 1 {
			rho *= 0.382
		}
		a := float64(i) * math.Pi / 5
		star[i] = gopdf.Point{X: cx + rho*math.Sin(a), Y: cy - rho*math.Cos(a)}
	}
	l.gp.Polygon(star, "F")
	runes := []rune(c.SealText)
	if len(runes) == 0 {
		return nil
	}
	// The name runs clockwise around the top, each character upright
	// towards the rim, over at most 250 degrees.
	span := math.Min(250, float64(len(runes))*26) * math.Pi / 180
	inner := r - 7
	size := math.Min(17, 0.95*inner*span/float64(len(runes)))
	rho := inner - size*0.62
	if err := l.font(size); err != nil {
		return err
	}
	l.textColor(red, 0x10, 0x10)
	defer l.textColor(0, 0, 0)
	for i, ch := range runes {
		phi := -span/2 + span*(float64(i)+0.5)/float64(len(runes))
		px, py := cx+rho*math.Sin(phi), cy-rho*math.Cos(phi)
		w, err := l.gp.MeasureTextWidth(string(ch))
		if err != nil {
			return err
		}
		l.gp.Rotate(-phi*180/math.Pi, px, py)
		l.gp.SetXY(px-w/2, py-size/2)
		err = l.gp.Cell(nil, string(ch))
		l.gp.RotateReset()
		if err != nil {
			return err
		}
	}
	return nil
}
