package records

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/ers"
	"github.com/custos-project/custos/evidence"
)

// Custody event types of a renewal, on each renewed item's chain
// (docs/custody-events.md): subject "batch:<n>:timestamp:<i>" (its
// chain, of batch n, got its i-th ArchiveTimeStamp) or
// "batch:<n>:hash:<hash>" (a hash-tree renewal started a chain of batch
// n, of that hash).
const (
	EventTimeStampRenewed = "ers.timestamp_renewed"
	EventHashTreeRenewed  = "ers.hashtree_renewed"
)

// renewChunkItems bounds the items one time-stamp renewal token covers,
// and so the custody events one transaction writes; a chunk takes at
// least one batch whatever its size. A variable for tests.
var renewChunkItems = 100_000

// renewChunkBatches bounds the chains one time-stamp renewal covers.
const renewChunkBatches = 10_000

// renewCommitHook, set by tests, runs at the end of each renewal
// transaction; its error rolls the transaction back, as a crash before
// the commit would.
var renewCommitHook func() error

func beforeRenewalCommit() error {
	if renewCommitHook != nil {
		return renewCommitHook()
	}
	return nil
}

// RenewOptions are the options of one renewal run.
type RenewOptions struct {
	// DryRun reports what would be renewed, asking no TSA and writing
	// nothing.
	DryRun bool
	// Actor is the actor of the custody events: the administrator's key,
	// or the node's scheduler.
	Actor string
}

// RenewalRun is what one renewal run did, or would do (DryRun).
type RenewalRun struct {
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	DryRun   bool      `json:"dry_run"`
	// TimeStamp counts the chains (batches) whose time-stamps were
	// renewed, their items and the tokens it cost; HashTree the items
	// given a new chain and the tokens.
	TimeStamp RenewedCount `json:"timestamp"`
	HashTree  RenewedCount `json:"hashtree"`
	// Blocked counts what was due and not renewed: an error, or a TSA
	// whose certificate does not outlive the one it would replace.
	Blocked Count    `json:"blocked"`
	Errors  []string `json:"errors,omitempty"`
	// Documents counts the same for the records of documents
	// (certificate PDFs): items are documents. Their errors are in
	// Errors.
	Documents DocumentRun `json:"documents"`
}

// DocumentRun is what a renewal run did to the documents' records: a
// hash-tree renewal gives each document of a due batch a new chain, from
// its bytes (Config.DocumentBytes); Blocked counts what was due and not
// renewed.
type DocumentRun struct {
	TimeStamp RenewedCount `json:"timestamp"`
	HashTree  RenewedCount `json:"hashtree"`
	Blocked   Count        `json:"blocked"`
}

// RenewedCount counts renewals: batches, items and TSA tokens.
type RenewedCount struct {
	Batches int `json:"batches"`
	Items   int `json:"items"`
	Tokens  int `json:"tokens"`
}

var keyLast = []byte("last")

// Renew renews what is due (RenewalConfig): the hash trees of items whose
// chain's hash is retired (RFC 4998 §5.3, one new chain per item, from
// its stored bytes, one token per Config.Batch items), then the
// time-stamps of chains whose last token's certificate expires within
// Before or whose algorithm is retired (§5.2, one ArchiveTimeStamp per
// batch, one token for up to renewChunkItems items). Each token is
// committed with what it renews and the custody events of the renewed
// items in one transaction, so that a crash loses at most a token that
// was never used, and the next run finds the rest still due; nothing is
// renewed twice. Runs are serialized. The error is for a run that could
// not start; what failed on the way is in the run's Errors.
func (k *Keeper) Renew(ctx context.Context, opts RenewOptions) (*RenewalRun, error) {
	k.renewMu.Lock()
	defer k.renewMu.Unlock()
	run := &RenewalRun{Started: k.ev.Now().UTC(), DryRun: opts.DryRun}
	if opts.Actor == "" {
		opts.Actor = "node:renewal"
	}
	p, err := k.plan(run.Started)
	if err != nil {
		return nil, err
	}
	var hashDue, tsDue []*planBatch
	for _, b := range p.batches {
		switch {
		case b.err != nil:
			run.Blocked.add(b)
			run.Errors = append(run.Errors, fmt.Sprintf("batch %d: %v", b.num, b.err))
		case b.reason == reasonHash:
			hashDue = append(hashDue, b)
		case b.reason != "":
			tsDue = append(tsDue, b)
		}
	}
	var docHashDue, docDue []*planBatch
	for _, b := range p.docs {
		switch {
		case b.err != nil:
			run.Documents.Blocked.add(b)
			run.Errors = append(run.Errors, fmt.Sprintf("%s: %v", b.what(), b.err))
		case b.reason == reasonHash:
			docHashDue = append(docHashDue, b)
		case b.reason != "":
			docDue = append(docDue, b)
		}
	}
	if opts.DryRun {
		k.dryRun(run, hashDue, tsDue)
		k.dryRunHashTrees(&run.Documents.HashTree, docHashDue)
		for _, chunk := range timeStampChunks(docDue) {
			run.Documents.TimeStamp.Tokens++ // one hash: SHA-256
			for _, b := range chunk {
				run.Documents.TimeStamp.Batches++
				run.Documents.TimeStamp.Items += b.size()
			}
		}
	} else {
		k.renewHashTrees(ctx, run, hashDue, opts.Actor)
		k.renewDocHashTrees(ctx, run, docHashDue)
		k.renewTimeStamps(ctx, run, tsDue, opts.Actor)
		k.renewTimeStamps(ctx, run, docDue, opts.Actor)
	}
	run.Finished = k.ev.Now().UTC()
	if !opts.DryRun {
		b, _ := json.Marshal(run) // a RenewalRun always encodes
		if err := k.ev.UpdateAlone(func(tx *bolt.Tx) error { return tx.Bucket(bERSRun).Put(keyLast, b) }); err != nil {
			return run, err
		}
	}
	return run, nil
}

// dryRun counts what a run would renew, and the tokens it would ask.
func (k *Keeper) dryRun(run *RenewalRun, hashDue, tsDue []*planBatch) {
	k.dryRunHashTrees(&run.HashTree, hashDue)
	for _, chunk := range timeStampChunks(tsDue) {
		hashes := map[crypto.Hash]bool{}
		for _, b := range chunk {
			run.TimeStamp.Batches++
			run.TimeStamp.Items += len(b.members)
			hashes[b.hash] = true
		}
		run.TimeStamp.Tokens += len(hashes)
	}
}

// dryRunHashTrees counts the hash-tree renewals of the due batches (of
// items or of documents) in c, and the tokens they would ask.
func (k *Keeper) dryRunHashTrees(c *RenewedCount, due []*planBatch) {
	for _, b := range due {
		c.Batches++
		c.Items += b.size()
	}
	if n := c.Items; n > 0 {
		c.Tokens = (n + k.cfg.Batch - 1) / k.cfg.Batch
	}
}

// timeStampChunks splits due chains into the groups one renewal covers.
func timeStampChunks(due []*planBatch) [][]*planBatch {
	var out [][]*planBatch
	var cur []*planBatch
	items := 0
	for _, b := range due {
		if len(cur) > 0 && (items+b.size() > renewChunkItems || len(cur) == renewChunkBatches) {
			out, cur, items = append(out, cur), nil, 0
		}
		cur, items = append(cur, b), items+b.size()
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func (run *RenewalRun) fail(blocked []*planBatch, err error) {
	for _, b := range blocked {
		run.counts(b).Blocked.add(b)
	}
	run.Errors = append(run.Errors, err.Error())
}

// runCounts are the counts of items or of documents in a RenewalRun.
type runCounts struct {
	TimeStamp *RenewedCount
	Blocked   *Count
}

// counts are the counts of run b goes in: its items' or its documents'.
func (run *RenewalRun) counts(b *planBatch) runCounts {
	if b.docs != nil {
		return runCounts{&run.Documents.TimeStamp, &run.Documents.Blocked}
	}
	return runCounts{&run.TimeStamp, &run.Blocked}
}

// renewTimeStamps renews the due chains, chunk by chunk: chains of items
// or chains of documents, not both in one call.
func (k *Keeper) renewTimeStamps(ctx context.Context, run *RenewalRun, due []*planBatch, actor string) {
	for _, chunk := range timeStampChunks(due) {
		if ctx.Err() != nil {
			run.fail(chunk, ctx.Err())
			continue
		}
		k.renewChunk(ctx, run, chunk, actor)
	}
}

// renewChunk renews one chunk of chains with one token per hash.
func (k *Keeper) renewChunk(ctx context.Context, run *RenewalRun, chunk []*planBatch, actor string) {
	reps := make([]*ers.Record, len(chunk))
	for i, b := range chunk {
		reps[i] = &ers.Record{DigestAlgorithms: []crypto.Hash{b.hash}, Chains: []ers.Chain{b.chain}}
	}
	sctx, cancel := context.WithTimeout(ctx, ersStampTimeout)
	renewed, err := ers.RenewTimeStamps(sctx, reps, k.ersStamper)
	cancel()
	if err != nil {
		run.fail(chunk, fmt.Errorf("time-stamp renewal of %d batches from %s: %w", len(chunk), chunk[0].what(), err))
		return
	}
	tokens := map[string]bool{}
	var keep []*planBatch
	var ats []ers.ArchiveTimeStamp
	for i, b := range chunk {
		last := renewed[i].Chains[0]
		a := last[len(last)-1]
		tokens[string(a.TimeStamp)] = true
		if err := k.usable(a.TimeStamp, b); err != nil {
			run.fail([]*planBatch{b}, fmt.Errorf("%s: %w", b.what(), err))
			continue
		}
		keep, ats = append(keep, b), append(ats, a)
	}
	if len(keep) == 0 {
		return
	}
	err = k.ev.UpdateAlone(func(tx *bolt.Tx) error {
		for i, b := range keep {
			renewals := sequential(tx.Bucket(bERSRenew))
			if b.docs != nil {
				renewals = sequential(tx.Bucket(bDocERSRenew))
			}
			key := batchKey(b.num, uint32(len(b.chain)))
			if renewals.Get(key) != nil {
				return fmt.Errorf("evidence: %s already has time-stamp %d", b.what(), len(b.chain)) // runs are serialized
			}
			if err := renewals.Put(key, ers.EncodeArchiveTimeStamp(ats[i])); err != nil {
				return err
			}
			if b.docs != nil {
				continue // a document has no custody chain
			}
			subject := fmt.Sprintf("batch:%d:timestamp:%d", b.num, len(b.chain))
			if err := k.renewalEvents(tx, b.members, actor, EventTimeStampRenewed, subject); err != nil {
				return err
			}
		}
		return beforeRenewalCommit()
	})
	if err != nil {
		run.fail(keep, err)
		return
	}
	counts := run.counts(keep[0])
	counts.TimeStamp.Tokens += len(tokens)
	for _, b := range keep {
		counts.TimeStamp.Batches++
		counts.TimeStamp.Items += b.size()
	}
	k.ev.Log().Info("evidence records: time-stamps renewed", "batches", len(keep), "first", keep[0].what(), "tokens", len(tokens))
}

// usable checks that a renewing token helps b: not of a retired
// algorithm, and, for a renewal before expiry, signed by a certificate
// that outlives the one of the chain's last token (else the run would
// renew again and again with a TSA that expires too: rotate its
// certificate first).
func (k *Keeper) usable(token []byte, b *planBatch) error {
	f, err := k.checkNewToken(token)
	if err != nil {
		return err
	}
	if notAfter := f.notAfter; b.reason == reasonExpiry && !notAfter.After(b.facts.notAfter) {
		return fmt.Errorf("%w: the TSA's certificate expires %s, not after the one it would renew (%s): rotate the TSA certificate",
			ErrRenewalBlocked, notAfter.UTC().Format(time.RFC3339), b.facts.notAfter.UTC().Format(time.RFC3339))
	}
	return nil
}

// checkNewToken reads a renewal's token and checks that it is of no
// retired algorithm.
func (k *Keeper) checkNewToken(token []byte) (*tokenFacts, error) {
	f, err := readToken(token)
	if err != nil {
		return nil, err
	}
	if r := k.cfg.Renewal.retiredToken(f); r != "" {
		return nil, fmt.Errorf("%w: the TSA's token is of a retired algorithm (%s)", ErrRenewalBlocked, r)
	}
	return f, nil
}

// renewalEvents appends one custody event to each item of seqs.
func (k *Keeper) renewalEvents(tx *bolt.Tx, seqs []uint64, actor, typ, subject string) error {
	at := custody.FormatTime(k.ev.Now())
	for _, seq := range seqs {
		r, err := evidence.RecordAt(tx, seq)
		if err != nil {
			return err
		}
		e := &custody.Event{V: custody.EventVersion, Evidence: r.ID, Type: typ, Time: at, Actor: actor, Subject: subject}
		if err := evidence.AppendEvent(tx, seq, e); err != nil {
			return err
		}
	}
	return nil
}

// renewHashTrees gives each item of the due batches a new chain of
// Renewal.Hash, Config.Batch items per token.
func (k *Keeper) renewHashTrees(ctx context.Context, run *RenewalRun, due []*planBatch, actor string) {
	var seqs []uint64
	for _, b := range due {
		seqs = append(seqs, b.members...)
	}
	for len(seqs) > 0 {
		n := min(len(seqs), k.cfg.Batch)
		chunk := seqs[:n]
		seqs = seqs[n:]
		if err := k.renewHashTreeChunk(ctx, run, chunk, actor); err != nil {
			run.Blocked.Items += len(chunk)
			run.Errors = append(run.Errors, fmt.Sprintf("hash-tree renewal of %d items from record %d: %v", len(chunk), chunk[0], err))
		}
	}
}

// hashItem is one item of a hash-tree renewal.
type hashItem struct {
	seq    uint64
	rec    *evidence.Record
	ers    *ers.Record
	hashed []byte // Renewal.Hash of its stored bytes
}

func (k *Keeper) renewHashTreeChunk(ctx context.Context, run *RenewalRun, seqs []uint64, actor string) error {
	h := k.cfg.Renewal.Hash
	items, err := k.hashItems(ctx, run, seqs, h)
	if err != nil || len(items) == 0 {
		return err
	}
	recs, sums := make([]*ers.Record, len(items)), make([][]byte, len(items))
	for i, it := range items {
		recs[i], sums[i] = it.ers, it.hashed
	}
	renewed, token, err := k.stampHashTrees(ctx, h, recs, sums)
	if err != nil {
		return err
	}
	var num uint64
	err = k.ev.UpdateAlone(func(tx *bolt.Tx) error {
		var err error
		if num, err = putBatch(tx, token); err != nil {
			return err
		}
		if err := tx.Bucket(bERSBatchHash).Put(u64(num), []byte(h.String())); err != nil {
			return err
		}
		chains := tx.Bucket(bERSItemX)
		for i, it := range items {
			n := uint32(len(it.ers.Chains))
			if chains.Get(batchKey(it.seq, n)) != nil {
				return fmt.Errorf("evidence: record %d already has chain %d", it.seq, n) // runs are serialized
			}
			v := u64(num)
			if tree := renewed[i].Chains[n][0].Tree; tree != nil {
				v = append(v, ers.EncodeTree(tree)...)
			}
			if err := chains.Put(batchKey(it.seq, n), v); err != nil {
				return err
			}
		}
		seqs := make([]uint64, len(items))
		for i, it := range items {
			seqs[i] = it.seq
		}
		if err := k.renewalEvents(tx, seqs, actor, EventHashTreeRenewed, fmt.Sprintf("batch:%d:hash:%s", num, h)); err != nil {
			return err
		}
		return beforeRenewalCommit()
	})
	if err != nil {
		return err
	}
	run.HashTree.Batches++
	run.HashTree.Items += len(items)
	run.HashTree.Tokens++
	k.ev.Log().Info("evidence records: hash trees renewed", "batch", num, "items", len(items), "hash", h.String())
	return nil
}

// stampHashTrees starts the new chains of a hash-tree renewal: one
// ers.RenewHashTree of recs over sums (the new hash h of their data), with
// one token of the built-in TSA, which must be of no retired algorithm.
// It returns the renewed records and that token.
func (k *Keeper) stampHashTrees(ctx context.Context, h crypto.Hash, recs []*ers.Record, sums [][]byte) ([]*ers.Record, []byte, error) {
	sctx, cancel := context.WithTimeout(ctx, ersStampTimeout)
	renewed, err := ers.RenewHashTree(sctx, h, recs, sums, k.ersStamper)
	cancel()
	if err != nil {
		return nil, nil, err
	}
	token := renewed[0].Chains[len(renewed[0].Chains)-1][0].TimeStamp
	if _, err := k.checkNewToken(token); err != nil {
		return nil, nil, err
	}
	return renewed, token, nil
}

// hashItems reads the records of seqs and hashes their stored bytes; an
// item whose bytes cannot be read, or do not match its SHA-256, is left
// out with an error in run (its record stays due).
func (k *Keeper) hashItems(ctx context.Context, run *RenewalRun, seqs []uint64, h crypto.Hash) ([]hashItem, error) {
	items := make([]hashItem, 0, len(seqs))
	err := k.ev.View(func(tx *bolt.Tx) error {
		for _, seq := range seqs {
			rec, err := evidence.RecordAt(tx, seq)
			if err != nil {
				return err
			}
			er, _, err := loadRecordBatches(tx, seq)
			if err != nil {
				return err
			}
			items = append(items, hashItem{seq: seq, rec: rec, ers: er})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := items[:0]
	for _, it := range items {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sum, err := k.hashStored(ctx, it.rec, h)
		if err != nil {
			run.Blocked.Items++
			run.Errors = append(run.Errors, fmt.Sprintf("%s: %v", it.rec.ID, err))
			continue
		}
		it.hashed = sum
		out = append(out, it)
	}
	return out, nil
}

// hashStored returns the hash h of r's stored bytes, after checking them
// against the SHA-256 its record holds.
func (k *Keeper) hashStored(ctx context.Context, r *evidence.Record, h crypto.Hash) ([]byte, error) {
	b, err := k.ev.Open(ctx, r)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	s256, hh := sha256.New(), h.New()
	if _, err := io.Copy(io.MultiWriter(s256, hh), b); err != nil {
		return nil, err
	}
	if got := hex.EncodeToString(s256.Sum(nil)); got != r.SHA256 {
		return nil, fmt.Errorf("%w: the stored bytes' SHA-256 is %s, the record's %s", ErrRenewalBlocked, got, r.SHA256)
	}
	return hh.Sum(nil), nil
}

// lastRun is the last run that was not a dry run, or nil.
func (k *Keeper) lastRun() (*RenewalRun, error) {
	var run *RenewalRun
	err := k.ev.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bERSRun).Get(keyLast)
		if v == nil {
			return nil
		}
		run = &RenewalRun{}
		return json.Unmarshal(v, run)
	})
	return run, err
}

// RunRenewals runs Renew every interval until ctx ends, the first time
// one interval after it starts, as actor.
func (k *Keeper) RunRenewals(ctx context.Context, interval time.Duration, actor string) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		run, err := k.Renew(ctx, RenewOptions{Actor: actor})
		switch {
		case err != nil && ctx.Err() == nil:
			k.ev.Log().Error("evidence records: renewal run failed; retried later", "err", err)
		case err == nil && len(run.Errors) > 0:
			k.ev.Log().Error("evidence records: renewal run left items due", "blocked_items", run.Blocked.Items, "errors", run.Errors[:min(len(run.Errors), 10)])
		case err == nil && run.TimeStamp.Items+run.HashTree.Items+run.Documents.TimeStamp.Items+run.Documents.HashTree.Items > 0:
			k.ev.Log().Info("evidence records: renewal run", "timestamp_items", run.TimeStamp.Items, "hashtree_items", run.HashTree.Items, "timestamp_documents", run.Documents.TimeStamp.Items,
				"hashtree_documents", run.Documents.HashTree.Items, "tokens", run.TimeStamp.Tokens+run.HashTree.Tokens+run.Documents.TimeStamp.Tokens+run.Documents.HashTree.Tokens)
		}
	}
}
