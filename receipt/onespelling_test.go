package receipt

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"
)

// spellingKit is a checkpoint signed by the seeded vector validators,
// with the commit's slot flags chosen.
func spellingKit(t testing.TB, flags []types.BlockIDFlag) (*Trust, Checkpoint) {
	t.Helper()
	vals := vectorValidators(t)
	root := sha256.Sum256([]byte("root"))
	sh, vs := signCheckpointSlots(t, vals, fixtureChainID, AppHash(fixtureSize, root[:]), flags)
	return vals.trust(newPKI(t)), Checkpoint{ChainID: fixtureChainID, Height: fixtureHeight, TreeSize: fixtureSize,
		Root: fmt.Sprintf("%x", root), SignedHeader: sh, ValidatorSet: vs}
}

// TestCheckpointOneSpelling: the members of a checkpoint that no signature
// and no hash covers (a slot's block_id_flag as an int32, a NIL slot, the
// validator set's priorities, proposer and total) have one accepted value
// each. Before, each of these edits left a receipt that verified. Each
// case is also run through the CometBFT-types reference, which must agree.
func TestCheckpointOneSpelling(t *testing.T) {
	commitAll := []types.BlockIDFlag{2, 2, 2, 2}
	withNil := []types.BlockIDFlag{2, 2, 3, 2}
	withAbsent := []types.BlockIDFlag{2, 2, 2, 1}
	tests := []struct {
		name  string
		flags []types.BlockIDFlag
		sh    func(*cmtproto.Commit)
		vs    func(*cmtproto.ValidatorSet)
		want  string // "" = verifies
	}{
		{"all commit", commitAll, nil, nil, ""},
		{"a signed nil vote", withNil, nil, nil, ""},
		{"an absent slot", withAbsent, nil, nil, ""},
		{"flag 258 for COMMIT", commitAll, func(c *cmtproto.Commit) { c.Signatures[0].BlockIdFlag = 258 }, nil, "block_id_flag 258"},
		{"flag -254 for COMMIT", commitAll, func(c *cmtproto.Commit) { c.Signatures[1].BlockIdFlag = -254 }, nil, "block_id_flag -254"},
		{"flag 257 for ABSENT", withAbsent, func(c *cmtproto.Commit) { c.Signatures[3].BlockIdFlag = 257 }, nil, "block_id_flag 257"},
		{"flag 259 for NIL", withNil, func(c *cmtproto.Commit) { c.Signatures[2].BlockIdFlag = 259 }, nil, "block_id_flag 259"},
		{"flag 0", withAbsent, func(c *cmtproto.Commit) { c.Signatures[3].BlockIdFlag = 0 }, nil, "block_id_flag 0"},
		{"NIL slot time", withNil, func(c *cmtproto.Commit) {
			c.Signatures[2].Timestamp = c.Signatures[2].Timestamp.Add(time.Second)
		}, nil, "nil-vote signature"},
		{"NIL slot signature", withNil, func(c *cmtproto.Commit) { c.Signatures[2].Signature[0] ^= 1 }, nil, "nil-vote signature"},
		{"NIL slot signature of another slot", withNil, func(c *cmtproto.Commit) {
			c.Signatures[2].Signature = bytes.Clone(c.Signatures[1].Signature)
		}, nil, "nil-vote signature"},
		{"NIL slot address", withNil, func(c *cmtproto.Commit) {
			c.Signatures[2].ValidatorAddress = bytes.Clone(c.Signatures[3].ValidatorAddress)
		}, nil, "names another validator"},
		{"COMMIT turned NIL", commitAll, func(c *cmtproto.Commit) { c.Signatures[3].BlockIdFlag = cmtproto.BlockIDFlagNil }, nil, "nil-vote signature"},
		{"ABSENT time 1970", withAbsent, func(c *cmtproto.Commit) { c.Signatures[3].Timestamp = time.Unix(0, 0) }, nil, "time is present"},
		{"priority", commitAll, nil, func(vs *cmtproto.ValidatorSet) { vs.Validators[2].ProposerPriority = 0 }, "proposer priority"},
		{"priorities swapped", commitAll, nil, func(vs *cmtproto.ValidatorSet) {
			a, b := vs.Validators[0], vs.Validators[1]
			a.ProposerPriority, b.ProposerPriority = b.ProposerPriority, a.ProposerPriority
		}, "proposer priority"},
		{"proposer another member", commitAll, nil, func(vs *cmtproto.ValidatorSet) { vs.Proposer = vs.Validators[3] }, "proposer is not"},
		{"proposer priority", commitAll, nil, func(vs *cmtproto.ValidatorSet) { vs.Proposer.ProposerPriority = 0 }, "proposer is not"},
		{"total voting power", commitAll, nil, func(vs *cmtproto.ValidatorSet) { vs.TotalVotingPower = 100 }, "canonical form"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			trust, cp := spellingKit(t, tt.flags)
			if tt.sh != nil {
				editSignedHeader(t, &cp, func(sh *cmtproto.SignedHeader) { tt.sh(sh.Commit) })
			}
			if tt.vs != nil {
				editValidatorSet(t, &cp, tt.vs)
			}
			err := sameCheckpointOutcome(t, trust, &cp)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("checkCheckpoint = %v, want success", err)
				}
				return
			}
			var ve *VerifyError
			if !errors.As(err, &ve) || ve.Step != StepCheckpoint || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("checkCheckpoint = %v, want a failure at step checkpoint mentioning %q", err, tt.want)
			}
		})
	}
}

// TestInitialPrioritiesMatchCometBFT: the validator set a receipt must
// carry (newValidatorSet, proto) is, byte for byte, what
// types.NewValidatorSet(...).ToProto() writes, for sets of 1 to 40
// validators with equal and unequal powers.
func TestInitialPrioritiesMatchCometBFT(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for n := 1; n <= 40; n++ {
		mine, theirs := randValidators(rng, n)
		got, err := newValidatorSet(mine).proto().Marshal()
		check(t, err)
		pvs, err := types.NewValidatorSet(theirs).ToProto()
		check(t, err)
		want, err := pvs.Marshal()
		check(t, err)
		if !bytes.Equal(got, want) {
			t.Fatalf("n=%d: newValidatorSet().proto() = %x, CometBFT's ToProto %x", n, got, want)
		}
	}
}

// FuzzCheckpointOneSpelling: whatever step checkpoint's decoder accepts
// re-encodes to the same bytes with every block_id_flag 1, 2 or 3; and
// whatever checkpoint verifies against the golden trust bundle carries the
// golden header, the golden validator set, and in every slot that is not
// absent the golden slot (oneSpelling). (Dropping a signature, so that its
// slot becomes ABSENT, is the one change left: it gives a valid checkpoint
// with fewer signers, as long as more than 2/3 of the power remains.)
func FuzzCheckpointOneSpelling(f *testing.F) {
	o := newOneSpelling(f)
	f.Add(o.sh, o.vs)
	f.Fuzz(func(t *testing.T, sh, vs []byte) { o.check(t, sh, vs) })
}

// TestCheckpointOneSpellingMutations is FuzzCheckpointOneSpelling's
// property on random mutations of the golden checkpoint: bit flips, byte
// insertions and deletions, and varints made longer, in either member.
func TestCheckpointOneSpellingMutations(t *testing.T) {
	o := newOneSpelling(t)
	rng := rand.New(rand.NewPCG(11, 12))
	mutate := func(b []byte) []byte {
		b = bytes.Clone(b)
		i := rng.IntN(len(b))
		switch rng.IntN(4) {
		case 0:
			b[i] ^= 1 << rng.IntN(8)
		case 1:
			b = append(b[:i], append([]byte{byte(rng.IntN(256))}, b[i:]...)...)
		case 2:
			b = append(b[:i], b[i+1:]...)
		case 3: // a byte with no continuation bit gets one, and a 0x00 after it
			if b[i] < 0x80 {
				b = append(b[:i], append([]byte{b[i] | 0x80, 0}, b[i+1:]...)...)
			}
		}
		return b
	}
	for range 10000 {
		sh, vs := o.sh, o.vs
		if rng.IntN(2) == 0 {
			sh = mutate(sh)
		} else {
			vs = mutate(vs)
		}
		if len(sh) > 0 && len(vs) > 0 {
			o.check(t, sh, vs)
		}
	}
}

// oneSpelling is the golden checkpoint and a Verifier for its bundle.
type oneSpelling struct {
	r      *Receipt
	v      *Verifier
	sh, vs []byte
	golden cmtproto.SignedHeader
}

func newOneSpelling(t testing.TB) *oneSpelling {
	r, tr, _ := golden(t)
	v, err := NewVerifier(tr)
	check(t, err)
	o := &oneSpelling{r: r, v: v, sh: mustBase64(t, r.Checkpoint.SignedHeader), vs: mustBase64(t, r.Checkpoint.ValidatorSet)}
	check(t, o.golden.Unmarshal(o.sh))
	return o
}

// check is the property of FuzzCheckpointOneSpelling for one input.
func (o *oneSpelling) check(t testing.TB, sh, vs []byte) {
	t.Helper()
	if len(sh) == 0 || len(vs) == 0 {
		return
	}
	cp := o.r.Checkpoint
	cp.SignedHeader = base64.StdEncoding.EncodeToString(sh)
	cp.ValidatorSet = base64.StdEncoding.EncodeToString(vs)
	dsh, _, verr := decodeCheckpoint(&cp)
	if verr != nil {
		return
	}
	if again, err := dsh.Marshal(); err != nil || !bytes.Equal(again, sh) {
		t.Fatalf("accepted signed header %x re-encodes as %x", sh, again)
	}
	for i, s := range dsh.Commit.Signatures {
		if s.BlockIdFlag < 1 || s.BlockIdFlag > 3 {
			t.Fatalf("accepted slot %d with block_id_flag %d", i, s.BlockIdFlag)
		}
	}
	if _, err := o.v.checkCheckpoint(&cp); err != nil {
		return
	}
	if !bytes.Equal(vs, o.vs) {
		t.Fatalf("a validator set other than the golden one verified: %x", vs)
	}
	gh, _ := o.golden.Header.Marshal()
	if h, _ := dsh.Header.Marshal(); !bytes.Equal(h, gh) {
		t.Fatalf("a header other than the golden one verified")
	}
	for i := range dsh.Commit.Signatures {
		s := &dsh.Commit.Signatures[i]
		if s.BlockIdFlag == flagAbsent {
			continue
		}
		a, _ := s.Marshal()
		b, _ := o.golden.Commit.Signatures[i].Marshal()
		if !bytes.Equal(a, b) {
			t.Fatalf("slot %d verified as %x, golden %x", i, a, b)
		}
	}
}

func mustBase64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	check(t, err)
	return b
}

// proto is the set as CometBFT's ValidatorSet.ToProto writes it: the
// validators in order, the proposer, and total_voting_power 0.
func (vs *validatorSet) proto() *pbValidatorSet {
	pv := func(v *validator) *pbValidator {
		return &pbValidator{Address: v.Address, VotingPower: v.Power, ProposerPriority: v.Priority,
			PubKey: pbPublicKey{Kind: keyEd25519, Key: v.PubKey}}
	}
	p := &pbValidatorSet{Proposer: pv(vs.Proposer)}
	for i := range vs.Validators {
		p.Validators = append(p.Validators, pv(&vs.Validators[i]))
	}
	return p
}
