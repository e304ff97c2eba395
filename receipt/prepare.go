package receipt

// ParseVerifier is ParseTrust then NewVerifier, checking the bundle once
// (NewVerifier checks a Trust again, since it may have been built by hand,
// and a bundle's check verifies the signatures on its validators'
// certificates), for a verifier that gets the bundle before its receipts
// (the browser's): it also verifies the chain of the bundle's TSA
// (tsa_chain_pem) to its roots, which its tokens' checks then find done
// (rfc3161.Checker.Prime; a chain that does not verify is left to the
// tokens, which fail as they would have). t is the parsed bundle; when the
// bundle parses but NewVerifier refuses it, t is returned with the error.
func ParseVerifier(b []byte) (v *Verifier, t *Trust, err error) {
	if t, err = ParseTrust(b); err != nil {
		return nil, nil, err
	}
	if v, err = newVerifier(t); err != nil {
		return nil, t, err
	}
	if len(v.intermediates) > 0 {
		_ = v.tsaChecker.Prime(v.intermediates[0], v.intermediates[1:]) // only a head start
	}
	return v, t, nil
}
