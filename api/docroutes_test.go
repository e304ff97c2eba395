package api

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// docsNamingRoutes are the documents that name API routes.
var docsNamingRoutes = []string{
	"../README.md", "../docs/api.md", "../docs/cli.md", "../docs/operations.md",
	"../docs/governance.md", "../docs/threat-model.md", "../docs/reliability.md",
	"../docs/architecture.md", "../docs/custody-events.md", "../docs/evidence-records.md",
	"../docs/receipt.md",
}

// notRoutes are the routes the documents name on purpose although they do
// not exist: examples of 405 and a route that is gone.
var notRoutes = map[string]bool{
	"DELETE /api/v1/evidence/{}":          true, // method-not-allowed's example
	"PUT /api/v1/matters":                 true, // method-not-allowed's example
	"POST /api/v1/copyrights/{}/transfer": true, // "that route is gone"
}

var (
	placeholder = regexp.MustCompile(`\{[^}/]+\}`)
	docRoute    = regexp.MustCompile("\\b(GET|HEAD|POST|PUT|PATCH|DELETE) (/api/v1/[A-Za-z0-9_{}./…-]*)")
)

// TestDocsNameRoutes: docs/api.md names every path of api/openapi.json, and
// every "METHOD /api/v1/..." the documents name is an operation of it (an
// ID or a name in place of a {parameter} matches it).
func TestDocsNameRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	ops := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			ops[method+" "+placeholder.ReplaceAllString(path, "{}")] = true
		}
	}
	apiMD, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	named := placeholder.ReplaceAllString(string(apiMD), "{}")
	for path := range doc.Paths.Map() {
		if !strings.Contains(named, placeholder.ReplaceAllString(path, "{}")) {
			t.Errorf("docs/api.md does not name %s (api/openapi.json)", path)
		}
	}
	for _, name := range docsNamingRoutes {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			for _, m := range docRoute.FindAllStringSubmatch(line, -1) {
				path := strings.TrimRight(m[2], "/.")
				if strings.Contains(m[2], "...") || strings.Contains(m[2], "…") {
					continue // a family of routes
				}
				route := m[1] + " " + placeholder.ReplaceAllString(path, "{}")
				if !notRoutes[route] && !matchesOperation(ops, route) {
					t.Errorf("%s:%d: %s %s is not an operation of api/openapi.json", strings.TrimPrefix(name, "../"), i+1, m[1], path)
				}
			}
		}
	}
}

// matchesOperation reports whether route ("GET /api/v1/evidence/jk7b…")
// is one of ops, a concrete segment matching a {} of the operation's path.
func matchesOperation(ops map[string]bool, route string) bool {
	if ops[route] {
		return true
	}
	method, path, _ := strings.Cut(route, " ")
	segs := strings.Split(path, "/")
	for op := range ops {
		m, p, _ := strings.Cut(op, " ")
		ps := strings.Split(p, "/")
		if m != method || len(ps) != len(segs) {
			continue
		}
		ok := true
		for i := range ps {
			ok = ok && (ps[i] == segs[i] || ps[i] == "{}" || segs[i] == "{}" || strings.HasSuffix(ps[i], ".pdf") && strings.HasSuffix(segs[i], ".pdf"))
		}
		if ok {
			return true
		}
	}
	return false
}

// TestDocsNameProblemTypes: every problem type the documents name
// (urn:custos:problem:X, or a row of docs/api.md's table of types) is a
// string literal "X" of the source, so it can still be sent.
func TestDocsNameProblemTypes(t *testing.T) {
	var src strings.Builder
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "node_modules" || d.Name() == ".git") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			b, err := os.ReadFile(path)
			src.Write(b)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	code := src.String()
	urn := regexp.MustCompile(`urn:custos:problem:([a-z0-9-]*[a-z0-9])`)
	row := regexp.MustCompile("^\\| `([a-z0-9-]+)` \\| [0-9]{3} \\|")
	for _, name := range docsNamingRoutes {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			var types []string
			for _, m := range urn.FindAllStringSubmatch(line, -1) {
				types = append(types, m[1])
			}
			if m := row.FindStringSubmatch(line); m != nil && strings.HasSuffix(name, "api.md") {
				types = append(types, m[1])
			}
			for _, typ := range types {
				if !strings.Contains(code, `"`+typ+`"`) {
					t.Errorf("%s:%d: problem type %s is sent nowhere (no string literal %q)", strings.TrimPrefix(name, "../"), i+1, typ, typ)
				}
			}
		}
	}
}

// TestDocsStatuses: docs/api.md's table "Statuses by operation" lists
// each operation of api/openapi.json once, with the statuses its
// responses declare, no more and no fewer, and its table "Statuses by
// operation (peer API)" those of api/peer/openapi.json; and a status the
// endpoint table names for an operation ("`202` while not anchored") is
// one the operation declares.
func TestDocsStatuses(t *testing.T) {
	b, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		heading, contract string
		declared          map[string]map[string]bool
	}{
		{"### Statuses by operation", "api/openapi.json", declaredStatuses()},
		{"#### Statuses by operation (peer API)", "api/peer/openapi.json", peerDeclaredStatuses()},
	} {
		checkDocsStatuses(t, string(b), c.heading, c.contract, c.declared)
	}
	declared := declaredStatuses()

	// The endpoint table: a row for one operation that names a status.
	endpoint := regexp.MustCompile("^\\| `(GET|HEAD|POST|PATCH|DELETE) (/[^` \\[]*)[^`]*` \\|")
	status := regexp.MustCompile("`([1-5][0-9][0-9])\\b")
	for i, line := range strings.Split(string(b), "\n") {
		m := endpoint.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		op := m[1] + " " + m[2]
		codes, ok := declared[op]
		if !ok {
			continue // not one operation ("`POST`, `GET /api/v1/matters`")
		}
		for _, s := range status.FindAllStringSubmatch(line, -1) {
			if !codes[s[1]] {
				t.Errorf("docs/api.md:%d: the endpoint table names %s for %s, which api/openapi.json does not declare", i+1, s[1], op)
			}
		}
	}
}

// checkDocsStatuses checks the table under heading in apiMD against the
// statuses of contract.
func checkDocsStatuses(t *testing.T, apiMD, heading, contract string, declared map[string]map[string]bool) {
	t.Helper()
	row := regexp.MustCompile("^\\| `([A-Z]+ [^` ]+)` \\| ([0-9, ]+) \\|$")
	listed := map[string]bool{}
	in := false
	for i, line := range strings.Split(apiMD, "\n") {
		if strings.HasPrefix(line, "#") {
			in = line == heading
			continue
		}
		m := row.FindStringSubmatch(line)
		if !in || m == nil {
			continue
		}
		op, codes := m[1], strings.Split(m[2], ", ")
		if listed[op] {
			t.Errorf("docs/api.md:%d: %s is listed twice", i+1, op)
		}
		listed[op] = true
		want, ok := declared[op]
		if !ok {
			t.Errorf("docs/api.md:%d: %s is not an operation of %s", i+1, op, contract)
			continue
		}
		if got := strings.Join(codes, ", "); got != strings.Join(sortedKeys(want), ", ") {
			t.Errorf("docs/api.md:%d: %s answers %s, %s declares %s", i+1, op, got, contract, strings.Join(sortedKeys(want), ", "))
		}
	}
	for op := range declared {
		if !listed[op] {
			t.Errorf("docs/api.md, %s: no row for %s (%s)", strings.TrimLeft(heading, "# "), op, contract)
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
