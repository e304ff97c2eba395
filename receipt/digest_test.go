package receipt

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/emmansun/gmsm/sm3"
)

// TestVerifyDigests checks a file hashed elsewhere (Options.SHA256, SM3,
// Size), as the web page does with Web Crypto.
func TestVerifyDigests(t *testing.T) {
	r, tr, art := golden(t)
	sha, sm := sha256.Sum256(art), sm3.Sum(art)
	other := sha256.Sum256([]byte("other"))
	size := int64(len(art))
	tests := []struct {
		name     string
		opts     Options
		artifact []byte
		step     string // "" = valid
		usage    bool   // a plain error: the call is wrong
	}{
		{"SHA-256", Options{SHA256: sha[:]}, nil, "", false},
		{"SHA-256, SM3, size", Options{SHA256: sha[:], SM3: sm[:], Size: size}, nil, "", false},
		{"no digests", Options{}, nil, "", false},
		{"other SHA-256", Options{SHA256: other[:]}, nil, StepDigest, false},
		{"other SM3", Options{SHA256: sha[:], SM3: other[:]}, nil, StepDigest, false},
		{"other size", Options{SHA256: sha[:], Size: size + 1}, nil, StepDigest, false},
		{"short SHA-256", Options{SHA256: sha[:31]}, nil, "", true},
		{"SM3 alone", Options{SM3: sm[:]}, nil, "", true},
		{"negative size", Options{SHA256: sha[:], Size: -1}, nil, "", true},
		{"file and digests", Options{SHA256: sha[:]}, art, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var artifact *bytes.Reader
			if tt.artifact != nil {
				artifact = bytes.NewReader(tt.artifact)
			}
			var res *Result
			var err error
			if artifact != nil {
				res, err = Verify(r, artifact, tr, tt.opts)
			} else {
				res, err = Verify(r, nil, tr, tt.opts)
			}
			var ve *VerifyError
			switch {
			case tt.usage:
				if err == nil || errors.As(err, &ve) {
					t.Fatalf("Verify(%s) = %v, want a usage error", tt.name, err)
				}
			case tt.step != "":
				if !errors.As(err, &ve) || ve.Step != tt.step || !errors.Is(err, ErrDigest) {
					t.Fatalf("Verify(%s) = %v, want step %s", tt.name, err, tt.step)
				}
			case err != nil:
				t.Fatalf("Verify(%s) = %v, want success", tt.name, err)
			case res.FileChecked != (tt.opts.SHA256 != nil):
				t.Errorf("Verify(%s).FileChecked = %v, want %v", tt.name, res.FileChecked, tt.opts.SHA256 != nil)
			}
		})
	}
}
