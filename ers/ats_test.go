package ers

import (
	"crypto"
	"errors"
	"testing"
)

// One ArchiveTimeStamp encodes and decodes alone, with and without a
// reduced hash tree, to the same bytes; trailing bytes are refused.
func TestArchiveTimeStampRoundTrip(t *testing.T) {
	p := newTestPKI(t)
	x := p.tsa(t, "TSA", t0)
	b := build(t, x, items(3))
	for i := range 3 {
		a := b.ArchiveTimeStamp(i)
		der := EncodeArchiveTimeStamp(a)
		got, err := DecodeArchiveTimeStamp(der)
		if err != nil {
			t.Fatalf("DecodeArchiveTimeStamp(item %d) = %v", i, err)
		}
		if string(EncodeArchiveTimeStamp(got)) != string(der) || got.Hash != crypto.SHA256 {
			t.Errorf("DecodeArchiveTimeStamp(item %d) does not encode back", i)
		}
		if _, err := DecodeArchiveTimeStamp(append(der, 0)); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeArchiveTimeStamp(with a trailing byte) = %v, want ErrMalformed", err)
		}
	}
	one := ArchiveTimeStamp{Hash: crypto.SHA512, TimeStamp: b.Token()}
	if got, err := DecodeArchiveTimeStamp(EncodeArchiveTimeStamp(one)); err != nil || got.Tree != nil || got.Hash != crypto.SHA512 {
		t.Errorf("DecodeArchiveTimeStamp(no tree) = %+v, %v", got, err)
	}
}

func TestParseHash(t *testing.T) {
	for in, want := range map[string]crypto.Hash{"SHA-256": crypto.SHA256, "sha512": crypto.SHA512, "Sha-384": crypto.SHA384, "SHA-1": 0, "SM3": 0, "": 0} {
		if got, ok := ParseHash(in); got != want || ok != (want != 0) {
			t.Errorf("ParseHash(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
}

// InspectToken names a built-in TSA token's signer and algorithms, and
// refuses a token whose signature is broken.
func TestInspectToken(t *testing.T) {
	p := newTestPKI(t)
	x := p.tsa(t, "Inspected TSA", t0)
	tok := build(t, x, items(2)).Token()
	info, err := InspectToken(tok)
	if err != nil || info.Signer.Subject.CommonName != "Inspected TSA" || info.Imprint != crypto.SHA256 || !info.Time.Equal(x.now) {
		t.Fatalf("InspectToken = %+v, %v", info, err)
	}
	if want := []string{"1.2.840.10045.4.3.2", "2.16.840.1.101.3.4.2.1", "SHA-256"}; len(info.Algorithms) != 3 || info.Algorithms[0] != want[0] || info.Algorithms[1] != want[1] || info.Algorithms[2] != want[2] {
		t.Errorf("InspectToken().Algorithms = %v, want %v", info.Algorithms, want)
	}
	bad := append([]byte(nil), tok...)
	bad[len(bad)-5] ^= 1
	if _, err := InspectToken(bad); !errors.Is(err, ErrBadToken) {
		t.Errorf("InspectToken(damaged) = %v, want ErrBadToken", err)
	}
}
