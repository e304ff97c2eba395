package anchor

import (
	"bytes"
	"container/list"
	"hash/maphash"
	"sync"
)

// txCache remembers, by a transaction's exact bytes, the node-signed
// transactions that decoded and whose signature verified, so
// that a node decodes and verifies each transaction once rather than in
// CheckTx, PrepareProposal or ProcessProposal and FinalizeBlock each.
//
// What it keeps is only what does not depend on the time or the state: the
// decoded transaction and its verified (node certificate, organization CA)
// pair, whose validity window is checked again on every use, as
// Verifier.member does. Whether the signer is a validator and every check
// against the state still run each time. Governance transactions (signed
// with a governance key checked at the given time) are not kept. So a
// cached answer is exactly what decoding and verifying would give.
//
// The block's transactions are evicted at Commit (once applied, the state
// refuses them as duplicates; CometBFT's own cache keeps them from being
// checked again), and the oldest first when the bytes held exceed max. A
// cached *Tx is shared and must not be modified. Safe for concurrent use.
//
// It finds a transaction by a txKey (a fast hash of its bytes, with a seed
// of its own, and their length) and answers only if the bytes it kept are
// the same: a SHA-256 of each transaction three or four times a block on
// every node cost more than the rest of the cache's work (session 12).
type txCache struct {
	mu    sync.Mutex
	seed  maphash.Seed
	byKey map[txKey]*list.Element // of *cachedTx
	order *list.List              // oldest first
	bytes int                     // the raw size of what is held
	max   int
}

// txKey finds a transaction in a txCache; two transactions may share one.
type txKey struct {
	sum uint64
	n   int
}

type cachedTx struct {
	key  txKey
	raw  []byte // a copy of the transaction's bytes
	t    *Tx
	m    member
	size int
}

// txCacheBytes bounds the raw bytes of the transactions a txCache holds:
// a few blocks' worth (a decoded transaction takes about twice its size).
const txCacheBytes = 4 * MaxProposalBytes

func newTxCache(max int) *txCache {
	return &txCache{seed: maphash.MakeSeed(), byKey: map[txKey]*list.Element{}, order: list.New(), max: max}
}

// key is raw's key in c (the zero key if c is nil).
func (c *txCache) key(raw []byte) txKey {
	if c == nil {
		return txKey{}
	}
	return txKey{maphash.Bytes(c.seed, raw), len(raw)}
}

// get returns the cached transaction of raw, whose key is key, if any.
func (c *txCache) get(key txKey, raw []byte) (*cachedTx, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok {
		return nil, false
	}
	ct := e.Value.(*cachedTx)
	if !bytes.Equal(ct.raw, raw) {
		return nil, false // another transaction with the same key
	}
	return ct, true
}

// put keeps t, decoded from raw and verified with pair m, under key. A
// transaction larger than the whole cache is not kept, nor one whose key
// another holds.
func (c *txCache) put(key txKey, raw []byte, t *Tx, m member) {
	size := len(raw)
	if size > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[key]; ok {
		return
	}
	for c.bytes+size > c.max {
		c.remove(c.order.Front())
	}
	c.byKey[key] = c.order.PushBack(&cachedTx{key: key, raw: bytes.Clone(raw), t: t, m: m, size: size})
	c.bytes += size
}

// evict forgets the transactions of keys (and any other that shares one of
// them, which is then only decoded again).
func (c *txCache) evict(keys []txKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		if e, ok := c.byKey[k]; ok {
			c.remove(e)
		}
	}
}

func (c *txCache) remove(e *list.Element) {
	ct := c.order.Remove(e).(*cachedTx)
	delete(c.byKey, ct.key)
	c.bytes -= ct.size
}
