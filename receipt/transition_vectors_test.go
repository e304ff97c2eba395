package receipt

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmtversion "github.com/cometbft/cometbft/proto/tendermint/version"
	"github.com/cometbft/cometbft/types"
	"github.com/cometbft/cometbft/version"
)

// The transition vectors (testdata/transitions) are generated here from
// real CometBFT types and fixed keys, and checked by regenerating them:
// `go test ./receipt -run TestTransitionVectors -add` writes them.
// A genesis set of 4 validators goes through 10 changes, ending with none
// of the genesis keys; change k is applied at height 10k, so its
// transition is the header at 10k+1 and the new set signs from 10k+2.

const transitionDir = "testdata/transitions"

// tkey is fixed key n.
func tkey(n int) cmted25519.PrivKey {
	return cmted25519.GenPrivKeyFromSecret(fmt.Appendf(nil, "custos transition vector key %d", n))
}

// tmember is a validator of an era: key number and power.
type tmember struct{ key, power int }

// transitionEras are the validator sets: era 0 is genesis, era k follows
// change k.
var transitionEras = [][]tmember{
	{{0, 10}, {1, 10}, {2, 10}, {3, 10}},
	{{0, 10}, {1, 10}, {2, 10}, {3, 10}, {4, 10}},          // 1: admit 4
	{{5, 10}, {1, 10}, {2, 10}, {3, 10}, {4, 10}},          // 2: rotate 0 → 5
	{{5, 10}, {1, 20}, {2, 10}, {3, 10}, {4, 10}},          // 3: power of 1 → 20
	{{5, 10}, {1, 20}, {3, 10}, {4, 10}},                   // 4: remove 2
	{{5, 10}, {1, 20}, {3, 10}, {4, 10}, {6, 10}},          // 5: admit 6
	{{5, 10}, {1, 20}, {7, 10}, {4, 10}, {6, 10}},          // 6: rotate 3 → 7
	{{5, 10}, {1, 20}, {7, 10}, {4, 10}, {6, 10}, {8, 10}}, // 7: admit 8
	{{5, 10}, {7, 10}, {4, 10}, {6, 10}, {8, 10}},          // 8: remove 1
	{{5, 10}, {7, 10}, {9, 10}, {6, 10}, {8, 10}},          // 9: rotate 4 → 9
	{{10, 10}, {7, 10}, {9, 10}, {6, 10}, {8, 10}},         // 10: rotate 5 → 10
}

func tset(members []tmember) *types.ValidatorSet {
	vals := make([]*types.Validator, len(members))
	for i, m := range members {
		vals[i] = types.NewValidator(tkey(m.key).PubKey(), int64(m.power))
	}
	return types.NewValidatorSet(vals)
}

func tkeys() map[string]cmted25519.PrivKey {
	keys := map[string]cmted25519.PrivKey{}
	for n := 0; n <= 20; n++ {
		k := tkey(n)
		keys[k.PubKey().Address().String()] = k
	}
	return keys
}

// theader is one header to sign: vals sign it (those for which sign is
// true, all if sign is nil), next is its next validator set.
type theader struct {
	chainID    string
	height     int64
	vals, next *types.ValidatorSet
	appHash    []byte
	sign       func(val *types.Validator) bool
	keys       map[string]cmted25519.PrivKey // nil: tkeys()
}

func (h theader) signed(t testing.TB) string {
	t.Helper()
	fill := func(tag string) []byte { s := sha256.Sum256(fmt.Appendf(nil, "%s %d", tag, h.height)); return s[:] }
	when := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(h.height) * time.Minute)
	hd := &types.Header{
		Version: cmtversion.Consensus{Block: version.BlockProtocol, App: 1},
		ChainID: h.chainID, Height: h.height, Time: when,
		LastBlockID:    types.BlockID{Hash: fill("last block"), PartSetHeader: types.PartSetHeader{Total: 1, Hash: fill("last parts")}},
		LastCommitHash: fill("last commit"), DataHash: fill("data"),
		ValidatorsHash: h.vals.Hash(), NextValidatorsHash: h.next.Hash(),
		ConsensusHash: fill("consensus"), AppHash: h.appHash, LastResultsHash: fill("results"),
		EvidenceHash: fill("evidence"), ProposerAddress: h.vals.GetProposer().Address,
	}
	if hd.AppHash == nil {
		hd.AppHash = fill("app")
	}
	keys := h.keys
	if keys == nil {
		keys = tkeys()
	}
	blockID := types.BlockID{Hash: hd.Hash(), PartSetHeader: types.PartSetHeader{Total: 1, Hash: fill("parts")}}
	commit := &types.Commit{Height: h.height, BlockID: blockID, Signatures: make([]types.CommitSig, h.vals.Size())}
	for i, val := range h.vals.Validators {
		if h.sign != nil && !h.sign(val) {
			commit.Signatures[i] = types.NewCommitSigAbsent()
			continue
		}
		vote := &types.Vote{Type: cmtproto.PrecommitType, Height: h.height, BlockID: blockID,
			Timestamp: when.Add(time.Duration(i+1) * time.Second), ValidatorAddress: val.Address, ValidatorIndex: int32(i)}
		sig, err := keys[val.Address.String()].Sign(types.VoteSignBytes(h.chainID, vote.ToProto()))
		check(t, err)
		commit.Signatures[i] = types.CommitSig{BlockIDFlag: types.BlockIDFlagCommit, ValidatorAddress: val.Address,
			Timestamp: vote.Timestamp, Signature: sig}
	}
	b, err := (&types.SignedHeader{Header: hd, Commit: commit}).ToProto().Marshal()
	check(t, err)
	return base64.StdEncoding.EncodeToString(b)
}

func tsetB64(t testing.TB, vs *types.ValidatorSet) string {
	t.Helper()
	p, err := vs.ToProto()
	check(t, err)
	b, err := p.Marshal()
	check(t, err)
	return base64.StdEncoding.EncodeToString(b)
}

// ttransition is change k's transition, signed by the set before it.
func ttransition(t testing.TB, chainID string, k int, sign func(*types.Validator) bool) Transition {
	prev, next := tset(transitionEras[k-1]), tset(transitionEras[k])
	h := theader{chainID: chainID, height: int64(10*k + 1), vals: prev, next: next, sign: sign}
	return Transition{Height: h.height, SignedHeader: h.signed(t), NextValidatorSet: tsetB64(t, next)}
}

// tskip is change k's transition carrying its signing set, for skipping.
func tskip(t testing.TB, k int) Transition {
	tr := ttransition(t, fixtureChainID, k, nil)
	tr.ValidatorSet = tsetB64(t, tset(transitionEras[k-1]))
	return tr
}

// tcheckpoint is a checkpoint at height signed by set (next: the same).
func tcheckpoint(t testing.TB, height int64, set *types.ValidatorSet, ts []Transition) Checkpoint {
	root := sha256.Sum256(fmt.Appendf(nil, "root %d", height))
	size := uint64(height * 3)
	h := theader{chainID: fixtureChainID, height: height, vals: set, next: set, appHash: AppHash(size, root[:])}
	return Checkpoint{ChainID: fixtureChainID, Height: height, TreeSize: size, Root: fmt.Sprintf("%x", root),
		SignedHeader: h.signed(t), ValidatorSet: tsetB64(t, set), Transitions: ts}
}

// transitionCase is one vector: a checkpoint (with its own transitions, as
// in a version-4 receipt), a companion list, the trust bundle to use, and
// the outcome: Step and Error empty when it verifies.
type transitionCase struct {
	Name        string       `json:"name"`
	About       string       `json:"about"`
	Trust       string       `json:"trust"` // file in testdata/transitions
	Checkpoint  Checkpoint   `json:"checkpoint"`
	Companion   []Transition `json:"companion,omitempty"`
	Signers     int          `json:"signers,omitempty"`     // validators whose signature verified, when it verifies
	Transitions int          `json:"transitions,omitempty"` // transitions followed, when it verifies
	Step        string       `json:"step,omitempty"`
	Error       string       `json:"error,omitempty"`
}

// buildTransitionVectors makes every file of testdata/transitions, and
// runs each case to record its outcome.
func buildTransitionVectors(t testing.TB) map[string][]byte {
	t.Helper()
	base, err := ParseTrust(must(os.ReadFile("testdata/trust.json")))
	check(t, err)
	trust := &Trust{Version: 1, ChainID: fixtureChainID, RootPEM: base.RootPEM}
	genesis := tset(transitionEras[0])
	for i, val := range genesis.Validators {
		trust.Validators = append(trust.Validators, Validator{Name: fmt.Sprintf("Member %d", i+1), Kind: "court",
			PubKey: base64.StdEncoding.EncodeToString(val.PubKey.Bytes()), Power: val.VotingPower})
	}
	var all []Transition
	for k := 1; k < len(transitionEras); k++ {
		all = append(all, ttransition(t, fixtureChainID, k, nil))
	}
	bundle2 := *trust
	bundle2.Version = TrustVersion2
	bundle2.Transitions = all
	bundle2.TransitionsThrough = all[len(all)-1].Height
	for _, val := range tset(transitionEras[len(transitionEras)-1]).Validators {
		bundle2.ValidatorsCurrent = append(bundle2.ValidatorsCurrent, Validator{
			PubKey: base64.StdEncoding.EncodeToString(val.PubKey.Bytes()), Power: val.VotingPower})
	}
	era := func(k int) *types.ValidatorSet { return tset(transitionEras[k]) }
	at := func(k int) int64 { return int64(10*k + 5) }
	// signedBy lets only the validators with these keys sign.
	signedBy := func(keys ...int) func(*types.Validator) bool {
		return func(val *types.Validator) bool {
			for _, n := range keys {
				if bytes.Equal(val.PubKey.Bytes(), tkey(n).PubKey().Bytes()) {
					return true
				}
			}
			return false
		}
	}
	forged := ttransition(t, fixtureChainID, 1, nil)
	{ // outsiders 11–14 name themselves the set and sign the header
		outsiders := tset([]tmember{{11, 10}, {12, 10}, {13, 10}, {14, 10}})
		h := theader{chainID: fixtureChainID, height: 11, vals: outsiders, next: era(1)}
		forged = Transition{Height: 11, SignedHeader: h.signed(t), NextValidatorSet: tsetB64(t, era(1)), ValidatorSet: tsetB64(t, outsiders)}
	}
	badNext := ttransition(t, fixtureChainID, 1, nil)
	badNext.NextValidatorSet = tsetB64(t, era(2))
	unvoted := tset(append([]tmember{{15, 10}}, transitionEras[0]...))
	cases := []transitionCase{
		{Name: "era0", About: "a checkpoint signed by the genesis set, no transitions", Trust: "trust.json",
			Checkpoint: tcheckpoint(t, at(0), era(0), nil), Signers: 4},
		{Name: "era1", About: "a checkpoint after change 1, carrying transition 1", Trust: "trust.json",
			Checkpoint: tcheckpoint(t, at(1), era(1), all[:1]), Signers: 5, Transitions: 1},
		{Name: "era5", About: "a checkpoint after change 5, carrying transitions 1–5", Trust: "trust.json",
			Checkpoint: tcheckpoint(t, at(5), era(5), all[:5]), Signers: 5, Transitions: 5},
		{Name: "era10", About: "a checkpoint after change 10 (no genesis key left), carrying all 10 transitions", Trust: "trust.json",
			Checkpoint: tcheckpoint(t, at(10), era(10), all), Signers: 5, Transitions: 10},
		{Name: "era5-companion", About: "the era-5 checkpoint without transitions, all 10 given as a companion list (those after it are not followed)", Trust: "trust.json",
			Checkpoint: tcheckpoint(t, at(5), era(5), nil), Companion: all, Signers: 5, Transitions: 5},
		{Name: "era10-bundle2", About: "the era-10 checkpoint without transitions, verified with the version-2 bundle", Trust: "bundle-v2.json",
			Checkpoint: tcheckpoint(t, at(10), era(10), nil), Signers: 5, Transitions: 10},
		{Name: "era5-skipping", About: "era 5 through transitions 1, 3 and 5, skipping 2 and 4 (overlaps 40/50 and 50/60)", Trust: "trust.json",
			Checkpoint: tcheckpoint(t, at(5), era(5), []Transition{all[0], tskip(t, 3), tskip(t, 5)}), Signers: 5, Transitions: 3},
		{Name: "skip-exactly-two-thirds", About: "skipping from era 3 to change 7, whose signers overlap era 3 by exactly 2/3 (40/60)", Trust: "trust.json",
			Checkpoint: tcheckpoint(t, at(7), era(7), []Transition{all[0], tskip(t, 3), tskip(t, 7)})},
		{Name: "signed-exactly-two-thirds", About: "transition 4 signed by exactly 2/3 of era 3's power (40/60)", Trust: "trust.json",
			Checkpoint: tcheckpoint(t, at(4), era(4), []Transition{all[0], all[1], all[2], ttransition(t, fixtureChainID, 4, signedBy(1, 2, 3))})},
		{Name: "forged-outsiders", About: "transition 1 signed by four keys outside the trusted set, naming themselves its validators", Trust: "trust.json",
			Checkpoint: tcheckpoint(t, at(1), era(1), []Transition{forged})},
		{Name: "left-out", About: "transition 2 left out", Trust: "trust.json",
			Checkpoint: tcheckpoint(t, at(3), era(3), []Transition{all[0], all[2]})},
		{Name: "out-of-order", About: "transitions 1, 2, 1", Trust: "trust.json",
			Checkpoint: tcheckpoint(t, at(2), era(2), []Transition{all[0], all[1], all[0]})},
		{Name: "bad-next-set", About: "transition 1 carrying era 2's set as its next set", Trust: "trust.json",
			Checkpoint: tcheckpoint(t, at(1), era(1), []Transition{badNext})},
		{Name: "other-chain", About: "transition 1 from another chain, signed by the same keys", Trust: "trust.json",
			Checkpoint: tcheckpoint(t, at(1), era(1), []Transition{ttransition(t, "custos-other-1", 1, nil)})},
		{Name: "old-set-after-change", About: "a checkpoint after change 1 signed by the genesis set", Trust: "trust.json",
			Checkpoint: tcheckpoint(t, at(1), era(0), all[:1])},
		{Name: "admitted-without-vote", About: "a checkpoint signed by the genesis set plus a member no transition admitted", Trust: "trust.json",
			Checkpoint: tcheckpoint(t, at(0), unvoted, nil)},
		{Name: "transition-after-checkpoint", About: "an era-1 checkpoint carrying transitions 1 and 2", Trust: "trust.json",
			Checkpoint: tcheckpoint(t, at(1), era(1), all[:2])},
	}
	files := map[string][]byte{}
	put := func(name string, v any) {
		b, err := json.MarshalIndent(v, "", "  ")
		check(t, err)
		files[name] = append(b, '\n')
	}
	put("trust.json", trust)
	put("bundle-v2.json", &bundle2)
	put("transitions.json", all)
	bundles := map[string]*Trust{"trust.json": trust, "bundle-v2.json": &bundle2}
	for i := range cases {
		c := &cases[i]
		res, err := runTransitionCase(bundles[c.Trust], c)
		var verr *VerifyError
		switch {
		case err == nil:
			c.Signers, c.Transitions = len(res.Signers), res.Transitions
		case errors.As(err, &verr):
			c.Step, c.Error = verr.Step, verr.Error()
		default:
			t.Fatalf("%s: %v", c.Name, err)
		}
	}
	put("cases.json", cases)
	v4, v3, companion := afterChangeReceipts(t)
	files["receipt-v4.json"] = encode(t, v4) // canonical: no final newline
	files["receipt-v3-after-change.json"] = encode(t, v3)
	put("receipt-companion.json", companion)
	return files
}

// afterChangeReceipts builds, from §7's vector inputs (testdata/vectors:
// trust.json, inputs.json, evidence.txt), the complete version-3 receipt
// re-signed at its height 12 by the set after one change (tkey(4) admitted
// with power 10 at height 4; its transition is the header at 5): as a
// version-4 receipt carrying the transition, as a version-3 receipt
// without it, and the companion list that the latter needs.
func afterChangeReceipts(t testing.TB) (v4, v3 *Receipt, companion []Transition) {
	t.Helper()
	b := loadVectorBase(t)
	r := b.receipt(t, receiptOpts{v3: true, since: 2})
	var sh pbSignedHeader
	check(t, unmarshalCanonical(r.Checkpoint.SignedHeader, &sh))
	keys := tkeys()
	for a, k := range b.vals.keys {
		keys[a] = k
	}
	list := []*types.Validator{types.NewValidator(tkey(4).PubKey(), 10)}
	for _, val := range b.vals.set.Validators {
		list = append(list, types.NewValidator(val.PubKey, val.VotingPower))
	}
	after := types.NewValidatorSet(list)
	tr := theader{chainID: fixtureChainID, height: 5, vals: b.vals.set, next: after, keys: keys}
	companion = []Transition{{Height: 5, SignedHeader: tr.signed(t), NextValidatorSet: tsetB64(t, after)}}
	cp := theader{chainID: fixtureChainID, height: fixtureHeight, vals: after, next: after, appHash: sh.Header.AppHash, keys: keys}
	r.Checkpoint.SignedHeader, r.Checkpoint.ValidatorSet = cp.signed(t), tsetB64(t, after)
	v3 = r
	v4c := *r
	v4c.Version, v4c.Checkpoint.Transitions = Version4, companion
	return &v4c, v3, companion
}

// TestAfterChangeReceipts: the version-4 receipt verifies with its file
// and §7's genesis trust bundle; the same receipt without its transitions
// (version 3) fails at step checkpoint, and verifies with the companion.
func TestAfterChangeReceipts(t *testing.T) {
	read := func(name string) []byte { return must(os.ReadFile(filepath.Join(transitionDir, name))) }
	tr, err := ParseTrust(must(os.ReadFile(filepath.Join(vectorDir, "trust.json"))))
	check(t, err)
	file := must(os.ReadFile(filepath.Join(vectorDir, "evidence.txt")))
	v4, err := Parse(read("receipt-v4.json"))
	check(t, err)
	res, err := Verify(v4, bytes.NewReader(file), tr, Options{})
	if err != nil || res.Version != Version4 || res.Checkpoint.Transitions != 1 || len(res.Checkpoint.Signers) != 5 || !res.Custody.Complete {
		t.Fatalf("Verify(receipt-v4) = %+v, %v", res, err)
	}
	v3, err := Parse(read("receipt-v3-after-change.json"))
	check(t, err)
	var verr *VerifyError
	if _, err := Verify(v3, bytes.NewReader(file), tr, Options{}); !errors.As(err, &verr) || verr.Step != StepCheckpoint {
		t.Fatalf("Verify(receipt-v3-after-change, no companion) = %v, want a failure at step checkpoint", err)
	}
	companion, err := ParseCompanion(read("receipt-companion.json"))
	check(t, err)
	if res, err := Verify(v3, bytes.NewReader(file), tr, Options{Transitions: companion}); err != nil || res.Checkpoint.Transitions != 1 {
		t.Fatalf("Verify(receipt-v3-after-change, companion) = %+v, %v", res, err)
	}
	// A version-3 receipt may not carry transitions, nor a version-4 one lack them.
	bad := *v4
	bad.Version = Version3
	if err := bad.check(); !errors.Is(err, ErrMalformed) {
		t.Errorf("version 3 with transitions: check() = %v, want ErrMalformed", err)
	}
	bad = *v3
	bad.Version = Version4
	if err := bad.check(); !errors.Is(err, ErrMalformed) {
		t.Errorf("version 4 without transitions: check() = %v, want ErrMalformed", err)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func runTransitionCase(trust *Trust, c *transitionCase) (CheckpointResult, error) {
	v, err := NewVerifier(trust)
	if err != nil {
		return CheckpointResult{}, err
	}
	if err := c.Checkpoint.check(); err != nil {
		return CheckpointResult{}, &VerifyError{Step: StepFormat, Err: err}
	}
	return v.checkpointWith(&c.Checkpoint, c.Companion)
}

// TestTransitionVectors regenerates testdata/transitions and compares it
// with the committed files (or writes them with -add), then checks each
// committed case: it verifies, or fails at its step with its message, as
// recorded; and the expectations below hold whatever was recorded.
func TestTransitionVectors(t *testing.T) {
	files := buildTransitionVectors(t)
	for name, want := range files {
		path := filepath.Join(transitionDir, name)
		if *addVectors {
			check(t, os.MkdirAll(transitionDir, 0o755))
			check(t, os.WriteFile(path, want, 0o644))
			continue
		}
		got, err := os.ReadFile(path)
		check(t, err)
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what the generator makes: run go test ./receipt -run TestTransitionVectors -add and review the diff", path)
		}
	}
	var cases []transitionCase
	check(t, json.Unmarshal(must(os.ReadFile(filepath.Join(transitionDir, "cases.json"))), &cases))
	bundles := map[string]*Trust{}
	for _, name := range []string{"trust.json", "bundle-v2.json"} {
		tr, err := ParseTrust(must(os.ReadFile(filepath.Join(transitionDir, name))))
		check(t, err)
		bundles[name] = tr
	}
	wantFail := map[string]string{ // case → words its message must hold
		"skip-exactly-two-thirds":     "too few validators of the set in force signed",
		"signed-exactly-two-thirds":   "too few validators signed the transition",
		"forged-outsiders":            "too few validators of the set in force signed",
		"left-out":                    "a transition is missing",
		"out-of-order":                "out of order",
		"bad-next-set":                "not the one the header names",
		"other-chain":                 "from another chain",
		"old-set-after-change":        "not the validators in force at its height",
		"admitted-without-vote":       "does not list",
		"transition-after-checkpoint": "at or after its checkpoint",
	}
	// Each case runs on a fresh verifier, then twice more on one verifier
	// per bundle, whose caches (eras, checkpoints) must not change any
	// outcome.
	shared := map[string]*Verifier{}
	for name, tr := range bundles {
		v, err := NewVerifier(tr)
		check(t, err)
		shared[name] = v
	}
	for run := 0; run < 3; run++ {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/run=%d", c.Name, run), func(t *testing.T) {
				runCase(t, c, wantFail, shared[c.Trust], run > 0, bundles)
			})
		}
	}
}

// runCase runs one committed case, on a fresh verifier or on shared, and
// compares the outcome with the recorded one.
func runCase(t *testing.T, c transitionCase, wantFail map[string]string, shared *Verifier, useShared bool, bundles map[string]*Trust) {
	var res CheckpointResult
	var err error
	if useShared {
		if err = c.Checkpoint.check(); err == nil {
			res, err = shared.checkpointWith(&c.Checkpoint, c.Companion)
		}
	} else {
		res, err = runTransitionCase(bundles[c.Trust], &c)
	}
	if words, bad := wantFail[c.Name]; bad {
		var verr *VerifyError
		if !errors.As(err, &verr) || verr.Step != c.Step || verr.Error() != c.Error {
			t.Fatalf("got %v; want step %s: %s", err, c.Step, c.Error)
		}
		if !bytes.Contains([]byte(c.Error), []byte(words)) {
			t.Errorf("message %q does not say %q", c.Error, words)
		}
		return
	}
	if err != nil || c.Step != "" {
		t.Fatalf("got %v, recorded %q; want it to verify", err, c.Error)
	}
	if len(res.Signers) != c.Signers || res.Transitions != c.Transitions {
		t.Errorf("signers %d, transitions %d; recorded %d, %d", len(res.Signers), res.Transitions, c.Signers, c.Transitions)
	}
}

// TestTrustV2Refusals: a version-2 bundle is refused when its transitions
// do not lead from its validators to validators_current, when
// transitions_through is not the last transition's height, or when a
// version-1 bundle carries version 2's members; ParseCompanion takes a
// list or a version-2 bundle, not a version-1 one.
func TestTrustV2Refusals(t *testing.T) {
	raw := must(os.ReadFile(filepath.Join(transitionDir, "bundle-v2.json")))
	load := func(edit func(tr *Trust)) error {
		tr, err := ParseTrust(raw)
		check(t, err)
		edit(tr)
		b, err := json.Marshal(tr)
		check(t, err)
		if tr, err = ParseTrust(b); err != nil {
			return err
		}
		_, err = NewVerifier(tr)
		return err
	}
	if err := load(func(*Trust) {}); err != nil {
		t.Fatalf("bundle-v2.json: %v", err)
	}
	edits := map[string]func(tr *Trust){
		"a current validator's power":  func(tr *Trust) { tr.ValidatorsCurrent[0].Power++ },
		"a current validator left out": func(tr *Trust) { tr.ValidatorsCurrent = tr.ValidatorsCurrent[1:] },
		"the last transition left out": func(tr *Trust) {
			tr.Transitions = tr.Transitions[:len(tr.Transitions)-1]
			tr.TransitionsThrough = tr.Transitions[len(tr.Transitions)-1].Height
		},
		"a transition left out":      func(tr *Trust) { tr.Transitions = append(tr.Transitions[:3:3], tr.Transitions[4:]...) },
		"transitions_through":        func(tr *Trust) { tr.TransitionsThrough-- },
		"version 1 with transitions": func(tr *Trust) { tr.Version = 1 },
		"no validators_current":      func(tr *Trust) { tr.ValidatorsCurrent = nil },
	}
	for name, edit := range edits {
		if err := load(edit); !errors.Is(err, ErrBadTrust) {
			t.Errorf("%s: %v, want ErrBadTrust", name, err)
		}
	}
	if ts, err := ParseCompanion(raw); err != nil || len(ts) != 10 {
		t.Errorf("ParseCompanion(bundle-v2.json) = %d transitions, %v", len(ts), err)
	}
	if _, err := ParseCompanion(must(os.ReadFile(filepath.Join(transitionDir, "trust.json")))); !errors.Is(err, ErrBadTrust) {
		t.Errorf("ParseCompanion(a version-1 bundle) = %v, want ErrBadTrust", err)
	}
	if _, err := ParseCompanion([]byte(`[{"height":1,"signed_header":"x","next_validator_set":"AA=="}]`)); !errors.Is(err, ErrMalformed) {
		t.Errorf("ParseCompanion(bad base64) = %v, want ErrMalformed", err)
	}
}
