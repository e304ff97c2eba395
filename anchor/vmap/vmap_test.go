package vmap

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

// refRoot is the map's root computed naively from its definition.
func refRoot(m map[Hash]Hash) Hash {
	var ps []Pair
	for k, v := range m {
		ps = append(ps, Pair{k, v})
	}
	sort.Slice(ps, func(i, j int) bool { return bytes.Compare(ps[i].Key[:], ps[j].Key[:]) < 0 })
	var rec func(ps []Pair, depth int) Hash
	rec = func(ps []Pair, depth int) Hash {
		switch len(ps) {
		case 0:
			return Empty
		case 1:
			return LeafHash(ps[0].Key, ps[0].Value)
		}
		var l, r []Pair
		for _, p := range ps {
			if bit(&p.Key, depth) == 0 {
				l = append(l, p)
			} else {
				r = append(r, p)
			}
		}
		return NodeHash(rec(l, depth+1), rec(r, depth+1))
	}
	return rec(ps, 0)
}

func key(i int) Hash { return sha256.Sum256([]byte(fmt.Sprint("k", i))) }
func val(i int) Hash { return sha256.Sum256([]byte(fmt.Sprint("v", i))) }

func TestSmallTrees(t *testing.T) {
	var k0, k1, kLast Hash // k0 and k1 differ in the first bit; kLast only in the last
	k1[0] = 0x80
	kLast[31] = 1
	v := val(1)
	tests := []struct {
		name string
		keys []Hash
		want func() Hash
	}{
		{"empty", nil, func() Hash { return Empty }},
		{"one key", []Hash{k0}, func() Hash { return LeafHash(k0, v) }},
		{"two keys split at the root", []Hash{k0, k1}, func() Hash { return NodeHash(LeafHash(k0, v), LeafHash(k1, v)) }},
		{"two keys split at the last bit", []Hash{k0, kLast}, func() Hash {
			h := NodeHash(LeafHash(k0, v), LeafHash(kLast, v))
			for i := 0; i < 255; i++ {
				h = NodeHash(h, Empty)
			}
			return h
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			for _, k := range tt.keys {
				m = m.Set(k, v)
			}
			if got, want := m.Root(), tt.want(); got != want {
				t.Fatalf("Root() = %x, want %x", got, want)
			}
			for _, k := range tt.keys {
				p, err := m.Prove(k)
				if err != nil || p.Value == nil {
					t.Fatalf("Prove = %+v, %v", p, err)
				}
				if err := VerifyMembership(m.Root(), k, v, p.Siblings); err != nil {
					t.Errorf("VerifyMembership = %v", err)
				}
			}
		})
	}
}

func TestAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m, ref := New(), map[Hash]Hash{}
	var versions []*Tree
	var roots []Hash
	for i := 0; i < 600; i++ {
		k := key(rng.IntN(300)) // overwrites too
		v := val(i)
		m = m.Set(k, v)
		ref[k] = v
		if i%50 == 0 {
			versions, roots = append(versions, m), append(roots, m.Root())
		}
		if i%37 == 0 {
			if got, want := m.Root(), refRoot(ref); got != want {
				t.Fatalf("after %d sets: Root() = %x, want %x", i+1, got, want)
			}
		}
	}
	if m.Len() != len(ref) {
		t.Errorf("Len() = %d, want %d", m.Len(), len(ref))
	}
	root := m.Root()
	for k, v := range ref {
		if got, ok := m.Get(k); !ok || got != v {
			t.Fatalf("Get(%x) = %x, %v", k, got, ok)
		}
		p, err := m.Prove(k)
		if err != nil || p.Value == nil || *p.Value != v {
			t.Fatalf("Prove(%x) = %+v, %v", k, p, err)
		}
		if err := VerifyMembership(root, k, v, p.Siblings); err != nil {
			t.Fatalf("VerifyMembership = %v", err)
		}
		if err := VerifyMembership(root, k, val(-1), p.Siblings); !errors.Is(err, ErrProof) {
			t.Fatalf("VerifyMembership(wrong value) = %v, want ErrProof", err)
		}
		if len(p.Siblings) > 0 {
			s := append([]Hash(nil), p.Siblings...)
			s[0][3] ^= 1
			if err := VerifyMembership(root, k, v, s); err == nil {
				t.Fatalf("VerifyMembership(changed sibling) = nil")
			}
			if err := VerifyMembership(root, k, v, append(s[:len(s):len(s)], Empty)); !errors.Is(err, ErrNonCanonical) {
				t.Fatalf("VerifyMembership(padded with an empty sibling) = %v, want ErrNonCanonical", err)
			}
		}
	}
	for i := 0; i < 50; i++ { // absent keys
		k := key(1000 + i)
		p, err := m.Prove(k)
		if err != nil || p.Value != nil {
			t.Fatalf("Prove(absent) = %+v, %v", p, err)
		}
		if err := VerifyNonMembership(root, k, p.Other, p.Siblings); err != nil {
			t.Fatalf("VerifyNonMembership = %v", err)
		}
		if p.Other != nil {
			if err := VerifyNonMembership(root, p.Other.Key, p.Other, p.Siblings); err == nil {
				t.Fatalf("VerifyNonMembership of a present key = nil")
			}
		}
	}
	for i, old := range versions { // old versions unchanged
		if old.Root() != roots[i] {
			t.Errorf("version %d changed", i)
		}
	}
	var pairs []Pair
	for k, v := range ref {
		pairs = append(pairs, Pair{k, v})
	}
	b, err := Build(pairs)
	if err != nil || b.Root() != root || b.Len() != m.Len() {
		t.Errorf("Build = %x (%v), want %x", b.Root(), err, root)
	}
	if _, err := Build(append(pairs, pairs[0])); err == nil {
		t.Errorf("Build(duplicate key) = nil error")
	}
}

func TestSetMany(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	one, many := New(), New()
	for round := 0; round < 30; round++ {
		var batch []Pair
		for i := rng.IntN(40); i >= 0; i-- {
			batch = append(batch, Pair{key(rng.IntN(200)), val(rng.IntN(1000))}) // repeats within a batch too
		}
		for _, p := range batch {
			one = one.Set(p.Key, p.Value)
		}
		before := many.Root()
		next := many.SetMany(batch)
		if many.Root() != before {
			t.Fatalf("SetMany changed the old version")
		}
		many = next
		if one.Root() != many.Root() || one.Len() != many.Len() {
			t.Fatalf("round %d: SetMany root %x len %d, Set root %x len %d", round, many.Root(), many.Len(), one.Root(), one.Len())
		}
	}
}

func TestParseHex(t *testing.T) {
	h := []Hash{key(1), Empty}
	got, err := ParseHex(FormatHex(h))
	if err != nil || got[0] != h[0] || got[1] != h[1] {
		t.Fatalf("ParseHex(FormatHex) = %v, %v", got, err)
	}
	for _, bad := range [][]string{{"AB"}, {FormatHex(h)[0][:63] + "G"}, {string(bytes.ToUpper([]byte(FormatHex(h)[0])))}} {
		if _, err := ParseHex(bad); !errors.Is(err, ErrNonCanonical) {
			t.Errorf("ParseHex(%q) = %v", bad, err)
		}
	}
}

func FuzzVerify(f *testing.F) {
	m := New()
	for i := 0; i < 20; i++ {
		m = m.Set(key(i), val(i))
	}
	p, _ := m.Prove(key(3))
	var seed []byte
	for _, s := range p.Siblings {
		seed = append(seed, s[:]...)
	}
	f.Add(seed, byte(3))
	f.Add([]byte{}, byte(0))
	root := m.Root()
	f.Fuzz(func(t *testing.T, b []byte, which byte) {
		var sib []Hash
		for ; len(b) >= 32 && len(sib) < 300; b = b[32:] {
			sib = append(sib, Hash(b[:32]))
		}
		k := key(int(which % 20))
		v := val(int(which % 20))
		err := VerifyMembership(root, k, v, sib)
		if err == nil {
			want, _ := m.Prove(k)
			if len(want.Siblings) != len(sib) {
				t.Fatalf("accepted a proof of %d siblings, the canonical one has %d", len(sib), len(want.Siblings))
			}
			for i := range sib {
				if sib[i] != want.Siblings[i] {
					t.Fatalf("accepted a proof that differs from the canonical one at %d", i)
				}
			}
		}
	})
}

func FuzzTree(f *testing.F) {
	f.Add([]byte{1, 2, 3, 1, 200, 7})
	f.Fuzz(func(t *testing.T, ops []byte) {
		m, ref := New(), map[Hash]Hash{}
		for i, op := range ops {
			k, v := key(int(op%32)), val(i)
			m = m.Set(k, v)
			ref[k] = v
		}
		if got, want := m.Root(), refRoot(ref); got != want {
			t.Fatalf("Root() = %x, want %x", got, want)
		}
	})
}

func BenchmarkSet(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprint("entries=", n), func(b *testing.B) {
			pairs := make([]Pair, n)
			for i := range pairs {
				pairs[i] = Pair{key(i), val(i)}
			}
			m, _ := Build(pairs)
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				m = m.Set(key(i%n), val(i))
			}
		})
		b.Run(fmt.Sprint("batch-of-10000/entries=", n), func(b *testing.B) {
			pairs := make([]Pair, n)
			for i := range pairs {
				pairs[i] = Pair{key(i), val(i)}
			}
			m, _ := Build(pairs)
			batch := make([]Pair, 10000)
			b.ResetTimer()
			for r := 0; b.Loop(); r++ {
				for i := range batch {
					batch[i] = Pair{key(n + r*len(batch) + i), val(i)}
				}
				m = m.SetMany(batch)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/key")
		})
	}
}

func BenchmarkProveVerify(b *testing.B) {
	pairs := make([]Pair, 100_000)
	for i := range pairs {
		pairs[i] = Pair{key(i), val(i)}
	}
	m, _ := Build(pairs)
	root := m.Root()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		p, _ := m.Prove(key(i % len(pairs)))
		if err := VerifyMembership(root, p.Key, *p.Value, p.Siblings); err != nil {
			b.Fatal(err)
		}
	}
}

// TestVectors checks the map against testdata/vectors.json, written by
// testdata/vectors.py: a second, independent implementation of the
// specification (in the package comment and docs/receipt.md §6.3).
func TestVectors(t *testing.T) {
	raw, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	type hexPair struct{ Key, Value string }
	var vs struct {
		Vectors []struct {
			Name   string
			Pairs  []hexPair
			Root   string
			Proofs []struct {
				Key      string
				Value    *string
				Other    *hexPair
				Siblings []string
			}
		}
	}
	if err := json.Unmarshal(raw, &vs); err != nil || len(vs.Vectors) < 7 {
		t.Fatalf("vectors.json: %v, %d vectors", err, len(vs.Vectors))
	}
	h := func(s string) Hash {
		b, err := ParseHex([]string{s})
		if err != nil {
			t.Fatal(err)
		}
		return b[0]
	}
	for _, tc := range vs.Vectors {
		t.Run(tc.Name, func(t *testing.T) {
			var ps []Pair
			m := New()
			for _, p := range tc.Pairs {
				ps = append(ps, Pair{h(p.Key), h(p.Value)})
				m = m.Set(h(p.Key), h(p.Value))
			}
			b, err := Build(ps)
			if err != nil {
				t.Fatal(err)
			}
			root := h(tc.Root)
			if b.Root() != root || m.Root() != root {
				t.Fatalf("Root() = %x (Build) %x (Set), want %x", b.Root(), m.Root(), root)
			}
			for _, vp := range tc.Proofs {
				k := h(vp.Key)
				got, err := b.Prove(k)
				if err != nil {
					t.Fatal(err)
				}
				if want := strings.Join(vp.Siblings, ","); strings.Join(FormatHex(got.Siblings), ",") != want {
					t.Errorf("Prove(%s) siblings = %v, want %v", vp.Key, FormatHex(got.Siblings), vp.Siblings)
				}
				switch {
				case vp.Value != nil:
					if got.Value == nil || *got.Value != h(*vp.Value) {
						t.Errorf("Prove(%s) value = %v, want %s", vp.Key, got.Value, *vp.Value)
					}
					if err := VerifyMembership(root, k, h(*vp.Value), got.Siblings); err != nil {
						t.Errorf("VerifyMembership = %v", err)
					}
				default:
					var other *Pair
					if vp.Other != nil {
						other = &Pair{h(vp.Other.Key), h(vp.Other.Value)}
					}
					if got.Value != nil || (other == nil) != (got.Other == nil) || other != nil && *other != *got.Other {
						t.Errorf("Prove(%s) = %+v, want absent, other %v", vp.Key, got, vp.Other)
					}
					if err := VerifyNonMembership(root, k, other, got.Siblings); err != nil {
						t.Errorf("VerifyNonMembership = %v", err)
					}
				}
			}
		})
	}
	if _, err := exec.LookPath("python3"); err != nil || testing.Short() {
		return
	}
	out, err := exec.Command("python3", "testdata/vectors.py").Output()
	if err != nil {
		t.Fatalf("python3 testdata/vectors.py: %v", err)
	}
	if string(out) != string(raw) {
		t.Errorf("testdata/vectors.py writes other vectors than testdata/vectors.json")
	}
}
