package receipt

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
)

var update = flag.Bool("update", false, "regenerate the golden files in testdata/")

const (
	goldenReceipt  = "testdata/good.json"
	goldenTrust    = "testdata/trust.json"
	goldenArtifact = "testdata/evidence.txt"
)

// golden loads the committed receipt, trust bundle and artifact.
func golden(t testing.TB) (*Receipt, *Trust, []byte) {
	t.Helper()
	rb, err := os.ReadFile(goldenReceipt)
	check(t, err)
	tb, err := os.ReadFile(goldenTrust)
	check(t, err)
	art, err := os.ReadFile(goldenArtifact)
	check(t, err)
	r, err := Parse(rb)
	check(t, err)
	tr, err := ParseTrust(tb)
	check(t, err)
	return r, tr, art
}

// TestGolden checks the committed vectors: they parse, re-encode to the same
// bytes and verify. With -update it first regenerates them from
// newFixture (keys and signatures are fresh; times are fixed).
func TestGolden(t *testing.T) {
	if *update {
		f := newFixture(t, fixtureConfig{})
		rb, err := f.receipt.Encode()
		check(t, err)
		tb := marshalIndent(t, f.trust)
		check(t, os.MkdirAll("testdata", 0o755))
		check(t, os.WriteFile(goldenReceipt, rb, 0o644))
		check(t, os.WriteFile(goldenTrust, tb, 0o644))
		check(t, os.WriteFile(goldenArtifact, f.artifact, 0o644))
	}
	r, tr, art := golden(t)
	raw, err := os.ReadFile(goldenReceipt)
	check(t, err)
	again, err := r.Encode()
	check(t, err)
	if !bytes.Equal(again, raw) {
		t.Errorf("Parse(%s).Encode() differs from the file", goldenReceipt)
	}
	res, err := Verify(r, bytes.NewReader(art), tr, Options{})
	if err != nil {
		t.Fatalf("Verify(golden) = %v, want success", err)
	}
	if !res.FileChecked || len(res.Timestamps) != 1 || len(res.Events) != 5 || len(res.Checkpoint.Signers) != 4 {
		t.Errorf("Verify(golden) = %+v, want the file checked, 1 token, 5 events, 4 signers", res)
	}
	// genTime is truncated to the TSA accuracy, 1s.
	if got, want := res.Timestamps[0].Time, fixtureTime; !got.Equal(want) {
		t.Errorf("token time = %v, want %v", got, want)
	}
	if got, want := res.Timestamps[0].TSA, fixtureOrgs[0].name+" TSA"; got != want {
		t.Errorf("token TSA = %q, want %q", got, want)
	}
}

// TestFixture checks that the generator itself makes verifying receipts,
// with and without an artifact.
func TestFixture(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	if _, err := Verify(f.receipt, bytes.NewReader(f.artifact), f.trust, Options{}); err != nil {
		t.Fatalf("Verify(fresh fixture) = %v", err)
	}
	res, err := Verify(f.receipt, nil, f.trust, Options{})
	if err != nil || res.FileChecked {
		t.Fatalf("Verify(fresh fixture, no file) = %+v, %v; want success without the file", res, err)
	}
}

// flipHex changes one hex digit of s at i.
func flipHex(s string, i int) string {
	c := "1"
	if s[i] == '1' {
		c = "2"
	}
	return s[:i] + c + s[i+1:]
}

// flipBase64 flips one bit of byte i of base64 s.
func flipBase64(t testing.TB, s string, i int) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	check(t, err)
	b[i] ^= 1
	return base64.StdEncoding.EncodeToString(b)
}

// editSignedHeader decodes the checkpoint's signed header, applies edit
// and encodes it back.
func editSignedHeader(t testing.TB, cp *Checkpoint, edit func(*cmtproto.SignedHeader)) {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(cp.SignedHeader)
	check(t, err)
	var sh cmtproto.SignedHeader
	check(t, sh.Unmarshal(b))
	edit(&sh)
	b, err = sh.Marshal()
	check(t, err)
	cp.SignedHeader = base64.StdEncoding.EncodeToString(b)
}

// TestTamper changes one thing in a good receipt, its file or its trust
// bundle, and checks that verification fails at the step that should
// notice, with what was expected and what was computed.
func TestTamper(t *testing.T) {
	for _, tt := range tamperCases() {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.cfg)
			if tt.edit != nil {
				tt.edit(t, f)
			}
			_, err := Verify(f.receipt, bytes.NewReader(f.artifact), f.trust, Options{})
			var ve *VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("Verify() = %v, want a *VerifyError", err)
			}
			if ve.Step != tt.step || !errors.Is(err, tt.want) {
				t.Fatalf("Verify() = %v (step %q), want step %q and %v", err, ve.Step, tt.step, tt.want)
			}
			if tt.step != StepFormat && (ve.Want == "" || ve.Got == "") {
				t.Errorf("Verify() = %v: Want %q, Got %q; want both filled", err, ve.Want, ve.Got)
			}
			t.Logf("%v", err)
		})
	}
}

// tamperCase changes one thing in a fresh fixture; step and want say
// where and how verification must fail.
type tamperCase struct {
	name string
	cfg  fixtureConfig
	edit func(t *testing.T, f *fixture)
	step string
	want error
}

// tamperCases are the cases of TestTamper, shared with the CometBFT
// cross-check.
func tamperCases() []tamperCase {
	return []tamperCase{
		{"file byte", fixtureConfig{}, func(t *testing.T, f *fixture) { f.artifact[7] ^= 1 }, StepDigest, ErrDigest},
		{"file truncated", fixtureConfig{}, func(t *testing.T, f *fixture) { f.artifact = f.artifact[:10] }, StepDigest, ErrDigest},
		// An event in the middle: the next event's prev commits to its
		// hash, so the custody chain breaks before the log is consulted.
		{"middle event", fixtureConfig{}, func(t *testing.T, f *fixture) {
			f.receipt.Events[1].Event = strings.Replace(f.receipt.Events[1].Event, "law-firm-1", "law-firm-2", 1)
		}, StepCustody, ErrCustody},
		// The last event: no later event commits to it, so the chain still
		// links; only its Merkle leaf hash, and so the root, changes.
		{"last event", fixtureConfig{}, func(t *testing.T, f *fixture) {
			f.receipt.Events[4].Event = strings.Replace(f.receipt.Events[4].Event, "court-clerk", "court-clerq", 1)
		}, StepInclusion, ErrInclusion},
		{"created event digest", fixtureConfig{}, func(t *testing.T, f *fixture) {
			f.receipt.Evidence.MediaType = "application/pdf"
		}, StepCustody, ErrCustody},
		{"proof hash", fixtureConfig{}, func(t *testing.T, f *fixture) {
			f.receipt.Events[2].Proof[1] = flipHex(f.receipt.Events[2].Proof[1], 5)
		}, StepInclusion, ErrInclusion},
		{"leaf index", fixtureConfig{}, func(t *testing.T, f *fixture) { f.receipt.Events[3].LeafIndex++ }, StepInclusion, ErrInclusion},
		{"token byte", fixtureConfig{}, func(t *testing.T, f *fixture) {
			f.receipt.Timestamps[0] = flipBase64(t, f.receipt.Timestamps[0], 200)
		}, StepTimestamp, ErrTimestamp},
		{"commit signature", fixtureConfig{}, func(t *testing.T, f *fixture) {
			editSignedHeader(t, &f.receipt.Checkpoint, func(sh *cmtproto.SignedHeader) { sh.Commit.Signatures[0].Signature[3] ^= 1 })
		}, StepCheckpoint, ErrCheckpoint},
		{"header time", fixtureConfig{}, func(t *testing.T, f *fixture) {
			editSignedHeader(t, &f.receipt.Checkpoint, func(sh *cmtproto.SignedHeader) { sh.Header.Time = sh.Header.Time.Add(1) })
		}, StepCheckpoint, ErrCheckpoint},
		{"2 of 4 signed", fixtureConfig{signers: 2}, nil, StepCheckpoint, ErrCheckpoint},
		{"untrusted validator", fixtureConfig{untrusted: true}, nil, StepCheckpoint, ErrCheckpoint},
		{"other chain in trust", fixtureConfig{}, func(t *testing.T, f *fixture) { f.trust.ChainID = "custos-other" }, StepCheckpoint, ErrCheckpoint},
		{"AppHash not the root", fixtureConfig{appHash: AppHash(fixtureSize, make([]byte, 32))}, nil, StepCheckpoint, ErrCheckpoint},
		{"tree size", fixtureConfig{}, func(t *testing.T, f *fixture) { f.receipt.Checkpoint.TreeSize++ }, StepInclusion, ErrInclusion},
		{"validator power in trust", fixtureConfig{}, func(t *testing.T, f *fixture) { f.trust.Validators[2].Power++ }, StepCheckpoint, ErrCheckpoint},
		{"version", fixtureConfig{}, func(t *testing.T, f *fixture) { f.receipt.Version = 3 }, StepFormat, ErrMalformed},
	}
}

func marshalIndent(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	check(t, err)
	return append(b, '\n')
}
