package api

import (
	"bytes"
	"crypto/cipher"
	"testing"

	"github.com/custos-project/custos/webhooks"
)

// testSealer seals webhook secrets under a fixed test key.
func testSealer(t testing.TB) cipher.AEAD {
	t.Helper()
	aead, err := webhooks.NewSealer(bytes.Repeat([]byte{0x5a}, webhooks.SealKeySize))
	if err != nil {
		t.Fatal(err)
	}
	return aead
}
