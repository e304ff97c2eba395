package records

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/ers"
)

// RFC 4998 evidence records of documents (docs/evidence-records.md):
// the signed PDF of a notarial certificate, proved by its SHA-256, so that
// the PDF outlives its signature's TSA certificate. A document is not an
// item: it has no record sequence and no finality, so its records have
// buckets of their own, keyed by the document's key (a certificate's is
// "certificate:<id>"). A pass (BuildDocumentRecords) is one ers.Build
// over the SHA-256 of up to Config.Batch documents, with one
// time-stamp from the built-in TSA, as for items; the batch's token is
// kept once and each document's reduced hash tree beside its batch number.
var (
	bDocERSBatch = []byte("docersbatch") // batch(8) → DER TimeStampToken (ContentInfo) over the batch's root
	bDocERS      = []byte("docers")      // key → batch(8) ‖ SHA-256(32) ‖ DER SEQUENCE OF PartialHashtree (nothing in a batch of one)
)

// Document is a document to give an evidence record: its key and the
// SHA-256 of its bytes.
type Document struct {
	Key    string
	SHA256 [32]byte
}

// DocumentRecord returns the DER RFC 4998 EvidenceRecord of the document
// key, and the SHA-256 it proves; evidence.ErrRecordPending while it has none.
// It records no access: the caller does.
func (k *Keeper) DocumentRecord(ctx context.Context, key string) ([]byte, [32]byte, error) {
	var der []byte
	var sum [32]byte
	err := k.ev.View(func(tx *bolt.Tx) error {
		rec, s, err := loadDocumentRecord(tx, key)
		if err != nil {
			return err
		}
		der, sum = rec.Encode(), s
		return nil
	})
	return der, sum, err
}

// BuildDocumentRecords gives an evidence record to each document of docs
// that has none, in batches of at most Config.Batch (one
// time-stamp each), and returns how many got one. It is idempotent and
// resumable: a document that has a record is skipped, and a crash before a
// batch is stored leaves its documents to the next call. Passes are
// serialized with the items' (Build).
func (k *Keeper) BuildDocumentRecords(ctx context.Context, docs []Document) (int, error) {
	k.buildMu.Lock()
	defer k.buildMu.Unlock()
	var todo []Document
	err := k.ev.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bDocERS)
		for _, d := range docs {
			if b == nil || b.Get([]byte(d.Key)) == nil {
				todo = append(todo, d)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	total := 0
	for len(todo) > 0 {
		n := min(len(todo), k.cfg.Batch)
		if err := k.buildDocumentBatch(ctx, todo[:n]); err != nil {
			return total, err
		}
		total, todo = total+n, todo[n:]
	}
	return total, nil
}

// HasDocumentRecord reports whether the document key has its evidence
// record.
func (k *Keeper) HasDocumentRecord(key string) (bool, error) {
	var ok bool
	err := k.ev.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bDocERS)
		ok = b != nil && b.Get([]byte(key)) != nil
		return nil
	})
	return ok, err
}

// buildDocumentBatch time-stamps one batch of documents with the built-in
// TSA and stores its token and each document's tree in one transaction.
func (k *Keeper) buildDocumentBatch(ctx context.Context, docs []Document) error {
	hashes := make([][]byte, len(docs))
	for i := range docs {
		hashes[i] = docs[i].SHA256[:]
	}
	sctx, cancel := context.WithTimeout(ctx, ersStampTimeout)
	defer cancel()
	batch, err := ers.Build(sctx, ersHash, hashes, k.ersStamper)
	if err != nil {
		return fmt.Errorf("%d documents from %s: %w", len(docs), docs[0].Key, err)
	}
	var num uint64
	err = k.ev.UpdateAlone(func(tx *bolt.Tx) error {
		batches, err := tx.CreateBucketIfNotExists(bDocERSBatch)
		if err != nil {
			return err
		}
		recs, err := tx.CreateBucketIfNotExists(bDocERS)
		if err != nil {
			return err
		}
		if num, err = sequential(batches).NextSequence(); err != nil {
			return err
		}
		if err := batches.Put(u64(num), batch.Token()); err != nil {
			return err
		}
		for i, d := range docs {
			if recs.Get([]byte(d.Key)) != nil {
				return fmt.Errorf("evidence: document %s already has an evidence record", d.Key) // passes are serialized
			}
			v := binary.BigEndian.AppendUint64(nil, num)
			v = append(v, d.SHA256[:]...)
			if tree := batch.ArchiveTimeStamp(i).Tree; tree != nil {
				v = append(v, ers.EncodeTree(tree)...)
			}
			if err := recs.Put([]byte(d.Key), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	k.ev.Log().Info("evidence records: document batch time-stamped", "batch", num, "documents", len(docs),
		"first", docs[0].Key, "time", batch.Time().UTC().Format(time.RFC3339))
	return nil
}
