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
