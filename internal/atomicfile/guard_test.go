package atomicfile

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// unguarded lists the file writes of the module allowed to bypass this
// package, each for a reason: files the user asked a command for (umask
// applies, and a lost one is fetched again), the test environment's
// caches, and writers with durable steps of their own.
var unguarded = map[string]string{
	"cmd/custos/download.go os.OpenFile":            "createPart: the part file of a download or of a command's -o output, fsynced and renamed with Rename",
	"cmd/custos/gc.go os.Create":                    "a profile written at exit",
	"certs/dev.go os.OpenFile":                      "O_EXCL into a staging folder renamed whole, folders fsynced (certs.syncDir)",
	"certs/dev.go os.Rename":                        "the staging folder renamed whole, folders fsynced (certs.syncDir)",
	"internal/testenv/java.go os.Rename":            "a test cache",
	"internal/testenv/softhsm.go os.WriteFile":      "a test's configuration",
	"internal/testenv/golden.go os.WriteFile":       "golden files rewritten on request",
	"notary/pdf/pdftest/pdftest.go os.WriteFile":    "a test's input files, in its temporary folder",
	"internal/testenv/minio.go os.OpenFile":         "a test server's log",
	"internal/testenv/pty_linux.go os.OpenFile":     "a test's pseudo-terminal (/dev/ptmx, /dev/pts/N), no file",
	"bench/growthplot/main.go os.Create":            "a benchmark's plot",
	"storage/folder.go os.OpenFile":                 "staged blobs: fdatasync and folder fsync at Commit (Folder.Stage)",
	"cmd/custos/reissuelock_windows.go os.OpenFile": "an empty lock file whose LockFileEx lock, not its bytes, counts",
}

// TestNoAdHocWrites fails on a file write outside this package that could
// leave a torn or lost file after a crash: os.WriteFile, os.Create,
// os.Rename and os.OpenFile, in the module's non-test code, unless
// unguarded names it with its reason; and CometBFT's SaveAs,
// LoadOrGenNodeKey and LoadOrGenFilePV, which write keys and the genesis
// in place or rename without a folder fsync. (It found, before it was
// written, cmd/custos's writeFileSync, profile save and writeSecret,
// rotate-key's renames and anchor.GenNextValidatorKey, none fsyncing the
// folder; then anchor's InitHome, StartNode and WriteGenesis, through
// CometBFT's writers.)
func TestNoAdHocWrites(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && rel != "." || rel == "internal/atomicfile" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "os" && slices.Contains([]string{"WriteFile", "Create", "Rename", "OpenFile"}, sel.Sel.Name) {
				what := filepath.ToSlash(rel) + " os." + sel.Sel.Name
				if _, ok := unguarded[what]; !ok {
					found = append(found, fset.Position(sel.Pos()).String()+": os."+sel.Sel.Name)
				}
			}
			// CometBFT's own writers of keys and genesis: in place or
			// renamed without a folder fsync.
			if slices.Contains([]string{"SaveAs", "LoadOrGenNodeKey", "LoadOrGenFilePV"}, sel.Sel.Name) {
				found = append(found, fset.Position(sel.Pos()).String()+": "+sel.Sel.Name)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		t.Errorf("%s: write with atomicfile (or list it in unguarded with its reason)", f)
	}
}
