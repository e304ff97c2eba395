package receipt

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/custos-project/custos/certs"
)

// wantStep checks that err is a *VerifyError of step wrapping sentinel,
// with Want and Got filled.
func wantStep(t *testing.T, call string, err error, step string, sentinel error) {
	t.Helper()
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Step != step || !errors.Is(err, sentinel) {
		t.Fatalf("%s = %v, want a %q VerifyError wrapping %v", call, err, step, sentinel)
	}
	if ve.Want == "" || ve.Got == "" {
		t.Errorf("%s = %v: Want %q, Got %q, want both", call, err, ve.Want, ve.Got)
	}
}

func TestCheckDigest(t *testing.T) {
	r, _, art := golden(t)
	if err := checkDigest(r, bytes.NewReader(art)); err != nil {
		t.Fatalf("checkDigest(golden) = %v", err)
	}
	tests := []struct {
		name string
		edit func(r *Receipt)
		file []byte
	}{
		{"other file", nil, []byte("other")},
		{"appended byte", nil, append(bytes.Clone(art), 0)},
		{"sm3", func(r *Receipt) { r.Evidence.SM3 = strings.Repeat("0", 64) }, art},
		{"size", func(r *Receipt) { r.Evidence.Size++ }, art},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _, _ := golden(t)
			if tt.edit != nil {
				tt.edit(r)
			}
			wantStep(t, "checkDigest", checkDigest(r, bytes.NewReader(tt.file)), StepDigest, ErrDigest)
		})
	}
	r.Evidence.SM3 = "" // no SM3 recorded: only SHA-256 and size are compared
	if err := checkDigest(r, bytes.NewReader(art)); err != nil {
		t.Errorf("checkDigest(no SM3) = %v", err)
	}
}

func TestCheckCustody(t *testing.T) {
	r, _, _ := golden(t)
	events, err := checkCustody(r)
	if err != nil || len(events) != 5 || events[4].Seq != 4 {
		t.Fatalf("checkCustody(golden) = %d events, %v", len(events), err)
	}
	tests := []struct {
		name string
		edit func(r *Receipt)
	}{
		{"not canonical", func(r *Receipt) { r.Events[2].Event = strings.Replace(r.Events[2].Event, `{"v":1,`, `{"v":1, `, 1) }},
		{"missing event", func(r *Receipt) { r.Events = append(r.Events[:2], r.Events[3:]...) }},
		{"reordered", func(r *Receipt) { r.Events[1], r.Events[2] = r.Events[2], r.Events[1] }},
		{"no created", func(r *Receipt) { r.Events = r.Events[1:] }},
		{"other evidence", func(r *Receipt) { r.Evidence.ID = strings.Repeat("a", 26) }},
		{"other sha256", func(r *Receipt) { r.Evidence.SHA256 = strings.Repeat("0", 64) }},
		{"sm3 dropped", func(r *Receipt) { r.Evidence.SM3 = "" }},
		{"two tokens", func(r *Receipt) { r.Timestamps = append(r.Timestamps, r.Timestamps[0]) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _, _ := golden(t)
			tt.edit(r)
			_, err := checkCustody(r)
			wantStep(t, "checkCustody", err, StepCustody, ErrCustody)
		})
	}
}

func TestCheckTimestamp(t *testing.T) {
	r, tr, _ := golden(t)
	v, err := NewVerifier(tr)
	check(t, err)
	events, err := checkCustody(r)
	check(t, err)
	res, err := v.checkTimestamp(r, events[0])
	if err != nil || len(res) != 1 || res[0].Hash != events[0].Tokens[0] {
		t.Fatalf("checkTimestamp(golden) = %+v, %v", res, err)
	}

	// A genuine token over the same digest from a TSA under another root,
	// recorded in the created event: only the chain check can refuse it.
	other := newPKI(t)
	digest, _ := hex.DecodeString(r.Evidence.SHA256)
	tok, err := other.tsa.Stamp(context.Background(), crypto.SHA256, digest)
	check(t, err)
	sum := sha256.Sum256(tok.Reply)
	created := *events[0]
	created.Tokens = []string{hex.EncodeToString(sum[:])}
	r.Timestamps[0] = base64.StdEncoding.EncodeToString(tok.Reply)
	_, err = v.checkTimestamp(r, &created)
	wantStep(t, "checkTimestamp(foreign TSA)", err, StepTimestamp, ErrTimestamp)

	// The same with a token over another digest, under the trusted root.
	p := newPKI(t)
	tr.RootPEM = string(certs.EncodePEM(p.root.Cert))
	tr.TSAChain = ""
	v, err = NewVerifier(tr)
	check(t, err)
	tok, err = p.tsa.Stamp(context.Background(), crypto.SHA256, make([]byte, 32))
	check(t, err)
	sum = sha256.Sum256(tok.Reply)
	created.Tokens = []string{hex.EncodeToString(sum[:])}
	r.Timestamps[0] = base64.StdEncoding.EncodeToString(tok.Reply)
	_, err = v.checkTimestamp(r, &created)
	wantStep(t, "checkTimestamp(other digest)", err, StepTimestamp, ErrTimestamp)
}

func TestCheckInclusion(t *testing.T) {
	r, _, _ := golden(t)
	events, err := checkCustody(r)
	check(t, err)
	res, err := checkInclusion(r, events)
	if err != nil || len(res) != 5 || res[4].LeafIndex != fixtureLeaves[4] {
		t.Fatalf("checkInclusion(golden) = %+v, %v", res, err)
	}
	tests := []struct {
		name string
		edit func(r *Receipt)
	}{
		{"indexes not increasing", func(r *Receipt) { r.Events[2].LeafIndex = r.Events[1].LeafIndex }},
		{"index beyond tree", func(r *Receipt) { r.Events[4].LeafIndex = r.Checkpoint.TreeSize }},
		{"proof too short", func(r *Receipt) { r.Events[0].Proof = r.Events[0].Proof[1:] }},
		{"proof hash", func(r *Receipt) { r.Events[0].Proof[0] = flipHex(r.Events[0].Proof[0], 0) }},
		{"other root", func(r *Receipt) { r.Checkpoint.Root = flipHex(r.Checkpoint.Root, 63) }},
		{"event swapped for another leaf", func(r *Receipt) { r.Events[3].Event = r.Events[3].Event + " " }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _, _ := golden(t)
			tt.edit(r)
			_, err := checkInclusion(r, events)
			wantStep(t, "checkInclusion", err, StepInclusion, ErrInclusion)
		})
	}
}

func TestCheckCheckpoint(t *testing.T) {
	r, tr, _ := golden(t)
	v, err := NewVerifier(tr)
	check(t, err)
	res, err := v.checkCheckpoint(&r.Checkpoint)
	if err != nil || len(res.Signers) != 4 || res.SignedPower != 40 || res.TotalPower != 40 {
		t.Fatalf("checkCheckpoint(golden) = %+v, %v", res, err)
	}
	for _, tt := range checkpointTamperCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			r, _, _ := golden(t)
			tt.edit(&r.Checkpoint)
			_, err := v.checkCheckpoint(&r.Checkpoint)
			wantStep(t, "checkCheckpoint", err, StepCheckpoint, ErrCheckpoint)
		})
	}
}

// TestCheckpointCache checks that a cached checkpoint still needs its
// exact bytes: a changed one is checked afresh, and fails.
func TestCheckpointCache(t *testing.T) {
	r, tr, _ := golden(t)
	v, err := NewVerifier(tr)
	check(t, err)
	for range 2 {
		if _, err := v.Verify(r, nil, Options{}); err != nil {
			t.Fatalf("Verify(golden) = %v", err)
		}
	}
	r.Checkpoint.Height++
	_, err = v.Verify(r, nil, Options{})
	wantStep(t, "Verify(cached, other height)", err, StepCheckpoint, ErrCheckpoint)
}

// checkpointTamperCases are the cases of TestCheckCheckpoint, shared with
// the CometBFT cross-check: each edit must make step checkpoint fail.
func checkpointTamperCases(t testing.TB) []struct {
	name string
	edit func(cp *Checkpoint)
} {
	t.Helper()
	f := newFixture(t, fixtureConfig{untrusted: true})
	return []struct {
		name string
		edit func(cp *Checkpoint)
	}{
		{"height", func(cp *Checkpoint) { cp.Height++ }},
		{"chain ID", func(cp *Checkpoint) { cp.ChainID = "custos-other" }},
		{"tree size", func(cp *Checkpoint) { cp.TreeSize-- }},
		{"root", func(cp *Checkpoint) { cp.Root = flipHex(cp.Root, 0) }},
		{"not protobuf", func(cp *Checkpoint) { cp.SignedHeader = base64.StdEncoding.EncodeToString([]byte("not a header")) }},
		{"non-canonical protobuf", func(cp *Checkpoint) {
			b, _ := base64.StdEncoding.DecodeString(cp.ValidatorSet)
			cp.ValidatorSet = base64.StdEncoding.EncodeToString(append(b, 0x98, 0x06, 0x01)) // unknown field 99
		}},
		{"another chain's validator set", func(cp *Checkpoint) { cp.ValidatorSet = f.receipt.Checkpoint.ValidatorSet }},
		{"another chain's header", func(cp *Checkpoint) { cp.SignedHeader = f.receipt.Checkpoint.SignedHeader }},
	}
}
