package anchor

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cometbft/cometbft/mempool"
	bolt "go.etcd.io/bbolt"
)

// LeafSource is the node's local, ordered queue of leaves to anchor.
type LeafSource interface {
	// LeafHashes returns the RFC 6962 leaf hashes of up to max queued
	// leaves, starting at local index from (fewer, or none, at the end).
	LeafHashes(from uint64, max int) ([][]byte, error)
	// Heads returns the custody heads after the local leaves [from,
	// from+count): one for each chain with an event among them that then
	// has at least minEvents events, as of its last event there. The same
	// arguments always give the same heads.
	Heads(from uint64, count int, minEvents uint64) ([]HeadUpdate, error)
	// Deposits returns the deposits (state version 4) of the items whose
	// created events are among the local leaves [from, from+count), each
	// with FirstLocal set to its created event's local index. The same
	// arguments give the same deposits, except that a held deposit (a
	// file of a pending copyright registration, evidence/deposithold.go)
	// is left out until it is released; a batch rebuilt after a release
	// may carry it too, which the chain counts once.
	Deposits(from uint64, count int) ([]Deposit, error)
}

// Batch is a run of local leaves submitted in one transaction.
type Batch struct {
	Seq    uint64
	From   uint64 // local index of the first leaf
	Count  int
	First  uint64 // log index of the first leaf, once included
	Height int64  // block that included it; 0 while pending
	Final  bool   // a later block (whose header carries the AppHash) is committed
}

// BatcherConfig configures a Batcher.
type BatcherConfig struct {
	DB       *bolt.DB // node-local batch records (not chain state)
	Node     *Node
	App      *App
	ChainID  string
	NodeCert *x509.Certificate // certifies Node's validator key
	OrgCA    *x509.Certificate
	Source   LeafSource
	// Wake, if set, is where the source says that it queued leaves (as
	// Notify does), so that the source need not know the batcher.
	Wake <-chan struct{}
	// OnFinal is told of batches that became final. It must be idempotent:
	// after a crash it may be told again.
	OnFinal func([]Batch) error
	// OnBehind, if set, is told when the log is found to hold batches of
	// this node's that its records do not (nextSeq): its stores are older
	// than the chain, as after a restore from a backup. records and log are
	// the last batch numbers of each. It must be quick; it is called with
	// the batcher's cut lock held.
	OnBehind  func(records, log uint64)
	MaxLeaves int           // per transaction (default 5000, at most MaxLeaves)
	Window    time.Duration // how long leaves gather before a batch (default 20ms)
	Resubmit  time.Duration // resubmit a pending batch after (default 3s)
	Log       *slog.Logger
}

// Batcher anchors the local leaf queue: it cuts batches, persists each
// before submitting it, resubmits it (same sequence number, same bytes)
// until the log has it, and reports batches once final. A batch is never
// anchored twice: the application refuses a (member, seq) it already has.
type Batcher struct {
	cfg   BatcherConfig
	cutMu sync.Mutex // one batch cut at a time (Run's and SubmitHeads')
	// behind is the batch number the log held from this node when it was
	// found to be past this node's own records (see nextSeq); 0 until then.
	// Guarded by cutMu.
	behind uint64
	member string
	kick   chan struct{}
	mu     sync.Mutex
	sent   map[uint64]sentTx // last submission of pending batches
	kept   int               // bytes of transactions kept in sent
}

// sentTx is a pending batch's last submission. Its transaction is kept,
// up to sentBytes in all, so that a resubmission sends the same bytes
// again without building and signing them anew: a transaction still in the
// mempool costs CometBFT a cache lookup, where a rebuild re-read the
// batch's leaves, heads and deposits and signed them again every Resubmit
// while a busy chain took longer than that to include it.
type sentTx struct {
	at      time.Time
	version int    // the state version raw was built for
	raw     []byte // nil if not kept
}

// sentBytes bounds the transactions a Batcher keeps for resubmission
// (about 50 batches of 5,000 uploads); beyond it they are built again.
const sentBytes = 16 << 20

var (
	bBatches = []byte("batches") // seq(8) → from(8) count(4) first(8) height(8) final(1)
	bByFrom  = []byte("byfrom")  // from(8) → seq(8)
	bBMeta   = []byte("meta")    // "next": next local index to batch; "seq": last seq
	bOpen    = []byte("open")    // seq(8) → ∅ for batches not yet final (what track looks at)
	// bHeadsB holds the heads of a batch of heads only: seq(8) → 0x01 ‖
	// heads × (key 32 ‖ first local leaf 8 ‖ events 8 ‖ value 32); records
	// written before state version 3 have no 0x01 and no first leaf.
	bHeadsB = []byte("bheads")
	bDepsB  = []byte("bdeposits") // seq(8) → a batch of deposits only (SubmitDeposits)
)

// MemberID is the ID under which the log records a node's batches: the
// hex SHA-256 of its certificate's public key info (see Tx.Member).
func MemberID(nodeCert *x509.Certificate) string {
	h := sha256.Sum256(nodeCert.RawSubjectPublicKeyInfo)
	return hex.EncodeToString(h[:])
}

// NewBatcher prepares a batcher; Run starts it.
func NewBatcher(cfg BatcherConfig) (*Batcher, error) {
	if cfg.DB == nil || cfg.Node == nil || cfg.App == nil || cfg.NodeCert == nil || cfg.OrgCA == nil || cfg.Source == nil {
		return nil, errors.New("anchor: BatcherConfig needs DB, Node, App, NodeCert, OrgCA and Source")
	}
	if cfg.MaxLeaves <= 0 || cfg.MaxLeaves > MaxLeaves {
		cfg.MaxLeaves = min(5000, MaxLeaves)
	}
	if cfg.Window == 0 {
		cfg.Window = 20 * time.Millisecond
	}
	if cfg.Resubmit == 0 {
		cfg.Resubmit = 3 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	err := cfg.DB.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bBatches, bByFrom, bBMeta, bOpen, bHeadsB, bDepsB} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Batcher{cfg: cfg, member: MemberID(cfg.NodeCert), kick: make(chan struct{}, 1), sent: map[uint64]sentTx{}}, nil
}

// Notify tells the batcher that leaves were queued, or a block committed.
func (b *Batcher) Notify() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// Run anchors until ctx is done. A step that keeps failing the same way
// is logged once a minute (with how often it failed since), not every
// window.
func (b *Batcher) Run(ctx context.Context) {
	tick := time.NewTicker(b.cfg.Window)
	defer tick.Stop()
	var same errorLog
	for {
		if err := b.step(ctx); err != nil && ctx.Err() == nil {
			if n, ok := same.due(err.Error(), time.Now()); ok {
				b.cfg.Log.Warn("anchoring", "err", err, "failures_since_last_logged", n)
			}
		}
		woken := false
		select {
		case <-ctx.Done():
			return
		case <-b.cfg.Wake:
			woken = true
		case <-b.kick:
			woken = true
		case <-tick.C:
		}
		if woken {
			// Let a few more leaves gather, unless the node is idle.
			select {
			case <-ctx.Done():
				return
			case <-time.After(b.cfg.Window):
			}
		}
	}
}

// step cuts and submits new batches, resubmits stale ones, and records
// inclusion and finality. It does nothing while the node is still
// fetching the blocks it missed (block sync, after a start): the log it
// would number new batches against (nextSeq) and look pending ones up in
// is behind the chain's until then.
func (b *Batcher) step(ctx context.Context) error {
	if b.cfg.Node.Syncing() {
		return nil
	}
	return b.cycle(ctx)
}

// cycle is step's work, once the node takes part in consensus.
func (b *Batcher) cycle(ctx context.Context) error {
	for {
		batch, leaves, err := b.cut()
		if err != nil || batch == nil {
			if err != nil {
				return err
			}
			break
		}
		b.submit(ctx, batch, leaves)
	}
	return b.track(ctx)
}

func encodeBatch(bt *Batch) []byte {
	v := binary.BigEndian.AppendUint64(nil, bt.From)
	v = binary.BigEndian.AppendUint32(v, uint32(bt.Count))
	v = binary.BigEndian.AppendUint64(v, bt.First)
	v = binary.BigEndian.AppendUint64(v, uint64(bt.Height))
	if bt.Final {
		return append(v, 1)
	}
	return append(v, 0)
}

func decodeBatch(seq uint64, v []byte) (*Batch, error) {
	if len(v) != 29 {
		return nil, fmt.Errorf("anchor: batch %d record is corrupt", seq)
	}
	return &Batch{Seq: seq, From: binary.BigEndian.Uint64(v), Count: int(binary.BigEndian.Uint32(v[8:])),
		First: binary.BigEndian.Uint64(v[12:]), Height: int64(binary.BigEndian.Uint64(v[20:])), Final: v[28] == 1}, nil
}

// cut persists the next batch of queued leaves, if any. The batch is
// durable before it is ever submitted, so a crash cannot lose or re-cut it.
func (b *Batcher) cut() (*Batch, [][]byte, error) {
	b.cutMu.Lock()
	defer b.cutMu.Unlock()
	var next, seq uint64
	if err := b.cfg.DB.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bBMeta)
		if v := m.Get([]byte("next")); len(v) == 8 {
			next = binary.BigEndian.Uint64(v)
		}
		if v := m.Get([]byte("seq")); len(v) == 8 {
			seq = binary.BigEndian.Uint64(v)
		}
		return nil
	}); err != nil {
		return nil, nil, err
	}
	leaves, err := b.cfg.Source.LeafHashes(next, b.cfg.MaxLeaves)
	if err != nil || len(leaves) == 0 {
		return nil, nil, err
	}
	if seq, err = b.nextSeq(seq); err != nil {
		return nil, nil, err
	}
	bt := &Batch{Seq: seq, From: next, Count: len(leaves)}
	err = b.cfg.DB.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bBMeta)
		if err := m.Put([]byte("next"), binary.BigEndian.AppendUint64(nil, next+uint64(len(leaves)))); err != nil {
			return err
		}
		if err := m.Put([]byte("seq"), binary.BigEndian.AppendUint64(nil, bt.Seq)); err != nil {
			return err
		}
		if err := tx.Bucket(bByFrom).Put(binary.BigEndian.AppendUint64(nil, bt.From), binary.BigEndian.AppendUint64(nil, bt.Seq)); err != nil {
			return err
		}
		if err := tx.Bucket(bOpen).Put(binary.BigEndian.AppendUint64(nil, bt.Seq), nil); err != nil {
			return err
		}
		return tx.Bucket(bBatches).Put(binary.BigEndian.AppendUint64(nil, bt.Seq), encodeBatch(bt))
	})
	if err != nil {
		return nil, nil, err
	}
	return bt, leaves, nil
}

func (b *Batcher) submit(ctx context.Context, bt *Batch, leaves [][]byte) {
	version := b.cfg.App.StateVersion()
	raw, err := b.buildTx(bt, leaves)
	if errors.Is(err, errNothingLeft) {
		b.closeEmpty(bt)
		return
	}
	if err != nil {
		b.cfg.Log.Error("building anchoring transaction", "seq", bt.Seq, "err", err)
		return
	}
	b.mu.Lock()
	b.forgetLocked(bt.Seq)
	s := sentTx{at: time.Now(), version: version}
	if b.kept+len(raw) <= sentBytes {
		s.raw = raw
		b.kept += len(raw)
	}
	b.sent[bt.Seq] = s
	b.mu.Unlock()
	b.broadcast(ctx, bt.Seq, raw)
}

// broadcast submits a batch's transaction and reports whether CheckTx
// refused it.
func (b *Batcher) broadcast(ctx context.Context, seq uint64, raw []byte) (refused bool) {
	res, err := b.cfg.Node.Broadcast(ctx, raw)
	switch {
	case errors.Is(err, mempool.ErrTxInCache):
		// Still in the mempool from an earlier submission (a halted chain).
		b.cfg.Log.Debug("batch still pending in the mempool", "seq", seq)
	case err != nil:
		b.cfg.Log.Warn("submitting batch; will resubmit", "seq", seq, "err", err)
	case res.Code == CodeDuplicate:
		// Already in the log (a resubmission after a crash): track finds it.
	case res.Code != CodeOK:
		b.cfg.Log.Warn("batch refused by CheckTx; will resubmit", "seq", seq, "code", res.Code, "log", res.Log)
		return true
	}
	return false
}

// sameBatch checks that the log's batch inc, under bt's number, is bt:
// the same number of leaves, and the same first and last leaf. Another
// batch under this node's number (its batch records older than the chain,
// which nextSeq numbers past) must not be taken for bt: bt's leaves would
// be marked anchored where the log holds others, and their receipts would
// not prove them. track then renumbers bt (renumber) and submits it again.
func (b *Batcher) sameBatch(bt *Batch, inc Included) error {
	if inc.Count != bt.Count {
		return fmt.Errorf("anchor: batch %d has %d leaves in the log, %d here: it is not this node's batch %d (are this node's batch records, anchor.db, older than the chain?)", bt.Seq, inc.Count, bt.Count, bt.Seq)
	}
	if bt.Count == 0 {
		return nil
	}
	for _, i := range []uint64{0, uint64(bt.Count) - 1} {
		local, err := b.cfg.Source.LeafHashes(bt.From+i, 1)
		if err != nil {
			return err
		}
		var logged []byte
		if err := b.cfg.App.View(func(l *Log, tx *bolt.Tx) error {
			logged, err = l.LeafHash(tx, inc.First+i)
			return err
		}); err != nil {
			return err
		}
		if len(local) != 1 || !bytes.Equal(local[0], logged) {
			return fmt.Errorf("anchor: leaf %d of batch %d in the log (index %d) is not this node's leaf %d: it is not this node's batch %d (are this node's batch records, anchor.db, older than the chain?)", i, bt.Seq, inc.First+i, bt.From+i, bt.Seq)
		}
	}
	return nil
}

// renumber moves the pending batch bt, not in the log under its number
// (sameBatch), to the number nextSeq gives now: its record, its place in
// the open set, its content if it has no leaves, and the local index that
// names it. A later batch that names bt (a head or deposit located in it)
// is built with the new number, as buildTx reads it here.
func (b *Batcher) renumber(bt *Batch) error {
	b.cutMu.Lock()
	defer b.cutMu.Unlock()
	old := bt.Seq
	err := b.cfg.DB.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bBMeta)
		var seq uint64
		if v := m.Get([]byte("seq")); len(v) == 8 {
			seq = binary.BigEndian.Uint64(v)
		}
		next, err := b.nextSeq(max(seq, old))
		if err != nil {
			return err
		}
		oldKey, newKey := binary.BigEndian.AppendUint64(nil, old), binary.BigEndian.AppendUint64(nil, next)
		for _, name := range [][]byte{bHeadsB, bDepsB} {
			if v := tx.Bucket(name).Get(oldKey); v != nil {
				if err := tx.Bucket(name).Put(newKey, bytes.Clone(v)); err != nil {
					return err
				}
				if err := tx.Bucket(name).Delete(oldKey); err != nil {
					return err
				}
			}
		}
		if bt.Count > 0 {
			if err := tx.Bucket(bByFrom).Put(binary.BigEndian.AppendUint64(nil, bt.From), newKey); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bOpen).Delete(oldKey); err != nil {
			return err
		}
		if err := tx.Bucket(bOpen).Put(newKey, nil); err != nil {
			return err
		}
		if err := tx.Bucket(bBatches).Delete(oldKey); err != nil {
			return err
		}
		bt.Seq = next
		if err := tx.Bucket(bBatches).Put(newKey, encodeBatch(bt)); err != nil {
			return err
		}
		return m.Put([]byte("seq"), newKey)
	})
	if err != nil {
		bt.Seq = old
		return err
	}
	b.mu.Lock()
	b.forgetLocked(old)
	b.mu.Unlock()
	return nil
}

// ErrSyncing is SubmitHeads' and SubmitDeposits' answer while the node is
// still fetching the blocks it missed (block sync): a batch numbered now
// could take a number the log already holds (nextSeq). Try again later.
var ErrSyncing = errors.New("anchor: this node is still catching up with the chain (block sync); try again once it has")

// nextSeq is the number of the batch to cut after this node's last, seq:
// seq+1, unless the log already holds a batch of this node's with a
// higher number. That happens when the node's batch records (anchor.db)
// are older than the chain, as after a restore from a backup: the lost
// copy went on cutting batches after the backup, and the log has them. A
// new batch under one of their numbers would be refused as a duplicate
// and then taken for the one in the log. Numbering goes on after the
// log's last instead; the evidence those batches anchored is not on this
// node (it was filed after the backup). Callers hold cutMu.
func (b *Batcher) nextSeq(seq uint64) (uint64, error) {
	last, err := b.cfg.App.LastApplied(b.member)
	if err != nil {
		return 0, err
	}
	if last <= seq {
		return seq + 1, nil
	}
	if b.behind != last {
		b.behind = last
		if b.cfg.OnBehind != nil {
			b.cfg.OnBehind(seq, last)
		}
		b.cfg.Log.Warn("the log holds batches of this node's that its batch records (anchor.db) do not: they are older than the chain, as after a restore from a backup; new batches are numbered after the log's last, and the evidence those batches anchored, filed after the backup, is not on this node",
			"records_last_batch", seq, "log_last_batch", last)
	}
	return last + 1, nil
}

// errorLog decides when a repeated failure is logged again: at once when
// it differs from the last logged, else a minute after that one.
type errorLog struct {
	last   string
	at     time.Time
	missed int
}

// due reports whether msg, failing at now, is to be logged, and how many
// failures (this one included) that log line stands for.
func (l *errorLog) due(msg string, now time.Time) (int, bool) {
	l.missed++
	if msg == l.last && now.Sub(l.at) < time.Minute {
		return 0, false
	}
	n := l.missed
	l.last, l.at, l.missed = msg, now, 0
	return n, true
}

// forgetLocked drops a batch's last submission. Callers hold mu.
func (b *Batcher) forgetLocked(seq uint64) {
	b.kept -= len(b.sent[seq].raw)
	delete(b.sent, seq)
}

// buildTx encodes a batch in the format of the chain's state version: a
// version-1 transaction of leaves, or a version-2 one with the custody
// heads that the leaves move (or, for a batch of heads only, its stored
// heads). The format is chosen at each submission, so a batch cut before
// an upgrade and resubmitted after it goes in the new format.
func (b *Batcher) buildTx(bt *Batch, leaves [][]byte) ([]byte, error) {
	c := &b.cfg
	version := c.App.StateVersion()
	if version < StateV2 {
		if bt.Count == 0 {
			return nil, errors.New("a batch of heads only needs state version 2")
		}
		return NewTx(c.ChainID, c.NodeCert, c.OrgCA, c.Node.Key(), bt.Seq, leaves)
	}
	var heads []HeadUpdate
	var deposits []Deposit
	var err error
	if bt.Count == 0 {
		if deposits, err = b.storedDeposits(bt.Seq); err == nil && deposits == nil {
			heads, err = b.storedHeads(bt.Seq, version)
		}
	} else {
		// At version 3 a chain of one event has no head: do not even
		// compute those (every upload starts one).
		minEvents := uint64(1)
		if version >= StateV3 {
			minEvents = 2
		}
		heads, err = c.Source.Heads(bt.From, bt.Count, minEvents)
	}
	if err != nil {
		return nil, err
	}
	if version == StateV2 {
		return NewBatchTx(c.ChainID, c.NodeCert, c.OrgCA, c.Node.Key(), bt.Seq, leaves, heads)
	}
	if heads, err = b.locateFirsts(heads); err != nil {
		return nil, err
	}
	if version == StateV3 {
		if len(leaves) == 0 && len(heads) == 0 {
			return nil, errNothingLeft
		}
		return NewBatchTx3(c.ChainID, c.NodeCert, c.OrgCA, c.Node.Key(), bt.Seq, leaves, heads)
	}
	if bt.Count > 0 {
		if deposits, err = c.Source.Deposits(bt.From, bt.Count); err != nil {
			return nil, err
		}
		for i := range deposits {
			d := &deposits[i]
			if d.FirstLocal < bt.From || d.FirstLocal >= bt.From+uint64(bt.Count) {
				return nil, fmt.Errorf("anchor: the leaf source gave a deposit at local leaf %d for the leaves [%d, %d)", d.FirstLocal, bt.From, bt.From+uint64(bt.Count))
			}
			d.Batch, d.Offset = bt.Seq, uint32(d.FirstLocal-bt.From)
		}
	} else if deposits, err = b.locateDeposits(deposits); err != nil {
		return nil, err
	}
	if len(leaves) == 0 && len(heads) == 0 && len(deposits) == 0 {
		return nil, errNothingLeft
	}
	if version >= StateV7 {
		return NewBatchTx7(c.ChainID, c.NodeCert, c.OrgCA, c.Node.Key(), bt.Seq, leaves, heads, deposits)
	}
	return NewBatchTx4(c.ChainID, c.NodeCert, c.OrgCA, c.Node.Key(), bt.Seq, leaves, heads, deposits)
}

// errNothingLeft means a batch of heads only has no head left to register
// at state version 3 (see locateFirsts); it is closed without submitting.
var errNothingLeft = errors.New("anchor: no head left to register in this batch")

// locateFirsts turns each head's FirstLocal into the batch and offset of
// the chain's first event, as version-3 batches name it, and drops the
// heads version 3 does not register: those of chains of one event anchored
// after version 3 began (a receipt proves them by the head's absence). A
// head whose first event's batch is not in the log yet is kept: it is in
// the log by the time this batch lands, or the chain refuses this batch as
// stale and it is resubmitted.
func (b *Batcher) locateFirsts(heads []HeadUpdate) ([]HeadUpdate, error) {
	since := b.cfg.App.Since()
	out := heads[:0:0]
	err := b.cfg.DB.View(func(tx *bolt.Tx) error {
		for _, h := range heads {
			if h.Events == 0 {
				continue
			}
			seq, offset, ok, err := batchOf(tx, h.FirstLocal)
			if err != nil {
				return err
			}
			if !ok {
				continue // not batched yet: the batch that takes it carries the head
			}
			h.Batch, h.Offset = seq, offset
			if h.Events == 1 {
				inc, ok, err := b.cfg.App.Applied(b.member, seq)
				if err != nil {
					return err
				}
				if !ok || inc.First+uint64(h.Offset) >= since {
					continue // a chain of one event, anchored under version 3
				}
			}
			out = append(out, h)
		}
		return nil
	})
	return out, err
}

// SubmitHeads registers custody heads with no leaves (the heads of chains
// that existed before the state had heads): it persists them as a batch of
// their own, as cut does, and submits it; track follows it like any other.
// It needs state version 2.
func (b *Batcher) SubmitHeads(ctx context.Context, heads []HeadUpdate) error {
	if len(heads) == 0 {
		return nil
	}
	if len(heads) > MaxHeads {
		return fmt.Errorf("anchor: %d heads in one batch, at most %d", len(heads), MaxHeads)
	}
	if b.cfg.App.StateVersion() < StateV2 {
		return errors.New("anchor: the chain state has no custody heads before version 2")
	}
	if b.cfg.Node.Syncing() {
		return ErrSyncing
	}
	enc := make([]byte, 1, 1+len(heads)*storedHeadSize)
	enc[0] = 1
	for _, h := range heads {
		enc = append(enc, h.Key[:]...)
		enc = binary.BigEndian.AppendUint64(enc, h.FirstLocal)
		enc = binary.BigEndian.AppendUint64(enc, h.Events)
		enc = append(enc, h.Value[:]...)
	}
	bt, err := b.newEmptyBatch(bHeadsB, enc)
	if err != nil {
		return err
	}
	b.submit(ctx, bt, nil)
	return nil
}

// storedHeadSize is the size of one head in a bHeadsB record.
const storedHeadSize = 32 + 8 + 8 + 32

// storedHeads reads the heads of a batch of heads only. A record written
// before state version 3 does not locate its chains' first events, so at
// version 3 it yields none (the registration at version 3 covers them).
func (b *Batcher) storedHeads(seq uint64, version int) ([]HeadUpdate, error) {
	var heads []HeadUpdate
	err := b.cfg.DB.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bHeadsB).Get(binary.BigEndian.AppendUint64(nil, seq))
		size, firstLocal := storedHeadSize, true
		switch {
		case len(v) > 0 && len(v)%headSize == 0:
			size, firstLocal = headSize, false // before version 3
			if version >= StateV3 {
				return nil
			}
		case len(v) > 1 && v[0] == 1 && (len(v)-1)%storedHeadSize == 0:
			v = v[1:]
		default:
			return fmt.Errorf("anchor: batch %d has no stored heads", seq)
		}
		for ; len(v) > 0; v = v[size:] {
			var h HeadUpdate
			copy(h.Key[:], v[:32])
			rest := v[32:]
			if firstLocal {
				h.FirstLocal, rest = binary.BigEndian.Uint64(rest), rest[8:]
			}
			h.Events = binary.BigEndian.Uint64(rest)
			copy(h.Value[:], rest[8:40])
			heads = append(heads, h)
		}
		return nil
	})
	return heads, err
}

// track records inclusion of pending batches, resubmits stale ones, and
// reports batches that became final.
func (b *Batcher) track(ctx context.Context) error {
	height := b.cfg.Node.Height()
	var open []*Batch
	if err := b.cfg.DB.View(func(tx *bolt.Tx) error {
		batches := tx.Bucket(bBatches)
		return tx.Bucket(bOpen).ForEach(func(k, _ []byte) error {
			bt, err := decodeBatch(binary.BigEndian.Uint64(k), batches.Get(k))
			if err != nil {
				return err
			}
			if !bt.Final {
				open = append(open, bt)
			}
			return nil
		})
	}); err != nil {
		return err
	}
	var changed, final []*Batch
	for _, bt := range open {
		if bt.Height == 0 {
			inc, ok, err := b.cfg.App.Applied(b.member, bt.Seq)
			if err != nil {
				return err
			}
			if !ok {
				b.resubmitIfStale(ctx, bt)
				continue
			}
			if err := b.sameBatch(bt, inc); err != nil {
				// Another batch of this node's holds the number in the log:
				// the lost copy's, its records older than the chain. bt is
				// pending, so it moves to a number after the log's and is
				// submitted again.
				old := bt.Seq
				if rerr := b.renumber(bt); rerr != nil {
					return errors.Join(err, rerr)
				}
				b.cfg.Log.Warn("a pending batch's number is another batch's in the log (this node's batch records are older than the chain, as after a restore from a backup); renumbered and submitted again",
					"seq", old, "new_seq", bt.Seq, "reason", err)
				b.resubmitIfStale(ctx, bt)
				continue
			}
			bt.First, bt.Height = inc.First, inc.Height
			changed = append(changed, bt)
		}
		// The AppHash of block H is in header H+1: final once H+1 is committed.
		if bt.Height > 0 && height > bt.Height {
			final = append(final, bt)
		}
	}
	if len(final) > 0 && b.cfg.OnFinal != nil {
		out := make([]Batch, len(final))
		for i, bt := range final {
			out[i] = *bt
			out[i].Final = true
		}
		if err := b.cfg.OnFinal(out); err != nil {
			return fmt.Errorf("anchor: reporting final batches: %w", err)
		}
	}
	for _, bt := range final {
		bt.Final = true
	}
	changed = append(changed, final...)
	if len(changed) == 0 {
		return nil
	}
	return b.cfg.DB.Update(func(tx *bolt.Tx) error {
		for _, bt := range changed {
			key := binary.BigEndian.AppendUint64(nil, bt.Seq)
			if err := tx.Bucket(bBatches).Put(key, encodeBatch(bt)); err != nil {
				return err
			}
			if bt.Final {
				if err := tx.Bucket(bOpen).Delete(key); err != nil {
					return err
				}
			}
			b.mu.Lock()
			b.forgetLocked(bt.Seq)
			b.mu.Unlock()
		}
		return nil
	})
}

func (b *Batcher) resubmitIfStale(ctx context.Context, bt *Batch) {
	version := b.cfg.App.StateVersion()
	b.mu.Lock()
	last, ok := b.sent[bt.Seq]
	if ok && time.Since(last.at) < b.cfg.Resubmit {
		b.mu.Unlock()
		return
	}
	// The same bytes again, unless the state version changed since: only if
	// CheckTx refuses them (its heads or deposits went stale) is the batch
	// built anew.
	same := ok && last.raw != nil && last.version == version
	if same {
		last.at = time.Now()
		b.sent[bt.Seq] = last
	}
	b.mu.Unlock()
	if same && !b.broadcast(ctx, bt.Seq, last.raw) {
		return
	}
	if bt.Count == 0 {
		b.submit(ctx, bt, nil)
		return
	}
	leaves, err := b.cfg.Source.LeafHashes(bt.From, bt.Count)
	if err != nil || len(leaves) != bt.Count {
		b.cfg.Log.Error("re-reading a batch's leaves", "seq", bt.Seq, "err", err, "got", len(leaves), "want", bt.Count)
		return
	}
	b.submit(ctx, bt, leaves)
}

// Locate finds where a local leaf is in the log. ok is false while its
// batch is not yet included.
func (b *Batcher) Locate(local uint64) (global uint64, bt Batch, ok bool, err error) {
	err = b.cfg.DB.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bByFrom).Cursor()
		k, v := c.Seek(binary.BigEndian.AppendUint64(nil, local))
		if k == nil || binary.BigEndian.Uint64(k) > local {
			k, v = c.Prev()
		}
		if k == nil {
			return nil
		}
		seq := binary.BigEndian.Uint64(v)
		rec, err := decodeBatch(seq, tx.Bucket(bBatches).Get(v))
		if err != nil {
			return err
		}
		if local >= rec.From+uint64(rec.Count) || rec.Height == 0 {
			return nil
		}
		bt, ok = *rec, true
		global = rec.First + (local - rec.From)
		return nil
	})
	return global, bt, ok, err
}

// closeEmpty closes a batch of heads only that has nothing left to submit
// (errNothingLeft): it is no longer open, and nothing waits for it.
func (b *Batcher) closeEmpty(bt *Batch) {
	key := binary.BigEndian.AppendUint64(nil, bt.Seq)
	bt.Final = true
	err := b.cfg.DB.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bOpen).Delete(key); err != nil {
			return err
		}
		return tx.Bucket(bBatches).Put(key, encodeBatch(bt))
	})
	if err != nil {
		b.cfg.Log.Error("closing an empty batch of heads", "seq", bt.Seq, "err", err)
		return
	}
	b.mu.Lock()
	b.forgetLocked(bt.Seq)
	b.mu.Unlock()
}

// batchOf is the batch that took the local leaf, and the leaf's offset in
// it; ok is false while no batch has taken it.
func batchOf(tx *bolt.Tx, local uint64) (seq uint64, offset uint32, ok bool, err error) {
	c := tx.Bucket(bByFrom).Cursor()
	k, v := c.Seek(binary.BigEndian.AppendUint64(nil, local))
	if k == nil || binary.BigEndian.Uint64(k) > local {
		k, v = c.Prev()
	}
	if k == nil || len(v) != 8 {
		return 0, 0, false, nil
	}
	from, seq := binary.BigEndian.Uint64(k), binary.BigEndian.Uint64(v)
	bt, err := decodeBatch(seq, tx.Bucket(bBatches).Get(v))
	if err != nil || local >= from+uint64(bt.Count) {
		return 0, 0, false, err
	}
	return seq, uint32(local - from), true, nil
}

// locateDeposits turns each deposit's FirstLocal into the batch and offset
// of its created event. A deposit whose event no batch has taken yet is
// dropped: the batch that takes it carries it.
func (b *Batcher) locateDeposits(deposits []Deposit) ([]Deposit, error) {
	out := deposits[:0:0]
	err := b.cfg.DB.View(func(tx *bolt.Tx) error {
		for _, d := range deposits {
			seq, offset, ok, err := batchOf(tx, d.FirstLocal)
			if err != nil {
				return err
			}
			if ok {
				d.Batch, d.Offset = seq, offset
				out = append(out, d)
			}
		}
		return nil
	})
	return out, err
}

// storedDepositSize is the size of one deposit in a bDepsB record:
// firstLocal (8) ‖ flags (1) ‖ sha256 (32) ‖ sm3 (32, zero without one).
const storedDepositSize = 8 + 1 + 32 + 32

// SubmitDeposits registers deposits with no leaves (those of items
// anchored before the state had the digest index): it persists them as a
// batch of their own, as SubmitHeads does, and submits it. The chain counts
// a created event once, so a deposit that its own batch also carried
// changes nothing. It needs state version 4.
func (b *Batcher) SubmitDeposits(ctx context.Context, deposits []Deposit) error {
	if len(deposits) == 0 {
		return nil
	}
	if len(deposits) > MaxLeaves {
		return fmt.Errorf("anchor: %d deposits in one batch, at most %d", len(deposits), MaxLeaves)
	}
	if b.cfg.App.StateVersion() < StateV4 {
		return errors.New("anchor: the chain state has no digest index before version 4")
	}
	if b.cfg.Node.Syncing() {
		return ErrSyncing
	}
	enc := make([]byte, 1, 1+len(deposits)*storedDepositSize)
	enc[0] = 1
	for _, d := range deposits {
		enc = binary.BigEndian.AppendUint64(enc, d.FirstLocal)
		if d.HasSM3 {
			enc = append(enc, 1)
		} else {
			enc = append(enc, 0)
		}
		enc = append(append(enc, d.SHA256[:]...), d.SM3[:]...)
	}
	bt, err := b.newEmptyBatch(bDepsB, enc)
	if err != nil {
		return err
	}
	b.submit(ctx, bt, nil)
	return nil
}

// storedDeposits reads the deposits of a batch of deposits only; nil if
// the batch is not one.
func (b *Batcher) storedDeposits(seq uint64) ([]Deposit, error) {
	var out []Deposit
	err := b.cfg.DB.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bDepsB).Get(binary.BigEndian.AppendUint64(nil, seq))
		if v == nil {
			return nil
		}
		if len(v) < 1 || v[0] != 1 || (len(v)-1)%storedDepositSize != 0 {
			return fmt.Errorf("anchor: batch %d has a malformed deposits record", seq)
		}
		out = make([]Deposit, 0, (len(v)-1)/storedDepositSize)
		for v = v[1:]; len(v) > 0; v = v[storedDepositSize:] {
			d := Deposit{FirstLocal: binary.BigEndian.Uint64(v), HasSM3: v[8] == 1}
			copy(d.SHA256[:], v[9:41])
			copy(d.SM3[:], v[41:73])
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// newEmptyBatch persists a batch of no leaves whose content, enc, goes in
// bucket (heads or deposits only), as cut persists a batch of leaves.
func (b *Batcher) newEmptyBatch(bucket, enc []byte) (*Batch, error) {
	b.cutMu.Lock()
	defer b.cutMu.Unlock()
	bt := &Batch{}
	err := b.cfg.DB.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bBMeta)
		if v := m.Get([]byte("seq")); len(v) == 8 {
			bt.Seq = binary.BigEndian.Uint64(v)
		}
		if v := m.Get([]byte("next")); len(v) == 8 {
			bt.From = binary.BigEndian.Uint64(v)
		}
		var err error
		if bt.Seq, err = b.nextSeq(bt.Seq); err != nil {
			return err
		}
		key := binary.BigEndian.AppendUint64(nil, bt.Seq)
		if err := m.Put([]byte("seq"), key); err != nil {
			return err
		}
		if err := tx.Bucket(bucket).Put(key, enc); err != nil {
			return err
		}
		if err := tx.Bucket(bOpen).Put(key, nil); err != nil {
			return err
		}
		return tx.Bucket(bBatches).Put(key, encodeBatch(bt))
	})
	if err != nil {
		return nil, err
	}
	return bt, nil
}
