package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/api/client"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/certificates"
	"github.com/custos-project/custos/evidence/copyright"
	prob "github.com/custos-project/custos/internal/problem"
)

// TestCustodyTablePendingNames: the reads counted but not yet in the chain
// name their actor's organization as the chain's events do, when an event
// gives that organization's name, and keep the raw actor when none does.
func TestCustodyTablePendingNames(t *testing.T) {
	at := time.Date(2026, 12, 6, 19, 5, 49, 0, time.UTC)
	v := &wire.CustodyView{
		Evidence: "item",
		Events: []wire.CustodyEvent{
			{Event: custody.Event{Seq: 0, Type: "created", Time: at.Format(time.RFC3339Nano), Actor: "firm:k1"}, ActorOrgName: "Zhong Lun Law Firm"},
			{Event: custody.Event{Seq: 1, Type: "listed", Time: at.Format(time.RFC3339Nano), Actor: "court:k2"}, ActorOrgName: "Hangzhou Internet Court"},
		},
		PendingReads: []wire.PendingRead{
			{Type: "viewed", Actor: "court:k3", Subject: "custody", Reads: 2, Since: at, Last: at},
			{Type: "viewed", Actor: "other:k4", Reads: 1, Since: at, Last: at},
		},
	}
	var b strings.Builder
	if err := custodyTable(&b, v); err != nil {
		t.Fatal(err)
	}
	_, pending, ok := strings.Cut(b.String(), "\n\n")
	if !ok {
		t.Fatalf("no table of pending reads in\n%s", b.String())
	}
	for _, want := range []string{"Hangzhou Internet Court (k3)", "other:k4"} {
		if !strings.Contains(pending, want) {
			t.Errorf("pending reads lack %q:\n%s", want, pending)
		}
	}
}

// TestCellValues: in Chinese, a table shows an item's status, a custody
// or audit event's type, an organization's kind, a key's role, a share's kind and
// yes/no in Chinese, and other values as they are; every "val." entry of
// the catalog is one of those values.
func TestCellValues(t *testing.T) {
	known := map[string]bool{"yes": true, "no": true, "pending": true,
		evidence.StatusTimestamped: true, evidence.StatusAnchored: true,
		copyright.CopyrightRegistered: true, copyright.CopyrightRevoked: true, certificates.CertificateValid: true,
		copyright.OfferAccepted: true, copyright.OfferDeclined: true, copyright.OfferWithdrawn: true, copyright.OfferExpired: true}
	for _, typ := range []string{custody.EventCreated, custody.EventViewed, custody.EventDownloaded, custody.EventShared,
		custody.EventUnshared, custody.EventListed, custody.EventCertified} {
		known[typ] = true
		if _, ok := messages["val."+typ]; !ok {
			t.Errorf("custody event type %q: no catalog entry val.%s", typ, typ)
		}
	}
	for _, k := range append(slices.Clone(access.Kinds), evidence.ShareEvidence, evidence.ShareMatter) {
		known["kind."+k] = true
		if _, ok := messages["val.kind."+k]; !ok {
			t.Errorf("kind %q: no catalog entry val.kind.%s", k, k)
		}
	}
	for _, r := range access.Roles {
		known["role."+string(r)] = true
		if _, ok := messages["val.role."+string(r)]; !ok {
			t.Errorf("role %q: no catalog entry val.role.%s", r, r)
		}
	}
	for typ := range documentedEventTypes(t) { // named by TestEventTypesInTables
		known[typ] = true
	}
	// An applicant's kinds and identity documents.
	for _, v := range []string{"kind." + certificates.ApplicantOrg, "kind." + certificates.ApplicantPerson, "id_type." + certificates.IDResident, "id_type." + certificates.IDPassport} {
		known[v] = true
		if _, ok := messages["val."+v]; !ok {
			t.Errorf("applicant value %q: no catalog entry val.%s", v, v)
		}
	}
	// An organization's directory statuses: a Chinese org view read
	// 目录.状态： pending before.
	for _, st := range []string{wire.DirectoryRegistered, wire.DirectoryPending, wire.DirectoryConflict} {
		known["directory."+st] = true
		if _, ok := messages["val.directory."+st]; !ok {
			t.Errorf("directory status %q: no catalog entry val.directory.%s", st, st)
		}
	}
	// Where profile show's server and token came from (target): it read
	// 服务器来源：  env before.
	for _, from := range []string{"flag", "env", "profile", "default"} {
		known["from."+from] = true
		if _, ok := messages["val.from."+from]; !ok {
			t.Errorf("source %q: no catalog entry val.from.%s", from, from)
		}
	}
	// A key's permissions (custos me): every one access defines.
	for _, p := range []access.Permission{access.PermAdmin, access.PermFile, access.PermRead, access.PermShare, access.PermWebhooks, access.PermCertify} {
		known["permission."+string(p)] = true
		if _, ok := messages["val.permission."+string(p)]; !ok {
			t.Errorf("permission %q: no catalog entry val.permission.%s", p, p)
		}
	}
	// A work's types, as copyright.Work's validation lists them.
	f, _ := reflect.TypeFor[copyright.Work]().FieldByName("Type")
	_, oneof, _ := strings.Cut(f.Tag.Get("validate"), "oneof=")
	for _, typ := range strings.Fields(oneof) {
		known["type."+typ] = true
		if _, ok := messages["val.type."+typ]; !ok {
			t.Errorf("work type %q: no catalog entry val.type.%s", typ, typ)
		}
	}
	for id := range messages {
		if v, ok := strings.CutPrefix(id, "val."); ok && !known[v] {
			t.Errorf("catalog entry %q: not a value cellValue is given", id)
		}
	}
	defer func(l prob.Lang) { lang = l }(lang)
	lang = prob.Chinese
	var b strings.Builder
	if err := writeHuman(&b, []wire.EvidenceView{{ID: "a", FileName: "contract.txt", Status: evidence.StatusAnchored}, {ID: "b", FileName: "x", Status: "open"}}); err != nil {
		t.Fatal(err)
	}
	if s := b.String(); !strings.Contains(s, "已上链") || !strings.Contains(s, "open") || strings.Contains(s, "anchored") {
		t.Errorf("a Chinese table of statuses:\n%s", s)
	}
	b.Reset()
	if err := writeHuman(&b, []wire.CopyrightMatch{{ID: "c", Number: "N-1", Status: copyright.CopyrightRegistered}}); err != nil {
		t.Fatal(err)
	}
	if s := b.String(); !strings.Contains(s, "已登记") || strings.Contains(s, "registered") {
		t.Errorf("a Chinese table of registrations:\n%s", s)
	}
	b.Reset()
	if err := writeHuman(&b, []wire.Copyright{{ID: "c", Number: "N-1", Work: wire.Work{Title: "西湖晨雾", Type: "text"}}}); err != nil {
		t.Fatal(err)
	}
	if s := b.String(); !strings.Contains(s, "文字作品") || strings.Contains(s, "text") {
		t.Errorf("a Chinese table of works:\n%s", s)
	}
	b.Reset()
	if err := writeHuman(&b, &wire.Certificate{ID: "c", Applicant: &wire.Applicant{Kind: certificates.ApplicantPerson, Name: "张三", IDType: certificates.IDResident}}); err != nil {
		t.Fatal(err)
	}
	if s := b.String(); !strings.Contains(s, "自然人") || !strings.Contains(s, "居民身份证") || strings.Contains(s, "person") || strings.Contains(s, "resident_id") {
		t.Errorf("a Chinese certificate's applicant:\n%s", s)
	}
	b.Reset()
	at := time.Date(2026, 12, 6, 19, 5, 49, 0, time.UTC).Format(time.RFC3339Nano)
	if err := custodyTable(&b, &wire.CustodyView{Evidence: "a", Events: []wire.CustodyEvent{{Event: custody.Event{Type: custody.EventDownloaded, Time: at, Actor: "o:k"}}}}); err != nil {
		t.Fatal(err)
	}
	if s := b.String(); !strings.Contains(s, "下载") {
		t.Errorf("a Chinese custody table:\n%s", s)
	}
}

// TestKindsAndRolesZH: in Chinese, organizations' kinds and keys' roles
// read in Chinese in tables and record views (a notary office is 公证机构,
// a notary's key 公证员), other kinds as they are; in English and in JSON
// they are the API's values.
func TestKindsAndRolesZH(t *testing.T) {
	defer func(l prob.Lang) { lang = l }(lang)
	orgs := []wire.OrgView{{Org: wire.Org{ID: "o1", Name: "杭州互联网法院", Kind: access.KindCourt}}, {Org: wire.Org{ID: "o2", Name: "中伦", Kind: access.KindLawFirm}}}
	me := &wire.MeView{Key: wire.Key{ID: "k1", Name: "前台", Role: wire.Role(access.RoleNotary)}, Org: wire.Org{ID: "o3", Name: "杭州市互联网公证处", Kind: access.KindNotary}}
	keys := []wire.Key{{ID: "k2", Name: "书记员", Role: wire.Role(access.RoleExaminer)}}
	shares := []wire.Share{{ID: "s1", Kind: evidence.ShareMatter, Title: "张三诉李四"}}
	vote := &wire.GovernanceAccepted{Proposal: "p1", Kind: "vote", Member: "ab12"}
	show := func(v any) string { return humanText(t, v) }
	lang = prob.Chinese
	for _, tc := range []struct {
		v         any
		want, not []string
	}{
		{orgs, []string{"法院", "律师事务所"}, []string{"court", "lawfirm"}},
		{me, []string{"角色：", "公证员", "机构.类型：", "公证机构"}, []string{" notary"}},
		{keys, []string{"审查人"}, []string{"examiner"}},
		{shares, []string{"案件"}, []string{"matter"}},
		{vote, []string{"vote"}, nil}, // not an organization's kind
	} {
		s := show(tc.v)
		for _, w := range tc.want {
			if !strings.Contains(s, w) {
				t.Errorf("%T in Chinese lacks %q:\n%s", tc.v, w, s)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(s, w) {
				t.Errorf("%T in Chinese says %q:\n%s", tc.v, w, s)
			}
		}
	}
	var zh strings.Builder
	if err := writeJSON(&zh, me); err != nil || !strings.Contains(zh.String(), `"role": "notary"`) || !strings.Contains(zh.String(), `"kind": "notary"`) {
		t.Errorf("JSON in Chinese: %v\n%s", err, zh.String())
	}
	lang = prob.English
	if s := show(me); !strings.Contains(s, "notary") || strings.Contains(s, "公证员") {
		t.Errorf("whoami in English:\n%s", s)
	}
}

// TestCustodyNames: custody's table names the organization of a subject
// org:<id> and a relayed actor's member, where the events do not, from
// the consortium's directory asked once and the members' list asked once
// when a member is still unnamed; before, it showed org:<id> and the
// member's 64-hex ID. An ID no one names stays; a chain that needs no
// name asks nothing.
func TestCustodyNames(t *testing.T) {
	defer func(l prob.Lang) { lang = l }(lang)
	lang = prob.English
	courtMember, otherMember := strings.Repeat("ab", 32), strings.Repeat("cd", 32)
	asked := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked[r.URL.Path]++
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/directory":
			json.NewEncoder(w).Encode(wire.ListView[wire.DirectoryEntry]{Items: []wire.DirectoryEntry{
				{ID: "court", Name: "Hangzhou Internet Court", Member: courtMember, MemberName: "Hangzhou Court Node"}}})
		case "/api/v1/consortium/members":
			json.NewEncoder(w).Encode(wire.Members{Members: []wire.Member{{ID: otherMember, Name: "Notary Node"}}})
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	at := time.Date(2026, 12, 6, 19, 5, 49, 0, time.UTC).Format(time.RFC3339Nano)
	v := &wire.CustodyView{Evidence: "item", Events: []wire.CustodyEvent{
		{Event: custody.Event{Seq: 0, Type: "created", Time: at, Actor: "firm:k1"}, ActorOrgName: "Zhong Lun Law Firm"},
		{Event: custody.Event{Seq: 1, Type: "shared", Time: at, Actor: "firm:k1", Subject: "org:court"}, ActorOrgName: "Zhong Lun Law Firm"},
		{Event: custody.Event{Seq: 2, Type: "downloaded", Time: at, Actor: "court:k2@" + courtMember}},
		{Event: custody.Event{Seq: 3, Type: "viewed", Time: at, Actor: "notary:k3@" + otherMember}, ActorOrgName: "Xihu Notary Office"},
		{Event: custody.Event{Seq: 4, Type: "shared", Time: at, Actor: "firm:k1", Subject: "org:unknown"}, ActorOrgName: "Zhong Lun Law Firm"},
	}}
	c := client.New(srv.URL, "t")
	var b strings.Builder
	if err := custodyTableNamed(&b, v, loadCustodyNames(context.Background(), c, v)); err != nil {
		t.Fatal(err)
	}
	table := b.String()
	for _, want := range []string{"Hangzhou Internet Court\n", "Hangzhou Internet Court (k2 via Hangzhou Court Node)", "Xihu Notary Office (k3 via Notary Node)", "org:unknown"} {
		if !strings.Contains(table, want) {
			t.Errorf("custody table lacks %q:\n%s", want, table)
		}
	}
	if strings.Contains(table, courtMember) || strings.Contains(table, otherMember) || strings.Contains(table, "org:court") {
		t.Errorf("custody table shows an ID it could name:\n%s", table)
	}
	if asked["/api/v1/directory"] != 1 || asked["/api/v1/consortium/members"] != 1 {
		t.Errorf("asked %v, want the directory and the members once each", asked)
	}
	lang = prob.Chinese
	if s := (custodyNames{orgs: map[string]string{"court": "杭州互联网法院"}, members: map[string]string{courtMember: "杭州法院节点"}}).actor("court:k2@"+courtMember, ""); s != "杭州互联网法院（k2，经 杭州法院节点 转来）" {
		t.Errorf("a relayed actor in Chinese = %q", s)
	}
	// What a viewed event read, as custos verify says it (it read
	// metadata before); a subject of kind:value pairs as it is.
	for sj, want := range map[string]string{"metadata": "元数据", "receipt": "回执", "copyright:r1": "copyright:r1"} {
		if got := (custodyNames{}).subject(sj); got != want {
			t.Errorf("subject %q in Chinese = %q, want %q", sj, got, want)
		}
	}
	// An actor by its organization's name, in Chinese parentheses (it read
	// 杭州互联网法院 (k2) before).
	if s := (custodyNames{}).actor("court:k2", "杭州互联网法院"); s != "杭州互联网法院（k2）" {
		t.Errorf("an actor in Chinese = %q, want 杭州互联网法院（k2）", s)
	}
	lang = prob.English
	if s := (custodyNames{}).actor("court:k2", "Hangzhou Internet Court"); s != "Hangzhou Internet Court (k2)" {
		t.Errorf("an actor in English = %q, want Hangzhou Internet Court (k2)", s)
	}
	asked = map[string]int{}
	loadCustodyNames(context.Background(), c, &wire.CustodyView{Events: v.Events[:1]})
	if len(asked) != 0 {
		t.Errorf("a chain with every name: asked %v, want nothing", asked)
	}
}
