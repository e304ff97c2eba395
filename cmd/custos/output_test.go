package main

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/api/client"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"
	prob "github.com/custos-project/custos/internal/problem"
	"github.com/custos-project/custos/receipt"
)

func TestJSONOutputChoice(t *testing.T) {
	for _, tc := range []struct {
		env   string
		force bool
		want  bool
	}{
		{"", false, true}, // a test's stdout is not a terminal
		{"table", false, false},
		{"table", true, true}, // --json wins
		{"json", false, true},
	} {
		isolateConfig(t)
		t.Setenv("CUSTOS_OUTPUT", tc.env)
		forceJSON = tc.force
		if got := jsonOutput(); got != tc.want {
			t.Errorf("jsonOutput() with CUSTOS_OUTPUT=%q, --json=%v = %v, want %v", tc.env, tc.force, got, tc.want)
		}
	}
}

// TestWriteJSONUnchanged: the JSON printed when piped is what the CLI
// printed before tables existed: indented, HTML characters unescaped.
func TestWriteJSONUnchanged(t *testing.T) {
	var b bytes.Buffer
	if err := writeJSON(&b, wire.Matter{ID: "m1", Title: "A & B <v>", Org: "o"}); err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"id\": \"m1\",\n  \"org\": \"o\",\n  \"title\": \"A & B <v>\",\n  \"created_at\": \"0001-01-01T00:00:00Z\",\n  \"created_by\": \"\"\n}\n"
	if b.String() != want {
		t.Errorf("writeJSON = %q, want %q", b.String(), want)
	}
}

func TestListTable(t *testing.T) {
	created := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	list := wire.ListView[wire.EvidenceView]{Items: []wire.EvidenceView{
		{ID: "01A", FileName: "合同.pdf", Size: 1536, Status: "anchored", CreatedAt: created, SHA256: strings.Repeat("ab", 32)},
		{ID: "01B", Title: "no file name", Size: 10 << 20, Status: "timestamped", CreatedAt: created},
	}}
	var b bytes.Buffer
	if err := writeHuman(&b, list); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("table has %d lines, want a header and 2 rows:\n%s", len(lines), b.String())
	}
	for _, want := range []string{"ID", "FILE", "SIZE", "STATUS", "CREATED", "SHA-256"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("header %q lacks %s", lines[0], want)
		}
	}
	for _, want := range []string{"合同.pdf", "1.5 KiB", "abababababababab…", localTime(created)} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("row %q lacks %q", lines[1], want)
		}
	}
	if !strings.Contains(lines[2], "no file name") || !strings.Contains(lines[2], "10 MiB") {
		t.Errorf("row %q: want the title where there is no file name, and 10 MiB", lines[2])
	}
	// Columns line up in terminal columns: 合同.pdf is 8 columns wide, not 6.
	col := func(line, cell string) int { return displayWidth(line[:strings.Index(line, cell)]) }
	for _, c := range [][2]string{{"1.5 KiB", "10 MiB"}, {"anchored", "timestamped"}} {
		if a, b := col(lines[1], c[0]), col(lines[2], c[1]); a != b {
			t.Errorf("%q starts at column %d, %q at %d; want them aligned", c[0], a, c[1], b)
		}
	}
}

// TestRecordTableColon: a Chinese record view writes 标签：值 with the
// full-width colon, and its values still start in one terminal column
// ("：" is two wide); the English view keeps "name: value". It failed
// before: the Chinese labels ended in an ASCII colon.
func TestRecordTableColon(t *testing.T) {
	defer func(l prob.Lang) { lang = l }(lang)
	me := &wire.MeView{Key: wire.Key{ID: "k1", Name: "前台扫描", Role: "submitter"}, Org: wire.Org{ID: "o1", Name: "杭州某某律师事务所", Kind: "lawfirm"}}
	lang = prob.Chinese
	zh := humanText(t, me)
	var cols []int
	for _, line := range strings.Split(strings.TrimRight(zh, "\n"), "\n") {
		label, value, ok := strings.Cut(line, "：")
		if !ok || strings.Contains(label, ":") {
			t.Errorf("Chinese record line %q: want 标签：值", line)
			continue
		}
		cols = append(cols, displayWidth(label+"：")+displayWidth(value)-displayWidth(strings.TrimLeft(value, " ")))
	}
	if len(cols) < 3 || slices.Min(cols) != slices.Max(cols) {
		t.Errorf("Chinese record values start at columns %v; want one column:\n%s", cols, zh)
	}
	lang = prob.English
	if en := humanText(t, me); !strings.Contains(en, "key.name:") || strings.Contains(en, "：") {
		t.Errorf("English record view:\n%s\nwant key.name: and no full-width colon", en)
	}
}

// TestDirectoryStatusZH: a Chinese org view says where the organization
// stands in the directory in Chinese (目录.状态：待登记), and profile show
// where its server and token came from (环境变量); English keeps the
// API's or the JSON's word. They read pending and env before.
func TestDirectoryStatusZH(t *testing.T) {
	defer func(l prob.Lang) { lang = l }(lang)
	v := &wire.OrgView{Org: wire.Org{ID: "o1", Name: "中伦律师事务所", Kind: "lawfirm"}, Directory: &wire.OrgDirectory{Status: wire.DirectoryPending}}
	for l, want := range map[prob.Lang]string{prob.Chinese: "待登记", prob.English: "pending"} {
		lang = l
		if got := recordValue(humanText(t, v), withColon(label("directory.status"))); got != want {
			t.Errorf("directory.status in %v = %q, want %q", l, got, want)
		}
	}
	p := profileView{Server: "http://127.0.0.1:8080", ServerFrom: "env", Token: "cst_x****", TokenFrom: "profile"}
	for l, want := range map[prob.Lang][2]string{prob.Chinese: {"环境变量", "已保存的配置"}, prob.English: {"env", "profile"}} {
		lang = l
		s := humanText(t, p)
		if got := [2]string{recordValue(s, withColon(label("server_from"))), recordValue(s, withColon(label("token_from")))}; got != want {
			t.Errorf("profile show's sources in %v = %q, want %q", l, got, want)
		}
	}
}

// TestPermissionsZH: custos me names a key's permissions in Chinese in a
// Chinese session, and as the API does in English.
func TestPermissionsZH(t *testing.T) {
	defer func(l prob.Lang) { lang = l }(lang)
	v := &wire.MeView{Key: wire.Key{ID: "k1", Role: "submitter"}, Org: wire.Org{ID: "o1", Name: "中伦律师事务所", Kind: "lawfirm"},
		Permissions: []wire.Permission{"file", "read", "share"}}
	for l, want := range map[prob.Lang]string{prob.Chinese: "提交证据, 读取证据, 共享证据", prob.English: "file, read, share"} {
		lang = l
		if got := recordValue(humanText(t, v), withColon(label("permissions"))); got != want {
			t.Errorf("permissions in %v = %q, want %q", l, got, want)
		}
	}
}

func TestRecordTable(t *testing.T) {
	me := &wire.MeView{Key: wire.Key{ID: "k1", Name: "前台扫描", Role: "submitter"}, Org: wire.Org{ID: "o1", Name: "杭州某某律师事务所", Kind: "lawfirm"},
		Permissions: []wire.Permission{"evidence.create", "evidence.read"}}
	var b bytes.Buffer
	if err := writeHuman(&b, me); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"key.name:", "前台扫描", "org.name:", "杭州某某律师事务所", "permissions:"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("record table lacks %q:\n%s", want, b.String())
		}
	}
}

func TestCells(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{{"abc", 3}, {"杭州", 4}, {"ＡＢ", 4}, {"e\u0301", 1}, {"", 0}} {
		if got := displayWidth(tc.in); got != tc.want {
			t.Errorf("displayWidth(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
	if got := cleanCell("name\x1b[31mred\nnext\u202e"); got != "name?[31mred next?" {
		t.Errorf("cleanCell = %q: control characters must not reach the terminal", got)
	}
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 10 << 20: "10 MiB", 5 << 30: "5.0 GiB"} {
		if got := humanSize(n); got != want {
			t.Errorf("humanSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestCustodyTable(t *testing.T) {
	at := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	v := &wire.CustodyView{Evidence: "01A", Events: []wire.CustodyEvent{
		{Event: custody.Event{Seq: 0, Type: "created", Time: at.Format(time.RFC3339), Actor: "firm:desk"}, ActorOrgName: "杭州某某律师事务所"},
		{Event: custody.Event{Seq: 1, Type: "viewed", Time: at.Add(time.Minute).Format(time.RFC3339), Actor: "court:clerk", Reads: 3, Since: at.Format(time.RFC3339)}},
	}}
	var b bytes.Buffer
	if err := writeHuman(&b, v); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 4 || !strings.Contains(lines[0], "2 events") || !strings.Contains(lines[2], localTime(at)) || !strings.Contains(lines[3], "3 reads since "+localTime(at)) {
		t.Fatalf("custody table:\n%s", b.String())
	}
	if !strings.Contains(lines[2], "杭州某某律师事务所 (desk)") {
		t.Errorf("the actor is not named by its organization:\n%s", b.String())
	}
	if a, c := displayWidth(lines[2][:strings.Index(lines[2], "杭州")]), displayWidth(lines[3][:strings.Index(lines[3], "court:")]); a != c {
		t.Errorf("ACTOR starts at column %d and %d; want them aligned:\n%s", a, c, b.String())
	}
}

func TestNestedLists(t *testing.T) {
	v := &wire.CopyrightSearch{SHA256: strings.Repeat("0", 64), Threshold: 10, Matches: []wire.CopyrightMatch{
		{ID: "c1", Number: "CUS-(2026)-作登字-M1-000001", Title: "西湖", OwnerOrgName: "西湖摄影", Status: "registered", Distance: 0},
		{ID: "c2", Title: "西湖 2", Owner: "张三", Status: "pending", Distance: 4},
		// another member's registration: no title nor owner, its registrant and member by name
		{ID: "c3", Number: "CUS-(2026)-作登字-M2-000001", RegistrantOrgName: "北京某某工作室", MemberName: "北京互联网法院", Remote: true, Status: "registered"},
	}}
	var b bytes.Buffer
	if err := writeHuman(&b, v); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"threshold:", "MATCHES:", "CUS-(2026)-作登字-M1-000001", "西湖摄影", "张三", "DISTANCE", "北京某某工作室", "北京互联网法院", "MEMBER"} {
		if !strings.Contains(out, want) {
			t.Errorf("search as a table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "matches:") {
		t.Errorf("the matches are also counted as a field:\n%s", out)
	}
	var l bytes.Buffer
	writeHuman(&l, &wire.Lookup{SHA256: "ab", Anchored: false})
	if !strings.Contains(l.String(), "anchored:") || !strings.Contains(l.String(), "no") {
		t.Errorf("lookup as a record hides that it is not anchored:\n%s", l.String())
	}
}

func TestSizesOnlyForBytes(t *testing.T) {
	var b bytes.Buffer
	writeHuman(&b, &receipt.Checkpoint{TreeSize: 2048, Height: 3})
	if !strings.Contains(b.String(), "2048") || strings.Contains(b.String(), "KiB") {
		t.Errorf("a checkpoint's tree size is a count of leaves, not bytes:\n%s", b.String())
	}
}

// TestListTableOmitsEmptyNumbers: a number JSON omits when zero
// (omitempty) is a blank cell, not "0 B": a matter share has no size;
// an item's size, which JSON always has, stays "0 B" when it is zero.
func TestListTableOmitsEmptyNumbers(t *testing.T) {
	var b strings.Builder
	if err := writeHuman(&b, []wire.Share{{Kind: "matter", Title: "Zhang v. Li"}, {Kind: "evidence", FileName: "a.txt", Size: 6}}); err != nil {
		t.Fatal(err)
	}
	if s := b.String(); strings.Contains(s, "0 B") || !strings.Contains(s, "6 B") {
		t.Errorf("shares:\n%s", s)
	}
	b.Reset()
	if err := writeHuman(&b, []wire.EvidenceView{{ID: "a", FileName: "empty.txt"}}); err != nil {
		t.Fatal(err)
	}
	if s := b.String(); !strings.Contains(s, "0 B") {
		t.Errorf("an empty item:\n%s", s)
	}
}

// recordTypes are the records the CLI shows as field: value lines:
// every struct a method of the API client answers (evidence, lookup,
// webhook, share, transfer offer, renewal status, audit, proposal, chain
// status, checkpoint...), but notRecords, and the CLI's own profile view.
// Every field of theirs has a Chinese label, and so has every field of
// the records listed under them (a proposal's votes) or by a command
// (document records) that listColumns does not head, whose column
// headings are the labels; every "label." entry of the catalog names a
// field of one of them.
func recordTypes() []reflect.Type {
	types := []reflect.Type{reflect.TypeFor[profileView](), reflect.TypeFor[recordLine]()}
	ct := reflect.TypeFor[*client.Client]()
	for i := range ct.NumMethod() {
		m := ct.Method(i).Type
		if m.NumOut() != 2 {
			continue
		}
		t := m.Out(0)
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() == reflect.Slice { // a list: its columns are listColumns' if it has them
			if t = t.Elem(); listColumns[t.Name()] != nil {
				continue
			}
		}
		if t.Kind() == reflect.Struct && !notRecords[t.Name()] && !strings.HasPrefix(t.Name(), "ListView[") && !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	for i := 0; i < len(types); i++ { // the records listed under them, without listColumns
		for _, f := range fieldList(types[i], "") {
			if f.typ.Kind() == reflect.Slice && elemStruct(f.typ.Elem()) {
				et := reflect.Indirect(reflect.New(f.typ.Elem())).Type()
				if et.Kind() == reflect.Pointer {
					et = et.Elem()
				}
				if _, ok := listColumns[et.Name()]; !ok && !slices.Contains(types, et) {
					types = append(types, et)
				}
			}
		}
	}
	return types
}

// notRecords are the client's answers the CLI does not show as field:
// value lines.
var notRecords = map[string]bool{
	"Download":    true, // download's stream, written to a file
	"Trust":       true, // trust: always JSON (the file 'verify --trust' reads)
	"CustodyView": true, // custody and org audit: custodyTable
}

// TestRecordLabelsZH: in Chinese, a record view's field names are the
// catalog's "label." entries (SHA-256 and SM3 kept as such); in English
// and in JSON they are the JSON names.
func TestRecordLabelsZH(t *testing.T) {
	parts := map[string]bool{}
	types := recordTypes()
	for _, want := range []any{wire.Webhook{}, wire.NewWebhookView{}, wire.Share{}, wire.RenewalStatus{}, wire.RenewalRun{}, wire.Vote{}} {
		if !slices.Contains(types, reflect.TypeOf(want)) {
			t.Errorf("recordTypes() lacks %T", want)
		}
	}
	for _, typ := range types {
		for _, f := range fieldList(typ, "") {
			for _, p := range strings.Split(f.name, ".") {
				parts[p] = true
				if _, ok := messages["label."+p]; !ok {
					t.Errorf("%s field %q: no catalog entry %q", typ, f.name, "label."+p)
				}
			}
		}
	}
	for id := range messages {
		if p, ok := strings.CutPrefix(id, "label."); ok && !parts[p] {
			t.Errorf("catalog entry %q: no record of recordTypes() has the field %q", id, p)
		}
	}

	defer func(l prob.Lang) { lang = l }(lang)
	l := &wire.Lookup{SHA256: strings.Repeat("ab", 32), SM3: strings.Repeat("cd", 32), Anchored: true, Height: 7, MemberName: "西湖法院", FormerMember: true}
	show := func(v any) string { return humanText(t, v) }
	lang = prob.Chinese
	zh := show(l)
	for _, want := range []string{"SHA-256 摘要：", "SM3 摘要：", "已上链：", "区块高度：", "成员名称：", "已退出成员："} {
		if !strings.Contains(zh, want) {
			t.Errorf("a Chinese lookup lacks %q:\n%s", want, zh)
		}
	}
	for _, english := range []string{"sha256:", "anchored:", "former_member:", "height:"} {
		if strings.Contains(zh, english) {
			t.Errorf("a Chinese lookup says %q:\n%s", english, zh)
		}
	}
	if s := show(&wire.Certificate{ID: "c", Applicant: &wire.Applicant{Name: "张三"}}); !strings.Contains(s, "申请人.名称：") {
		t.Errorf("a Chinese certificate lacks the nested label 申请人.名称：\n%s", s)
	}
	var j strings.Builder
	if err := writeJSON(&j, l); err != nil || !strings.Contains(j.String(), `"former_member": true`) {
		t.Errorf("JSON in Chinese: %v\n%s", err, j.String())
	}
	lang = prob.English
	en := show(l)
	for _, want := range []string{"sha256:", "sm3:", "anchored:", "height:", "member_name:", "former_member:"} {
		if !strings.Contains(en, want) {
			t.Errorf("an English lookup lacks %q:\n%s", want, en)
		}
	}
}

// TestRecordViewsZH: the records beyond the first nine (a webhook, a
// share, the renewal status, a proposal and its votes) read in Chinese
// in Chinese, field names and the headings of the lists under them; JSON
// is the same in both languages.
func TestRecordViewsZH(t *testing.T) {
	defer func(l prob.Lang) { lang = l }(lang)
	at := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		v        any
		want     []string
		notWant  []string
		jsonPart string
	}{
		{&wire.NewWebhookView{Webhook: wire.Webhook{ID: "w1", URL: "https://example.org/hook", Events: []string{"evidence.anchored"}, CreatedAt: at}, Secret: "s3cret"},
			[]string{"网络钩子.编号：", "网络钩子.网址：", "网络钩子.事件：", "网络钩子.创建时间：", "签名密钥："}, []string{"webhook.url:", "secret:"}, `"secret": "s3cret"`},
		{&wire.Share{ID: "s1", Kind: "matter", Target: "m1", Grantee: "o2", GranteeName: "西湖法院", CreatedAt: at},
			[]string{"对象：", "被共享方：", "被共享方名称："}, []string{"target:", "grantee:"}, `"grantee_name": "西湖法院"`},
		{&wire.RenewalStatus{Now: at, RenewBefore: "720h0m0s", Hash: "sha256", RenewalCounts: wire.RenewalCounts{Current: wire.RenewalCount{Batches: 2, Items: 9}},
			Documents: wire.RenewalCounts{Current: wire.RenewalCount{Batches: 1, Items: 3}},
			LastRun:   &wire.RenewalRun{Started: at, Documents: wire.DocumentRenewalRun{TimeStamp: wire.RenewedCount{Batches: 1, Items: 3, Tokens: 1}}}},
			[]string{"当前时间：", "提前续期期限：", "30 天", "哈希算法：", "当前.批次数：", "当前.证据项：", "文书.当前.批次数：", "上次运行.文书.时间戳.时间戳令牌数："},
			[]string{"renew_before:", "current.batches:", "documents.current.items:", "last_run.documents.timestamp.tokens:"}, `"renew_before": "720h0m0s"`},
		{&wire.Proposal{ID: "p1", Action: "power", Status: "open", Votes: []wire.Vote{{Member: "ab12", Yes: true, Height: 7}}},
			[]string{"动作：", "投票：", "成员", "赞成", "高度"}, []string{"action:", "VOTES:", "MEMBER"}, `"yes": true`},
	} {
		name := reflect.TypeOf(tc.v).Elem().Name()
		show := func(l prob.Lang) (human, js string) {
			lang = l
			var h, j strings.Builder
			if err := writeHuman(&h, tc.v); err != nil {
				t.Fatal(err)
			}
			if err := writeJSON(&j, tc.v); err != nil {
				t.Fatal(err)
			}
			return h.String(), j.String()
		}
		zh, zhJSON := show(prob.Chinese)
		en, enJSON := show(prob.English)
		for _, w := range tc.want {
			if !strings.Contains(zh, w) {
				t.Errorf("%s in Chinese lacks %q:\n%s", name, w, zh)
			}
		}
		for _, w := range tc.notWant {
			if strings.Contains(zh, w) {
				t.Errorf("%s in Chinese says %q:\n%s", name, w, zh)
			}
			if !strings.Contains(en, w) {
				t.Errorf("%s in English lacks %q:\n%s", name, w, en)
			}
		}
		if zhJSON != enJSON || !strings.Contains(zhJSON, tc.jsonPart) {
			t.Errorf("%s JSON in Chinese:\n%s\nin English:\n%s\nwant them equal, with %s", name, zhJSON, enJSON, tc.jsonPart)
		}
	}
}

// TestDocumentCheckRecord: a document check is a record (number, status,
// office) with its items listed under it, not the list of its items
// alone, although it has a field named items.
func TestDocumentCheckRecord(t *testing.T) {
	v := &wire.DocumentCheck{Kind: "certificate", ID: "c1", Number: "（2026）浙杭互证字第1号", Status: "valid", Office: "杭州市互联网公证处",
		Items: []wire.DocumentCheckItem{{ID: "agrezpy4lhvwxgtuv2ubwl7ddu", SHA256: strings.Repeat("ab", 32)}}}
	var b strings.Builder
	if err := writeHuman(&b, v); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"number:", "（2026）浙杭互证字第1号", "status:", "office:", "ITEMS:", "agrezpy4lhvwxgtuv2ubwl7ddu"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("document check as a table lacks %q:\n%s", want, b.String())
		}
	}
}

// TestNestedRecordLines: in a record view a struct nested at any depth
// is labelled lines like the first level's ("documents.current.batches:
// 1"), not JSON in one cell; a list of records at depth two is still a
// table under its name; a struct that holds its own type stops there.
func TestNestedRecordLines(t *testing.T) {
	defer func(l prob.Lang) { lang = l }(lang)
	lang = prob.English
	show := func(v any) string { return humanText(t, v) }
	st := &wire.RenewalStatus{Hash: "sha256", Documents: wire.RenewalCounts{Current: wire.RenewalCount{Batches: 1, Items: 3}},
		LastRun: &wire.RenewalRun{DryRun: true, Documents: wire.DocumentRenewalRun{HashTree: wire.RenewedCount{Tokens: 2}}}}
	got := show(st)
	for label, want := range map[string]string{"documents.current.batches:": "1", "documents.current.items:": "3",
		"last_run.documents.hashtree.tokens:": "2", "last_run.dry_run:": "yes"} {
		if v := recordValue(got, label); v != want {
			t.Errorf("renewal status: %s %q, want %q\n%s", label, v, want, got)
		}
	}
	if strings.Contains(got, "{") {
		t.Errorf("renewal status shows JSON:\n%s", got)
	}

	type inner struct {
		Votes []wire.Vote `json:"votes"`
	}
	type outer struct {
		Name  string `json:"name"`
		Outer struct {
			Inner inner `json:"inner"`
		} `json:"outer"`
	}
	var o outer
	o.Name = "p1"
	o.Outer.Inner.Votes = []wire.Vote{{Member: "ab12", Yes: true, Height: 7}}
	got = show(&o)
	if !strings.Contains(got, "OUTER.INNER.VOTES:\n") || !strings.Contains(got, "ab12") || strings.Contains(got, "outer.inner.votes:") {
		t.Errorf("a list of records at depth two, as a record:\n%s\nwant a table headed OUTER.INNER.VOTES", got)
	}

	type node struct {
		Name string `json:"name"`
		Next *node  `json:"next,omitempty"`
	}
	var names []string
	for _, f := range fieldList(reflect.TypeFor[node](), "") {
		names = append(names, f.name)
	}
	if !slices.Equal(names, []string{"name", "next"}) {
		t.Errorf("fieldList(node) = %v, want [name next]", names)
	}
	if v := recordValue(show(&node{Name: "a", Next: &node{Name: "b"}}), "next:"); v != `{"name":"b"}` {
		t.Errorf("a node's next: %q, want its JSON", v)
	}
}

// humanText is what writeHuman prints of v, as a terminal shows it.
func humanText(t *testing.T, v any) string {
	t.Helper()
	var b strings.Builder
	if err := writeHuman(&b, v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestHumanDurations: the record views print a Go duration setting
// (renew_before, an audit's interval) in days, hours, minutes and seconds,
// in the CLI's language; before, renew_before read 4320h0m0s. JSON keeps
// the wire's string.
func TestHumanDurations(t *testing.T) {
	defer func(l prob.Lang) { lang = l }(lang)
	for _, tc := range []struct {
		in     string
		en, zh string
	}{
		{"4320h0m0s", "180 days", "180 天"},
		{"24h0m0s", "1 day", "1 天"},
		{"36h0m0s", "1 day 12 hours", "1 天 12 小时"},
		{"6h0m0s", "6 hours", "6 小时"},
		{"1h30m0s", "1 hour 30 minutes", "1 小时 30 分钟"},
		{"45s", "45 seconds", "45 秒"},
		{"0s", "0 seconds", "0 秒"},
		{"1.5s", "1.5s", "1.5s"},
	} {
		d, err := time.ParseDuration(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		for l, want := range map[prob.Lang]string{prob.English: tc.en, prob.Chinese: tc.zh} {
			lang = l
			if got := humanDuration(d); got != want {
				t.Errorf("humanDuration(%s) in %v = %q, want %q", tc.in, l, got, want)
			}
		}
	}
	lang = prob.English
	st := &wire.RenewalStatus{RenewBefore: "4320h0m0s", Hash: "sha256"}
	if s := humanText(t, st); !strings.Contains(s, "renew_before:") || !strings.Contains(s, "180 days") || strings.Contains(s, "4320h") {
		t.Errorf("evidence-record status:\n%s\nwant renew_before: 180 days", s)
	}
	if s := humanText(t, &wire.AuditStatus{Interval: "6h0m0s"}); !strings.Contains(s, "6 hours") {
		t.Errorf("integrity status:\n%s\nwant interval: 6 hours", s)
	}
	var j strings.Builder
	if err := writeJSON(&j, st); err != nil || !strings.Contains(j.String(), `"renew_before": "4320h0m0s"`) {
		t.Errorf("JSON: %v\n%s", err, j.String())
	}
}

// TestNestedLabelsZH: a nested field's Chinese name reads as one name
// (网络钩子.编号), without the English word a label alone keeps beside it
// (编号 ID); before, a new webhook read 网络钩子 Webhook.编号 ID. A word
// that is part of the name (链 ID, chain_id) stays.
func TestNestedLabelsZH(t *testing.T) {
	defer func(l prob.Lang) { lang = l }(lang)
	lang = prob.Chinese
	for name, want := range map[string]string{
		"webhook.id":  "网络钩子.编号",
		"webhook.url": "网络钩子.网址",
		"id":          "编号 ID",
		"url":         "网址 URL",
		"x.chain_id":  "x.链 ID",
	} {
		if got := label(name); got != want {
			t.Errorf("label(%q) = %q, want %q", name, got, want)
		}
	}
	s := humanText(t, &wire.NewWebhookView{Webhook: wire.Webhook{ID: "w1", URL: "https://example.org/hook"}, Secret: "s"})
	if strings.Contains(s, "Webhook") || strings.Contains(s, "ID:") || strings.Contains(s, "ID：") || !strings.Contains(s, "网络钩子.编号：") {
		t.Errorf("a new webhook in Chinese:\n%s\nwant 网络钩子.编号：, no English words", s)
	}
}

// TestRecordOmitsFalseNoise: a record view leaves out a false flag that
// JSON omits too (an unknown file's lookup said former_member: no), and
// keeps one JSON always has (anchored: no says something).
func TestRecordOmitsFalseNoise(t *testing.T) {
	defer func(l prob.Lang) { lang = l }(lang)
	lang = prob.English
	s := humanText(t, &wire.Lookup{SHA256: strings.Repeat("ab", 32)})
	if strings.Contains(s, "former_member") || !strings.Contains(s, "anchored:") {
		t.Errorf("an unknown file's lookup:\n%s\nwant anchored: no and no former_member", s)
	}
	if s := humanText(t, &wire.Lookup{SHA256: strings.Repeat("ab", 32), Anchored: true, FormerMember: true}); !strings.Contains(s, "former_member:") {
		t.Errorf("a former member's lookup:\n%s\nwant former_member: yes", s)
	}
}
