package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence/copyright"
)

// TestCreateOrgOneOperator checks that an admin key cannot create a
// second operator organization (which would hold the admin role over
// every organization): the node's bootstrap operator is the only one.
func TestCreateOrgOneOperator(t *testing.T) {
	_, orgs := newTestOrgs(t)
	admin := operatorAdmin(t, orgs)
	ev := &auditEvidence{}
	s, err := New(withEvidence(ev, Config{Access: orgs, TSA: http.NotFoundHandler()}))
	if err != nil {
		t.Fatal(err)
	}
	post := func(kind string) (*httptest.ResponseRecorder, map[string]any) {
		req := httptest.NewRequest("POST", "/api/v1/orgs", strings.NewReader(`{"kind":"`+kind+`","name":"Another operator"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+admin)
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		var body map[string]any
		json.Unmarshal(rec.Body.Bytes(), &body)
		return rec, body
	}
	rec, body := post(access.KindOperator)
	if rec.Code != http.StatusUnprocessableEntity || rec.Header().Get("Content-Type") != "application/problem+json" ||
		!strings.Contains(body["detail"].(string), "one operator organization") {
		t.Fatalf("POST /api/v1/orgs kind operator = %d %s %s, want 422 problem+json", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	all, _ := orgs.Orgs()
	if len(all) != 1 || len(ev.events) != 0 {
		t.Errorf("after the refusal: %d organizations, %d audit events; want 1 and 0", len(all), len(ev.events))
	}
	if rec, _ := post(access.KindLawFirm); rec.Code != http.StatusCreated {
		t.Errorf("POST /api/v1/orgs kind lawfirm = %d %s, want 201", rec.Code, rec.Body)
	}
}

// TestUnlistedByDefault follows an organization's default through every
// ingest path of the API: an upload without "unlisted" takes it, one that
// says "unlisted" either way keeps what it says, and a copyright
// registration's files take it too; the view shows the effective value.
func TestUnlistedByDefault(t *testing.T) {
	w := newUploadWorld(t)
	upload := func(t *testing.T, meta string) wire.EvidenceView {
		t.Helper()
		var hdr []string
		if meta != "" {
			hdr = []string{wire.MetadataHeader, meta}
		}
		r := w.upload(t, strings.NewReader("bytes "+meta), "text/plain", hdr...)
		var v wire.EvidenceView
		if r.Code != http.StatusCreated || json.Unmarshal(r.Body.Bytes(), &v) != nil {
			t.Fatalf("upload(%s) = %d %s", meta, r.Code, r.Body)
		}
		if !strings.Contains(r.Body.String(), fmt.Sprintf(`"unlisted":%t`, v.Unlisted)) {
			t.Errorf("upload(%s) view %s does not show unlisted", meta, r.Body)
		}
		return v
	}
	registerFile := func(t *testing.T, data string) bool {
		t.Helper()
		body, ct := fileForm(t, testWork, formFile{"a.txt", "text/plain", []byte(data)})
		r := w.post(t, "/api/v1/copyrights", body, ct)
		var c copyright.Copyright
		if r.Code != http.StatusCreated || json.Unmarshal(r.Body.Bytes(), &c) != nil || len(c.Items) != 1 {
			t.Fatalf("register = %d %s", r.Code, r.Body)
		}
		rec, err := w.ev.Get(context.Background(), c.Items[0])
		if err != nil {
			t.Fatal(err)
		}
		return rec.IsUnlisted()
	}
	check := func(t *testing.T, def bool) {
		for _, c := range []struct {
			meta string
			want bool
		}{
			{"", def},
			{`{"title":"t"}`, def},
			{`{"unlisted":true}`, true},
			{`{"unlisted":false}`, false},
		} {
			v := upload(t, c.meta)
			if v.Unlisted != c.want {
				t.Errorf("upload(%q) with unlisted_by_default %v: unlisted = %v, want %v", c.meta, def, v.Unlisted, c.want)
			}
			rec, err := w.ev.Get(context.Background(), v.ID)
			if err != nil || rec.IsUnlisted() != c.want || rec.Unlisted != nil && !*rec.Unlisted {
				t.Errorf("stored record of upload(%q): %+v, %v", c.meta, rec.Unlisted, err)
			}
		}
		if got := registerFile(t, fmt.Sprint("registered ", def)); got != def {
			t.Errorf("copyright file with unlisted_by_default %v: unlisted = %v", def, got)
		}
	}
	t.Run("listed by default", func(t *testing.T) { check(t, false) })
	on := true
	if _, _, err := w.orgs.UpdateOrg(w.org, access.OrgPatch{UnlistedByDefault: &on}); err != nil {
		t.Fatal(err)
	}
	t.Run("unlisted by default", func(t *testing.T) { check(t, true) })
}

// TestUpdateOrg checks PATCH /api/v1/orgs/{id}: admin only, audited once
// per change, names free in the directory, bad input refused.
func TestUpdateOrg(t *testing.T) {
	_, orgs := newTestOrgs(t)
	op, _ := orgs.CreateOrg(access.KindOperator, "Operator")
	admin, _, _ := orgs.CreateKey(op.ID, access.RoleAdmin, "admin", nil)
	firm, _ := orgs.CreateOrg(access.KindLawFirm, "Firm")
	submitter, _, _ := orgs.CreateKey(firm.ID, access.RoleSubmitter, "filing", nil)
	dir := &fakeDirectory{entries: map[string]anchor.DirEntry{
		"holder": {ID: "holder", Kind: access.KindLawFirm, Name: "ACME Law", Member: "m2", Height: 3},
	}}
	ev := &auditEvidence{}
	call := orgCaller(t, orgs, dir, ev)
	path := "/api/v1/orgs/" + firm.ID
	wantProblem(t, call("PATCH", path, submitter, `{"unlisted_by_default":true}`), http.StatusForbidden, "forbidden")
	for name, body := range map[string]string{
		"empty":         `{}`,
		"unknown field": `{"kind":"court"}`,
		"wrong type":    `{"unlisted_by_default":"yes"}`,
		"empty name":    `{"name":"  "}`,
	} {
		if r := call("PATCH", path, admin, body); r.Code != http.StatusUnprocessableEntity && r.Code != http.StatusBadRequest {
			t.Errorf("PATCH %s (%s) = %d %s, want 4xx", path, name, r.Code, r.Body)
		}
	}
	wantProblem(t, call("PATCH", "/api/v1/orgs/nope", admin, `{"unlisted_by_default":true}`), http.StatusNotFound, "not-found")
	wantProblem(t, call("PATCH", path, admin, `{"name":"acme  LAW"}`), http.StatusConflict, "name-taken")
	if len(ev.events) != 0 {
		t.Fatalf("refused patches recorded %d audit events", len(ev.events))
	}
	r := call("PATCH", path, admin, `{"unlisted_by_default":true,"name":"Firm LLP"}`)
	var v wire.OrgView
	if r.Code != http.StatusOK || json.Unmarshal(r.Body.Bytes(), &v) != nil || !v.UnlistedByDefault || v.Name != "Firm LLP" ||
		v.Directory == nil || v.Directory.Status != wire.DirectoryPending {
		t.Fatalf("PATCH = %d %s", r.Code, r.Body)
	}
	want := []custody.Event{
		{Evidence: firm.ID, Type: custody.AuditOrgRenamed, Subject: "name:Firm LLP"},
		{Evidence: firm.ID, Type: custody.AuditOrgUpdated, Subject: "unlisted_by_default:true"},
	}
	for i := range ev.events {
		ev.events[i].Actor = ""
	}
	if !reflect.DeepEqual(ev.events, want) {
		t.Errorf("audit events = %+v, want %+v", ev.events, want)
	}
	// The same values again change and record nothing.
	if r := call("PATCH", path, admin, `{"unlisted_by_default":true,"name":"Firm LLP"}`); r.Code != http.StatusOK || len(ev.events) != 2 {
		t.Errorf("PATCH again = %d, %d audit events; want 200 and still 2", r.Code, len(ev.events))
	}
	// Created with the setting: org.created, then org.updated.
	r = call("POST", "/api/v1/orgs", admin, `{"kind":"court","name":"Court","unlisted_by_default":true}`)
	if r.Code != http.StatusCreated || json.Unmarshal(r.Body.Bytes(), &v) != nil || !v.UnlistedByDefault {
		t.Fatalf("POST /api/v1/orgs = %d %s", r.Code, r.Body)
	}
	if got := ev.last(); got.Evidence != v.ID || got.Type != custody.AuditOrgUpdated || len(ev.events) != 4 {
		t.Errorf("after creation: %d events, last %+v", len(ev.events), got)
	}
}

// orgCaller serves the API over orgs and dir, recording audit events in
// ev, and returns a function that sends it a JSON request with a token.
func orgCaller(t *testing.T, orgs *access.Store, dir Directory, ev *auditEvidence) func(method, path, token, body string) *httptest.ResponseRecorder {
	t.Helper()
	s, err := New(withEvidence(ev, Config{Access: orgs, TSA: http.NotFoundHandler(), Directory: dir}))
	if err != nil {
		t.Fatal(err)
	}
	return func(method, path, token, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		return rec
	}
}

// fakeDirectory is a consortium directory in memory, by ID.
type fakeDirectory struct{ entries map[string]anchor.DirEntry }

func (d *fakeDirectory) Org(id string) (anchor.DirEntry, bool, error) {
	e, ok := d.entries[id]
	return e, ok, nil
}

func (d *fakeDirectory) OrgByName(name string) (anchor.DirEntry, bool, error) {
	for _, e := range d.entries {
		if anchor.NameKey(e.Name) == anchor.NameKey(name) {
			return e, true, nil
		}
	}
	return anchor.DirEntry{}, false, nil
}

func (d *fakeDirectory) Orgs() ([]anchor.DirEntry, error) {
	out := make([]anchor.DirEntry, 0, len(d.entries))
	for _, e := range d.entries {
		out = append(out, e)
	}
	slices.SortFunc(out, func(x, y anchor.DirEntry) int { return strings.Compare(x.ID, y.ID) })
	return out, nil
}

// TestOrgNameConfusable checks that a node refuses an organization name
// that looks like another's (the same TS #39 skeleton, another NameKey),
// in the directory or on this node, at creation and at renaming; the same
// name in other letter case stays name-taken.
func TestOrgNameConfusable(t *testing.T) {
	_, orgs := newTestOrgs(t)
	op, _ := orgs.CreateOrg(access.KindOperator, "Operator")
	admin, _, _ := orgs.CreateKey(op.ID, access.RoleAdmin, "admin", nil)
	firm, _ := orgs.CreateOrg(access.KindLawFirm, "Firm")
	local, _ := orgs.CreateOrg(access.KindNotary, "Qiantang Notary Office")
	dir := &fakeDirectory{entries: map[string]anchor.DirEntry{
		"court": {ID: "court", Kind: access.KindCourt, Name: "Hangzhou Internet Court", Member: "m2", Height: 3},
	}}
	ev := &auditEvidence{}
	asAdmin := orgCaller(t, orgs, dir, ev)
	call := func(method, path, body string) *httptest.ResponseRecorder { return asAdmin(method, path, admin, body) }
	before, _ := orgs.Orgs()
	for _, c := range []struct {
		name, method, path, body string
		status                   int
		slug, detail             string
	}{
		{"create, digit zero", "POST", "/api/v1/orgs", `{"kind":"court","name":"Hangzh0u Internet Court"}`, http.StatusConflict, "name-confusable", `"Hangzhou Internet Court" (ID court, home member m2)`},
		{"create, Cyrillic o", "POST", "/api/v1/orgs", `{"kind":"court","name":"Hangzhоu Internet Court"}`, http.StatusConflict, "name-confusable", "ID court"},
		{"create, same name in capitals", "POST", "/api/v1/orgs", `{"kind":"court","name":"HANGZHOU  internet court"}`, http.StatusConflict, "name-taken", "ID court"},
		{"create, like a local organization", "POST", "/api/v1/orgs", `{"kind":"notary","name":"Qiantang Nоtary 0ffice"}`, http.StatusConflict, "name-confusable", "ID " + local.ID + ", home member this node"},
		{"rename, digit zero", "PATCH", "/api/v1/orgs/" + firm.ID, `{"name":"Hangzh0u Internet Court"}`, http.StatusConflict, "name-confusable", "ID court"},
		{"rename, same name in capitals", "PATCH", "/api/v1/orgs/" + firm.ID, `{"name":"hangzhou internet COURT"}`, http.StatusConflict, "name-taken", "ID court"},
		{"rename, like a local organization", "PATCH", "/api/v1/orgs/" + firm.ID, `{"name":"Qiantang Notary 0ffice"}`, http.StatusConflict, "name-confusable", "ID " + local.ID},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := call(c.method, c.path, c.body)
			wantProblem(t, r, c.status, c.slug)
			if !strings.Contains(r.Body.String(), strings.ReplaceAll(c.detail, `"`, `\"`)) {
				t.Errorf("%s %s %s: detail %s, want it to name %s", c.method, c.path, c.body, r.Body, c.detail)
			}
		})
	}
	if after, _ := orgs.Orgs(); len(after) != len(before) || len(ev.events) != 0 {
		t.Fatalf("refused requests left %d organizations (had %d) and %d audit events", len(after), len(before), len(ev.events))
	}
	// An organization's own look-alike spelling is a rename, not a conflict
	// with itself; a name that only shares words is free.
	if r := call("PATCH", "/api/v1/orgs/"+local.ID, `{"name":"Qiantang Notary 0ffice"}`); r.Code != http.StatusOK {
		t.Errorf("renaming an organization to a look-alike of its own name = %d %s, want 200", r.Code, r.Body)
	}
	if r := call("POST", "/api/v1/orgs", `{"kind":"court","name":"Hangzhou Intermediate Court"}`); r.Code != http.StatusCreated {
		t.Errorf("POST a different name = %d %s, want 201", r.Code, r.Body)
	}
}

// TestDirectoryStatus checks the decision behind an organization's
// directory status: registered as it is, pending, or in conflict.
func TestDirectoryStatus(t *testing.T) {
	dir := &fakeDirectory{entries: map[string]anchor.DirEntry{
		"mine":   {ID: "mine", Kind: access.KindCourt, Name: "Court", Member: "m1", Height: 7},
		"holder": {ID: "holder", Kind: access.KindLawFirm, Name: "ACME Law", Member: "m2", Height: 3},
	}}
	for _, c := range []struct {
		name string
		org  access.Org
		want *wire.OrgDirectory
	}{
		{"registered", access.Org{ID: "mine", Kind: access.KindCourt, Name: "Court"}, &wire.OrgDirectory{Status: wire.DirectoryRegistered, Height: 7}},
		{"renamed", access.Org{ID: "mine", Kind: access.KindCourt, Name: "Court of Appeal"}, &wire.OrgDirectory{Status: wire.DirectoryPending}},
		{"new", access.Org{ID: "new", Kind: access.KindCourt, Name: "Other"}, &wire.OrgDirectory{Status: wire.DirectoryPending}},
		{"conflict", access.Org{ID: "new", Kind: access.KindLawFirm, Name: "acme law"}, &wire.OrgDirectory{Status: wire.DirectoryConflict, Holder: "holder", HolderMember: "m2"}},
		{"renamed into a conflict", access.Org{ID: "mine", Kind: access.KindCourt, Name: "ACME Law"}, &wire.OrgDirectory{Status: wire.DirectoryConflict, Holder: "holder", HolderMember: "m2"}},
		{"operator", access.Org{ID: "op", Kind: access.KindOperator, Name: "ACME Law"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := DirectoryStatus(dir, c.org)
			if err != nil || !reflect.DeepEqual(got, c.want) {
				t.Errorf("DirectoryStatus(%+v) = %+v, %v; want %+v", c.org, got, err, c.want)
			}
		})
	}
}

// TestAdminActsAuditFails checks that an administrative act whose audit
// event cannot be written is not applied: no organization or key is
// created, no name changed, no key revoked, and the answer is a 500
// problem. Each act and its audit event are one transaction.
func TestAdminActsAuditFails(t *testing.T) {
	_, orgs := newTestOrgs(t)
	op, _ := orgs.CreateOrg(access.KindOperator, "Operator")
	admin, _, _ := orgs.CreateKey(op.ID, access.RoleAdmin, "admin", nil)
	firm, _ := orgs.CreateOrg(access.KindLawFirm, "Firm")
	_, victim, _ := orgs.CreateKey(firm.ID, access.RoleSubmitter, "filing", nil)
	ev := &auditEvidence{}
	s, err := New(withEvidence(ev, Config{Access: orgs, TSA: http.NotFoundHandler()}))
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+admin)
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		return rec
	}
	ev.fail = true
	for _, tt := range []struct {
		name, method, path, body string
		applied                  func() bool
	}{
		{"create org", "POST", "/api/v1/orgs", `{"kind":"court","name":"Court","unlisted_by_default":true}`, func() bool {
			all, _ := orgs.Orgs()
			return len(all) != 2
		}},
		{"rename org", "PATCH", "/api/v1/orgs/" + firm.ID, `{"name":"Renamed"}`, func() bool {
			o, _ := orgs.Org(firm.ID)
			return o.Name != "Firm"
		}},
		{"unlist org", "PATCH", "/api/v1/orgs/" + firm.ID, `{"unlisted_by_default":true}`, func() bool {
			o, _ := orgs.Org(firm.ID)
			return o.UnlistedByDefault
		}},
		{"create key", "POST", "/api/v1/orgs/" + firm.ID + "/keys", `{"role":"viewer","name":"v"}`, func() bool {
			ks, _ := orgs.Keys(firm.ID)
			return len(ks) != 1
		}},
		{"revoke key", "DELETE", "/api/v1/keys/" + victim.ID, "", func() bool {
			k, _ := orgs.Key(victim.ID)
			return k.RevokedAt != nil
		}},
	} {
		rec := do(tt.method, tt.path, tt.body)
		if rec.Code != http.StatusInternalServerError || problemSlug(t, rec.Body.Bytes()) != "internal" {
			t.Errorf("%s with the audit failing = %d %s, want 500 internal", tt.name, rec.Code, rec.Body)
		}
		if tt.applied() {
			t.Errorf("%s with the audit failing: applied without its audit event", tt.name)
		}
	}
	if len(ev.events) != 0 {
		t.Errorf("audit events = %+v, want none", ev.events)
	}
	ev.fail = false
	if rec := do("DELETE", "/api/v1/keys/"+victim.ID, ""); rec.Code != 200 || ev.last().Type != custody.AuditKeyRevoked {
		t.Errorf("revoke once the audit works = %d %s, last event %+v", rec.Code, rec.Body, ev.last())
	}
	if rec := do("DELETE", "/api/v1/keys/"+victim.ID, ""); rec.Code != 200 || len(ev.events) != 1 {
		t.Errorf("revoke again = %d, %d audit events; want 200 and no second key.revoked", rec.Code, len(ev.events))
	}
}
