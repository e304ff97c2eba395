package storage

import (
	"fmt"
	"strings"
)

// keyAlgorithms are the digest prefixes a key may carry.
var keyAlgorithms = []string{"sha256/", "sm3/"}

// checkKey returns ErrBadKey unless key is "<alg>/<64 lowercase hex>".
func checkKey(key string) error {
	for _, p := range keyAlgorithms {
		if hex, ok := strings.CutPrefix(key, p); ok && isLowerHex(hex, 64) {
			return nil
		}
	}
	return fmt.Errorf("%w: key %q", ErrBadKey, key)
}

// splitKey returns the algorithm and hex digest of a valid key.
func splitKey(key string) (alg, hex string) {
	alg, hex, _ = strings.Cut(key, "/")
	return alg, hex
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// checkName returns ErrBadKey unless name matches [A-Za-z0-9_-]{1,64}.
func checkName(name string) error {
	if len(name) < 1 || len(name) > 64 {
		return fmt.Errorf("%w: staged name %q", ErrBadKey, name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return fmt.Errorf("%w: staged name %q", ErrBadKey, name)
		}
	}
	return nil
}
