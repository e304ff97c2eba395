package receipt

// The published test vectors (testdata/vectors, format in docs/receipt.md
// § Test vectors): receipts that must verify and receipts that must fail,
// each with the step that must fail and why, for other implementations to
// test themselves against.
//
// `go test ./receipt -run TestVectors -update` regenerates them.
// Only the PKI and the RFC 3161 replies are drawn at random (P-256 keys,
// ECDSA signatures and serial numbers cannot be made reproducible through
// the certs and notary packages); they are kept in trust.json and
// inputs.json. Everything else (validator keys from fixed seeds, Ed25519
// signatures, custody events, the log, every tampered receipt) is a
// deterministic function of those two files, so without -update
// TestVectorsRegenerate rebuilds every other file and requires the same
// bytes.
//
// To add a vector, add a vectorCase to vectorCases; a receipt of another
// version is one more builder beside vectorBase.receipt.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"

	"github.com/custos-project/custos/anchor/vmap"
	"github.com/custos-project/custos/custody"
)

func custodyKey(id string) [32]byte { return custody.HeadKey(id) }

const vectorDir = "testdata/vectors"

// vectorManifest is vectors.json.
type vectorManifest struct {
	Version int          `json:"version"`
	About   string       `json:"about"`
	Vectors []vectorSpec `json:"vectors"`
}

// vectorSpec is one vector: run receipt (with evidence when named) against
// trust; valid says whether it must verify, step where it must fail.
type vectorSpec struct {
	Name    string `json:"name"`
	Receipt string `json:"receipt"`
	// Expand, when present, makes the receipt's bytes from the file's
	// (size_vectors_test.go): a receipt too large to commit.
	Expand   *vectorExpand `json:"expand,omitempty"`
	Trust    string        `json:"trust"`
	Evidence string        `json:"evidence,omitempty"`
	Valid    bool          `json:"valid"`
	Step     string        `json:"step,omitempty"`
	Reason   string        `json:"reason"`
}

// vectorInputs is inputs.json: the generator's random inputs.
type vectorInputs struct {
	About string `json:"about"`
	// Token is the built-in TSA's reply over the SHA-256 of evidence.txt;
	// OtherToken its reply over the SHA-256 of OtherData.
	Token      string `json:"token"`
	OtherData  string `json:"other_data"`
	OtherToken string `json:"other_token"`
	// TSARoot (PEM) is a root trust.json does not hold; the further
	// tokens are replies over the SHA-256 of evidence.txt signed under it
	// (tsa_vectors_test.go): by a TSA certificate with the critical
	// time-stamping usage, by one without any extended key usage, and by
	// one whose time-stamping usage is not critical.
	TSARoot               string `json:"tsa_root,omitempty"`
	OtherRootToken        string `json:"other_root_token,omitempty"`
	NoUsageToken          string `json:"no_usage_token,omitempty"`
	UsageNotCriticalToken string `json:"usage_not_critical_token,omitempty"`
	// NotYetValidToken is signed by a TSA certificate under TSARoot
	// issued after the token's genTime.
	NotYetValidToken string `json:"not_yet_valid_token,omitempty"`
	// SigningTimeOutsideToken is signed by a TSA certificate under
	// TSARoot valid at the token's genTime but not at its CMS
	// signingTime.
	SigningTimeOutsideToken string `json:"signing_time_outside_token,omitempty"`
	// ESSOtherCertToken's ESS identifier names another certificate of its
	// signer's key, issuer and serial; TwoSignersToken has two signers.
	ESSOtherCertToken string `json:"ess_other_cert_token,omitempty"`
	TwoSignersToken   string `json:"two_signers_token,omitempty"`
	// ESSOtherSerialToken's ESS identifier has its signer's certificate
	// hash but another serial number; SignerNotFoundToken carries no
	// certificate (and trust-tsa-roots.json no TSA chain).
	ESSOtherSerialToken string `json:"ess_other_serial_token,omitempty"`
	SignerNotFoundToken string `json:"signer_not_found_token,omitempty"`
}

// inputsAbout is inputs.json's about.
const inputsAbout = "The random inputs of the test vector generator (receipt/vectors_test.go): RFC 3161 " +
	"replies of the trust bundle's TSA, standard base64; and a root the trust bundle does not hold (PEM), with " +
	"replies signed under it (receipt/tsa_vectors_test.go). Every receipt is built from these, trust.json " +
	"and fixed validator seeds."

var (
	vectorArtifact      = []byte("Lease agreement, 2026-11-20, between Party A and Party B.\nRent: 4,800 CNY per month.\n")
	vectorOtherArtifact = []byte("Lease agreement, 2026-11-20, between Party A and Party B.\nRent: 1,800 CNY per month.\n")
	vectorPowers        = []int64{40, 30, 20, 10} // by fixtureOrgs index
)

// vectorValidators are the fixture's four members with keys from fixed
// seeds and unequal powers (so that the proposer priorities are not all
// alike).
func vectorValidators(t testing.TB) *validators {
	t.Helper()
	v := &validators{keys: map[string]cmted25519.PrivKey{}, names: map[string]int{}}
	var list []*types.Validator
	for i := range fixtureOrgs {
		k := cmted25519.GenPrivKeyFromSecret([]byte(fmt.Sprintf("custos receipt test vector validator %d", i)))
		val := types.NewValidator(k.PubKey(), vectorPowers[i])
		v.keys[val.Address.String()] = k
		v.names[val.Address.String()] = i
		list = append(list, val)
	}
	v.set = types.NewValidatorSet(list)
	return v
}

// vectorBase is what every vector is built from.
type vectorBase struct {
	trust  *Trust
	inputs vectorInputs
	vals   *validators
}

// newVectorBase draws fresh random inputs (-update).
func newVectorBase(t testing.TB) *vectorBase {
	t.Helper()
	p := newPKI(t)
	vals := vectorValidators(t)
	stamp := func(b []byte) string {
		sum := sha256.Sum256(b)
		tok, err := p.tsa.Stamp(context.Background(), crypto.SHA256, sum[:])
		check(t, err)
		return base64.StdEncoding.EncodeToString(tok.Reply)
	}
	other := "not the evidence: another document"
	b := &vectorBase{trust: vals.trust(p), vals: vals, inputs: vectorInputs{
		About: inputsAbout, Token: stamp(vectorArtifact), OtherData: other, OtherToken: stamp([]byte(other)),
	}}
	drawTSAInputs(t, &b.inputs)
	return b
}

// loadVectorBase reads the committed random inputs.
func loadVectorBase(t testing.TB) *vectorBase {
	t.Helper()
	tb, err := os.ReadFile(filepath.Join(vectorDir, "trust.json"))
	check(t, err)
	tr, err := ParseTrust(tb)
	check(t, err)
	ib, err := os.ReadFile(filepath.Join(vectorDir, "inputs.json"))
	check(t, err)
	b := &vectorBase{trust: tr, vals: vectorValidators(t)}
	check(t, json.Unmarshal(ib, &b.inputs))
	for i, v := range b.trust.Validators {
		k := cmted25519.GenPrivKeyFromSecret([]byte(fmt.Sprintf("custos receipt test vector validator %d", i)))
		if v.PubKey != base64.StdEncoding.EncodeToString(k.PubKey().Bytes()) || v.Power != vectorPowers[i] {
			t.Fatalf("trust.json validator %d is not the generator's (seeded key, power %d)", i, vectorPowers[i])
		}
	}
	return b
}

// receiptOpts vary vectorBase.receipt.
type receiptOpts struct {
	chainID string
	flags   []types.BlockIDFlag // per slot, in the set's order; nil: all COMMIT
	other   bool                // the created event lists the token over other data
	v2      bool                // a version-2 receipt: the state map holds the item's custody head
	// v3 is a version-3 receipt (state version 3 began at log size since),
	// absent one of the created event alone, whose head the state lacks.
	v3, absent bool
	since      uint64
	// token, when set, is the reply (standard base64) the created event
	// lists and the receipt carries, instead of inputs.json's.
	token string
	// headEvents, when set, is how many of the events (the first) the
	// custody head in the state counts, instead of all of them.
	headEvents int
	// state varies the chain state (the head it holds, a neighbour key).
	state stateOpts
}

// receipt builds a consistent version-1 receipt for vectorArtifact.
func (b *vectorBase) receipt(t testing.TB, o receiptOpts) *Receipt {
	t.Helper()
	if o.chainID == "" {
		o.chainID = fixtureChainID
	}
	if o.flags == nil {
		o.flags = []types.BlockIDFlag{2, 2, 2, 2}
	}
	token := b.inputs.Token
	if o.other {
		token = b.inputs.OtherToken
	}
	if o.token != "" {
		token = o.token
	}
	reply, err := base64.StdEncoding.DecodeString(token)
	check(t, err)
	th := sha256.Sum256(reply)
	sum := sha256.Sum256(vectorArtifact)
	ev := Evidence{ID: fixtureEvidence, SHA256: hex.EncodeToString(sum[:]), SM3: sm3Hex(vectorArtifact),
		Size: int64(len(vectorArtifact)), MediaType: "text/plain; charset=utf-8"}
	events := fixtureEvents(t, ev, hex.EncodeToString(th[:]))
	if o.absent {
		events = events[:1]
	}
	leaves, root, proofs := fixtureLog(t, events)
	version := Version1
	switch {
	case o.v2:
		version = Version2
	case o.v3:
		version = Version
	}
	counted := events
	if o.headEvents > 0 {
		counted = events[:o.headEvents]
	}
	st := newReceiptStateWith(t, ev.ID, counted, leaves, root, version, o.absent, o.since, o.state)
	sh, vs := signCheckpointSlots(t, b.vals, o.chainID, st.appHash, o.flags)
	r := &Receipt{Version: version, Evidence: ev, Timestamps: []string{token}, Custody: st.custody,
		Checkpoint: Checkpoint{ChainID: o.chainID, Height: fixtureHeight, TreeSize: fixtureSize,
			Root: hex.EncodeToString(root), StateRoot: st.stateRoot, HeadsSince: st.since, SignedHeader: sh, ValidatorSet: vs}}
	for i, e := range events {
		r.Events = append(r.Events, AnchoredEvent{Event: string(e), LeafIndex: leaves[i], Proof: proofs[i]})
	}
	return r
}

// v2Receipt builds a version-2 receipt and edits it.
func v2Receipt(edit func(t testing.TB, r *Receipt)) func(testing.TB, *vectorBase) []byte {
	return func(t testing.TB, b *vectorBase) []byte {
		r := b.receipt(t, receiptOpts{v2: true})
		edit(t, r)
		return encode(t, r)
	}
}

// vectorRaws is r's events' bytes.
func vectorRaws(r *Receipt) [][]byte {
	out := make([][]byte, len(r.Events))
	for i, e := range r.Events {
		out[i] = []byte(e.Event)
	}
	return out
}

// keepEvents keeps the events at seqs, each with its item proof.
func keepEvents(t testing.TB, r *Receipt, seqs ...int) {
	t.Helper()
	raws := vectorRaws(r)
	var keep []AnchoredEvent
	for _, i := range seqs {
		e := r.Events[i]
		e.ItemProof = itemProof(t, raws, i)
		keep = append(keep, e)
	}
	r.Events = keep
}

// extraKeyState is the head's proof and the root of the state map with
// one more key than the one the validators signed.
func extraKeyState(t testing.TB, r *Receipt) ([]string, string) {
	t.Helper()
	m := vmap.New()
	for i := 0; i < 51; i++ { // fixtureState's 50 keys and one more
		m = m.Set(sha256.Sum256([]byte(fmt.Sprintf("key %d", i))), sha256.Sum256([]byte(fmt.Sprintf("value %d", i))))
	}
	m = m.Set(custodyKey(r.Evidence.ID), sha256.Sum256([]byte(r.Custody.Head)))
	p, err := m.Prove(custodyKey(r.Evidence.ID))
	check(t, err)
	sr := m.Root()
	return vmap.FormatHex(p.Siblings), hex.EncodeToString(sr[:])
}

// encode is r's canonical bytes.
func encode(t testing.TB, r *Receipt) []byte {
	t.Helper()
	b, err := r.Encode()
	check(t, err)
	return b
}

// vectorCase is one vector and how to build its receipt bytes.
type vectorCase struct {
	name     string
	evidence string // "evidence.txt", "other-evidence.txt" or "" (no file)
	step     string // "" for a receipt that must verify
	reason   string
	build    func(t testing.TB, b *vectorBase) []byte
}

var (
	withNil = []types.BlockIDFlag{2, 2, 3, 2} // the validator of power 20 voted nil
	withAbs = []types.BlockIDFlag{2, 2, 2, 1} // the validator of power 10 was absent
)

// editCommit re-encodes r's signed header after edit (canonically: the
// edit changes values, not spellings).
func editCommit(t testing.TB, r *Receipt, edit func(c *cmtproto.Commit)) []byte {
	t.Helper()
	editSignedHeader(t, &r.Checkpoint, func(sh *cmtproto.SignedHeader) { edit(sh.Commit) })
	return encode(t, r)
}

// editSpelling rewrites the bytes of r's signed header (a spelling, not a
// value).
func editSpelling(t testing.TB, r *Receipt, edit func(sh []byte) []byte) []byte {
	t.Helper()
	sh, err := base64.StdEncoding.DecodeString(r.Checkpoint.SignedHeader)
	check(t, err)
	r.Checkpoint.SignedHeader = base64.StdEncoding.EncodeToString(edit(sh))
	return encode(t, r)
}

// editCommitSpelling rewrites the bytes of the commit (SignedHeader field
// 2) of r.
func editCommitSpelling(t testing.TB, r *Receipt, edit func(t testing.TB, commit []pbField) []pbField) []byte {
	t.Helper()
	return editSpelling(t, r, func(sh []byte) []byte {
		fs := pbSplit(t, sh)
		for i := range fs {
			if fs[i].num == 2 {
				fs[i] = pbLen(2, pbJoin(edit(t, pbSplit(t, fs[i].val))))
			}
		}
		return pbJoin(fs)
	})
}

func vectorCases() []vectorCase {
	valid := func(o receiptOpts) func(testing.TB, *vectorBase) []byte {
		return func(t testing.TB, b *vectorBase) []byte { return encode(t, b.receipt(t, o)) }
	}
	commit := func(o receiptOpts, edit func(*cmtproto.Commit)) func(testing.TB, *vectorBase) []byte {
		return func(t testing.TB, b *vectorBase) []byte { return editCommit(t, b.receipt(t, o), edit) }
	}
	valset := func(edit func(*cmtproto.ValidatorSet)) func(testing.TB, *vectorBase) []byte {
		return func(t testing.TB, b *vectorBase) []byte {
			r := b.receipt(t, receiptOpts{})
			editValidatorSet(t, &r.Checkpoint, edit)
			return encode(t, r)
		}
	}
	commitBytes := func(o receiptOpts, edit func(testing.TB, []pbField) []pbField) func(testing.TB, *vectorBase) []byte {
		return func(t testing.TB, b *vectorBase) []byte { return editCommitSpelling(t, b.receipt(t, o), edit) }
	}
	text := func(edit func(t testing.TB, r []byte) []byte) func(testing.TB, *vectorBase) []byte {
		return func(t testing.TB, b *vectorBase) []byte { return edit(t, encode(t, b.receipt(t, receiptOpts{}))) }
	}
	receipt := func(edit func(r *Receipt)) func(testing.TB, *vectorBase) []byte {
		return func(t testing.TB, b *vectorBase) []byte {
			r := b.receipt(t, receiptOpts{})
			edit(r)
			return encode(t, r)
		}
	}
	const ev = "evidence.txt"
	return []vectorCase{
		{"valid", ev, "", "all four validators signed; checked with the evidence file", valid(receiptOpts{})},
		{"valid-without-file", "", "", "the same receipt checked without the evidence file (step digest skipped)", valid(receiptOpts{})},
		{"valid-nil-vote", ev, "", "one validator (power 20) voted nil: a signed NIL slot, 80 of 100 signed", valid(receiptOpts{flags: withNil})},
		{"valid-absent", ev, "", "one validator (power 10) was absent: an ABSENT slot, 90 of 100 signed", valid(receiptOpts{flags: withAbs})},

		// Version 2: custody completeness (docs/receipt.md §6).
		{"v2-complete", ev, "", "version 2: the custody head (5 events) proven in the state map; all 5 listed", valid(receiptOpts{v2: true})},
		{"v2-some-events", ev, "", "version 2: events 0, 2 and 4 listed, each proven in the head's event tree; 2 viewed events left out and counted",
			v2Receipt(func(t testing.TB, r *Receipt) { keepEvents(t, r, 0, 2, 4) })},
		{"v2-last-events-cut", ev, StepComplete, "version 2: the last two events cut off, without item proofs",
			v2Receipt(func(t testing.TB, r *Receipt) { r.Events = r.Events[:3] })},
		{"v2-gap-without-proofs", ev, StepComplete, "version 2: event 2 left out, the others without item proofs",
			v2Receipt(func(t testing.TB, r *Receipt) { r.Events = append(r.Events[:2:2], r.Events[3:]...) })},
		{"v2-item-proof-wrong", ev, StepComplete, "version 2: events 0 and 4 listed, event 4 with the item proof of event 3",
			v2Receipt(func(t testing.TB, r *Receipt) {
				raws := vectorRaws(r)
				keepEvents(t, r, 0, 4)
				r.Events[1].ItemProof = itemProof(t, raws, 3)
			})},
		{"v2-head-count-changed", ev, StepComplete, "version 2: the head's count changed from 5 to 4 (and its viewed count to 2)",
			v2Receipt(func(t testing.TB, r *Receipt) {
				h := strings.Replace(r.Custody.Head, `"count":5`, `"count":4`, 1)
				r.Custody.Head = strings.Replace(h, `"viewed":3`, `"viewed":2`, 1)
			})},
		{"v2-state-proof-altered", ev, StepComplete, "version 2: one hash of the state map proof changed",
			v2Receipt(func(t testing.TB, r *Receipt) { r.Custody.Proof[0] = flipHex(r.Custody.Proof[0], 0) })},
		{"v2-state-root-not-signed", ev, StepCheckpoint, "version 2: the head, its proof and the state root are of another state than the AppHash signed",
			func(t testing.TB, b *vectorBase) []byte {
				// The signed header is kept; the state root claimed is of a
				// map with one more key, which the validators never signed.
				r := b.receipt(t, receiptOpts{v2: true})
				r.Custody.Proof, r.Checkpoint.StateRoot = extraKeyState(t, r)
				return encode(t, r)
			}},
		{"v2-item-proof-on-complete-list", ev, StepFormat, "version 2: all events listed, one of them with an item proof",
			v2Receipt(func(t testing.TB, r *Receipt) { r.Events[1].ItemProof = itemProof(t, vectorRaws(r), 1) })},

		// Version 3: heads bound to the first event; one event, no head.
		{"v3-complete", ev, "", "version 3: the custody head (5 events) under its key bound to leaf 3; state version 3 began at log size 2",
			valid(receiptOpts{v3: true, since: 2})},
		{"v3-one-event-no-head", ev, "", "version 3: the created event alone, anchored at leaf 3 after state version 3 began at 3; the state proves no head",
			valid(receiptOpts{v3: true, absent: true, since: 3})},
		{"v3-no-head-before-since", ev, StepComplete, "version 3: no head for an item anchored at leaf 3, before state version 3 began at 4",
			valid(receiptOpts{v3: true, absent: true, since: 4})},
		{"v3-head-claimed-absent", ev, StepComplete, "version 3: the chain holds the item's head, the receipt claims it absent and lists the created event alone",
			func(t testing.TB, b *vectorBase) []byte {
				r := b.receipt(t, receiptOpts{v3: true})
				r.Events, r.Custody.Head = r.Events[:1], ""
				return encode(t, r)
			}},
		{"v3-since-changed", ev, StepCheckpoint, "version 3: heads_since changed from 3 to 0, which the signed AppHash does not commit to",
			func(t testing.TB, b *vectorBase) []byte {
				r := b.receipt(t, receiptOpts{v3: true, absent: true, since: 3})
				zero := uint64(0)
				r.Checkpoint.HeadsSince = &zero
				return encode(t, r)
			}},
		{"valid-tsa-roots", ev, "", "token 0 from a TSA under a root the trust bundle lists in tsa_roots_pem (trust-tsa-roots.json)",
			withToken(func(in vectorInputs) string { return in.OtherRootToken })},
		{"v3-no-head-other-leaf", ev, "", "version 3: the created event alone; the state proves no head, the key's path ending at another key's leaf (custody.other)",
			func(t testing.TB, b *vectorBase) []byte {
				r := b.receipt(t, neighbourOpts)
				needOther(t, r)
				return encode(t, r)
			}},

		// format: the receipt's own JSON spelling.
		{"json-member-order", ev, StepFormat, "the member \"version\" moved to the end of the object", text(func(t testing.TB, r []byte) []byte {
			return append([]byte("{"+strings.TrimPrefix(string(r[:len(r)-1]), `{"version":1,`)), `,"version":1}`...)
		})},
		{"json-white-space", ev, StepFormat, "a space after the first colon", text(func(t testing.TB, r []byte) []byte {
			return bytes.Replace(r, []byte(`"version":1`), []byte(`"version": 1`), 1)
		})},
		{"json-unknown-member", ev, StepFormat, "an unknown member \"note\" in the receipt object", text(func(t testing.TB, r []byte) []byte {
			return append([]byte(`{"note":"x",`), r[1:]...)
		})},
		{"json-trailing-newline", ev, StepFormat, "a newline after the document", text(func(t testing.TB, r []byte) []byte {
			return append(r, '\n')
		})},

		// digest, custody, timestamp, inclusion.
		{"wrong-evidence-file", "other-evidence.txt", StepDigest, "the evidence file is another document (one digit differs)", valid(receiptOpts{})},
		{"custody-chain-broken", ev, StepCustody, "event 1's actor changed, so event 2's prev no longer matches", receipt(func(r *Receipt) {
			r.Events[1].Event = strings.Replace(r.Events[1].Event, "key:law-firm-1", "key:law-firm-2", 1)
		})},
		{"token-over-other-data", ev, StepTimestamp, "the created event lists, and the receipt carries, a valid token of the trusted TSA over other data",
			valid(receiptOpts{other: true})},
		{"inclusion-proof-altered", ev, StepInclusion, "one hash of event 2's audit path changed", receipt(func(r *Receipt) {
			r.Events[2].Proof[0] = flipHex(r.Events[2].Proof[0], 0)
		})},

		// checkpoint: values.
		{"other-chain", ev, StepCheckpoint, "a checkpoint signed by the trusted validators, but of chain custos-other-1",
			valid(receiptOpts{chainID: "custos-other-1"})},
		{"insufficient-power", ev, StepCheckpoint, "only 60 of 100 voting power signed (slots of power 30 and 10 absent)",
			valid(receiptOpts{flags: []types.BlockIDFlag{2, 1, 2, 1}})},
		{"commit-signature-altered", ev, StepCheckpoint, "one bit of slot 1's signature flipped", commit(receiptOpts{}, func(c *cmtproto.Commit) {
			c.Signatures[1].Signature[10] ^= 1
		})},

		// checkpoint: one spelling of the commit.
		{"block-id-flag-258", ev, StepCheckpoint, "slot 0's block_id_flag 2 written as 258, which CometBFT reads as a byte, 2",
			commit(receiptOpts{}, func(c *cmtproto.Commit) { c.Signatures[0].BlockIdFlag = 258 })},
		{"block-id-flag-0", ev, StepCheckpoint, "an ABSENT slot's block_id_flag 1 written as 0 (UNKNOWN)",
			commit(receiptOpts{flags: withAbs}, func(c *cmtproto.Commit) { c.Signatures[3].BlockIdFlag = 0 })},
		{"nil-slot-time", ev, StepCheckpoint, "the NIL slot's timestamp moved by 1 ms (its signature no longer verifies)",
			commit(receiptOpts{flags: withNil}, func(c *cmtproto.Commit) {
				c.Signatures[2].Timestamp = c.Signatures[2].Timestamp.Add(time.Millisecond)
			})},
		{"nil-slot-signature", ev, StepCheckpoint, "the NIL slot's signature replaced by 64 zero bytes",
			commit(receiptOpts{flags: withNil}, func(c *cmtproto.Commit) { c.Signatures[2].Signature = make([]byte, 64) })},
		{"nil-slot-address", ev, StepCheckpoint, "the NIL slot names validator 0's address instead of its own",
			commit(receiptOpts{flags: withNil}, func(c *cmtproto.Commit) {
				c.Signatures[2].ValidatorAddress = c.Signatures[0].ValidatorAddress
			})},
		{"absent-slot-time", ev, StepCheckpoint, "the ABSENT slot's zero time (0001-01-01T00:00:00Z) replaced by 1970-01-01T00:00:00Z",
			commit(receiptOpts{flags: withAbs}, func(c *cmtproto.Commit) { c.Signatures[3].Timestamp = time.Unix(0, 0).UTC() })},
		{"absent-slot-time-omitted", ev, StepCheckpoint, "the ABSENT slot's timestamp field (non-nullable) left out instead of encoding the zero time",
			commitBytes(receiptOpts{flags: withAbs}, func(t testing.TB, fs []pbField) []pbField {
				n := 0
				for i := range fs {
					if fs[i].num == 4 { // signatures
						if n == 3 {
							var keep []pbField
							for _, f := range pbSplit(t, fs[i].val) {
								if f.num != 3 { // CommitSig.timestamp
									keep = append(keep, f)
								}
							}
							fs[i] = pbLen(4, pbJoin(keep))
						}
						n++
					}
				}
				return fs
			})},
		{"varint-not-minimal", ev, StepCheckpoint, "the commit's height 12 written as the two-byte varint 0x8c 0x00",
			commitBytes(receiptOpts{}, func(t testing.TB, fs []pbField) []pbField {
				fs[0] = pbField{num: 1, raw: []byte{0x08, 0x8c, 0x00}}
				return fs
			})},
		{"unknown-protobuf-field", ev, StepCheckpoint, "an unknown field 3 (varint 1) appended to the SignedHeader",
			func(t testing.TB, b *vectorBase) []byte {
				return editSpelling(t, b.receipt(t, receiptOpts{}), func(sh []byte) []byte { return append(sh, 0x18, 0x01) })
			}},
		{"protobuf-fields-reordered", ev, StepCheckpoint, "the SignedHeader's commit (field 2) written before its header (field 1)",
			func(t testing.TB, b *vectorBase) []byte {
				return editSpelling(t, b.receipt(t, receiptOpts{}), func(sh []byte) []byte {
					fs := pbSplit(t, sh)
					return pbJoin([]pbField{fs[1], fs[0]})
				})
			}},
		{"protobuf-scalar-repeated", ev, StepCheckpoint, "the commit's height field written twice",
			commitBytes(receiptOpts{}, func(t testing.TB, fs []pbField) []pbField { return append([]pbField{fs[0]}, fs...) })},
		{"protobuf-default-present", ev, StepCheckpoint, "the commit's round 0 written out (proto3 omits it)",
			commitBytes(receiptOpts{}, func(t testing.TB, fs []pbField) []pbField {
				return append([]pbField{fs[0], {num: 2, raw: []byte{0x10, 0x00}}}, fs[1:]...)
			})},

		// checkpoint: one spelling of the validator set.
		{"proposer-priority", ev, StepCheckpoint, "validator 1's proposer_priority 30 changed to 31", valset(func(vs *cmtproto.ValidatorSet) {
			vs.Validators[1].ProposerPriority++
		})},
		{"proposer-other-member", ev, StepCheckpoint, "the set's proposer replaced by validator 1, a member of the set", valset(func(vs *cmtproto.ValidatorSet) {
			vs.Proposer = vs.Validators[1]
		})},
		{"total-voting-power", ev, StepCheckpoint, "total_voting_power written as 100 (CometBFT writes 0, so it is absent)", valset(func(vs *cmtproto.ValidatorSet) {
			vs.TotalVotingPower = 100
		})},
	}
}

// pbField is one field of a protobuf message as written: raw is the whole
// field (tag included), val the payload of a length-delimited field.
type pbField struct {
	num int
	raw []byte
	val []byte
}

// pbSplit splits a message into its fields. Only varint and
// length-delimited fields are read: SignedHeader, Commit and CommitSig use
// no others.
func pbSplit(t testing.TB, b []byte) []pbField {
	t.Helper()
	fs, err := pbSplitErr(b)
	check(t, err)
	return fs
}

func pbSplitErr(b []byte) ([]pbField, error) {
	var fs []pbField
	for len(b) > 0 {
		tag, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, errors.New("bad tag")
		}
		f := pbField{num: int(tag >> 3)}
		switch tag & 7 {
		case 0:
			_, m := binary.Uvarint(b[n:])
			if m <= 0 {
				return nil, errors.New("bad varint")
			}
			n += m
		case 2:
			l, m := binary.Uvarint(b[n:])
			if m <= 0 || uint64(len(b)-n-m) < l {
				return nil, errors.New("bad length")
			}
			f.val = b[n+m : n+m+int(l)]
			n += m + int(l)
		default:
			return nil, fmt.Errorf("wire type %d", tag&7)
		}
		f.raw = b[:n]
		fs = append(fs, f)
		b = b[n:]
	}
	return fs, nil
}

// pbLen is a length-delimited field.
func pbLen(num int, val []byte) pbField {
	raw := binary.AppendUvarint(nil, uint64(num)<<3|2)
	raw = binary.AppendUvarint(raw, uint64(len(val)))
	return pbField{num: num, raw: append(raw, val...), val: val}
}

func pbJoin(fs []pbField) []byte {
	var b []byte
	for _, f := range fs {
		b = append(b, f.raw...)
	}
	return b
}

// buildVectors makes every file of testdata/vectors but trust.json and
// inputs.json, by name.
func buildVectors(t testing.TB, b *vectorBase) map[string][]byte {
	t.Helper()
	files := map[string][]byte{"evidence.txt": vectorArtifact, "other-evidence.txt": vectorOtherArtifact}
	m := vectorManifest{Version: 1, About: "Receipt test vectors, format in docs/receipt.md (section Test vectors). " +
		"Generated by receipt/vectors_test.go; do not edit."}
	for _, c := range slices.Concat(vectorCases(), recordVectorCases(), ruleCases()) {
		name := "valid/" + c.name + ".json"
		if c.step != "" {
			name = "invalid/" + c.name + ".json"
		}
		r := c.build(t, b)
		var e *vectorExpand
		if len(r) > MaxSize {
			r, e = cutRun(t, r)
		}
		files[name] = r
		m.Vectors = append(m.Vectors, vectorSpec{Name: c.name, Receipt: name, Expand: e, Trust: vectorTrust(c.name), Evidence: c.evidence,
			Valid: c.step == "", Step: c.step, Reason: c.reason})
	}
	files[trustTSARoots] = tsaRootsTrust(t, b)
	files["vectors.json"] = marshalIndent(t, m)
	return files
}

// addVectors writes the vectors the generator makes that are not committed
// yet (and the manifest) from the committed inputs, keeping every existing
// vector byte for byte.
var addVectors = flag.Bool("add", false, "write new receipt vectors from the committed inputs")

// TestVectorsRegenerate writes the vectors with -update; without it, it
// rebuilds them from trust.json and inputs.json and requires the committed
// bytes.
func TestVectorsRegenerate(t *testing.T) {
	var b *vectorBase
	if *update {
		b = newVectorBase(t)
		check(t, os.RemoveAll(vectorDir))
		check(t, os.MkdirAll(filepath.Join(vectorDir, "valid"), 0o755))
		check(t, os.MkdirAll(filepath.Join(vectorDir, "invalid"), 0o755))
		check(t, os.WriteFile(filepath.Join(vectorDir, "trust.json"), marshalIndent(t, b.trust), 0o644))
		check(t, os.WriteFile(filepath.Join(vectorDir, "inputs.json"), marshalIndent(t, b.inputs), 0o644))
	} else {
		b = loadVectorBase(t)
		if *addVectors && (b.inputs.TSARoot == "" || b.inputs.SignerNotFoundToken == "") {
			// Inputs added later are drawn once and kept; the first
			// ones, and so every existing vector, stay as they are.
			b.inputs.About = inputsAbout
			drawTSAInputs(t, &b.inputs)
			check(t, os.WriteFile(filepath.Join(vectorDir, "inputs.json"), marshalIndent(t, b.inputs), 0o644))
		}
	}
	files := buildVectors(t, b)
	for name, want := range files {
		path := filepath.Join(vectorDir, filepath.FromSlash(name))
		if *update {
			check(t, os.WriteFile(path, want, 0o644))
			continue
		}
		got, err := os.ReadFile(path)
		if *addVectors && (errors.Is(err, os.ErrNotExist) || name == "vectors.json") {
			check(t, os.WriteFile(path, want, 0o644))
			continue
		}
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs from what the generator builds (%v); run go test -run TestVectors -update", path, err)
		}
	}
	// No stray files: every committed file is the generator's.
	check(t, filepath.WalkDir(vectorDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(vectorDir, path)
		rel = filepath.ToSlash(rel)
		if _, ok := files[rel]; !ok && rel != "trust.json" && rel != "inputs.json" {
			t.Errorf("%s is not made by the generator", path)
		}
		return nil
	}))
}

// TestVectors runs every vector as another implementation would, from the
// files alone: Parse (step format), then Verify, and compares the verdict
// and the failing step with vectors.json.
func TestVectors(t *testing.T) {
	m := loadManifest(t)
	steps := map[string]bool{}
	for _, vec := range m.Vectors {
		t.Run(vec.Name, func(t *testing.T) {
			step, err := runVector(t, vec)
			switch {
			case vec.Valid && err != nil:
				t.Fatalf("%s: %v, want valid", vec.Receipt, err)
			case !vec.Valid && err == nil:
				t.Fatalf("%s verified, want a failure at step %s (%s)", vec.Receipt, vec.Step, vec.Reason)
			case step != vec.Step:
				t.Fatalf("%s failed at step %q (%v), want step %q (%s)", vec.Receipt, step, err, vec.Step, vec.Reason)
			}
			steps[step] = true
			t.Log(err)
		})
	}
	for _, s := range []string{"", StepFormat, StepDigest, StepCustody, StepTimestamp, StepInclusion, StepCheckpoint, StepRecord} {
		if !steps[s] {
			t.Errorf("no vector for step %q", s)
		}
	}
}

// loadManifest reads vectors.json.
func loadManifest(t *testing.T) vectorManifest {
	t.Helper()
	mb, err := os.ReadFile(filepath.Join(vectorDir, "vectors.json"))
	check(t, err)
	var m vectorManifest
	check(t, decodeStrict(mb, &m))
	if m.Version != 1 || len(m.Vectors) == 0 {
		t.Fatalf("vectors.json: version %d, %d vectors", m.Version, len(m.Vectors))
	}
	return m
}

// runVector verifies one vector; step is "" when it verified.
func runVector(t *testing.T, vec vectorSpec) (step string, err error) {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(vectorDir, filepath.FromSlash(name)))
		check(t, err)
		return b
	}
	trust, err := ParseTrust(read(vec.Trust))
	check(t, err)
	r, err := Parse(vec.Expand.expand(read(vec.Receipt)))
	if err != nil {
		return StepFormat, err
	}
	var artifact *bytes.Reader
	if vec.Evidence != "" {
		artifact = bytes.NewReader(read(vec.Evidence))
	}
	if artifact != nil {
		_, err = Verify(r, artifact, trust, Options{})
	} else {
		_, err = Verify(r, nil, trust, Options{})
	}
	if err == nil {
		return "", nil
	}
	var ve *VerifyError
	if !errors.As(err, &ve) {
		t.Fatalf("Verify(%s) = %v, not a *VerifyError", vec.Receipt, err)
	}
	return ve.Step, err
}
