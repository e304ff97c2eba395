package integrity

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/receipt"
)

// The documents' audit. A document a register keeps beside the evidence
// (a notarial certificate, checked through a DocumentAudit of
// evidence/certificates; a copyright registration with its certificate,
// of evidence/copyright) is a record of its own: each is checked against
// what it states. Its signed PDF must hash to the SHA-256 recorded when it
// was issued; each receipt stored with it (the bytes the PDF embeds) must
// parse canonically and describe the item, by ID and SHA-256, that the
// document names, with the item's stored tokens and events and proofs that
// lead to its checkpoint's root; each item must exist; and each item must
// carry the custody events the record implies, the anchored part.

// DocumentAudit is how the integrity audit (Audit) checks one kind of
// document record kept beside the evidence (Options.Documents): every
// value of Bucket is the JSON of one document, keyed by its ID; its
// checksum (evidence.PutDocSum, under Kind) is checked, Count names the
// report's counter of such documents, and Check checks the rest through
// the DocAudit it is given. Faults are reported as "<Name>:<id>".
type DocumentAudit struct {
	Name   string
	Bucket []byte
	Kind   byte
	Count  func(rep *Report) *int
	Check  func(d DocAudit, id string, val []byte)
}

// DocAudit is the audit of one document record (DocumentAudit.Check): the
// checks a document's record implies, each recording the first fault of
// its kind.
type DocAudit struct{ d *docAudit }

// Tx is the read transaction the document is checked in.
func (a DocAudit) Tx() *bolt.Tx { return a.d.tx }

// Item returns the record of an item the document names, or nil (a
// missing_items fault) if there is none that decodes.
func (a DocAudit) Item(id string) *evidence.Record { return a.d.item(id) }

// PDF checks the signed PDF stored under id in bucket against its
// recorded SHA-256 and, unless size is negative, its size (bad_documents).
func (a DocAudit) PDF(bucket []byte, id, sha256Hex string, size int64) {
	a.d.pdf(bucket, id, sha256Hex, size)
}

// Receipt checks the i-th receipt b stored with the document: canonical,
// about item id with the SHA-256 digest and, if the item exists (rec),
// made of its stored tokens and events (bad_receipts).
func (a DocAudit) Receipt(i int, b []byte, id, digest string, rec *evidence.Record) {
	a.d.receipt(i, b, id, digest, rec)
}

// WantEvents checks that r's custody chain holds at least want[k] events
// of each "<type> <subject>" k (missing_events).
func (a DocAudit) WantEvents(r *evidence.Record, want map[string]int) { a.d.wantEvents(r, want) }

// FailDocument records a bad_documents fault, unless one was found.
func (a DocAudit) FailDocument(format string, args ...any) { fail(&a.d.document, format, args...) }

// FailReceipts records a bad_receipts fault, unless one was found.
func (a DocAudit) FailReceipts(format string, args ...any) { fail(&a.d.receipts, format, args...) }

// FailItems records a missing_items fault, unless one was found.
func (a DocAudit) FailItems(format string, args ...any) { fail(&a.d.items, format, args...) }

// docAuditBatch is how many certificates or registrations one read
// transaction examines. Fewer than the record audit's batch: each one's
// PDF is hashed inside the transaction.
const docAuditBatch = 32

// auditDocuments checks every document of docs (Options.Documents).
func auditDocuments(ctx context.Context, ev *evidence.Service, rep *Report, docs []DocumentAudit) error {
	for _, da := range docs {
		err := auditEach(ctx, ev, da.Bucket, func(tx *bolt.Tx, id string, val []byte) {
			*da.Count(rep)++
			d := &docAudit{tx: tx, name: da.Name + ":" + id}
			d.checksum(da.Kind, id, val)
			da.Check(DocAudit{d}, id, val)
			d.report(ev.Log(), rep)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// checksum checks a document record's JSON against its checksum
// (evidence.PutDocSum).
func (d *docAudit) checksum(kind byte, id string, val []byte) {
	sum := sha256.Sum256(val)
	if !bytes.Equal(evidence.DocSum(d.tx, kind, id), sum[:]) {
		fail(&d.document, "the record does not match its checksum")
	}
}

// auditEach calls check on every entry of bucket, docAuditBatch entries
// per read transaction. check must not keep val after it returns.
func auditEach(ctx context.Context, ev *evidence.Service, bucket []byte, check func(tx *bolt.Tx, id string, val []byte)) error {
	var from []byte // the first key of the next batch; nil: the first key
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := ev.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucket).Cursor()
			k, v := c.First()
			if from != nil {
				k, v = c.Seek(from)
			}
			for n := 0; k != nil; k, v = c.Next() {
				if n == docAuditBatch {
					from = bytes.Clone(k)
					return nil
				}
				check(tx, string(k), v)
				n++
			}
			from = nil
			return nil
		})
		if err != nil || from == nil {
			return err
		}
	}
}

// docAudit is the audit of one certificate or registration: the first
// fault of each kind found, nil if none.
type docAudit struct {
	tx   *bolt.Tx
	name string // "certificate:<id>" or "copyright:<id>", as reported

	document error // the record, its description or its PDF
	receipts error // a stored receipt
	items    error // an item named
	events   error // an item's custody events
}

// report adds d's faults to rep, under d's name, and logs what each was.
func (d *docAudit) report(log *slog.Logger, rep *Report) {
	for _, f := range []struct {
		err  error
		list *[]string
	}{{d.document, &rep.BadDocuments}, {d.receipts, &rep.BadReceipts}, {d.items, &rep.MissingItems}, {d.events, &rep.MissingEvents}} {
		if f.err != nil {
			*f.list = append(*f.list, d.name)
			log.Debug("integrity: bad document", "document", d.name, "err", f.err)
		}
	}
}

// fail records err as a fault of the kind *kind, unless one was found.
func fail(kind *error, format string, args ...any) {
	if *kind == nil {
		*kind = fmt.Errorf(format, args...)
	}
}

// pdf checks the signed PDF stored under id in bucket against its
// recorded SHA-256 and, unless size is negative, its size.
func (d *docAudit) pdf(bucket []byte, id, sha256Hex string, size int64) {
	pdf := d.tx.Bucket(bucket).Get([]byte(id))
	switch sum := sha256.Sum256(pdf); {
	case pdf == nil:
		fail(&d.document, "the signed PDF is missing")
	case size >= 0 && int64(len(pdf)) != size:
		fail(&d.document, "the signed PDF has %d bytes, recorded %d", len(pdf), size)
	case hex.EncodeToString(sum[:]) != sha256Hex:
		fail(&d.document, "the signed PDF's SHA-256 is %x, recorded %s", sum, sha256Hex)
	}
}

// receipt checks the i-th stored receipt: canonical, and about the item
// id with the SHA-256 digest; if the item exists (rec), made of its stored
// tokens and events, each event proving into the receipt's checkpoint
// root. The checkpoint's signed header is not checked: that needs the
// consortium's trust (custos verify does it).
func (d *docAudit) receipt(i int, b []byte, id, digest string, rec *evidence.Record) {
	if b == nil {
		fail(&d.receipts, "receipt %d is missing", i)
		return
	}
	r, err := receipt.Parse(b)
	switch {
	case err != nil:
		fail(&d.receipts, "receipt %d: %w", i, err)
	case r.Evidence.ID != id || r.Evidence.SHA256 != digest:
		fail(&d.receipts, "receipt %d is about %s %s, want %s %s", i, r.Evidence.ID, r.Evidence.SHA256, id, digest)
	case rec != nil:
		if err := d.receiptContent(r, rec); err != nil {
			fail(&d.receipts, "receipt %d: %w", i, err)
		}
	}
}

// receiptContent checks a receipt's tokens and events against rec's
// stored ones, and the events' inclusion proofs (RFC 6962 §2.1.1).
func (d *docAudit) receiptContent(r *receipt.Receipt, rec *evidence.Record) error {
	if len(r.Timestamps) != len(rec.Tokens) {
		return fmt.Errorf("%d tokens, the item has %d", len(r.Timestamps), len(rec.Tokens))
	}
	for j, t := range r.Timestamps {
		if der := evidence.TokenAt(d.tx, rec.Seq, j); base64.StdEncoding.EncodeToString(der) != t {
			return fmt.Errorf("token %d is not the item's", j)
		}
	}
	root, err := hex.DecodeString(r.Checkpoint.Root)
	if err != nil {
		return err
	}
	for j, e := range r.Events {
		if stored := evidence.EventAt(d.tx, rec.Seq, uint32(j)); string(stored) != e.Event {
			return fmt.Errorf("event %d is not the item's", j)
		}
		p := make([][]byte, len(e.Proof))
		for k, h := range e.Proof {
			p[k], _ = hex.DecodeString(h) // Parse checked the form
		}
		leaf := rfc6962.DefaultHasher.HashLeaf([]byte(e.Event))
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, e.LeafIndex, r.Checkpoint.TreeSize, leaf, p, root); err != nil {
			return fmt.Errorf("event %d does not prove into the checkpoint: %w", j, err)
		}
	}
	return nil
}

// item returns the record of a named item, or nil (a fault) if there is
// none that decodes.
func (d *docAudit) item(id string) *evidence.Record {
	seq, ok := evidence.ItemSeq(d.tx, id)
	if !ok {
		fail(&d.items, "no evidence item %s", id)
		return nil
	}
	r, err := evidence.RecordAt(d.tx, seq)
	if err != nil {
		fail(&d.items, "evidence item %s: %w", id, err)
		return nil
	}
	return r
}

// wantEvents checks that r's custody chain holds at least want[k] events
// of each "<type> <subject>" k. An event that does not decode is the
// record audit's fault (broken_chains), not counted here.
func (d *docAudit) wantEvents(r *evidence.Record, want map[string]int) {
	got := map[string]int{}
	for _, v := range evidence.StoredEvents(d.tx, r.Seq) {
		if e, err := custody.Decode(v); err == nil && e.Evidence == r.ID {
			got[e.Type+" "+e.Subject]++
		}
	}
	for k, n := range want {
		if got[k] < n {
			fail(&d.events, "item %s has %d %q events, want %d", r.ID, got[k], k, n)
		}
	}
}
