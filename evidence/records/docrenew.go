package records

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/ers"
	"github.com/custos-project/custos/evidence"
)

// Hash-tree renewal of documents' records (RFC 4998 §5.3,
// docs/evidence-records.md "Renewal"): when the hash of a document's last
// chain is retired, the run reads the document's bytes
// (Config.DocumentBytes), checks them against the SHA-256 its record
// proves, and gives it a further chain of RenewalConfig.Hash, one token
// per Config.Batch documents. The batch of such a renewal is a
// document batch like a build batch (docersbatch, its time-stamp
// renewals in docersrenew), its hash in docersbhash; a document's
// chains after the first are in docersx.
var (
	bDocERSBatchHash = []byte("docersbhash") // batch(8) → hash name ("SHA-512"); absent: SHA-256
	bDocERSX         = []byte("docersx")     // key ‖ 0 ‖ k(4) → batch(8) ‖ DER SEQUENCE OF PartialHashtree: the document's chain k ≥ 1
)

// docChainKey is the docersx key of the document key's k-th chain. A
// document key holds no NUL byte, so that one document's chains are
// apart from another's whose key it begins.
func docChainKey(key string, k uint32) []byte {
	return binary.BigEndian.AppendUint32(append([]byte(key), 0), k)
}

// docBatchHash is the hash algorithm of document batch's tree and chain.
func docBatchHash(tx *bolt.Tx, batch uint64) (crypto.Hash, error) {
	return hashIn(tx, bDocERSBatchHash, batch)
}

// docChain reads a document's chain value (docers after its SHA-256, or
// docersx: batch(8) ‖ tree) and returns its chain and batch.
func docChain(tx *bolt.Tx, key string, k uint32, batch uint64, tree []byte) (ers.Chain, error) {
	h, err := docBatchHash(tx, batch)
	if err != nil {
		return nil, err
	}
	var t []ers.PartialHashtree
	if len(tree) > 0 { // else a batch of one: the time-stamp is over the document's hash
		if t, err = ers.DecodeTree(bytes.Clone(tree), h); err != nil {
			return nil, fmt.Errorf("evidence: evidence record of document %s, chain %d: %w", key, k, err)
		}
	}
	chain, err := chainIn(tx, bDocERSBatch, bDocERSRenew, batch, t, h)
	if err != nil {
		return nil, fmt.Errorf("evidence: evidence record of document %s, chain %d: %w", key, k, err)
	}
	return chain, nil
}

// loadDocumentRecord assembles the record of document key: its first
// chain (its build batch's token over its tree, then the batch's
// time-stamp renewals), then each chain a hash-tree renewal started,
// with its own batch's renewals; and the SHA-256 it proves.
func loadDocumentRecord(tx *bolt.Tx, key string) (*ers.Record, [32]byte, error) {
	var sum [32]byte
	b := tx.Bucket(bDocERS)
	if b == nil {
		return nil, sum, evidence.ErrRecordPending
	}
	v := b.Get([]byte(key))
	if v == nil {
		return nil, sum, evidence.ErrRecordPending
	}
	if len(v) < 8+32 {
		return nil, sum, fmt.Errorf("evidence: evidence record of document %s is corrupt (%d bytes)", key, len(v))
	}
	copy(sum[:], v[8:40])
	chain, err := docChain(tx, key, 0, u64val(v[:8]), v[40:])
	if err != nil {
		return nil, sum, err
	}
	rec := &ers.Record{DigestAlgorithms: []crypto.Hash{chain[0].Hash}, Chains: []ers.Chain{chain}}
	c := tx.Bucket(bDocERSX).Cursor()
	prefix := append([]byte(key), 0)
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if len(k) != len(prefix)+4 || len(v) < 8 {
			return nil, sum, fmt.Errorf("evidence: evidence record chain %q of document %s is corrupt", k, key)
		}
		n := binary.BigEndian.Uint32(k[len(prefix):])
		if int(n) != len(rec.Chains) {
			return nil, sum, fmt.Errorf("evidence: evidence record of document %s has chain %d after %d chains", key, n, len(rec.Chains))
		}
		chain, err := docChain(tx, key, n, u64val(v[:8]), v[8:])
		if err != nil {
			return nil, sum, err
		}
		if h := chain[0].Hash; !slices.Contains(rec.DigestAlgorithms, h) {
			rec.DigestAlgorithms = append(rec.DigestAlgorithms, h)
		}
		rec.Chains = append(rec.Chains, chain)
	}
	return rec, sum, nil
}

// docLastChains maps each document batch to the documents whose last
// chain it is: docers, then docersx in key order. left holds the batches
// that are an earlier chain of some document (see planBatch.left).
func docLastChains(tx *bolt.Tx) (_ map[uint64][]string, left map[uint64]bool, _ error) {
	recs := tx.Bucket(bDocERS)
	if recs == nil {
		return nil, nil, nil
	}
	last := map[string]uint64{}
	err := recs.ForEach(func(k, v []byte) error {
		if len(v) < 8+32 {
			return fmt.Errorf("evidence: evidence record of document %s is corrupt (%d bytes)", k, len(v))
		}
		last[string(k)] = u64val(v[:8])
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	left = map[uint64]bool{}
	err = tx.Bucket(bDocERSX).ForEach(func(k, v []byte) error {
		i := bytes.IndexByte(k, 0)
		if i < 0 || len(k) != i+5 || len(v) < 8 {
			return fmt.Errorf("evidence: evidence record chain %q of a document is corrupt", k)
		}
		if b, ok := last[string(k[:i])]; ok {
			left[b] = true
		}
		last[string(k[:i])] = u64val(v[:8])
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	out := map[uint64][]string{}
	for key, b := range last {
		out[b] = append(out[b], key)
	}
	return out, left, nil
}

// errNoDocumentBytes: Config.DocumentBytes is not set.
var errNoDocumentBytes = errors.New("the node reads no documents' bytes (Config.DocumentBytes is not set)")

// renewDocHashTrees gives each document of the due document batches a
// new chain of Renewal.Hash, Config.Batch documents per token.
func (k *Keeper) renewDocHashTrees(ctx context.Context, run *RenewalRun, due []*planBatch) {
	var keys []string
	for _, b := range due {
		keys = append(keys, b.docs...)
	}
	for len(keys) > 0 {
		n := min(len(keys), k.cfg.Batch)
		chunk := keys[:n]
		keys = keys[n:]
		if err := k.renewDocHashTreeChunk(ctx, run, chunk); err != nil {
			run.Documents.Blocked.Items += len(chunk)
			run.Errors = append(run.Errors, fmt.Sprintf("hash-tree renewal of %d documents from %s: %v", len(chunk), chunk[0], err))
		}
	}
}

// hashDoc is one document of a hash-tree renewal.
type hashDoc struct {
	key    string
	ers    *ers.Record
	sum    [32]byte // the SHA-256 its record proves
	hashed []byte   // Renewal.Hash of its bytes
}

func (k *Keeper) renewDocHashTreeChunk(ctx context.Context, run *RenewalRun, keys []string) error {
	h := k.cfg.Renewal.Hash
	docs, err := k.hashDocs(ctx, run, keys, h)
	if err != nil || len(docs) == 0 {
		return err
	}
	recs, sums := make([]*ers.Record, len(docs)), make([][]byte, len(docs))
	for i, d := range docs {
		recs[i], sums[i] = d.ers, d.hashed
	}
	renewed, token, err := k.stampHashTrees(ctx, h, recs, sums)
	if err != nil {
		return err
	}
	var num uint64
	err = k.ev.UpdateAlone(func(tx *bolt.Tx) error {
		batches, err := tx.CreateBucketIfNotExists(bDocERSBatch)
		if err != nil {
			return err
		}
		if num, err = sequential(batches).NextSequence(); err != nil {
			return err
		}
		if err := batches.Put(u64(num), token); err != nil {
			return err
		}
		if err := tx.Bucket(bDocERSBatchHash).Put(u64(num), []byte(h.String())); err != nil {
			return err
		}
		chains := tx.Bucket(bDocERSX)
		for i, d := range docs {
			n := uint32(len(d.ers.Chains))
			if chains.Get(docChainKey(d.key, n)) != nil {
				return fmt.Errorf("evidence: document %s already has chain %d", d.key, n) // runs are serialized
			}
			v := u64(num)
			if tree := renewed[i].Chains[n][0].Tree; tree != nil {
				v = append(v, ers.EncodeTree(tree)...)
			}
			if err := chains.Put(docChainKey(d.key, n), v); err != nil {
				return err
			}
		}
		return beforeRenewalCommit()
	})
	if err != nil {
		return err
	}
	run.Documents.HashTree.Batches++
	run.Documents.HashTree.Items += len(docs)
	run.Documents.HashTree.Tokens++
	k.ev.Log().Info("evidence records: documents' hash trees renewed", "batch", num, "documents", len(docs), "hash", h.String())
	return nil
}

// hashDocs reads the records of keys and hashes their documents' bytes;
// a document whose bytes cannot be read, or do not match the SHA-256 its
// record proves, is left out with an error in run (its record stays
// due).
func (k *Keeper) hashDocs(ctx context.Context, run *RenewalRun, keys []string, h crypto.Hash) ([]hashDoc, error) {
	docs := make([]hashDoc, 0, len(keys))
	err := k.ev.View(func(tx *bolt.Tx) error {
		for _, key := range keys {
			rec, sum, err := loadDocumentRecord(tx, key)
			if err != nil {
				return err
			}
			docs = append(docs, hashDoc{key: key, ers: rec, sum: sum})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := docs[:0]
	for _, d := range docs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sum, err := k.hashDocument(ctx, d.key, d.sum, h)
		if err != nil {
			run.Documents.Blocked.Items++
			run.Errors = append(run.Errors, fmt.Sprintf("document %s: %v", d.key, err))
			continue
		}
		d.hashed = sum
		out = append(out, d)
	}
	return out, nil
}

// hashDocument returns the hash h of document key's bytes, after
// checking them against want, the SHA-256 its record proves.
func (k *Keeper) hashDocument(ctx context.Context, key string, want [32]byte, h crypto.Hash) ([]byte, error) {
	if k.cfg.DocumentBytes == nil {
		return nil, fmt.Errorf("%w: %v", ErrRenewalBlocked, errNoDocumentBytes)
	}
	b, err := k.cfg.DocumentBytes(ctx, key)
	if err != nil {
		return nil, err
	}
	if got := sha256.Sum256(b); got != want {
		return nil, fmt.Errorf("%w: the document's SHA-256 is %x, the record's %x", ErrRenewalBlocked, got, want)
	}
	hh := h.New()
	hh.Write(b)
	return hh.Sum(nil), nil
}
