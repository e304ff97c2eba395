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
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"
	"github.com/digitorus/timestamp"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/internal/rfc3161"
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
		// format (§3.1 checks 1–4).
		c("receipt-over-64-mib", ev, StepFormat, "1", "over the 67108864-byte limit",
			"a valid receipt 1 to 4 bytes over the 64 MiB limit (the fewest its construction allows: its token's status carries a free text of NUL characters); committed as a template and an expand rule",
			oversizeReceipt),
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

		// Session 17: the parts of checks 2–4 without a vector.
		c("json-member-type", ev, StepFormat, "2", "cannot unmarshal string", "evidence.size 85 written as the string \"85\"",
			replace(`"size":85,`, `"size":"85",`)),
		c("v1-with-custody", ev, StepFormat, "3", "a version-1 receipt has no custody head", "a complete version-2 receipt (custody, state_root) labelled version 1",
			textOf(receiptOpts{v2: true}, `^\{"version":2,`, `{"version":1,`)),
		c("v2-without-state-root", ev, StepFormat, "3", "state root", "a version-2 receipt without checkpoint.state_root",
			textOf(receiptOpts{v2: true}, `"state_root":"[0-9a-f]{64}",`, ``)),
		c("v2-with-heads-since", ev, StepFormat, "3", "heads_since", "a version-3 receipt (heads_since, a head) labelled version 2",
			textOf(receiptOpts{v3: true, since: 2}, `^\{"version":3,`, `{"version":2,`)),
		c("v3-without-heads-since", ev, StepFormat, "3", "heads_since", "a version-3 receipt without checkpoint.heads_since",
			textOf(receiptOpts{v3: true, since: 2}, `"heads_since":2,`, ``)),
		c("v4-without-transitions", ev, StepFormat, "3", "transitions", "a version-3 receipt labelled version 4, which needs transitions",
			textOf(receiptOpts{v3: true, since: 2}, `^\{"version":3,`, `{"version":4,`)),
		c("transition-height-0", ev, StepFormat, "3", "height", "a version-4 receipt whose transition has height 0 (its members canonical base64)",
			textOf(receiptOpts{v3: true, since: 2}, `^\{"version":3,(.*)\}\}$`,
				`{"version":4,$1,"transitions":[{"height":0,"signed_header":"AAAA","next_validator_set":"AAAA"}]}}`)),
		c("transition-base64", ev, StepFormat, "3", "base64", "a version-4 receipt whose transition's signed_header is \"AAA=\" (padding bits not zero: \"AAB=\")",
			textOf(receiptOpts{v3: true, since: 2}, `^\{"version":3,(.*)\}\}$`,
				`{"version":4,$1,"transitions":[{"height":1,"signed_header":"AAB=","next_validator_set":"AAAA"}]}}`)),
		c("transitions-too-many", ev, StepFormat, "3", "transitions", "a version-4 receipt with 1,001 transitions (MaxTransitions is 1,000), each of canonical members",
			func(t testing.TB, b *vectorBase) []byte {
				var ts []string
				for h := 1; h <= MaxTransitions+1; h++ {
					ts = append(ts, fmt.Sprintf(`{"height":%d,"signed_header":"AAAA","next_validator_set":"AAAA"}`, h))
				}
				return textOf(receiptOpts{v3: true, since: 2}, `^\{"version":3,(.*)\}\}$`,
					`{"version":4,$1,"transitions":[`+strings.Join(ts, ",")+`]}}`)(t, b)
			}),
		c("v2-head-absent", ev, StepFormat, "3", "never its absence", "a version-2 receipt whose custody.head is \"\"",
			textOf(receiptOpts{v2: true}, `"head":"(\\"|[^"])*"`, `"head":""`)),
		c("state-root-upper", ev, StepFormat, "3", "state", "a version-2 receipt whose checkpoint.state_root is in upper-case hex",
			func(t testing.TB, b *vectorBase) []byte {
				r := b.receipt(t, receiptOpts{v2: true})
				sr := r.Checkpoint.StateRoot
				return bytes.Replace(encode(t, r), []byte(`"state_root":"`+sr+`"`), []byte(`"state_root":"`+strings.ToUpper(sr)+`"`), 1)
			}),
		c("v1-item-proof", ev, StepFormat, "3", "item_proof in a version-1 receipt", "a version-1 receipt whose event 0 carries an item_proof",
			textOf(receiptOpts{}, `("proof":\[[^\]]*\])`, `$1,"item_proof":["`+strings.Repeat("0", 64)+`"]`)),
		c("v2-without-custody", ev, StepFormat, "3", "needs its custody head", "a version-2 receipt without custody",
			textOf(receiptOpts{v2: true}, `"custody":\{"head":"(\\"|[^"])*","proof":\[[^\]]*\]\},`, ``)),
		c("v3-with-transitions", ev, StepFormat, "3", "transitions", "a version-3 receipt with a transition (of canonical members)",
			textOf(receiptOpts{v3: true, since: 2}, `\}\}$`, `,"transitions":[{"height":1,"signed_header":"AAAA","next_validator_set":"AAAA"}]}}`)),
		c("signed-header-base64", ev, StepFormat, "4", "signed_header", "checkpoint.signed_header is \"AAB=\" (padding bits not zero)",
			textOf(receiptOpts{}, `"signed_header":"[^"]*"`, `"signed_header":"AAB="`)),
		c("json-not-object", ev, StepFormat, "2", "", "the receipt inside a JSON array",
			text(func(t testing.TB, r []byte) []byte { return slices.Concat([]byte("["), r, []byte("]")) })),
		c("custody-proof-upper", ev, StepFormat, "3", "custody.proof[0]", "a version-2 receipt whose custody.proof[0] is in upper-case hex",
			func(t testing.TB, b *vectorBase) []byte {
				r := b.receipt(t, receiptOpts{v2: true})
				p := r.Custody.Proof[0]
				return bytes.Replace(encode(t, r), []byte(`"proof":["`+p), []byte(`"proof":["`+strings.ToUpper(p)), 1)
			}),
		c("custody-other-short", ev, StepFormat, "3", "custody.other", "a version-3 receipt proving no head whose custody.other holds the key alone",
			func(t testing.TB, b *vectorBase) []byte {
				r := b.receipt(t, neighbourOpts)
				needOther(t, r)
				o := fmt.Sprintf(`"other":[%q,%q]`, r.Custody.Other[0], r.Custody.Other[1])
				return bytes.Replace(encode(t, r), []byte(o), []byte(fmt.Sprintf(`"other":[%q]`, r.Custody.Other[0])), 1)
			}),
		c("item-proof-upper", ev, StepFormat, "4", "item_proof[0]", "a version-2 receipt listing events 0, 2 and 4; event 2's item_proof[0] in upper-case hex",
			func(t testing.TB, b *vectorBase) []byte {
				r := b.receipt(t, receiptOpts{v2: true})
				keepEvents(t, r, 0, 2, 4)
				p := r.Events[1].ItemProof[0]
				out := encode(t, r)
				if bytes.Count(out, []byte(p)) != 1 {
					t.Fatal("the item proof's hash is not in the receipt once")
				}
				return bytes.Replace(out, []byte(p), []byte(strings.ToUpper(p)), 1)
			}),
		c("evidence-id", ev, StepFormat, "4", "id", "evidence.id in upper case",
			replace(`"id":"mfrggzdfmztwq2lknnwg23tpoa"`, `"id":"MFRGGZDFMZTWQ2LKNNWG23TPOA"`)),
		c("evidence-sha256-upper", ev, StepFormat, "4", "sha256", "evidence.sha256 in upper-case hex",
			textOf(receiptOpts{}, `"sha256":"1648ea457bbfee46f21736f82b0569ea21f7731d9699ac38d0e1710161c5cca4"`,
				`"sha256":"1648EA457BBFEE46F21736F82B0569EA21F7731D9699AC38D0E1710161C5CCA4"`)),
		c("evidence-sm3-short", ev, StepFormat, "4", "sm3", "evidence.sm3 of 62 hex digits",
			textOf(receiptOpts{}, `("sm3":"[0-9a-f]{62})[0-9a-f]{2}"`, `$1"`)),
		c("media-type-empty", ev, StepFormat, "4", "media", "evidence.media_type empty",
			replace(`"media_type":"text/plain; charset=utf-8"`, `"media_type":""`)),
		c("media-type-too-long", ev, StepFormat, "4", "media", "evidence.media_type of 256 bytes",
			replace(`"media_type":"text/plain; charset=utf-8"`, `"media_type":"text/plain; x=`+strings.Repeat("a", 256-len("text/plain; x="))+`"`)),
		c("timestamps-empty", ev, StepFormat, "4", "no time-stamp token", "timestamps is []",
			textOf(receiptOpts{}, `"timestamps":\["[^"]*"\]`, `"timestamps":[]`)),
		c("events-empty", ev, StepFormat, "4", "no custody event", "events is []",
			textOf(receiptOpts{}, `"events":\[.*\],"checkpoint"`, `"events":[],"checkpoint"`)),
		c("event-empty", ev, StepFormat, "4", "event", "event 4's event string is empty",
			textOf(receiptOpts{}, `(.*"event":)"(\\"|[^"])*"`, `$1""`)),
		c("proof-hash-upper", ev, StepFormat, "4", "proof", "a hash of event 0's audit path in upper-case hex",
			textOf(receiptOpts{}, `"proof":\["c16a4d0a334db3a1c890d51eabc12e37e257bb75f7cd595175acb7e1724ce62a"`,
				`"proof":["C16A4D0A334DB3A1C890D51EABC12E37E257BB75F7CD595175ACB7E1724CE62A"`)),
		c("chain-id-empty", ev, StepFormat, "4", "chain", "checkpoint.chain_id empty",
			replace(`"chain_id":"custos-test-1"`, `"chain_id":""`)),
		c("tree-size-0", ev, StepFormat, "4", "tree size 0", "checkpoint.tree_size 0",
			replace(`"tree_size":45,`, `"tree_size":0,`)),
		c("root-not-hex", ev, StepFormat, "4", "root", "checkpoint.root of 63 hex digits and a g",
			textOf(receiptOpts{}, `("root":"[0-9a-f]{63})[0-9a-f]"`, `${1}g"`)),
		c("checkpoint-validator-set-empty", ev, StepFormat, "4", "validator_set", "checkpoint.validator_set empty",
			textOf(receiptOpts{}, `"validator_set":"[^"]*"`, `"validator_set":""`)),

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
		c("custody-event-other-item", ev, StepCustody, "10", "evidence", "event 1 names another evidence ID",
			edit(receiptOpts{}, func(t testing.TB, r *Receipt) {
				r.Events[1].Event = strings.Replace(r.Events[1].Event, r.Evidence.ID, "aaaaaaaaaaaaaaaaaaaaaaaaaa", 1)
			})),
		c("custody-event-audit-kind", ev, StepCustody, "10", "(expected an event of an evidence chain (one that starts with created); computed a key.created event)",
			"event 1's type viewed written as key.created, an event of an audit chain",
			edit(receiptOpts{}, func(t testing.TB, r *Receipt) {
				e := strings.Replace(r.Events[1].Event, `"type":"viewed"`, `"type":"key.created"`, 1)
				if e == r.Events[1].Event {
					t.Fatal("event 1 is not a viewed event")
				}
				r.Events[1].Event = e
			})),
		c("custody-listed-event-other-item", ev, StepCustody, "10", "(expected evidence mfrggzdfmztwq2lknnwg23tpoa; computed evidence aaaaaaaaaaaaaaaaaaaaaaaaaa)",
			"version 2: events 0, 2 and 4 listed with item proofs; event 2 names another evidence ID",
			edit(receiptOpts{v2: true}, func(t testing.TB, r *Receipt) {
				keepEvents(t, r, 0, 2, 4)
				r.Events[1].Event = strings.Replace(r.Events[1].Event, r.Evidence.ID, "aaaaaaaaaaaaaaaaaaaaaaaaaa", 1)
			})),
		c("custody-id-differs", "", StepCustody, "11", "the created event's evidence ID differs", "evidence.id changed (checked without the file): the created event names another",
			edit(receiptOpts{}, func(t testing.TB, r *Receipt) { r.Evidence.ID = "aaaaaaaaaaaaaaaaaaaaaaaaaa" })),
		c("custody-sha256-differs", "", StepCustody, "11", "the created event's SHA-256 differs", "evidence.sha256 changed (checked without the file)",
			edit(receiptOpts{}, func(t testing.TB, r *Receipt) { r.Evidence.SHA256 = flipHex(r.Evidence.SHA256, 0) })),
		c("custody-sm3-differs", "", StepCustody, "11", "the created event's SM3 differs", "evidence.sm3 changed (checked without the file)",
			edit(receiptOpts{}, func(t testing.TB, r *Receipt) { r.Evidence.SM3 = flipHex(r.Evidence.SM3, 0) })),
		c("custody-size-differs", "", StepCustody, "11", "the created event's size differs", "evidence.size 86 (checked without the file)",
			edit(receiptOpts{}, func(t testing.TB, r *Receipt) { r.Evidence.Size++ })),
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
		c("token-content-type", ev, StepTimestamp, "14", "token content is not a TSTInfo",
			"inputs.json's token with its eContentType id-ct-TSTInfo written as id-ct-authData (1.2.840.113549.1.9.16.1.2); the signed contentType attribute and the signature kept",
			token(func(t testing.TB, reply []byte) []byte {
				tstInfo := []byte{0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x04}
				i := bytes.Index(reply, tstInfo)
				if i < 0 || bytes.Count(reply, tstInfo) != 2 {
					t.Fatalf("the token names id-ct-TSTInfo %d times, want 2 (eContentType, then the signed attribute)", bytes.Count(reply, tstInfo))
				}
				reply[i+len(tstInfo)-1] = 0x02
				return reply
			})),
		c("token-message-digest", ev, StepTimestamp, "14", "Message digest mismatch",
			"inputs.json's token with the last bit of its TSTInfo's serial number flipped: the signed messageDigest attribute no longer is the TSTInfo's digest; the signature kept",
			token(func(t testing.TB, reply []byte) []byte {
				st, err := rfc3161.CheckStatus(reply)
				check(t, err)
				ts, err := timestamp.Parse(st)
				check(t, err)
				serial := ts.SerialNumber.Bytes()
				if serial[0]&0x80 != 0 {
					serial = append([]byte{0}, serial...)
				}
				enc := append([]byte{0x02, byte(len(serial))}, serial...)
				if bytes.Count(reply, enc) != 1 {
					t.Fatalf("the serial number's encoding occurs %d times in the token", bytes.Count(reply, enc))
				}
				reply[bytes.Index(reply, enc)+len(enc)-1] ^= 1
				return reply
			})),
		c("token-not-der", ev, StepTimestamp, "13", "not a DER TimeStampResp", "the created event lists, and the receipt carries, three bytes that are no TimeStampResp",
			token(func(t testing.TB, _ []byte) []byte { return []byte{1, 2, 3} })),
		c("token-granted-without-token", ev, StepTimestamp, "13", "granted reply without a token", "the created event lists, and the receipt carries, a TimeStampResp with status granted (0) and no token",
			token(func(t testing.TB, _ []byte) []byte { return []byte{0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x00} })),
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
		c("head-proof-last-sibling-empty", ev, StepComplete, "6.4/2", "proof not in canonical form", "version 2: an empty sibling appended to the head's membership proof (not its one spelling)",
			edit(receiptOpts{v2: true}, func(t testing.TB, r *Receipt) { r.Custody.Proof = append(r.Custody.Proof, strings.Repeat("0", 64)) })),
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

		// Added in session 17: parts of check 24 without a vector. The
		// header's hash changes, so check 32 would fail too; 24 comes first.
		c("header-version-block", ev, StepCheckpoint, "24", "block protocol is incorrect", "the header's version.block 11 written as 10",
			header(func(sh *cmtproto.SignedHeader) { sh.Header.Version.Block = 10 })),
		c("header-chain-id-too-long", ev, StepCheckpoint, "24", "chainID is too long", "the header's chain_id 51 bytes long",
			header(func(sh *cmtproto.SignedHeader) { sh.Header.ChainID = strings.Repeat("c", 51) })),
		c("header-height-zero", ev, StepCheckpoint, "24", "zero Height", "the header's height 0",
			header(func(sh *cmtproto.SignedHeader) { sh.Header.Height = 0 })),
		c("header-last-block-hash-short", ev, StepCheckpoint, "24", "computed wrong Hash)", "the header's last_block_id.hash cut to 31 bytes",
			header(func(sh *cmtproto.SignedHeader) { sh.Header.LastBlockId.Hash = sh.Header.LastBlockId.Hash[:31] })),
		c("header-data-hash-short", ev, StepCheckpoint, "24", "wrong DataHash", "the header's data_hash cut to 31 bytes",
			header(func(sh *cmtproto.SignedHeader) { sh.Header.DataHash = sh.Header.DataHash[:31] })),
		c("header-validators-hash-short", ev, StepCheckpoint, "24", "wrong ValidatorsHash", "the header's validators_hash cut to 31 bytes",
			header(func(sh *cmtproto.SignedHeader) { sh.Header.ValidatorsHash = sh.Header.ValidatorsHash[:31] })),
		c("header-height-negative", ev, StepCheckpoint, "24", "negative Height", "the header's height -12",
			header(func(sh *cmtproto.SignedHeader) { sh.Header.Height = -12 })),
		c("header-last-part-set-hash-short", ev, StepCheckpoint, "24", "wrong Hash: expected size to be 32 bytes, got 31 bytes",
			"the header's last_block_id.part_set_header.hash cut to 31 bytes",
			header(func(sh *cmtproto.SignedHeader) {
				sh.Header.LastBlockId.PartSetHeader.Hash = sh.Header.LastBlockId.PartSetHeader.Hash[:31]
			})),
		c("header-last-commit-hash-short", ev, StepCheckpoint, "24", "wrong LastCommitHash", "the header's last_commit_hash cut to 31 bytes",
			header(func(sh *cmtproto.SignedHeader) { sh.Header.LastCommitHash = sh.Header.LastCommitHash[:31] })),
		c("header-evidence-hash-short", ev, StepCheckpoint, "24", "wrong EvidenceHash", "the header's evidence_hash cut to 31 bytes",
			header(func(sh *cmtproto.SignedHeader) { sh.Header.EvidenceHash = sh.Header.EvidenceHash[:31] })),
		c("header-next-validators-hash-short", ev, StepCheckpoint, "24", "wrong NextValidatorsHash", "the header's next_validators_hash cut to 31 bytes",
			header(func(sh *cmtproto.SignedHeader) { sh.Header.NextValidatorsHash = sh.Header.NextValidatorsHash[:31] })),
		c("header-consensus-hash-short", ev, StepCheckpoint, "24", "wrong ConsensusHash", "the header's consensus_hash cut to 31 bytes",
			header(func(sh *cmtproto.SignedHeader) { sh.Header.ConsensusHash = sh.Header.ConsensusHash[:31] })),
		c("header-last-results-hash-short", ev, StepCheckpoint, "24", "wrong LastResultsHash", "the header's last_results_hash cut to 31 bytes",
			header(func(sh *cmtproto.SignedHeader) { sh.Header.LastResultsHash = sh.Header.LastResultsHash[:31] })),

		// Added in session 17: the parts of check 25 without a vector.
		// Each fails at 25, the first check it breaks; an edit of what the
		// validators sign or what check 32 compares breaks those later
		// checks too, which the verifier never reaches.
		c("commit-block-hash-short", ev, StepCheckpoint, "25", "computed wrong Hash)", "the commit's block_id.hash cut to 31 bytes",
			header(func(sh *cmtproto.SignedHeader) { sh.Commit.BlockID.Hash = sh.Commit.BlockID.Hash[:31] })),
		c("commit-part-set-hash-short", ev, StepCheckpoint, "25", "wrong Hash: expected size to be 32 bytes, got 31 bytes",
			"the commit's block_id.part_set_header.hash cut to 31 bytes",
			header(func(sh *cmtproto.SignedHeader) {
				sh.Commit.BlockID.PartSetHeader.Hash = sh.Commit.BlockID.PartSetHeader.Hash[:31]
			})),
		c("absent-slot-address", ev, StepCheckpoint, "25", "validator address is present", "the ABSENT slot (validator 3) carries validator 3's address",
			edit(receiptOpts{flags: withAbs}, func(t testing.TB, r *Receipt) {
				editSignedHeader(t, &r.Checkpoint, func(sh *cmtproto.SignedHeader) {
					sh.Commit.Signatures[3].ValidatorAddress = b20(t, r, 3)
				})
			})),
		c("absent-slot-signature", ev, StepCheckpoint, "25", "signature is present", "the ABSENT slot (validator 3) carries a 64-byte signature",
			edit(receiptOpts{flags: withAbs}, func(t testing.TB, r *Receipt) {
				editSignedHeader(t, &r.Checkpoint, func(sh *cmtproto.SignedHeader) { sh.Commit.Signatures[3].Signature = sh.Commit.Signatures[0].Signature })
			})),
		c("commit-slot-address-short", ev, StepCheckpoint, "25", "expected ValidatorAddress size to be 20 bytes, got 19 bytes",
			"the COMMIT slot 1's validator_address cut to 19 bytes",
			header(func(sh *cmtproto.SignedHeader) {
				sh.Commit.Signatures[1].ValidatorAddress = sh.Commit.Signatures[1].ValidatorAddress[:19]
			})),
		c("commit-slot-signature-missing", ev, StepCheckpoint, "25", "signature is missing", "the COMMIT slot 1 without its signature",
			header(func(sh *cmtproto.SignedHeader) { sh.Commit.Signatures[1].Signature = nil })),
		c("commit-slot-signature-too-big", ev, StepCheckpoint, "25", "signature is too big", "the COMMIT slot 1's signature padded with zero bytes to 3310 bytes (the limit is 3309)",
			header(func(sh *cmtproto.SignedHeader) {
				sh.Commit.Signatures[1].Signature = append(sh.Commit.Signatures[1].Signature, make([]byte, 3310-64)...)
			})),
		c("nil-slot-address-short", ev, StepCheckpoint, "25", "expected ValidatorAddress size to be 20 bytes, got 19 bytes",
			"the NIL slot 2's validator_address cut to 19 bytes",
			nilSlot(func(s *cmtproto.CommitSig) { s.ValidatorAddress = s.ValidatorAddress[:19] })),
		c("nil-slot-signature-missing", ev, StepCheckpoint, "25", "signature is missing", "the NIL slot 2 without its signature",
			nilSlot(func(s *cmtproto.CommitSig) { s.Signature = nil })),
		c("nil-slot-signature-too-big", ev, StepCheckpoint, "25", "signature is too big", "the NIL slot 2's signature padded with zero bytes to 3310 bytes",
			nilSlot(func(s *cmtproto.CommitSig) { s.Signature = append(s.Signature, make([]byte, 3310-64)...) })),
		c("commit-height-negative", ev, StepCheckpoint, "25", "negative Height", "the commit's height -1",
			header(func(sh *cmtproto.SignedHeader) { sh.Commit.Height = -1 })),
		c("commit-round-negative", ev, StepCheckpoint, "25", "negative Round", "the commit's round -1, every slot signed again for round -1",
			func(t testing.TB, b *vectorBase) []byte {
				r := b.receipt(t, receiptOpts{})
				editSignedHeader(t, &r.Checkpoint, func(sh *cmtproto.SignedHeader) {
					sh.Commit.Round = -1
					resign(t, b.vals, sh)
				})
				return encode(t, r)
			}),
		c("commit-for-nil-block", ev, StepCheckpoint, "25", "commit cannot be for nil block", "the commit's block_id emptied (the nil block) at height 12",
			header(func(sh *cmtproto.SignedHeader) { sh.Commit.BlockID = cmtproto.BlockID{} })),
		c("commit-no-slots", ev, StepCheckpoint, "25", "no signatures in commit", "the commit at height 12 without any slot",
			header(func(sh *cmtproto.SignedHeader) { sh.Commit.Signatures = nil })),

		// Check 16 (session 17): token 0 from a TSA under a root the bundle
		// does not hold; under a root it holds (tsa_roots_pem), but
		// without the time-stamping usage, or with it not critical (which
		// RFC 5280 path validation alone accepts).
		c("tsa-other-root", ev, StepTimestamp, "16", "certificate signed by unknown authority",
			"the created event lists, and the receipt carries, a valid token over the evidence from a TSA under a root the trust bundle does not hold",
			withToken(func(in vectorInputs) string { return in.OtherRootToken })),
		c("tsa-without-usage", ev, StepTimestamp, "16", "no extended key usage extension",
			"token 0 signed under a root of the bundle (tsa_roots_pem) by a certificate without any extended key usage",
			withToken(func(in vectorInputs) string { return in.NoUsageToken })),
		c("tsa-not-yet-valid", ev, StepTimestamp, "16", "certificate has expired or is not yet valid",
			"token 0 signed under a root of the bundle (tsa_roots_pem) by a TSA certificate issued after the token's genTime (checked at genTime, not now)",
			withToken(func(in vectorInputs) string { return in.NotYetValidToken })),
		c("tsa-signing-time", ev, StepTimestamp, "14", "is outside of certificate validity",
			"token 0 signed under a root of the bundle (tsa_roots_pem) by a TSA certificate valid at the token's genTime but not at its CMS signingTime attribute",
			withToken(func(in vectorInputs) string { return in.SigningTimeOutsideToken })),
		c("tsa-ess-other-cert", ev, StepTimestamp, "14", "ESS signing certificate is not the signer's certificate",
			"token 0 signed under a root of the bundle (tsa_roots_pem); its ESS signing-certificate attribute names another certificate of the same key, issuer and serial number than the one it carries",
			withToken(func(in vectorInputs) string { return in.ESSOtherCertToken })),
		c("tsa-two-signers", ev, StepTimestamp, "14", "no single signer",
			"token 0 signed twice, by two TSAs under a root of the bundle (tsa_roots_pem), each signature valid",
			withToken(func(in vectorInputs) string { return in.TwoSignersToken })),
		c("tsa-ess-other-serial", ev, StepTimestamp, "14", "ESS issuer serial is not the signer's",
			"token 0 signed under a root of the bundle (tsa_roots_pem); its ESS identifier has the signer certificate's hash but another serial number",
			withToken(func(in vectorInputs) string { return in.ESSOtherSerialToken })),
		c("tsa-signer-not-found", ev, StepTimestamp, "14", "No certificate for signer",
			"token 0 signed under a root of the bundle (tsa_roots_pem) without its certificates, which the bundle's tsa_chain_pem does not hold either",
			withToken(func(in vectorInputs) string { return in.SignerNotFoundToken })),
		c("tsa-usage-not-critical", ev, StepTimestamp, "16", "extended key usage is not critical",
			"token 0 signed under a root of the bundle (tsa_roots_pem) by a certificate whose time-stamping usage is not critical",
			withToken(func(in vectorInputs) string { return in.UsageNotCriticalToken })),

		// Session 17: check 22 and the parts of check 27 without a vector.
		c("validator-set-unknown-field", ev, StepCheckpoint, "22", "the validator set does not decode", "an unknown field 4 (varint 1) appended to the ValidatorSet",
			edit(receiptOpts{}, func(t testing.TB, r *Receipt) {
				vs, err := base64.StdEncoding.DecodeString(r.Checkpoint.ValidatorSet)
				check(t, err)
				r.Checkpoint.ValidatorSet = base64.StdEncoding.EncodeToString(append(vs, 0x20, 0x01))
			})),
		c("validator-key-other-type", ev, StepCheckpoint, "27", "is not supported by this verifier", "validator 3's key written as a secp256k1 key of 33 bytes",
			valset(func(vs *cmtproto.ValidatorSet) {
				vs.Validators[3].PubKey.Sum = &cmtcrypto.PublicKey_Secp256K1{Secp256K1: append([]byte{2}, vs.Validators[3].PubKey.GetEd25519()...)}
			})),
		c("validator-key-short", ev, StepCheckpoint, "27", "invalid size for PubKeyEd25519", "validator 3's Ed25519 key cut to 31 bytes",
			valset(func(vs *cmtproto.ValidatorSet) {
				vs.Validators[3].PubKey.Sum = &cmtcrypto.PublicKey_Ed25519{Ed25519: vs.Validators[3].PubKey.GetEd25519()[:31]}
			})),
		c("validator-power-negative", ev, StepCheckpoint, "27", "negative voting power", "validator 3's voting power 10 written as -10",
			valset(func(vs *cmtproto.ValidatorSet) { vs.Validators[3].VotingPower = -10 })),
		c("validator-power-over-cap", ev, StepCheckpoint, "27", "exceeds maximum", "validator 0's voting power written as 2^63/8 - 1, so that the total passes the cap",
			valset(func(vs *cmtproto.ValidatorSet) { vs.Validators[0].VotingPower = math.MaxInt64 / 8 })),
		c("validator-set-empty", ev, StepCheckpoint, "27", "validator set is nil or empty", "the validator set without validators (its proposer kept)",
			valset(func(vs *cmtproto.ValidatorSet) { vs.Validators = nil })),
		c("proposer-missing", ev, StepCheckpoint, "27", "proposer error: nil validator", "the validator set without its proposer",
			valset(func(vs *cmtproto.ValidatorSet) { vs.Proposer = nil })),
		c("proposer-not-member", ev, StepCheckpoint, "27", "proposer not in validator set", "the proposer replaced by a validator of a key the set does not hold (its address derived from it)",
			valset(func(vs *cmtproto.ValidatorSet) {
				k := cmted25519.GenPrivKeyFromSecret([]byte("custos receipt test vector outsider"))
				p := *vs.Proposer
				p.PubKey.Sum = &cmtcrypto.PublicKey_Ed25519{Ed25519: k.PubKey().Bytes()}
				p.Address = k.PubKey().Address()
				vs.Proposer = &p
			})),

		// Completeness (§6.4 checks 4 and 5): a head the validators signed
		// whose type counts are not those of its own events (count and
		// root are).
		c("head-types-differ", ev, StepComplete, "6.4/4", "the listed events' types are not the custody head's",
			"version 2: all 5 events listed; the signed head counts 2 viewed and 2 downloaded, its events are 3 viewed and 1 downloaded",
			edit(receiptOpts{v2: true, state: headTypes(map[string]uint32{"created": 1, "viewed": 2, "downloaded": 2})},
				func(t testing.TB, r *Receipt) {})),
		c("head-root-differs", ev, StepComplete, "6.4/4", "the listed events are not the events the custody head commits to",
			"version 2: all 5 events listed; the signed head's count and type counts are theirs, its root is another tree's",
			edit(receiptOpts{v2: true, state: stateOpts{head: func(h *custody.Head) { h.Root = hexOf(sha256.Sum256([]byte("another event tree"))) }}},
				func(t testing.TB, r *Receipt) {})),
		c("head-type-over-count", ev, StepComplete, "6.4/5", "more events of a type than the custody head counts",
			"version 2: events 0, 1 and 3 listed with item proofs (2 viewed); the signed head counts 1 viewed and 3 downloaded",
			edit(receiptOpts{v2: true, state: headTypes(map[string]uint32{"created": 1, "viewed": 1, "downloaded": 3})},
				func(t testing.TB, r *Receipt) { keepEvents(t, r, 0, 1, 3) })),
		c("head-type-not-counted", ev, StepComplete, "6.4/5", "a type the custody head does not count",
			"version 2: events 0 and 2 listed with item proofs (one downloaded); the signed head counts 4 viewed and no downloaded",
			edit(receiptOpts{v2: true, state: headTypes(map[string]uint32{"created": 1, "viewed": 4})},
				func(t testing.TB, r *Receipt) { keepEvents(t, r, 0, 2) })),

		// An absent head (§6.6): the forms of custody.other.
		c("no-head-other-left-out", ev, StepComplete, "6.6/2", "computed root",
			"version 3: no head; the key's path ends at another key's leaf, and custody.other, which names it, is left out",
			edit(neighbourOpts, func(t testing.TB, r *Receipt) { needOther(t, r); r.Custody.Other = nil })),
		c("no-head-other-at-empty", ev, StepComplete, "6.6/2", "computed root",
			"version 3: no head; the key's path ends at an empty subtree, and custody.other names a key on that path",
			edit(receiptOpts{v3: true, absent: true, since: 3}, func(t testing.TB, r *Receipt) {
				if r.Custody.Other != nil {
					t.Fatal("the path ends at a leaf")
				}
				key := boundKey(r)
				r.Custody.Other = []string{hexOf(neighbourKey(key)), hexOf(sha256.Sum256([]byte("the neighbour's value")))}
			})),
		c("no-head-other-is-key", ev, StepComplete, "6.6/2", "the other leaf has the key itself",
			"version 3: no head; custody.other names the item's own key",
			edit(neighbourOpts, func(t testing.TB, r *Receipt) { needOther(t, r); r.Custody.Other[0] = hexOf(boundKey(r)) })),
		c("no-head-other-off-path", ev, StepComplete, "6.6/2", "the other leaf is not on the key's path",
			"version 3: no head; custody.other names another key of the map, not on the item's key's path",
			edit(neighbourOpts, func(t testing.TB, r *Receipt) {
				needOther(t, r)
				r.Custody.Other = []string{hexOf(sha256.Sum256([]byte("key 0"))), hexOf(sha256.Sum256([]byte("value 0")))}
			})),
		c("no-head-last-sibling-empty", ev, StepComplete, "6.6/2", "the last sibling is empty",
			"version 3: no head; an empty sibling appended to the non-membership proof (not its one spelling; refused before any root is computed)",
			edit(neighbourOpts, func(t testing.TB, r *Receipt) {
				needOther(t, r)
				r.Custody.Proof = append(r.Custody.Proof, strings.Repeat("0", 64))
			})),
		c("no-head-more-events", ev, StepComplete, "6.6/2", "which proves it had one event, but the receipt lists more",
			"version 3: the state holds no head for the item (proven), and the receipt lists its 5 events",
			edit(receiptOpts{v3: true, since: 2, state: stateOpts{noHead: true}}, func(t testing.TB, r *Receipt) {
				if r.Custody.Head != "" || len(r.Events) != 5 {
					t.Fatalf("custody %+v with %d events: want no head and 5 events", r.Custody, len(r.Events))
				}
			})),
		c("no-head-item-proof", ev, StepComplete, "6.6/2", "its one event is listed with an item proof",
			"version 3: no head (proven) and the one event listed, with an item proof",
			edit(receiptOpts{v3: true, absent: true, since: 3}, func(t testing.TB, r *Receipt) {
				r.Events[0].ItemProof = []string{hexOf(sha256.Sum256([]byte("a sibling")))}
			})),
		c("other-with-head", ev, StepFormat, "3", "other is for an absent head only", "version 3: a head, and custody.other beside it",
			withOther(receiptOpts{v3: true, since: 2})),
		c("v2-other", ev, StepFormat, "3", "a version-2 receipt proves a custody head, never its absence", "version 2: custody.other beside the head",
			withOther(receiptOpts{v2: true})),
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
	specs := map[string]vectorSpec{}
	for _, v := range loadManifest(t).Vectors {
		specs[v.Name] = v
	}
	for _, c := range ruleCasesWithWords() {
		t.Run(c.name, func(t *testing.T) {
			vec, ok := specs[c.name]
			if !ok || vec.Receipt != "invalid/"+c.name+".json" || vec.Trust != vectorTrust(c.name) || vec.Evidence != c.evidence || vec.Step != c.step {
				t.Fatalf("vectors.json has %+v for %s; run go test ./receipt -run TestVectors -add", vec, c.name)
			}
			step, err := runVector(t, vec)
			if err == nil || step != c.step || !strings.Contains(err.Error(), c.words) {
				t.Fatalf("%s (check %s): step %q, %v; want step %q, an error with %q", c.name, c.rule, step, err, c.step, c.words)
			}
			t.Log(fmt.Sprintf("check %s: %v", c.rule, err))
			if vec.Expand != nil {
				verifyUnbounded(t, vec)
			}
		})
	}
}

// verifyUnbounded shows that a receipt refused by check 1 alone breaks no
// other check: decoded without the bound (Parse less its first check), it
// verifies.
func verifyUnbounded(t *testing.T, vec vectorSpec) {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(vectorDir, filepath.FromSlash(name)))
		check(t, err)
		return b
	}
	b := vec.Expand.expand(read(vec.Receipt))
	r, ok := parseFast(b)
	if !ok {
		var err error
		if r, err = parseJSON(b); err != nil {
			t.Fatalf("%s without the size bound: %v", vec.Name, err)
		}
	}
	trust, err := ParseTrust(read(vec.Trust))
	check(t, err)
	if _, err := Verify(r, bytes.NewReader(read(vec.Evidence)), trust, Options{}); err != nil {
		t.Fatalf("%s without the size bound: %v, want valid", vec.Name, err)
	}
}
