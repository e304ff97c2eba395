// Package testenv starts the real servers that integration tests run
// against (MinIO for now), and finds their binaries.
//
// Integration tests run in the README's test command every time. When a
// binary is missing they skip, with a message saying how to install it;
// with CUSTOS_REQUIRE_INTEGRATION=1 (CI) they fail instead.
package testenv

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// RequireIntegration reports whether integration prerequisites must be
// present, that is whether CUSTOS_REQUIRE_INTEGRATION=1.
func RequireIntegration() bool { return os.Getenv("CUSTOS_REQUIRE_INTEGRATION") == "1" }

// installHints tells how to get the binaries LookBinary is asked for.
var installHints = map[string]string{
	"minio":           "go install github.com/minio/minio@latest (about 6 minutes; AGPLv3, run beside the project, never linked)",
	"chromium":        "apt-get install -y chromium fonts-noto-cjk (or make deps)",
	"jq":              "apt-get install -y jq (or make deps)",
	"curl":            "apt-get install -y curl (or make deps)",
	"pdftotext":       "apt-get install -y poppler-utils (or make deps)",
	"pdfdetach":       "apt-get install -y poppler-utils (or make deps)",
	"softhsm2-util":   "apt-get install -y softhsm2 (or make deps)",
	"pkcs11-tool":     "apt-get install -y opensc (or make deps)",
	"python3":         "apt-get install -y python3-cryptography (or make deps)",
	"systemd-analyze": "apt-get install -y systemd (or make deps)",
	"unshare":         "apt-get install -y util-linux",
	"nsenter":         "apt-get install -y util-linux",
}

// LookBinary returns the path of the executable name, looking in PATH, then
// in $(go env GOPATH)/bin, $HOME/go/bin and extraDirs. If it is missing the
// test is skipped, or fails when RequireIntegration.
func LookBinary(t testing.TB, name string, extraDirs ...string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	dirs := append(goBinDirs(), extraDirs...)
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	msg := "integration test needs " + name + ", not found in PATH or " + strings.Join(dirs, ", ")
	if hint := installHints[name]; hint != "" {
		msg += "; install it with: " + hint
	}
	Missing(t, msg)
	return ""
}

// Missing skips the test for the reason msg (a missing tool), or fails it
// when RequireIntegration.
func Missing(t testing.TB, msg string) {
	t.Helper()
	if RequireIntegration() {
		t.Fatal(msg + " (CUSTOS_REQUIRE_INTEGRATION=1)")
		return
	}
	t.Skip(msg + " (set CUSTOS_REQUIRE_INTEGRATION=1 to make this a failure)")
}

// goBinDirs returns $(go env GOPATH)/bin for each GOPATH entry, and
// $HOME/go/bin.
func goBinDirs() []string {
	var dirs []string
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "env", "GOPATH").Output(); err == nil {
		for _, p := range filepath.SplitList(strings.TrimSpace(string(out))) {
			if p != "" {
				dirs = append(dirs, filepath.Join(p, "bin"))
			}
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	return slices.Compact(dirs)
}

// RunPython runs python3 with args (a script and its arguments) and
// returns what it printed. The test is skipped, or fails when
// RequireIntegration, without python3 and its cryptography package (the
// independent implementations of the formats use both); it fails if the
// script exits non-zero or runs past timeout.
func RunPython(t testing.TB, timeout time.Duration, args ...string) []byte {
	t.Helper()
	python := LookBinary(t, "python3")
	if out, err := exec.Command(python, "-c", "import cryptography.x509, cryptography.hazmat.primitives.asymmetric.ed25519").CombinedOutput(); err != nil {
		Missing(t, "python3 has no cryptography package ("+err.Error()+": "+strings.TrimSpace(string(out))+"); install it with: "+installHints["python3"])
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("python3 %v: %v\n%s", args, err, out)
	}
	return out
}
