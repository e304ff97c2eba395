package evidence

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"

	bolt "go.etcd.io/bbolt"
)

// ErrBadCursor means a cursor was not made by this node for this listing
// and organization.
var ErrBadCursor = errors.New("evidence: invalid cursor")

// A listing's cursor is opaque: it reveals nothing of the position it
// continues from (a record's sequence is node-wide, and would let one
// customer measure the others' volume). It is the position encrypted and
// authenticated under a key of this node, bound to the listing and the
// organization that listed:
//
//	cursor = base64url(nonce ‖ AES-256-GCM(encKey, nonce, position, ad))
//	ad     = "custos cursor v1" ‖ 0 ‖ listing ‖ 0 ‖ org
//	nonce  = HMAC-SHA256(sivKey, ad ‖ 0 ‖ position)[:12]
//
// The nonce is derived from what it seals (a synthetic IV, as in RFC 5297),
// so one position has one cursor, and a nonce repeats only with its
// plaintext. encKey and sivKey are HMAC-SHA256 of the node's cursor key
// (32 random bytes in custos.db, made at first start, never leaving the
// node) with a label each.

// listEvidence names the cursors of the evidence listing; a register
// names its own (FormatCursor): "certificates", "copyrights".
const listEvidence = "evidence"

var (
	bNodeKeys = []byte("nodekeys") // name → a secret of this node
	cursorKey = []byte("cursor")
)

const cursorNonce = 12

// cursors seals and opens listing cursors.
type cursors struct {
	aead cipher.AEAD
	siv  []byte
}

// loadCursors reads the node's cursor key, making it on first use.
func loadCursors(db *bolt.DB) (*cursors, error) {
	var master []byte
	err := db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bNodeKeys)
		if err != nil {
			return err
		}
		if k := b.Get(cursorKey); len(k) == 32 {
			master = bytes.Clone(k)
			return nil
		}
		master = make([]byte, 32)
		if _, err := rand.Read(master); err != nil {
			return err
		}
		return b.Put(cursorKey, master)
	})
	if err != nil {
		return nil, err
	}
	return newCursors(master)
}

func newCursors(master []byte) (*cursors, error) {
	label := func(l string) []byte {
		m := hmac.New(sha256.New, master)
		m.Write([]byte(l))
		return m.Sum(nil)
	}
	block, err := aes.NewCipher(label("custos cursor encryption v1"))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &cursors{aead: aead, siv: label("custos cursor nonce v1")}, nil
}

func cursorAD(listing, org string) []byte {
	return []byte("custos cursor v1\x00" + listing + "\x00" + org)
}

func (c *cursors) nonce(ad, pos []byte) []byte {
	m := hmac.New(sha256.New, c.siv)
	m.Write(ad)
	m.Write([]byte{0})
	m.Write(pos)
	return m.Sum(nil)[:cursorNonce]
}

// format seals a position of org's listing.
func (c *cursors) format(listing, org string, pos []byte) string {
	ad := cursorAD(listing, org)
	n := c.nonce(ad, pos)
	return base64.RawURLEncoding.EncodeToString(c.aead.Seal(n, n, pos, ad))
}

// parse opens a cursor of org's listing whose position has posLen bytes.
// Only what format made for this listing and org is accepted, in its one
// spelling (strict base64url of the exact length; the decoder would skip
// '\r' and '\n' otherwise).
func (c *cursors) parse(listing, org, s string, posLen int) ([]byte, error) {
	raw := cursorNonce + posLen + c.aead.Overhead()
	if len(s) != base64.RawURLEncoding.EncodedLen(raw) {
		return nil, ErrBadCursor
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != raw {
		return nil, ErrBadCursor
	}
	ad := cursorAD(listing, org)
	pos, err := c.aead.Open(nil, b[:cursorNonce], b[cursorNonce:], ad)
	if err != nil || !hmac.Equal(c.nonce(ad, pos), b[:cursorNonce]) {
		return nil, ErrBadCursor
	}
	return pos, nil
}

// formatSeq and parseSeq seal a record sequence.
func (c *cursors) formatSeq(listing, org string, seq uint64) string {
	return c.format(listing, org, u64(seq))
}

func (c *cursors) parseSeq(listing, org, s string) (uint64, error) {
	pos, err := c.parse(listing, org, s, 8)
	if err != nil {
		return 0, err
	}
	return u64val(pos), nil
}
