package receipt

// Refusing vectors, one per rule of docs/receipt.md §3.1 that had none
// (review of session 16): each receipt breaks exactly one rule, and
// TestRuleVectors checks that verification fails at that rule, by its
// message, not only at its step. They are written with the other vectors
// (`go test ./receipt -run TestVectors -add`) into testdata/vectors.

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"
)

// ruleCase is a refusing vector and the words its failure must hold.
type ruleCase struct {
	vectorCase
	rule  string // the check of docs/receipt.md §3.1
	words string
}

func ruleCasesWithWords() []ruleCase {
	const ev = "evidence.txt"
	edit := func(o receiptOpts, f func(t testing.TB, r *Receipt)) func(testing.TB, *vectorBase) []byte {
		return func(t testing.TB, b *vectorBase) []byte {
			r := b.receipt(t, o)
			f(t, r)
			return encode(t, r)
		}
	}
	text := func(f func(t testing.TB, r []byte) []byte) func(testing.TB, *vectorBase) []byte {
		return func(t testing.TB, b *vectorBase) []byte { return f(t, encode(t, b.receipt(t, receiptOpts{}))) }
	}
	replace := func(old, new string) func(testing.TB, *vectorBase) []byte {
		return text(func(t testing.TB, r []byte) []byte {
			if !bytes.Contains(r, []byte(old)) {
				t.Fatalf("the receipt has no %s", old)
			}
			return bytes.Replace(r, []byte(old), []byte(new), 1)
		})
	}
	// token builds a receipt whose created event lists, and which carries,
	// inputs.json's token changed by f.
	token := func(f func(t testing.TB, reply []byte) []byte) func(testing.TB, *vectorBase) []byte {
		return func(t testing.TB, b *vectorBase) []byte {
			reply, err := base64.StdEncoding.DecodeString(b.inputs.Token)
			check(t, err)
			tok := base64.StdEncoding.EncodeToString(f(t, bytes.Clone(reply)))
			return encode(t, b.receipt(t, receiptOpts{token: tok}))
		}
	}
	header := func(f func(sh *cmtproto.SignedHeader)) func(testing.TB, *vectorBase) []byte {
		return edit(receiptOpts{}, func(t testing.TB, r *Receipt) { editSignedHeader(t, &r.Checkpoint, f) })
	}
	valset := func(f func(vs *cmtproto.ValidatorSet)) func(testing.TB, *vectorBase) []byte {
		return edit(receiptOpts{}, func(t testing.TB, r *Receipt) { editValidatorSet(t, &r.Checkpoint, f) })
	}
	c := func(name, evidence, step, rule, words, reason string, build func(testing.TB, *vectorBase) []byte) ruleCase {
		return ruleCase{vectorCase{"rule-" + name, evidence, step, reason, build}, rule, words}
	}
	return []ruleCase{
		// format (§3.1 checks 2–4).
		c("json-member-repeated", ev, StepFormat, "2", "", "the member \"version\" written twice",
			replace(`{"version":1,`, `{"version":1,"version":1,`)),
		c("json-member-case", ev, StepFormat, "2", "", "the member \"version\" spelled \"Version\"",
			replace(`{"version":1,`, `{"Version":1,`)),
		c("json-number-spelling", ev, StepFormat, "5", "", "evidence.size 85 written as 8.5e1",
			replace(`"size":85,`, `"size":8.5e1,`)),
		c("version-unknown", ev, StepFormat, "3", "version 6", "version 6, which no version of the format defines",
			replace(`{"version":1,`, `{"version":6,`)),
		c("evidence-size-zero", ev, StepFormat, "4", "size", "evidence.size 0",
			replace(`"size":85,`, `"size":0,`)),
		c("checkpoint-height-1", ev, StepFormat, "4", "height", "checkpoint.height 1 (a checkpoint is at height 2 or more)",
			replace(`"height":12,`, `"height":1,`)),
		c("token-base64-url-alphabet", ev, StepFormat, "4", "base64", "timestamps[0] in the URL-safe base64 alphabet instead of the standard one",
			func(t testing.TB, b *vectorBase) []byte {
				tok := b.inputs.Token
				u := strings.NewReplacer("+", "-", "/", "_").Replace(tok)
				if u == tok {
					t.Fatal("the token's base64 has no + or /")
				}
				return bytes.Replace(encode(t, b.receipt(t, receiptOpts{})), []byte(tok), []byte(u), 1)
			}),

		// digest (checks 7, 8).
		c("digest-sm3-differs", ev, StepDigest, "7", "SM3", "the receipt's evidence.sm3 changed (one hex digit): the file's SM3 differs",
			edit(receiptOpts{}, func(t testing.TB, r *Receipt) { r.Evidence.SM3 = flipHex(r.Evidence.SM3, 0) })),
		c("digest-size-differs", ev, StepDigest, "8", "size", "the receipt's evidence.size is 86, the file has 85 bytes",
			edit(receiptOpts{}, func(t testing.TB, r *Receipt) { r.Evidence.Size++ })),

		// custody (checks 9–11).
		c("custody-event-not-canonical", ev, StepCustody, "9", "malformed custody event", "event 1 with a space after its opening brace (not its canonical bytes)",
			edit(receiptOpts{}, func(t testing.TB, r *Receipt) { r.Events[1].Event = "{ " + r.Events[1].Event[1:] })),
		c("custody-events-reordered", ev, StepCustody, "10", "not one unbroken chain at event 1", "events 1 and 2 swapped (their leaf indexes kept in order)",
			edit(receiptOpts{}, func(t testing.TB, r *Receipt) {
				r.Events[1].Event, r.Events[2].Event = r.Events[2].Event, r.Events[1].Event
				r.Events[1].Proof, r.Events[2].Proof = r.Events[2].Proof, r.Events[1].Proof
			})),
		c("custody-media-type-differs", ev, StepCustody, "11", "media type", "evidence.media_type changed to text/html: the created event says text/plain",
			edit(receiptOpts{}, func(t testing.TB, r *Receipt) { r.Evidence.MediaType = "text/html" })),
		c("custody-token-count-differs", ev, StepCustody, "11", "number of time-stamp tokens", "the token carried twice; the created event lists one",
			edit(receiptOpts{}, func(t testing.TB, r *Receipt) { r.Timestamps = append(r.Timestamps, r.Timestamps[0]) })),

		// timestamp (checks 12–14).
		c("token-not-recorded", ev, StepTimestamp, "12", "not the token recorded in the custody chain",
			"the receipt carries a valid token of the trusted TSA over the evidence, but not the one the created event lists",
			func(t testing.TB, b *vectorBase) []byte {
				r := b.receipt(t, receiptOpts{other: true})
				r.Timestamps[0] = b.inputs.Token
				return encode(t, r)
			}),
		c("token-rejected", ev, StepTimestamp, "13", "status 2", "the created event lists, and the receipt carries, a TimeStampResp with status rejection (2) and no token",
			token(func(t testing.TB, _ []byte) []byte { return []byte{0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x02} })),
		c("token-signature-altered", ev, StepTimestamp, "14", "token 0", "the last byte of the token (its signature) changed; the created event lists the changed token",
			token(func(t testing.TB, reply []byte) []byte { reply[len(reply)-1] ^= 1; return reply })),

		// completeness (§6.4 checks 1 and 3).
		c("head-malformed", ev, StepComplete, "6.4/1", "a canonical custody head", "version 2: custody.head is not a custody head (\"{}\")",
			edit(receiptOpts{v2: true}, func(t testing.TB, r *Receipt) { r.Custody.Head = "{}" })),
		c("head-other-item", ev, StepComplete, "6.4/1", "the custody head is another item's", "version 2: the head names another evidence ID",
			edit(receiptOpts{v2: true}, func(t testing.TB, r *Receipt) {
				h := strings.Replace(r.Custody.Head, r.Evidence.ID, "aaaaaaaaaaaaaaaaaaaaaaaaaa", 1)
				if h == r.Custody.Head {
					t.Fatal("the head does not name the evidence")
				}
				r.Custody.Head = h
			})),
		c("event-beyond-head", ev, StepComplete, "6.4/3", "the chain's custody head does not count", "version 2: the chain's head counts 4 events (signed), the receipt lists 5",
			edit(receiptOpts{v2: true, headEvents: 4}, func(t testing.TB, r *Receipt) {})),

		// inclusion (checks 17–19).
		c("leaf-index-repeated", ev, StepInclusion, "17", "is not after event 0", "event 1's leaf_index set to event 0's",
			edit(receiptOpts{}, func(t testing.TB, r *Receipt) { r.Events[1].LeafIndex = r.Events[0].LeafIndex })),
		c("leaf-index-at-tree-size", ev, StepInclusion, "18", "beyond the checkpoint's log", "the last event's leaf_index set to tree_size (45)",
			edit(receiptOpts{}, func(t testing.TB, r *Receipt) { r.Events[len(r.Events)-1].LeafIndex = r.Checkpoint.TreeSize })),
		c("audit-path-too-long", ev, StepInclusion, "19", "an audit path for leaf", "a hash appended to event 0's audit path",
			edit(receiptOpts{}, func(t testing.TB, r *Receipt) { r.Events[0].Proof = append(r.Events[0].Proof, r.Events[0].Proof[0]) })),

		// checkpoint (checks 27, 29–30, 32–34, 36, 40).
		c("proposer-address-short", ev, StepCheckpoint, "24", "the signed header is malformed", "the header's proposer_address cut to 19 bytes",
			header(func(sh *cmtproto.SignedHeader) { sh.Header.ProposerAddress = sh.Header.ProposerAddress[:19] })),
		c("commit-missing", ev, StepCheckpoint, "26", "missing header or commit", "the signed header without its commit",
			header(func(sh *cmtproto.SignedHeader) { sh.Commit = nil })),
		c("validator-address-not-key", ev, StepCheckpoint, "27", "the validator set is malformed", "validator 1's address replaced by validator 2's",
			valset(func(vs *cmtproto.ValidatorSet) { vs.Validators[1].Address = vs.Validators[2].Address })),
		c("header-other-chain", ev, StepCheckpoint, "29", "the signed header is from another chain", "checkpoint.chain_id is the trusted chain's, the header (signed by the trusted validators) is of custos-other-1",
			edit(receiptOpts{chainID: "custos-other-1"}, func(t testing.TB, r *Receipt) { r.Checkpoint.ChainID = fixtureChainID })),
		c("checkpoint-height-differs", ev, StepCheckpoint, "30", "not at the checkpoint's height", "checkpoint.height 13, the signed header is at 12",
			edit(receiptOpts{}, func(t testing.TB, r *Receipt) { r.Checkpoint.Height = 13 })),
		c("header-altered", ev, StepCheckpoint, "32", "the commit signs another block than the header", "the header's time moved by one second after it was signed",
			header(func(sh *cmtproto.SignedHeader) { sh.Header.Time = sh.Header.Time.Add(time.Second) })),
		c("commit-height-differs", ev, StepCheckpoint, "33", "height mismatch", "the commit's height 13, the header's 12",
			header(func(sh *cmtproto.SignedHeader) { sh.Commit.Height = 13 })),
		c("validators-hash-other", ev, StepCheckpoint, "35", "the block's validators are not the trusted validators",
			"a header naming another validators_hash, signed by the trusted validators (the receipt's set is the trusted one)",
			func(t testing.TB, b *vectorBase) []byte {
				r := b.receipt(t, receiptOpts{})
				editSignedHeader(t, &r.Checkpoint, func(sh *cmtproto.SignedHeader) {
					other := sha256.Sum256([]byte("another validator set"))
					sh.Header.ValidatorsHash = other[:]
					resign(t, b.vals, sh)
				})
				return encode(t, r)
			}),
		c("validator-not-trusted", ev, StepCheckpoint, "34", "a validator the trust bundle does not list", "validator 3's key (and address) replaced by a key the trust bundle does not list",
			valset(func(vs *cmtproto.ValidatorSet) {
				k := cmted25519.GenPrivKeyFromSecret([]byte("custos receipt test vector outsider"))
				vs.Validators[3].PubKey.Sum = &cmtcrypto.PublicKey_Ed25519{Ed25519: k.PubKey().Bytes()}
				vs.Validators[3].Address = k.PubKey().Address()
			})),
		c("validator-power-differs", ev, StepCheckpoint, "34", "voting power differs", "validator 1's voting power 30 written as 31",
			valset(func(vs *cmtproto.ValidatorSet) { vs.Validators[1].VotingPower++ })),
		c("validator-left-out", ev, StepCheckpoint, "36", "the receipt's validator set is not the block's", "validator 3 (power 10) left out of the validator set",
			valset(func(vs *cmtproto.ValidatorSet) { vs.Validators = vs.Validators[:3] })),
		c("commit-slot-left-out", ev, StepCheckpoint, "40", "the commit does not match the trusted validator set", "the commit's last slot (validator 3's signature) left out",
			header(func(sh *cmtproto.SignedHeader) { sh.Commit.Signatures = sh.Commit.Signatures[:3] })),
		c("commit-slot-address", ev, StepCheckpoint, "41", "commit slot 1 names another validator", "the COMMIT slot 1 names validator 0's address",
			header(func(sh *cmtproto.SignedHeader) {
				sh.Commit.Signatures[1].ValidatorAddress = sh.Commit.Signatures[0].ValidatorAddress
			})),
	}
}

// resign points sh's commit at its header's hash again and signs each
// COMMIT slot anew with the vector validators' keys, as the validators
// would have signed the edited header.
func resign(t testing.TB, vals *validators, sh *cmtproto.SignedHeader) {
	t.Helper()
	h, err := types.HeaderFromProto(sh.Header)
	check(t, err)
	sh.Commit.BlockID.Hash = h.Hash()
	blockID, err := types.BlockIDFromProto(&sh.Commit.BlockID)
	check(t, err)
	for i := range sh.Commit.Signatures {
		s := &sh.Commit.Signatures[i]
		if s.BlockIdFlag != cmtproto.BlockIDFlagCommit {
			t.Fatalf("slot %d is not a COMMIT slot", i)
		}
		vote := &types.Vote{Type: cmtproto.PrecommitType, Height: sh.Commit.Height, Round: sh.Commit.Round, BlockID: *blockID,
			Timestamp: s.Timestamp, ValidatorAddress: s.ValidatorAddress, ValidatorIndex: int32(i)}
		sig, err := vals.keys[vote.ValidatorAddress.String()].Sign(types.VoteSignBytes(h.ChainID, vote.ToProto()))
		check(t, err)
		s.Signature = sig
	}
}

func ruleCases() []vectorCase {
	var out []vectorCase
	for _, c := range ruleCasesWithWords() {
		out = append(out, c.vectorCase)
	}
	return out
}

// TestRuleVectors runs the rule vectors from their committed files and
// checks that each fails at its rule: its step, and its message.
func TestRuleVectors(t *testing.T) {
	for _, c := range ruleCasesWithWords() {
		t.Run(c.name, func(t *testing.T) {
			vec := vectorSpec{Name: c.name, Receipt: "invalid/" + c.name + ".json", Trust: "trust.json", Evidence: c.evidence, Step: c.step}
			step, err := runVector(t, vec)
			if err == nil || step != c.step || !strings.Contains(err.Error(), c.words) {
				t.Fatalf("%s (check %s): step %q, %v; want step %q, an error with %q", c.name, c.rule, step, err, c.step, c.words)
			}
			t.Log(fmt.Sprintf("check %s: %v", c.rule, err))
		})
	}
}
