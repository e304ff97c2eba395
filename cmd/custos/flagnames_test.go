package main

import (
	"strings"
	"testing"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/evidence/sharing"
)

// TestNameTypo: a typo in an organization's name or a matter's title
// given with a flag is answered with the closest names the caller may
// see ("Did you mean …?"), and the message names the flag the user typed
// (--org, --matter), not the request's field (路径中的机构, "the
// organization in the path", under a Chinese locale before).
func TestNameTypo(t *testing.T) {
	t.Parallel() // one node of its own, mostly waiting: see parallelNote
	n := startNode(t, t.TempDir(), "")
	admin := n.Token
	var firm access.Org
	custosJSON(t, n, admin, &firm, "org", "create", "--kind", "lawfirm", "--name", "Test Firm A")
	var key struct {
		Token string `json:"token"`
	}
	custosJSON(t, n, admin, &key, "key", "create", "--org", firm.ID, "--role", "submitter", "--name", "filing")
	var matter sharing.Matter
	custosJSON(t, n, key.Token, &matter, "matter", "create", "--title", "Zhang v. Li")
	for _, c := range []struct {
		name, locale, token string
		args                []string
		want                []string
		not                 []string
	}{
		{"key create, English", "C", admin, []string{"key", "create", "--org", "Test Frim A", "--role", "viewer", "--name", "x"},
			[]string{`404 Not found: --org "Test Frim A" is neither the ID nor the name`, `custos directory list`, `Did you mean "Test Firm A"?`}, []string{"the organization"}},
		{"key create, Chinese", "zh_CN.UTF-8", admin, []string{"key", "create", "--org", "Test Frim A", "--role", "viewer", "--name", "x"},
			[]string{"404 未找到：选项 --org 的值“Test Frim A”既不是", "您是不是要找“Test Firm A”？"}, []string{"路径中的机构"}},
		{"share, Chinese", "zh_CN.UTF-8", key.Token, []string{"share", "--matter", "Zhang v Li", "--org", "Test Firm A"},
			[]string{"选项 --matter 的值“Zhang v Li”既不是", "custos matter list", "您是不是要找“Zhang v. Li”？"}, []string{"案件（matter）"}},
		{"org audit, an argument", "C", admin, []string{"org", "audit", "Test Frim A"},
			[]string{`the organization "Test Frim A" is neither`, `Did you mean "Test Firm A"?`}, nil},
		{"nothing near", "C", admin, []string{"key", "list", "--org", "Shenzhen Court"},
			[]string{`--org "Shenzhen Court" is neither`}, []string{"Did you mean"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := runCustosEnv(t, []string{"LC_ALL=" + c.locale}, append(c.args, "--server", n.URL, "--token", c.token)...)
			if err == nil {
				t.Fatalf("custos %s succeeded", strings.Join(c.args, " "))
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("custos %s: %v\nwant it to say %q", strings.Join(c.args, " "), err, w)
				}
			}
			for _, w := range c.not {
				if strings.Contains(err.Error(), w) {
					t.Errorf("custos %s: %v\nwant it not to say %q", strings.Join(c.args, " "), err, w)
				}
			}
		})
	}
}
