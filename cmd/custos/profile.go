package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/custos-project/custos/internal/atomicfile"
)

// Saved profiles: `custos login` keeps a server and the user's own API
// token under a name, in config.json in the user's configuration folder
// (os.UserConfigDir()/custos: $XDG_CONFIG_HOME/custos or ~/.config/custos
// on Linux), so that no command needs --server and --token again. The
// file is the user's alone (mode 0600 in a 0700 folder) and is refused if
// others may read it. The server keeps only a verifier of the token, as
// before.

// localServer is the server without --server, $CUSTOS_SERVER or a
// profile: the node `make run` starts.
const localServer = "http://127.0.0.1:8080"

// profileFlag is the root's persistent --profile flag.
var profileFlag string

// profile is one saved server and token.
type profile struct {
	Server string `json:"server"`
	Token  string `json:"token,omitempty"`
}

// cliConfig is the CLI's configuration file.
type cliConfig struct {
	Current  string              `json:"current,omitempty"`
	Profiles map[string]*profile `json:"profiles"`
}

// configPath is where the CLI keeps its configuration.
func configPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", wrapped(err, "fail.no-config-dir")
	}
	return filepath.Join(dir, "custos", "config.json"), nil
}

// loadCLIConfig reads the CLI configuration file; a missing file is an empty
// configuration. A file others may read is refused: it holds tokens.
func loadCLIConfig() (*cliConfig, string, error) {
	path, err := configPath()
	if err != nil {
		return nil, "", err
	}
	cfg := &cliConfig{Profiles: map[string]*profile{}}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return cfg, path, nil
	}
	if err != nil {
		return nil, path, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, path, err
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, path, failure(1, "fail.profile-mode", "path", path, "mode", fmt.Sprintf("%04o", perm))
	}
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		return nil, path, wrapped(err, "fail.profile-read", "path", path)
	}
	if cfg.Profiles == nil {
		cfg.Profiles = map[string]*profile{}
	}
	return cfg, path, nil
}

// save writes the configuration atomically, mode 0600 in a 0700 folder.
func (cfg *cliConfig) save(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(b, '\n'), 0o600)
}

// names lists the profiles' names, sorted.
func (cfg *cliConfig) names() []string {
	var ns []string
	for n := range cfg.Profiles {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return ns
}

// selectedProfile is the profile's name the commands use: --profile, else
// $CUSTOS_PROFILE, else the current one ("" if none). explicit tells
// whether it was asked for by name.
func selectedProfile(cfg *cliConfig) (name string, explicit bool) {
	if profileFlag != "" {
		return profileFlag, true
	}
	if p := os.Getenv("CUSTOS_PROFILE"); p != "" {
		return p, true
	}
	return cfg.Current, false
}

// resolved is the server and token a command uses, and where each came
// from: "flag", "env", "profile" or "default".
type resolved struct {
	Server, ServerFrom string
	Token, TokenFrom   string
	Profile            string // the selected profile, "" if none
}

// target is the server and token a command uses. Each comes from the
// first that gives it: the flag, the environment ($CUSTOS_SERVER,
// $CUSTOS_TOKEN), the selected profile, and for the server the local
// node. A profile's token is only sent to its own server.
func target(server, token string) (*resolved, error) {
	r := &resolved{Server: server, ServerFrom: "flag", Token: token, TokenFrom: "flag"}
	if r.Server == "" {
		r.Server, r.ServerFrom = os.Getenv("CUSTOS_SERVER"), "env"
	}
	if r.Token == "" {
		r.Token, r.TokenFrom = os.Getenv("CUSTOS_TOKEN"), "env"
	}
	if r.Server == "" || r.Token == "" || profileFlag != "" || os.Getenv("CUSTOS_PROFILE") != "" {
		name, p, err := loadProfile()
		if err != nil {
			return nil, err
		}
		if p != nil {
			r.Profile = name
			if r.Server == "" {
				r.Server, r.ServerFrom = p.Server, "profile"
			}
			if r.Token == "" && sameServer(r.Server, p.Server) {
				r.Token, r.TokenFrom = p.Token, "profile"
			}
		}
	}
	if r.Server == "" {
		r.Server, r.ServerFrom = localServer, "default"
	}
	if r.Token == "" {
		r.TokenFrom = ""
	}
	if err := checkServerURL(r.Server, r.ServerFrom); err != nil {
		return nil, err
	}
	return r, nil
}

// loadProfile is the selected profile, nil if none; a profile asked for
// by name that does not exist is a usage error.
func loadProfile() (string, *profile, error) {
	cfg, _, err := loadCLIConfig()
	if err != nil {
		return "", nil, err
	}
	name, explicit := selectedProfile(cfg)
	p := cfg.Profiles[name]
	if p == nil && explicit {
		return "", nil, usageError("usage.no-profile-save", "name", name)
	}
	return name, p, nil
}

func sameServer(a, b string) bool {
	return strings.TrimRight(a, "/") == strings.TrimRight(b, "/")
}

// maskToken shows enough of a token to tell tokens apart and none of its
// secret: a generated token's public part ("cst_" and the key's ID) and
// the last four of its 43 random characters; a chosen token, which may
// hold little entropy, shows nothing of itself.
func maskToken(t string) string {
	if t == "" {
		return ""
	}
	id, secret, ok := strings.Cut(strings.TrimPrefix(t, "cst_"), "_")
	if !strings.HasPrefix(t, "cst_") || !ok || len(id) != 26 || len(secret) < 40 {
		return "****"
	}
	return "cst_" + id + "_****" + secret[len(secret)-4:]
}
