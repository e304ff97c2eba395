package anchor

import (
	"container/list"
	"crypto/sha256"
	"sync"
)

// txCache remembers, by the SHA-256 of a transaction's exact bytes, the
// node-signed transactions that decoded and whose signature verified, so
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
type txCache struct {
	mu    sync.Mutex
	byKey map[[sha256.Size]byte]*list.Element // of *cachedTx
	order *list.List                          // oldest first
	bytes int                                 // the raw size of what is held
	max   int
}

type cachedTx struct {
	key  [sha256.Size]byte
	t    *Tx
	m    member
	size int
}

// txCacheBytes bounds the raw bytes of the transactions a txCache holds:
// a few blocks' worth (a decoded transaction takes about twice its size).
const txCacheBytes = 4 * MaxProposalBytes

func newTxCache(max int) *txCache {
	return &txCache{byKey: map[[sha256.Size]byte]*list.Element{}, order: list.New(), max: max}
}

// get returns the cached transaction of key, if any.
func (c *txCache) get(key [sha256.Size]byte) (*cachedTx, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok {
		return nil, false
	}
	return e.Value.(*cachedTx), true
}

// put keeps t, verified with pair m, under key; size is its raw length. A
// transaction larger than the whole cache is not kept.
func (c *txCache) put(key [sha256.Size]byte, t *Tx, m member, size int) {
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
	c.byKey[key] = c.order.PushBack(&cachedTx{key: key, t: t, m: m, size: size})
	c.bytes += size
}

// evict forgets the transactions of keys.
func (c *txCache) evict(keys [][sha256.Size]byte) {
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

// len is the number of transactions held.
func (c *txCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byKey)
}
