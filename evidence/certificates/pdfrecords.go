package certificates

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/records"
)

// Evidence records of the certificates' signed PDFs (docs/evidence-records.md,
// "Records of registrations and certificates"): each PDF's SHA-256 gets an
// RFC 4998 record of its own (records.Keeper.BuildDocumentRecords, one
// built-in-TSA time-stamp per batch of certificates), so that the signed
// PDF stays provable after its signature's TSA certificate expires. The
// items the certificate names have theirs already.

// Documents is what the register needs of the evidence records
// (records.Keeper): its PDFs' records, built and read.
type Documents interface {
	BuildDocumentRecords(ctx context.Context, docs []records.Document) (int, error)
	DocumentRecord(ctx context.Context, key string) ([]byte, [32]byte, error)
}

// pdfKey is the document key of certificate id's PDF record.
func pdfKey(id string) string { return "certificate:" + id }

// PDFRecord returns the DER evidence record of certificate id's signed
// PDF and the SHA-256 it proves (the certificate's pdf_sha256), or
// evidence.ErrRecordPending while it has none. It checks no reader: the
// caller has read the certificate (Certificate).
func (s *Register) PDFRecord(ctx context.Context, id string) ([]byte, string, error) {
	if s.docs == nil {
		return nil, "", evidence.ErrRecordPending
	}
	der, sum, err := s.docs.DocumentRecord(ctx, pdfKey(id))
	if err != nil {
		return nil, "", err
	}
	return der, hex.EncodeToString(sum[:]), nil
}

// DocumentBytes returns the bytes of document key: the signed PDF of the
// certificate whose PDF record it is ("certificate:<id>"). It is the
// records.Config.DocumentBytes hook, which a hash-tree renewal of the
// PDF's record hashes anew; it records no access (the node reads its own
// PDF, no one is shown it).
func (s *Register) DocumentBytes(_ context.Context, key string) ([]byte, error) {
	id, ok := strings.CutPrefix(key, pdfKey(""))
	if !ok {
		return nil, fmt.Errorf("evidence: document %s is not a certificate's PDF", key)
	}
	var pdf []byte
	err := s.ev.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bCertPDF).Get([]byte(id))
		if v == nil {
			return fmt.Errorf("evidence: the PDF of certificate %s is missing", id)
		}
		pdf = bytes.Clone(v)
		return nil
	})
	return pdf, err
}

// BuildPDFRecords gives a record to every certificate's PDF that has none
// and returns how many got one. It is idempotent and resumable: it looks
// at every certificate each time (they are few), and a PDF that has its
// record is not given another.
func (s *Register) BuildPDFRecords(ctx context.Context) (int, error) {
	if s.docs == nil {
		return 0, nil
	}
	var docs []records.Document
	err := s.ev.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bCerts).ForEach(func(_, v []byte) error {
			var c struct {
				ID        string `json:"id"`
				PDFSHA256 string `json:"pdf_sha256"`
			}
			if json.Unmarshal(v, &c) != nil {
				return nil // a damaged record: the integrity audit reports it
			}
			sum, err := hex.DecodeString(c.PDFSHA256)
			if err != nil || len(sum) != 32 {
				return nil
			}
			d := records.Document{Key: pdfKey(c.ID)}
			copy(d.SHA256[:], sum)
			docs = append(docs, d)
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	return s.docs.BuildDocumentRecords(ctx, docs)
}

// RunPDFRecords builds the PDFs' records until ctx ends: at once, then
// whenever a certificate is issued and every interval, so that it resumes
// after a crash and retries after a TSA outage.
func (s *Register) RunPDFRecords(ctx context.Context, interval time.Duration, logf func(msg string, args ...any)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.BuildPDFRecords(ctx); err != nil && ctx.Err() == nil {
			logf("certificate PDF evidence records: batch failed; retried later", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
		}
	}
}

// pdfWake wakes RunPDFRecords. It never blocks.
func (s *Register) pdfWake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}
