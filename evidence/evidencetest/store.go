package evidencetest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/proofs"
)

// Receipt is id's receipt from the prover, with a placeholder signed
// header (the integrity audit does not check it), in canonical form: what
// a document stores of an item.
func Receipt(t testing.TB, p *proofs.Prover, id string) []byte {
	t.Helper()
	r, err := p.Receipt(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	placeholder := base64.StdEncoding.EncodeToString([]byte("placeholder"))
	r.Checkpoint.ChainID, r.Checkpoint.SignedHeader, r.Checkpoint.ValidatorSet = "test-chain", placeholder, placeholder
	b, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Put replaces the value under key in bucket of s's database with v (nil:
// deletes it), returning the value it had: how a test damages a store.
func Put(t testing.TB, s *evidence.Service, bucket, key, v []byte) []byte {
	t.Helper()
	var old []byte
	if err := s.Update(func(tx *bolt.Tx) error {
		old = bytes.Clone(tx.Bucket(bucket).Get(key))
		if v == nil {
			return tx.Bucket(bucket).Delete(key)
		}
		return tx.Bucket(bucket).Put(key, v)
	}); err != nil {
		t.Fatal(err)
	}
	return old
}

// Get is the value under key in bucket of s's database.
func Get(t testing.TB, s *evidence.Service, bucket, key []byte) []byte {
	t.Helper()
	var v []byte
	s.View(func(tx *bolt.Tx) error {
		v = bytes.Clone(tx.Bucket(bucket).Get(key))
		return nil
	})
	return v
}

// EventsBucket is evidence's bucket of custody events, keyed by the item's
// sequence number (8 bytes) and the event's (4), as stored on disk.
var EventsBucket = []byte("events")

// RecordsBucket is evidence's bucket of records (JSON), keyed by the
// item's sequence number (8 bytes), as stored on disk.
var RecordsBucket = []byte("records")

// TokensBucket is evidence's bucket of timestamp replies, keyed by the
// item's sequence number (8 bytes) and the token's index (2), as stored
// on disk.
var TokensBucket = []byte("tokens")

// InlineBucket is evidence's bucket of the inline bytes records keep
// of their own, keyed by the item's sequence number (8 bytes), as stored
// on disk (a body longer than a page keeps its leading parts in another
// bucket).
var InlineBucket = []byte("inlseq")

// AnchoredBucket is evidence's bucket of the heights at which records
// became final, keyed by the item's sequence number (8 bytes), each
// height 8 bytes, as stored on disk.
var AnchoredBucket = []byte("anchored")

// DropEvent deletes the item's last custody event of type typ, returning
// its key and value (Put them back to restore it).
func DropEvent(t testing.TB, s *evidence.Service, item, typ string) (key, val []byte) {
	t.Helper()
	s.View(func(tx *bolt.Tx) error {
		seq, _ := evidence.ItemSeq(tx, item)
		prefix := binary.BigEndian.AppendUint64(nil, seq)
		c := tx.Bucket(EventsBucket).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if e, err := custody.Decode(v); err == nil && e.Type == typ {
				key = bytes.Clone(k)
			}
		}
		return nil
	})
	if key == nil {
		t.Fatalf("%s has no %s event", item, typ)
	}
	return key, Put(t, s, EventsBucket, key, nil)
}
