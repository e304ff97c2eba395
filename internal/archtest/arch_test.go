package archtest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// docPath is the document, relative to this package's directory.
const docPath = "../../docs/architecture.md"

// Layers, as the arrows block's "# " headings name them.
const (
	layerCommands = "commands"
	layerEdge     = "HTTP edge"
	layerDomain   = "domain"
	layerChain    = "chain/state"
	layerStorage  = "storage"
	layerVerifier = "pure verifier packages"
	layerHelpers  = "internal helpers"
	layerTests    = "test support and benchmarks"
)

// mayImport is the document's table of layer rules: the layers a layer's
// packages may import besides their own. A missing entry means anything.
var mayImport = map[string][]string{
	layerEdge:     {layerDomain, layerChain, layerStorage, layerVerifier, layerHelpers},
	layerDomain:   {layerChain, layerStorage, layerVerifier, layerHelpers},
	layerChain:    {layerStorage, layerVerifier, layerHelpers},
	layerStorage:  {layerHelpers},
	layerVerifier: {layerHelpers},
	layerHelpers:  {},
}

// ruleExceptions are single arrows the document allows against mayImport.
var ruleExceptions = map[[2]string]bool{
	{"receipt", "anchor/vmap"}: true, // vmap imports only the standard library
}

// Graph is the arrows between the module's packages, by package path
// without the module prefix; a package that imports none has an empty list.
type Graph map[string][]string

// Doc is what the test reads from docs/architecture.md.
type Doc struct {
	Arrows Graph
	Layer  map[string]string // package → its heading in the arrows block
	Table  map[string]bool   // packages with a row in the Packages table
}

func TestArchitectureDoc(t *testing.T) {
	b, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := ParseDoc(string(b))
	if err != nil {
		t.Fatalf("ParseDoc(%s): %v", docPath, err)
	}
	code := goList(t)
	t.Run("matches go list", func(t *testing.T) {
		for _, p := range Compare(doc, code) {
			t.Errorf("%s: %s", docPath, p)
		}
	})
	t.Run("tampered copies fail", func(t *testing.T) {
		testTampered(t, string(b), code)
	})
}

// testTampered changes one fact of the real document at a time and wants
// Compare to name exactly that change.
func testTampered(t *testing.T, md string, code Graph) {
	for _, tc := range []struct {
		name, old, new string
		want           []string
	}{
		{
			name: "arrow dropped",
			old:  "api/wire -> custody\n", new: "api/wire ->\n",
			want: []string{"api/wire imports custody: the arrow is not documented"},
		},
		{
			name: "arrow invented",
			old:  "\ncerts/hsm ->\n", new: "\ncerts/hsm -> internal/text\n",
			want: []string{"documented arrow certs/hsm -> internal/text: certs/hsm does not import internal/text"},
		},
		{
			name: "package line dropped",
			old:  "\ninternal/poll ->\n", new: "\n",
			want: []string{"package internal/poll has no line in the arrows block"},
		},
		{
			name: "table row dropped",
			old:  "| `internal/poll` |", new: "| internal/poll |",
			want: []string{"package internal/poll has no row in the Packages table"},
		},
		{
			name: "package invented",
			old:  "\ncerts/hsm ->\n", new: "\ncerts/hsm ->\nstorage/tape ->\n",
			want: []string{"arrows block: storage/tape is no package of the module"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if strings.Count(md, tc.old) != 1 {
				t.Fatalf("the document holds %q %d times, want once", tc.old, strings.Count(md, tc.old))
			}
			d, err := ParseDoc(strings.Replace(md, tc.old, tc.new, 1))
			if err != nil {
				t.Fatal(err)
			}
			if got := Compare(d, code); !slices.Equal(got, tc.want) {
				t.Errorf("Compare(tampered) = %q, want %q", got, tc.want)
			}
		})
	}
}

// goList runs one `go list` over the module and returns its production
// imports between the module's own packages.
func goList(t *testing.T) Graph {
	t.Helper()
	goBin, err := exec.LookPath("go") // go test puts its GOROOT/bin first on PATH
	if err != nil {
		t.Fatalf("no go command: %v", err)
	}
	cmd := exec.Command(goBin, "list", "-f", "{{.Module.Path}} {{.ImportPath}} {{join .Imports \" \"}}", "./...")
	cmd.Dir = filepath.Join("..", "..")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	g, err := ParseGoList(string(out))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// ParseGoList reads lines of "module package imports..." and keeps the
// imports inside the module, with the module prefix dropped.
func ParseGoList(out string) (Graph, error) {
	g := Graph{}
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 {
			return nil, fmt.Errorf("go list line %q: want module and package", line)
		}
		prefix := f[0] + "/"
		pkg, ok := strings.CutPrefix(f[1], prefix)
		if !ok {
			return nil, fmt.Errorf("go list: package %s outside module %s", f[1], f[0])
		}
		deps := []string{}
		for _, imp := range f[2:] {
			if d, ok := strings.CutPrefix(imp, prefix); ok {
				deps = append(deps, d)
			}
		}
		g[pkg] = deps
	}
	return g, nil
}

var (
	tableRow = regexp.MustCompile("^\\| `([^`]+)` \\|")
	arrowRow = regexp.MustCompile(`^([^\s,]+) ->(.*)$`)
)

// ParseDoc reads the Packages table (rows whose first cell is a package in
// backquotes, up to the next "## " heading) and the "```arrows" block.
func ParseDoc(md string) (*Doc, error) {
	d := &Doc{Arrows: Graph{}, Layer: map[string]string{}, Table: map[string]bool{}}
	var section, layer string
	inArrows, sawArrows := false, false
	sc := bufio.NewScanner(strings.NewReader(md))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), " \t")
		switch {
		case inArrows && line == "```":
			inArrows = false
		case inArrows:
			if err := d.arrowLine(line, &layer); err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
		case line == "```arrows":
			if sawArrows {
				return nil, fmt.Errorf("line %d: a second arrows block", n)
			}
			inArrows, sawArrows = true, true
		case strings.HasPrefix(line, "## "):
			section = strings.TrimPrefix(line, "## ")
		case section == "Packages":
			if m := tableRow.FindStringSubmatch(line); m != nil {
				d.Table[m[1]] = true
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	switch {
	case inArrows:
		return nil, fmt.Errorf("the arrows block is not closed")
	case !sawArrows:
		return nil, fmt.Errorf("no ```arrows block")
	case len(d.Table) == 0:
		return nil, fmt.Errorf("no Packages table")
	}
	return d, nil
}

// arrowLine takes one line of the arrows block: blank, a "# layer" heading,
// or "pkg -> dep, dep".
func (d *Doc) arrowLine(line string, layer *string) error {
	if line == "" {
		return nil
	}
	if h, ok := strings.CutPrefix(line, "# "); ok {
		*layer = h
		return nil
	}
	m := arrowRow.FindStringSubmatch(line)
	if m == nil {
		return fmt.Errorf("%q: want \"pkg -> dep, dep\" or \"# layer\"", line)
	}
	pkg := m[1]
	if _, dup := d.Arrows[pkg]; dup {
		return fmt.Errorf("%s has two lines", pkg)
	}
	if *layer == "" {
		return fmt.Errorf("%s comes before any \"# layer\" heading", pkg)
	}
	deps := []string{}
	for dep := range strings.SplitSeq(m[2], ",") {
		if dep = strings.TrimSpace(dep); dep != "" {
			deps = append(deps, dep)
		}
	}
	d.Arrows[pkg], d.Layer[pkg] = deps, *layer
	return nil
}

// Compare returns every way the document and the code disagree, and every
// arrow that breaks a layer rule, sorted.
func Compare(d *Doc, code Graph) []string {
	var probs []string
	for pkg, deps := range code {
		if !d.Table[pkg] {
			probs = append(probs, fmt.Sprintf("package %s has no row in the Packages table", pkg))
		}
		doc, ok := d.Arrows[pkg]
		if !ok {
			probs = append(probs, fmt.Sprintf("package %s has no line in the arrows block", pkg))
		}
		for _, dep := range deps {
			if ok && !slices.Contains(doc, dep) {
				probs = append(probs, fmt.Sprintf("%s imports %s: the arrow is not documented", pkg, dep))
			}
		}
	}
	for pkg, deps := range d.Arrows {
		real, ok := code[pkg]
		if !ok {
			probs = append(probs, fmt.Sprintf("arrows block: %s is no package of the module", pkg))
			continue
		}
		for _, dep := range deps {
			if !slices.Contains(real, dep) {
				probs = append(probs, fmt.Sprintf("documented arrow %s -> %s: %s does not import %s", pkg, dep, pkg, dep))
			}
		}
	}
	for pkg := range d.Table {
		if _, ok := code[pkg]; !ok {
			probs = append(probs, fmt.Sprintf("Packages table: %s is no package of the module", pkg))
		}
	}
	probs = append(probs, d.breaches()...)
	slices.Sort(probs)
	return probs
}

// breaches returns the documented arrows that break a layer rule, and the
// headings that name no layer.
func (d *Doc) breaches() []string {
	var probs []string
	known := []string{layerCommands, layerEdge, layerDomain, layerChain, layerStorage, layerVerifier, layerHelpers, layerTests}
	for pkg, deps := range d.Arrows {
		from := d.Layer[pkg]
		if !slices.Contains(known, from) {
			probs = append(probs, fmt.Sprintf("arrows block: %s is under %q, which is no layer", pkg, from))
			continue
		}
		allowed, ruled := mayImport[from]
		if !ruled {
			continue
		}
		for _, dep := range deps {
			to, ok := d.Layer[dep]
			if !ok || to == from || slices.Contains(allowed, to) || ruleExceptions[[2]string{pkg, dep}] {
				continue
			}
			probs = append(probs, fmt.Sprintf("layer rule: %s (%s) -> %s (%s) is not allowed", pkg, from, dep, to))
		}
	}
	return probs
}
