package cms

import (
	"bytes"
	"crypto"
	"errors"
	"reflect"
	"testing"

	"github.com/custos-project/custos/internal/oids"
)

// testQueries are the TimeStampReqs of testdata, written by
// `openssl ts -query` (with and without -no_nonce).
func testQueries(t testing.TB) [][]byte {
	t.Helper()
	return readTestdata(t, "query.tsq", "query-nonce.tsq")
}

func TestDecodeRequestOpenSSL(t *testing.T) {
	for i, der := range testQueries(t) {
		r, err := DecodeRequest(der)
		if err != nil {
			t.Fatalf("DecodeRequest(query %d) = %v", i, err)
		}
		h := r.MessageImprint.Hash()
		if r.Version != 1 || h == 0 || len(r.MessageImprint.HashedMessage) != h.Size() {
			t.Errorf("DecodeRequest(query %d) = %+v, want version 1 and a SHA-2 imprint", i, r)
		}
		if got := ImprintOf(h, r.MessageImprint.HashedMessage); !bytes.Equal(got, r.Imprint) {
			t.Errorf("ImprintOf(query %d's hash and digest) = %x, want OpenSSL's %x", i, got, r.Imprint)
		}
		if got, err := r.Encode(); err != nil || !bytes.Equal(got, der) {
			t.Errorf("Encode(DecodeRequest(query %d)) = %x, %v, want %x", i, got, err, der)
		}
	}
}

func TestDecodeRequestFields(t *testing.T) {
	imprint := ImprintOf(crypto.SHA384, make([]byte, 48))
	ext := TLV(TagSequence, MustOID(oids.Data), []byte{TagBoolean, 1, 0xff}, TLV(TagOctetString, []byte{5, 0}))
	der := TLV(TagSequence, Int(1), imprint, MustOID(oids.TSTInfo), Int(-5), []byte{TagBoolean, 1, 0xff}, TLV(TagContext0, ext))
	r, err := DecodeRequest(der)
	if err != nil {
		t.Fatal(err)
	}
	want := &Request{Version: 1, Imprint: imprint, MessageImprint: r.MessageImprint, Policy: oids.TSTInfo, Nonce: Int(-5), CertReq: true,
		Extensions: []Extension{{ID: oids.Data, Critical: true, Value: []byte{5, 0}}}}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("DecodeRequest() = %+v, want %+v", r, want)
	}
	if r.MessageImprint.Hash() != crypto.SHA384 {
		t.Errorf("Hash() = %v, want SHA-384", r.MessageImprint.Hash())
	}
	if got, err := r.Encode(); err != nil || !bytes.Equal(got, der) {
		t.Errorf("Encode() = %x, %v, want %x", got, err, der)
	}
}

func TestMessageImprintHash(t *testing.T) {
	digest := TLV(TagOctetString, make([]byte, 32))
	for _, c := range []struct {
		name string
		alg  []byte
		want crypto.Hash
	}{
		{"NULL parameters", AlgorithmID(oids.SHA256, true), crypto.SHA256},
		{"no parameters", AlgorithmID(oids.SHA256, false), crypto.SHA256},
		{"other parameters", TLV(TagSequence, MustOID(oids.SHA256), Int(0)), 0},
		{"not a hash", AlgorithmID(oids.Data, false), 0},
	} {
		r, err := DecodeRequest(TLV(TagSequence, Int(1), TLV(TagSequence, c.alg, digest)))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := r.MessageImprint.Hash(); got != c.want {
			t.Errorf("%s: Hash() = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestDecodeRequestRejects(t *testing.T) {
	good := testQueries(t)[1]
	imprint := ImprintOf(crypto.SHA256, make([]byte, 32))
	for name, der := range map[string][]byte{
		"empty":                    nil,
		"trailing byte":            append(bytes.Clone(good), 0),
		"truncated":                good[:len(good)-1],
		"only version":             TLV(TagSequence, Int(1)),
		"imprint not a sequence":   TLV(TagSequence, Int(1), TLV(TagOctetString, make([]byte, 32))),
		"imprint with extra":       TLV(TagSequence, Int(1), TLV(TagSequence, AlgorithmID(oids.SHA256, true), TLV(TagOctetString), Int(0))),
		"boolean before nonce":     TLV(TagSequence, Int(1), imprint, []byte{TagBoolean, 1, 0xff}, Int(1)),
		"two nonces":               TLV(TagSequence, Int(1), imprint, Int(1), Int(2)),
		"non-DER boolean":          TLV(TagSequence, Int(1), imprint, []byte{TagBoolean, 1, 0x01}),
		"non-minimal nonce":        TLV(TagSequence, Int(1), imprint, []byte{TagInteger, 2, 0, 1}),
		"extension without value":  TLV(TagSequence, Int(1), imprint, TLV(TagContext0, TLV(TagSequence, MustOID(oids.Data)))),
		"extension with extra":     TLV(TagSequence, Int(1), imprint, TLV(TagContext0, TLV(TagSequence, MustOID(oids.Data), TLV(TagOctetString), Int(0)))),
		"element after extensions": TLV(TagSequence, Int(1), imprint, TLV(TagContext0), Int(1)),
	} {
		if r, err := DecodeRequest(der); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: DecodeRequest() = %+v, %v, want ErrMalformed", name, r, err)
		}
	}
}

// FuzzDecodeRequest: DecodeRequest never panics; what it accepts encodes,
// and decodes again to the same Request. Encoding gives back the very
// bytes unless they spelled out a DEFAULT FALSE (certReq, critical),
// which DER leaves out.
func FuzzDecodeRequest(f *testing.F) {
	for _, q := range testQueries(f) {
		f.Add(q)
	}
	f.Add(TLV(TagSequence, Int(1), ImprintOf(crypto.SHA256, make([]byte, 32)), []byte{TagBoolean, 1, 0},
		TLV(TagContext0, TLV(TagSequence, MustOID(oids.Data), []byte{TagBoolean, 1, 0}, TLV(TagOctetString)))))
	f.Fuzz(func(t *testing.T, der []byte) {
		r, err := DecodeRequest(der)
		if err != nil {
			return
		}
		_ = r.MessageImprint.Hash()
		enc, err := r.Encode()
		if err != nil {
			t.Fatalf("Encode(DecodeRequest(%x)) = %v", der, err)
		}
		again, err := DecodeRequest(enc)
		if err != nil || !reflect.DeepEqual(again, r) && !sameRequest(again, r) {
			t.Fatalf("DecodeRequest(Encode(DecodeRequest(%x))) = %+v, %v, want %+v", der, again, err, r)
		}
		if !bytes.Equal(enc, der) && !bytes.Contains(der, []byte{TagBoolean, 1, 0}) {
			t.Fatalf("Encode(DecodeRequest(%x)) = %x", der, enc)
		}
	})
}

// sameRequest compares two Requests field by field, the byte slices by
// their contents (a decoded empty slice may be nil or not).
func sameRequest(a, b *Request) bool {
	if len(a.Extensions) != len(b.Extensions) {
		return false
	}
	for i := range a.Extensions {
		x, y := a.Extensions[i], b.Extensions[i]
		if !x.ID.Equal(y.ID) || x.Critical != y.Critical || !bytes.Equal(x.Value, y.Value) {
			return false
		}
	}
	return a.Version == b.Version && bytes.Equal(a.Imprint, b.Imprint) && bytes.Equal(a.Nonce, b.Nonce) &&
		a.CertReq == b.CertReq && a.Policy.Equal(b.Policy) && a.MessageImprint.HashAlgorithm.Algorithm.Equal(b.MessageImprint.HashAlgorithm.Algorithm) &&
		bytes.Equal(a.MessageImprint.HashAlgorithm.Parameters.FullBytes, b.MessageImprint.HashAlgorithm.Parameters.FullBytes) &&
		bytes.Equal(a.MessageImprint.HashedMessage, b.MessageImprint.HashedMessage)
}
