package anchor

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/anchor/vmap"
)

// The consortium's digest index (state version 4). Each member registers
// the deposits it files (Tx.Deposits: an item's SHA-256, and its SM3 where
// the member computes it, with the leaf of its created event), so that
// every member can say, for any digest, whether and when an item carrying
// it was first anchored, and by which member's node: never who owns it nor
// anything of its metadata, which stay on the item's home node.
//
// What the state keeps, all of it rebuilt by replaying the blocks:
//
//	depositlog/…   state versions 4 to 6: an RFC 6962 log of every
//	               deposit, in the order the blocks applied them; entry =
//	               leaf index (8) ‖ flags (1) ‖ sha256 (32) ‖ [sm3 (32)],
//	               flags as in the transaction. From version 7 it takes
//	               nothing more: the deposit chain (below) continues it.
//	depositruns    deposit number of a run's first deposit (8, from 0, in
//	               the order the blocks applied them) → the run: the
//	               deposits of one transaction, with the block that
//	               registered them and the member that filed them (run)
//	deposits       deposit number → one deposit, as nodes wrote them
//	               before runs; read, never written
//
// Deposits are appended to, never rewritten. The index by digest is in
// memory (depositIndex: the first 8 bytes of each SHA-256 and SM3 →
// deposit numbers), rebuilt from the stored deposits at start, and
// updated when a block commits. A created event is deposited once: a
// deposit of a leaf already deposited with the same digest (a
// registration after the upgrade overlapping a batch's own deposits)
// changes nothing.
//
// The state map commits to the deposits under DepositsKey after every
// block that adds some: at versions 4 to 6 the deposit log's size and
// root, SHA-256(size (8) ‖ root (32)); from version 7 the deposit chain's
// link, one hash per block (DepositLink). So the AppHash (layout 3,
// unchanged) commits to the whole index.
var (
	bDeposits    = []byte("deposits")
	bDepositRuns = []byte("depositruns")
	depositLog   = NewLog("depositlog")
)

// DepositsKey is the state-map key of the deposit log's head.
var DepositsKey = sha256.Sum256([]byte("custos/state/v4/deposits"))

// DepositInfo is what the digest index knows of a digest.
type DepositInfo struct {
	SHA256 [32]byte
	// Leaf is the log index of the first deposit's created event; Height
	// the block that registered it; Member the member that filed it, by
	// its current node member ID (Tx.Member of its current key; see
	// rotated.go).
	Leaf   uint64
	Height int64
	Member string
	// Count is how many deposits carry the digest (an item filed again, at
	// one member or at several).
	Count uint64
}

// deposit is one stored deposit.
type deposit struct {
	leaf   uint64
	height int64
	member [32]byte
	sha256 [32]byte
	sm3    [32]byte
	hasSM3 bool
}

func decodeDeposit(b []byte) (deposit, error) {
	var d deposit
	if len(b) != 8+8+32+1+32 && len(b) != 8+8+32+1+64 {
		return d, fmt.Errorf("anchor: a stored deposit of %d bytes: %w", len(b), ErrCorrupt)
	}
	d.leaf, d.height = binary.BigEndian.Uint64(b), int64(binary.BigEndian.Uint64(b[8:]))
	copy(d.member[:], b[16:48])
	d.hasSM3 = b[48] == 1
	copy(d.sha256[:], b[49:81])
	if d.hasSM3 {
		copy(d.sm3[:], b[81:])
	}
	return d, nil
}

// depositIndex finds deposits by digest: each maps the first 8 bytes of a
// digest to the numbers of the deposits whose digest starts so, first one
// first (a number is looked up in the deposits bucket to compare the whole
// digest). About 30 bytes per deposit.
type depositIndex struct {
	mu     sync.RWMutex
	next   uint64              // the number of the next deposit
	first  map[uint64]uint32   // SHA-256 prefix → first deposit number
	more   map[uint64][]uint32 // SHA-256 prefix → later ones
	firstS map[uint64]uint32   // SM3 prefix → first deposit number
	moreS  map[uint64][]uint32
	// top is one more than the largest leaf of the deposits added (0:
	// none): a deposit of a leaf from top on is not among them, which
	// spares applyDeposits a lookup in first for each upload of a new
	// leaf (a miss in a map of millions, a cache miss each).
	top uint64
}

func newDepositIndex() *depositIndex {
	return &depositIndex{first: map[uint64]uint32{}, more: map[uint64][]uint32{},
		firstS: map[uint64]uint32{}, moreS: map[uint64][]uint32{}}
}

func prefixOf(d [32]byte) uint64 { return binary.BigEndian.Uint64(d[:8]) }

// add records deposit number n. Callers hold mu for writing.
func (x *depositIndex) add(n uint64, d *deposit) {
	put := func(first map[uint64]uint32, more map[uint64][]uint32, p uint64) {
		if _, ok := first[p]; ok {
			more[p] = append(more[p], uint32(n))
		} else {
			first[p] = uint32(n)
		}
	}
	put(x.first, x.more, prefixOf(d.sha256))
	if d.hasSM3 {
		put(x.firstS, x.moreS, prefixOf(d.sm3))
	}
	x.next = n + 1
	x.top = max(x.top, d.leaf+1)
}

// leafCandidates is candidates(sum, false) for a deposit of leaf: none
// if no deposit added is of leaf or a later one. Callers hold mu.
func (x *depositIndex) leafCandidates(sum [32]byte, leaf uint64) []uint32 {
	if leaf >= x.top {
		return nil
	}
	return x.candidates(sum, false)
}

// candidates lists the deposit numbers whose digest (SM3 if sm3) may be
// sum, first one first. Callers hold mu.
func (x *depositIndex) candidates(sum [32]byte, sm3 bool) []uint32 {
	first, more := x.first, x.more
	if sm3 {
		first, more = x.firstS, x.moreS
	}
	p := prefixOf(sum)
	n, ok := first[p]
	if !ok {
		return nil
	}
	return append([]uint32{n}, more[p]...)
}

// loadDeposits rebuilds the index from the deposits bucket.
func (a *App) loadDeposits() error {
	x := newDepositIndex()
	err := a.db.View(func(tx *bolt.Tx) error {
		err := tx.Bucket(bDeposits).ForEach(func(k, v []byte) error {
			d, err := decodeDeposit(v)
			if err != nil {
				return err
			}
			if len(k) != 8 || binary.BigEndian.Uint64(k) != x.next {
				return fmt.Errorf("anchor: deposit %x out of sequence: %w", k, ErrCorrupt)
			}
			x.add(x.next, &d)
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bDepositRuns).ForEach(func(k, v []byte) error {
			r, err := decodeRun(v)
			if err != nil {
				return err
			}
			if len(k) != 8 || binary.BigEndian.Uint64(k) != x.next {
				return fmt.Errorf("anchor: deposit run %x out of sequence: %w", k, ErrCorrupt)
			}
			for i := range r.len() {
				d := r.at(i)
				x.add(x.next, &d)
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("anchor: load the digest index: %w", err)
	}
	a.deposits = x
	return nil
}

// Deposit looks a SHA-256 digest up in the committed digest index.
func (a *App) Deposit(sum [32]byte) (DepositInfo, bool, error) { return a.lookupDeposit(sum, false) }

// DepositSM3 looks an SM3 digest up in the committed digest index.
func (a *App) DepositSM3(sum [32]byte) (DepositInfo, bool, error) { return a.lookupDeposit(sum, true) }

func (a *App) lookupDeposit(sum [32]byte, sm3 bool) (DepositInfo, bool, error) {
	var out DepositInfo
	found := false
	byDigest := a.candidates(sum, sm3)
	err := a.db.View(func(tx *bolt.Tx) error {
		b := depositsIn(tx)
		if sm3 { // the SHA-256 of the first deposit with this SM3
			ok := false
			for _, n := range byDigest {
				if d, there := storedDeposit(b, n); there && d.hasSM3 && d.sm3 == sum {
					sum, ok = d.sha256, true
					break
				}
			}
			if !ok {
				return nil
			}
			byDigest = a.candidates(sum, false)
		}
		// The first is the deposit whose created event the log took
		// first (the smallest leaf), not the first deposit applied: a
		// held deposit (a file of a pending copyright registration)
		// reaches the chain after its created event, in a later block,
		// perhaps after another member's deposit of the same bytes.
		var first deposit
		for _, n := range byDigest {
			d, there := storedDeposit(b, n)
			if !there || d.sha256 != sum {
				continue
			}
			if !found || d.leaf < first.leaf {
				first, found = d, true
			}
			out.Count++
		}
		if found {
			out.SHA256, out.Leaf, out.Height = sum, first.leaf, first.height
			if h, ok := leafHeight(tx, first.member[:], first.leaf); ok && h < first.height {
				out.Height = h // the block that appended the created event
			}
			out.Member = currentNode(tx, hex.EncodeToString(first.member[:]))
		}
		return nil
	})
	return out, found, err
}

// DepositedAt reports whether the committed digest index holds a deposit
// of the SHA-256 digest sum whose created event is log leaf leaf: what the
// integrity audit asks of a deposit the node holds off the chain (it must
// not be there yet). A read; the state is unchanged.
func (a *App) DepositedAt(sum [32]byte, leaf uint64) (bool, error) {
	found := false
	byDigest := a.candidates(sum, false)
	err := a.db.View(func(tx *bolt.Tx) error {
		b := depositsIn(tx)
		for _, n := range byDigest {
			if d, there := storedDeposit(b, n); there && d.sha256 == sum && d.leaf == leaf {
				found = true
				break
			}
		}
		return nil
	})
	return found, err
}

// leafHeight is the block that appended log leaf leaf in a batch of the
// member whose node member ID is member (under any key it ran): a binary
// search over the member's batches, whose first leaves grow with their
// numbers (bApplied: member ‖ seq → first ‖ count ‖ height).
func leafHeight(tx *bolt.Tx, member []byte, leaf uint64) (int64, bool) {
	c := tx.Bucket(bApplied).Cursor()
	for _, k := range memberKeys(tx, member) {
		// hi: the member's last batch number under k.
		last, _ := c.Seek(append(bytes.Clone(k), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))
		if last == nil {
			last, _ = c.Last()
		} else if !bytes.Equal(last, append(bytes.Clone(k), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)) {
			last, _ = c.Prev()
		}
		if last == nil || !bytes.HasPrefix(last, k) || len(last) != len(k)+8 {
			continue
		}
		lo, hi := uint64(0), binary.BigEndian.Uint64(last[len(k):])
		var best []byte
		for lo <= hi {
			mid := lo + (hi-lo)/2
			key, v := c.Seek(binary.BigEndian.AppendUint64(bytes.Clone(k), mid))
			if key == nil || !bytes.HasPrefix(key, k) || len(key) != len(k)+8 || len(v) < 20 {
				if mid == 0 {
					break
				}
				hi = mid - 1
				continue
			}
			seq := binary.BigEndian.Uint64(key[len(k):])
			if binary.BigEndian.Uint64(v) <= leaf {
				best = v
				if seq == ^uint64(0) {
					break
				}
				lo = seq + 1
			} else {
				if mid == 0 {
					break
				}
				hi = mid - 1
			}
		}
		if best != nil {
			first, count := binary.BigEndian.Uint64(best), uint64(binary.BigEndian.Uint32(best[8:]))
			if leaf < first+count {
				return int64(binary.BigEndian.Uint64(best[12:])), true
			}
		}
	}
	return 0, false
}

// candidates lists the committed deposits whose digest may be sum.
func (a *App) candidates(sum [32]byte, sm3 bool) []uint32 {
	a.deposits.mu.RLock()
	defer a.deposits.mu.RUnlock()
	return a.deposits.candidates(sum, sm3)
}

// storedDeposit reads deposit n; there is false if the read transaction
// does not see it (it began before the block that added it committed) or
// it does not decode.
func storedDeposit(b storedDeposits, n uint32) (deposit, bool) {
	key := binary.BigEndian.AppendUint64(nil, uint64(n))
	if v := b.one.Get(key); v != nil {
		d, err := decodeDeposit(v)
		return d, err == nil
	}
	c := b.runs.Cursor()
	k, v := c.Seek(key)
	switch {
	case k == nil:
		k, v = c.Last()
	case !bytes.Equal(k, key):
		k, v = c.Prev()
	}
	if len(k) != 8 {
		return deposit{}, false
	}
	r, err := decodeRun(v)
	if i := uint64(n) - binary.BigEndian.Uint64(k); err != nil || i >= uint64(r.len()) {
		return deposit{}, false
	}
	return r.at(int(uint64(n) - binary.BigEndian.Uint64(k))), true
}

// storedDeposits are the two buckets deposits are stored in: one record
// per deposit (deposits, as nodes before this code wrote them) and one
// per run (depositruns, from then on). Deposit numbers run on from the
// first bucket into the second.
type storedDeposits struct{ one, runs *bolt.Bucket }

func depositsIn(tx *bolt.Tx) storedDeposits {
	return storedDeposits{tx.Bucket(bDeposits), tx.Bucket(bDepositRuns)}
}

// A run is the deposits one transaction added that are alike in having
// an SM3 or not, stored under the number of its first deposit:
//
//	height (8) ‖ member (32) ‖ flags (1, 1 if each has an SM3)
//	‖ each deposit's leaf (8) ‖ sha256 (32) ‖ [sm3 (32)]
//
// so that a transaction's deposits cost one write of 40 (or 72) bytes
// each, rather than a write of 81 (or 113) bytes each.
type run struct {
	height int64
	member [32]byte
	hasSM3 bool
	body   []byte
}

const runHeader = 8 + 32 + 1

func (r *run) size() int {
	if r.hasSM3 {
		return 8 + 32 + 32
	}
	return 8 + 32
}

func (r *run) len() int { return len(r.body) / r.size() }

func (r *run) at(i int) deposit {
	e := r.body[i*r.size():]
	d := deposit{leaf: binary.BigEndian.Uint64(e), height: r.height, member: r.member, hasSM3: r.hasSM3}
	copy(d.sha256[:], e[8:40])
	if r.hasSM3 {
		copy(d.sm3[:], e[40:72])
	}
	return d
}

func decodeRun(b []byte) (run, error) {
	var r run
	if len(b) < runHeader || b[40] > 1 {
		return r, fmt.Errorf("anchor: a stored deposit run of %d bytes: %w", len(b), ErrCorrupt)
	}
	r.height, r.member, r.hasSM3, r.body = int64(binary.BigEndian.Uint64(b)), [32]byte(b[8:40]), b[40] == 1, b[runHeader:]
	if len(r.body) == 0 || len(r.body)%r.size() != 0 {
		return r, fmt.Errorf("anchor: a stored deposit run of %d bytes: %w", len(b), ErrCorrupt)
	}
	return r, nil
}

// putRuns stores ds, numbered from first, as runs.
func putRuns(b *bolt.Bucket, first uint64, ds []deposit) error {
	b.FillPercent = 1 // keys only grow
	for len(ds) > 0 {
		n := 1
		for n < len(ds) && ds[n].hasSM3 == ds[0].hasSM3 {
			n++
		}
		r := run{hasSM3: ds[0].hasSM3}
		v := binary.BigEndian.AppendUint64(make([]byte, 0, runHeader+n*r.size()), uint64(ds[0].height))
		v = append(v, ds[0].member[:]...)
		if r.hasSM3 {
			v = append(v, 1)
		} else {
			v = append(v, 0)
		}
		for _, d := range ds[:n] {
			v = binary.BigEndian.AppendUint64(v, d.leaf)
			v = append(v, d.sha256[:]...)
			if r.hasSM3 {
				v = append(v, d.sm3[:]...)
			}
		}
		if err := b.Put(binary.BigEndian.AppendUint64(nil, first), v); err != nil {
			return err
		}
		first, ds = first+uint64(n), ds[n:]
	}
	return nil
}

// depositLeaves returns the log index of each deposit's created event,
// located as stateKeys locates a version-3 head's first event: in the
// member's own batches, this one (whose first leaf is at first) or one in
// the log. CheckTx (pending true) lets a deposit name an earlier batch of
// the member that is not in the log yet.
func (a *App) depositLeaves(tx *bolt.Tx, t *Tx, first uint64, pending bool) ([]uint64, uint32, string) {
	if len(t.Deposits) == 0 {
		return nil, CodeOK, ""
	}
	out := make([]uint64, len(t.Deposits))
	member := t.memberKey()
	for i, d := range t.Deposits {
		from, count, ok := a.batchLeaves(tx, t, member, d.Batch, first)
		if !ok && pending && d.Batch < t.Seq {
			continue // checked when the block applies it
		}
		if !ok {
			return nil, CodeStale, fmt.Sprintf("deposit %d: its created event is in batch %d, which is not in the log", i, d.Batch)
		}
		if d.Offset >= count {
			return nil, CodeStale, fmt.Sprintf("deposit %d: batch %d has %d leaves, not a leaf %d", i, d.Batch, count, d.Offset)
		}
		out[i] = from + uint64(d.Offset)
	}
	return out, CodeOK, ""
}

// batchLeaves is where the member's batch seq put its leaves: t itself
// (at first), or a batch already in the log.
func (a *App) batchLeaves(tx *bolt.Tx, t *Tx, member []byte, seq, first uint64) (from uint64, count uint32, ok bool) {
	if seq == t.Seq {
		return first, uint32(len(t.Leaves)), true
	}
	v := appliedBatch(tx, member, seq)
	if v == nil {
		return 0, 0, false
	}
	return binary.BigEndian.Uint64(v), binary.BigEndian.Uint32(v[8:]), true
}

// blockDeposits are the deposits of the block in progress, indexed as the
// committed ones are, so that a block's own duplicates are seen too.
type blockDeposits struct {
	next uint64 // the number of the block's first deposit
	// added holds the block's deposits in the order it applied them, one
	// slice a transaction, each made to its size: appending every deposit
	// to one slice copied the block's deposits over and over as it grew
	// (60,000 of 120 bytes in a block of 4 MiB).
	added [][]deposit
	count int           // the deposits in added
	index *depositIndex // the block's additions only
}

// at returns the block's i-th deposit.
func (bd *blockDeposits) at(i uint64) *deposit {
	for _, run := range bd.added {
		if i < uint64(len(run)) {
			return &run[i]
		}
		i -= uint64(len(run))
	}
	panic(fmt.Sprintf("anchor: deposit %d of a block of %d", i, bd.count))
}

// each calls fn with the block's deposits in order.
func (bd *blockDeposits) each(fn func(n uint64, d *deposit)) {
	n := bd.next
	for _, run := range bd.added {
		for i := range run {
			fn(n, &run[i])
			n++
		}
	}
}

// applyDeposits adds t's deposits, whose created events are at leaves, to
// the deposits bucket and, before state version 7, the deposit log,
// skipping each whose created event is already deposited with the same
// digest. From version 7 the block's deposits are committed together when
// it ends (commitDeposits).
func (a *App) applyDeposits(tx *bolt.Tx, t *Tx, leaves []uint64, height int64, version int) {
	if len(t.Deposits) == 0 {
		return
	}
	if a.blockDeps == nil {
		a.deposits.mu.RLock()
		next := a.deposits.next
		a.deposits.mu.RUnlock()
		a.blockDeps = &blockDeposits{next: next, index: newDepositIndex()}
		a.blockDeps.index.next = next
	}
	bd := a.blockDeps
	member := [32]byte(t.memberKey())
	stored := depositsIn(tx)
	var hashes [][]byte
	if version < StateV7 {
		hashes = make([][]byte, 0, len(t.Deposits))
	}
	from := bd.count
	bd.added = append(bd.added, make([]deposit, 0, len(t.Deposits)))
	run := &bd.added[len(bd.added)-1]
	for i, td := range t.Deposits {
		d := deposit{leaf: leaves[i], height: height, member: member, sha256: td.SHA256, sm3: td.SM3, hasSM3: td.HasSM3}
		if a.deposited(stored, &d) {
			continue
		}
		bd.index.add(bd.index.next, &d)
		*run = append(*run, d)
		bd.count++
		if version < StateV7 {
			hashes = append(hashes, hasher.HashLeaf(d.logEntry()))
		}
	}
	if err := putRuns(stored.runs, bd.next+uint64(from), *run); err != nil {
		panic(fmt.Sprintf("anchor: store deposits at height %d: %v", height, err))
	}
	if len(hashes) == 0 {
		return
	}
	if _, err := depositLog.Append(tx, hashes); err != nil {
		panic(fmt.Sprintf("anchor: deposit log at height %d: %v", height, err))
	}
}

// deposited reports whether d's created event is already deposited with
// d's SHA-256, committed or earlier in the block. An upload's deposit
// names a leaf its own transaction appends, later than every leaf
// deposited before, so it is looked up in neither index (leafCandidates).
func (a *App) deposited(bucket storedDeposits, d *deposit) bool {
	a.deposits.mu.RLock()
	committed := a.deposits.leafCandidates(d.sha256, d.leaf)
	a.deposits.mu.RUnlock()
	for _, n := range committed {
		if old, ok := storedDeposit(bucket, n); ok && old.leaf == d.leaf && old.sha256 == d.sha256 {
			return true
		}
	}
	bd := a.blockDeps
	for _, n := range bd.index.leafCandidates(d.sha256, d.leaf) {
		if old := bd.at(uint64(n) - bd.next); old.leaf == d.leaf && old.sha256 == d.sha256 {
			return true
		}
	}
	return false
}

// commitDeposits sets DepositsKey in the block's state-map changes to the
// deposit log's head after the block (before state version 7), or to the
// deposit chain's next link (from version 7; depositChain).
func (a *App) commitDeposits(tx *bolt.Tx, height int64, version int) {
	var value [32]byte
	if version >= StateV7 {
		value = a.chainDeposits(tx, height)
	} else {
		size, root, err := depositLog.Root(tx)
		if err != nil {
			panic(fmt.Sprintf("anchor: deposit log root at height %d: %v", height, err))
		}
		value = DepositsValue(size, root)
	}
	var none [32]byte
	a.blockLog = append(append(append(a.blockLog, DepositsKey[:]...), value[:]...), none[:]...)
	a.blockLog = binary.BigEndian.AppendUint64(a.blockLog, 0)
	a.blockPairs = append(a.blockPairs, vmap.Pair{Key: DepositsKey, Value: value})
	a.moved = true
}

// publishDeposits adds a committed block's deposits to the index.
func (a *App) publishDeposits(bd *blockDeposits) {
	if bd == nil {
		return
	}
	a.deposits.mu.Lock()
	defer a.deposits.mu.Unlock()
	bd.each(a.deposits.add)
}

// DepositsValue is the state-map value of a deposit log of size leaves
// with the given root: SHA-256(size (8, big-endian) ‖ root (32)).
func DepositsValue(size uint64, root []byte) [32]byte {
	return sha256.Sum256(append(binary.BigEndian.AppendUint64(nil, size), root...))
}

// initDeposits creates the digest index's buckets.
func initDeposits(tx *bolt.Tx) error {
	for _, b := range [][]byte{bDeposits, bDepositRuns} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return depositLog.Init(tx)
}

// logEntry is d as the deposit log (state versions 4 to 6) takes it:
// leaf index (8) ‖ flags (1) ‖ sha256 (32) ‖ [sm3 (32)].
func (d *deposit) logEntry() []byte {
	return d.appendLogEntry(make([]byte, 0, 8+1+64))
}

func (d *deposit) appendLogEntry(entry []byte) []byte {
	entry = binary.BigEndian.AppendUint64(entry, d.leaf)
	if d.hasSM3 {
		return append(append(append(entry, 1), d.sha256[:]...), d.sm3[:]...)
	}
	return append(append(entry, 0), d.sha256[:]...)
}

// appendChainEntry appends d as the deposit chain hashes it: member (32) ‖
// its log entry.
func (d *deposit) appendChainEntry(entry []byte) []byte {
	return d.appendLogEntry(append(entry, d.member[:]...))
}

// The deposit chain (state version 7). A block's deposits are committed
// with one hash instead of one deposit-log leaf each: DepositsKey holds
//
//	link = SHA-256("custos/state/v7/deposits\x00" ‖ previous link (32)
//	       ‖ height (8) ‖ count (8) ‖ SHA-256(the block's deposits))
//
// after each block that adds deposits, where count is the number of
// deposits ever added (the deposit log's size included) and the block's
// deposits are, in the order it applied them, each member (32) ‖ leaf
// index (8) ‖ flags (1) ‖ sha256 (32) ‖ [sm3 (32)]. The first link's
// previous link is DepositsValue of the deposit log when version 7 began
// (of the empty log for a chain that starts at 7), so the chain extends
// the log's history rather than replacing it. The previous link and the
// count are kept in appmeta under depositchain.
var depositChainTag = []byte("custos/state/v7/deposits\x00")

// DepositLink is the deposit chain's link after a block at height that
// brings the deposits ever added to count, blockDigest being the SHA-256
// of the block's deposits.
func DepositLink(prev [32]byte, height int64, count uint64, blockDigest [32]byte) [32]byte {
	b := make([]byte, 0, len(depositChainTag)+32+8+8+32)
	b = append(append(b, depositChainTag...), prev[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(height))
	b = binary.BigEndian.AppendUint64(b, count)
	return sha256.Sum256(append(b, blockDigest[:]...))
}

// startDepositChain starts the deposit chain from the deposit log's head,
// when state version 7 begins.
func startDepositChain(tx *bolt.Tx) error {
	size, root, err := depositLog.Root(tx)
	if err != nil {
		return err
	}
	v := DepositsValue(size, root)
	return tx.Bucket(bAppMeta).Put([]byte("depositchain"), binary.BigEndian.AppendUint64(v[:], size))
}

// chainDeposits links the block's deposits to the deposit chain and
// returns the new link.
func (a *App) chainDeposits(tx *bolt.Tx, height int64) [32]byte {
	meta := tx.Bucket(bAppMeta)
	v := meta.Get([]byte("depositchain"))
	if len(v) != 40 {
		panic(fmt.Sprintf("anchor: deposit chain at height %d: a head of %d bytes", height, len(v)))
	}
	prev, count := [32]byte(v[:32]), binary.BigEndian.Uint64(v[32:])
	h := sha256.New()
	var entry [32 + 8 + 1 + 64]byte
	a.blockDeps.each(func(_ uint64, d *deposit) {
		h.Write(d.appendChainEntry(entry[:0]))
	})
	count += uint64(a.blockDeps.count)
	link := DepositLink(prev, height, count, [32]byte(h.Sum(nil)))
	if err := meta.Put([]byte("depositchain"), binary.BigEndian.AppendUint64(link[:], count)); err != nil {
		panic(fmt.Sprintf("anchor: deposit chain at height %d: %v", height, err))
	}
	return link
}
