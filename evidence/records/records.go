package records

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/custos-project/custos/evidence"
)

// Config configures a Keeper.
type Config struct {
	// TSA is the built-in TSA, which time-stamps every batch and every
	// renewal; required.
	TSA evidence.Stamper
	// Batch is the most final items (or documents) one evidence record
	// time-stamp covers (RunBuilds, BuildDocumentRecords, and a hash-tree
	// renewal's tokens); 0 means DefaultBatch.
	Batch int
	// Renewal configures the renewal of evidence records (plan.go,
	// renew.go): when a chain's time-stamps are renewed and to which hash
	// a retired one's hash trees move.
	Renewal RenewalConfig
	// DocumentBytes, if set, returns the bytes of the document key
	// (documents.go: a certificate's signed PDF), which a hash-tree
	// renewal of its record hashes anew (docrenew.go). Without it, a
	// document due for one is blocked.
	DocumentBytes func(ctx context.Context, key string) ([]byte, error)
}

// Keeper builds, serves and renews the evidence records of an evidence
// service's items and of documents, in the service's database. One Keeper
// runs per service: it alone reads evidence.Service.Finalized.
type Keeper struct {
	ev  *evidence.Service
	cfg Config
	// buildMu serializes the passes that build records, the items' and
	// the documents' (build.go, documents.go).
	buildMu sync.Mutex
	// renewMu serializes renewal runs (renew.go).
	renewMu sync.Mutex
}

// New returns the keeper of ev's evidence records, checking cfg and
// creating the records' buckets.
func New(ev *evidence.Service, cfg Config) (*Keeper, error) {
	switch {
	case cfg.TSA == nil:
		return nil, errors.New("records: Config.TSA is required")
	case cfg.Batch < 0:
		return nil, fmt.Errorf("records: Config.Batch %d is negative", cfg.Batch)
	case cfg.Batch == 0:
		cfg.Batch = DefaultBatch
	}
	if err := cfg.Renewal.resolve(); err != nil {
		return nil, err
	}
	if err := addSkippedBefore(ev, ev.Now()); err != nil {
		return nil, fmt.Errorf("evidence: init store: %w", err)
	}
	if err := ev.CreateBuckets(append(ersBuckets, ersRenewBuckets...)...); err != nil {
		return nil, fmt.Errorf("evidence: init store: %w", err)
	}
	return &Keeper{ev: ev, cfg: cfg}, nil
}
