package receipt

import (
	"os"
	"testing"
)

// TestCheckpointCacheEraKey: the checkpoint cache keys a set reached by
// transitions with the number of transitions followed, which the result
// reports; two eras of the same set reached by 1 and 257 transitions are
// two keys.
func TestCheckpointCacheEraKey(t *testing.T) {
	trust, err := ParseTrust(must(os.ReadFile("testdata/transitions/trust.json")))
	check(t, err)
	v, err := NewVerifier(trust)
	check(t, err)
	set := tset(transitionEras[1])
	cp := tcheckpoint(t, 15, set, nil)
	vs, err := decodeSet(tsetB64(t, set))
	check(t, err)
	for _, applied := range []int{1, 257} {
		e := &era{from: 12, set: vs, hash: vs.hash(), applied: applied}
		res, err := v.checkCheckpointCached(&cp, e)
		if err != nil || res.Transitions != applied {
			t.Errorf("checkCheckpointCached(era after %d transitions) = %d transitions, %v; want %d", applied, res.Transitions, err, applied)
		}
	}
}
