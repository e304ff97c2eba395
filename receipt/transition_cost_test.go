package receipt

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/types"
)

// countVerifications makes verifyEd25519 count its calls for the test.
func countVerifications(t *testing.T) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	old := verifyEd25519
	verifyEd25519 = func(pub ed25519.PublicKey, msg, sig []byte) bool {
		n.Add(1)
		return old(pub, msg, sig)
	}
	t.Cleanup(func() { verifyEd25519 = old })
	return &n
}

// hostileSkip is a skipping transition at height 11 whose validator_set
// is n validators of the attacker's own keys (power 1 each), all of them
// signing; trusted (keys of the genesis set, by tkey number) are added
// with power 1 and sign too, but with signatures that do not verify.
func hostileSkip(t testing.TB, n int, trusted ...int) Transition {
	t.Helper()
	keys := map[string]cmted25519.PrivKey{}
	var vals []*types.Validator
	for i := 0; i < n; i++ {
		k := cmted25519.GenPrivKeyFromSecret(fmt.Appendf(nil, "hostile validator %d", i))
		val := types.NewValidator(k.PubKey(), 1)
		keys[val.Address.String()] = k
		vals = append(vals, val)
	}
	for _, m := range trusted {
		val := types.NewValidator(tkey(m).PubKey(), 1)
		// Not the member's key: its slot's signature does not verify.
		keys[val.Address.String()] = cmted25519.GenPrivKeyFromSecret(fmt.Appendf(nil, "forger %d", m))
		vals = append(vals, val)
	}
	hostile := types.NewValidatorSet(vals)
	next := tset(transitionEras[0])
	h := theader{chainID: fixtureChainID, height: 11, vals: hostile, next: next, keys: keys}
	return Transition{Height: 11, SignedHeader: h.signed(t), NextValidatorSet: tsetB64(t, next), ValidatorSet: tsetB64(t, hostile)}
}

// TestHostileTransitionCost: a skipping transition carries its own
// validator set, which the attacker chooses. Checking it must not cost a
// signature verification per validator of that set unless the set in force
// really signed the header: the slots' claims are tallied first, and the
// signatures of members of the set in force are checked before the others.
func TestHostileTransitionCost(t *testing.T) {
	trust, err := ParseTrust(must(os.ReadFile("testdata/transitions/trust.json")))
	check(t, err)
	v, err := NewVerifier(trust)
	check(t, err)
	const n = 300
	for _, c := range []struct {
		name    string
		trusted []int
		maxSigs int64
		words   string
	}{
		{"no member of the set in force", nil, 0, "too few validators of the set in force signed"},
		{"members claimed, signatures forged", []int{0, 1, 2}, 3, "does not verify"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr := hostileSkip(t, n, c.trusted...)
			count := countVerifications(t)
			_, err := v.VerifyTransitions([]Transition{tr})
			if err == nil || !strings.Contains(err.Error(), c.words) {
				t.Fatalf("VerifyTransitions(hostile skip) = %v, want an error with %q", err, c.words)
			}
			if got := count.Load(); got > c.maxSigs {
				t.Errorf("VerifyTransitions(hostile skip of %d validators) checked %d signatures, want at most %d", n, got, c.maxSigs)
			}
		})
	}
}

// BenchmarkHostileSkip is the cost of refusing a skipping transition that
// carries 20,000 validators of the attacker's keys (3.3 MB), all signing,
// none of the set in force (docs/performance.md, "A hostile transition").
func BenchmarkHostileSkip(b *testing.B) {
	trust, err := ParseTrust(must(os.ReadFile("testdata/transitions/trust.json")))
	check(b, err)
	v, err := NewVerifier(trust)
	check(b, err)
	tr := hostileSkip(b, 20000)
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.VerifyTransitions([]Transition{tr}); err == nil {
			b.Fatal("a hostile transition verified")
		}
	}
}
