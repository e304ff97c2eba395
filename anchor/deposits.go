package anchor

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"

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
//	depositlog/…   an RFC 6962 log of every deposit, in the order the
//	               blocks applied them; entry = leaf index (8) ‖ flags (1)
//	               ‖ sha256 (32) ‖ [sm3 (32)], flags as in the transaction
//	dsha256        sha256 (32) → leaf (8) ‖ height (8) ‖ member (32) ‖ count (8):
//	               the first deposit of the digest (its created event's log
//	               index, the block that registered it, the member that
//	               filed it) and how many deposits carry it
//	dsm3           sm3 (32) → sha256 (32), of the first deposit with that SM3
//	dleaf          leaf (8) → empty: a created event is deposited once; a
//	               deposit of a leaf already deposited (a registration after
//	               the upgrade overlapping a batch's own) changes nothing
//
// The deposit log's size and root are committed in the state map under
// DepositsKey, as SHA-256(size (8) ‖ root (32)), after every block that
// adds deposits; so the AppHash (layout 3, unchanged at state version 4)
// commits to the whole index.
var (
	bDepSHA256 = []byte("dsha256")
	bDepSM3    = []byte("dsm3")
	bDepLeaf   = []byte("dleaf") // leaf (8) → nothing: the created events deposited
	depositLog = NewLog("depositlog")
)

// DepositsKey is the state-map key of the deposit log's head.
var DepositsKey = sha256.Sum256([]byte("custos/state/v4/deposits"))

// depositRecordLen is the length of a dsha256 value.
const depositRecordLen = 8 + 8 + 32 + 8

// DepositInfo is what the digest index knows of a digest.
type DepositInfo struct {
	SHA256 [32]byte
	// Leaf is the log index of the first deposit's created event; Height
	// the block that registered it; Member the member that filed it
	// (Tx.Member).
	Leaf   uint64
	Height int64
	Member string
	// Count is how many deposits carry the digest (an item filed again, at
	// one member or at several).
	Count uint64
}

// Deposit looks a SHA-256 digest up in the committed digest index.
func (a *App) Deposit(sum [32]byte) (DepositInfo, bool, error) {
	var out DepositInfo
	var ok bool
	err := a.db.View(func(tx *bolt.Tx) error {
		out, ok = getDeposit(tx, sum)
		return nil
	})
	return out, ok, err
}

// DepositSM3 looks an SM3 digest up in the committed digest index.
func (a *App) DepositSM3(sum [32]byte) (DepositInfo, bool, error) {
	var out DepositInfo
	var ok bool
	err := a.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bDepSM3)
		if b == nil {
			return nil
		}
		v := b.Get(sum[:])
		if len(v) != 32 {
			return nil
		}
		out, ok = getDeposit(tx, [32]byte(v))
		return nil
	})
	return out, ok, err
}

func getDeposit(tx *bolt.Tx, sum [32]byte) (DepositInfo, bool) {
	b := tx.Bucket(bDepSHA256)
	if b == nil {
		return DepositInfo{}, false
	}
	v := b.Get(sum[:])
	if len(v) != depositRecordLen {
		return DepositInfo{}, false
	}
	return DepositInfo{SHA256: sum, Leaf: binary.BigEndian.Uint64(v), Height: int64(binary.BigEndian.Uint64(v[8:])),
		Member: hex.EncodeToString(v[16:48]), Count: binary.BigEndian.Uint64(v[48:])}, true
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
	v := tx.Bucket(bApplied).Get(binary.BigEndian.AppendUint64(bytes.Clone(member), seq))
	if len(v) != 20 {
		return 0, 0, false
	}
	return binary.BigEndian.Uint64(v), binary.BigEndian.Uint32(v[8:]), true
}

// applyDeposits adds t's deposits, whose created events are at leaves, to
// the deposit log and the index. It returns whether there were any.
func (a *App) applyDeposits(tx *bolt.Tx, t *Tx, leaves []uint64, height int64) bool {
	if len(t.Deposits) == 0 {
		return false
	}
	member := t.memberKey()
	hashes := make([][]byte, 0, len(t.Deposits))
	shas, sm3s := tx.Bucket(bDepSHA256), tx.Bucket(bDepSM3)
	done := tx.Bucket(bDepLeaf)
	for i, d := range t.Deposits {
		leaf := binary.BigEndian.AppendUint64(nil, leaves[i])
		if done.Get(leaf) != nil {
			continue
		}
		if err := done.Put(leaf, nil); err != nil {
			panic(fmt.Sprintf("anchor: index deposit at height %d: %v", height, err))
		}
		entry := binary.BigEndian.AppendUint64(make([]byte, 0, 8+1+64), leaves[i])
		if d.HasSM3 {
			entry = append(entry, 1)
		} else {
			entry = append(entry, 0)
		}
		entry = append(entry, d.SHA256[:]...)
		if d.HasSM3 {
			entry = append(entry, d.SM3[:]...)
		}
		hashes = append(hashes, hasher.HashLeaf(entry))
		rec := shas.Get(d.SHA256[:])
		if len(rec) == depositRecordLen {
			rec = bytes.Clone(rec)
			binary.BigEndian.PutUint64(rec[48:], binary.BigEndian.Uint64(rec[48:])+1)
		} else {
			rec = binary.BigEndian.AppendUint64(nil, leaves[i])
			rec = binary.BigEndian.AppendUint64(rec, uint64(height))
			rec = append(rec, member...)
			rec = binary.BigEndian.AppendUint64(rec, 1)
		}
		if err := shas.Put(d.SHA256[:], rec); err != nil {
			panic(fmt.Sprintf("anchor: index deposit at height %d: %v", height, err))
		}
		if d.HasSM3 && sm3s.Get(d.SM3[:]) == nil {
			if err := sm3s.Put(d.SM3[:], d.SHA256[:]); err != nil {
				panic(fmt.Sprintf("anchor: index deposit at height %d: %v", height, err))
			}
		}
	}
	if len(hashes) == 0 {
		return false
	}
	if _, err := depositLog.Append(tx, hashes); err != nil {
		panic(fmt.Sprintf("anchor: deposit log at height %d: %v", height, err))
	}
	return true
}

// commitDeposits sets DepositsKey in the block's state-map changes to the
// deposit log's head after the block.
func (a *App) commitDeposits(tx *bolt.Tx, height int64) {
	size, root, err := depositLog.Root(tx)
	if err != nil {
		panic(fmt.Sprintf("anchor: deposit log root at height %d: %v", height, err))
	}
	value := DepositsValue(size, root)
	var none [32]byte
	a.blockLog = append(append(append(a.blockLog, DepositsKey[:]...), value[:]...), none[:]...)
	a.blockLog = binary.BigEndian.AppendUint64(a.blockLog, 0)
	a.blockPairs = append(a.blockPairs, vmap.Pair{Key: DepositsKey, Value: value})
	a.moved = true
}

// DepositsValue is the state-map value of a deposit log of size leaves
// with the given root: SHA-256(size (8, big-endian) ‖ root (32)).
func DepositsValue(size uint64, root []byte) [32]byte {
	return sha256.Sum256(append(binary.BigEndian.AppendUint64(nil, size), root...))
}

// initDeposits creates the digest index's buckets.
func initDeposits(tx *bolt.Tx) error {
	for _, b := range [][]byte{bDepSHA256, bDepSM3, bDepLeaf} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return depositLog.Init(tx)
}
