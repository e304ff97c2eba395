package client_test

import (
	"os/exec"
	"strings"
	"testing"
)

// forbidden are the server's packages and the heavy libraries only a
// server needs: a client built from api/client must pull in none of them
// (a path matches the entry itself and everything below it). To tighten
// the rule, add entries. The verifier's pure packages (receipt,
// custody, anchor/vmap) are allowed.
var forbidden = []string{
	"github.com/custos-project/custos/api",
	"github.com/custos-project/custos/evidence",
	"github.com/custos-project/custos/access",
	"github.com/custos-project/custos/webhooks",
	"github.com/custos-project/custos/storage",
	"github.com/custos-project/custos/anchor",
	"github.com/custos-project/custos/notary/document",
	"github.com/custos-project/custos/notary/pdf",
	"go.etcd.io/bbolt",
	"github.com/labstack/echo",
	"github.com/cometbft/cometbft",
	"github.com/minio/minio-go",
}

// allowed are the packages below a forbidden path that the client may use.
var allowed = []string{
	"github.com/custos-project/custos/api/client",
	"github.com/custos-project/custos/api/wire",
	"github.com/custos-project/custos/receipt",
	"github.com/custos-project/custos/custody",
	"github.com/custos-project/custos/anchor/vmap",
}

// TestClientDeps lists the client's transitive imports (go list -deps)
// and fails naming any of the server's.
func TestClientDeps(t *testing.T) {
	for _, pkg := range goListDeps(t, "github.com/custos-project/custos/api/client") {
		if bad := forbiddenBy(pkg); bad != "" {
			t.Errorf("api/client imports %s (forbidden: %s)", pkg, bad)
		}
	}
}

func goListDeps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// forbiddenBy returns the forbidden entry pkg falls under, or "".
func forbiddenBy(pkg string) string {
	for _, a := range allowed {
		if under(pkg, a) {
			return ""
		}
	}
	for _, f := range forbidden {
		if under(pkg, f) {
			return f
		}
	}
	return ""
}

func under(pkg, path string) bool { return pkg == path || strings.HasPrefix(pkg, path+"/") }

func TestForbiddenBy(t *testing.T) {
	for pkg, want := range map[string]string{
		"github.com/custos-project/custos/api":                "github.com/custos-project/custos/api",
		"github.com/custos-project/custos/evidence":           "github.com/custos-project/custos/evidence",
		"github.com/custos-project/custos/evidence/imagehash": "github.com/custos-project/custos/evidence",
		"github.com/custos-project/custos/receipt":            "",
		"github.com/custos-project/custos/api/wire":           "",
		"github.com/custos-project/custos/apiary":             "",
		"go.etcd.io/bbolt/errors":                             "go.etcd.io/bbolt",
		"github.com/cometbft/cometbft/p2p":                    "github.com/cometbft/cometbft",
		"net/http":                                            "",
	} {
		if got := forbiddenBy(pkg); got != want {
			t.Errorf("forbiddenBy(%q) = %q, want %q", pkg, got, want)
		}
	}
}
