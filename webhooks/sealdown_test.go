package webhooks

import (
	"crypto/cipher"
	"errors"
	"testing"
)

// downSealer is an AEAD whose token goes away once down is set:
// crypto11's Seal panics when the token fails.
type downSealer struct {
	cipher.AEAD
	down *bool
}

func (d downSealer) Seal(dst, nonce, plaintext, additionalData []byte) []byte {
	if *d.down {
		panic("pkcs11: CKR_DEVICE_REMOVED")
	}
	return d.AEAD.Seal(dst, nonce, plaintext, additionalData)
}

// TestCreateWhileSealKeyDown: registering a webhook while the seal key's
// token does not answer stores nothing and returns ErrSealUnavailable (the
// API's 503 with Retry-After), not an error it answers 500.
func TestCreateWhileSealKeyDown(t *testing.T) {
	down := false
	s := newService(t, Config{Sealer: downSealer{testSealer(t), &down}})
	down = true
	_, _, err := s.Create("orgA", "orgA:k1", Input{URL: "https://example.com/hook", Events: []string{EventTimestamped}})
	if !errors.Is(err, ErrSealUnavailable) {
		t.Fatalf("Create with the token down = %v, want ErrSealUnavailable", err)
	}
	if hooks, err := s.List("orgA"); err != nil || len(hooks) != 0 {
		t.Errorf("after the failed create: %v %v, want no webhook", hooks, err)
	}
}
