package receipt

import (
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"sync"
)

// maxCachedCheckpoints bounds a Verifier's checkpoint cache.
const maxCachedCheckpoints = 256

// checkpointCache holds the results of checkpoints that verified, keyed by
// checkpointKey. Failures are not cached.
type checkpointCache struct {
	mu       sync.Mutex
	disabled bool // for benchmarks of the uncached cost
	results  map[[32]byte]CheckpointResult
	// eras are the validator sets that lists of transitions (by
	// transitionsKey) were verified to lead to: receipts of one era share
	// them, and each depends on nothing but those bytes and the trust
	// bundle.
	eras map[[32]byte]*era
}

func (c *checkpointCache) era(key [32]byte) (*era, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.eras[key]
	return e, ok
}

func (c *checkpointCache) putEra(key [32]byte, e *era) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.disabled {
		return
	}
	if c.eras == nil || len(c.eras) >= maxCachedCheckpoints {
		c.eras = make(map[[32]byte]*era)
	}
	c.eras[key] = e
}

func (c *checkpointCache) get(key [32]byte) (CheckpointResult, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	res, ok := c.results[key]
	res.Signers = slices.Clone(res.Signers)
	return res, ok
}

func (c *checkpointCache) put(key [32]byte, res CheckpointResult) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.disabled {
		return
	}
	if c.results == nil || len(c.results) >= maxCachedCheckpoints {
		c.results = make(map[[32]byte]CheckpointResult) // simple and bounded; a miss costs one check
	}
	res.Signers = slices.Clone(res.Signers)
	c.results[key] = res
}

// checkCheckpointCached is checkCheckpointIn, remembered per checkpoint
// and validator set in force.
func (v *Verifier) checkCheckpointCached(cp *Checkpoint, e *era) (CheckpointResult, error) {
	key := checkpointKey(cp)
	if !e.genesis {
		key = sha256.Sum256(binary.BigEndian.AppendUint64(append(key[:], e.hash...), uint64(e.applied)))
	}
	if res, ok := v.checkpoints.get(key); ok {
		return res, nil
	}
	res, err := v.checkCheckpointIn(cp, e)
	if err != nil {
		return res, err
	}
	v.checkpoints.put(key, res)
	return res, nil
}

// checkpointKey is the SHA-256 of every field of cp, each string preceded
// by its length and the optional HeadsSince by whether it is there, so
// that two checkpoints have the same key only if they are equal.
func checkpointKey(cp *Checkpoint) [sha256.Size]byte {
	n := 8*8 + 1 + len(cp.ChainID) + len(cp.Root) + len(cp.StateRoot) + len(cp.SignedHeader) + len(cp.ValidatorSet)
	b := make([]byte, 0, n)
	str := func(s string) { b = append(binary.BigEndian.AppendUint64(b, uint64(len(s))), s...) }
	str(cp.ChainID)
	b = binary.BigEndian.AppendUint64(b, uint64(cp.Height))
	b = binary.BigEndian.AppendUint64(b, cp.TreeSize)
	str(cp.Root)
	str(cp.StateRoot)
	if cp.HeadsSince != nil {
		b = binary.BigEndian.AppendUint64(append(b, 1), *cp.HeadsSince)
	} else {
		b = append(b, 0)
	}
	str(cp.SignedHeader)
	str(cp.ValidatorSet)
	return sha256.Sum256(b)
}
