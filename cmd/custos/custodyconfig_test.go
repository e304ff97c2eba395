package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestCustodyAndReadQuotaConfig: [custody] read_fold_window and the
// shared-read quota keys of [limits] are read; a bad duration is refused.
func TestCustodyAndReadQuotaConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "custos.toml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cfg, err := loadConfig(write("[custody]\nread_fold_window = \"30s\"\n[limits]\nshared_read_rate = 2.5\nshared_read_burst = 40\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Custody.ReadFoldWindow.Duration != 30*time.Second || cfg.Limits.SharedReadRate != 2.5 || cfg.Limits.SharedReadBurst != 40 {
		t.Errorf("loadConfig = window %v, shared read rate %v burst %d; want 30s, 2.5, 40",
			cfg.Custody.ReadFoldWindow.Duration, cfg.Limits.SharedReadRate, cfg.Limits.SharedReadBurst)
	}
	if cfg, err := loadConfig(write("")); err != nil || cfg.Custody.ReadFoldWindow.Duration != 0 {
		t.Errorf("loadConfig(empty) = window %v, %v; want 0 (the default), nil", cfg.Custody.ReadFoldWindow.Duration, err)
	}
	if _, err := loadConfig(write("[custody]\nread_fold_window = \"ten minutes\"\n")); err == nil {
		t.Error("loadConfig(read_fold_window = \"ten minutes\") accepted")
	}
	if _, err := loadConfig(write("[custody]\nread_fold = \"1m\"\n")); err == nil {
		t.Error("loadConfig(unknown custody key) accepted")
	}
}
