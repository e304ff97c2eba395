package tokenstore

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/notary"
)

// tokensBucket stands for the caller's tokens bucket.
var tokensBucket = []byte("tokens")

// key is a tokens bucket key.
func key(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// openStore is a bbolt store with the tokens bucket and CertsBucket.
func openStore(t testing.TB) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "tokens.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{tokensBucket, CertsBucket} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

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

// A reply stored whole (every store before tokcerts, and replies without
// certificates) reads as it is; a damaged split one reads as missing.
func TestGetTokenForms(t *testing.T) {
	tok, err := realTSA(t).Stamp(context.Background(), crypto.SHA256, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	reply := tok.Reply
	st := Split(reply)
	if st.Certs == nil || len(st.Val) >= len(reply) {
		t.Fatalf("Split(reply of %d bytes) kept %d bytes and no certificates", len(reply), len(st.Val))
	}
	db := openStore(t)
	damage := func(f func(v []byte) []byte) Stored {
		return Stored{Val: f(bytes.Clone(st.Val))}
	}
	for _, tc := range []struct {
		name string
		put  Stored
		want []byte
	}{
		{"split", st, reply},
		{"whole", Stored{Val: reply}, reply},
		{"no certificates", Split([]byte("not DER")), []byte("not DER")},
		{"truncated head", damage(func(v []byte) []byte { return v[:10] }), nil},
		{"offset past the end", damage(func(v []byte) []byte { v[1] = 0xff; return v }), nil},
		{"unknown certificates", damage(func(v []byte) []byte { v[5] ^= 1; return v }), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []byte
			err := db.Update(func(tx *bolt.Tx) error {
				if err := Put(tx, tx.Bucket(tokensBucket), key(7), tc.put, nil); err != nil {
					return err
				}
				got = bytes.Clone(Get(tx, tx.Bucket(tokensBucket), key(7)))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Errorf("Get after Put(%s) = %d bytes, want %d", tc.name, len(got), len(tc.want))
			}
		})
	}
}

// Known remembers a certificates field once a transaction that put
// it has committed: not while it is open, not after a rollback. A different
// field under a remembered SHA-256 still goes to the lookup, which refuses
// it, and the fields remembered are bounded.
func TestStoredCerts(t *testing.T) {
	tok, err := realTSA(t).Stamp(context.Background(), crypto.SHA256, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	st := Split(tok.Reply)
	if st.Certs == nil {
		t.Fatal("Split(reply) found no certificates")
	}
	db := openStore(t)
	known := &Known{}
	errRollback := errors.New("rolled back")
	err = db.Update(func(tx *bolt.Tx) error {
		if err := Put(tx, tx.Bucket(tokensBucket), key(1), st, known); err != nil {
			return err
		}
		if known.has(st.Sum, st.Certs) {
			t.Error("Known.has = true before the transaction committed")
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) || known.has(st.Sum, st.Certs) {
		t.Fatalf("after a rollback (%v), Known.has = %v, want false", err, known.has(st.Sum, st.Certs))
	}
	if err := db.Update(func(tx *bolt.Tx) error { return Put(tx, tx.Bucket(tokensBucket), key(1), st, known) }); err != nil {
		t.Fatal(err)
	}
	if !known.has(st.Sum, st.Certs) {
		t.Fatal("Known.has = false after the commit, want true")
	}
	err = db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(CertsBucket).Get(st.Sum[:]); !bytes.Equal(v, st.Certs) {
			t.Errorf("tokcerts holds %d bytes under the field's SHA-256, want the field's %d", len(v), len(st.Certs))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	forged := st
	forged.Certs = bytes.Clone(st.Certs)
	forged.Certs[len(forged.Certs)-1] ^= 1
	if known.has(forged.Sum, forged.Certs) {
		t.Error("Known.has(a different field under a remembered SHA-256) = true")
	}
	if err := db.Update(func(tx *bolt.Tx) error { return Put(tx, tx.Bucket(tokensBucket), key(2), forged, known) }); err == nil {
		t.Error("Put(a different field under a stored SHA-256) = nil, want an error")
	}
	for i := range 2 * maxStoredCerts {
		known.add([32]byte{byte(i), 1}, []byte{byte(i)})
	}
	if n := len(known.fields); n != maxStoredCerts {
		t.Errorf("Known remembers %d fields, want at most %d", n, maxStoredCerts)
	}
}

// Whatever a TSA sends, Split keeps it whole or splits it so that
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
		st := Split(reply)
		if st.Certs == nil {
			if !bytes.Equal(st.Val, reply) {
				t.Fatalf("Split(%x) kept %x, want the reply whole", reply, st.Val)
			}
			return
		}
		if st.Val[0] != tokenSplit || sha256.Sum256(st.Certs) != st.Sum {
			t.Fatalf("Split(%x) = %x with certificates %x under %x", reply, st.Val, st.Certs, st.Sum)
		}
		if got := joinToken(st.Val, st.Certs); !bytes.Equal(got, reply) {
			t.Fatalf("joinToken(Split(%x)) = %x", reply, got)
		}
	})
}
