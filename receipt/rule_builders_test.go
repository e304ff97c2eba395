package receipt

// Builders of the rule vectors (rule_vectors_test.go) added in session 17.

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"testing"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"github.com/custos-project/custos/custody"
)

// withOther builds a receipt with a custody head and writes custody.other
// (another key of the map and its value) after its proof, as the encoder
// would (it refuses to write it beside a head).
func withOther(o receiptOpts) func(testing.TB, *vectorBase) []byte {
	return func(t testing.TB, b *vectorBase) []byte {
		r := encode(t, b.receipt(t, o))
		i := bytes.Index(r, []byte(`"custody":{"head":`))
		j := bytes.Index(r[i:], []byte("]},"))
		if i < 0 || j < 0 {
			t.Fatal("no custody proof in the receipt")
		}
		other := fmt.Sprintf(`,"other":[%q,%q]`, hexOf(sha256.Sum256([]byte("key 0"))), hexOf(sha256.Sum256([]byte("value 0"))))
		return slices.Concat(r[:i+j+1], []byte(other), r[i+j+1:])
	}
}

// withToken builds a version-1 receipt whose created event lists, and
// which carries, the reply token picks from inputs.json.
func withToken(token func(in vectorInputs) string) func(testing.TB, *vectorBase) []byte {
	return func(t testing.TB, b *vectorBase) []byte {
		tok := token(b.inputs)
		if tok == "" {
			t.Fatal("inputs.json lacks the token; run go test ./receipt -run TestVectors -add")
		}
		return encode(t, b.receipt(t, receiptOpts{token: tok}))
	}
}

// textOf builds a receipt and replaces, once, what pattern (a regular
// expression) matches with repl (regexp.Expand syntax).
func textOf(o receiptOpts, pattern, repl string) func(testing.TB, *vectorBase) []byte {
	re := regexp.MustCompile(pattern)
	return func(t testing.TB, b *vectorBase) []byte {
		r := encode(t, b.receipt(t, o))
		m := re.FindSubmatchIndex(r)
		if m == nil {
			t.Fatalf("the receipt has no %s", pattern)
		}
		return slices.Concat(r[:m[0]], re.Expand(nil, []byte(repl), r, m), r[m[1]:])
	}
}

// nilSlot builds a receipt whose commit has a NIL slot (validator 2's) and
// edits that slot.
func nilSlot(f func(s *cmtproto.CommitSig)) func(testing.TB, *vectorBase) []byte {
	return func(t testing.TB, b *vectorBase) []byte {
		r := b.receipt(t, receiptOpts{flags: withNil})
		editSignedHeader(t, &r.Checkpoint, func(sh *cmtproto.SignedHeader) {
			if sh.Commit.Signatures[2].BlockIdFlag != cmtproto.BlockIDFlagNil {
				t.Fatal("slot 2 is not a NIL slot")
			}
			f(&sh.Commit.Signatures[2])
		})
		return encode(t, r)
	}
}

// neighbourOpts is a version-3 receipt of the created event alone, whose
// absent head's path ends at a neighbour key's leaf (custody.other).
var neighbourOpts = receiptOpts{v3: true, absent: true, since: 3, state: stateOpts{neighbour: true}}

// headTypes is a state whose custody head counts types instead of its
// events' types.
func headTypes(types map[string]uint32) stateOpts {
	return stateOpts{head: func(h *custody.Head) { h.Types = types }}
}

// needOther fails unless r proves an absent head with custody.other.
func needOther(t testing.TB, r *Receipt) {
	t.Helper()
	if r.Custody.Head != "" || r.Custody.Other == nil {
		t.Fatalf("custody %+v: want an absent head whose path ends at another key", r.Custody)
	}
}

// boundKey is the state key of r's custody head (version 3).
func boundKey(r *Receipt) [32]byte {
	return custody.BoundHeadKey(custody.HeadKey(r.Evidence.ID), r.Events[0].LeafIndex)
}

func hexOf(h [32]byte) string { return hex.EncodeToString(h[:]) }

// b20 is the address of validator i of r's validator set.
func b20(t testing.TB, r *Receipt, i int) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(r.Checkpoint.ValidatorSet)
	check(t, err)
	var vs cmtproto.ValidatorSet
	check(t, vs.Unmarshal(b))
	return vs.Validators[i].Address
}
