package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// SoftHSMToken is a fresh SoftHSM2 token, a real PKCS#11 token kept in a
// temporary folder.
type SoftHSMToken struct {
	Module string // the PKCS#11 library
	Label  string // the token's label
	PIN    string // the user PIN
	Conf   string // SOFTHSM2_CONF, already set in the test's environment
}

// softHSMModules are where Debian and others install SoftHSM2's module.
var softHSMModules = []string{
	"/usr/lib/softhsm/libsofthsm2.so",
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/local/lib/softhsm/libsofthsm2.so",
}

// SoftHSM initialises a SoftHSM2 token in a temporary folder and points
// SOFTHSM2_CONF at it (t.Setenv, so the test may not be parallel). Without
// SoftHSM2 the test is skipped, or fails when RequireIntegration.
func SoftHSM(t testing.TB) *SoftHSMToken {
	t.Helper()
	util := LookBinary(t, "softhsm2-util")
	module := ""
	for _, m := range softHSMModules {
		if _, err := os.Stat(m); err == nil {
			module = m
			break
		}
	}
	if module == "" {
		Missing(t, "integration test needs SoftHSM2's PKCS#11 module libsofthsm2.so, not found; install it with: apt-get install -y softhsm2 (or make deps)")
		return nil
	}
	// Not t.TempDir(): its name carries the test's, which may hold "#"
	// (a repeated subtest name), and softhsm2.conf reads "#" as the start
	// of a comment.
	dir, err := os.MkdirTemp("", "custos-softhsm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	conf := filepath.Join(dir, "softhsm2.conf")
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	body := "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\n"
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	tok := &SoftHSMToken{Module: module, Label: "custos-test", PIN: "1234", Conf: conf}
	out, err := exec.Command(util, "--init-token", "--free", "--label", tok.Label, "--so-pin", "5678", "--pin", tok.PIN).CombinedOutput()
	if err != nil {
		t.Fatalf("softhsm2-util --init-token: %v\n%s", err, out)
	}
	return tok
}
