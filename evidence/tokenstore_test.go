package evidence

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/certs"
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
// once, and every reply reads back byte for byte.
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
		if n := tx.Bucket(bTokCerts).Stats().KeyN; n != 1 {
			t.Errorf("tokcerts holds %d certificate sets, want 1 for one TSA", n)
		}
		v := tx.Bucket(bTokens).Get(tokenKey(recs[0].Seq, 0))
		if len(v) == 0 || v[0] != tokenSplit {
			t.Errorf("stored token begins %x, want %#x (without its certificates)", v[:1], tokenSplit)
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

// A reply stored whole (every store before tokcerts, and replies without
// certificates) reads as it is; a damaged split one reads as missing.
func TestGetTokenForms(t *testing.T) {
	tok, err := realTSA(t).Stamp(context.Background(), crypto.SHA256, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	reply := tok.Reply
	st := splitToken(reply)
	if st.certs == nil || len(st.val) >= len(reply) {
		t.Fatalf("splitToken(reply of %d bytes) kept %d bytes and no certificates", len(reply), len(st.val))
	}
	db, _, _ := openFolderStore(t, nil)
	if err := initBuckets(db, allBuckets); err != nil {
		t.Fatal(err)
	}
	damage := func(f func(v []byte) []byte) storedToken {
		return storedToken{val: f(bytes.Clone(st.val))}
	}
	for _, tc := range []struct {
		name string
		put  storedToken
		want []byte
	}{
		{"split", st, reply},
		{"whole", storedToken{val: reply}, reply},
		{"no certificates", splitToken([]byte("not DER")), []byte("not DER")},
		{"truncated head", damage(func(v []byte) []byte { return v[:10] }), nil},
		{"offset past the end", damage(func(v []byte) []byte { v[1] = 0xff; return v }), nil},
		{"unknown certificates", damage(func(v []byte) []byte { v[5] ^= 1; return v }), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []byte
			err := db.Update(func(tx *bolt.Tx) error {
				if err := putToken(tx, 7, 0, tc.put, nil); err != nil {
					return err
				}
				got = bytes.Clone(getToken(tx, 7, 0))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Errorf("getToken after putToken(%s) = %d bytes, want %d", tc.name, len(got), len(tc.want))
			}
		})
	}
}

// storedCerts remembers a certificates field once a transaction that put
// it has committed: not while it is open, not after a rollback. A different
// field under a remembered SHA-256 still goes to the lookup, which refuses
// it, and the fields remembered are bounded.
func TestStoredCerts(t *testing.T) {
	tok, err := realTSA(t).Stamp(context.Background(), crypto.SHA256, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	st := splitToken(tok.Reply)
	if st.certs == nil {
		t.Fatal("splitToken(reply) found no certificates")
	}
	db, _, _ := openFolderStore(t, nil)
	if err := initBuckets(db, allBuckets); err != nil {
		t.Fatal(err)
	}
	known := &storedCerts{}
	errRollback := errors.New("rolled back")
	err = db.Update(func(tx *bolt.Tx) error {
		if err := putToken(tx, 1, 0, st, known); err != nil {
			return err
		}
		if known.has(st.sum, st.certs) {
			t.Error("storedCerts.has = true before the transaction committed")
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) || known.has(st.sum, st.certs) {
		t.Fatalf("after a rollback (%v), storedCerts.has = %v, want false", err, known.has(st.sum, st.certs))
	}
	if err := db.Update(func(tx *bolt.Tx) error { return putToken(tx, 1, 0, st, known) }); err != nil {
		t.Fatal(err)
	}
	if !known.has(st.sum, st.certs) {
		t.Fatal("storedCerts.has = false after the commit, want true")
	}
	err = db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bTokCerts).Get(st.sum[:]); !bytes.Equal(v, st.certs) {
			t.Errorf("tokcerts holds %d bytes under the field's SHA-256, want the field's %d", len(v), len(st.certs))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	forged := st
	forged.certs = bytes.Clone(st.certs)
	forged.certs[len(forged.certs)-1] ^= 1
	if known.has(forged.sum, forged.certs) {
		t.Error("storedCerts.has(a different field under a remembered SHA-256) = true")
	}
	if err := db.Update(func(tx *bolt.Tx) error { return putToken(tx, 2, 0, forged, known) }); err == nil {
		t.Error("putToken(a different field under a stored SHA-256) = nil, want an error")
	}
	for i := range 2 * maxStoredCerts {
		known.add([32]byte{byte(i), 1}, []byte{byte(i)})
	}
	if n := len(known.fields); n != maxStoredCerts {
		t.Errorf("storedCerts remembers %d fields, want at most %d", n, maxStoredCerts)
	}
}

// Whatever a TSA sends, splitToken keeps it whole or splits it so that
// joinToken gives back the same bytes.
func FuzzSplitToken(f *testing.F) {
	tok, err := realTSA(f).Stamp(context.Background(), crypto.SHA256, make([]byte, 32))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok.Reply)
	f.Add([]byte{0x30, 0x03, 0x30, 0x01, 0x00})
	f.Add([]byte("reply"))
	f.Fuzz(func(t *testing.T, reply []byte) {
		st := splitToken(reply)
		if st.certs == nil {
			if !bytes.Equal(st.val, reply) {
				t.Fatalf("splitToken(%x) kept %x, want the reply whole", reply, st.val)
			}
			return
		}
		if st.val[0] != tokenSplit || sha256.Sum256(st.certs) != st.sum {
			t.Fatalf("splitToken(%x) = %x with certificates %x under %x", reply, st.val, st.certs, st.sum)
		}
		if got := joinToken(st.val, st.certs); !bytes.Equal(got, reply) {
			t.Fatalf("joinToken(splitToken(%x)) = %x", reply, got)
		}
	})
}
