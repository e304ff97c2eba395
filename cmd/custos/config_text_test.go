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

// TestConfigEvidenceRecords: [evidence_records] is read with its defaults,
// and a bad hash, an unknown retired algorithm, a retired renewal hash or a
// negative duration is refused.
func TestConfigEvidenceRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "custos.toml")
	load := func(body string) (Config, error) {
		t.Helper()
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return loadConfig(path)
	}
	cfg, err := load("[evidence_records]\nrenew_before = \"720h\"\nretired_hashes = [\"sha-256\"]\nretired_signatures = [\"1.2.840.10045.4.3.2\", \"SHA-1\"]\n")
	if err != nil || cfg.EvidenceRecords.RenewInterval.Duration != 24*time.Hour || cfg.EvidenceRecords.RenewBefore.Duration != 720*time.Hour {
		t.Fatalf("loadConfig = %+v, %v", cfg.EvidenceRecords, err)
	}
	for _, tt := range []struct{ body, want string }{
		{"[evidence_records]\nhash = \"MD5\"\n", "evidence_records.hash"},
		{"[evidence_records]\nretired_hashes = [\"SHA-3\"]\n", "retired algorithm"},
		{"[evidence_records]\nretired_hashes = [\"SHA-512\"]\n", "is retired"},
		{"[evidence_records]\nrenew_interval = \"-1h\"\n", "must not be negative"},
	} {
		if _, err := load(tt.body); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("loadConfig(%q) = %v, want an error with %q", tt.body, err, tt.want)
		}
	}
}

// TestConfigNoticeRate: [consortium] notice_rate and notice_burst are read,
// and a negative burst or a rate that is not a number is refused.
func TestConfigNoticeRate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "custos.toml")
	os.WriteFile(path, []byte("[consortium]\nnotice_rate = 0.5\nnotice_burst = 30\n"), 0o600)
	cfg, err := loadConfig(path)
	if err != nil || cfg.Consortium.NoticeRate != 0.5 || cfg.Consortium.NoticeBurst != 30 {
		t.Fatalf("loadConfig = rate %v, burst %d, %v; want 0.5, 30", cfg.Consortium.NoticeRate, cfg.Consortium.NoticeBurst, err)
	}
	for _, body := range []string{"[consortium]\nnotice_burst = -1\n", "[consortium]\nnotice_rate = nan\n", "[consortium]\nnotice_rate = inf\n"} {
		os.WriteFile(path, []byte(body), 0o600)
		if _, err := loadConfig(path); err == nil || !strings.Contains(err.Error(), "notice_") {
			t.Errorf("loadConfig(%q) = %v, want refused", body, err)
		}
	}
}

// TestConfigDurations: a duration in custos.toml without its unit
// (timeout = "30"), or not a duration at all, is refused with the key it
// is given for and what a duration looks like, not Go's "time: missing
// unit in duration" (which it was before).
func TestConfigDurations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "custos.toml")
	for _, tt := range []struct{ body, key, value string }{
		{"[webhooks]\ntimeout = \"30\"\n", "webhooks.timeout", "30"},
		{"[[tsa.external]]\nname = \"a\"\nurl = \"https://tsa.example.com\"\ntimeout = \"10\"\n", "tsa.external.timeout", "10"},
		{"[chain]\ntimeout_commit = 5\n", "chain.timeout_commit", "5"},
		{"[audit]\ninterval = \"six hours\"\n", "audit.interval", "six hours"},
	} {
		if err := os.WriteFile(path, []byte(tt.body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := loadConfig(path)
		want := tt.key + ` takes a duration such as "30s" or "10m" (a number with its unit: ms, s, m, h), not "` + tt.value + `"`
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "time:") {
			t.Errorf("loadConfig(%q) = %v, want an error with %s", tt.body, err, want)
		}
	}
	os.WriteFile(path, []byte("[webhooks]\ntimeout = \"30s\"\n"), 0o600)
	if cfg, err := loadConfig(path); err != nil || cfg.Webhooks.Timeout.Duration != 30*time.Second {
		t.Errorf("loadConfig(timeout = \"30s\") = %v, %v", cfg.Webhooks.Timeout, err)
	}
}
