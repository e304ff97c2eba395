package receipt

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"

	"github.com/emmansun/gmsm/sm3"
)

// checkDigest reads artifact once, hashing it with SHA-256 (and SM3 when the
// receipt records an SM3 digest), and compares the digests and the size
// with r.Evidence. A read error is returned as it is, not as a VerifyError:
// it says nothing about the receipt.
func checkDigest(r *Receipt, artifact io.Reader) error {
	sha := sha256.New()
	var sm hash.Hash
	w := io.Writer(sha)
	if r.Evidence.SM3 != "" {
		sm = sm3.New()
		w = io.MultiWriter(sha, sm)
	}
	n, err := io.Copy(w, artifact)
	if err != nil {
		return fmt.Errorf("receipt: reading the evidence file: %w", err)
	}
	if got := hex.EncodeToString(sha.Sum(nil)); got != r.Evidence.SHA256 {
		return fail(StepDigest, ErrDigest, "SHA-256 "+r.Evidence.SHA256, "SHA-256 "+got,
			"the file's SHA-256 digest differs from the receipt's")
	}
	if sm != nil {
		if got := hex.EncodeToString(sm.Sum(nil)); got != r.Evidence.SM3 {
			return fail(StepDigest, ErrDigest, "SM3 "+r.Evidence.SM3, "SM3 "+got,
				"the file's SM3 digest differs from the receipt's")
		}
	}
	if n != r.Evidence.Size {
		return fail(StepDigest, ErrDigest, fmt.Sprintf("%d bytes", r.Evidence.Size), fmt.Sprintf("%d bytes", n),
			"the file's size differs from the receipt's")
	}
	return nil
}
