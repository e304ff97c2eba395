package receipt

import (
	"crypto/sha256"
	"encoding/json"
	"slices"
	"sync"
)

// maxCachedCheckpoints bounds a Verifier's checkpoint cache.
const maxCachedCheckpoints = 256

// checkpointCache holds the results of checkpoints that verified, keyed by
// the SHA-256 of the checkpoint's JSON encoding. Failures are not cached.
type checkpointCache struct {
	mu       sync.Mutex
	disabled bool // for benchmarks of the uncached cost
	results  map[[32]byte]CheckpointResult
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

// checkCheckpointCached is checkCheckpoint, remembered per checkpoint.
func (v *Verifier) checkCheckpointCached(cp *Checkpoint) (CheckpointResult, error) {
	b, err := json.Marshal(cp)
	if err != nil { // a Checkpoint of strings and integers always marshals
		return v.checkCheckpoint(cp)
	}
	key := sha256.Sum256(b)
	if res, ok := v.checkpoints.get(key); ok {
		return res, nil
	}
	res, err := v.checkCheckpoint(cp)
	if err != nil {
		return res, err
	}
	v.checkpoints.put(key, res)
	return res, nil
}
