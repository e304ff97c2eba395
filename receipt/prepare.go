package receipt

// ParseVerifier is ParseTrust then NewVerifier, checking the bundle once
// (NewVerifier checks a Trust again, since it may have been built by hand,
// and a bundle's check verifies the signatures on its validators'
// certificates). t is the parsed bundle; when the bundle parses but
// NewVerifier refuses it, t is returned with the error.
func ParseVerifier(b []byte) (v *Verifier, t *Trust, err error) {
	if t, err = ParseTrust(b); err != nil {
		return nil, nil, err
	}
	v, err = newVerifier(t)
	return v, t, err
}
