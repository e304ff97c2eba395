package evidence

import (
	"bytes"
	"context"
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

// bVerifyTok maps each issued document's verification token to the
// document: token → kind ":" id. Write-once.
var bVerifyTok = []byte("verifytok")

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
	b, v := tx.Bucket(bVerifyTok), []byte(kind+":"+id)
	if old := b.Get([]byte(token)); old != nil {
		if bytes.Equal(old, v) {
			return nil
		}
		return fmt.Errorf("evidence: verification token of %s %s is already in use", kind, id)
	}
	return b.Put([]byte(token), v)
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
		v := tx.Bucket(bVerifyTok).Get([]byte(token))
		var ok bool
		if kind, id, ok = strings.Cut(string(v), ":"); !ok {
			return ErrNotFound
		}
		return nil
	})
	return kind, id, err
}
