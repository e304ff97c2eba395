package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestConfigRefusesInvisibleNames: the names a node prints on certificates
// and pages may not hold invisible or direction-changing characters.
func TestConfigRefusesInvisibleNames(t *testing.T) {
	for _, tt := range []struct{ toml, field string }{
		{"org = \"Firm\u202e\"\n", "org"},
		{"[notary]\nname = \"Wang\u200b Fang\"\n", "notary.name"},
		{"[notary]\noffice = \"Office\u2066\"\n", "notary.office"},
		{"[notary]\nabbrev = \"\u200f浙杭\"\n", "notary.abbrev"},
	} {
		path := filepath.Join(t.TempDir(), "custos.toml")
		if err := os.WriteFile(path, []byte(tt.toml), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := loadConfig(path)
		if err == nil || !strings.Contains(err.Error(), tt.field+" contains an invisible or direction-changing character U+") {
			t.Errorf("loadConfig(%q) = %v, want %s refused", tt.toml, err, tt.field)
		}
	}
	path := filepath.Join(t.TempDir(), "custos.toml")
	os.WriteFile(path, []byte("org = \"杭州互联网法院\"\n[notary]\nabbrev = \"浙杭\"\n"), 0o600)
	if _, err := loadConfig(path); err != nil {
		t.Errorf("loadConfig(visible names) = %v", err)
	}
}

// TestConfigChainTimeouts: the consensus timeouts are read, and a negative
// one is refused.
func TestConfigChainTimeouts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "custos.toml")
	os.WriteFile(path, []byte("[chain]\ntimeout_commit = \"50ms\"\ntimeout_propose = \"800ms\"\n"), 0o600)
	cfg, err := loadConfig(path)
	if err != nil || cfg.Chain.TimeoutCommit.Duration != 50*time.Millisecond || cfg.Chain.TimeoutPropose.Duration != 800*time.Millisecond {
		t.Fatalf("loadConfig = %+v, %v", cfg, err)
	}
	os.WriteFile(path, []byte("[chain]\ntimeout_propose = \"-1s\"\n"), 0o600)
	if _, err := loadConfig(path); err == nil || !strings.Contains(err.Error(), "timeout_propose must not be negative") {
		t.Errorf("a negative timeout_propose: %v", err)
	}
}
