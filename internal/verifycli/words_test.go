package verifycli

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

var verbRE = regexp.MustCompile(`%(\[\d+\])?[a-z]`)

// verbs lists a format's verbs by the argument each takes (1-based).
func verbs(f string) []string {
	var out []string
	next := 1
	for _, m := range verbRE.FindAllStringSubmatch(f, -1) {
		arg := next
		if m[1] != "" {
			arg = int(m[1][1] - '0')
		}
		out = append(out, string(rune('0'+arg))+m[0][len(m[0])-1:])
		next = arg + 1
	}
	slices.Sort(out)
	return out
}

// TestWords: every line has English and Chinese, the Chinese in Han
// characters, taking the same arguments with the same verbs; the markers
// scripts read stay in both.
func TestWords(t *testing.T) {
	for id, w := range words {
		en, zh := w[0], w[1]
		if en == "" || zh == "" {
			t.Errorf("%s: en %q, zh %q: want both", id, en, zh)
			continue
		}
		if id != "failed" && !strings.ContainsFunc(zh, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
			t.Errorf("%s: zh %q is not Chinese", id, zh)
		}
		if id != "failed" && !slices.Equal(verbs(en), verbs(zh)) {
			t.Errorf("%s: en %q takes %v, zh %q takes %v", id, en, verbs(en), zh, verbs(zh))
		}
		for _, mark := range []string{"✓", "✗", "VALID", "INVALID", "CONFIRMED", "CONTRADICTED", "NOT PROVEN"} {
			if strings.HasPrefix(en, mark) != strings.HasPrefix(zh, mark) {
				t.Errorf("%s: en %q and zh %q differ in the marker %s", id, en, zh, mark)
			}
		}
	}
}

// TestChineseSteps: with Chinese, a valid receipt's steps and verdict are
// in Chinese and still end in VALID; a receipt that is not valid names
// its step in both words and ends in INVALID.
func TestChineseSteps(t *testing.T) {
	var out bytes.Buffer
	if err := Check(context.Background(), &out, Options{Receipt: vectorReceipt, Trust: vectorTrust, Chinese: true}); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"✓ 格式：回执版本 3", "✓ 检查点：链", "签署者：", "\nVALID（有效）\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("Chinese steps lack %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "checkpoint:") || strings.Contains(s, "signed by") {
		t.Errorf("Chinese steps keep English words:\n%s", s)
	}
	out.Reset()
	bad := filepath.Join("..", "..", "receipt", "testdata", "vectors", "invalid", "custody-chain-broken.json")
	err := Check(context.Background(), &out, Options{Receipt: bad, Trust: vectorTrust, Chinese: true})
	var ee ExitError
	if !errors.As(err, &ee) || ee.Code != 1 || !strings.Contains(out.String(), "✗ custody（保管链）") || !strings.Contains(out.String(), "原因：保管事件未通过核验") || !strings.HasSuffix(out.String(), "INVALID（无效）\n") {
		t.Errorf("a broken chain in Chinese = %v:\n%s", err, out.String())
	}
	if msg := ee.Message(true); !strings.Contains(msg, "custody（保管链）") {
		t.Errorf("ExitError.Message(chinese) = %q, want the step named in Chinese too", msg)
	}
	if got := StepName("custody", false); got != "custody" {
		t.Errorf("StepName(custody, false) = %q, want custody", got)
	}
}

func TestChineseLocale(t *testing.T) {
	for loc, want := range map[string]bool{"zh_CN.UTF-8": true, "zh_SG": true, "zh": true, "zh_Hans_CN.UTF-8": true,
		"zh_TW.UTF-8": false, "zh_HK": false, "C.UTF-8": false, "en_US.UTF-8": false, "": false} {
		env := map[string]string{"LANG": loc}
		if got := ChineseLocale(func(k string) string { return env[k] }); got != want {
			t.Errorf("LANG=%q: Chinese %v, want %v", loc, got, want)
		}
	}
	env := map[string]string{"LC_ALL": "C.UTF-8", "LANG": "zh_CN.UTF-8"}
	if ChineseLocale(func(k string) string { return env[k] }) {
		t.Errorf("LC_ALL=C.UTF-8 must win over LANG")
	}
}
