package anchor

import "github.com/custos-project/custos/anchor/vmap"

// stateMap is one version of the chain's state map: an immutable
// verifiable map (vmap) of 32-byte keys to 32-byte values. Versions share
// structure, so keeping the last few blocks' versions costs only what they
// changed.
type stateMap struct{ t *vmap.Tree }

func newStateMap() *stateMap { return &stateMap{t: vmap.New()} }

func (m *stateMap) set(k, v [32]byte) *stateMap { return &stateMap{t: m.t.Set(k, v)} }

func (m *stateMap) root() [32]byte { return m.t.Root() }

// setMany sets a block's updates at once (vmap.Tree.SetMany).
func (m *stateMap) setMany(pairs []vmap.Pair) *stateMap {
	if len(pairs) == 0 {
		return m
	}
	return &stateMap{t: m.t.SetMany(pairs)}
}

// prove returns k's value and membership proof, or found false and the
// proof of its absence: the siblings, and other, the leaf of another key
// where k's path ends (nil where it ends at an empty subtree).
func (m *stateMap) prove(k [32]byte) (value [32]byte, found bool, siblings [][32]byte, other *vmap.Pair, err error) {
	p, err := m.t.Prove(k)
	if err != nil {
		return value, false, nil, nil, err
	}
	if p.Value == nil {
		return value, false, p.Siblings, p.Other, nil
	}
	return *p.Value, true, p.Siblings, nil, nil
}

// buildMap builds a map from its entries at once.
func buildMap(entries map[[32]byte][32]byte) (*stateMap, error) {
	pairs := make([]vmap.Pair, 0, len(entries))
	for k, v := range entries {
		pairs = append(pairs, vmap.Pair{Key: k, Value: v})
	}
	t, err := vmap.Build(pairs)
	if err != nil {
		return nil, err
	}
	return &stateMap{t: t}, nil
}
