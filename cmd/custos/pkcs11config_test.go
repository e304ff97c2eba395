package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPKCS11Config checks that loadConfig refuses an incomplete or
// ambiguous [pkcs11] table, naming the key to fix, and resolves pin_file
// relative to the config file.
func TestPKCS11Config(t *testing.T) {
	const base = "[pkcs11]\nmodule = \"/usr/lib/softhsm/libsofthsm2.so\"\n"
	tests := []struct {
		name, body, wantErr string
	}{
		{"empty table", "[pkcs11]\n", ""},
		{"complete", base + "token_label = \"t\"\npin_env = \"PIN\"\ntsa_key = \"tsa\"\n", ""},
		{"by slot and ID", base + "slot = 0\npin_file = \"pin\"\nnotary_key_id = \"0a01\"\n", ""},
		{"no module", "[pkcs11]\ntoken_label = \"t\"\npin_env = \"PIN\"\ntsa_key = \"tsa\"\n", "pkcs11.module"},
		{"no token", base + "pin_env = \"PIN\"\ntsa_key = \"tsa\"\n", "token_label"},
		{"label and slot", base + "token_label = \"t\"\nslot = 1\npin_env = \"PIN\"\ntsa_key = \"tsa\"\n", "token_label"},
		{"no PIN source", base + "token_label = \"t\"\ntsa_key = \"tsa\"\n", "pin_env"},
		{"two PIN sources", base + "token_label = \"t\"\npin_env = \"PIN\"\npin_file = \"p\"\ntsa_key = \"tsa\"\n", "pin_env"},
		{"bad key ID", base + "token_label = \"t\"\npin_env = \"PIN\"\ntsa_key_id = \"xyz\"\n", "tsa_key_id"},
		{"webhook seal key only", base + "token_label = \"t\"\npin_env = \"PIN\"\nwebhook_seal_key = \"seal\"\n", ""},
		{"webhook seal key without token", "[pkcs11]\npin_env = \"PIN\"\nwebhook_seal_key_id = \"0b01\"\n", "pkcs11.module"},
		{"bad webhook seal key ID", base + "token_label = \"t\"\npin_env = \"PIN\"\nwebhook_seal_key_id = \"zz\"\n", "webhook_seal_key_id"},
		{"PIN in the config", base + "token_label = \"t\"\npin = \"1234\"\ntsa_key = \"tsa\"\n", "unknown keys: pkcs11.pin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "custos.toml")
			if err := os.WriteFile(path, []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := loadConfig(path)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("loadConfig(%q) = %v, want nil", tt.body, err)
				}
				if cfg.PKCS11.PINFile != "" && cfg.PKCS11.PINFile != filepath.Join(dir, "pin") {
					t.Errorf("pin_file = %q, want it relative to the config file", cfg.PKCS11.PINFile)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("loadConfig(%q) = %v, want an error naming %q", tt.body, err, tt.wantErr)
			}
		})
	}
}

// TestTokenKeyWithoutCertificate: a key named in [pkcs11] without its
// installed certificate stops the start, rather than letting the node sign
// with its file key.
func TestTokenKeyWithoutCertificate(t *testing.T) {
	cfg := defaultConfig()
	cfg.Data = t.TempDir()
	cfg.PKCS11 = PKCS11Config{Module: "/nonexistent.so", TokenLabel: "t", PINEnv: "PIN", NotaryKey: "custos-notary"}
	_, err := loadPKI(cfg)
	if err == nil || !strings.Contains(err.Error(), "custos pki install --for notary") {
		t.Fatalf("loadPKI = %v, want an error that says to install the notary certificate", err)
	}
}
