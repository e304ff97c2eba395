package evidence

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/custody"
)

// The kernel: what a register kept beside the evidence (the copyright
// register, evidence/copyright; the notarial certificates,
// evidence/certificates; the organizations' audit trails,
// evidence/audittrail; the matters and the acts of sharing,
// evidence/sharing; the RFC 4998 evidence records, evidence/records)
// builds on. A register keeps its own
// buckets in the service's database and writes them in the service's
// transactions, together with the custody events, audit events and leaves
// that its acts put on the evidence. The core calls back into registers
// only through plain functions of the transaction given in Config
// (OnLeafFinal, ItemOwner), and signals finality on a channel the
// evidence records' builder reads (Finalized). The integrity audit
// (evidence/integrity: the evidence's records, chains, tokens and blobs,
// and the documents registers keep) and the prover of receipts and
// lookups (evidence/proofs) read the core through the same API.

// View runs fn in a read-only transaction of the service's database.
func (s *Service) View(fn func(tx *bolt.Tx) error) error { return s.db.View(fn) }

// Update applies fn in a write transaction of the service's group commit
// and returns once that transaction is durable, or with fn's error
// (nothing of fn is then committed). fn may run more than once and must
// set its results afresh on every run. Once it has committed, the anchor
// is told that leaves were queued.
func (s *Service) Update(fn func(tx *bolt.Tx) error) error {
	if err := s.commits.commit(fn); err != nil {
		return err
	}
	s.leavesQueued()
	return nil
}

// UpdateAlone applies fn in a write transaction of its own, outside the
// group commit, and returns once it is durable, or with fn's error
// (nothing of fn is then committed); fn runs once. It is for a register's
// long writes that are on no upload's path: the batches and renewals of
// the evidence records (evidence/records). Once it has committed, the
// anchor is told that leaves were queued, as after Update.
func (s *Service) UpdateAlone(fn func(tx *bolt.Tx) error) error {
	if err := s.db.Update(fn); err != nil {
		return err
	}
	s.leavesQueued()
	return nil
}

// Join lets a write transaction that another store of the service's
// database runs itself (the access store's, the webhook service's) take
// events of the service, so that a store's change and the audit event
// that records it are committed together or not at all
// (audittrail.Trails.AppendAuditTx). It refuses a transaction of another
// database or a read-only one, and once tx has committed it tells the
// anchor that leaves were queued, as Update does.
func (s *Service) Join(tx *bolt.Tx) error {
	if tx.DB() != s.db || !tx.Writable() {
		return fmt.Errorf("evidence: events written in a transaction of another database or a read-only one")
	}
	tx.OnCommit(s.leavesQueued)
	return nil
}

// Log is the service's logger (Config.Log), for what a register or the
// integrity audit logs beside it.
func (s *Service) Log() *slog.Logger { return s.log }

// Now is the service's clock (Config.Now).
func (s *Service) Now() time.Time { return s.cfg.Now() }

// CreateBuckets creates those of the named buckets that do not exist yet:
// a register's own, from its constructor.
func (s *Service) CreateBuckets(names ...[]byte) error { return initBuckets(s.db, names) }

// SumDocuments gives every record of bucket that has no checksum of kind
// one (PutDocSum): the document records of a store written before
// checksums existed. Documents are few, so one transaction does it.
func (s *Service) SumDocuments(bucket []byte, kind byte) error {
	return s.db.Update(func(tx *bolt.Tx) error { return sumBucket(tx, bucket, kind) })
}

// PutDocSum records in tx the checksum of a document record's JSON, val,
// under its kind (one byte per kind of document) and id; the integrity
// audit checks it (integrity.DocumentAudit, through DocSum).
func PutDocSum(tx *bolt.Tx, kind byte, id string, val []byte) error {
	return putDocSum(tx, kind, id, val)
}

// DocSum returns the checksum PutDocSum recorded in tx for the document
// kind:id, nil if there is none; it is valid only inside tx.
func DocSum(tx *bolt.Tx, kind byte, id string) []byte {
	return tx.Bucket(bDocSum).Get(docSumKey(kind, id))
}

// ItemSeq returns the sequence number of evidence item id in tx, false if
// there is no such item.
func ItemSeq(tx *bolt.Tx, id string) (uint64, bool) { return getSeq(tx, id) }

// RecordAt returns the record with sequence number seq in tx, with its
// anchoring; ErrNotFound if there is none.
func RecordAt(tx *bolt.Tx, seq uint64) (*Record, error) { return getRecord(tx, seq) }

// VisibleIn reports whether org may see r at now in tx: it owns r, or r
// (or its matter) is shared with org (Visible, inside a transaction).
func (s *Service) VisibleIn(tx *bolt.Tx, r *Record, org string, now time.Time) bool {
	return s.visible(tx, r, org, now)
}

// OwnerIn returns the organization that owns r in tx, and so may share
// it: the owner through a register (Config.ItemOwner), or else the
// organization that filed r.
func (s *Service) OwnerIn(tx *bolt.Tx, r *Record) string { return s.sharer(tx, r) }

// MatterItems returns the sequence numbers of the records filed into
// matter in tx, oldest first.
func MatterItems(tx *bolt.Tx, matter string) ([]uint64, error) { return matterRecords(tx, matter) }

// GetShare returns the share id in tx; ErrNotFound if there is none.
func GetShare(tx *bolt.Tx, id string) (*Share, error) { return getShare(tx, id) }

// CurrentShare returns the newest share of target with grantee in tx,
// active or not; ErrNotFound if there is none.
func CurrentShare(tx *bolt.Tx, target, grantee string) (*Share, error) {
	id := tx.Bucket(bShareIdx).Get([]byte(target + grantee))
	if id == nil {
		return nil, ErrNotFound
	}
	return getShare(tx, string(id))
}

// SharedWith reports whether target (an item or a matter) is shared with
// org at now in tx.
func SharedWith(tx *bolt.Tx, target, org string, now time.Time) bool {
	return activeShare(tx, target, org, now)
}

// SharesAfter calls fn in tx with each share whose ID is after after
// ("" for the first), in the order of the IDs, until fn returns false or
// an error.
func SharesAfter(tx *bolt.Tx, after string, fn func(*Share) (bool, error)) error {
	c := tx.Bucket(bShares).Cursor()
	k, v := c.Seek([]byte(after))
	if k != nil && string(k) == after {
		k, v = c.Next()
	}
	for ; k != nil; k, v = c.Next() {
		var sh Share
		if err := json.Unmarshal(v, &sh); err != nil {
			return err
		}
		more, err := fn(&sh)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// SharesOf lists in tx the shares org made (made) or received (!made).
func SharesOf(tx *bolt.Tx, org string, made bool) ([]Share, error) { return sharesOf(tx, org, made) }

// PutShare stores the new share sh in tx, with the indexes every read
// path checks, and tells Config.OnShare; the custody events of the items
// it covers are the caller's (AppendEach).
func (s *Service) PutShare(tx *bolt.Tx, sh *Share) error { return s.putNewShare(tx, sh) }

// EndShare revokes sh in tx at now, as actor, and tells Config.OnShare;
// the custody events of the items it covered are the caller's.
func (s *Service) EndShare(tx *bolt.Tx, sh *Share, actor string, now time.Time) error {
	return s.endShare(tx, sh, actor, now)
}

// TokenAt returns the i-th timestamp reply (DER) stored for the item with
// sequence number seq in tx, nil if it is missing or damaged; it may be
// bbolt's memory, valid only inside tx.
func TokenAt(tx *bolt.Tx, seq uint64, i int) []byte { return getToken(tx, seq, i) }

// EventAt returns the stored bytes of custody event n of the item with
// sequence number seq in tx, nil if there is none; they are valid only
// inside tx.
func EventAt(tx *bolt.Tx, seq uint64, n uint32) []byte {
	return tx.Bucket(bEvents).Get(eventKey(seq, n))
}

// StoredEvents returns the stored bytes of every custody event of the
// item with sequence number seq in tx, in order, as stored (decoding is
// the caller's); they are valid only inside tx.
func StoredEvents(tx *bolt.Tx, seq uint64) [][]byte {
	var out [][]byte
	c := tx.Bucket(bEvents).Cursor()
	prefix := u64(seq)
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		out = append(out, v)
	}
	return out
}

// FinalRecords calls fn with the sequence number and the stored JSON
// (valid only inside tx) of each final (anchored) record of tx, from
// sequence number from on, in order, until a record that is not final yet
// or fn returns false. Records become final in the order of their
// sequence numbers (putRecord queues a record's created event in the
// transaction that numbers it), so every record before the first one not
// final is final. It returns where the next scan starts: that first
// record not final, or the one after the last that fn was given. The
// builder of the items' evidence records (evidence/records) scans with it.
func FinalRecords(tx *bolt.Tx, from uint64, fn func(seq uint64, stored []byte) bool) uint64 {
	next := from
	anchored := tx.Bucket(bAnchHt)
	c := tx.Bucket(bRecords).Cursor()
	for k, v := c.Seek(u64(from)); k != nil; k, v = c.Next() {
		seq := u64val(k)
		if anchored.Get(k) == nil && !storedAnchored(v) {
			return seq
		}
		next = seq + 1
		if !fn(seq, v) {
			break
		}
	}
	return next
}

// RecentRecord returns the ID and SHA-256 of record seq if it is one of
// the records filed last, which the service remembers as their
// transactions commit (facts.go); ok is false for any other record, whose
// stored JSON the caller then decodes. The evidence records' builder
// (evidence/records) takes them so instead of decoding every new record.
func (s *Service) RecentRecord(seq uint64) (id string, sha256 [32]byte, ok bool) {
	f, ok := s.facts.lookup(seq)
	return f.id, f.sha256, ok
}

// storedAnchored reports whether a record's stored JSON says it is
// anchored (records anchored before the anchored bucket existed). The
// bytes are looked at first, so that the many records that do not say so
// are not decoded.
func storedAnchored(v []byte) bool {
	if !bytes.Contains(v, []byte(`"status":"anchored"`)) {
		return false
	}
	var r struct {
		Status string `json:"status"`
	}
	return json.Unmarshal(v, &r) == nil && r.Status == StatusAnchored
}

// Finalized receives after MarkFinal made leaves final: items may have
// become final. Signals coalesce and MarkFinal never blocks on them, so
// the channel has one reader: the builder of the items' evidence records
// (records.Keeper.RunBuilds).
func (s *Service) Finalized() <-chan struct{} { return s.finalKick }

// finalWake signals Finalized. It never blocks.
func (s *Service) finalWake() {
	select {
	case s.finalKick <- struct{}{}:
	default:
	}
}

// AppendEvent appends e to the custody chain of the item with sequence
// number seq in tx and queues it for anchoring, filling e.Seq and e.Prev.
func AppendEvent(tx *bolt.Tx, seq uint64, e *custody.Event) error { return appendEvent(tx, seq, e) }

// EventLeaf returns the local leaf index at which event n of the item
// with sequence number seq was queued for anchoring.
func EventLeaf(tx *bolt.Tx, seq uint64, n uint32) (uint64, error) {
	leaf := tx.Bucket(bEvLeaf).Get(eventKey(seq, n))
	if len(leaf) != 8 {
		return 0, fmt.Errorf("evidence: event %d of record %d has no leaf", n, seq)
	}
	return u64val(leaf), nil
}

// AppendEach appends a custody event of type typ and subject, by actor,
// to each item of seqs in tx; a read inside its fold window is counted
// instead, as every read is.
func (s *Service) AppendEach(tx *bolt.Tx, seqs []uint64, actor, typ, subject string) error {
	return s.appendEach(tx, seqs, actor, typ, subject)
}

// GiveItem hands the item id (sequence number seq) from organization from
// to organization to in tx: to lists it as its own from then on, and the
// shares of the item that from made end, each with an "unshared" custody
// event by actor. A register calls it when it moves an item's ownership
// (to then also owns it through Config.ItemOwner).
func (s *Service) GiveItem(tx *bolt.Tx, seq uint64, id, from, to, actor string) error {
	if err := tx.Bucket(bByOrg).Put(append([]byte(to), u64(seq)...), nil); err != nil {
		return err
	}
	return s.endShares(tx, seq, id, from, actor)
}

// AppendAuditTx appends e to the audit chain of the organization
// e.Evidence in tx and queues it for anchoring, filling e.Seq and e.Prev;
// the chain must exist (AppendAuditOrStartTx starts it).
func AppendAuditTx(tx *bolt.Tx, e *custody.Event) error { return appendAudit(tx, e, false) }

// AppendAuditOrStartTx appends e as AppendAuditTx does, but starts the
// organization's chain with e if it has none: the first act of an
// organization, recorded by evidence/audittrail.
func AppendAuditOrStartTx(tx *bolt.Tx, e *custody.Event) error { return appendAudit(tx, e, true) }

// AuditEvents returns the audit chain of organization org in tx, in order
// (with the error, the events before one that does not decode).
func AuditEvents(tx *bolt.Tx, org string) ([]*custody.Event, error) { return auditChain(tx, org) }

// PutVerifyToken records in tx that token (NewVerifyToken) opens the
// document kind:id (VerifiedDocument), once: the same mapping again is a
// no-op; token already mapped to another document is an error.
func PutVerifyToken(tx *bolt.Tx, token, kind, id string) error {
	return putVerifyToken(tx, token, kind, id)
}

// FormatCursor seals pos, a position in org's listing named listing, as
// an opaque cursor (the Next of a page).
func (s *Service) FormatCursor(listing, org string, pos []byte) string {
	return s.cursors.format(listing, org, pos)
}

// ParseCursor opens a cursor that FormatCursor made for the same listing
// and org, whose position has posLen bytes; ErrBadCursor otherwise.
func (s *Service) ParseCursor(listing, org, cursor string, posLen int) ([]byte, error) {
	return s.cursors.parse(listing, org, cursor, posLen)
}

// ValidateStruct checks the validate tags of v (a pointer to a struct) as
// upload metadata is checked, including the "visible" and "date" tags; the
// fields that fail come back in a *MetadataError.
func ValidateStruct(v any) error { return validateStruct(v) }

// DecodeStrict decodes the JSON b into v as upload metadata is decoded:
// unknown fields, duplicate or case-folded keys and trailing data are
// refused, with a *MetadataError naming what (the input) and listing the
// allowed fields.
func DecodeStrict(b []byte, v any, what, allowed string) error {
	return decodeStrict(b, v, what, allowed)
}

// DecodeDigest decodes a SHA-256 digest written as 64 lowercase hex
// digits; ErrBadDigest otherwise.
func DecodeDigest(s string) ([]byte, error) { return decodeHex32(s) }

// Prepared is an upload made ready to commit in a transaction of the
// caller's (Upload.Prepare): its bytes durable, its tokens obtained, its
// record encoded.
type Prepared struct{ f *finishing }

// Prepare does the part of Finish before the transaction, so that a
// register may commit several uploads together with its own writes: Put
// each in one Update, then call Committed once it returns. If anything
// fails, Abort discards the upload's staged bytes.
func (u *Upload) Prepare(ctx context.Context, meta Meta) (*Prepared, error) {
	f, err := u.prepare(ctx, meta)
	if err != nil {
		return nil, err
	}
	return &Prepared{f}, nil
}

// Record is the record the upload will be committed as.
func (p *Prepared) Record() *Record { return p.f.rec }

// Put writes the record, its created event and an inline body's bytes in
// tx; it may run more than once, as every Update function may.
func (p *Prepared) Put(tx *bolt.Tx) error { return p.f.put(tx) }

// Committed finishes the upload once Put's transaction is durable.
func (p *Prepared) Committed(ctx context.Context) { p.f.committed(ctx) }

// ItemEvents returns the stored bytes of every custody event of the item
// with sequence number seq in tx, in order, each with the local leaf index
// at which it was queued for anchoring; the bytes are valid only inside
// tx. An event without a leaf index is an error. The prover
// (evidence/proofs) reads an item's events with it for a receipt.
func ItemEvents(tx *bolt.Tx, seq uint64) (events [][]byte, leaves []uint64, err error) {
	c := tx.Bucket(bEvents).Cursor()
	prefix := u64(seq)
	for k, v := c.Seek(prefix); k != nil && len(k) == 12 && u64val(k) == seq; k, v = c.Next() {
		li := tx.Bucket(bEvLeaf).Get(k)
		if len(li) != 8 {
			return nil, nil, fmt.Errorf("evidence: event %x has no leaf index", k)
		}
		events = append(events, v)
		leaves = append(leaves, u64val(li))
	}
	return events, leaves, nil
}

// ItemHead computes in tx the custody head of the item with sequence
// number seq after its first n events (docs/custody-events.md, "Custody
// heads"), and returns those events' RFC 6962 leaf hashes; an error
// wrapping ErrNotFound if the item has fewer than n events.
func ItemHead(tx *bolt.Tx, seq uint64, n uint32) (*custody.Head, [][]byte, error) {
	return headAndLeaves(tx, u64(seq), n)
}

// HeadOfEvents is the custody head of item id after the events of which
// events are the stored bytes and leaves the leaf hashes (a prefix of what
// ItemHead returns): the head the chain's state holds when it registered
// fewer events than the item has now.
func HeadOfEvents(id string, events, leaves [][]byte) *custody.Head {
	return headOfLeaves(id, events, leaves)
}

// EachPrefixHead calls fn with the value of item id's custody head after
// its first n events, for n from 1 up, until fn returns false, given the
// events' stored bytes and leaf hashes: the heads HeadOfEvents gives, in
// one pass.
func EachPrefixHead(id string, events, leaves [][]byte, fn func(n int, v [32]byte) bool) error {
	return prefixHeads(id, events, leaves, fn)
}

// EventType is the type of a stored custody event (as ItemEvents returns
// it), read without decoding the event; "" if it has none.
func EventType(event []byte) string { return eventType(event) }

// DigestItems returns the sequence numbers of the records whose SHA-256
// is sum in the snapshot tx, in ascending order, committed records whose
// digest the index does not hold yet included (evidence/digestindex).
func (s *Service) DigestItems(tx *bolt.Tx, sum []byte) []uint64 { return s.digests.Seqs(tx, sum) }

// leafFinal tells Config.OnLeafFinal, if set, that local leaf became final
// at height.
func (s *Service) leafFinal(tx *bolt.Tx, leaf uint64, height int64) error {
	if s.cfg.OnLeafFinal == nil {
		return nil
	}
	return s.cfg.OnLeafFinal(tx, leaf, height)
}

// itemOwner is the organization that owns item through a register
// (Config.ItemOwner), or "".
func (s *Service) itemOwner(tx *bolt.Tx, item string) string {
	if s.cfg.ItemOwner == nil {
		return ""
	}
	return s.cfg.ItemOwner(tx, item)
}

// The integrity audit's reads. The audit of the evidence's own records,
// chains, tokens and blobs (evidence/integrity) reads the core's buckets
// through these, besides TokenAt, EventLeaf, DigestItems and Log above.

// StoredRecords calls fn with the sequence number and the stored JSON
// (valid only inside tx) of each record of tx, from sequence number from
// on, in order, until fn returns false: it then returns that record's
// sequence number, where the next scan starts, and true. After the last
// record it returns 0 and false.
func StoredRecords(tx *bolt.Tx, from uint64, fn func(seq uint64, stored []byte) bool) (next uint64, more bool) {
	c := tx.Bucket(bRecords).Cursor()
	for k, v := c.Seek(u64(from)); k != nil; k, v = c.Next() {
		if !fn(u64val(k), v) {
			return u64val(k), true
		}
	}
	return 0, false
}

// StoredRecord returns the stored JSON of record seq in tx, nil if there
// is none; it is valid only inside tx.
func StoredRecord(tx *bolt.Tx, seq uint64) []byte { return tx.Bucket(bRecords).Get(u64(seq)) }

// RecordSum returns the checksum recorded in tx for record seq, the
// SHA-256 of its stored JSON (see bRecSum), nil if there is none; it is
// valid only inside tx.
func RecordSum(tx *bolt.Tx, seq uint64) []byte { return tx.Bucket(bRecSum).Get(u64(seq)) }

// EachEvent calls fn with the number and the stored bytes (valid only
// inside tx) of each custody event of the item with sequence number seq
// in tx, in order, as stored (decoding is the caller's, and EventLeaf
// gives each one's leaf).
func EachEvent(tx *bolt.Tx, seq uint64, fn func(n uint32, event []byte)) {
	c := tx.Bucket(bEvents).Cursor()
	for k, v := c.Seek(u64(seq)); k != nil && len(k) == 12 && u64val(k) == seq; k, v = c.Next() {
		fn(binary.BigEndian.Uint32(k[8:]), v)
	}
}

// EachAuditEvent calls fn with the organization and the stored bytes
// (valid only inside tx) of each event of the organizations' audit chains
// in tx, chain by chain, each in order, as stored; it stops at fn's first
// error and returns it.
func EachAuditEvent(tx *bolt.Tx, fn func(org string, event []byte) error) error {
	return tx.Bucket(bAudit).ForEach(func(k, v []byte) error { return fn(string(k[:len(k)-4]), v) })
}

// PendingPromotion reports whether record seq is committed in tx with its
// blob not yet at its final key: the promoter finishes it.
func PendingPromotion(tx *bolt.Tx, seq uint64) bool { return tx.Bucket(bPending).Get(u64(seq)) != nil }

// InlineOf returns in tx the inline bytes r reads (Open): its own, else
// those of the first record with its digest, else those the older inline
// bucket keeps under its digest; nil if r is not stored inline (larger
// than any inline body, or its SHA256 not a digest). The value may be
// bbolt's memory, valid only inside tx.
func (s *Service) InlineOf(tx *bolt.Tx, r *Record) []byte {
	if r.Size > maxInline {
		return nil
	}
	sum, err := decodeHex32(r.SHA256)
	if err != nil {
		return nil
	}
	return s.recordInline(tx, r.Seq, sum)
}

// EachInline calls fn with the sequence number of each record that keeps
// inline bytes of its own in tx (InlineBytes reads them), in order; it
// stops at fn's first error and returns it.
func EachInline(tx *bolt.Tx, fn func(seq uint64) error) error {
	return tx.Bucket(bInlSeq).ForEach(func(k, _ []byte) error { return fn(u64val(k)) })
}

// InlineBytes returns the inline bytes kept under record seq's own
// sequence number in tx (its parts joined), nil if there are none; the
// value may be bbolt's memory, valid only inside tx.
func InlineBytes(tx *bolt.Tx, seq uint64) []byte { return inlineBytes(tx, seq) }

// EachInlineDigest calls fn with each SHA-256 digest under which the older
// inline bucket (before records kept their own inline bytes) keeps bytes
// in tx (valid only inside tx); it stops at fn's first error and returns
// it.
func EachInlineDigest(tx *bolt.Tx, fn func(sum []byte) error) error {
	return tx.Bucket(bInline).ForEach(func(k, _ []byte) error { return fn(k) })
}

// Blobs is the service's blob store (Config.Blobs).
func (s *Service) Blobs() Blobs { return s.cfg.Blobs }
