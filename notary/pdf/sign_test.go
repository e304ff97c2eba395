package pdf

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/custos-project/custos/pdfcheck"
)

func TestSignVerify(t *testing.T) {
	now := time.Now()
	p := newTestPKI(t, now)
	signed := signedDocument(t, p)
	sig, err := pdfcheck.Verify(signed, p.roots)
	if err != nil {
		t.Fatalf("Verify(signed) = %v", err)
	}
	if sig.Signer.Subject.CommonName != "张三 公证员" {
		t.Errorf("Signer = %q, want 张三 公证员", sig.Signer.Subject.CommonName)
	}
	if !sig.Time.Equal(now.UTC().Truncate(time.Second)) {
		t.Errorf("Time = %v, want the TSA's %v", sig.Time, now.UTC().Truncate(time.Second))
	}
	if sig.Reason != "公证 Notarization" || sig.Location != "杭州 Hangzhou" {
		t.Errorf("Reason, Location = %q, %q", sig.Reason, sig.Location)
	}
	if want := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC); !sig.ClaimedTime.Equal(want) {
		t.Errorf("ClaimedTime = %v, want %v", sig.ClaimedTime, want)
	}
	if len(sig.Chain) != 3 || !sig.Chain[2].Equal(p.root.Cert) {
		t.Errorf("Chain has %d certificates, want 3 ending at the root", len(sig.Chain))
	}
	if sig.ByteRange[2]+sig.ByteRange[3] != int64(len(signed)) {
		t.Errorf("ByteRange %v does not reach the end %d", sig.ByteRange, len(signed))
	}
}

func TestVerifyTamper(t *testing.T) {
	p := newTestPKI(t, time.Now())
	signed := signedDocument(t, p)
	sig, err := pdfcheck.Verify(signed, p.roots)
	if err != nil {
		t.Fatal(err)
	}
	br := sig.ByteRange
	offsets := map[string]int64{
		"header":           1,
		"body":             int64(len(signed)) / 3,
		"before contents":  br[1] - 3,
		"inside contents":  br[1] + 200,
		"after contents":   br[2] + 2,
		"trailer":          int64(len(signed)) - 30,
		"startxref digits": int64(len(signed)) - 8,
	}
	for name, off := range offsets {
		t.Run(name, func(t *testing.T) {
			b := bytes.Clone(signed)
			b[off] ^= 0x01
			if _, err := pdfcheck.Verify(b, p.roots); err == nil {
				t.Errorf("Verify(byte %d flipped) = nil, want an error", off)
			}
		})
	}
	t.Run("appended", func(t *testing.T) {
		b := append(bytes.Clone(signed), "\n% appended\n"...)
		if _, err := pdfcheck.Verify(b, p.roots); !errors.Is(err, pdfcheck.ErrNoSignature) {
			t.Errorf("Verify(appended) = %v, want ErrNoSignature", err)
		}
	})
	t.Run("unsigned", func(t *testing.T) {
		b, err := testRenderer(t).Render(testDocument())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pdfcheck.Verify(b, p.roots); !errors.Is(err, pdfcheck.ErrNoSignature) {
			t.Errorf("Verify(unsigned) = %v, want ErrNoSignature", err)
		}
	})
}

func TestVerifyErrors(t *testing.T) {
	now := time.Now()
	p := newTestPKI(t, now)
	signed := signedDocument(t, p)
	other := newTestPKI(t, now)
	tests := []struct {
		name string
		pdf  []byte
		p    *testPKI
		step string
		want error
	}{
		{"other roots", signed, other, "timestamp", pdfcheck.ErrTimestamp},
		{"no roots", signed, &testPKI{}, "timestamp", pdfcheck.ErrTimestamp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pdfcheck.Verify(tt.pdf, tt.p.roots)
			var ve *pdfcheck.VerifyError
			if !errors.As(err, &ve) || ve.Step != tt.step || !errors.Is(err, tt.want) {
				t.Errorf("Verify() = %v, want step %s and %v", err, tt.step, tt.want)
			}
		})
	}
	t.Run("digest says which", func(t *testing.T) {
		b := bytes.Clone(signed)
		i := bytes.Index(b, []byte("/Title"))
		b[i+1] = 't'
		_, err := pdfcheck.Verify(b, p.roots)
		var ve *pdfcheck.VerifyError
		if !errors.As(err, &ve) || ve.Step != "digest" || ve.Want == "" || ve.Got == "" || ve.Want == ve.Got {
			t.Errorf("Verify(title changed) = %v, want a digest step error with want and got", err)
		}
	})
}

// TestVerifyYearsLater checks that the chain is verified at the time of the
// signature time-stamp, not now: the signature outlives its certificate.
func TestVerifyYearsLater(t *testing.T) {
	past := time.Now().Add(-30 * 365 * 24 * time.Hour)
	p := newTestPKI(t, past)
	signed := signedDocument(t, p)
	if time.Now().Before(p.notary.Cert.NotAfter) {
		t.Fatal("the notary certificate has not expired; the test proves nothing")
	}
	sig, err := pdfcheck.Verify(signed, p.roots)
	if err != nil {
		t.Fatalf("Verify(30 years later) = %v", err)
	}
	if !sig.Time.Equal(past.UTC().Truncate(time.Second)) {
		t.Errorf("Time = %v, want %v", sig.Time, past)
	}
}

// TestSignTwice: a second signature is an incremental update that
// verifies. The first certifies with P=2, which permits signing: after
// P=1, Custos's own, Verify refuses any later revision
// (TestVerifyCertification).
func TestSignTwice(t *testing.T) {
	p := newTestPKI(t, time.Now())
	once := signedAt(t, p, 2)
	opts := p.options()
	opts.Reason = "复核 Review"
	twice, err := Sign(context.Background(), once, opts)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := pdfcheck.Verify(twice, p.roots)
	if err != nil {
		t.Fatalf("Verify(twice) = %v", err)
	}
	if sig.Reason != "复核 Review" {
		t.Errorf("Reason = %q, want the second signature's", sig.Reason)
	}
	f, err := pdfcheck.ParseFile(twice)
	if err != nil {
		t.Fatal(err)
	}
	cat, _ := f.DictOf(f.Trailer.Get("Root"))
	form, _, _ := pdfcheck.AcroForm(f, cat)
	if fields, _ := form.Get("Fields").(pdfcheck.Array); len(fields) != 2 {
		t.Errorf("AcroForm has %d fields, want 2", len(fields))
	}
}

func TestSignOptions(t *testing.T) {
	p := newTestPKI(t, time.Now())
	other := newTestPKI(t, time.Now())
	b, err := testRenderer(t).Render(testDocument())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(*SignOptions)
	}{
		{"no signer", func(o *SignOptions) { o.Signer = nil }},
		{"no certificate", func(o *SignOptions) { o.Certificate = nil }},
		{"no TSA", func(o *SignOptions) { o.TSA = nil }},
		{"wrong key", func(o *SignOptions) { o.Signer = other.notary.Signer }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := p.options()
			tt.edit(&opts)
			if _, err := Sign(context.Background(), b, opts); !errors.Is(err, ErrSignOptions) {
				t.Errorf("Sign() = %v, want ErrSignOptions", err)
			}
		})
	}
}

// TestSignXrefStream signs a file whose cross-reference section is a
// stream: the update must be one too.
func TestSignXrefStream(t *testing.T) {
	p := newTestPKI(t, time.Now())
	b := minimalXrefStreamPDF()
	signed, err := Sign(context.Background(), b, p.options())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pdfcheck.Verify(signed, p.roots); err != nil {
		t.Fatalf("Verify() = %v", err)
	}
	tail := signed[len(b):]
	if bytes.Contains(tail, []byte("\nxref\n")) || !bytes.Contains(tail, []byte("/Type /XRef")) {
		t.Errorf("update of an xref-stream file does not use an xref stream:\n%s", tail[max(0, len(tail)-400):])
	}
}

// minimalXrefStreamPDF is a one-page PDF with a cross-reference stream
// (ISO 32000-1 §7.5.8) compressed with a PNG predictor, and a page in an
// object stream.
func minimalXrefStreamPDF() []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	off := map[int]int{}
	obj := func(n int, body string) {
		off[n] = b.Len()
		b.WriteString(strconv.Itoa(n) + " 0 obj\n" + body + "\nendobj\n")
	}
	obj(1, "<</Type /Catalog /Pages 2 0 R>>")
	obj(2, "<</Type /Pages /Kids [3 0 R] /Count 1>>")
	// Object 3, the page, lives in object stream 4.
	page := "<</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]>>"
	header := "3 0 "
	obj(4, "<</Type /ObjStm /N 1 /First "+strconv.Itoa(len(header))+" /Length "+strconv.Itoa(len(header+page))+">>\nstream\n"+header+page+"\nendstream")
	// Xref stream, object 5: W [1 2 1], rows PNG-Up predicted.
	rows := [][]byte{{0, 0, 0, 255}}
	for _, n := range []int{1, 2} {
		rows = append(rows, []byte{1, byte(off[n] >> 8), byte(off[n]), 0})
	}
	rows = append(rows, []byte{2, 0, 4, 0})
	xrefAt := b.Len()
	rows = append(rows, []byte{1, byte(xrefAt >> 8), byte(xrefAt), 0})
	rows = append(rows[:4], append([][]byte{{1, byte(off[4] >> 8), byte(off[4]), 0}}, rows[4:]...)...)
	var raw []byte
	prev := make([]byte, 4)
	for _, r := range rows {
		raw = append(raw, 2)
		for i := range r {
			raw = append(raw, r[i]-prev[i])
		}
		prev = r
	}
	var z bytes.Buffer
	zw := zlibWriter(&z)
	zw.Write(raw)
	zw.Close()
	obj(5, "<</Type /XRef /Size 6 /W [1 2 1] /Root 1 0 R /Filter /FlateDecode /DecodeParms <</Predictor 12 /Columns 4>> /Length "+strconv.Itoa(z.Len())+">>\nstream\n"+z.String()+"\nendstream")
	b.WriteString("startxref\n" + strconv.Itoa(xrefAt) + "\n%%EOF\n")
	return b.Bytes()
}
