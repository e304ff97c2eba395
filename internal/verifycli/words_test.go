package verifycli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/receipt"
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
	punctuationOnly := map[string]bool{"failed": true, "event-reads": true, "signer": true, "list-sep": true}
	for id, w := range words {
		en, zh := w[0], w[1]
		if en == "" || zh == "" {
			t.Errorf("%s: en %q, zh %q: want both", id, en, zh)
			continue
		}
		// A folded read's count and span, a signer and a list differ only
		// in their punctuation.
		if !punctuationOnly[id] && !strings.ContainsFunc(zh, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
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
	// The signers' kinds in Chinese, in full-width parentheses.
	if strings.Contains(s, " (court)") || strings.Contains(s, " (notary)") || !strings.Contains(s, "（法院）") {
		t.Errorf("Chinese signers keep English kinds or parentheses:\n%s", s)
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

// TestEventTypesInChinese: a Chinese verdict names the custody events'
// types in Chinese (the omitted ones too), and a folded read shows its
// count and the span of its reads, so that its time earlier than the line
// before it reads as what it is; English keeps the types.
func TestEventTypesInChinese(t *testing.T) {
	ev := func(seq uint32, typ, at, subject string, reads int64, since string) receipt.EventResult {
		return receipt.EventResult{Event: &custody.Event{Seq: seq, Type: typ, Time: at, Actor: "org1:key1", Subject: subject, Reads: reads, Since: since}}
	}
	res := &receipt.Result{
		Version:  2,
		Evidence: receipt.Evidence{ID: "e", Size: 1, MediaType: "text/plain"},
		Events: []receipt.EventResult{
			ev(0, "created", "2026-12-06T10:00:00.000000000Z", "", 0, ""),
			ev(1, "copyright.registered", "2026-12-06T10:10:00.000000000Z", "copyright:r1", 0, ""),
			ev(2, "viewed", "2026-12-06T10:09:30.000000000Z", "metadata", 12, "2026-12-06T10:02:10.000000000Z"),
			ev(3, "downloaded", "2026-12-06T10:20:40.000000000Z", "", 2, "2026-12-06T10:20:05.000000000Z"),
		},
		Custody: receipt.CustodyResult{Complete: true, Total: 6, Listed: 4, Omitted: map[string]uint32{"listed": 2}},
	}
	for _, tt := range []struct {
		chinese   bool
		want, not []string
	}{
		{true, []string{
			"#0 2026-12-06T10:00:00.000000000Z 创建，操作者 org1:key1",
			"#1 2026-12-06T10:10:00.000000000Z 作品登记（copyright:r1），操作者",
			"#2 2026-12-06T10:09:30.000000000Z 查看 ×12（10:02–10:09）（元数据），操作者",
			"#3 2026-12-06T10:20:40.000000000Z 下载 ×2（10:20:05–10:20:40），操作者",
			"2 列出",
		}, []string{"created", "viewed", "downloaded", "listed", "copyright.registered", "metadata"}},
		{false, []string{
			"#0 2026-12-06T10:00:00.000000000Z created by org1:key1",
			"#1 2026-12-06T10:10:00.000000000Z copyright.registered (copyright:r1) by",
			"#2 2026-12-06T10:09:30.000000000Z viewed ×12 (10:02–10:09) (metadata) by",
			"#3 2026-12-06T10:20:40.000000000Z downloaded ×2 (10:20:05–10:20:40) by",
			"2 listed",
		}, []string{"查看"}},
	} {
		var out bytes.Buffer
		printSteps(printer{&out, tt.chinese}, res)
		for _, w := range tt.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("chinese %v: no %q in\n%s", tt.chinese, w, out.String())
			}
		}
		for _, n := range tt.not {
			if strings.Contains(out.String(), n) {
				t.Errorf("chinese %v: %q in\n%s", tt.chinese, n, out.String())
			}
		}
	}
	if got := readSpan("2026-12-06T23:58:00.000000000Z", "2026-12-07T00:04:00.000000000Z"); got != "2026-12-06 23:58–2026-12-07 00:04" {
		t.Errorf("readSpan across midnight = %q", got)
	}
}

// docTypeRE finds a custody event type in docs/custody-events.md.
var docTypeRE = regexp.MustCompile("`(created|viewed|downloaded|listed|shared|unshared|certified|(?:copyright|ers|org|key|webhook)\\.[a-z_.]*[a-z])`")

// TestEventTypesNamed: every event type docs/custody-events.md lists has
// a Chinese name.
func TestEventTypesNamed(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "custody-events.md"))
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]bool{}
	for _, m := range docTypeRE.FindAllStringSubmatch(string(b), -1) {
		types[m[1]] = true
	}
	if len(types) < 30 {
		t.Fatalf("found %d event types in docs/custody-events.md: the pattern no longer matches", len(types))
	}
	for typ := range types {
		if eventTypes[typ] == "" {
			t.Errorf("event type %s has no Chinese name in eventTypes", typ)
		}
	}
}

// TestMissingFileChinese: a receipt, trust bundle or file that is not
// there is said in Chinese with its name (a court's clerk reads it), and
// in English as before.
func TestMissingFileChinese(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.json")
	for _, o := range []Options{
		{Receipt: missing, Trust: vectorTrust},
		{Receipt: vectorReceipt, Trust: missing},
		{Receipt: vectorReceipt, Trust: vectorTrust, File: missing},
		{Receipt: vectorReceipt, Trust: vectorTrust, EvidenceRecord: missing},
	} {
		var ee ExitError
		if err := Check(context.Background(), io.Discard, o); !errors.As(err, &ee) || ee.Code != 2 {
			t.Fatalf("Check(%+v) = %v, want a usage error", o, err)
		}
		if got, want := ee.Message(true), "读取 "+missing+" 失败：文件不存在"; got != want {
			t.Errorf("Message(chinese) = %q, want %q", got, want)
		}
		if got := ee.Message(false); !strings.Contains(got, "no such file or directory") || !strings.Contains(got, missing) {
			t.Errorf("Message(english) = %q, want Go's words with the path", got)
		}
	}
}

// TestBadTrustChinese: a trust bundle that does not parse is named as one
// in Chinese (信任包 X 无法使用：…), not given as the path and Go's words
// alone; English is as before. It was the English line in Chinese too.
func TestBadTrustChinese(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "trust.json")
	if err := os.WriteFile(bad, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	var ee ExitError
	if err := Check(context.Background(), io.Discard, Options{Receipt: vectorReceipt, Trust: bad}); !errors.As(err, &ee) || ee.Code != 2 {
		t.Fatalf("Check(bad trust) = %v, want a usage error", err)
	}
	if got := ee.Message(true); !strings.HasPrefix(got, "信任包 "+bad+" 无法使用：") {
		t.Errorf("Message(chinese) = %q, want 信任包 %s 无法使用：…", got, bad)
	}
	if got := ee.Message(false); !strings.HasPrefix(got, bad+": ") {
		t.Errorf("Message(english) = %q, want the path and the reason", got)
	}
}

// TestMalformedReceiptWords: a file that is no receipt at all fails the
// format step expecting a receipt of the versions this verifier reads
// (it said "version 1" when it read 1 to 5), in the verdict's language
// (the Chinese verdict said it in English).
func TestMalformedReceiptWords(t *testing.T) {
	notReceipt := filepath.Join(t.TempDir(), "contract.txt")
	if err := os.WriteFile(notReceipt, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		chinese bool
		want    []string
	}{
		{false, []string{"✗ format\n", "  expected: a canonical receipt, version 1 to ", "  computed: a malformed document\n", "INVALID\n"}},
		{true, []string{"✗ format（格式）\n", "  预期：规范的回执文档，版本 1 至 ", "  计算所得：格式有误的文档\n", "INVALID（无效）\n"}},
	} {
		var out bytes.Buffer
		err := Check(context.Background(), &out, Options{Receipt: notReceipt, Trust: vectorTrust, Chinese: tc.chinese})
		var ee ExitError
		if !errors.As(err, &ee) || ee.Code != 1 {
			t.Fatalf("Check(not a receipt, chinese %v) = %v, want exit 1", tc.chinese, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("Check(not a receipt, chinese %v) printed\n%s\nwant %q", tc.chinese, out.String(), w)
			}
		}
	}
	if got, want := formatWant(printer{}), fmt.Sprintf("a canonical receipt, version %d to %d", receipt.Version1, receipt.MaxVersion); got != want {
		t.Errorf("formatWant = %q, want %q", got, want)
	}
}

// TestTrustIsReceipt: a receipt given as the trust bundle (the two
// swapped) is said as such, with which flag takes which, exit 2; it was
// "receipt: unusable trust bundle: json: unknown field "evidence"".
func TestTrustIsReceipt(t *testing.T) {
	var ee ExitError
	if err := Check(context.Background(), io.Discard, Options{Receipt: vectorTrust, Trust: vectorReceipt}); !errors.As(err, &ee) || ee.Code != 2 {
		t.Fatalf("Check(swapped) = %v, want a usage error", err)
	}
	if got, want := ee.Message(false), vectorReceipt+" is a receipt, not a trust bundle: give the receipt with --receipt"; !strings.HasPrefix(got, want) {
		t.Errorf("Message(english) = %q, want %q…", got, want)
	}
	if got, want := ee.Message(true), vectorReceipt+" 是回执，不是信任包：回执请用 --receipt 给出"; !strings.HasPrefix(got, want) {
		t.Errorf("Message(chinese) = %q, want %q…", got, want)
	}
}
