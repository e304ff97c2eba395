package pdf

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/custos-project/custos/internal/testenv"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/custos-project/custos/pdfcheck"
)

// TestGoldenSignature pins the exact bytes Sign writes for fixed keys,
// time and randomness (testing/cryptotest makes crypto/rand, and with it
// key generation, serial numbers and ECDSA signatures, deterministic): the
// CMS SignedData of /Contents byte for byte, and the SHA-256 of the whole
// signed file. The input is a small hand-written PDF, so that the test
// pins the signature and not the renderer.
func TestGoldenSignature(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 5652)
	p := newTestPKI(t, time.Date(2026, 3, 1, 7, 0, 0, 0, time.UTC))
	signed, err := Sign(context.Background(), minimalPDF(), p.options())
	if err != nil {
		t.Fatal(err)
	}
	sig, err := pdfcheck.FindSignature(signed)
	if err != nil {
		t.Fatal(err)
	}
	// /Contents is the DER ContentInfo padded with zero bytes.
	br := sig.ByteRange
	contents, err := hex.DecodeString(string(signed[br[1]+1 : br[2]-1]))
	if err != nil {
		t.Fatal(err)
	}
	var cms cryptobyte.String
	if in := cryptobyte.String(contents); !in.ReadASN1Element(&cms, cbasn1.SEQUENCE) {
		t.Fatal("/Contents does not start with a DER SEQUENCE")
	}
	testenv.Golden(t, filepath.Join("testdata", "golden", "signature.der"), cms)
	testenv.Golden(t, filepath.Join("testdata", "golden", "signed.sha256"), fmt.Appendf(nil, "%x\n", sha256.Sum256(signed)))
	if _, err := pdfcheck.Verify(signed, p.roots); err != nil {
		t.Fatalf("Verify(golden) = %v", err)
	}
}

// minimalPDF is a one-page PDF with a classic cross-reference table.
func minimalPDF() []byte {
	var b bytes.Buffer
	var offsets []int
	b.WriteString("%PDF-1.7\n")
	for _, obj := range []string{
		"<</Type /Catalog /Pages 2 0 R>>",
		"<</Type /Pages /Kids [3 0 R] /Count 1>>",
		"<</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]>>",
	} {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), obj)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<</Size %d /Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}
