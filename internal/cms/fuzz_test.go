package cms

import (
	"bytes"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
)

// seeds adds the DER files of testdata (a PAdES signature, a TSA reply and
// its token, written by notary and notary/pdf) and a few encoded here.
func seeds(f *testing.F) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.der"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds in testdata: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(testSignedData(10, 64, true, true).Encode())
	f.Add(EncodeReply(testSignedData(200, 128, false, false).Encode()))
}

// FuzzDecode: Decode never panics, and what it accepts re-encodes to the
// same bytes (one encoding per SignedData: nothing is lost or normalized).
// The decoders of the parts it leaves as DER never panic either.
func FuzzDecode(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, der []byte) {
		if token, err := DecodeReply(der); err == nil {
			der = token
		}
		sd, err := Decode(der)
		if err != nil {
			return
		}
		if got := sd.Encode(); !bytes.Equal(got, der) {
			t.Fatalf("Encode(Decode(der)) = %x, want %x", got, der)
		}
		if sd.Size() != len(der) {
			t.Fatalf("Size() = %d, want %d", sd.Size(), len(der))
		}
		_, _ = sd.ParseCertificatesWith(x509.ParseCertificate)
		_, _, _ = DecodeIssuerAndSerial(sd.Signer.SID)
		_, _ = AlgorithmOID(sd.Signer.DigestAlgorithm)
		for _, set := range [][]byte{sd.Signer.SignedAttrs, sd.Signer.UnsignedAttrs} {
			attrs, err := DecodeAttributes(set)
			if err != nil {
				continue
			}
			for _, values := range attrs {
				for _, v := range values {
					_, _, _ = DecodeSigningCertificateV2(v)
				}
			}
		}
	})
}

// FuzzDecodeParts: the decoders of parts never panic on any input.
func FuzzDecodeParts(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, der []byte) {
		_, _ = DecodeReply(der)
		_, _ = DecodeAttributes(der)
		_, _, _ = DecodeSigningCertificateV2(der)
		_, _, _ = DecodeIssuerAndSerial(der)
		_, _ = AlgorithmOID(der)
		_ = SortedSet(der)
		if ids, err := SigningCertificateIDs(der); err == nil && len(ids) > 0 {
			_, _ = DecodeESSCertID(ids[0].FullBytes, true)
		}
		_, _ = DecodeESSCertID(der, true)
		_, _ = DecodeESSCertID(der, false)
		_, _ = DecodeTSTInfo(der)
		_, _, _ = SplitResponse(der)
		_, _ = DecodeStatus(der)
		if sd, err := SignedDataContent(der); err == nil {
			_, _ = EContentType(sd)
		}
	})
}
