package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	prob "github.com/custos-project/custos/internal/problem"
)

// isolateConfig gives a test its own configuration folder and no
// CUSTOS_* variables, and resets the root's flags.
func isolateConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv("HOME", dir)
	for _, v := range []string{"CUSTOS_SERVER", "CUSTOS_TOKEN", "CUSTOS_PROFILE", "CUSTOS_OUTPUT"} {
		t.Setenv(v, "")
	}
	profileFlag, forceJSON = "", false
	t.Cleanup(func() { profileFlag, forceJSON = "", false })
	return dir
}

// saveProfiles writes a configuration with the given profiles.
func saveProfiles(t *testing.T, current string, ps map[string]*profile) string {
	t.Helper()
	cfg, path, err := loadCLIConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Current, cfg.Profiles = current, ps
	if err := cfg.save(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestProfileFileModes(t *testing.T) {
	dir := isolateConfig(t)
	path := saveProfiles(t, "work", map[string]*profile{"work": {Server: "https://a.example", Token: "secret-token-of-work"}})
	if want := filepath.Join(dir, "custos", "config.json"); path != want {
		t.Errorf("configPath = %s, want %s", path, want)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != want {
			t.Errorf("mode of %s = %04o, want %04o", p, got, want)
		}
	}
	cfg, _, err := loadCLIConfig()
	if err != nil || cfg.Current != "work" || cfg.Profiles["work"].Token != "secret-token-of-work" {
		t.Fatalf("loadCLIConfig() = %+v, %v; want the saved profile", cfg, err)
	}

	for _, mode := range []os.FileMode{0o640, 0o604, 0o644} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, _, err := loadCLIConfig()
		var ee exitError
		if !errors.As(err, &ee) || ee.code != 1 || !strings.Contains(ee.msg, "chmod 600 "+path) {
			t.Errorf("loadCLIConfig() of a file of mode %04o = %v; want a refusal that says chmod 600", mode, err)
		}
		if _, err := target("", ""); err == nil {
			t.Errorf("target() read a token file of mode %04o", mode)
		}
	}
	// Flags and environment that give both server and token do not need
	// the file.
	if r, err := target("https://b.example", "t"); err != nil || r.Server != "https://b.example" {
		t.Errorf("target(flags) with an unreadable profile file = %+v, %v", r, err)
	}
}

// TestProfileUnreadableZH: a saved-profiles file that does not parse is
// refused in the CLI's language, the parser's error still wrapped. It was
// English under a Chinese locale before ("reading …: invalid character").
func TestProfileUnreadableZH(t *testing.T) {
	dir := isolateConfig(t)
	path := filepath.Join(dir, "custos", "config.json")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	defer func(l prob.Lang) { lang = l }(lang)
	lang = prob.Chinese
	_, _, err := loadCLIConfig()
	var syntax *json.SyntaxError
	if err == nil || !strings.HasPrefix(err.Error(), "读取 "+path+" 失败：") || !strings.Contains(err.Error(), "重新登录") || !errors.As(err, &syntax) {
		t.Errorf("loadCLIConfig() of a broken file in Chinese = %v; want 读取 %s 失败：…（…重新登录）, wrapping the JSON error", err, path)
	}
}

func TestTargetPrecedence(t *testing.T) {
	isolateConfig(t)
	saveProfiles(t, "work", map[string]*profile{
		"work":  {Server: "https://work.example", Token: "work-token"},
		"court": {Server: "https://court.example/", Token: "court-token"},
	})
	for _, tc := range []struct {
		name                  string
		flagServer, flagTok   string
		env                   map[string]string
		profile               string
		server, token         string
		serverFrom, tokenFrom string
	}{
		{name: "current profile", server: "https://work.example", token: "work-token", serverFrom: "profile", tokenFrom: "profile"},
		{name: "--profile", profile: "court", server: "https://court.example/", token: "court-token", serverFrom: "profile", tokenFrom: "profile"},
		{name: "CUSTOS_PROFILE", env: map[string]string{"CUSTOS_PROFILE": "court"}, server: "https://court.example/", token: "court-token", serverFrom: "profile", tokenFrom: "profile"},
		{name: "--profile over CUSTOS_PROFILE", profile: "work", env: map[string]string{"CUSTOS_PROFILE": "court"}, server: "https://work.example", token: "work-token", serverFrom: "profile", tokenFrom: "profile"},
		{name: "env over profile", env: map[string]string{"CUSTOS_TOKEN": "env-token"}, server: "https://work.example", token: "env-token", serverFrom: "profile", tokenFrom: "env"},
		{name: "flag over env", flagTok: "flag-token", env: map[string]string{"CUSTOS_TOKEN": "env-token"}, server: "https://work.example", token: "flag-token", serverFrom: "profile", tokenFrom: "flag"},
		{name: "same server, profile's token", flagServer: "https://court.example", profile: "court", server: "https://court.example", token: "court-token", serverFrom: "flag", tokenFrom: "profile"},
		// A profile's token never goes to another server.
		{name: "other server, no token", flagServer: "https://elsewhere.example", server: "https://elsewhere.example", serverFrom: "flag"},
		{name: "CUSTOS_SERVER elsewhere, no token", env: map[string]string{"CUSTOS_SERVER": "https://elsewhere.example"}, server: "https://elsewhere.example", serverFrom: "env"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range []string{"CUSTOS_SERVER", "CUSTOS_TOKEN", "CUSTOS_PROFILE"} {
				t.Setenv(v, tc.env[v])
			}
			profileFlag = tc.profile
			r, err := target(tc.flagServer, tc.flagTok)
			if err != nil {
				t.Fatal(err)
			}
			if r.Server != tc.server || r.Token != tc.token || r.ServerFrom != tc.serverFrom || r.TokenFrom != tc.tokenFrom {
				t.Errorf("target(%q, %q) = %+v; want server %s (%s), token %q (%s)", tc.flagServer, tc.flagTok, r, tc.server, tc.serverFrom, tc.token, tc.tokenFrom)
			}
		})
	}
	t.Run("unknown profile", func(t *testing.T) {
		profileFlag = "nosuch"
		_, err := target("", "")
		var ee exitError
		if !errors.As(err, &ee) || ee.code != 2 {
			t.Errorf("target with --profile nosuch = %v; want a usage error", err)
		}
	})
}

func TestTargetDefault(t *testing.T) {
	isolateConfig(t) // no file at all
	r, err := target("", "")
	if err != nil || r.Server != localServer || r.ServerFrom != "default" || r.Token != "" {
		t.Errorf("target() without flags, env or profiles = %+v, %v; want %s and no token", r, err, localServer)
	}
}

func TestMaskToken(t *testing.T) {
	gen := "cst_abcdefghijklmnopqrstuvwxyz_" + strings.Repeat("Q", 39) + "WXYZ"
	for _, tc := range []struct{ in, want string }{
		{gen, "cst_abcdefghijklmnopqrstuvwxyz_****WXYZ"},
		{"a-chosen-bootstrap-token-of-some-length", "****"},
		{"cst_short", "****"},
		{"", ""},
	} {
		if got := maskToken(tc.in); got != tc.want {
			t.Errorf("maskToken(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
