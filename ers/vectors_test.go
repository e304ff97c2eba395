package ers

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/custos-project/custos/certs"
)

// The vectors of renewed records and of records each verifier must refuse
// (docs/evidence-records.md, "Test vectors of renewals and refusals"):
// one record of two items renewed as Custos renews them, and changes to
// it that must fail at a named step, ArchiveTimeStamp and error.
var renewalVectorsDir = filepath.Join("testdata", "vectors")

// renewalVectorItem is the data object whose hashes the vectors give.
var renewalVectorItem = []byte("Custos evidence record vector, item 0\n")

// ersVectors is manifest.json.
type ersVectors struct {
	About   string      `json:"about"`
	Certs   string      `json:"certs"` // PEM: the root (trusted), then intermediates
	Vectors []ersVector `json:"vectors"`
}

type ersVector struct {
	Name   string            `json:"name"`
	Record string            `json:"record"` // DER file
	Hashes map[string]string `json:"hashes"` // "SHA-256", "SHA-512" → hex of the data object's hash
	Valid  bool              `json:"valid"`
	Stamps int               `json:"stamps,omitempty"` // a valid record's ArchiveTimeStamps
	Step   string            `json:"step,omitempty"`   // where an invalid record fails: Decode, or a step of Verify
	Chain  int               `json:"chain,omitempty"`  // -1: the whole record
	Index  int               `json:"index,omitempty"`
	Error  string            `json:"error,omitempty"` // the sentinel: ErrMalformed, ErrMissingHash, ErrMismatch, ErrBadToken, ErrUntrusted
	Reason string            `json:"reason"`
}

var ersSentinels = map[string]error{
	"ErrMalformed": ErrMalformed, "ErrMissingHash": ErrMissingHash, "ErrMismatch": ErrMismatch,
	"ErrBadToken": ErrBadToken, "ErrUntrusted": ErrUntrusted,
}

// TestRenewalVectors checks every committed vector: it decodes and
// re-encodes to the same bytes, and verifies (with its stamps) or fails
// at its step, ArchiveTimeStamp and error, under the committed
// certificates with no other option.
func TestRenewalVectors(t *testing.T) {
	m, files := readRenewalVectors(t, renewalVectorsDir)
	roots, inter := vectorTrust(t, files[m.Certs])
	for _, v := range m.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			if v.Step == "Decode" {
				if _, err := Decode(files[v.Record]); !errors.Is(err, ersSentinels[v.Error]) {
					t.Fatalf("Decode(%s) = %v; want %s", v.Name, err, v.Error)
				}
				return
			}
			r := roundTrip(t, mustDecode(t, files[v.Record]))
			hs := Hashes{}
			for alg, hx := range v.Hashes {
				h, err := hex.DecodeString(hx)
				if err != nil {
					t.Fatal(err)
				}
				alg, ok := ParseHash(alg)
				if !ok {
					t.Fatalf("unknown hash %s", alg)
				}
				hs[alg] = h
			}
			res, err := Verify(r, hs, VerifyOptions{Roots: roots, Intermediates: inter})
			if v.Valid {
				if err != nil || len(res.Stamps) != v.Stamps {
					t.Fatalf("Verify(%s) = %v, %v; want valid with %d stamps", v.Name, res, err, v.Stamps)
				}
				return
			}
			var ve *VerifyError
			if !errors.As(err, &ve) || ve.Step != v.Step || ve.Chain != v.Chain || ve.Index != v.Index || !errors.Is(err, ersSentinels[v.Error]) {
				t.Fatalf("Verify(%s) = %v; want %s at chain %d, index %d, %s", v.Name, err, v.Step, v.Chain, v.Index, v.Error)
			}
		})
	}
	steps := map[string]bool{}
	for _, v := range m.Vectors {
		steps[v.Step] = true
	}
	for _, s := range []string{"Decode", "checkStructure", "checkDataHash", "checkRenewal", "checkRoot", "checkToken", "checkValidity"} {
		if !steps[s] {
			t.Errorf("no vector fails at %s", s)
		}
	}
}

// TestRenewalVectorsRegenerate makes the vectors again, deterministically
// (testing/cryptotest fixes crypto/rand), and compares them with the
// committed files; CUSTOS_UPDATE_GOLDEN=1 rewrites them.
func TestRenewalVectorsRegenerate(t *testing.T) {
	dir := t.TempDir()
	writeRenewalVectors(t, dir)
	_, got := readRenewalVectors(t, dir)
	if os.Getenv("CUSTOS_UPDATE_GOLDEN") == "1" {
		if err := os.RemoveAll(renewalVectorsDir); err != nil {
			t.Fatal(err)
		}
		writeRenewalVectors(t, renewalVectorsDir)
		return
	}
	_, want := readRenewalVectors(t, renewalVectorsDir)
	if len(got) != len(want) {
		t.Fatalf("the generator writes %d files, %d are committed (CUSTOS_UPDATE_GOLDEN=1 to rewrite them)", len(got), len(want))
	}
	for name, b := range want {
		if !bytes.Equal(got[name], b) {
			t.Errorf("%s differs from what the generator writes (CUSTOS_UPDATE_GOLDEN=1 to rewrite it)", name)
		}
	}
}

func readRenewalVectors(t testing.TB, dir string) (*ersVectors, map[string][]byte) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = b
	}
	var m ersVectors
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	return &m, files
}

func vectorTrust(t *testing.T, pem []byte) (*x509.CertPool, []*x509.Certificate) {
	t.Helper()
	cs, err := certs.ParsePEM(pem)
	if err != nil || len(cs) < 2 {
		t.Fatalf("certs.ParsePEM = %d certificates, %v", len(cs), err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cs[0])
	return roots, cs[1:]
}

// writeRenewalVectors is the generator: two items built into one batch by
// TSA A, renewed twice by TSA B (time-stamp renewals, RFC 4998 §5.2),
// renewed with SHA-512 by TSA C (hash-tree renewal) and once more by TSA
// C; the record of item 0 at three of those stages, then changed.
func writeRenewalVectors(t *testing.T, dir string) {
	cryptotest.SetGlobalRandom(t, 4998)
	ctx := context.Background()
	p := newTestPKI(t)
	a := p.tsa(t, "Vector TSA A", t0)
	data := [][]byte{renewalVectorItem, []byte("Custos evidence record vector, item 1\n")}
	fresh := records(build(t, a, data))
	b := p.tsa(t, "Vector TSA B", t0.Add(4*365*24*time.Hour))
	ts1, err := RenewTimeStamps(ctx, fresh, b.stamper())
	if err != nil {
		t.Fatal(err)
	}
	b.now = b.now.Add(365 * 24 * time.Hour)
	ts2, err := RenewTimeStamps(ctx, ts1, b.stamper())
	if err != nil {
		t.Fatal(err)
	}
	c := p.tsa(t, "Vector TSA C", t0.Add(6*365*24*time.Hour))
	ht, err := RenewHashTree(ctx, crypto.SHA512, ts2, hashesOf(crypto.SHA512, data), c.stamper())
	if err != nil {
		t.Fatal(err)
	}
	c.now = c.now.Add(24 * time.Hour)
	ht2, err := RenewTimeStamps(ctx, ht, c.stamper())
	if err != nil {
		t.Fatal(err)
	}
	// A renewal by a TSA whose certificate was issued after TSA A's had
	// expired: too late.
	late := p.tsa(t, "Vector TSA Late", a.leaf.Cert.NotAfter.Add(24*time.Hour))
	tooLate, err := RenewTimeStamps(ctx, fresh, late.stamper())
	if err != nil {
		t.Fatal(err)
	}

	item, other := hashes(data[0]), hashes([]byte("another data object"))
	hexes := func(h Hashes, algs ...crypto.Hash) map[string]string {
		m := map[string]string{}
		for _, alg := range algs {
			m[alg.String()] = hex.EncodeToString(h[alg])
		}
		return m
	}
	both := hexes(item, crypto.SHA256, crypto.SHA512)
	m := ersVectors{About: "RFC 4998 evidence record vectors, format in docs/evidence-records.md. Generated by ers/vectors_test.go; do not edit.",
		Certs: "certs.pem"}
	files := map[string][]byte{"certs.pem": certs.EncodePEM(p.root.Cert, p.org.Cert, a.leaf.Cert, b.leaf.Cert, c.leaf.Cert, late.leaf.Cert)}
	add := func(v ersVector, r *Record) {
		v.Record = v.Name + ".der"
		files[v.Record] = r.Encode()
		m.Vectors = append(m.Vectors, v)
	}
	changed := func(change func(r *Record)) *Record {
		r := ht2[0].Clone()
		change(r)
		return r
	}
	add(ersVector{Name: "fresh", Hashes: hexes(item, crypto.SHA256), Valid: true, Stamps: 1,
		Reason: "one ArchiveTimeStamp of SHA-256 over a reduced hash tree of two leaves"}, fresh[0])
	add(ersVector{Name: "timestamp-renewed", Hashes: hexes(item, crypto.SHA256), Valid: true, Stamps: 3,
		Reason: "two time-stamp renewals by TSA B: the second covers the hashes of both earlier timeStamps"}, ts2[0])
	add(ersVector{Name: "hash-tree-renewed", Hashes: both, Valid: true, Stamps: 5,
		Reason: "a hash-tree renewal with SHA-512 by TSA C (a second chain over H(h(d) || H(the first chain's sequence))), then a time-stamp renewal of that chain"}, ht2[0])
	for _, v := range []struct {
		ersVector
		change func(r *Record)
	}{
		{ersVector{Name: "without-sha512-hash", Hashes: hexes(item, crypto.SHA256), Step: "checkStructure", Chain: 1, Error: "ErrMissingHash",
			Reason: "the record has a SHA-512 chain and only the data's SHA-256 is given"}, func(*Record) {}},
		{ersVector{Name: "digest-algorithms-incomplete", Hashes: both, Step: "checkStructure", Chain: -1, Error: "ErrMalformed",
			Reason: "digestAlgorithms lists SHA-256 only, the chains use SHA-512 too"}, func(r *Record) { r.DigestAlgorithms = r.DigestAlgorithms[:1] }},
		{ersVector{Name: "other-data", Hashes: hexes(other, crypto.SHA256, crypto.SHA512), Step: "checkDataHash", Error: "ErrMismatch",
			Reason: "the hashes of another data object: not in the first reduced hash tree"}, func(*Record) {}},
		{ersVector{Name: "other-data-sha512", Hashes: map[string]string{"SHA-256": both["SHA-256"], "SHA-512": hex.EncodeToString(other[crypto.SHA512])},
			Step: "checkDataHash", Chain: 1, Error: "ErrMismatch",
			Reason: "the right SHA-256 but another object's SHA-512: the hash-tree renewal's covered hash differs"}, func(*Record) {}},
		{ersVector{Name: "sibling-altered", Hashes: both, Step: "checkRoot", Error: "ErrMismatch",
			Reason: "one bit of the sibling in the first reduced hash tree flipped: the root is not the time-stamped one"},
			func(r *Record) { r.Chains[0][0].Tree[0][1][0] ^= 1 }},
		{ersVector{Name: "renewal-misses-previous", Hashes: both, Step: "checkRenewal", Index: 2, Error: "ErrMismatch",
			Reason: "the second time-stamp renewal's first partial hash tree lacks H(timeStamp) of an earlier ArchiveTimeStamp"},
			func(r *Record) { r.Chains[0][2].Tree[0][0][0] ^= 1 }},
		{ersVector{Name: "renewal-dropped", Hashes: both, Step: "checkDataHash", Chain: 1, Error: "ErrMismatch",
			Reason: "the last ArchiveTimeStamp of the first chain removed: the hash-tree renewal covered the chain with it"},
			func(r *Record) { r.Chains[0] = r.Chains[0][:2] }},
		{ersVector{Name: "token-altered", Hashes: both, Step: "checkToken", Index: 1, Error: "ErrBadToken",
			Reason: "one bit of the first renewal's token signature flipped"},
			func(r *Record) { ts := r.Chains[0][1].TimeStamp; ts[len(ts)-3] ^= 1 }},
		{ersVector{Name: "renewals-swapped", Hashes: both, Step: "checkValidity", Index: 0, Error: "ErrUntrusted",
			Reason: "the two time-stamp renewals in the other order: the first time-stamp, renewed now by the later one, was no longer valid then"},
			func(r *Record) { r.Chains[0][1], r.Chains[0][2] = r.Chains[0][2], r.Chains[0][1] }},
	} {
		add(v.ersVector, changed(v.change))
	}
	add(ersVector{Name: "renewed-after-expiry", Hashes: hexes(item, crypto.SHA256), Step: "checkValidity", Index: 0, Error: "ErrUntrusted",
		Reason: "renewed a day after TSA A's certificate expired: the first time-stamp was no longer valid when renewed"}, tooLate[0])
	addNaryVectors(t, a, data[0], add)
	mj, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	files["manifest.json"] = append(mj, '\n')
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// addNaryVectors adds the records of an n-ary tree over item (RFC 4998
// §4.2 allows any arity; Custos writes binary trees), each time-stamped by
// a: its reduced hash tree {l0, l1, l2}, {n1, n2}, {m} (newNaryTree) and
// changes to it.
func addNaryVectors(t *testing.T, a *testTSA, item []byte, add func(ersVector, *Record)) {
	h := crypto.SHA256
	nary := newNaryTree(h, sum(h, item))
	record := func(tree []PartialHashtree, root []byte) *Record {
		tok, _, err := stamp(context.Background(), a.stamper(), h, root)
		if err != nil {
			t.Fatal(err)
		}
		return &Record{DigestAlgorithms: []crypto.Hash{h}, Chains: []Chain{{{Hash: h, Tree: tree, TimeStamp: tok}}}}
	}
	r := record(nary.path, nary.root)
	n12 := hashSorted(h, nary.path[1])
	firstLevel := []PartialHashtree{nary.path[0], {n12}}
	first := record(firstLevel, hashPair(h, hashSorted(h, nary.path[0]), n12))
	subtree := record(nary.path, hashPair(h, hashPair(h, hashSorted(h, nary.path[0]), n12), nary.m))
	sha := map[string]string{"SHA-256": hex.EncodeToString(sum(h, item))}
	add(ersVector{Name: "n-ary", Hashes: sha, Valid: true, Stamps: 1,
		Reason: "a tree of another producer, of mixed arity: the reduced hash tree {l0, l1, l2}, {n1, n2}, {m}; the root is H(sort(H(sort(H(sort(l0, l1, l2)), n1, n2)), m)) (RFC 4998 §4.3 step 3)"}, r)
	add(ersVector{Name: "n-ary-first-level", Hashes: sha, Valid: true, Stamps: 1,
		Reason: "three leaves in the first PartialHashtree, then one hash: the root is H(sort(H(sort(l0, l1, l2)), n12))"}, first)
	unsorted := r.Clone()
	for _, p := range unsorted.Chains[0][0].Tree {
		slices.Reverse(p)
	}
	add(ersVector{Name: "n-ary-unsorted", Hashes: sha, Valid: true, Stamps: 1,
		Reason: "the n-ary record with the values of each PartialHashtree in descending order: a verifier sorts them, the root is the same"}, unsorted)
	missing := r.Clone()
	missing.Chains[0][0].Tree[1] = missing.Chains[0][0].Tree[1][1:]
	add(ersVector{Name: "n-ary-hash-missing", Hashes: sha, Step: "checkRoot", Error: "ErrMismatch",
		Reason: "the n-ary record with one of the two hashes of its second PartialHashtree removed"}, missing)
	add(ersVector{Name: "n-ary-subtree-root", Hashes: sha, Step: "checkRoot", Error: "ErrMismatch",
		Reason: "the n-ary reduced hash tree time-stamped over H(sort(H(sort(H(sort(l0, l1, l2)), H(sort(n1, n2)))), m)): the second PartialHashtree read as one subtree node paired with the running hash, which RFC 4998 §4.3 does not allow (Bouncy Castle 1.72 reads it so)"}, subtree)
	short := r.Clone()
	v := short.Chains[0][0].Tree[1][0]
	short.Chains[0][0].Tree[1][0] = v[:len(v)-1]
	add(ersVector{Name: "n-ary-short-hash", Hashes: sha, Step: "Decode", Error: "ErrMalformed",
		Reason: "the n-ary record with a value of 31 bytes in its second PartialHashtree, where SHA-256 hashes have 32"}, short)
}
