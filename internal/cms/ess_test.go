package cms

import (
	"bytes"
	"crypto"
	"errors"
	"math/big"
	"testing"

	"github.com/custos-project/custos/internal/oids"
)

// TestDecodeESSCertID decodes the identifiers SigningCertificateV2Attribute
// writes and the other shapes RFC 2634 and RFC 5035 allow.
func TestDecodeESSCertID(t *testing.T) {
	cert := testCert(t)
	attr, err := SigningCertificateV2Attribute(cert)
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := DecodeAttributes(SignedAttributes(attr))
	if err != nil {
		t.Fatal(err)
	}
	v, err := attrs.Single(oids.SigningCertV2)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := SigningCertificateIDs(v)
	if err != nil || len(ids) != 1 {
		t.Fatalf("SigningCertificateIDs() = %d identifiers, %v; want 1", len(ids), err)
	}
	id, err := DecodeESSCertID(ids[0].FullBytes, true)
	if err != nil || id.Hash != crypto.SHA256 || id.Serial.Cmp(cert.SerialNumber) != 0 {
		t.Errorf("DecodeESSCertID(ours) = %+v, %v; want SHA-256 and the serial %v", id, err, cert.SerialNumber)
	}
	certHash := TLV(TagOctetString, []byte{1, 2, 3})
	for _, c := range []struct {
		name string
		id   []byte
		v2   bool
		want ESSCertID
	}{
		{"v1", TLV(TagSequence, certHash), false, ESSCertID{Hash: crypto.SHA1, CertHash: []byte{1, 2, 3}}},
		{"v2 SHA-384", TLV(TagSequence, AlgorithmID(oids.SHA384, false), certHash), true, ESSCertID{Hash: crypto.SHA384, CertHash: []byte{1, 2, 3}}},
		{"v2 with issuer serial", TLV(TagSequence, certHash, TLV(TagSequence, TLV(TagSequence), Int(9))), true,
			ESSCertID{Hash: crypto.SHA256, CertHash: []byte{1, 2, 3}, Serial: big.NewInt(9)}},
	} {
		got, err := DecodeESSCertID(c.id, c.v2)
		if err != nil || got.Hash != c.want.Hash || !bytes.Equal(got.CertHash, c.want.CertHash) ||
			(got.Serial == nil) != (c.want.Serial == nil) || got.Serial != nil && got.Serial.Cmp(c.want.Serial) != 0 {
			t.Errorf("%s: DecodeESSCertID() = %+v, %v; want %+v", c.name, got, err, c.want)
		}
	}
	for _, c := range []struct {
		name, part string
		id         []byte
		v2         bool
		want       error
	}{
		{"not a SEQUENCE", "ESS certificate identifier", certHash, true, ErrMalformed},
		{"empty", "ESS certificate identifier", TLV(TagSequence), true, ErrMalformed},
		{"v1 with an algorithm", "ESS certificate hash", TLV(TagSequence, AlgorithmID(oids.SHA256, false), certHash), false, ErrMalformed},
		{"unknown hash", "ESS hash algorithm " + oids.Data.String(), TLV(TagSequence, AlgorithmID(oids.Data, false), certHash), true, ErrUnsupported},
		{"algorithm only", "ESS certificate hash", TLV(TagSequence, AlgorithmID(oids.SHA256, false)), true, ErrMalformed},
		{"bad issuer serial", "ESS issuer serial", TLV(TagSequence, certHash, TLV(TagSequence, Int(1))), true, ErrMalformed},
	} {
		_, err := DecodeESSCertID(c.id, c.v2)
		var e *ESSCertIDError
		if !errors.As(err, &e) || e.Part != c.part || !errors.Is(err, c.want) {
			t.Errorf("%s: DecodeESSCertID() = %v, want part %q and %v", c.name, err, c.part, c.want)
		}
	}
}
