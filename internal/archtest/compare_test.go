package archtest

import (
	"slices"
	"strings"
	"testing"
)

const tinyDoc = "## Packages\n\n| package | what it owns |\n|---|---|\n" +
	"| `anchor` | chain |\n| `evidence` | domain |\n| `receipt` | verifier |\n\n" +
	"### Dependencies\n\n```arrows\n# domain\nevidence -> anchor, receipt\n\n" +
	"# chain/state\nanchor -> receipt\n\n# pure verifier packages\nreceipt ->\n```\n\n## Next\n\n| `other` | not a package row |\n"

func TestCompare(t *testing.T) {
	fine := Graph{"anchor": {"receipt"}, "evidence": {"anchor", "receipt"}, "receipt": {}}
	for _, tc := range []struct {
		name string
		md   string
		code Graph
		want []string
	}{
		{name: "agree", md: tinyDoc, code: fine},
		{
			name: "undocumented import and missing arrow",
			md:   tinyDoc,
			code: Graph{"anchor": {"receipt", "evidence"}, "evidence": {"receipt"}, "receipt": {}},
			want: []string{
				"anchor imports evidence: the arrow is not documented",
				"documented arrow evidence -> anchor: evidence does not import anchor",
			},
		},
		{
			name: "package missing everywhere",
			md:   tinyDoc,
			code: Graph{"anchor": {"receipt"}, "evidence": {"anchor", "receipt"}, "receipt": {}, "storage": {}},
			want: []string{
				"package storage has no line in the arrows block",
				"package storage has no row in the Packages table",
			},
		},
		{
			name: "documented package gone",
			md:   tinyDoc,
			code: Graph{"anchor": {}, "evidence": {"anchor"}},
			want: []string{
				"Packages table: receipt is no package of the module",
				"arrows block: receipt is no package of the module",
				"documented arrow anchor -> receipt: anchor does not import receipt",
				"documented arrow evidence -> receipt: evidence does not import receipt",
			},
		},
		{
			name: "chain state importing the domain",
			md:   strings.Replace(tinyDoc, "anchor -> receipt", "anchor -> evidence, receipt", 1),
			code: Graph{"anchor": {"evidence", "receipt"}, "evidence": {"anchor", "receipt"}, "receipt": {}},
			want: []string{"layer rule: anchor (chain/state) -> evidence (domain) is not allowed"},
		},
		{
			name: "verifier importing the chain state",
			md:   strings.Replace(tinyDoc, "receipt ->\n", "receipt -> anchor\n", 1),
			code: Graph{"anchor": {"receipt"}, "evidence": {"anchor", "receipt"}, "receipt": {"anchor"}},
			want: []string{"layer rule: receipt (pure verifier packages) -> anchor (chain/state) is not allowed"},
		},
		{
			name: "unknown layer",
			md:   strings.Replace(tinyDoc, "# domain", "# business", 1),
			code: fine,
			want: []string{"arrows block: evidence is under \"business\", which is no layer"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ParseDoc(tc.md)
			if err != nil {
				t.Fatal(err)
			}
			if got := Compare(d, tc.code); !slices.Equal(got, tc.want) {
				t.Errorf("Compare() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestParseDocErrors(t *testing.T) {
	for _, tc := range []struct{ name, md, want string }{
		{"no block", strings.Replace(tinyDoc, "```arrows", "```", 1), "no ```arrows block"},
		{"not closed", strings.TrimSuffix(tinyDoc[:strings.LastIndex(tinyDoc, "```")], "\n"), "not closed"},
		{"bad line", strings.Replace(tinyDoc, "anchor -> receipt", "anchor => receipt", 1), "want \"pkg -> dep, dep\""},
		{"two lines", strings.Replace(tinyDoc, "receipt ->\n", "receipt ->\nanchor ->\n", 1), "anchor has two lines"},
		{"no layer", strings.Replace(tinyDoc, "# domain\n", "", 1), "before any"},
		{"no table", strings.Replace(tinyDoc, "## Packages", "## Pakages", 1), "no Packages table"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseDoc(tc.md)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseDoc() error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestParseGoList(t *testing.T) {
	out := "example.org/m example.org/m/a fmt example.org/m/b example.org/mx/c\nexample.org/m example.org/m/b \n"
	g, err := ParseGoList(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Graph{"a": {"b"}, "b": {}}); len(g) != 2 || !slices.Equal(g["a"], want["a"]) || len(g["b"]) != 0 {
		t.Errorf("ParseGoList() = %v, want %v", g, want)
	}
	if _, err := ParseGoList("example.org/m other.org/x\n"); err == nil {
		t.Error("ParseGoList(package outside the module) = nil error")
	}
}
