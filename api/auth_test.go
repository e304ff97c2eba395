package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/api/wire"
	prob "github.com/custos-project/custos/internal/problem"
)

// TestRoleForbiddenNeeds checks the 403 of a role without the permission
// an operation needs: type, title and status as before, a detail in the
// client's language that names the permission and the roles a key of the
// caller's organization may hold that grant it, and the needed member.
func TestRoleForbiddenNeeds(t *testing.T) {
	_, orgs := newTestOrgs(t)
	op, _ := orgs.CreateOrg(access.KindOperator, "Operator")
	opViewer, _, _ := orgs.CreateKey(op.ID, access.RoleViewer, "viewer", nil)
	firm, _ := orgs.CreateOrg(access.KindLawFirm, "Firm")
	firmViewer, _, _ := orgs.CreateKey(firm.ID, access.RoleViewer, "viewer", nil)
	firmSubmitter, _, _ := orgs.CreateKey(firm.ID, access.RoleSubmitter, "filing", nil)
	s, err := New(withEvidence(&auditEvidence{}, Config{Access: orgs, TSA: http.NotFoundHandler(), Directory: &fakeDirectory{}}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, method, path, token, lang string
		want                            wire.Needed
		detail                          string
	}{
		{"file, en", "POST", "/api/v1/matters", firmViewer, "",
			wire.Needed{Permission: "file", Roles: []string{"admin", "submitter"}},
			"Your key's role (viewer) does not allow this: it needs the file permission, which these roles give a key of your organization: submitter. Ask your node's operator for a key with one of them."},
		{"file, zh", "POST", "/api/v1/matters", firmViewer, "zh-CN",
			wire.Needed{Permission: "file", Roles: []string{"admin", "submitter"}},
			"您的密钥角色（viewer）无权执行此操作：此操作需要 file 权限，本机构的密钥具有以下任一角色即有此权限：submitter。请向本节点的运营机构申请具有其中一种角色的密钥。"},
		{"file, operator's key", "POST", "/api/v1/matters", opViewer, "zh-CN",
			wire.Needed{Permission: "file", Roles: []string{"admin", "submitter"}},
			"您的密钥角色（viewer）无权执行此操作：此操作需要 file 权限，本机构的密钥具有以下任一角色即有此权限：admin、submitter。请向本节点的运营机构申请具有其中一种角色的密钥。"},
		{"certify", "POST", "/api/v1/certificates", firmSubmitter, "en",
			wire.Needed{Permission: "certify", Roles: []string{"admin", "notary"}},
			"Your key's role (submitter) does not allow this: it needs the certify permission, which these roles give a key of your organization: notary. Ask your node's operator for a key with one of them."},
		{"admin, en", "GET", "/api/v1/orgs", firmSubmitter, "en",
			wire.Needed{Permission: "admin", Roles: []string{"admin"}},
			"Your key's role (submitter) does not allow this: it needs the admin permission, which only keys of the node operator's organization may have (admin). Ask the operator to do it."},
		{"admin, zh", "GET", "/api/v1/orgs", firmSubmitter, "zh",
			wire.Needed{Permission: "admin", Roles: []string{"admin"}},
			"您的密钥角色（submitter）无权执行此操作：此操作需要 admin 权限，只有本节点运营机构的密钥才可能具有该权限（admin）。请联系运营机构办理。"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(`{}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tc.token)
			req.Header.Set("Accept-Language", tc.lang)
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			var p wire.Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || rec.Code != http.StatusForbidden ||
				p.Type != ProblemBase+"forbidden" || p.Status != http.StatusForbidden {
				t.Fatalf("%s %s = %d %s, want 403 forbidden", tc.method, tc.path, rec.Code, rec.Body)
			}
			if p.Detail != tc.detail {
				t.Errorf("detail = %q, want %q", p.Detail, tc.detail)
			}
			if p.Needed == nil || p.Needed.Permission != tc.want.Permission || !slices.Equal(p.Needed.Roles, tc.want.Roles) {
				t.Errorf("needed = %+v, want %+v", p.Needed, tc.want)
			}
		})
	}
}

// TestErrRoleFromTable checks errRole against the role table for every
// role, permission and organization kind: the needed roles are exactly
// those that grant the permission, and the detail names each one a key
// of the organization may hold (or, when none may, all of them).
func TestErrRoleFromTable(t *testing.T) {
	perms := []access.Permission{access.PermAdmin, access.PermFile, access.PermRead, access.PermShare, access.PermWebhooks, access.PermCertify}
	for _, kind := range access.Kinds {
		for _, role := range access.Roles {
			for _, perm := range perms {
				if role.Can(perm) {
					continue
				}
				p := &access.Principal{Key: access.Key{Role: role}, Org: access.Org{Kind: kind}}
				e := errRole(p, perm)
				var want []string
				for _, r := range access.Roles {
					if r.Can(perm) {
						want = append(want, string(r))
					}
				}
				if e.Needed == nil || e.Needed.Permission != string(perm) || !slices.Equal(e.Needed.Roles, want) {
					t.Errorf("errRole(%s of %s, %s).Needed = %+v, want %s %v", role, kind, perm, e.Needed, perm, want)
				}
				held := 0
				for _, r := range want {
					if access.Role(r).HeldBy(kind) {
						held++
						if !strings.Contains(e.detail.In(prob.English), r) {
							t.Errorf("errRole(%s of %s, %s) detail %q does not name %s", role, kind, perm, e.Detail, r)
						}
					}
				}
				if op := e.detail.ID == "role-forbidden-operator"; op != (held == 0) {
					t.Errorf("errRole(%s of %s, %s) detail %s, with %d roles the organization may hold", role, kind, perm, e.detail.ID, held)
				}
			}
		}
	}
}

// TestUnauthorizedSaysWhatNext: a token that is not valid, or a key
// revoked, is refused with a detail that says what to do next (ask the
// node's operator for a new key), in the client's language. It said only
// "This key has been revoked." before, which left a clerk with a saved
// login at a loss.
func TestUnauthorizedSaysWhatNext(t *testing.T) {
	_, orgs := newTestOrgs(t)
	firm, _ := orgs.CreateOrg(access.KindLawFirm, "Firm")
	revoked, k, _ := orgs.CreateKey(firm.ID, access.RoleSubmitter, "filing", nil)
	if _, err := orgs.RevokeKey(k.ID); err != nil {
		t.Fatal(err)
	}
	s, err := New(withEvidence(&auditEvidence{}, Config{Access: orgs, TSA: http.NotFoundHandler(), Directory: &fakeDirectory{}}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ token, lang, detail string }{
		{revoked, "en", "This key has been revoked: ask your node's operator for a new key."},
		{revoked, "zh-CN", "此密钥已被撤销：请向本节点的运营机构申请新的密钥。"},
		{"cst_x", "en", "The token is not valid: check that it was copied whole, or ask your node's operator for a new key."},
		{"cst_x", "zh-CN", "令牌无效：请检查是否完整复制，或向本节点的运营机构申请新的密钥。"},
	} {
		req := httptest.NewRequest("GET", "/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+tc.token)
		req.Header.Set("Accept-Language", tc.lang)
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		var p wire.Problem
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || rec.Code != http.StatusUnauthorized || p.Detail != tc.detail {
			t.Errorf("GET /api/v1/me with %q (%s) = %d %s, want 401 with detail %q", tc.token, tc.lang, rec.Code, rec.Body, tc.detail)
		}
	}
}
