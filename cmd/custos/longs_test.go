package main

import (
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	prob "github.com/custos-project/custos/internal/problem"
)

// inLanguage builds the command tree as the CLI does in language l.
func inLanguage(t *testing.T, l prob.Lang) *cobra.Command {
	t.Helper()
	old := lang
	lang = l
	t.Cleanup(func() { lang = old })
	return newRoot()
}

// TestLongsZH fails on a command with a long help text and no Chinese
// one, with a Chinese one that has no Chinese, and on an entry for a
// command that does not exist or has no English Long; and when the
// Chinese tree does not show the Chinese text.
func TestLongsZH(t *testing.T) {
	long := map[string]string{}
	walk(inLanguage(t, prob.English), func(c *cobra.Command) {
		if c.Long == "" {
			return
		}
		p := c.CommandPath()
		long[p] = c.Long
		if s, ok := longsZH[p]; !ok {
			t.Errorf("%s: no Chinese Long in longsZH (longs.go)", p)
		} else if !hasHan(s) {
			t.Errorf("%s: Chinese Long has no Chinese", p)
		}
	})
	for p := range longsZH {
		if _, ok := long[p]; !ok {
			t.Errorf("longsZH[%q]: no such command, or it has no Long", p)
		}
	}
	walk(inLanguage(t, prob.Chinese), func(c *cobra.Command) {
		if en, ok := long[c.CommandPath()]; ok && c.Long == en {
			t.Errorf("%s: the Chinese tree keeps the English Long", c.CommandPath())
		}
	})
}

// englishWithHan are the flags whose English description quotes Chinese
// (a Chinese name as the example).
var englishWithHan = map[string]bool{
	"custos consortium init --notary-abbrev": true,
	"custos consortium init --notary-office": true,
	"custos share --org":                     true,
}

// TestFlagsZH fails on a flag of the tree (a persistent one once, where it
// is defined) without a Chinese description, and on an entry for a flag
// that does not exist; in the Chinese tree, every flag a command takes
// (its own, inherited, --help and --version) must read in Chinese, and in
// the English tree none may.
func TestFlagsZH(t *testing.T) {
	seen := map[string]bool{}
	walk(inLanguage(t, prob.English), func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			key := c.CommandPath() + " --" + f.Name
			seen[key] = true
			if s, ok := flagsZH[key]; !ok {
				t.Errorf("%s: no Chinese description in flagsZH (flagszh.go)", key)
			} else if !hasHan(s) {
				t.Errorf("%s: Chinese description %q has no Chinese", key, s)
			}
			if hasHan(f.Usage) && !englishWithHan[key] {
				t.Errorf("%s: the English tree says %q", key, f.Usage)
			}
		})
	})
	for key := range flagsZH {
		if !seen[key] {
			t.Errorf("flagsZH[%q]: no such flag", key)
		}
	}
	n := 0
	walk(inLanguage(t, prob.Chinese), func(c *cobra.Command) {
		if c.Flags().Lookup("help") == nil {
			t.Errorf("%s: no --help in the Chinese tree", c.CommandPath())
		}
		for _, fs := range []*pflag.FlagSet{c.Flags(), c.InheritedFlags()} {
			fs.VisitAll(func(f *pflag.Flag) {
				n++
				if !hasHan(f.Usage) {
					t.Errorf("%s --%s: %q in the Chinese tree", c.CommandPath(), f.Name, f.Usage)
				}
			})
		}
	})
	if n == 0 {
		t.Fatal("no flags in the Chinese tree")
	}
}

// TestCobraZH fails when the catalog's cobra. entries and cobraMessages
// differ, when a pattern's parameters are not its entry's, and when a
// message in the entry's English words does not come out in its Chinese
// ones (or, in English, changed).
func TestCobraZH(t *testing.T) {
	ids := map[string]bool{}
	for _, m := range cobraMessages {
		ids[m.id] = true
		w, ok := messages[m.id]
		if !ok {
			t.Errorf("cobraMessages: %q is not in the catalog", m.id)
			continue
		}
		if got, want := slices.Sorted(slices.Values(m.params)), prob.Params(w.en); !slices.Equal(got, want) {
			t.Errorf("%s: the pattern gives %v, the entry has %v", m.id, got, want)
		}
		if m.re.NumSubexp() != len(m.params) {
			t.Errorf("%s: %d groups for %d parameters", m.id, m.re.NumSubexp(), len(m.params))
		}
		var kv []any
		for _, p := range m.params {
			v := "x" + p
			switch p {
			case "n", "got":
				v = "3"
			case "value":
				v = `"abc"`
			case "flag":
				v = "--" + p
			}
			kv = append(kv, p, v)
		}
		lang = prob.English
		en := tr(m.id, kv...)
		if got := cobraWords(en); got != en {
			t.Errorf("%s: in English %q became %q", m.id, en, got)
		}
		lang = prob.Chinese
		if got, want := cobraWords(en), tr(m.id, kv...); got != want {
			t.Errorf("%s: %q in Chinese = %q, want %q", m.id, en, got, want)
		}
		lang = prob.English
	}
	for id := range messages {
		if strings.HasPrefix(id, "cobra.") && !ids[id] {
			t.Errorf("catalog entry %q: not in cobraMessages (cobrazh.go)", id)
		}
	}
}

// TestHelpZHBinary runs the built binary under a Chinese locale: help
// shows the Chinese long text and flag descriptions (their defaults too), and cobra's and
// pflag's usage errors come in Chinese with their exit status; under an
// English locale the same stay English.
func TestHelpZHBinary(t *testing.T) {
	t.Parallel() // one node of its own, mostly waiting: see parallelNote
	zh := []string{"LC_ALL=zh_CN.UTF-8"}
	en := []string{"LC_ALL=C.UTF-8"}
	for _, tc := range []struct {
		env       []string
		args      []string
		want, not []string
	}{
		{zh, []string{"submit", "--help"}, []string{"每个文件的标题", "不显示进度条", "显示 submit 的帮助", "全局选项：", "在终端上也输出 JSON"}, []string{"title for every file", "help for submit"}},
		{zh, []string{"list", "--help"}, []string{"list 列出本机构可见的证据", "沿游标列出每一页"}, []string{"List prints the evidence", "follow the cursor"}},
		{zh, []string{"--help"}, []string{"Custos 保全电子证据", "显示 custos 的版本"}, []string{"Custos keeps electronic evidence", "version for custos"}},
		{zh, []string{"consortium", "vote", "--help"}, []string{"等待交易进入区块的时长（0：不等待）（默认：20s）", "投赞成票"}, []string{"(default"}},
		{en, []string{"consortium", "vote", "--help"}, []string{"(0: do not wait) (default 20s)"}, []string{"默认"}},
		{en, []string{"submit", "--help"}, []string{"title for every file", "help for submit"}, []string{"每个文件的标题"}},
		{en, []string{"list", "--help"}, []string{"List prints the evidence"}, []string{"列出本机构可见的证据，最新的在前："}},
	} {
		out, err := runCustosEnv(t, tc.env, tc.args...)
		if err != nil {
			t.Fatalf("%v custos %v: %v", tc.env, tc.args, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v custos %v:\n%s\nwant %q", tc.env, tc.args, out, w)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(out, w) {
				t.Errorf("%v custos %v:\n%s\nwant no %q", tc.env, tc.args, out, w)
			}
		}
	}
	for _, tc := range []struct {
		env  []string
		args []string
		code int
		want string
	}{
		{zh, []string{"list", "--bogus"}, 2, "custos: 未知选项：--bogus（见 'custos list --help'）"},
		{en, []string{"list", "--bogus"}, 2, "custos: unknown flag: --bogus (see 'custos list --help')"},
		{zh, []string{"list", "--limit"}, 2, "选项需要参数：--limit"},
		{zh, []string{"list", "--limit", "many"}, 2, `选项 --limit 的参数 "many" 无效`},
		{zh, []string{"bogus"}, 2, "custos 没有命令“bogus”"},
		{en, []string{"bogus"}, 2, `unknown command "bogus" for "custos"`},
		{zh, []string{"copyright", "register"}, 1, "至少需要 1 个参数，只收到 0 个"},
		{en, []string{"copyright", "register"}, 1, "requires at least 1 arg(s), only received 0"},
	} {
		_, err := runCustosEnv(t, tc.env, tc.args...)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != tc.code || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v custos %v = %v, want exit status %d and %q", tc.env, tc.args, err, tc.code, tc.want)
		}
	}
}

// TestFlagValueErrorZH: a flag's value that strconv refuses reads in
// Chinese, not as "strconv.ParseInt: parsing "abc": invalid syntax".
func TestFlagValueErrorZH(t *testing.T) {
	defer func(l prob.Lang) { lang = l }(lang)
	for _, tc := range []struct{ en, zh string }{
		{`invalid argument "abc" for "--limit" flag: strconv.ParseInt: parsing "abc": invalid syntax`, `选项 --limit 的参数 "abc" 无效：不是整数`},
		{`invalid argument "-1" for "--n" flag: strconv.ParseUint: parsing "-1": invalid syntax`, `选项 --n 的参数 "-1" 无效：不是非负整数`},
		{`invalid argument "99999999999999999999" for "--limit" flag: strconv.ParseInt: parsing "99999999999999999999": value out of range`, `选项 --limit 的参数 "99999999999999999999" 无效：超出范围`},
		{`invalid argument "ja" for "--x" flag: strconv.ParseBool: parsing "ja": invalid syntax`, `选项 --x 的参数 "ja" 无效：须为 true 或 false`},
		{`invalid argument "a" for "--x" flag: something else`, `选项 --x 的参数 "a" 无效：something else`},
	} {
		lang = prob.Chinese
		if got := cobraWords(tc.en); got != tc.zh {
			t.Errorf("cobraWords(%q) = %q, want %q", tc.en, got, tc.zh)
		}
		lang = prob.English
		if got := cobraWords(tc.en); got != tc.en {
			t.Errorf("in English cobraWords(%q) = %q, want it unchanged", tc.en, got)
		}
	}
	ids := map[string]bool{}
	for _, p := range parseErrors {
		ids[p.id] = true
		if _, ok := messages[p.id]; !ok {
			t.Errorf("parseErrors: %q is not in the catalog", p.id)
		}
	}
	for id := range messages {
		if strings.HasPrefix(id, "flagvalue.") && !ids[id] {
			t.Errorf("catalog entry %q: not in parseErrors (cobrazh.go)", id)
		}
	}
}

// TestFlagTypesZH: in Chinese, pflag's value types ("--limit int") read
// as Chinese words and the descriptions stay in one column.
func TestFlagTypesZH(t *testing.T) {
	in := "      --all                 沿游标列出每一页\n" +
		"      --event stringArray   事件（每个重复一次）\n" +
		"  -h, --help                显示 list 的帮助\n" +
		"      --limit int           每页的项数 (default 50)\n" +
		"  -o, --out string          写入此文件\n" +
		"      --wait duration       等待时长\n"
	// The widest, "      --limit 整数", is 18 columns wide: descriptions at 21.
	want := "      --all          沿游标列出每一页\n" +
		"      --event 文本   事件（每个重复一次）\n" +
		"  -h, --help         显示 list 的帮助\n" +
		"      --limit 整数   每页的项数（默认：50）\n" +
		"  -o, --out 文本     写入此文件\n" +
		"      --wait 时长    等待时长\n"
	if got := defaultsZH(in); got != want {
		t.Errorf("defaultsZH:\n%s\nwant:\n%s", got, want)
	}
}

// TestMatterFlagZH: a --matter flag takes a matter's title (标题) or ID,
// as its English usage says ("by title or ID") and the API's details say
// (案件……标题); the Chinese said 名称, an organization's name.
func TestMatterFlagZH(t *testing.T) {
	n := 0
	for key, zh := range flagsZH {
		if !strings.HasSuffix(key, " --matter") {
			continue
		}
		n++
		if !strings.Contains(zh, "按标题或 ID") || strings.Contains(zh, "名称") {
			t.Errorf("flagsZH[%q] = %q, want a matter by its title (按标题或 ID)", key, zh)
		}
	}
	if n < 4 {
		t.Errorf("%d --matter flags in flagsZH, want 4 or more (submit, list, share, certificate issue)", n)
	}
}
