package receipt

import (
	"bytes"
	"testing"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
)

// gogoMessage is a message of CometBFT's generated code.
type gogoMessage interface{ Marshal() ([]byte, error) }

// asPB is the CometBFT message m decoded with this package's decoder into p.
func asPB[P protoMessage](t testing.TB, m gogoMessage, p P) P {
	t.Helper()
	b, err := m.Marshal()
	check(t, err)
	check(t, p.decode(b))
	return p
}

// Marshal is encode with the signature of CometBFT's generated code, so that
// tests compare the two alike.
func (m *pbSignedHeader) Marshal() ([]byte, error) { return m.encode(nil), nil }
func (m *pbHeader) Marshal() ([]byte, error)       { return m.encode(nil), nil }
func (m *pbCommitSig) Marshal() ([]byte, error)    { return m.encode(nil), nil }
func (m *pbValidatorSet) Marshal() ([]byte, error) { return m.encode(nil), nil }

// FuzzProtobufMatchesCometBFT: on any bytes, this package's decoder and
// CometBFT's generated code agree on whether they are the canonical
// encoding of a SignedHeader, and of a ValidatorSet (decode, then
// re-encode to the same bytes), and re-encode what they accept alike.
func FuzzProtobufMatchesCometBFT(f *testing.F) {
	r, _, _ := golden(f)
	f.Add(mustBase64(f, r.Checkpoint.SignedHeader), mustBase64(f, r.Checkpoint.ValidatorSet))
	f.Add([]byte{0x0a, 0x00}, []byte{0x12, 0x02, 0x12, 0x00})
	f.Fuzz(func(t *testing.T, sh, vs []byte) {
		sameCanonical(t, "SignedHeader", sh, new(pbSignedHeader), new(cmtproto.SignedHeader))
		sameCanonical(t, "ValidatorSet", vs, new(pbValidatorSet), new(cmtproto.ValidatorSet))
	})
}

// sameCanonical checks that mine and theirs, fresh messages, agree on b.
func sameCanonical(t *testing.T, name string, b []byte, mine protoMessage, theirs interface {
	gogoMessage
	Unmarshal([]byte) error
}) {
	t.Helper()
	var got, want []byte
	gotOK, wantOK := mine.decode(b) == nil, false
	if gotOK {
		got = mine.encode(nil)
	}
	func() {
		defer func() { _ = recover() }() // gogoproto may panic on hostile bytes
		if theirs.Unmarshal(b) == nil {
			want, _ = theirs.Marshal()
			wantOK = true
		}
	}()
	if a, c := gotOK && bytes.Equal(got, b), wantOK && bytes.Equal(want, b); a != c {
		t.Fatalf("%s %x: canonical here %v (re-encoded %x), for CometBFT %v (re-encoded %x)", name, b, a, got, c, want)
	}
}
