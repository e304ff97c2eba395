package notary

import (
	"crypto/x509"
	"errors"
	"github.com/custos-project/custos/internal/cms"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
)

// FuzzRespond feeds arbitrary bytes to the query parser. Respond must never
// panic; it either fails with ErrBadQuery or answers with a reply that
// parses, and a granted reply must verify and carry the query's imprint.
func FuzzRespond(f *testing.F) {
	for _, name := range []string{"query.tsq", "query-nonce.tsq"} {
		seed, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(seed)
		// A few mutations: truncated, a flipped tag, a grown length, a
		// trailing byte, a policy and a critical extension spliced in.
		f.Add(seed[:len(seed)/2])
		flipped := append([]byte(nil), seed...)
		flipped[2] ^= 0x04
		f.Add(flipped)
		grown := append([]byte(nil), seed...)
		grown[1]++
		f.Add(grown)
		f.Add(append(append([]byte(nil), seed...), 0))
	}
	f.Add(cms.TLV(cms.TagSequence, derVersion1, cms.TLV(cms.TagSequence, derSHA256Imprint, cms.TLV(cms.TagOctetString, digestOf("x"))), cms.MustOID(DefaultPolicy), []byte{cms.TagInteger, 1, 7}, []byte{cms.TagBoolean, 1, 0xff}))
	f.Add([]byte{})
	f.Add([]byte{0x30, 0x80, 0x00, 0x00})

	p := newTestPKI(f, time.Now())
	tsa := newTestTSA(f, p, nil)
	inter := append([]*x509.Certificate{p.tsa.Cert}, p.tsa.Chain...)
	f.Fuzz(func(t *testing.T, query []byte) {
		reply, err := tsa.Respond(query)
		if err != nil {
			if !errors.Is(err, ErrBadQuery) {
				t.Fatalf("Respond() = %v, want ErrBadQuery or a reply", err)
			}
			return
		}
		if _, err := checkStatus(reply); err != nil {
			return // a rejection: checkStatus parsed it
		}
		q, err := parseQuery(query)
		if err != nil {
			t.Fatalf("granted a query that parseQuery refuses: %v", err)
		}
		if _, err := Check(reply, q.hash, q.digest, p.roots, inter); err != nil {
			t.Fatalf("Check(granted reply) = %v", err)
		}
		if _, err := timestamp.ParseResponse(reply); err != nil {
			t.Fatalf("timestamp.ParseResponse(granted reply) = %v", err)
		}
	})
}
