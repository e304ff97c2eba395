package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/evidence/tokenstore"
	"github.com/custos-project/custos/notary"
)

// realTSA is the built-in TSA over a development PKI, whose replies embed
// the certificate chain as every upload's do.
func realTSA(t testing.TB) *notary.TSA {
	t.Helper()
	pki, err := certs.LoadOrCreateDev(filepath.Join(t.TempDir(), "pki"), "Token Store Notary", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tsa, err := notary.NewTSA(notary.TSAConfig{Cert: pki.TSA.Cert, Chain: pki.TSA.Chain, Signer: pki.TSA.Signer})
	if err != nil {
		t.Fatal(err)
	}
	return tsa
}

// Uploads store their replies without the certificates, which are stored
// once, and every reply reads back byte for byte (the wiring of
// evidence/tokenstore; its own tests are there).
func TestTokensStoredWithoutCertificates(t *testing.T) {
	db, blobs, _ := openFolderStore(t, nil)
	s, err := New(context.Background(), Config{DB: db, Blobs: blobs, TSA: realTSA(t)})
	if err != nil {
		t.Fatal(err)
	}
	var recs []*Record
	for i := range 3 {
		rec, err := ingest(t, s, fmt.Sprintf("exhibit %d", i))
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	for _, rec := range recs {
		reply, err := s.Token(context.Background(), rec, 0)
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(reply); hex.EncodeToString(sum[:]) != rec.Tokens[0].SHA256 {
			t.Errorf("Token(%s, 0) has SHA-256 %x, want the record's %s", rec.ID, sum, rec.Tokens[0].SHA256)
		}
	}
	err = db.View(func(tx *bolt.Tx) error {
		if n := tx.Bucket(tokenstore.CertsBucket).Stats().KeyN; n != 1 {
			t.Errorf("tokcerts holds %d certificate sets, want 1 for one TSA", n)
		}
		v := tx.Bucket(bTokens).Get(tokenKey(recs[0].Seq, 0))
		if len(v) == 0 || v[0] != tokenstore.Marker {
			t.Errorf("stored token begins %x, want %#x (without its certificates)", v[:1], tokenstore.Marker)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := audit(context.Background(), s, true); err != nil || len(rep.BadTokens) != 0 {
		t.Errorf("Audit = %+v, %v; want no bad tokens", rep, err)
	}
}
