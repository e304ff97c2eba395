package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/certs"
	prob "github.com/custos-project/custos/internal/problem"
)

// fakeGov is a chain's governance that records what it is sent and
// answers with refuse (nil: accepted, and recorded in block 7).
type fakeGov struct {
	refuse error
	sent   [][]byte
	other  string // if set, p1 was recorded as this member's proposal
}

func (g *fakeGov) Height() int64     { return 9 }
func (g *fakeGov) StateVersion() int { return anchor.StateV9 }
func (g *fakeGov) Members() ([]anchor.Member, error) {
	m := anchor.Member{ID: strings.Repeat("ab", 32), Name: "Court", Kind: "court", Power: 10, Place: 1}
	for _, raw := range g.sent {
		if t, err := anchor.DecodeTx(raw); err == nil && t.Kind == anchor.KindRevokeGov {
			sum := t.RevokedHash()
			m.RevokedGov = append(m.RevokedGov, anchor.RevokedCert{SHA256: hex.EncodeToString(sum[:]), TBS: anchor.TBSSHA256(t.Revoked), Revoked: 7})
		}
	}
	return []anchor.Member{m}, nil
}
func (g *fakeGov) Proposals() ([]anchor.ProposalState, error) {
	p, _, err := g.Proposal("p1")
	return []anchor.ProposalState{p}, err
}
func (g *fakeGov) Proposal(id string) (anchor.ProposalState, bool, error) {
	if id != "p1" || len(g.sent) == 0 {
		return anchor.ProposalState{}, false, nil
	}
	proposer := strings.Repeat("ab", 32)
	if g.other != "" {
		proposer = g.other
	}
	return anchor.ProposalState{ID: "p1", Proposer: proposer, Action: "power", Target: "01" + strings.Repeat("00", 31), Power: 20, Expires: 100,
		Height: 7, Status: anchor.StatusOpen, Votes: []anchor.GovVote{{Member: strings.Repeat("ab", 32), Yes: true, Height: 8}}}, true, nil
}
func (g *fakeGov) SubmitGovernance(_ context.Context, raw []byte) error {
	if g.refuse != nil {
		return g.refuse
	}
	g.sent = append(g.sent, raw)
	return nil
}

// govTxs returns a signed proposal "p1" and a signed vote on it.
func govTxs(t *testing.T) (propose, vote []byte) {
	t.Helper()
	now := time.Now()
	root, err := certs.NewRoot("Root", now)
	if err != nil {
		t.Fatal(err)
	}
	org, err := root.NewOrgCA("court", "Court", now)
	if err != nil {
		t.Fatal(err)
	}
	gov, err := org.IssueGovernance("Court governance", now)
	if err != nil {
		t.Fatal(err)
	}
	member := strings.Repeat("ab", 32)
	p := anchor.Proposal{ID: "p1", Expires: 100, Action: anchor.ActPower, Power: 20}
	p.Target[0] = 1
	if propose, err = anchor.NewProposeTx("c", gov.Cert, org.Cert, gov.Signer, member, p); err != nil {
		t.Fatal(err)
	}
	if vote, err = anchor.NewVoteTx("c", gov.Cert, org.Cert, gov.Signer, member, "p1", true); err != nil {
		t.Fatal(err)
	}
	return propose, vote
}

// govRevocation returns a signed revocation of a governance certificate
// by its organization CA, and the certificate's SHA-256 (hex).
func govRevocation(t *testing.T) ([]byte, string) {
	t.Helper()
	now := time.Now()
	root, err := certs.NewRoot("Root", now)
	if err != nil {
		t.Fatal(err)
	}
	org, err := root.NewOrgCA("court", "Court", now)
	if err != nil {
		t.Fatal(err)
	}
	gov, err := org.IssueGovernance("Court governance", now)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := anchor.NewRevokeGovTx("c", org.Cert, org.Signer, strings.Repeat("ab", 32), gov.Cert)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(gov.Cert.Raw)
	return raw, hex.EncodeToString(sum[:])
}

// TestGovernanceRevocationAPI: POST /api/v1/consortium/revocations takes
// a revocation (202 with the height that recorded it) and nothing else;
// the chain's refusals are 4xx problems naming the reason, and a
// proposal or vote signed with a revoked certificate (code 8) is 403
// governance-cert-revoked.
func TestGovernanceRevocationAPI(t *testing.T) {
	propose, vote := govTxs(t)
	revoke, sum := govRevocation(t)
	const path = "/api/v1/consortium/revocations"
	for _, c := range []struct {
		name, path string
		body       []byte
		refuse     error
		status     int
		slug       string
	}{
		{"accepted", path + "?wait=1s", revoke, nil, 202, ""},
		{"a proposal", path, propose, nil, 400, "malformed-tx"},
		{"trailing byte", path, append(bytes.Clone(revoke), 0), nil, 400, "malformed-tx"},
		{"as a proposal", "/api/v1/consortium/proposals", revoke, nil, 400, "malformed-tx"},
		{"not the member's CA", path, revoke, &anchor.TxError{Code: anchor.CodeNotMember, Log: "x"}, 403, "not-a-member"},
		{"revoked already", path, revoke, &anchor.TxError{Code: anchor.CodeDuplicate, Log: "x"}, 409, "governance-duplicate"},
		{"before state version 10", path, revoke, &anchor.TxError{Code: anchor.CodeVersion, Log: "x"}, 409, "no-revocation"},
		{"a vote by a revoked certificate", "/api/v1/consortium/proposals/p1/votes", vote, &anchor.TxError{Code: anchor.CodeRevoked, Log: "x"}, 403, "governance-cert-revoked"},
		// Review of state version 10: bad input is 4xx, never 500.
		{"garbage", path, []byte("CSTX garbage"), nil, 400, "malformed-tx"},
		{"empty", path, nil, nil, 400, "malformed-tx"},
		{"a vote", path, vote, nil, 400, "malformed-tx"},
		{"as a vote", "/api/v1/consortium/proposals/p1/votes", revoke, nil, 400, "malformed-tx"},
		{"bad wait", path + "?wait=soon", revoke, nil, 400, "bad-parameter"},
		{"chain malformed", path, revoke, &anchor.TxError{Code: anchor.CodeMalformed, Log: "x"}, 400, "malformed-tx"},
		{"too large", path, append(bytes.Clone(revoke), make([]byte, 64<<10)...), nil, 413, "too-large"},
		{"a proposal by a revoked certificate", "/api/v1/consortium/proposals", propose, &anchor.TxError{Code: anchor.CodeRevoked, Log: "x"}, 403, "governance-cert-revoked"},
	} {
		t.Run(c.name, func(t *testing.T) {
			gov := &fakeGov{refuse: c.refuse}
			s := newRouteTestServer(t)
			s.governanceRoutes(s.e, gov)
			req := httptest.NewRequest("POST", c.path, bytes.NewReader(c.body))
			req.Header.Set("Content-Type", "application/octet-stream")
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != c.status {
				t.Fatalf("POST %s = %d %s, want %d", c.path, rec.Code, rec.Body, c.status)
			}
			if c.slug != "" {
				var p Problem
				if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Type != ProblemBase+c.slug {
					t.Errorf("POST %s: problem %+v (%v), want %s", c.path, p, err, c.slug)
				}
				return
			}
			var a wire.RevocationAccepted
			if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil || a.CertSHA256 != sum || a.Member != strings.Repeat("ab", 32) || a.Height != 7 {
				t.Errorf("answer %s (%v), want the revocation recorded at 7", rec.Body, err)
			}
		})
	}
}

// TestGovernanceAPI: each way a proposal or vote can be wrong or refused
// is a 4xx problem naming the reason, never a 500; a good one is 202 with
// the height that recorded it.
func TestGovernanceAPI(t *testing.T) {
	propose, vote := govTxs(t)
	jsonBody, _ := json.Marshal(wire.GovernanceTx{Tx: propose})
	for _, c := range []struct {
		name, method, path, ctype string
		body                      []byte
		refuse                    error
		status                    int
		slug                      string
	}{
		{"members", "GET", "/api/v1/consortium/members", "", nil, nil, 200, ""},
		{"bad status", "GET", "/api/v1/consortium/proposals?status=maybe", "", nil, nil, 400, "bad-parameter"},
		{"unknown proposal", "GET", "/api/v1/consortium/proposals/nope", "", nil, nil, 404, "no-proposal"},
		{"garbage", "POST", "/api/v1/consortium/proposals", "application/octet-stream", []byte("CSTX garbage"), nil, 400, "malformed-tx"},
		{"trailing byte", "POST", "/api/v1/consortium/proposals", "application/octet-stream", append(bytes.Clone(propose), 0), nil, 400, "malformed-tx"},
		{"text body", "POST", "/api/v1/consortium/proposals", "text/plain", propose, nil, 415, "unsupported-media-type"},
		{"vote as proposal", "POST", "/api/v1/consortium/proposals", "application/octet-stream", vote, nil, 400, "malformed-tx"},
		{"proposal as vote", "POST", "/api/v1/consortium/proposals/p1/votes", "application/octet-stream", propose, nil, 400, "malformed-tx"},
		{"vote on another", "POST", "/api/v1/consortium/proposals/p2/votes", "application/octet-stream", vote, nil, 400, "malformed-tx"},
		{"empty json", "POST", "/api/v1/consortium/proposals", "application/json", []byte(`{}`), nil, 400, "malformed-tx"},
		{"bad wait", "POST", "/api/v1/consortium/proposals?wait=soon", "application/octet-stream", propose, nil, 400, "bad-parameter"},
		{"not member", "POST", "/api/v1/consortium/proposals", "application/octet-stream", propose, &anchor.TxError{Code: anchor.CodeNotMember, Log: "x"}, 403, "not-a-member"},
		{"duplicate", "POST", "/api/v1/consortium/proposals/p1/votes", "application/octet-stream", vote, &anchor.TxError{Code: anchor.CodeDuplicate, Log: "x"}, 409, "governance-duplicate"},
		{"stale", "POST", "/api/v1/consortium/proposals/p1/votes", "application/octet-stream", vote, &anchor.TxError{Code: anchor.CodeStale, Log: "x"}, 409, "proposal-closed"},
		{"old chain", "POST", "/api/v1/consortium/proposals", "application/octet-stream", propose, &anchor.TxError{Code: anchor.CodeVersion, Log: "x"}, 409, "no-governance"},
		{"refused", "POST", "/api/v1/consortium/proposals", "application/octet-stream", propose, &anchor.TxError{Code: anchor.CodeRefused, Log: "x"}, 422, "change-refused"},
		{"vote of another version", "POST", "/api/v1/consortium/proposals/p1/votes", "application/octet-stream", vote, &anchor.TxError{Code: anchor.CodeVersion, Log: "x"}, 409, "vote-version"},
		{"vote naming another proposal", "POST", "/api/v1/consortium/proposals/p1/votes", "application/octet-stream", vote, &anchor.TxError{Code: anchor.CodeRefused, Log: "x"}, 422, "change-refused"},
		{"chain malformed", "POST", "/api/v1/consortium/proposals", "application/octet-stream", propose, &anchor.TxError{Code: anchor.CodeMalformed, Log: "x"}, 400, "malformed-tx"},
		{"accepted raw", "POST", "/api/v1/consortium/proposals?wait=1s", "application/octet-stream", propose, nil, 202, ""},
		{"accepted json", "POST", "/api/v1/consortium/proposals?wait=1s", "application/json", jsonBody, nil, 202, ""},
		{"vote accepted", "POST", "/api/v1/consortium/proposals/p1/votes?wait=1s", "application/octet-stream", vote, nil, 202, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			gov := &fakeGov{refuse: c.refuse}
			s := newRouteTestServer(t)
			s.governanceRoutes(s.e, gov)
			req := httptest.NewRequest(c.method, c.path, bytes.NewReader(c.body))
			if c.ctype != "" {
				req.Header.Set("Content-Type", c.ctype)
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != c.status {
				t.Fatalf("%s %s = %d %s, want %d", c.method, c.path, rec.Code, rec.Body, c.status)
			}
			if c.slug != "" {
				var p Problem
				if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Type != ProblemBase+c.slug {
					t.Errorf("%s %s: problem %+v (%v), want %s", c.method, c.path, p, err, c.slug)
				}
			}
			if c.status == http.StatusAccepted {
				var a wire.GovernanceAccepted
				if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil || a.Proposal != "p1" || a.Height == 0 || a.State == nil || len(gov.sent) != 1 {
					t.Errorf("answer %s (%v), want p1 recorded", rec.Body, err)
				}
			}
			if c.status >= 400 && len(gov.sent) != 0 {
				t.Errorf("a refused request reached the chain")
			}
		})
	}
}

// TestGovernanceMalformedLocalized: a governance transaction that does not
// decode is answered 400 malformed-tx whose detail is the catalog's, in
// the caller's language, and whose decoder's reason (English, technical)
// is the member reason, the same in every language. Before, the reason
// was put in the detail, in English in the Chinese answer too (route
// sweep S8, docs/security.md).
func TestGovernanceMalformedLocalized(t *testing.T) {
	propose, _ := govTxs(t)
	garbage, _ := json.Marshal(wire.GovernanceTx{Tx: []byte(anchor.TxMagic + " garbage")})
	for _, c := range []struct {
		name, ctype string
		body        []byte
		detail      string // catalog id
		reason      string
	}{
		{"bad magic", "application/octet-stream", []byte("not a transaction"), "gov-not-tx", "bad magic"},
		{"magic, garbage", "application/octet-stream", []byte(anchor.TxMagic + " garbage"), "gov-malformed", "unknown version"},
		{"magic, garbage, json", "application/json", garbage, "gov-malformed", "unknown version"},
		{"truncated", "application/octet-stream", propose[:len(propose)/2], "gov-malformed", ""},
		{"trailing byte", "application/octet-stream", append(bytes.Clone(propose), 0), "gov-malformed", ""},
	} {
		_, derr := anchor.DecodeTx(c.body)
		if c.ctype == "application/json" {
			_, derr = anchor.DecodeTx([]byte(anchor.TxMagic + " garbage"))
		}
		if derr == nil {
			t.Fatalf("%s: DecodeTx accepted the body", c.name)
		}
		want := strings.TrimPrefix(derr.Error(), anchor.ErrMalformedTx.Error()+": ")
		if c.reason != "" && want != c.reason {
			t.Fatalf("%s: the decoder's reason is %q, the test expects %q", c.name, want, c.reason)
		}
		for _, lang := range []prob.Lang{prob.English, prob.Chinese} {
			s := newRouteTestServer(t)
			s.governanceRoutes(s.e, &fakeGov{})
			req := httptest.NewRequest("POST", "/api/v1/consortium/proposals", bytes.NewReader(c.body))
			req.Header.Set("Content-Type", c.ctype)
			req.Header.Set("Accept-Language", map[prob.Lang]string{prob.English: "en", prob.Chinese: "zh-CN"}[lang])
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			var p map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || rec.Code != http.StatusBadRequest || p["type"] != ProblemBase+"malformed-tx" {
				t.Errorf("%s (%d) = %d %s, want 400 malformed-tx", c.name, lang, rec.Code, rec.Body)
				continue
			}
			if d := prob.M(c.detail).In(lang); p["detail"] != d {
				t.Errorf("%s (%d): detail %q, want %q", c.name, lang, p["detail"], d)
			}
			if p["reason"] != want {
				t.Errorf("%s (%d): reason %q, want the decoder's %q", c.name, lang, p["reason"], want)
			}
		}
	}
}

// TestGovernanceRefusalLocalized: the chain's own refusal of a governance
// transaction (anchor.TxError from CheckTx) is answered with a detail from
// the catalog, in the caller's language, and the chain's log, English, in
// the member reason, quoted as input is. Before, the log was put in the
// detail, in English in the Chinese answer too (route sweep S8,
// docs/security.md).
func TestGovernanceRefusalLocalized(t *testing.T) {
	propose, vote := govTxs(t)
	log := "member 0a0b is not a current member\u202e"
	for _, c := range []struct {
		code         uint32
		slug, detail string // problem type, catalog id
		vote         bool   // a vote, not a proposal
	}{
		{anchor.CodeMalformed, "malformed-tx", "gov-chain-malformed", false},
		{anchor.CodeNotMember, "not-a-member", "gov-not-member", false},
		{anchor.CodeDuplicate, "governance-duplicate", "gov-duplicate", false},
		{anchor.CodeStale, "proposal-closed", "gov-stale", false},
		{anchor.CodeVersion, "no-governance", "gov-version", false},
		{anchor.CodeRefused, "change-refused", "gov-refused", false},
		{anchor.CodeVersion, "vote-version", "gov-vote-version", true},
		{anchor.CodeRefused, "change-refused", "gov-vote-hash", true},
	} {
		for _, lang := range []prob.Lang{prob.English, prob.Chinese} {
			s := newRouteTestServer(t)
			s.governanceRoutes(s.e, &fakeGov{refuse: &anchor.TxError{Code: c.code, Log: log}})
			path, body := "/api/v1/consortium/proposals", propose
			if c.vote {
				path, body = "/api/v1/consortium/proposals/p1/votes", vote
			}
			req := httptest.NewRequest("POST", path, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/octet-stream")
			req.Header.Set("Accept-Language", map[prob.Lang]string{prob.English: "en", prob.Chinese: "zh"}[lang])
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			var p map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p["type"] != ProblemBase+c.slug {
				t.Errorf("%s (%d) = %d %s, want %s", c.slug, lang, rec.Code, rec.Body, c.slug)
				continue
			}
			if d := prob.M(c.detail).In(lang); p["detail"] != d {
				t.Errorf("%s (%d): detail %q, want the catalog's %q", c.slug, lang, p["detail"], d)
			}
			if want := quote(log); p["reason"] != want {
				t.Errorf("%s (%d): reason %q, want the chain's %q", c.slug, lang, p["reason"], want)
			}
		}
	}
}

// refusingChainAdmin is a chain at height 10 that refuses every upgrade
// vote with the log log.
type refusingChainAdmin struct {
	fakeChainAdmin
	log string
}

func (f *refusingChainAdmin) VoteUpgrade(context.Context, int, int64) error {
	return &anchor.TxError{Code: anchor.CodeStale, Log: f.log}
}

// TestUpgradeRefusalLocalized: the chain's refusal of an upgrade vote is
// 409 upgrade-refused with the catalog's detail, in the caller's
// language, and the chain's log in the member reason. Before, the log was
// put in the detail, in English in the Chinese answer too.
func TestUpgradeRefusalLocalized(t *testing.T) {
	_, orgs := newTestOrgs(t)
	tsa := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	chain := &refusingChainAdmin{log: "this node already voted for state version 6"}
	s, err := New(withEvidence(fakeEvidence{}, Config{Access: orgs, TSA: tsa, ChainAdmin: chain}))
	if err != nil {
		t.Fatal(err)
	}
	admin := operatorAdmin(t, orgs)
	for _, lang := range []prob.Lang{prob.English, prob.Chinese} {
		req := httptest.NewRequest("POST", "/api/v1/admin/chain/upgrade", strings.NewReader(`{"state_version":6,"height":100}`))
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept-Language", map[prob.Lang]string{prob.English: "en", prob.Chinese: "zh"}[lang])
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		var p map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || rec.Code != http.StatusConflict || p["type"] != ProblemBase+"upgrade-refused" {
			t.Errorf("(%d) = %d %s, want 409 upgrade-refused", lang, rec.Code, rec.Body)
			continue
		}
		if d := prob.M("upgrade-refused").In(lang); p["detail"] != d {
			t.Errorf("(%d): detail %q, want the catalog's %q", lang, p["detail"], d)
		}
		if p["reason"] != chain.log {
			t.Errorf("(%d): reason %q, want the chain's %q", lang, p["reason"], chain.log)
		}
	}
}

// TestGovernanceProposalIDTaken: a proposal refused in its block because
// another member's proposal took its ID first (governance review finding
// G1, docs/security.md) is answered, once that proposal is in a block,
// 409 governance-duplicate naming the proposal under the ID, not 202
// with no height as if it were still pending: its proposer must not hand
// the ID to the voters. Before, the wait ran out and the answer was 202.
func TestGovernanceProposalIDTaken(t *testing.T) {
	propose, _ := govTxs(t)
	for _, lang := range []prob.Lang{prob.English, prob.Chinese} {
		gov := &fakeGov{other: strings.Repeat("cd", 32)}
		s := newRouteTestServer(t)
		s.governanceRoutes(s.e, gov)
		req := httptest.NewRequest("POST", "/api/v1/consortium/proposals?wait=1s", bytes.NewReader(propose))
		req.Header.Set("Content-Type", "application/octet-stream")
		req.Header.Set("Accept-Language", map[prob.Lang]string{prob.English: "en", prob.Chinese: "zh"}[lang])
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		var p Problem
		if err := json.Unmarshal(rec.Body.Bytes(), &p); rec.Code != http.StatusConflict || err != nil || p.Type != ProblemBase+"governance-duplicate" {
			t.Fatalf("%d: a proposal whose ID another member's took = %d %s, want 409 governance-duplicate", lang, rec.Code, rec.Body)
		}
		if want := prob.M("gov-id-taken", "id", quote("p1"), "proposer", strings.Repeat("cd", 32), "action", "power", "height", 7).In(lang); p.Detail != want {
			t.Errorf("%d: detail %q, want %q", lang, p.Detail, want)
		}
	}
}

// The member list gives the chain's state version and a proposal its
// SHA-256, what a version-9 vote names (governance review finding G1):
// a client picks the vote's version and hash from them.
func TestGovernanceVoteFields(t *testing.T) {
	propose, _ := govTxs(t)
	gov := &fakeGov{sent: [][]byte{propose}}
	s := newRouteTestServer(t)
	s.governanceRoutes(s.e, gov)
	get := func(path string, v any) {
		t.Helper()
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), v) != nil {
			t.Fatalf("GET %s = %d %s", path, rec.Code, rec.Body)
		}
	}
	var ms wire.Members
	get("/api/v1/consortium/members", &ms)
	if ms.StateVersion != anchor.StateV9 {
		t.Errorf("members: state_version %d, want %d", ms.StateVersion, anchor.StateV9)
	}
	var p wire.Proposal
	get("/api/v1/consortium/proposals/p1", &p)
	rec, _, _ := gov.Proposal("p1")
	if h := rec.Hash(); p.SHA256 != hex.EncodeToString(h[:]) {
		t.Errorf("proposal: sha256 %q, want %x", p.SHA256, h)
	}
}

// fakeReadiness answers UpgradeReadiness with members.
type fakeReadiness []wire.MemberSoftware

func (f fakeReadiness) UpgradeReadiness(context.Context) ([]wire.MemberSoftware, error) {
	return f, nil
}

// TestUpgradeNotReady: a vote for a state version that some member's node
// does not run, or that could not say, is not sent: 409 upgrade-not-ready
// naming those members (in members and the detail), in the caller's
// language; with force, or once every member runs it, the vote is sent.
func TestUpgradeNotReady(t *testing.T) {
	_, orgs := newTestOrgs(t)
	tsa := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	ready := fakeReadiness{
		{Member: "aa", Name: "Court A", Version: "v2", LatestState: 6},
		{Member: "bb", Name: "Notary B", Version: "v1", LatestState: 5},
		{Member: "cc", Name: "Arbitration C", Reason: "peer: the member's node is unreachable"},
	}
	chain, ae := &fakeChainAdmin{}, &auditEvidence{}
	s, err := New(withEvidence(ae, Config{Access: orgs, TSA: tsa, ChainAdmin: chain, Readiness: &ready}))
	if err != nil {
		t.Fatal(err)
	}
	admin := operatorAdmin(t, orgs)
	vote := func(body, lang string) (int, wire.Problem) {
		req := httptest.NewRequest("POST", "/api/v1/admin/chain/upgrade", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept-Language", lang)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		var p wire.Problem
		json.Unmarshal(rec.Body.Bytes(), &p)
		return rec.Code, p
	}
	for _, lang := range []string{"en", "zh"} {
		code, p := vote(`{"state_version":6,"height":100}`, lang)
		if code != http.StatusConflict || p.Type != ProblemBase+"upgrade-not-ready" {
			t.Fatalf("(%s) = %d %+v, want 409 upgrade-not-ready", lang, code, p)
		}
		if len(p.Members) != 2 || p.Members[0].Member != "bb" || p.Members[1].Member != "cc" || p.Members[1].Reason == "" {
			t.Errorf("(%s): members %+v, want Notary B (5) and Arbitration C (unreachable)", lang, p.Members)
		}
		if !strings.Contains(p.Detail, "Notary B, Arbitration C") || strings.Contains(p.Detail, "Court A") {
			t.Errorf("(%s): detail %q, want the two members not ready named", lang, p.Detail)
		}
	}
	if len(chain.votes) != 0 {
		t.Fatalf("votes sent while members were not ready: %v", chain.votes)
	}
	if code, p := vote(`{"state_version":6,"height":100,"force":true}`, "en"); code != http.StatusAccepted || len(chain.votes) != 1 {
		t.Errorf("with force = %d %+v (votes %v), want 202 and the vote sent", code, p, chain.votes)
	}
	ready[1].LatestState, ready[2].LatestState = 6, 7
	if code, p := vote(`{"state_version":6,"height":101}`, "en"); code != http.StatusAccepted || len(chain.votes) != 2 {
		t.Errorf("every member ready = %d %+v (votes %v), want 202 and the vote sent", code, p, chain.votes)
	}
	if len(ae.events) != 2 {
		t.Errorf("audit events %+v, want one for each vote sent", ae.events)
	}
}

// TestChainStatusMembers: GET /api/v1/admin/chain?members=true adds what
// each member's node runs; without it, or with false, nothing is asked;
// any other value is 400 bad-parameter.
func TestChainStatusMembers(t *testing.T) {
	_, orgs := newTestOrgs(t)
	tsa := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	ready := fakeReadiness{{Member: "aa", Name: "Court A", Version: "v2", LatestState: 12}}
	s, err := New(withEvidence(fakeEvidence{}, Config{Access: orgs, TSA: tsa, ChainAdmin: &fakeChainAdmin{}, Readiness: ready}))
	if err != nil {
		t.Fatal(err)
	}
	admin := operatorAdmin(t, orgs)
	for q, want := range map[string]int{"": 0, "?members=false": 0, "?members=true": 1, "?members=yes": -1} {
		req := httptest.NewRequest("GET", "/api/v1/admin/chain"+q, nil)
		req.Header.Set("Authorization", "Bearer "+admin)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		var v wire.ChainStatusView
		json.Unmarshal(rec.Body.Bytes(), &v)
		switch {
		case want < 0 && rec.Code != http.StatusBadRequest:
			t.Errorf("%q = %d %s, want 400", q, rec.Code, rec.Body)
		case want >= 0 && (rec.Code != http.StatusOK || len(v.Members) != want):
			t.Errorf("%q = %d, members %+v; want 200 and %d", q, rec.Code, v.Members, want)
		}
	}
}
