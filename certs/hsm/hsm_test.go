package hsm_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custos-project/custos/certs/hsm"
	"github.com/custos-project/custos/internal/testenv"
)

// TestSoftHSM generates a key in a real SoftHSM2 token, finds it again by
// label and by ID, and checks its signatures with the public key.
func TestSoftHSM(t *testing.T) {
	sh := testenv.SoftHSM(t)
	tok, err := hsm.Open(hsm.Config{Module: sh.Module, TokenLabel: sh.Label, PIN: sh.PIN})
	if err != nil {
		t.Fatal(err)
	}
	defer tok.Close()
	ref := hsm.KeyRef{Label: "tsa", ID: []byte{1, 2}}
	if _, err := tok.Signer(ref); !errors.Is(err, hsm.ErrNoKey) {
		t.Fatalf("Signer(%v) before Generate: err = %v, want ErrNoKey", ref, err)
	}
	made, err := tok.Generate(ref)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []hsm.KeyRef{{Label: "tsa"}, {ID: []byte{1, 2}}, ref} {
		s, err := tok.Signer(r)
		if err != nil {
			t.Fatalf("Signer(%v): %v", r, err)
		}
		digest := sha256.Sum256([]byte("custos"))
		sig, err := s.Sign(rand.Reader, digest[:], crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		if !ecdsa.VerifyASN1(made.Public().(*ecdsa.PublicKey), digest[:], sig) {
			t.Fatalf("Signer(%v): the signature does not verify with the generated key", r)
		}
	}
}

func TestOpenWrongPIN(t *testing.T) {
	sh := testenv.SoftHSM(t)
	_, err := hsm.Open(hsm.Config{Module: sh.Module, TokenLabel: sh.Label, PIN: "99999"})
	if err == nil {
		t.Fatal("Open with a wrong PIN succeeded")
	}
	if strings.Contains(err.Error(), "99999") {
		t.Fatalf("Open's error shows the PIN: %v", err)
	}
}

func TestReadPIN(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "pin")
	if err := os.WriteFile(file, []byte(" 4321 \nignored\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(dir, "open-pin")
	if err := os.WriteFile(open, []byte("4321\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CUSTOS_TEST_PIN", "1234")
	tests := []struct {
		name, env, path, want string
		wantErr               bool
	}{
		{name: "env", env: "CUSTOS_TEST_PIN", want: "1234"},
		{name: "file", path: file, want: "4321"},
		{name: "unset env", env: "CUSTOS_TEST_PIN_UNSET", wantErr: true},
		{name: "both", env: "CUSTOS_TEST_PIN", path: file, wantErr: true},
		{name: "neither", wantErr: true},
		{name: "missing file", path: filepath.Join(dir, "none"), wantErr: true},
		{name: "file readable by others", path: open, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := hsm.ReadPIN(tt.env, tt.path)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ReadPIN(%q, %q) = %q, %v; want %q (error: %v)", tt.env, tt.path, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestConcurrentSign signs from many goroutines at once through one token,
// as the TSA does under load (crypto11 pools the token's sessions).
func TestConcurrentSign(t *testing.T) {
	sh := testenv.SoftHSM(t)
	tok, err := hsm.Open(hsm.Config{Module: sh.Module, TokenLabel: sh.Label, PIN: sh.PIN})
	if err != nil {
		t.Fatal(err)
	}
	defer tok.Close()
	s, err := tok.Generate(hsm.KeyRef{Label: "tsa"})
	if err != nil {
		t.Fatal(err)
	}
	pub := s.Public().(*ecdsa.PublicKey)
	errs := make(chan error, 32)
	for g := 0; g < cap(errs); g++ {
		go func() {
			for i := 0; i < 20; i++ {
				digest := sha256.Sum256([]byte{byte(g), byte(i)})
				sig, err := s.Sign(rand.Reader, digest[:], crypto.SHA256)
				if err == nil && !ecdsa.VerifyASN1(pub, digest[:], sig) {
					err = errors.New("signature does not verify")
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkSign compares an ECDSA P-256 signature through SoftHSM2 with one
// by the same kind of key in memory, serially and from all cores.
func BenchmarkSign(b *testing.B) {
	sh := testenv.SoftHSM(b)
	tok, err := hsm.Open(hsm.Config{Module: sh.Module, TokenLabel: sh.Label, PIN: sh.PIN})
	if err != nil {
		b.Fatal(err)
	}
	defer tok.Close()
	inToken, err := tok.Generate(hsm.KeyRef{Label: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	inMemory, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256([]byte("custos"))
	for _, k := range []struct {
		name string
		s    crypto.Signer
	}{{"memory", inMemory}, {"softhsm", inToken}} {
		b.Run(k.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := k.s.Sign(rand.Reader, digest[:], crypto.SHA256); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(k.name+"-parallel", func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := k.s.Sign(rand.Reader, digest[:], crypto.SHA256); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// TestSoftHSMSealer generates an AES-256 key in a real SoftHSM2 token and
// seals and opens through it with 12-byte nonces of the caller's choosing:
// the same nonce gives the same ciphertext (the token used ours), and a
// changed nonce or additional data does not open.
func TestSoftHSMSealer(t *testing.T) {
	sh := testenv.SoftHSM(t)
	tok, err := hsm.Open(hsm.Config{Module: sh.Module, TokenLabel: sh.Label, PIN: sh.PIN})
	if err != nil {
		t.Fatal(err)
	}
	defer tok.Close()
	ref := hsm.KeyRef{Label: "webhook-seal", ID: []byte{7}}
	if _, err := tok.Sealer(ref); !errors.Is(err, hsm.ErrNoKey) {
		t.Fatalf("Sealer(%v) before GenerateAES: err = %v, want ErrNoKey", ref, err)
	}
	if err := tok.GenerateAES(ref); err != nil {
		t.Fatal(err)
	}
	for _, r := range []hsm.KeyRef{{Label: "webhook-seal"}, {ID: []byte{7}}, ref} {
		aead, err := tok.Sealer(r)
		if err != nil {
			t.Fatalf("Sealer(%v): %v", r, err)
		}
		if aead.NonceSize() != 12 || aead.Overhead() != 16 {
			t.Fatalf("Sealer(%v): nonce %d, overhead %d; want 12, 16", r, aead.NonceSize(), aead.Overhead())
		}
		nonce := make([]byte, 12)
		rand.Read(nonce)
		ad := []byte("webhook\x00org/id")
		ct := aead.Seal(nil, nonce, []byte("secret"), ad)
		if again := aead.Seal(nil, nonce, []byte("secret"), ad); string(again) != string(ct) {
			t.Fatalf("Sealer(%v): the same nonce sealed differently: the token did not use the nonce given", r)
		}
		p, err := aead.Open(nil, nonce, ct, ad)
		if err != nil || string(p) != "secret" {
			t.Fatalf("Sealer(%v): Open = %q, %v", r, p, err)
		}
		if _, err := aead.Open(nil, nonce, ct, []byte("webhook\x00org/other")); err == nil {
			t.Fatalf("Sealer(%v): opened under other additional data", r)
		}
		nonce[0] ^= 1
		if _, err := aead.Open(nil, nonce, ct, ad); err == nil {
			t.Fatalf("Sealer(%v): opened under another nonce", r)
		}
	}
	// A key pair's label is no secret key.
	if _, err := tok.Generate(hsm.KeyRef{Label: "tsa"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tok.Sealer(hsm.KeyRef{Label: "tsa"}); !errors.Is(err, hsm.ErrNoKey) {
		t.Fatalf("Sealer of a key pair's label: err = %v, want ErrNoKey", err)
	}
	if err := tok.DeleteAES(hsm.KeyRef{Label: "tsa"}); !errors.Is(err, hsm.ErrNoKey) {
		t.Fatalf("DeleteAES of a key pair's label: err = %v, want ErrNoKey", err)
	}
	// DeleteAES destroys the secret key, and only it.
	if err := tok.DeleteAES(ref); err != nil {
		t.Fatal(err)
	}
	if _, err := tok.Sealer(ref); !errors.Is(err, hsm.ErrNoKey) {
		t.Fatalf("Sealer(%v) after DeleteAES: err = %v, want ErrNoKey", ref, err)
	}
	if _, err := tok.Signer(hsm.KeyRef{Label: "tsa"}); err != nil {
		t.Fatalf("the key pair after DeleteAES of the secret key: %v", err)
	}
}
