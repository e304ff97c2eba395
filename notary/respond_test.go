package notary

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"github.com/custos-project/custos/internal/cms"
	"github.com/custos-project/custos/internal/oids"
	"math/big"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
)

// withExtension appends extensions [0] to a marshalled TimeStampReq.
func withExtension(t *testing.T, query []byte, ext pkix.Extension) []byte {
	t.Helper()
	var raw asn1.RawValue
	if _, err := asn1.Unmarshal(query, &raw); err != nil {
		t.Fatal(err)
	}
	e, err := asn1.Marshal(ext)
	if err != nil {
		t.Fatal(err)
	}
	return cms.TLV(cms.TagSequence, raw.Bytes, cms.TLV(cms.TagContext0, e))
}

// withVersion replaces the version of a marshalled TimeStampReq.
func withVersion(t *testing.T, query []byte, v byte) []byte {
	t.Helper()
	q := bytes.Clone(query)
	if q[2] != cms.TagInteger || q[3] != 1 || q[4] != 1 {
		t.Fatalf("unexpected query prefix % x", q[:5])
	}
	q[4] = v
	return q
}

func TestRespond(t *testing.T) {
	p := newTestPKI(t, time.Now())
	tsa := newTestTSA(t, p, nil)
	digest := digestOf("evidence")
	nonce := new(big.Int).SetUint64(0xdeadbeefcafebabe)
	base := timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: digest}
	with := func(f func(r *timestamp.Request)) []byte {
		r := base
		f(&r)
		return mustQuery(t, r)
	}
	tests := []struct {
		name      string
		query     []byte
		wantCerts bool
		wantNonce *big.Int
	}{
		{"plain", mustQuery(t, base), false, nil},
		{"certReq", with(func(r *timestamp.Request) { r.Certificates = true }), true, nil},
		{"nonce", with(func(r *timestamp.Request) { r.Nonce = nonce }), false, nonce},
		{"negative nonce", with(func(r *timestamp.Request) { r.Nonce = big.NewInt(-5) }), false, big.NewInt(-5)},
		{"our policy", with(func(r *timestamp.Request) { r.TSAPolicyOID = DefaultPolicy }), false, nil},
		{"non-critical extension", withExtension(t, mustQuery(t, base), pkix.Extension{Id: asn1.ObjectIdentifier{1, 2, 3}, Value: []byte{5, 0}}), false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply, err := tsa.Respond(tt.query)
			if err != nil {
				t.Fatalf("Respond() = %v", err)
			}
			ts, err := timestamp.ParseResponse(reply)
			if err != nil {
				t.Fatalf("ParseResponse() = %v", err)
			}
			if got := len(ts.Certificates) > 0; got != tt.wantCerts {
				t.Errorf("certificates embedded = %v, want %v", got, tt.wantCerts)
			}
			if (ts.Nonce == nil) != (tt.wantNonce == nil) || (ts.Nonce != nil && ts.Nonce.Cmp(tt.wantNonce) != 0) {
				t.Errorf("nonce = %v, want %v", ts.Nonce, tt.wantNonce)
			}
			// A token without certificates verifies given the TSA certificate.
			var inter []*x509.Certificate
			if !tt.wantCerts {
				inter = append([]*x509.Certificate{p.tsa.Cert}, p.tsa.Chain...)
				if _, err := Check(reply, crypto.SHA256, digest, p.roots, nil); !errors.Is(err, ErrBadReply) {
					t.Errorf("Check() without the TSA certificate = %v, want ErrBadReply", err)
				}
			}
			if _, err := Check(reply, crypto.SHA256, digest, p.roots, inter); err != nil {
				t.Errorf("Check() = %v", err)
			}
		})
	}
}

func TestRespondRejects(t *testing.T) {
	p := newTestPKI(t, time.Now())
	tsa := newTestTSA(t, p, nil)
	base := timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: digestOf("x")}
	tests := []struct {
		name  string
		query []byte
		want  timestamp.FailureInfo
	}{
		{"unknown policy", mustQuery(t, timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: digestOf("x"), TSAPolicyOID: asn1.ObjectIdentifier{1, 2, 3, 4}}), timestamp.UnacceptedPolicy},
		{"SHA-1", mustQuery(t, timestamp.Request{HashAlgorithm: crypto.SHA1, HashedMessage: make([]byte, 20)}), timestamp.BadAlgorithm},
		{"short imprint", mustQuery(t, timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: make([]byte, 20)}), timestamp.BadDataFormat},
		{"version 2", withVersion(t, mustQuery(t, base), 2), timestamp.BadDataFormat},
		{"critical extension", withExtension(t, mustQuery(t, base), pkix.Extension{Id: asn1.ObjectIdentifier{1, 2, 3}, Critical: true, Value: []byte{5, 0}}), timestamp.UnacceptedExtension},
		{"huge nonce", mustQuery(t, timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: digestOf("x"), Nonce: new(big.Int).Lsh(big.NewInt(1), 8*maxNonceSize+1)}), timestamp.BadDataFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply, err := tsa.Respond(tt.query)
			if err != nil {
				t.Fatalf("Respond() = %v, want a rejection reply", err)
			}
			wantRejection(t, reply, tt.want)
		})
	}
}

func TestRespondBadQuery(t *testing.T) {
	p := newTestPKI(t, time.Now())
	tsa := newTestTSA(t, p, nil)
	good := mustQuery(t, timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: digestOf("x"), Certificates: true})
	tests := []struct {
		name  string
		query []byte
	}{
		{"empty", nil},
		{"garbage", []byte("GET / HTTP/1.1\r\n")},
		{"truncated", good[:len(good)-1]},
		{"trailing byte", append(bytes.Clone(good), 0)},
		{"not a sequence", []byte{cms.TagInteger, 1, 1}},
		{"only version", cms.TLV(cms.TagSequence, derVersion1)},
		{"imprint not a sequence", cms.TLV(cms.TagSequence, derVersion1, cms.TLV(cms.TagOctetString, digestOf("x")))},
		{"boolean before nonce", cms.TLV(cms.TagSequence, derVersion1, cms.TLV(cms.TagSequence, derSHA256Imprint, cms.TLV(cms.TagOctetString, digestOf("x"))), []byte{cms.TagBoolean, 1, 0xff}, []byte{cms.TagInteger, 1, 1})},
		{"non-DER boolean", cms.TLV(cms.TagSequence, derVersion1, cms.TLV(cms.TagSequence, derSHA256Imprint, cms.TLV(cms.TagOctetString, digestOf("x"))), []byte{cms.TagBoolean, 1, 0x01})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if reply, err := tsa.Respond(tt.query); !errors.Is(err, ErrBadQuery) {
				t.Errorf("Respond() = %x, %v, want ErrBadQuery", reply, err)
			}
		})
	}
}

// TestRespondEchoesImprint checks RFC 3161 §2.4.2: the TSTInfo's
// messageImprint is the query's, byte for byte, even with absent
// AlgorithmIdentifier parameters.
func TestRespondEchoesImprint(t *testing.T) {
	p := newTestPKI(t, time.Now())
	tsa := newTestTSA(t, p, nil)
	imprint := cms.TLV(cms.TagSequence, cms.TLV(cms.TagSequence, cms.MustOID(oids.SHA256)), cms.TLV(cms.TagOctetString, digestOf("x")))
	reply, err := tsa.Respond(cms.TLV(cms.TagSequence, derVersion1, imprint))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(reply, imprint) {
		t.Errorf("reply does not contain the query's messageImprint")
	}
	if _, err := Check(reply, crypto.SHA256, digestOf("x"), p.roots, append([]*x509.Certificate{p.tsa.Cert}, p.tsa.Chain...)); err != nil {
		t.Errorf("Check() = %v", err)
	}
}
