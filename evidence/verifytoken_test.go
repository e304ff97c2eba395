package evidence

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// storedAt lists where the database holds needle, in a key or a value of
// any bucket, nested ones included: "bucket/…: key" or "bucket/…: value".
func storedAt(t *testing.T, db *bolt.DB, needle []byte) []string {
	t.Helper()
	var found []string
	var walk func(path string, b *bolt.Bucket) error
	walk = func(path string, b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			if bytes.Contains(k, needle) {
				found = append(found, path+": key")
			}
			if v == nil {
				return walk(path+"/"+string(k), b.Bucket(k))
			}
			if bytes.Contains(v, needle) {
				found = append(found, path+": value")
			}
			return nil
		})
	}
	err := db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if bytes.Contains(name, needle) {
				found = append(found, string(name)+": bucket name")
			}
			return walk(string(name), b)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func reopen(t *testing.T, s *Service) *Service {
	t.Helper()
	s2, err := New(context.Background(), Config{DB: s.db, Blobs: newMemBlobs(), TSA: fakeTSA{}})
	if err != nil {
		t.Fatal(err)
	}
	return s2
}

// A verification token is put in the index by its digest only: the
// database holds no copy of it (before session 20 it was the key, A8 in
// docs/security.md). It opens its document; other tokens open nothing.
func TestVerifyTokenStoredHashed(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t, newMemBlobs())
	id := NewID()
	token := NewVerifyToken(id)
	put := func(token, id string) error {
		return s.db.Update(func(tx *bolt.Tx) error { return PutVerifyToken(tx, token, DocumentCertificate, id) })
	}
	if err := put(token, id); err != nil {
		t.Fatal(err)
	}
	if err := put(token, id); err != nil {
		t.Errorf("PutVerifyToken(the same mapping again) = %v, want nil", err)
	}
	if err := put(token, NewID()); err == nil {
		t.Error("PutVerifyToken(the token, another document) = nil, want an error")
	}
	if at := storedAt(t, s.db, []byte(token)); len(at) > 0 {
		t.Errorf("the token is stored in clear at %v", at)
	}
	if kind, got, err := s.VerifiedDocument(ctx, token); err != nil || kind != DocumentCertificate || got != id {
		t.Errorf("VerifiedDocument(token) = %q %q %v, want %q %q", kind, got, err, DocumentCertificate, id)
	}
	for _, tok := range []string{id, NewID(), "", "not a token"} {
		if _, _, err := s.VerifiedDocument(ctx, tok); !errors.Is(err, ErrNotFound) {
			t.Errorf("VerifiedDocument(%q) = %v, want ErrNotFound", tok, err)
		}
	}
}

// plantClearTokens writes tokens into the index as versions before
// session 20 kept it: bucket verifytok, token → document.
func plantClearTokens(t *testing.T, db *bolt.DB, docs map[string]string) {
	t.Helper()
	err := db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("verifytok"))
		if err != nil {
			return err
		}
		for token, doc := range docs {
			if err := b.Put([]byte(token), []byte(doc)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The tokens an earlier version stored in clear still open their
// documents once the store is opened again, and the database then holds
// none of them: the first open moved them all under their digests and
// deleted the old bucket. A later open changes nothing.
func TestVerifyTokensOfEarlierVersion(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t, newMemBlobs())
	cert, cr := NewID(), NewID()
	old := map[string]string{
		NewVerifyToken(cert): DocumentCertificate + ":" + cert,
		NewVerifyToken(cr):   DocumentCopyright + ":" + cr + "/en",
	}
	plantClearTokens(t, s.db, old)
	s = reopen(t, s)
	for token, doc := range old {
		kind, id, err := s.VerifiedDocument(ctx, token)
		if err != nil || kind+":"+id != doc {
			t.Errorf("VerifiedDocument(a token of an earlier version) = %q %q %v, want %s", kind, id, err, doc)
		}
		if at := storedAt(t, s.db, []byte(token)); len(at) > 0 {
			t.Errorf("after the upgrade, a token is still stored in clear at %v", at)
		}
	}
	if _, _, err := s.VerifiedDocument(ctx, NewID()); !errors.Is(err, ErrNotFound) {
		t.Errorf("VerifiedDocument(an unknown token) = %v, want ErrNotFound", err)
	}
	_ = s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bVerifyTokClear) != nil {
			t.Error("the bucket verifytok is still there after the upgrade")
		}
		return nil
	})
	if n, err := HashVerifyTokens(s.db); err != nil || n != 0 {
		t.Errorf("HashVerifyTokens(an upgraded store) = %d, %v; want 0, nil", n, err)
	}
}

// The upgrade is one transaction: one that fails (here, a token of the
// earlier version already opens another document under its digest) leaves
// the old bucket whole and moves none of its tokens.
func TestVerifyTokensUpgradeAllOrNothing(t *testing.T) {
	s := newTestService(t, newMemBlobs())
	good, clash := NewVerifyToken(""), NewVerifyToken("")
	if err := s.db.Update(func(tx *bolt.Tx) error { return PutVerifyToken(tx, clash, DocumentCertificate, NewID()) }); err != nil {
		t.Fatal(err)
	}
	old := map[string]string{good: DocumentCertificate + ":" + NewID(), clash: DocumentCertificate + ":" + NewID()}
	plantClearTokens(t, s.db, old)
	_, err := HashVerifyTokens(s.db)
	if err == nil {
		t.Fatal("HashVerifyTokens(a token mapped to two documents) = nil, want an error")
	}
	if strings.Contains(err.Error(), good) || strings.Contains(err.Error(), clash) {
		t.Errorf("HashVerifyTokens's error names a token: %v", err)
	}
	_ = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bVerifyTokClear)
		if b == nil || b.Stats().KeyN != 2 {
			t.Errorf("after a failed upgrade, the old bucket is %v, want its 2 tokens", b)
		}
		if tx.Bucket(bVerifyTok).Get(verifyKey(good)) != nil {
			t.Error("a failed upgrade moved a token")
		}
		return nil
	})
}
