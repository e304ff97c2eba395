package pdf

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/custos-project/custos/pdfcheck"
)

// signRanges signs pdf as Sign does, with the notary's real key and TSA,
// but over the byte ranges br gives from the /Contents span: a signer
// (another tool, or a tampered one) that leaves bytes out of what it signs.
func signRanges(t *testing.T, p *testPKI, pdf []byte, br func(c span, n int) [4]int) []byte {
	t.Helper()
	opts := p.options()
	alg, err := algorithmFor(opts.Certificate.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	out, c, err := prepare(pdf, &opts, 8<<10)
	if err != nil {
		t.Fatal(err)
	}
	r := br(c, len(out))
	text := fmt.Sprintf("[%d %d %d %d]", r[0], r[1], r[2], r[3])
	at := bytes.Index(out, []byte("/ByteRange ")) + len("/ByteRange ")
	copy(out[at:at+byteRangeWidth], text+string(bytes.Repeat([]byte(" "), byteRangeWidth-len(text))))
	h := alg.NewHash()
	h.Write(out[r[0] : r[0]+r[1]])
	h.Write(out[r[2] : r[2]+r[3]])
	s, err := sign(opts.Signer, opts.Certificate, opts.Chain, h.Sum(nil), alg)
	if err != nil {
		t.Fatal(err)
	}
	token, err := stamp(context.Background(), opts.TSA, s.sig, false)
	if err != nil {
		t.Fatal(err)
	}
	der, err := s.encode(token)
	if err != nil {
		t.Fatal(err)
	}
	hex.Encode(out[c.start+1:], der)
	return out
}

// TestVerifyByteRange: a signature whose /ByteRange leaves out any byte of
// the file but the /Contents hex string is refused, though its signature
// value and time-stamp are genuine over the ranges it names: bytes left
// out are where a shadow attack hides content (ISO 32000-2 §12.8.1).
func TestVerifyByteRange(t *testing.T) {
	p := newTestPKI(t, time.Now())
	tests := []struct {
		name string
		br   func(c span, n int) [4]int
		step string
		want error
	}{
		{"exact", func(c span, n int) [4]int { return [4]int{0, c.start, c.end, n - c.end} }, "", nil},
		{"gap before /Contents", func(c span, n int) [4]int { return [4]int{0, c.start - 20, c.end, n - c.end} }, "byteRange", pdfcheck.ErrByteRange},
		{"gap after /Contents", func(c span, n int) [4]int { return [4]int{0, c.start, c.end + 20, n - c.end - 20} }, "byteRange", pdfcheck.ErrByteRange},
		{"header left out", func(c span, n int) [4]int { return [4]int{9, c.start - 9, c.end, n - c.end} }, "byteRange", pdfcheck.ErrByteRange},
		{"into /Contents", func(c span, n int) [4]int { return [4]int{0, c.start + 2, c.end, n - c.end} }, "byteRange", pdfcheck.ErrByteRange},
		{"end left out", func(c span, n int) [4]int { return [4]int{0, c.start, c.end, n - c.end - 7} }, "find", pdfcheck.ErrAddedAfterSigning},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := signRanges(t, p, minimalPDF(), tt.br)
			_, err := pdfcheck.Verify(b, p.roots)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify(exact ranges) = %v", err)
				}
				return
			}
			var ve *pdfcheck.VerifyError
			if !errors.As(err, &ve) || ve.Step != tt.step || !errors.Is(err, tt.want) {
				t.Fatalf("Verify(%s) = %v, want step %s, %v", tt.name, err, tt.step, tt.want)
			}
		})
	}
}
