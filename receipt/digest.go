package receipt

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"

	"github.com/emmansun/gmsm/sm3"

	"github.com/custos-project/custos/ers"
)

// fileDigests are what step digest compares with the receipt: the file's
// SHA-256, its SM3 (nil when not computed) and its size (-1 when not
// known).
type fileDigests struct {
	sha256, sm3 []byte
	size        int64
}

// checkDigest is digestsOf without further digests.
func checkDigest(r *Receipt, artifact io.Reader) error {
	_, err := digestsOf(r, artifact, nil)
	return err
}

// digestsOf reads artifact once, hashing it with SHA-256 (and SM3 when the
// receipt records an SM3 digest), and compares the digests and the size
// with r.Evidence. It also computes the digests of algs (those an embedded
// evidence record needs besides SHA-256) and returns them. A read error is
// returned as it is, not as a VerifyError: it says nothing about the
// receipt.
func digestsOf(r *Receipt, artifact io.Reader, algs []crypto.Hash) (ers.Hashes, error) {
	sha := sha256.New()
	var sm hash.Hash
	w := io.Writer(sha)
	if r.Evidence.SM3 != "" {
		sm = sm3.New()
		w = io.MultiWriter(sha, sm)
	}
	n, extra, err := hashArtifact(w, artifact, algs)
	if err != nil {
		return nil, fmt.Errorf("receipt: reading the evidence file: %w", err)
	}
	d := fileDigests{sha256: sha.Sum(nil), size: n}
	if sm != nil {
		d.sm3 = sm.Sum(nil)
	}
	return extra, compareDigests(r, d)
}

// digestsFromOptions returns the digests of a file hashed elsewhere, from
// opts, and whether there are any. A digest of the wrong length is a
// caller's error, not a VerifyError.
func digestsFromOptions(opts *Options) (fileDigests, bool, error) {
	if opts.SHA256 == nil {
		if opts.SM3 != nil || opts.Size != 0 {
			return fileDigests{}, false, fmt.Errorf("receipt: Options.SM3 or Options.Size without Options.SHA256")
		}
		return fileDigests{}, false, nil
	}
	if len(opts.SHA256) != sha256.Size || (opts.SM3 != nil && len(opts.SM3) != sm3.Size) {
		return fileDigests{}, false, fmt.Errorf("receipt: Options.SHA256 and Options.SM3 must be 32 bytes, not %d and %d",
			len(opts.SHA256), len(opts.SM3))
	}
	if opts.Size < 0 {
		return fileDigests{}, false, fmt.Errorf("receipt: Options.Size %d is negative", opts.Size)
	}
	d := fileDigests{sha256: opts.SHA256, sm3: opts.SM3, size: opts.Size}
	if d.size == 0 {
		d.size = -1 // not known (an evidence file is never empty)
	}
	return d, true, nil
}

// compareDigests compares d with r.Evidence: the SHA-256 always, the SM3
// when both the receipt and d have one, the size when d knows it.
func compareDigests(r *Receipt, d fileDigests) error {
	if got := hex.EncodeToString(d.sha256); got != r.Evidence.SHA256 {
		return fail(StepDigest, ErrDigest, "SHA-256 "+r.Evidence.SHA256, "SHA-256 "+got,
			"the file's SHA-256 digest differs from the receipt's")
	}
	if d.sm3 != nil && r.Evidence.SM3 != "" {
		if want, _ := hex.DecodeString(r.Evidence.SM3); !bytes.Equal(d.sm3, want) {
			return fail(StepDigest, ErrDigest, "SM3 "+r.Evidence.SM3, "SM3 "+hex.EncodeToString(d.sm3),
				"the file's SM3 digest differs from the receipt's")
		}
	}
	if d.size >= 0 && d.size != r.Evidence.Size {
		return fail(StepDigest, ErrDigest, fmt.Sprintf("%d bytes", r.Evidence.Size), fmt.Sprintf("%d bytes", d.size),
			"the file's size differs from the receipt's")
	}
	return nil
}
