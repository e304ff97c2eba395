package evidence

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/custos-project/custos/evidence/custody"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/notary"
	"github.com/custos-project/custos/storage"
)

// KeyLister is implemented by blob stores that can enumerate their
// committed blobs; Audit uses it to find orphans.
type KeyLister interface {
	Keys(ctx context.Context, fn func(key string, size int64) error) error
}

// AuditOptions configures Audit.
type AuditOptions struct {
	// Deep re-reads every blob and recomputes its SHA-256.
	Deep bool
	// Roots and Intermediates verify each record's built-in token (token 0)
	// with notary.Check. With nil Roots tokens are not checked.
	Roots         *x509.CertPool
	Intermediates []*x509.Certificate
}

// AuditReport is what Audit found. Lists name record IDs, except Orphans,
// which names blob keys; an orphan inline blob (bytes in bbolt that no
// record has) is named "inline/sha256/<hex>". Blobs counts the blob
// store's blobs and the inline ones.
type AuditReport struct {
	Records      int      `json:"records"`
	Events       int      `json:"events"`
	AuditEvents  int      `json:"audit_events"` // in the organizations' audit chains
	Blobs        int      `json:"blobs"`
	Pending      []string `json:"pending,omitempty"`
	Missing      []string `json:"missing_blobs,omitempty"`
	SizeMismatch []string `json:"size_mismatch,omitempty"`
	Corrupt      []string `json:"corrupt_blobs,omitempty"`
	BrokenChains []string `json:"broken_chains,omitempty"`
	BadTokens    []string `json:"bad_tokens,omitempty"`
	Orphans      []string `json:"orphan_blobs,omitempty"`
}

// OK reports whether the audit found nothing wrong. Pending promotions are
// not faults: the promoter finishes them.
func (r *AuditReport) OK() bool {
	return len(r.Missing)+len(r.SizeMismatch)+len(r.Corrupt)+len(r.BrokenChains)+len(r.BadTokens)+len(r.Orphans) == 0
}

// Audit checks the store's integrity: every record's blob, inline or in
// the blob store, exists with the right size (and digest, if Deep), every
// custody chain links, every built-in token verifies, and no inline blob
// (nor, if the blob store can list, stored blob) exists without a record.
func (s *Service) Audit(ctx context.Context, opts AuditOptions) (*AuditReport, error) {
	rep := &AuditReport{}
	referenced := map[string]bool{}
	err := s.db.View(func(tx *bolt.Tx) error {
		if err := auditChains(tx, rep); err != nil {
			return err
		}
		return tx.Bucket(bRecords).ForEach(func(k, _ []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			seq := u64val(k)
			r, err := getRecord(tx, seq)
			if err != nil {
				return err
			}
			rep.Records++
			referenced[r.BlobKey()] = true
			s.auditRecord(ctx, tx, r, opts, rep)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	if err := s.auditInlineOrphans(referenced, rep); err != nil {
		return nil, err
	}
	if l, ok := s.cfg.Blobs.(KeyLister); ok {
		err := l.Keys(ctx, func(key string, _ int64) error {
			rep.Blobs++
			if !referenced[key] {
				rep.Orphans = append(rep.Orphans, key)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("evidence: listing blobs: %w", err)
		}
	}
	for _, l := range [][]string{rep.Pending, rep.Missing, rep.SizeMismatch, rep.Corrupt, rep.BrokenChains, rep.BadTokens, rep.Orphans} {
		sort.Strings(l)
	}
	return rep, nil
}

func (s *Service) auditRecord(ctx context.Context, tx *bolt.Tx, r *Record, opts AuditOptions, rep *AuditReport) {
	evs, err := getEvents(tx, r.Seq)
	rep.Events += len(evs)
	if err != nil || len(evs) == 0 || evs[0].SHA256 != r.SHA256 {
		rep.BrokenChains = append(rep.BrokenChains, r.ID)
	} else if _, err := custody.CheckChain(evs); err != nil {
		rep.BrokenChains = append(rep.BrokenChains, r.ID)
	}
	if opts.Roots != nil {
		digest, _ := hex.DecodeString(r.SHA256)
		reply := tx.Bucket(bTokens).Get(tokenKey(r.Seq, 0))
		if _, err := notary.Check(reply, crypto.SHA256, digest, opts.Roots, opts.Intermediates); err != nil {
			rep.BadTokens = append(rep.BadTokens, r.ID)
		}
	}
	if auditInline(tx, r, opts, rep) {
		return
	}
	if tx.Bucket(bPending).Get(u64(r.Seq)) != nil {
		rep.Pending = append(rep.Pending, r.ID)
		return
	}
	b, err := s.cfg.Blobs.Open(ctx, r.BlobKey())
	if errors.Is(err, storage.ErrNotFound) {
		rep.Missing = append(rep.Missing, r.ID)
		return
	}
	if err != nil {
		rep.Missing = append(rep.Missing, r.ID)
		return
	}
	defer b.Close()
	if b.Size() != r.Size {
		rep.SizeMismatch = append(rep.SizeMismatch, r.ID)
		return
	}
	if opts.Deep {
		h := sha256.New()
		if _, err := io.Copy(h, b); err != nil || hex.EncodeToString(h.Sum(nil)) != r.SHA256 {
			rep.Corrupt = append(rep.Corrupt, r.ID)
		}
	}
}

// auditInline checks r's bytes if they are inline, and reports whether
// they were.
func auditInline(tx *bolt.Tx, r *Record, opts AuditOptions, rep *AuditReport) bool {
	if r.Size > maxInline {
		return false
	}
	sum, err := decodeHex32(r.SHA256)
	if err != nil {
		return false // not a digest: the blob store lookup reports it missing
	}
	v := findInline(tx, sum)
	switch {
	case v == nil:
		return false
	case int64(len(v)) != r.Size:
		rep.SizeMismatch = append(rep.SizeMismatch, r.ID)
	case opts.Deep && sha256.Sum256(v) != [32]byte(sum):
		rep.Corrupt = append(rep.Corrupt, r.ID)
	}
	return true
}

// auditInlineOrphans counts the inline blobs and lists those that no
// record references: in inlseq, bytes under a sequence number with no
// record (named by their own digest); in the older inline bucket, bytes
// under a digest no record has (named by that key).
func (s *Service) auditInlineOrphans(referenced map[string]bool, rep *AuditReport) error {
	return s.db.View(func(tx *bolt.Tx) error {
		recs := tx.Bucket(bRecords)
		err := tx.Bucket(bInlSeq).ForEach(func(k, v []byte) error {
			rep.Blobs++
			if recs.Get(k) == nil {
				sum := sha256.Sum256(v)
				rep.Orphans = append(rep.Orphans, "inline/sha256/"+hex.EncodeToString(sum[:]))
			}
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bInline).ForEach(func(k, _ []byte) error {
			rep.Blobs++
			if key := "sha256/" + hex.EncodeToString(k); !referenced[key] {
				rep.Orphans = append(rep.Orphans, "inline/"+key)
			}
			return nil
		})
	})
}

// auditChains checks every organization's audit chain; a broken one is
// reported under BrokenChains by organization ID.
func auditChains(tx *bolt.Tx, rep *AuditReport) error {
	chains := map[string][]*custody.Event{}
	broken := map[string]bool{}
	var order []string
	err := tx.Bucket(bAudit).ForEach(func(k, v []byte) error {
		org := string(k[:len(k)-4])
		if chains[org] == nil {
			order = append(order, org)
			chains[org] = []*custody.Event{}
		}
		rep.AuditEvents++
		e, err := custody.Decode(v)
		if err != nil {
			broken[org] = true
			return nil
		}
		chains[org] = append(chains[org], e)
		return nil
	})
	for _, org := range order {
		if _, cerr := custody.CheckChain(chains[org]); cerr != nil || broken[org] {
			rep.BrokenChains = append(rep.BrokenChains, org)
		}
	}
	return err
}
