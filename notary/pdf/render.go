package pdf

import (
	"fmt"
	"image"
	"mime"
	"strings"
	"time"

	"github.com/signintech/gopdf"
	"github.com/skip2/go-qrcode"

	"github.com/custos-project/custos/pdfcheck"
)

// Document is a certificate to render: a notarial certificate or a
// copyright registration certificate. Text may mix Chinese and Latin.
type Document struct {
	// Heading, when set, is printed above the title: the issuing office,
	// such as "浙江省杭州市钱塘公证处".
	Heading string
	// Title is the heading of the first page, e.g. "公证书", and the
	// document's /Title (with Subtitle). Required.
	Title string
	// Subtitle, when set, is printed small under the title, such as
	// "Notarial Certificate" under "公证书".
	Subtitle string
	// Number is the certificate number, e.g. "（2026）浙杭证字第1号",
	// printed under the title, right-aligned, and in every page's footer.
	Number string
	// Author is the issuing office, e.g. the notary office: /Author.
	Author string
	// Issued is the issue date: the PDF's creation date and the
	// attachments' modification date. Default: time.Now.
	Issued time.Time
	// Sections are printed in order.
	Sections []Section
	// VerifyURL, when set, is printed with a QR code that opens it (the
	// public verification page of the certificate), the caption beside it,
	// after Sections.
	VerifyURL string
	// Closing, when set, ends the body after the QR code: the signature
	// block with the office's seal.
	Closing *Closing
	// AnnexTitle and Annex, when Annex is set, start on a new page after
	// the body: the annex (附件) that lists the items.
	AnnexTitle string
	Annex      []Section
	// Attachments are embedded in the PDF as associated files (ISO 32000-2
	// §14.13), listed in an "附件 Attachments" section after the others.
	Attachments []Attachment
	// PageLabel spells the footer's page numbers from the page and the
	// page count. Default: "第1页 共3页".
	PageLabel func(page, pages int) string
}

// Section is a heading followed by paragraphs, then label–value rows.
type Section struct {
	Heading    string
	Paragraphs []string
	Fields     []Field
}

// Field is one label–value row, such as "SHA-256" and a digest. Long values
// wrap within the value column.
type Field struct {
	Label, Value string
	// Digest says Value is a hexadecimal digest: it is printed in groups
	// of 16 digits, on one line if it fits (in a smaller size if need be),
	// else in lines of the same number of whole groups: never a stray
	// digit on a line of its own.
	Digest bool
}

// Attachment is a file embedded in the PDF, such as an evidence item's
// receipt, so that the document alone carries what is needed to verify
// it; pdfcheck.Attachments reads it back.
type Attachment = pdfcheck.Attachment

// Config configures a Renderer.
type Config struct {
	// Font is a TrueType font (not a collection, see LoadFont) holding the
	// CJK and Latin glyphs of the documents. Only the glyphs used are
	// embedded. Default: face 0 of DefaultFontPath.
	Font []byte
}

// Renderer renders Documents as A4 PDFs. It is safe for concurrent use.
type Renderer struct {
	font   []byte
	family string // the font's name in the PDF, with its subset tag
	seals  sealCache
}

// NewRenderer loads the font once.
func NewRenderer(cfg Config) (*Renderer, error) {
	font := cfg.Font
	if font == nil {
		var err error
		if font, err = LoadFont(DefaultFontPath, 0); err != nil {
			return nil, err
		}
	}
	// Fail now, not on the first document, if the font is unusable.
	r := &Renderer{font: font, family: subsetName(font)}
	var gp gopdf.GoPdf
	gp.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4})
	if err := gp.AddTTFFontData(r.family, font); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFont, err)
	}
	return r, nil
}

// Page geometry, in points (A4: 595.28 × 841.89).
const (
	marginX      = 64.0
	marginTop    = 64.0
	marginBottom = 72.0
	labelWidth   = 110.0
	qrSize       = 96.0
	sizeTitle    = 26.0
	sizeHeading  = 13.0
	sizeBody     = 10.5
	sizeSmall    = 8.5
	lineSpacing  = 1.55
)

// Render lays doc out and returns the PDF bytes: pages of text in the
// embedded, subset font; the QR code; then the attachments, embedded as
// files by an incremental update.
func (r *Renderer) Render(doc *Document) ([]byte, error) {
	b, _, err := r.Layout(doc)
	return b, err
}

// Placement is where a document's seal goes: its page (1-based) and its
// rectangle in the page's default user space (points, origin at the
// bottom left: llx, lly, urx, ury), where the signature's widget goes.
type Placement struct {
	Page int
	Rect [4]float64
	// Seal is a PDF whose first page is the seal alone: the widget shows
	// it, scaled onto Rect, as the signature's appearance. Empty: the
	// widget shows nothing. Layout's is shared with the Renderer's cache:
	// read it, never change it.
	Seal []byte
}

// Layout is Render, and says where the seal of doc.Closing goes, with the
// seal drawn alone (nil without a Closing). The page leaves the seal's
// place empty: the seal is printed by the signature (SignOptions.Appearance),
// so an unsigned document shows none.
func (r *Renderer) Layout(doc *Document) ([]byte, *Placement, error) {
	if err := doc.check(); err != nil {
		return nil, nil, err
	}
	issued := doc.Issued
	if issued.IsZero() {
		issued = time.Now()
	}
	l, err := r.newLayout(doc, issued)
	if err != nil {
		return nil, nil, err
	}
	if err := l.document(doc); err != nil {
		return nil, nil, err
	}
	if err := l.footers(doc.PageLabel); err != nil {
		return nil, nil, err
	}
	b, err := l.gp.GetBytesPdfReturnErr()
	if err != nil {
		return nil, nil, fmt.Errorf("pdf: render: %w", err)
	}
	if l.seal != nil {
		if l.seal.Seal, err = r.sealPDF(doc.Closing); err != nil {
			return nil, nil, err
		}
	}
	if len(doc.Attachments) > 0 {
		if b, err = embedFiles(b, doc.Attachments, issued); err != nil {
			return nil, nil, err
		}
	}
	return b, l.seal, nil
}

func (doc *Document) check() error {
	if strings.TrimSpace(doc.Title) == "" {
		return fmt.Errorf("%w: no title", ErrDocument)
	}
	names := map[string]bool{}
	for _, a := range doc.Attachments {
		if a.Name == "" || strings.ContainsAny(a.Name, "/\\\x00") {
			return fmt.Errorf("%w: attachment name %q", ErrDocument, a.Name)
		}
		if names[a.Name] {
			return fmt.Errorf("%w: two attachments named %q", ErrDocument, a.Name)
		}
		names[a.Name] = true
		if a.MIME != "" {
			if t, _, err := mime.ParseMediaType(a.MIME); err != nil || !strings.Contains(t, "/") {
				return fmt.Errorf("%w: attachment %q: media type %q", ErrDocument, a.Name, a.MIME)
			}
		}
		if _, ok := relationships[a.Relationship]; !ok {
			return fmt.Errorf("%w: attachment %q: relationship %q", ErrDocument, a.Name, a.Relationship)
		}
	}
	return nil
}

// layout is the state of one rendering: the generator and the cursor.
type layout struct {
	gp     *gopdf.GoPdf
	family string
	y      float64
	page   int
	number string
	width  float64 // of the text column
	pageH  float64
	size   float64  // current font size
	color  [3]uint8 // current text colour
	seal   *Placement
}

func (l *layout) textColor(r, g, b uint8) {
	l.color = [3]uint8{r, g, b}
	l.gp.SetTextColor(r, g, b)
}

func (r *Renderer) newLayout(doc *Document, issued time.Time) (*layout, error) {
	gp := &gopdf.GoPdf{}
	size := *gopdf.PageSizeA4
	gp.Start(gopdf.Config{PageSize: size, Unit: gopdf.UnitPT})
	gp.SetInfo(gopdf.PdfInfo{
		Title:        strings.TrimSpace(doc.Title + " " + doc.Subtitle),
		Author:       doc.Author,
		Subject:      doc.Number,
		Creator:      "Custos",
		Producer:     "Custos notary/pdf",
		CreationDate: issued,
	})
	if err := gp.AddTTFFontData(r.family, r.font); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFont, err)
	}
	l := &layout{gp: gp, family: r.family, number: doc.Number, width: size.W - 2*marginX, pageH: size.H}
	return l, l.newPage()
}

func (l *layout) document(doc *Document) error {
	if doc.Heading != "" {
		l.textColor(150, 30, 30)
		if err := l.centered(doc.Heading, sizeHeading+1); err != nil {
			return err
		}
		l.textColor(0, 0, 0)
		l.y += 10
	}
	if err := l.centered(doc.Title, sizeTitle); err != nil {
		return err
	}
	if doc.Subtitle != "" {
		if err := l.centered(doc.Subtitle, sizeBody); err != nil {
			return err
		}
	}
	if doc.Number != "" {
		l.y += 6
		if err := l.right(doc.Number, sizeBody+1); err != nil {
			return err
		}
	}
	l.y += 6
	l.rule()
	if err := l.sections(doc.Sections); err != nil {
		return err
	}
	annexed := len(doc.Annex) > 0
	if len(doc.Attachments) > 0 && !annexed {
		if err := l.section(attachmentSection(doc.Attachments)); err != nil {
			return err
		}
	}
	if doc.VerifyURL != "" {
		if err := l.qr(doc.VerifyURL); err != nil {
			return err
		}
	}
	if doc.Closing != nil {
		if err := l.closing(doc.Closing); err != nil {
			return err
		}
	}
	if !annexed {
		return nil
	}
	if err := l.newPage(); err != nil {
		return err
	}
	if err := l.centered(doc.AnnexTitle, sizeHeading+3); err != nil {
		return err
	}
	l.y += 4
	l.rule()
	if err := l.sections(doc.Annex); err != nil {
		return err
	}
	if len(doc.Attachments) > 0 {
		return l.section(attachmentSection(doc.Attachments))
	}
	return nil
}

func (l *layout) sections(ss []Section) error {
	for _, s := range ss {
		if err := l.section(s); err != nil {
			return err
		}
	}
	return nil
}

func attachmentSection(as []Attachment) Section {
	s := Section{Heading: "附件 Attachments"}
	for i, a := range as {
		v := a.Name
		if a.Description != "" {
			v += " — " + a.Description
		}
		s.Fields = append(s.Fields, Field{Label: fmt.Sprintf("%d.", i+1), Value: v})
	}
	return s
}

func (l *layout) newPage() error {
	l.gp.AddPage()
	l.page++
	l.y = marginTop
	return nil
}

// pageLabel is the default footer page label: 第1页 共3页.
func pageLabel(page, pages int) string { return fmt.Sprintf("第%d页 共%d页", page, pages) }

// footers writes every page's footer, the number and 第n页 共N页, once the
// page count is known.
func (l *layout) footers(label func(page, pages int) string) error {
	if label == nil {
		label = pageLabel
	}
	if err := l.gp.SetFont(l.family, "", sizeSmall); err != nil {
		return err
	}
	l.gp.SetTextColor(110, 110, 110)
	for p := 1; p <= l.page; p++ {
		if err := l.gp.SetPage(p); err != nil {
			return fmt.Errorf("pdf: footer: %w", err)
		}
		footer := label(p, l.page)
		if l.number != "" {
			footer = l.number + "    " + footer
		}
		w, err := l.gp.MeasureTextWidth(footer)
		if err != nil {
			return err
		}
		l.gp.SetXY((l.width+2*marginX-w)/2, l.pageH-marginBottom/2)
		if err := l.gp.Cell(nil, footer); err != nil {
			return err
		}
	}
	return nil
}

// need starts a new page unless h more points fit on this one. The font
// size and the text colour are kept.
func (l *layout) need(h float64) error {
	if l.y+h <= l.pageH-marginBottom {
		return nil
	}
	if err := l.newPage(); err != nil {
		return err
	}
	return l.font(l.size)
}

// font sets the font size of the text that follows.
func (l *layout) font(size float64) error {
	l.size = size
	return l.gp.SetFont(l.family, "", size)
}

func (l *layout) centered(text string, size float64) error {
	if err := l.font(size); err != nil {
		return err
	}
	lines, err := wrap(l.gp.MeasureTextWidth, text, l.width)
	if err != nil {
		return err
	}
	for _, line := range lines {
		if err := l.need(size * lineSpacing); err != nil {
			return err
		}
		w, err := l.gp.MeasureTextWidth(line)
		if err != nil {
			return err
		}
		l.gp.SetXY(marginX+(l.width-w)/2, l.y)
		if err := l.gp.Cell(nil, line); err != nil {
			return err
		}
		l.y += size * lineSpacing
	}
	return nil
}

// right writes one line of text right-aligned in the column.
func (l *layout) right(text string, size float64) error {
	if err := l.font(size); err != nil {
		return err
	}
	if err := l.need(size * lineSpacing); err != nil {
		return err
	}
	w, err := l.gp.MeasureTextWidth(text)
	if err != nil {
		return err
	}
	l.gp.SetXY(marginX+l.width-w, l.y)
	if err := l.gp.Cell(nil, text); err != nil {
		return err
	}
	l.y += size * lineSpacing
	return nil
}

func (l *layout) rule() {
	l.gp.SetLineWidth(0.6)
	l.gp.SetStrokeColor(150, 30, 30)
	l.gp.Line(marginX, l.y, marginX+l.width, l.y)
	l.y += 10
}

func (l *layout) section(s Section) error {
	if s.Heading != "" {
		// Keep a heading with at least two lines of what follows.
		if err := l.need(sizeHeading*lineSpacing + 2*sizeBody*lineSpacing); err != nil {
			return err
		}
		l.y += 6
		l.textColor(150, 30, 30)
		if err := l.text(marginX, l.width, s.Heading, sizeHeading); err != nil {
			return err
		}
		l.textColor(0, 0, 0)
		l.y += 2
	}
	for _, p := range s.Paragraphs {
		if err := l.text(marginX, l.width, p, sizeBody); err != nil {
			return err
		}
		l.y += 4
	}
	for _, f := range s.Fields {
		if err := l.field(f); err != nil {
			return err
		}
	}
	return nil
}

// text writes wrapped text in the column at x of width w.
func (l *layout) text(x, w float64, text string, size float64) error {
	if err := l.font(size); err != nil {
		return err
	}
	lines, err := wrap(l.gp.MeasureTextWidth, text, w)
	if err != nil {
		return err
	}
	for _, line := range lines {
		if err := l.need(size * lineSpacing); err != nil {
			return err
		}
		l.gp.SetXY(x, l.y)
		if err := l.gp.Cell(nil, line); err != nil {
			return err
		}
		l.y += size * lineSpacing
	}
	return nil
}

// field writes a label and its wrapped value beside it.
func (l *layout) field(f Field) error {
	if err := l.font(sizeBody); err != nil {
		return err
	}
	labels, err := wrap(l.gp.MeasureTextWidth, f.Label, labelWidth-8)
	if err != nil {
		return err
	}
	var values []string
	if f.Digest {
		values, err = l.digestLines(f.Value, l.width-labelWidth)
	} else {
		values, err = wrap(l.gp.MeasureTextWidth, f.Value, l.width-labelWidth)
	}
	if err != nil {
		return err
	}
	valueSize := l.size
	for i := range max(len(labels), len(values)) {
		if err := l.need(sizeBody * lineSpacing); err != nil {
			return err
		}
		if i < len(labels) {
			if err := l.font(sizeBody); err != nil {
				return err
			}
			l.textColor(90, 90, 90)
			l.gp.SetXY(marginX, l.y)
			if err := l.gp.Cell(nil, labels[i]); err != nil {
				return err
			}
			l.textColor(0, 0, 0)
		}
		if i < len(values) {
			if err := l.font(valueSize); err != nil {
				return err
			}
			l.gp.SetXY(marginX+labelWidth, l.y+(sizeBody-valueSize)*0.8)
			if err := l.gp.Cell(nil, values[i]); err != nil {
				return err
			}
		}
		l.y += sizeBody * lineSpacing
	}
	l.y += 2
	return l.font(sizeBody)
}

// digestGroup is the number of hexadecimal digits printed together.
const digestGroup = 16

// digestLines sets the font for a digest and breaks it into groups of
// digestGroup digits: one line at the body size or, failing that, the
// small size; else lines of the same number of whole groups.
func (l *layout) digestLines(hex string, width float64) ([]string, error) {
	var groups []string
	for len(hex) > digestGroup {
		groups, hex = append(groups, hex[:digestGroup]), hex[digestGroup:]
	}
	groups = append(groups, hex)
	for _, size := range []float64{sizeBody, sizeSmall} {
		if err := l.font(size); err != nil {
			return nil, err
		}
		line := strings.Join(groups, " ")
		w, err := l.gp.MeasureTextWidth(line)
		if err != nil {
			return nil, err
		}
		if w <= width {
			return []string{line}, nil
		}
	}
	for per := (len(groups) + 1) / 2; per >= 1; per-- {
		var lines []string
		fits := true
		for i := 0; i < len(groups); i += per {
			line := strings.Join(groups[i:min(i+per, len(groups))], " ")
			w, err := l.gp.MeasureTextWidth(line)
			if err != nil {
				return nil, err
			}
			fits = fits && w <= width
			lines = append(lines, line)
		}
		if fits || per == 1 {
			return lines, nil
		}
	}
	return nil, nil // unreachable: per reaches 1
}

// qr draws the QR code of url with the URL beside it, and makes the code a
// link to it.
func (l *layout) qr(url string) error {
	q, err := qrcode.New(url, qrcode.Medium)
	if err != nil {
		return fmt.Errorf("%w: QR code: %w", ErrDocument, err)
	}
	if err := l.need(qrSize + 16); err != nil {
		return err
	}
	l.y += 12
	var img image.Image = q.Image(384)
	if err := l.gp.ImageFrom(img, marginX, l.y, &gopdf.Rect{W: qrSize, H: qrSize}); err != nil {
		return fmt.Errorf("pdf: QR image: %w", err)
	}
	l.gp.AddExternalLink(url, marginX, l.y, qrSize, qrSize)
	top := l.y
	l.y += 18
	if err := l.text(marginX+qrSize+14, l.width-qrSize-14, "扫描二维码或访问以下地址核验本证书 Scan the code or open this address to verify this certificate:", sizeBody); err != nil {
		return err
	}
	if err := l.text(marginX+qrSize+14, l.width-qrSize-14, url, sizeBody); err != nil {
		return err
	}
	l.y = max(l.y, top+qrSize)
	return nil
}
