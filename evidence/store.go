package evidence

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence/tokenstore"

	bolt "go.etcd.io/bbolt"
)

// bbolt layout. The primary store is keyed by a sequence number, so that
// group commits append to the end of the B+tree; lookups by ID or digest go
// through secondary indexes (the digest index, sha256 and sha256upto, is
// evidence/digestindex's, written behind the records). Small uploads keep their bytes in bInlSeq (see
// inline.go), committed in the same transaction as their record; they have
// no staged blob and no pending marker.
var (
	bRecords = []byte("records")  // seq(8) → Record JSON
	bIDs     = []byte("ids")      // id → seq(8)
	bEvents  = []byte("events")   // seq(8) ‖ n(4) → canonical custody.Event
	bTokens  = []byte("tokens")   // seq(8) ‖ i(2) → DER TimeStampResp, or one without its certificates (tokenstore.go)
	bLeaves  = []byte("leaves")   // leaf index(8) → seq(8) ‖ n(4): the global anchoring order
	bPending = []byte("pending")  // seq(8) → staged blob name: committed, not yet promoted
	bEvLeaf  = []byte("evleaf")   // seq(8) ‖ n(4) → leaf index(8): where each event is in the leaf queue
	bInlSeq  = []byte("inlseq")   // seq(8) → the blob's bytes after its parts in inlpages (inline.go); blobs up to Config.InlineMax, once per content
	bInline  = []byte("inline")   // sha256(32) → the blob's bytes: inline blobs stored before inlseq; read only
	bRecSum  = []byte("recsum")   // seq(8) → SHA-256 of the record's JSON, so that the integrity audit (evidence/integrity, RecordSum) finds a damaged record
	bAnchHt  = []byte("anchored") // seq(8) → height(8): the block that appended the record's created event, written once that is final
)

var allBuckets = [][]byte{bRecords, bIDs, bEvents, bTokens, bLeaves, bPending, bEvLeaf, bInlSeq, bInlPages, bInline, bRecSum, bAnchHt, tokenstore.CertsBucket, bHeadsReg, bReadFold,
	bDepoHold, bDepoRelease}

// sequential returns b, a bucket whose keys are written in increasing
// order (a sequence number leads them), set to fill its pages. bbolt splits
// a node at FillPercent of a page (default 0.5) so that keys inserted in
// the middle later find room. Keys appended at the end never do, and at 0.5
// each group commit would leave half-empty pages behind and write about
// twice the pages it needs. A key that does land in a full page (an access
// event of an older record, a record rewritten as anchored) only splits it.
// FillPercent is not stored: every transaction that writes sets it.
func sequential(b *bolt.Bucket) *bolt.Bucket {
	b.FillPercent = 1.0
	return b
}

// bRecSumTodo exists while records made before checksums existed are
// being given theirs; its one key holds the sequence to resume from.
var bRecSumTodo = []byte("recsum-todo")

// sumBatch bounds the records one migration transaction sums: bbolt keeps
// a write transaction's dirty pages in memory until it commits. A variable
// for tests.
var sumBatch = 10_000

// initBuckets creates every bucket of the lists that does not exist yet,
// then gives checksums to the records of a store made before records had
// them (see sumRecords).
func initBuckets(db *bolt.DB, lists ...[][]byte) error {
	err := db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bRecSum) == nil && tx.Bucket(bRecords) != nil {
			// An older store: plan the migration in the transaction that
			// creates the checksum bucket, so that it resumes after a crash.
			todo, err := tx.CreateBucket(bRecSumTodo)
			if err != nil {
				return err
			}
			if err := todo.Put([]byte("next"), u64(0)); err != nil {
				return err
			}
		}
		for _, names := range lists {
			for _, name := range names {
				if _, err := tx.CreateBucketIfNotExists(name); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return sumRecords(db)
}

// sumRecords gives every record of an older store its checksum, once, in
// transactions of at most sumBatch records, each of which also records
// where the next one starts. It returns at once on a store with nothing
// left to sum.
func sumRecords(db *bolt.DB) error {
	for done := false; !done; {
		err := db.Update(func(tx *bolt.Tx) error {
			todo := tx.Bucket(bRecSumTodo)
			if todo == nil {
				done = true
				return nil
			}
			sums := sequential(tx.Bucket(bRecSum))
			c := tx.Bucket(bRecords).Cursor()
			n := 0
			k, v := c.Seek(todo.Get([]byte("next")))
			for ; k != nil && n < sumBatch; k, v = c.Next() {
				sum := sha256Sum(v)
				if err := sums.Put(bytes.Clone(k), sum[:]); err != nil {
					return err
				}
				n++
			}
			if k == nil {
				done = true
				return tx.DeleteBucket(bRecSumTodo)
			}
			return todo.Put([]byte("next"), bytes.Clone(k))
		})
		if err != nil {
			return fmt.Errorf("evidence: record checksums: %w", err)
		}
	}
	return nil
}

// putRecordBytes stores a record's JSON under seq, with its checksum.
func putRecordBytes(tx *bolt.Tx, seq uint64, val []byte) error {
	sum := sha256Sum(val)
	k := u64(seq) // Put copies a key: one serves both
	if err := sequential(tx.Bucket(bRecords)).Put(k, val); err != nil {
		return err
	}
	return sequential(tx.Bucket(bRecSum)).Put(k, sum[:])
}

func u64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func u64val(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

func u32val(b []byte) uint32 { return binary.BigEndian.Uint32(b) }

// decodeHex32 decodes a 64-digit lowercase hex digest.
func decodeHex32(s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 || hex.EncodeToString(b) != s {
		return nil, ErrBadDigest
	}
	return b, nil
}

func tokenKey(seq uint64, i int) []byte {
	return binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint64(make([]byte, 0, 10), seq), uint16(i))
}

func eventKey(seq uint64, n uint32) []byte {
	return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(make([]byte, 0, 12), seq), n)
}

// newRecord is a new record made ready for putRecord outside the group
// transaction, so that the committer's serial section does no encoding:
// the record's JSON (which does not hold Seq), its digest and its created
// event's canonical bytes as the first event of a chain (seq 0, no prev).
type newRecord struct {
	rec     *Record
	val     []byte
	tokens  []tokenstore.Stored // the replies as stored (tokenstore.go)
	created *custody.Event
	first   []byte // created.Encode() with Seq 0 and no Prev
}

func prepareRecord(r *Record, replies [][]byte, created *custody.Event) (*newRecord, error) {
	val, err := marshalRecord(r)
	if err != nil {
		return nil, err
	}
	created.Seq, created.Prev = 0, ""
	first, err := created.Encode()
	if err != nil {
		return nil, err
	}
	tokens := make([]tokenstore.Stored, len(replies))
	for i, rep := range replies {
		tokens[i] = tokenstore.Split(rep)
	}
	return &newRecord{rec: r, val: val, tokens: tokens, created: created, first: first}, nil
}

// putRecord writes a new record, its tokens, its created event and, if
// staged is not empty, the pending marker in tx. It is idempotent under
// group-commit retries (see committer): the sequence is assigned inside the
// transaction. known is the service's tokenstore.Known (nil: none known).
func putRecord(tx *bolt.Tx, nr *newRecord, staged string, known *tokenstore.Known) error {
	r := nr.rec
	recs := sequential(tx.Bucket(bRecords))
	seq, err := recs.NextSequence()
	if err != nil {
		return err
	}
	r.Seq = seq
	k := u64(seq)
	if err := putRecordBytes(tx, seq, nr.val); err != nil {
		return err
	}
	if err := tx.Bucket(bIDs).Put([]byte(r.ID), k); err != nil {
		return err
	}
	if staged != "" {
		if err := tx.Bucket(bPending).Put(k, []byte(staged)); err != nil {
			return err
		}
	}
	for i, st := range nr.tokens {
		if err := putToken(tx, seq, i, st, known); err != nil {
			return err
		}
	}
	if err := putCreated(tx, seq, nr.created, nr.first); err != nil {
		return err
	}
	return indexRecord(tx, r, nr.created.Time)
}

// putCreated stores a new record's created event, whose canonical bytes
// as the first event of a chain (Seq 0, no Prev) are first, and queues it
// for anchoring. It does not look for an earlier event to link to, as
// appendEvent does: seq was allocated by putRecord's NextSequence in this
// same transaction, so it is above every record's, and an item's events
// are only ever appended under the sequence number of a stored record
// (putRecord's own, or one read from the store). The created event is
// therefore the chain's first.
func putCreated(tx *bolt.Tx, seq uint64, e *custody.Event, first []byte) error {
	e.Seq, e.Prev = 0, ""
	key := eventKey(seq, 0)
	if err := sequential(tx.Bucket(bEvents)).Put(key, first); err != nil {
		return err
	}
	return queueLeaf(tx, key)
}

// appendEvent links e to the item's last event, stores it and queues it as a
// leaf for anchoring. It fills e.Seq and e.Prev. An event that is not a read
// first closes the item's open read folds (readfold.go), so that no folded
// read event covers reads on both sides of it.
func appendEvent(tx *bolt.Tx, seq uint64, e *custody.Event) error {
	if !custody.IsRead(e.Type) {
		if err := closeItemFolds(tx, seq); err != nil {
			return err
		}
	}
	evs := sequential(tx.Bucket(bEvents))
	e.Seq, e.Prev = 0, ""
	c := evs.Cursor()
	prefix := u64(seq)
	k, v := c.Seek(u64(seq + 1)) // the first key past this item's events
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	if k != nil && bytes.HasPrefix(k, prefix) {
		sum := sha256Sum(v)
		e.Seq, e.Prev = binary.BigEndian.Uint32(k[8:])+1, hex.EncodeToString(sum[:])
	}
	b, err := e.Encode()
	if err != nil {
		return err
	}
	key := eventKey(seq, e.Seq)
	if err := evs.Put(key, b); err != nil {
		return err
	}
	return queueLeaf(tx, key)
}

func getSeq(tx *bolt.Tx, id string) (uint64, bool) {
	v := tx.Bucket(bIDs).Get([]byte(id))
	if len(v) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(v), true
}

// A record's stored JSON is written once and never changed. It says
// "timestamped"; the record is "anchored" once the anchored bucket has its
// height (MarkFinal). Records anchored before that bucket existed say so in
// their JSON.
func getRecord(tx *bolt.Tx, seq uint64) (*Record, error) {
	r, err := getStoredRecord(tx, seq)
	if err != nil {
		return nil, err
	}
	if r.Status != StatusAnchored {
		if h := tx.Bucket(bAnchHt).Get(u64(seq)); len(h) == 8 {
			r.Status, r.AnchoredHeight = StatusAnchored, int64(u64val(h))
		}
	}
	return r, nil
}

// getStoredRecord is the record as stored, without its anchoring.
func getStoredRecord(tx *bolt.Tx, seq uint64) (*Record, error) {
	v := tx.Bucket(bRecords).Get(u64(seq))
	if v == nil {
		return nil, ErrNotFound
	}
	var r Record
	if err := json.Unmarshal(v, &r); err != nil { // Unmarshal copies: safe after tx ends
		return nil, fmt.Errorf("evidence: record %d is corrupt: %w", seq, err)
	}
	r.Seq = seq
	return &r, nil
}

func getEvents(tx *bolt.Tx, seq uint64) ([]*custody.Event, error) {
	var out []*custody.Event
	c := tx.Bucket(bEvents).Cursor()
	prefix := u64(seq)
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		e, err := custody.Decode(v)
		if err != nil {
			return nil, fmt.Errorf("evidence: stored event %x: %w", k, err)
		}
		out = append(out, e)
	}
	return out, nil
}
