package evidence

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Kinds of signed document, as a verification token names them: the
// values the token map stores, kept here as one list so that no two
// registers take the same name, and so that the public check dispatches on
// them without the registers (PutVerifyToken).
const (
	DocumentCertificate = "certificate" // a notarial certificate (evidence/certificates)
	DocumentCopyright   = "copyright"   // a copyright registration certificate (evidence/copyright)
)

// bVerifyTok maps each issued document's verification token, by its
// digest (verifyKey), to the document: verifyKey(token) → kind ":" id.
// Write-once. The token itself is not a key: the index is no list of the
// tokens, and bbolt's key search, whose comparisons are not constant-time,
// compares digests, whose prefixes tell nothing of a token (A8 in
// docs/security.md).
var bVerifyTok = []byte("verifyhash")

// bVerifyTokClear is the index of versions before session 20, keyed by the
// tokens themselves: token → kind ":" id. HashVerifyTokens moves it into
// bVerifyTok and deletes it.
var bVerifyTokClear = []byte("verifytok")

// verifyDomain separates the digests of verification tokens from any other
// SHA-256 the store keeps.
const verifyDomain = "custos/verifytok/v1\x00"

// verifyKey is the key of token in bVerifyTok:
// SHA-256("custos/verifytok/v1" ‖ 0x00 ‖ token).
func verifyKey(token string) []byte {
	h := sha256.New()
	h.Write([]byte(verifyDomain))
	h.Write([]byte(token))
	return h.Sum(nil)
}

// NewVerifyToken returns a fresh verification token for the document id:
// 128 random bits spelled like an ID (26 lowercase base32 characters), and
// never equal to id. The token, not the ID, opens a document's public
// verification view: the ID is handed to members (registrations are public
// to them) and named in custody events (subject "certificate:<id>"), the
// token only on the document itself.
func NewVerifyToken(id string) string {
	for {
		if t := NewID(); t != id {
			return t
		}
	}
}

// putVerifyToken records that token opens the document kind:id, once: the
// same mapping again is a no-op; token already mapped to another document
// is an error.
func putVerifyToken(tx *bolt.Tx, token, kind, id string) error {
	if !ValidID(token) || token == id {
		return fmt.Errorf("evidence: %s %s: invalid verification token", kind, id)
	}
	if err := putVerifyKey(tx.Bucket(bVerifyTok), verifyKey(token), []byte(kind+":"+id)); err != nil {
		return fmt.Errorf("evidence: verification token of %s %s: %w", kind, id, err)
	}
	return nil
}

// errTokenInUse means a verification token already opens another document.
var errTokenInUse = errors.New("already in use")

// putVerifyKey puts key → doc in b, write-once.
func putVerifyKey(b *bolt.Bucket, key, doc []byte) error {
	if old := b.Get(key); old != nil {
		if bytes.Equal(old, doc) {
			return nil
		}
		return errTokenInUse
	}
	return b.Put(key, doc)
}

// HashVerifyTokens moves the verification tokens that versions before
// session 20 kept in clear (bucket verifytok, token → document) into
// bVerifyTok, keyed by their digests, and deletes the old bucket: all in
// one transaction, so that a store is either wholly moved or untouched,
// never half. The old bucket's absence marks it done: on a moved or a new
// store it changes nothing. It returns how many tokens it moved. New calls
// it.
func HashVerifyTokens(db *bolt.DB) (moved int, err error) {
	err = db.Update(func(tx *bolt.Tx) error {
		old := tx.Bucket(bVerifyTokClear)
		if old == nil {
			return nil
		}
		b, err := tx.CreateBucketIfNotExists(bVerifyTok)
		if err != nil {
			return err
		}
		err = old.ForEach(func(token, doc []byte) error {
			if err := putVerifyKey(b, verifyKey(string(token)), bytes.Clone(doc)); err != nil {
				return fmt.Errorf("the verification token of %q: %w", doc, err)
			}
			moved++
			return nil
		})
		if err != nil {
			return err
		}
		return tx.DeleteBucket(bVerifyTokClear)
	})
	if err != nil {
		return 0, fmt.Errorf("evidence: keying verification tokens by digest: %w", err)
	}
	return moved, nil
}

// VerifiedDocument returns the kind (DocumentCertificate or
// DocumentCopyright) and ID of the document that token opens, or
// ErrNotFound. Documents issued before verification tokens existed have
// none, so no token opens them.
func (s *Service) VerifiedDocument(ctx context.Context, token string) (kind, id string, err error) {
	if !ValidID(token) {
		return "", "", ErrNotFound
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bVerifyTok).Get(verifyKey(token))
		var ok bool
		if kind, id, ok = strings.Cut(string(v), ":"); !ok {
			return ErrNotFound
		}
		return nil
	})
	return kind, id, err
}
