package cms

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"reflect"
	"testing"
	"time"

	"github.com/custos-project/custos/internal/oids"
)

// testSignedData is a token-shaped SignedData with contents of the given
// sizes, for the encoder's length arithmetic.
func testSignedData(content, sig int, certs, unsigned bool) *SignedData {
	sd := &SignedData{
		Version:          3,
		DigestAlgorithms: AlgorithmID(oids.SHA256, false),
		ContentType:      MustOID(oids.TSTInfo),
		Content:          bytes.Repeat([]byte{'t'}, content),
		Signer: SignerInfo{
			Version:            1,
			SID:                TLV(TagSequence, TLV(TagSequence), Int(7)),
			DigestAlgorithm:    AlgorithmID(oids.SHA256, false),
			SignedAttrs:        SignedAttributes(MessageDigestAttribute(make([]byte, 32))),
			SignatureAlgorithm: AlgorithmID(oids.ECDSAWithSHA256, false),
			Signature:          bytes.Repeat([]byte{'s'}, sig),
		},
	}
	if certs {
		sd.Certificates = TLV(TagSequence, []byte("not a certificate"))
	}
	if unsigned {
		sd.Signer.UnsignedAttrs = TLV(TagSet, Attribute(oids.TimeStampToken, TLV(TagSequence)))
	}
	return sd
}

// nested encodes sd element by element, each TLV around its finished
// contents: the obvious encoding the one-pass Append must equal.
func nested(sd *SignedData) []byte {
	var content []byte
	if sd.Content != nil {
		content = TLV(TagContext0, TLV(TagOctetString, sd.Content))
	}
	var certs []byte
	if sd.Certificates != nil {
		certs = TLV(TagContext0, sd.Certificates)
	}
	s := &sd.Signer
	var signed, unsigned []byte
	if s.SignedAttrs != nil {
		signed = append([]byte{TagContext0}, s.SignedAttrs[1:]...)
	}
	if s.UnsignedAttrs != nil {
		unsigned = append([]byte{TagContext1}, s.UnsignedAttrs[1:]...)
	}
	info := TLV(TagSequence, Int(s.Version), s.SID, s.DigestAlgorithm, signed, s.SignatureAlgorithm,
		TLV(TagOctetString, s.Signature), unsigned)
	body := TLV(TagSequence, Int(sd.Version), TLV(TagSet, sd.DigestAlgorithms),
		TLV(TagSequence, sd.ContentType, content), certs, TLV(TagSet, info))
	return TLV(TagSequence, MustOID(oids.SignedData), TLV(TagContext0, body))
}

// Append writes the ContentInfo in one buffer; it must give the bytes the
// element-by-element encoding gives, on both sides of every length-of-length
// boundary of the content and the signer, in one exact allocation.
func TestEncodeMatchesNested(t *testing.T) {
	for _, content := range []int{1, 100, 127, 128, 250, 255, 256, 300, 70000} {
		for _, sig := range []int{1, 100, 127, 128, 255, 256, 70000} {
			for _, certs := range []bool{false, true} {
				sd := testSignedData(content, sig, certs, sig == 100)
				got, want := sd.Encode(), nested(sd)
				if !bytes.Equal(got, want) {
					t.Errorf("Encode(%d-byte content, %d-byte signature, certs %v) differs from the nested encoding", content, sig, certs)
				}
				if len(got) != cap(got) {
					t.Errorf("Encode(%d, %d, %v): len %d, cap %d; want one exact allocation", content, sig, certs, len(got), cap(got))
				}
				reply := sd.EncodeReply()
				if want := EncodeReply(want); !bytes.Equal(reply, want) || len(reply) != cap(reply) {
					t.Errorf("EncodeReply(%d, %d, %v) differs from EncodeReply(nested), or is not one exact allocation", content, sig, certs)
				}
			}
		}
	}
}

// Decode then Encode gives back the same bytes, and Decode gives back the
// structure that was encoded.
func TestDecodeRoundTrip(t *testing.T) {
	detached := testSignedData(0, 64, true, true)
	detached.Version, detached.Content, detached.ContentType = 1, nil, MustOID(oids.Data)
	ski := testSignedData(10, 64, false, false)
	ski.Signer.Version, ski.Signer.SID = 3, []byte{0x80, 2, 0xca, 0xfe}
	noAttrs := testSignedData(10, 64, false, false)
	noAttrs.Signer.SignedAttrs = nil
	empty := testSignedData(0, 0, false, false)
	empty.Certificates = []byte{}
	for name, sd := range map[string]*SignedData{
		"token": testSignedData(300, 72, true, false), "detached": detached, "ski": ski,
		"no signed attributes": noAttrs, "empty content and certificates": empty,
	} {
		t.Run(name, func(t *testing.T) {
			der := sd.Encode()
			got, err := Decode(der)
			if err != nil {
				t.Fatalf("Decode(Encode()) = %v", err)
			}
			if !reflect.DeepEqual(got, sd) {
				t.Errorf("Decode(Encode(sd)) = %+v, want %+v", got, sd)
			}
			if again := got.Encode(); !bytes.Equal(again, der) {
				t.Errorf("Encode(Decode(der)) differs from der")
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	good := testSignedData(10, 64, true, false).Encode()
	// The SET of one SignerInfo replaced by a SET of two copies of it.
	sd, _ := Decode(good)
	info := sd.Signer.append(nil, sd.Signer.size())
	body := TLV(TagSequence, Int(3), TLV(TagSet, sd.DigestAlgorithms), TLV(TagSequence, sd.ContentType,
		TLV(TagContext0, TLV(TagOctetString, sd.Content))), TLV(TagSet, info, info))
	twoSigners := TLV(TagSequence, MustOID(oids.SignedData), TLV(TagContext0, body))
	crls := TLV(TagSequence, MustOID(oids.SignedData), TLV(TagContext0, TLV(TagSequence, Int(3),
		TLV(TagSet, sd.DigestAlgorithms), TLV(TagSequence, sd.ContentType), TLV(TagContext1), TLV(TagSet, info))))
	notSigned := TLV(TagSequence, MustOID(oids.Data), TLV(TagContext0, body))
	longForm := append([]byte{TagSequence, 0x82, 0, byte(len(good) - 2)}, good[2:]...)
	for _, tc := range []struct {
		name string
		der  []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"trailing byte", append(bytes.Clone(good), 0), ErrMalformed},
		{"truncated", good[:len(good)-1], ErrMalformed},
		{"two signers", twoSigners, ErrUnsupported},
		{"revocation information", crls, ErrUnsupported},
		{"not signed data", notSigned, ErrMalformed},
		{"non-minimal length", longForm, ErrMalformed},
		{"indefinite length", append([]byte{TagSequence, 0x80}, good[2:]...), ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Decode(tc.der); !errors.Is(err, tc.want) {
				t.Errorf("Decode(%s) = %v, want %v", tc.name, err, tc.want)
			}
		})
	}
}

func TestInt(t *testing.T) {
	for _, tc := range []struct {
		v    int64
		want []byte
	}{
		{0, []byte{2, 1, 0}}, {1, []byte{2, 1, 1}}, {127, []byte{2, 1, 0x7f}}, {128, []byte{2, 2, 0, 0x80}},
		{256, []byte{2, 2, 1, 0}}, {-1, []byte{2, 1, 0xff}}, {-128, []byte{2, 1, 0x80}}, {-129, []byte{2, 2, 0xff, 0x7f}},
	} {
		if got := Int(tc.v); !bytes.Equal(got, tc.want) {
			t.Errorf("Int(%d) = % x, want % x", tc.v, got, tc.want)
		}
	}
}

func TestUint(t *testing.T) {
	for _, tc := range []struct{ in, want []byte }{
		{nil, []byte{2, 1, 0}}, {[]byte{0, 0, 5}, []byte{2, 1, 5}}, {[]byte{0x80}, []byte{2, 2, 0, 0x80}},
	} {
		if got := Uint(tc.in); !bytes.Equal(got, tc.want) {
			t.Errorf("Uint(% x) = % x, want % x", tc.in, got, tc.want)
		}
	}
}

func TestBitFlag(t *testing.T) {
	// PKIFailureInfo badAlg(0) and systemFailure(25), RFC 3161 §2.4.2.
	for _, tc := range []struct {
		bit  int
		want []byte
	}{{0, []byte{3, 2, 7, 0x80}}, {25, []byte{3, 5, 6, 0, 0, 0, 0x40}}} {
		if got := BitFlag(tc.bit); !bytes.Equal(got, tc.want) {
			t.Errorf("BitFlag(%d) = % x, want % x", tc.bit, got, tc.want)
		}
	}
}

func TestAlgorithmOID(t *testing.T) {
	for _, null := range []bool{false, true} {
		if oid, err := AlgorithmOID(AlgorithmID(oids.SHA384, null)); err != nil || !oid.Equal(oids.SHA384) {
			t.Errorf("AlgorithmOID(AlgorithmID(SHA-384, %v)) = %v, %v", null, oid, err)
		}
	}
	bad := TLV(TagSequence, MustOID(oids.SHA256), Int(0))
	if _, err := AlgorithmOID(bad); !errors.Is(err, ErrMalformed) {
		t.Errorf("AlgorithmOID(INTEGER parameters) = %v, want ErrMalformed", err)
	}
}

func TestHash(t *testing.T) {
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		if got := HashFunc(HashOID(h)); got != h {
			t.Errorf("HashFunc(HashOID(%v)) = %v", h, got)
		}
	}
	if HashOID(crypto.SHA1) != nil || HashFunc(oids.Data) != 0 {
		t.Error("SHA-1 or a non-hash OID has a mapping")
	}
}

func TestSigningCertificateV2(t *testing.T) {
	cert := testCert(t)
	attr, err := SigningCertificateV2Attribute(cert)
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := DecodeAttributes(SignedAttributes(attr, ContentTypeAttribute(MustOID(oids.Data))))
	if err != nil {
		t.Fatal(err)
	}
	v, err := attrs.Single(oids.SigningCertV2)
	if err != nil {
		t.Fatal(err)
	}
	h, certHash, err := DecodeSigningCertificateV2(v)
	want := sha256.Sum256(cert.Raw)
	if err != nil || h != crypto.SHA256 || !bytes.Equal(certHash, want[:]) {
		t.Errorf("DecodeSigningCertificateV2() = %v, %x, %v; want SHA-256, %x", h, certHash, err, want)
	}
	if !attrs.Has(oids.ContentType) || attrs.Has(oids.SigningTime) {
		t.Errorf("Has: content-type %v, signing-time %v; want true, false", attrs.Has(oids.ContentType), attrs.Has(oids.SigningTime))
	}
	sid, err := IssuerAndSerial(cert)
	if err != nil {
		t.Fatal(err)
	}
	issuer, serial, err := DecodeIssuerAndSerial(sid)
	if err != nil || !bytes.Equal(issuer, cert.RawIssuer) || serial.Cmp(cert.SerialNumber) != 0 {
		t.Errorf("DecodeIssuerAndSerial(IssuerAndSerial(cert)) = %x, %v, %v", issuer, serial, err)
	}
}

func TestDecodeAttributesRejectsDuplicates(t *testing.T) {
	a := MessageDigestAttribute([]byte{1})
	if _, err := DecodeAttributes(TLV(TagSet, a, a)); !errors.Is(err, ErrMalformed) {
		t.Errorf("DecodeAttributes(two message-digests) = %v, want ErrMalformed", err)
	}
}

// TestSortedSet checks the DER order of a SET OF, as SignedAttributes
// writes it.
func TestSortedSet(t *testing.T) {
	a, b := MessageDigestAttribute([]byte{1}), ContentTypeAttribute(MustOID(oids.TSTInfo))
	if bytes.Compare(a, b) > 0 {
		a, b = b, a
	}
	for _, c := range []struct {
		name string
		der  []byte
		want bool
	}{
		{"SignedAttributes", SignedAttributes(a, b), true},
		{"one", TLV(TagSet, a), true},
		{"empty", TLV(TagSet), true},
		{"equal", TLV(TagSet, a, a), true},
		{"unsorted", TLV(TagSet, b, a), false},
		{"a SEQUENCE", TLV(TagSequence, a), false},
		{"trailing byte", append(TLV(TagSet, a), 0), false},
		{"cut element", TLV(TagSet, a[:len(a)-1]), false},
		{"empty input", nil, false},
	} {
		if got := SortedSet(c.der); got != c.want {
			t.Errorf("%s: SortedSet(%x) = %v, want %v", c.name, c.der, got, c.want)
		}
	}
}

func TestDecodeReply(t *testing.T) {
	token := testSignedData(10, 64, false, false).Encode()
	if got, err := DecodeReply(EncodeReply(token)); err != nil || !bytes.Equal(got, token) {
		t.Errorf("DecodeReply(EncodeReply(token)) = %v, want the token", err)
	}
	rejection := TLV(TagSequence, TLV(TagSequence, Int(2), BitFlag(0)))
	if _, err := DecodeReply(rejection); !errors.Is(err, ErrNotGranted) {
		t.Errorf("DecodeReply(rejection) = %v, want ErrNotGranted", err)
	}
	status, token, err := SplitResponse(EncodeRejection(5, "malformed request"))
	if err != nil || token != nil {
		t.Fatalf("SplitResponse(EncodeRejection()) = %x, %v; want no token", token, err)
	}
	st, err := DecodeStatus(status)
	if err != nil || st.Status != 2 || len(st.StatusString) != 1 || st.StatusString[0] != "malformed request" ||
		st.FailInfo.BitLength != 6 || st.FailInfo.At(5) != 1 {
		t.Errorf("DecodeStatus(EncodeRejection(5, ...)) = %+v, %v", st, err)
	}
	if _, err := DecodeReply(TLV(TagSequence, TLV(TagSequence, Int(0)))); !errors.Is(err, ErrMalformed) {
		t.Errorf("DecodeReply(granted without token) = %v, want ErrMalformed", err)
	}
}

func TestParseCertificatesWith(t *testing.T) {
	cert := testCert(t)
	sd := testSignedData(1, 1, false, false)
	sd.Certificates = append(bytes.Clone(cert.Raw), cert.Raw...)
	got, err := sd.ParseCertificatesWith(x509.ParseCertificate)
	if err != nil || len(got) != 2 || !got[1].Equal(cert) {
		t.Errorf("ParseCertificatesWith() = %d certificates, %v; want 2", len(got), err)
	}
	sd.Certificates = TLV(TagSequence)
	if _, err := sd.ParseCertificatesWith(x509.ParseCertificate); !errors.Is(err, ErrMalformed) {
		t.Errorf("ParseCertificatesWith(empty SEQUENCE) = %v, want ErrMalformed", err)
	}
}

func testCert(t *testing.T) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(0x80f00d), Subject: pkix.Name{CommonName: "cms test"},
		NotBefore: now, NotAfter: now.AddDate(1, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}
