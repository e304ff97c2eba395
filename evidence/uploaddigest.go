package evidence

// SHA256 returns the SHA-256 of the bytes ReadFrom read, as the record
// will state it, so that a caller that needs the digest before Finish (the
// API's Idempotency-Key fingerprint) does not hash the bytes again. It
// leaves the upload's hashes as they are. ErrUploadState before ReadFrom,
// or after a ReadFrom that failed (its bytes are not the upload's).
func (u *Upload) SHA256() ([32]byte, error) {
	var sum [32]byte
	if !u.read || u.failed {
		return sum, ErrUploadState
	}
	copy(sum[:], u.hashes[0].Sum(nil))
	return sum, nil
}
