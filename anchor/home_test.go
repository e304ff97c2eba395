package anchor

import (
	"crypto/ed25519"
	"path/filepath"
	"testing"
)

// TestValidatorKey reads back the validator key InitHome made, without a
// running node; a home without one is an error, not a new key.
func TestValidatorKey(t *testing.T) {
	home := filepath.Join(t.TempDir(), "chain")
	pub, _, err := InitHome(home)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ValidatorKey(home)
	if err != nil {
		t.Fatalf("ValidatorKey(%s) = %v", home, err)
	}
	if !key.Public().(ed25519.PublicKey).Equal(pub) {
		t.Error("ValidatorKey() is not the key InitHome made")
	}
	if _, err := ValidatorKey(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("ValidatorKey(a home without a key) = nil error")
	}
}
