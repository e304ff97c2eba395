package cms

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestImports keeps the codec fit for a standalone verifier: of this
// module it imports only internal/oids, and nothing that serves or
// fetches (no net/http, no server package).
func TestImports(t *testing.T) {
	out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	const module = "github.com/custos-project/custos/"
	for _, pkg := range strings.Fields(string(out)) {
		switch {
		case pkg == module+"internal/cms", pkg == module+"internal/oids":
		case strings.HasPrefix(pkg, module), pkg == "net/http", strings.HasPrefix(pkg, "net/http/"), pkg == "os/exec":
			t.Errorf("internal/cms depends on %s", pkg)
		}
	}
}
