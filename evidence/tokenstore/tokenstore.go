// Package tokenstore stores the RFC 3161 replies of evidence records in
// bbolt without the certificates each one embeds, which it stores once.
//
// A TimeStampResp (RFC 3161 §2.4.2) of a TSA asked for its
// certificates embeds them in the SignedData's [0] certificates field
// (RFC 5652 §5.1): about 1.3 KiB of the built-in TSA's 2 KiB replies, the
// same bytes in every token a TSA signs with one key. Since session 6 the
// tokens bucket keeps a reply without that field, and the field once, in
// CertsBucket under its SHA-256:
//
//	tokens:   seq(8) ‖ i(2) → 0x01 ‖ offset(4) ‖ SHA-256 of the field(32) ‖ the reply without the field
//	tokcerts: SHA-256(32)   → the field, tag and length included
//
// The reply is the stored bytes with the field put back at offset, byte
// for byte, so its SHA-256 (in the record and the created event) and every
// signature in it are unchanged. A value that begins 0x30 (a DER SEQUENCE)
// is a whole reply, as every version stored before: both are read. A reply
// whose certificates cannot be found, or are small, is stored whole. Every
// stored reply was checked to be a DER TimeStampResp first (the built-in
// TSA's own, or an external one's through notary's client), so a whole one
// never begins 0x01.
//
// Two bbolt elements of a 2 KiB reply fill two pages, so a reply cost a
// page of every group commit; without its certificates it costs a fifth.
//
// The tokens bucket and its keys are the caller's (evidence's, by record
// and token index); the certificates bucket is this package's, CertsBucket,
// which the caller creates with its others. Structure moved from evidence
// (session 18) with the same buckets, keys and values.
package tokenstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// CertsBucket holds each certificates field once, under its SHA-256.
var CertsBucket = []byte("tokcerts")

const (
	// Marker is the first byte of a stored reply without its certificates.
	Marker         = 0x01
	tokenSplit     = Marker
	tokenSplitHead = 1 + 4 + sha256.Size
	// minTokenCerts is the least certificates field worth storing apart.
	minTokenCerts = 256
)

// tagContext0 is [0] constructed: the ContentInfo's explicit content and
// the SignedData's implicit certificates (RFC 5652 §3, §5.1).
var tagContext0 = cbasn1.Tag(0).Constructed().ContextSpecific()

// Stored is a reply as Put stores it: Val in the tokens bucket and, if
// Certs is not nil, Certs in CertsBucket under Sum.
type Stored struct {
	Val   []byte
	Certs []byte
	Sum   [32]byte
}

// Split prepares reply for the tokens bucket.
func Split(reply []byte) Stored {
	off, n, ok := tokenCerts(reply)
	if !ok || n < minTokenCerts {
		return Stored{Val: reply}
	}
	certs := reply[off : off+n]
	st := Stored{Certs: certs, Sum: certsSum(certs)}
	st.Val = make([]byte, 0, tokenSplitHead+len(reply)-n)
	st.Val = append(st.Val, tokenSplit)
	st.Val = binary.BigEndian.AppendUint32(st.Val, uint32(off))
	st.Val = append(st.Val, st.Sum[:]...)
	st.Val = append(st.Val, reply[:off]...)
	st.Val = append(st.Val, reply[off+n:]...)
	return st
}

// lastCerts is the certificates field Split hashed last: a TSA sends the
// same one with every reply, so comparing it saves hashing it.
var lastCerts atomic.Pointer[Stored]

// certsSum returns the SHA-256 of a certificates field.
func certsSum(certs []byte) [32]byte {
	if last := lastCerts.Load(); last != nil && bytes.Equal(last.Certs, certs) {
		return last.Sum
	}
	st := &Stored{Certs: bytes.Clone(certs), Sum: sha256.Sum256(certs)}
	lastCerts.Store(st)
	return st.Sum
}

// tokenCerts finds the SignedData's certificates field in a TimeStampResp:
// its offset in reply and its length. The field is optional; ok is false
// if there is none or reply is not shaped as expected.
func tokenCerts(reply []byte) (off, n int, ok bool) {
	in := cryptobyte.String(reply)
	var resp, ci, explicit, sd, certs cryptobyte.String
	if !in.ReadASN1(&resp, cbasn1.SEQUENCE) || !in.Empty() ||
		!resp.SkipASN1(cbasn1.SEQUENCE) || // PKIStatusInfo
		!resp.ReadASN1(&ci, cbasn1.SEQUENCE) || !resp.Empty() || // timeStampToken: ContentInfo
		!ci.SkipASN1(cbasn1.OBJECT_IDENTIFIER) || !ci.ReadASN1(&explicit, tagContext0) || !ci.Empty() ||
		!explicit.ReadASN1(&sd, cbasn1.SEQUENCE) || !explicit.Empty() ||
		!sd.SkipASN1(cbasn1.INTEGER) || !sd.SkipASN1(cbasn1.SET) || !sd.SkipASN1(cbasn1.SEQUENCE) ||
		!sd.PeekASN1Tag(tagContext0) {
		return 0, 0, false
	}
	// Each container above was checked to end where its parent ends, so
	// sd ends where reply ends.
	off = len(reply) - len(sd)
	if !sd.ReadASN1Element(&certs, tagContext0) {
		return 0, 0, false
	}
	return off, len(certs), true
}

// Put stores st under key in tokens, a bucket of tx. Its certificates
// field is looked up in CertsBucket only if known does not remember it
// stored.
func Put(tx *bolt.Tx, tokens *bolt.Bucket, key []byte, st Stored, known *Known) error {
	if st.Certs != nil && !known.has(st.Sum, st.Certs) {
		b := tx.Bucket(CertsBucket)
		switch v := b.Get(st.Sum[:]); {
		case v == nil:
			if err := b.Put(st.Sum[:], st.Certs); err != nil {
				return err
			}
		case !bytes.Equal(v, st.Certs):
			return fmt.Errorf("evidence: different token certificates under SHA-256 %x", st.Sum)
		}
		if known != nil {
			sum, certs := st.Sum, st.Certs
			tx.OnCommit(func() { known.add(sum, certs) })
		}
	}
	return tokens.Put(key, st.Val)
}

// Known remembers certificates fields that CertsBucket holds, so that
// Put does not look up, in every upload's transaction, the field that
// a TSA sends with every reply. A field is added once a transaction that
// put it or found it there has committed, and CertsBucket is never deleted
// from, so a field remembered is stored. It keeps the field's bytes and
// compares them, as the lookup does: a different field under the same
// SHA-256 still goes to the lookup, and fails there. It remembers at most
// maxStoredCerts fields, enough for the built-in TSA and the external ones
// through a few key rotations; others are looked up as before. The zero
// value is ready to use.
type Known struct {
	mu     sync.Mutex
	fields map[[32]byte][]byte
}

const maxStoredCerts = 16

// has reports whether the field certs, of SHA-256 sum, is known stored.
// A nil *Known knows none.
func (k *Known) has(sum [32]byte, certs []byte) bool {
	if k == nil {
		return false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.fields[sum]
	return ok && bytes.Equal(v, certs)
}

// add remembers the field certs, of SHA-256 sum, as stored; it is called
// only once the transaction that put it or found it has committed.
func (k *Known) add(sum [32]byte, certs []byte) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.fields[sum]; ok || len(k.fields) >= maxStoredCerts {
		return
	}
	if k.fields == nil {
		k.fields = map[[32]byte][]byte{}
	}
	k.fields[sum] = bytes.Clone(certs)
}

// Get returns the reply stored under key in tokens, a bucket of tx, or
// nil if it is missing or its stored form is damaged. A whole stored reply
// is bbolt's memory, valid only inside tx; a joined one is a new slice.
func Get(tx *bolt.Tx, tokens *bolt.Bucket, key []byte) []byte {
	v := tokens.Get(key)
	if len(v) == 0 || v[0] != tokenSplit {
		return v
	}
	if len(v) < tokenSplitHead {
		return nil
	}
	return joinToken(v, tx.Bucket(CertsBucket).Get(v[5:tokenSplitHead]))
}

// joinToken puts certs back into val, a reply stored without them; nil if
// certs is nil or val's offset is past its end.
func joinToken(val, certs []byte) []byte {
	off, rest := int(binary.BigEndian.Uint32(val[1:5])), val[tokenSplitHead:]
	if certs == nil || off > len(rest) {
		return nil
	}
	out := make([]byte, 0, len(rest)+len(certs))
	out = append(out, rest[:off]...)
	out = append(out, certs...)
	return append(out, rest[off:]...)
}
