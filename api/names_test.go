package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/certify"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence/audittrail"
	"github.com/custos-project/custos/evidence/certificates"
	"github.com/custos-project/custos/evidence/copyright"
	"github.com/custos-project/custos/evidence/sharing"
)

// namesWorld is a transferWorld (the firm "A", "Buyer", "Third") with a
// local court and notary office (party "N", a notary key), and a
// consortium directory that homes a court on member m2 and holds two
// look-alike names registered by other members' software.
type namesWorld struct {
	*transferWorld
	court, notary   *access.Org
	remote          string
	hz1, hz2        string // "Hangzhou Intermediate Court" (m2), "Hangzh0u Intermediate Court" (m3)
	issued          []certify.Request
	m1, m2, matterW string // two matters titled "Zhang v. Li", one "Wang v. Zhao"
}

func newNamesWorld(t *testing.T) *namesWorld {
	t.Helper()
	nw := &namesWorld{transferWorld: newTransferWorld(t), remote: access.NewID(), hz1: access.NewID(), hz2: access.NewID()}
	var err error
	if nw.court, err = nw.s.orgs.CreateOrg(access.KindCourt, "杭州互联网法院"); err != nil {
		t.Fatal(err)
	}
	if nw.notary, err = nw.s.orgs.CreateOrg(access.KindNotary, "Qiantang Notary Office"); err != nil {
		t.Fatal(err)
	}
	for _, o := range []*access.Org{nw.court, nw.notary} {
		// As creating an organization through the API does.
		if _, err := audittrail.New(nw.ev).AppendAudit(context.Background(), o.ID, "operator:key", custody.AuditOrgCreated, "kind:"+o.Kind); err != nil {
			t.Fatal(err)
		}
	}
	for party, k := range map[string]struct {
		org  string
		role access.Role
	}{"N": {nw.notary.ID, access.RoleNotary}, "K": {nw.court.ID, access.RoleViewer}} {
		tok, _, err := nw.s.orgs.CreateKey(k.org, k.role, "test", nil)
		if err != nil {
			t.Fatal(err)
		}
		nw.tokenOf[party] = tok
	}
	nw.s.directory = &fakeDirectory{entries: map[string]anchor.DirEntry{
		nw.remote: {ID: nw.remote, Kind: access.KindCourt, Name: "Beijing Internet Court", Member: "m2", Height: 2},
		nw.hz1:    {ID: nw.hz1, Kind: access.KindCourt, Name: "Hangzhou Intermediate Court", Member: "m2", Height: 3},
		nw.hz2:    {ID: nw.hz2, Kind: access.KindCourt, Name: "Hangzh0u Intermediate Court", Member: "m3", Height: 4},
	}}
	nw.s.issuer = nw
	for _, p := range []struct {
		dst   *string
		title string
	}{{&nw.m1, "Zhang v. Li"}, {&nw.m2, "Zhang v. Li"}, {&nw.matterW, "Wang v. Zhao"}} {
		r := nw.do(t, "A", "POST", "/api/v1/matters", map[string]any{"title": p.title})
		var m sharing.Matter
		mustDecode(t, r, &m)
		*p.dst = m.ID
	}
	return nw
}

// NotarialWithin records what it is asked (Issuer): the resolved request.
func (nw *namesWorld) NotarialWithin(_ context.Context, req certify.Request, _ func(*bolt.Tx, *certificates.Certificate) error) (*certificates.Certificate, error) {
	nw.issued = append(nw.issued, req)
	return &certificates.Certificate{ID: "c", Org: req.Org, Matter: req.Matter, Evidence: req.Evidence}, nil
}

func (nw *namesWorld) Copyright(context.Context, *copyright.Copyright, string, string) error {
	return nil
}

// candidates are the IDs a problem lists.
func candidates(t *testing.T, r *httptest.ResponseRecorder) []string {
	t.Helper()
	var p wire.Problem
	mustDecode(t, r, &p)
	var ids []string
	for _, c := range p.Candidates {
		ids = append(ids, c.ID)
		if c.Name == "" {
			t.Errorf("candidate %+v has no name", c)
		}
	}
	slices.Sort(ids)
	return ids
}

func sorted(ids ...string) []string { slices.Sort(ids); return ids }

// TestShareByName shares by organization ID, by name, by an NFKC and case
// variant of the name, and refuses an unknown name (404), an ambiguous
// matter title (409, listing both matters), a look-alike of a name (404
// naming the organization it reads like) and a name that two organizations
// of the directory read alike (409).
func TestShareByName(t *testing.T) {
	nw := newNamesWorld(t)
	for _, c := range []struct {
		name            string
		body            map[string]any
		status          int
		slug            string
		grantee, target string
		cands           []string
	}{
		{"by ID", map[string]any{"matter": nw.matterW, "org": nw.court.ID}, 201, "", nw.court.ID, nw.matterW, nil},
		{"by name and title", map[string]any{"matter": "Wang v. Zhao", "org": "Qiantang Notary Office"}, 201, "", nw.notary.ID, nw.matterW, nil},
		{"Chinese name", map[string]any{"matter": "Wang v. Zhao", "org": "杭州互联网法院"}, 200, "", nw.court.ID, nw.matterW, nil},
		{"NFKC and case variants", map[string]any{"matter": "ＷＡＮＧ Ｖ．  zhao", "org": " 杭州互联网法院\u3000"}, 200, "", nw.court.ID, nw.matterW, nil},
		{"full-width name", map[string]any{"matter": nw.matterW, "org": "ｑｉａｎｔａｎｇ NOTARY office"}, 200, "", nw.notary.ID, nw.matterW, nil},
		{"unknown name", map[string]any{"matter": nw.matterW, "org": "Shenzhen Court"}, 404, "not-found", "", "", nil},
		{"unknown title", map[string]any{"matter": "Sun v. Moon", "org": nw.court.ID}, 404, "not-found", "", "", nil},
		{"ambiguous title", map[string]any{"matter": "zhang v. LI", "org": nw.court.ID}, 409, "name-ambiguous", "", "", sorted(nw.m1, nw.m2)},
		{"look-alike name", map[string]any{"matter": nw.matterW, "org": "Qiantang N0tary 0ffice"}, 404, "name-look-alike", "", "", []string{nw.notary.ID}},
		{"name with a look-alike", map[string]any{"matter": nw.matterW, "org": "Hangzhou Intermediate Court"}, 409, "name-confusable", "", "", sorted(nw.hz1, nw.hz2)},
		{"unknown ID", map[string]any{"matter": nw.matterW, "org": "aaaaaaaaaaaaaaaaaaaaaaaaaa"}, 422, "invalid-input", "", "", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := nw.do(t, "A", "POST", "/api/v1/shares", c.body)
			want(t, "POST /api/v1/shares", r, c.status, c.slug)
			if c.grantee != "" {
				var v wire.Share
				mustDecode(t, r, &v)
				if v.Grantee != c.grantee || v.Target != c.target || v.GranteeName == "" || v.Title != "Wang v. Zhao" {
					t.Errorf("share = %+v, want grantee %s and target %s, named", v, c.grantee, c.target)
				}
			}
			if c.cands != nil {
				if got := candidates(t, r); !slices.Equal(got, c.cands) {
					t.Errorf("candidates = %v, want %v", got, c.cands)
				}
			}
		})
	}
	// A name the directory homes on another member resolves to it: this
	// node has no peer API to send the share there, and says so.
	r := nw.do(t, "A", "POST", "/api/v1/shares", map[string]any{"matter": nw.matterW, "org": "beijing internet court"})
	want(t, "share with a court homed on m2, by name", r, 422, "no-peer-api")
	if !strings.Contains(r.Body.String(), "member m2") {
		t.Errorf("share with a remote court = %s, want it to name its home member", r.Body)
	}
	// The ambiguous problem gives each matter's creation time.
	var p wire.Problem
	mustDecode(t, nw.do(t, "A", "POST", "/api/v1/shares", map[string]any{"matter": "Zhang v. Li", "org": nw.court.ID}), &p)
	if len(p.Candidates) != 2 || p.Candidates[0].CreatedAt == nil || p.Candidates[0].CreatedAt.After(*p.Candidates[1].CreatedAt) {
		t.Errorf("ambiguous title: candidates %+v, want two, oldest first, with creation times", p.Candidates)
	}
	if !strings.Contains(p.Detail, nw.m1) || !strings.Contains(p.Detail, nw.m2) || !strings.Contains(p.Detail, p.Candidates[0].CreatedAt.UTC().Format(time.RFC3339)) {
		t.Errorf("ambiguous title: detail %q, want each matter's ID and creation time (for clients that show only the detail)", p.Detail)
	}
}

// TestTransferAndCertificateByName: a transfer's recipient, a
// certificate's applicant organization and its matter by name.
func TestTransferAndCertificateByName(t *testing.T) {
	nw := newNamesWorld(t)
	want(t, "offer to an unknown name", nw.do(t, "A", "POST", "/api/v1/copyrights/"+nw.cr+"/transfers", map[string]any{"to": "Nobody"}), 404, "not-found")
	want(t, "offer to a look-alike", nw.do(t, "A", "POST", "/api/v1/copyrights/"+nw.cr+"/transfers", map[string]any{"to": "Buy\u0435r"}), 404, "name-look-alike")
	r := nw.do(t, "A", "POST", "/api/v1/copyrights/"+nw.cr+"/transfers", map[string]any{"to": "BUYER"})
	var o wire.TransferOffer
	mustDecode(t, r, &o)
	if r.Code != 201 || o.To != nw.orgB || o.ToName != "Buyer" || o.FromName != "Firm" {
		t.Errorf("offer to BUYER = %d %s, want 201 to %s, with both names", r.Code, r.Body, nw.orgB)
	}

	want(t, "share the matter with the notary", nw.do(t, "A", "POST", "/api/v1/shares", map[string]any{"matter": nw.matterW, "org": nw.notary.ID}), 201, "")
	for _, c := range []struct {
		name           string
		body           map[string]any
		status         int
		slug           string
		matter, appOrg string
	}{
		{"applicant by ID", map[string]any{"evidence": []string{"e"}, "applicant": map[string]any{"org": nw.court.ID}}, 201, "", "", nw.court.ID},
		{"applicant by name", map[string]any{"evidence": []string{"e"}, "applicant": map[string]any{"org": "杭州互联网法院"}}, 201, "", "", nw.court.ID},
		{"matter by title (shared)", map[string]any{"matter": "wang v. zhao", "applicant": map[string]any{"org": "firm"}}, 201, "", nw.matterW, nw.org},
		{"applicant unknown", map[string]any{"evidence": []string{"e"}, "applicant": map[string]any{"org": "Nobody"}}, 404, "not-found", "", ""},
		{"applicant look-alike", map[string]any{"evidence": []string{"e"}, "applicant": map[string]any{"org": "Qiantang Notary 0ffice"}}, 404, "name-look-alike", "", ""},
		{"matter not shared", map[string]any{"matter": "Zhang v. Li"}, 404, "not-found", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := len(nw.issued)
			r := nw.do(t, "N", "POST", "/api/v1/certificates", c.body)
			want(t, "POST /api/v1/certificates", r, c.status, c.slug)
			if c.status != 201 {
				if len(nw.issued) != before {
					t.Errorf("a refused request reached the office")
				}
				return
			}
			got := nw.issued[len(nw.issued)-1]
			if got.Matter != c.matter || got.Applicant == nil || got.Applicant.Org != c.appOrg {
				t.Errorf("the office was asked %+v, want matter %q and applicant %s", got, c.matter, c.appOrg)
			}
			var v wire.Certificate
			mustDecode(t, r, &v)
			if v.OrgName != "Qiantang Notary Office" || (c.matter != "" && v.MatterTitle != "Wang v. Zhao") {
				t.Errorf("certificate = %+v, want the office's name and the matter's title", v)
			}
		})
	}
}

// TestListingsShowNames: a share lists its organizations' names and the
// shared item's file name, size and title, for the sharer and the
// recipient; custody events carry their actor's organization name, and
// still check as a chain.
func TestListingsShowNames(t *testing.T) {
	nw := newNamesWorld(t)
	up := nw.upload(t, strings.NewReader("the contract"), "text/plain", wire.MetadataHeader, `{"file_name":"contract.txt","title":"Contract"}`)
	var ev wire.EvidenceView
	mustDecode(t, up, &ev)
	want(t, "share by name", nw.do(t, "A", "POST", "/api/v1/shares", map[string]any{"evidence": ev.ID, "org": "杭州互联网法院"}), 201, "")
	for party, path := range map[string]string{"A": "/api/v1/shares", "K": "/api/v1/shares?direction=received"} {
		var l wire.ListView[wire.Share]
		mustDecode(t, nw.do(t, party, "GET", path, nil), &l)
		if len(l.Items) != 1 {
			t.Fatalf("%s GET %s = %+v, want one share", party, path, l)
		}
		if s := l.Items[0]; s.OwnerName != "Firm" || s.GranteeName != "杭州互联网法院" || s.FileName != "contract.txt" || s.Size != int64(len("the contract")) || s.Title != "Contract" {
			t.Errorf("%s GET %s: share = %+v, want names, file name, size and title", party, path, s)
		}
	}
	var cv wire.CustodyView
	mustDecode(t, nw.do(t, "K", "GET", "/api/v1/evidence/"+ev.ID+"/custody", nil), &cv)
	byOrg := map[string]string{}
	for _, e := range cv.Events {
		byOrg[e.Type] = e.ActorOrgName
	}
	if byOrg[custody.EventCreated] != "Firm" || byOrg[custody.EventShared] != "Firm" || byOrg[custody.EventViewed] != "杭州互联网法院" {
		t.Errorf("custody events' organization names by type = %v", byOrg)
	}
	if i, err := custody.CheckChain(cv.Chain()); err != nil {
		t.Errorf("CheckChain(the events as shown) = %d, %v", i, err)
	}
	// Evidence listed by its matter's title, with its owner's name.
	filed := nw.upload(t, strings.NewReader("filed"), "text/plain", wire.MetadataHeader, `{"matter":"WANG v. zhao"}`)
	want(t, "upload into a matter by its title", filed, 201, "")
	want(t, "upload into an ambiguous title", nw.upload(t, strings.NewReader("x"), "text/plain", wire.MetadataHeader, `{"matter":"Zhang v. Li"}`), 409, "name-ambiguous")
	want(t, "upload into an unknown title", nw.upload(t, strings.NewReader("y"), "text/plain", wire.MetadataHeader, `{"matter":"Nothing"}`), 404, "not-found")
	var l wire.ListView[wire.EvidenceView]
	mustDecode(t, nw.do(t, "A", "GET", "/api/v1/evidence?matter=wang%20v.%20ZHAO", nil), &l)
	if len(l.Items) != 1 || l.Items[0].Matter != nw.matterW || l.Items[0].OwnerOrgName != "Firm" {
		t.Errorf("GET /api/v1/evidence?matter=<title> = %+v, want the item filed into it, with its owner's name", l)
	}
	want(t, "list by an ambiguous title", nw.do(t, "A", "GET", "/api/v1/evidence?matter=Zhang%20v.%20Li", nil), 409, "name-ambiguous")
	want(t, "list by an unknown title", nw.do(t, "A", "GET", "/api/v1/evidence?matter=Nothing", nil), 404, "not-found")

	var raw struct{ Events []map[string]any }
	r := nw.do(t, "K", "GET", "/api/v1/evidence/"+ev.ID+"/custody", nil)
	if err := json.Unmarshal(r.Body.Bytes(), &raw); err != nil || len(raw.Events) == 0 || raw.Events[0]["actor_org_name"] != "Firm" {
		t.Errorf("custody JSON = %s, want actor_org_name beside actor", r.Body)
	}
}

// TestOrgPathByName: the organization endpoints take a name in place of
// the ID in their path, percent-encoded as clients send it (and encoded
// otherwise than Go's default, too).
func TestOrgPathByName(t *testing.T) {
	nw := newNamesWorld(t)
	op, err := nw.s.orgs.CreateOrg(access.KindOperator, "Operator")
	if err != nil {
		t.Fatal(err)
	}
	if nw.tokenOf["O"], _, err = nw.s.orgs.CreateKey(op.ID, access.RoleAdmin, "admin", nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		party, path string
		status      int
		slug, id    string
	}{
		{"O", "/api/v1/orgs/" + nw.court.ID, 200, "", nw.court.ID},
		{"O", "/api/v1/orgs/" + url.PathEscape("杭州互联网法院"), 200, "", nw.court.ID},
		{"O", "/api/v1/orgs/%51iantang%20NOTARY%20office", 200, "", nw.notary.ID}, // %51 is Q: URL.RawPath is set
		{"O", "/api/v1/orgs/Nobody", 404, "not-found", ""},
		{"O", "/api/v1/orgs/Qiantang%20N0tary%20Office", 404, "name-look-alike", ""},
		{"O", "/api/v1/orgs/" + url.PathEscape("Qiantang Notary Office") + "/keys", 200, "", ""},
		{"K", "/api/v1/orgs/" + url.PathEscape("杭州互联网法院") + "/audit", 200, "", ""},
		{"K", "/api/v1/orgs/Firm/audit", 404, "not-found", ""},
	} {
		r := nw.do(t, c.party, "GET", c.path, nil)
		want(t, c.party+" GET "+c.path, r, c.status, c.slug)
		if c.id != "" && !strings.Contains(r.Body.String(), `"id":"`+c.id+`"`) {
			t.Errorf("GET %s = %s, want organization %s", c.path, r.Body, c.id)
		}
	}
}

// TestUnknownOrgNameDetail checks the 404 of an organization name that
// names nothing, in both languages: it says where to find the names, for
// API and CLI users alike (GET /api/v1/directory, custos directory list),
// and the Chinese text names the field in Chinese, the field's JSON name
// (if any) only in parentheses beside it.
func TestUnknownOrgNameDetail(t *testing.T) {
	nw := newNamesWorld(t)
	for _, c := range []struct {
		name, party, method, path string
		body                      any
		field                     string // the JSON name the detail gives, "" for the path
	}{
		{"share", "A", "POST", "/api/v1/shares", map[string]any{"matter": nw.matterW, "org": "Shenzhen Court"}, "org"},
		{"transfer", "A", "POST", "/api/v1/copyrights/" + nw.cr + "/transfers", map[string]any{"to": "Shenzhen Court"}, "to"},
		{"certificate", "N", "POST", "/api/v1/certificates", map[string]any{"evidence": []string{"e"}, "applicant": map[string]any{"org": "Shenzhen Court"}}, "applicant.org"},
		{"path", "A", "GET", "/api/v1/orgs/Shenzhen%20Court/audit", nil, ""},
	} {
		for _, lang := range []string{"en", "zh-CN"} {
			t.Run(c.name+" "+lang, func(t *testing.T) {
				r := nw.doIn(t, c.party, c.method, c.path, c.body, lang)
				want(t, c.method+" "+c.path, r, 404, "not-found")
				var p wire.Problem
				mustDecode(t, r, &p)
				for _, w := range []string{`Shenzhen Court`, "custos directory list", "GET /api/v1/directory"} {
					if !strings.Contains(p.Detail, w) {
						t.Errorf("detail %q does not say %q", p.Detail, w)
					}
				}
				if lang == "en" {
					return
				}
				rest := p.Detail
				for _, w := range []string{"Shenzhen Court", "custos directory list", "GET /api/v1/directory", "（" + c.field + "）", " ID"} {
					rest = strings.ReplaceAll(rest, w, "")
				}
				if i := strings.IndexFunc(rest, func(r rune) bool { return r < 0x80 && unicode.IsLetter(r) }); i >= 0 {
					t.Errorf("zh detail %q has English words (%q) besides the value, the command, the endpoint, ID and the field's JSON name in parentheses", p.Detail, rest[i:])
				}
			})
		}
	}
}

// TestNameLookupInvisible: an organization or matter given by name that
// holds an invisible, direction-changing or control character, or bytes
// that are not UTF-8, names nothing a node can hold (names and titles with
// them are refused when made): it is 400 invisible-character, naming the
// field and the code point, as the same characters are anywhere else in a
// request; before, it was looked up and answered 404 with the value
// echoed into the detail. Found by the route sweep (TestRouteSweep).
func TestNameLookupInvisible(t *testing.T) {
	nw := newNamesWorld(t)
	for _, c := range []struct {
		name, party, method, path string
		body                      any
	}{
		{"share org", "A", "POST", "/api/v1/shares", map[string]any{"matter": nw.matterW, "org": "Shenzhen\u202eCourt"}},
		{"share matter", "A", "POST", "/api/v1/shares", map[string]any{"matter": "Zhang\u200b v. Li", "org": nw.court.ID}},
		{"transfer to", "A", "POST", "/api/v1/copyrights/" + nw.cr + "/transfers", map[string]any{"to": "Court\x00"}},
		{"certificate applicant", "N", "POST", "/api/v1/certificates", map[string]any{"evidence": []string{"e"}, "applicant": map[string]any{"org": "\u2066Court"}}},
		{"path", "A", "GET", "/api/v1/orgs/Shenzhen%E2%80%AECourt/audit", nil},
		{"path not UTF-8", "A", "GET", "/api/v1/orgs/%FF", nil},
	} {
		for _, lang := range []string{"en", "zh-CN"} {
			t.Run(c.name+" "+lang, func(t *testing.T) {
				r := nw.doIn(t, c.party, c.method, c.path, c.body, lang)
				want(t, c.method+" "+c.path, r, 400, "invisible-character")
				checkLocalizedProblem(t, r, lang)
			})
		}
	}
}

// TestNameLookupLongEcho: a name that names nothing is quoted in the
// 404's detail, but at most its first 200 characters (no organization
// name is longer), then "…": a 10 KB value is not sent back whole. Before,
// it was (found by the route sweep).
func TestNameLookupLongEcho(t *testing.T) {
	nw := newNamesWorld(t)
	long := strings.Repeat("法", 10<<10)
	for _, c := range []struct {
		name, method, path string
		body               any
	}{
		{"share org", "POST", "/api/v1/shares", map[string]any{"matter": nw.matterW, "org": long}},
		{"share matter", "POST", "/api/v1/shares", map[string]any{"matter": long, "org": nw.court.ID}},
		{"path", "GET", "/api/v1/orgs/" + url.PathEscape(long) + "/audit", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			var body io.Reader
			if c.body != nil {
				b, _ := json.Marshal(c.body)
				body = bytes.NewReader(b)
			}
			req := httptest.NewRequest(c.method, c.path, body)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+nw.tokenOf["A"])
			r := httptest.NewRecorder()
			nw.s.e.ServeHTTP(r, req)
			want(t, c.name, r, 404, "not-found")
			var p wire.Problem
			mustDecode(t, r, &p)
			if !strings.Contains(p.Detail, strings.Repeat("法", 200)+"…") || strings.Contains(p.Detail, strings.Repeat("法", 201)) {
				t.Errorf("detail (%d bytes) does not quote the value's first 200 characters then …", len(p.Detail))
			}
		})
	}
}

// TestUnknownMatterTitleDetail: a matter title that names nothing, or
// several matters, is said in Chinese with the field named in Chinese,
// its JSON name beside it (案件（matter）“…”), as an organization's is;
// it was matter“…” before, an English word in the Chinese sentence.
func TestUnknownMatterTitleDetail(t *testing.T) {
	nw := newNamesWorld(t)
	for _, c := range []struct {
		title, slug string
		status      int
		en, zh      string
	}{
		{"No Such Matter", "not-found", 404, `matter "No Such Matter" is neither the ID nor the title`, "案件（matter）“No Such Matter”既不是您可查看的任何案件的 ID"},
		{"Zhang v. Li", "name-ambiguous", 409, `matter "Zhang v. Li" is the title of 2 matters`, "案件（matter）“Zhang v. Li”是 2 个案件的标题"},
	} {
		for lang, w := range map[string]string{"en": c.en, "zh-CN": c.zh} {
			b, _ := json.Marshal(map[string]any{"matter": c.title, "org": nw.court.ID})
			req := httptest.NewRequest("POST", "/api/v1/shares", bytes.NewReader(b))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+nw.tokenOf["A"])
			req.Header.Set("Accept-Language", lang)
			r := httptest.NewRecorder()
			nw.s.e.ServeHTTP(r, req)
			want(t, "POST /api/v1/shares "+c.title, r, c.status, c.slug)
			var p wire.Problem
			mustDecode(t, r, &p)
			if !strings.HasPrefix(p.Detail, w) {
				t.Errorf("POST /api/v1/shares {matter: %q} (%s): detail %q, want it to begin %q", c.title, lang, p.Detail, w)
			}
		}
	}
}

// TestNameSuggestions: a name or title that names nothing is answered 404
// with the closest names the caller may see (a typo, a space left out),
// in the detail ("Did you mean …?", in the caller's language) and in
// suggestions, with the request's field in field; never a name the
// caller may not list: this node's organizations only for an admin (GET
// /api/v1/orgs), the directory's for all, the caller's own; matters of
// the caller's own. Before, the 404 said nothing of them.
func TestNameSuggestions(t *testing.T) {
	nw := newNamesWorld(t)
	op, err := nw.s.orgs.CreateOrg(access.KindOperator, "Operator")
	if err != nil {
		t.Fatal(err)
	}
	if nw.tokenOf["O"], _, err = nw.s.orgs.CreateKey(op.ID, access.RoleAdmin, "admin", nil); err != nil {
		t.Fatal(err)
	}
	r := nw.do(t, "B", "POST", "/api/v1/matters", map[string]any{"title": "Secret Case"})
	want(t, "B's matter", r, 201, "")
	share := func(matter, org string) map[string]any { return map[string]any{"matter": matter, "org": org} }
	for _, c := range []struct {
		name, party, method, path string
		body                      any
		field                     string
		want                      []string // the suggestions' IDs
		en, zh                    string   // what the detail ends with
	}{
		{"directory typo", "A", "POST", "/api/v1/shares", share(nw.matterW, "Bejing Internet Court"), "org", []string{nw.remote},
			`Did you mean "Beijing Internet Court"?`, `您是不是要找“Beijing Internet Court”？`},
		{"space left out", "A", "POST", "/api/v1/shares", share(nw.matterW, "BeijingInternet court"), "org", []string{nw.remote}, "", ""},
		{"own organization", "A", "POST", "/api/v1/shares", share(nw.matterW, "Frim"), "org", []string{nw.org}, "", ""},
		{"local, not an admin", "A", "POST", "/api/v1/shares", share(nw.matterW, "Buyre"), "org", nil, "", ""},
		{"local, not listed", "A", "POST", "/api/v1/shares", share(nw.matterW, "Qiantang Notary Ofice"), "org", nil, "", ""},
		{"local, an admin", "O", "GET", "/api/v1/orgs/Buyre", nil, "id", []string{nw.orgB}, `Did you mean "Buyer"?`, `您是不是要找“Buyer”？`},
		{"two close", "A", "POST", "/api/v1/shares", share(nw.matterW, "Hangzhou Intermediat Court"), "org", []string{nw.hz1, nw.hz2},
			`Did you mean "Hangzhou Intermediate Court", "Hangzh0u Intermediate Court"?`, `您是不是要找“Hangzhou Intermediate Court”、“Hangzh0u Intermediate Court”？`},
		{"transfer", "A", "POST", "/api/v1/copyrights/" + nw.cr + "/transfers", map[string]any{"to": "Bejing Internet Court"}, "to", []string{nw.remote}, "", ""},
		{"matter", "A", "POST", "/api/v1/shares", share("Wang v Zhao", nw.court.ID), "matter", []string{nw.matterW},
			`Did you mean "Wang v. Zhao"?`, `您是不是要找“Wang v. Zhao”？`},
		{"another's matter", "A", "POST", "/api/v1/shares", share("Secret Cas", nw.court.ID), "matter", nil, "", ""},
		{"far from all", "A", "POST", "/api/v1/shares", share(nw.matterW, "Shenzhen Court"), "org", nil, "", ""},
	} {
		for _, lang := range []string{"en", "zh-CN"} {
			t.Run(c.name+" "+lang, func(t *testing.T) {
				r := nw.doIn(t, c.party, c.method, c.path, c.body, lang)
				want(t, c.method+" "+c.path, r, 404, "not-found")
				var p wire.Problem
				mustDecode(t, r, &p)
				var got []string
				for _, s := range p.Suggestions {
					got = append(got, s.ID)
				}
				if !slices.Equal(got, c.want) || p.Field != c.field {
					t.Errorf("suggestions %v, field %q; want %v, %q", got, p.Field, c.want, c.field)
				}
				if w := map[string]string{"en": c.en, "zh-CN": c.zh}[lang]; !strings.HasSuffix(p.Detail, w) {
					t.Errorf("detail %q, want it to end %q", p.Detail, w)
				}
				if len(c.want) == 0 && (strings.Contains(p.Detail, "Did you mean") || strings.Contains(p.Detail, "您是不是要找")) {
					t.Errorf("detail %q suggests a name", p.Detail)
				}
				for _, hidden := range []string{"Buyer", "Qiantang Notary Office", "Secret Case"} {
					if !slices.Contains(c.want, nw.orgB) && strings.Contains(r.Body.String(), hidden) {
						t.Errorf("answer %s names %q, which the caller may not list", r.Body, hidden)
					}
				}
			})
		}
	}
}

// TestEditDistance: one edit each for a letter changed, left out, added,
// or two swapped; past the limit, limit+1.
func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b  string
		limit int
		want  int
	}{
		{"test firm a", "test firm a", 2, 0},
		{"test frim a", "test firm a", 2, 1},
		{"test fir a", "test firm a", 2, 1},
		{"test firmm a", "test firm a", 2, 1},
		{"test fxrm b", "test firm a", 2, 2},
		{"杭州互联法院", "杭州互联网法院", 1, 1},
		{"abc", "xyz", 1, 2},
		{"a", "abcdef", 2, 3},
	} {
		if got := editDistance([]rune(c.a), []rune(c.b), c.limit); got != c.want {
			t.Errorf("editDistance(%q, %q, %d) = %d, want %d", c.a, c.b, c.limit, got, c.want)
		}
	}
}

// TestDirectoryNameSuggestions: GET /api/v1/directory?name= of a name the
// directory does not hold suggests its closest names (any caller may list
// the directory), never this node's organizations it does not list.
func TestDirectoryNameSuggestions(t *testing.T) {
	nw := newNamesWorld(t)
	for name, w := range map[string]string{"Bejing Internet Court": nw.remote, "Qiantang Notary Ofice": "", "Shenzhen Court": ""} {
		r := nw.do(t, "A", "GET", "/api/v1/directory?name="+url.QueryEscape(name), nil)
		want(t, "directory ?name="+name, r, 404, "not-found")
		var p wire.Problem
		mustDecode(t, r, &p)
		var got string
		for _, s := range p.Suggestions {
			got += s.ID
		}
		if got != w || (w != "") != strings.HasSuffix(p.Detail, `Did you mean "Beijing Internet Court"?`) || p.Field != "" {
			t.Errorf("directory ?name=%s: suggestions %+v, detail %q, field %q; want %q", name, p.Suggestions, p.Detail, p.Field, w)
		}
		if w != "" && p.Suggestions[0].Member != "m2" {
			t.Errorf("suggestion %+v, want its home member", p.Suggestions[0])
		}
	}
}
