package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/custos-project/custos/"

// forbidden says why pkg must not be linked into a verifier, or "".
func forbidden(pkg string) string {
	under := func(prefix string) bool { return pkg == prefix || strings.HasPrefix(pkg, prefix+"/") }
	switch {
	case under("net/http"):
		return "an HTTP stack"
	case under("go.etcd.io/bbolt"):
		return "the server's store"
	case under("github.com/labstack/echo"):
		return "the server's HTTP framework"
	case under("github.com/cometbft"), under("github.com/tendermint"):
		return "CometBFT"
	case under("github.com/cosmos/gogoproto"), under("github.com/gogo/protobuf"), under("google.golang.org/protobuf"):
		return "a protobuf runtime"
	case under("github.com/signintech/gopdf"), under("github.com/skip2/go-qrcode"), under("github.com/phpdave11/gofpdi"):
		return "a PDF writer"
	}
	// The server's own packages. anchor/vmap (the state map's proofs),
	// custody (the custody event format) and pdfcheck (the certificate
	// PDF's reader) are verifier code; notary/pdf, which renders and signs
	// certificates, is not.
	for _, p := range []string{"api", "evidence", "anchor", "notary", "storage", "webhooks", "access"} {
		if pkg == module+p {
			return "server package " + p
		}
	}
	for _, p := range []string{"api", "storage", "webhooks", "access", "notary"} {
		if strings.HasPrefix(pkg, module+p+"/") {
			return "server package " + strings.TrimPrefix(pkg, module)
		}
	}
	return ""
}

// TestVerifierDeps lists what the receipt verifier, the certificate PDF
// verifier, this command and the browser's two verifiers link (go list
// -deps) and fails on any forbidden package. The browser's receipt
// verifier must not link the PDF checker either: the page loads that
// one, web/wasmpdf, only for a PDF, so that the receipt verifier's size
// and first verdict do not pay for it.
func TestVerifierDeps(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	wasm := []string{"GOOS=js", "GOARCH=wasm"}
	targets := []struct {
		name, pkg string
		env       []string
		not       []string // forbidden for this target alone
	}{
		{"receipt verifier", module + "receipt", nil, nil},
		{"certificate PDF verifier", module + "pdfcheck", nil, nil},
		{"custos-verify", module + "cmd/custos-verify", nil, nil},
		{"WebAssembly verifier", module + "web/wasm", wasm, []string{module + "pdfcheck", module + "internal/verifycli"}},
		{"WebAssembly certificate PDF verifier", module + "web/wasmpdf", wasm, nil},
	}
	for _, tt := range targets {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(gobin, "list", "-deps", tt.pkg)
			cmd.Env = append(os.Environ(), tt.env...)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v", tt.pkg, err)
			}
			pkgs := strings.Fields(string(out))
			if len(pkgs) < 10 {
				t.Fatalf("go list -deps %s listed %d packages", tt.pkg, len(pkgs))
			}
			for _, p := range pkgs {
				if why := forbidden(p); why != "" {
					t.Errorf("%s links %s (%s)", tt.pkg, p, why)
				}
				if slices.Contains(tt.not, p) {
					t.Errorf("%s links %s (the PDF checker is web/wasmpdf's)", tt.pkg, p)
				}
			}
		})
	}
}

// TestForbidden checks the rule itself, so that the test above can fail.
func TestForbidden(t *testing.T) {
	for pkg, bad := range map[string]bool{
		"net/http": true, "net/http/httptrace": true, "go.etcd.io/bbolt": true,
		"github.com/labstack/echo/v4": true, "github.com/cometbft/cometbft/types": true,
		"github.com/cosmos/gogoproto/proto": true, module + "api": true, module + "api/client": true,
		module + "evidence": true, module + "anchor": true, module + "notary": true, module + "notary/pdf": true,
		module + "storage": true, module + "webhooks": true, module + "access": true,
		"net": false, "crypto/x509": false, module + "receipt": false, module + "custody": false,
		module + "anchor/vmap": false, module + "internal/rfc3161": false, "github.com/digitorus/timestamp": false,
		module + "pdfcheck": false, module + "internal/verifycli": false, module + "notary/document": true,
		"github.com/signintech/gopdf": true, "github.com/signintech/gopdf/fontmaker/core": true,
		"github.com/skip2/go-qrcode": true, "github.com/phpdave11/gofpdi": true,
	} {
		if got := forbidden(pkg) != ""; got != bad {
			t.Errorf("forbidden(%q) = %v, want %v", pkg, got, bad)
		}
	}
}

// TestBuildsForCourts builds this command for the systems a court's
// clerk runs, Windows and macOS as well as Linux (CGO_ENABLED=0, as a
// court builds it): code that only a Linux build compiles, such as a
// system call, would otherwise be found by a court, not here.
func TestBuildsForCourts(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles the command")
	}
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	for _, target := range []string{"windows/amd64", "darwin/arm64"} {
		t.Run(target, func(t *testing.T) {
			t.Parallel()
			goos, goarch, _ := strings.Cut(target, "/")
			cmd := exec.Command(gobin, "build", "-trimpath", "-o", filepath.Join(t.TempDir(), "custos-verify"), ".")
			cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("GOOS=%s GOARCH=%s go build ./cmd/custos-verify: %v\n%s", goos, goarch, err, out)
			}
		})
	}
}
