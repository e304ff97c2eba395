package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/receipt"
)

// upgradeLead is how many blocks ahead of the chain the members vote an
// upgrade for: enough for four votes, cast at once by CLI processes under
// -race beside the other parallel tests, to be final before it (15 was
// not, once).
const upgradeLead = 40

// TestConsortiumStateUpgrade upgrades a running 4-member consortium created
// at chain state version 1 to version 2 (custody heads) with uploads
// flowing: the members vote for a height with `custos consortium upgrade`,
// every node switches there, each registers the heads of the items it
// already held, and every upload, from before and after, gets a version-2
// receipt that proves custody completeness; the version-1 receipt handed
// out before the upgrade still verifies, marked not proven complete. Then
// a second vote moves it to version 3 (heads bound to first events): an
// item from before gets a version-3 receipt with its head registered anew,
// and a new one-event item one with its head proven absent. Then on to
// version 12, one version at a time, each checked.
func TestConsortiumStateUpgrade(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 4-node consortium")
	}
	t.Parallel() // waits on the chain more than it computes: see parallelNote
	out := filepath.Join(t.TempDir(), "consortium")
	// Every port reserved (freePortRun): the peer API's default, api-port+100,
	// is not, and a test running beside this one could take it.
	apiBase, p2pBase, peerBase := freePortRun(t, 4), freePortRun(t, 4), freePortRun(t, 4)
	if o, err := runCustos(t, "consortium", "init", "--out", out, "--state-version", "1",
		"--org", "court:Hangzhou Internet Court", "--org", "court:Beijing Internet Court",
		"--org", "notary:Qiantang Notary Office", "--org", "arbitration:杭州仲裁委员会",
		"--api-port", fmt.Sprint(apiBase), "--p2p-port", fmt.Sprint(p2pBase), "--peer-port", fmt.Sprint(peerBase)); err != nil {
		t.Fatalf("consortium init: %v\n%s", err, o)
	}
	trust := filepath.Join(out, "trust.json")
	ms := consortiumMembers(out)
	for _, m := range ms {
		m.start(t)
	}
	dir := t.TempDir()

	// Before: a version-1 receipt.
	before := randomBytes(t, 2000)
	v0 := ms[0].p.upload(consortiumToken, before)
	status, r1 := receiptOf(t, ms[0].p, v0.ID, 30*time.Second)
	if status != 200 || !strings.HasPrefix(string(r1), `{"version":1,`) {
		t.Fatalf("receipt at state version 1 = %d %.80s", status, r1)
	}
	verifyReceipt(t, trust, r1, before)

	// Uploads flow through two members throughout.
	type item struct {
		v    wire.EvidenceView
		data []byte
		p    *proc
	}
	var mu sync.Mutex
	items := []item{{v0, before, ms[0].p}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, m := range ms[:2] {
		wg.Add(1)
		go func(p *proc) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(150 * time.Millisecond):
				}
				data := []byte(fmt.Sprintf("upload %d through %s at %s", i, p.URL, time.Now()))
				v := p.upload(consortiumToken, data)
				mu.Lock()
				items = append(items, item{v, data, p})
				mu.Unlock()
			}
		}(m.p)
	}

	status2 := func(p *proc) api.ChainStatusView {
		t.Helper()
		code, _, b := p.call("GET", "/api/v1/admin/chain", consortiumToken, nil)
		var s api.ChainStatusView
		if code != 200 || json.Unmarshal(b, &s) != nil {
			t.Fatalf("GET /api/v1/admin/chain = %d %s", code, b)
		}
		return s
	}
	s := status2(ms[0].p)
	if s.StateVersion != 1 || s.Latest != anchor.LatestState {
		t.Fatalf("chain status before the upgrade: %+v", s)
	}
	// Before a vote each node asks the others, over the peer API, which
	// state versions their software runs (security.md I1): all four say.
	if code, _, b := ms[1].p.call("GET", "/api/v1/admin/chain?members=true", consortiumToken, nil); code != 200 {
		t.Fatalf("GET /api/v1/admin/chain?members=true = %d %s", code, b)
	} else {
		var sw api.ChainStatusView
		json.Unmarshal(b, &sw)
		if len(sw.Members) != len(ms) {
			t.Fatalf("members' software: %+v, want the %d members", sw.Members, len(ms))
		}
		for _, m := range sw.Members {
			if m.LatestState != anchor.LatestState || m.Reason != "" {
				t.Errorf("member %s (%s) runs up to %d (%q), want %d", m.Name, m.Member, m.LatestState, m.Reason, anchor.LatestState)
			}
		}
	}
	// Every member votes at once (uploads keep the chain moving; one CLI
	// process after another let it pass the height under -race).
	voteAll := func(target int64) {
		t.Helper()
		var vwg sync.WaitGroup
		errs := make([]string, len(ms))
		for i, m := range ms {
			vwg.Add(1)
			go func() {
				defer vwg.Done()
				o, err := runCustos(t, "consortium", "upgrade", "--height", fmt.Sprint(target), "--server", m.p.URL, "--token", consortiumToken)
				if err != nil {
					errs[i] = fmt.Sprintf("consortium upgrade on %s: %v\n%s", m.slug, err, o)
				}
			}()
		}
		vwg.Wait()
		for _, e := range errs {
			if e != "" {
				t.Fatal(e)
			}
		}
	}
	target := s.Height + upgradeLead
	voteAll(target)
	// A vote for a past height is refused with the chain's reason.
	if code, _, b := ms[0].p.call("POST", "/api/v1/admin/chain/upgrade", consortiumToken,
		strings.NewReader(`{"state_version":2,"height":1}`), "Content-Type", "application/json"); code != 400 {
		t.Errorf("vote for height 1 = %d %s, want 400", code, b)
	}

	deadline := time.Now().Add(90 * time.Second)
	for _, m := range ms {
		for status2(m.p).StateVersion != 2 {
			if time.Now().After(deadline) {
				t.Fatalf("%s still at state version 1 past height %d: %+v", m.slug, target, status2(m.p))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	time.Sleep(2 * time.Second) // uploads on both sides of the switch
	close(stop)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	if len(items) < 10 {
		t.Fatalf("only %d uploads flowed", len(items))
	}
	for i, it := range items {
		status, rb := receiptOf(t, it.p, it.v.ID, 60*time.Second)
		if status != 200 {
			t.Fatalf("upload %d (%s): receipt = %d %s", i, it.v.ID, status, rb)
		}
		r, err := receipt.Parse(rb)
		if err != nil || r.Version != 2 {
			t.Fatalf("upload %d: receipt version %v (%v), want 2", i, r, err)
		}
		if i == 0 || i == len(items)-1 || i%7 == 0 {
			o, err := runCustos(t, "verify", "--receipt", writeFile(t, dir, "r.json", rb), "--file", writeFile(t, dir, "f", it.data), "--trust", trust)
			if err != nil || !strings.Contains(o, "✓ completeness") {
				t.Fatalf("upload %d: custos verify: %v\n%s", i, err, o)
			}
		}
	}
	o, err := runCustos(t, "verify", "--receipt", writeFile(t, dir, "r1.json", r1), "--file", writeFile(t, dir, "f0", before), "--trust", trust)
	if err != nil || !strings.Contains(o, "VALID (custody completeness not proven)") {
		t.Errorf("the version-1 receipt from before the upgrade: %v\n%s", err, o)
	}
	t.Logf("%d uploads across the upgrade at height %d, every one with a version-2 receipt", len(items), target)

	// upgradeTo votes on every member for the next version, upgradeLead blocks
	// ahead, and waits until every member runs it.
	upgradeTo := func(version int) {
		t.Helper()
		target := status2(ms[0].p).Height + upgradeLead
		voteAll(target)
		deadline := time.Now().Add(90 * time.Second)
		for _, m := range ms {
			for status2(m.p).StateVersion != version {
				if time.Now().After(deadline) {
					t.Fatalf("%s not at state version %d past height %d: %+v", m.slug, version, target, status2(m.p))
				}
				// The chain makes blocks only for transactions: keep uploading.
				ms[0].p.upload(consortiumToken, []byte(fmt.Sprintf("towards version %d at %v\n", version, time.Now())))
				time.Sleep(200 * time.Millisecond)
			}
		}
	}
	// Then to version 3: heads bound to their chains' first events. Each
	// node registers its heads again; an item from before gets a version-3
	// receipt, and a new upload of one event one with its head proven absent.
	upgradeTo(3)
	newer := []byte("after version 3\n")
	fresh := ms[1].p.upload(consortiumToken, newer)
	for _, c := range []struct {
		it   item
		head bool
	}{{items[0], true}, {item{p: ms[1].p, v: fresh, data: newer}, false}} {
		var r *receipt.Receipt
		var rb []byte
		for end := time.Now().Add(60 * time.Second); ; {
			status, b := receiptOf(t, c.it.p, c.it.v.ID, 10*time.Second)
			if status == 200 {
				if r, err = receipt.Parse(b); err == nil && (r.Version == 3 || r.Version == receipt.Version5) {
					rb = b
					break
				}
			}
			if time.Now().After(end) {
				t.Fatalf("no version-3 receipt of %s: %d %s", c.it.v.ID, status, b)
			}
			time.Sleep(300 * time.Millisecond)
		}
		if (r.Custody.Head != "") != c.head {
			t.Errorf("%s: head %q, want a head: %v", c.it.v.ID, r.Custody.Head, c.head)
		}
		o, err := runCustos(t, "verify", "--receipt", writeFile(t, dir, "r3.json", rb), "--file", writeFile(t, dir, "f3", c.it.data), "--trust", trust)
		if err != nil || !strings.Contains(o, "✓ completeness") {
			t.Fatalf("%s: custos verify of the version-3 receipt: %v\n%s", c.it.v.ID, err, o)
		}
	}

	// Then to version 4: the consortium's digest index and directory. Each
	// node registers the deposits of the items it anchored before, and its
	// organizations; an item filed and an organization made at one member
	// before the upgrade are then found at another.
	code, _, body := ms[1].p.call("POST", "/api/v1/orgs", consortiumToken, strings.NewReader(`{"kind":"court","name":"Before-the-directory Court"}`), "Content-Type", "application/json")
	if code != 201 {
		t.Fatalf("create an organization at version 3 = %d %s", code, body)
	}
	// Two members each made an organization of one name before there was
	// a directory: after the upgrades, the first registered keeps it and
	// both are told (version 5 records the other's claim).
	twins := map[*proc]string{}
	for _, p := range []*proc{ms[1].p, ms[2].p} {
		code, _, body := p.call("POST", "/api/v1/orgs", consortiumToken, strings.NewReader(`{"kind":"arbitration","name":"Twice Named Commission"}`), "Content-Type", "application/json")
		var o wire.Org
		if code != 201 || json.Unmarshal(body, &o) != nil {
			t.Fatalf("create an organization of a shared name at version 3 = %d %s", code, body)
		}
		twins[p] = o.ID
	}
	upgradeTo(4)
	old := items[0]
	other := ms[0].p
	if other == old.p {
		other = ms[1].p
	}
	for end := time.Now().Add(60 * time.Second); ; {
		o, err := runCustos(t, "lookup", writeFile(t, dir, "old", old.data), "--server", other.URL)
		var l wire.Lookup
		if err == nil && json.Unmarshal([]byte(o), &l) == nil && l.Anchored && l.Member != "" && l.MemberName != "" {
			t.Logf("an item filed before the upgrade, found at another member: %s", o)
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the item filed before version 4 is not in the digest index at another member: %v\n%s", err, o)
		}
		time.Sleep(500 * time.Millisecond)
	}
	for end := time.Now().Add(60 * time.Second); ; {
		code, _, body = ms[2].p.call("GET", "/api/v1/directory?name=before-the-directory%20court", consortiumToken, nil)
		if code == 200 {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the organization made before version 4 is not in the directory at another member: %d %s", code, body)
		}
		time.Sleep(500 * time.Millisecond)
	}

	// Then to version 5: the consortium's copyright register. A
	// registration numbered by its member before keeps its number, which
	// the register learns as a legacy number and another member finds; a
	// registration after the upgrade is numbered by the chain.
	form := copyrightForm(t, []byte("registered at version 4\n"))
	code, _, body = ms[1].p.call("POST", "/api/v1/copyrights", consortiumToken, bytes.NewReader(form.data), "Content-Type", form.contentType)
	var legacy wire.Copyright
	if code != 201 || json.Unmarshal(body, &legacy) != nil || legacy.Status != "registered" || !strings.HasSuffix(legacy.Number, "作登字-000001") {
		t.Fatalf("a registration at version 4 = %d %s; want its member's own number", code, body)
	}
	upgradeTo(5)
	for end := time.Now().Add(60 * time.Second); ; {
		code, _, body = ms[3].p.call("GET", "/api/v1/copyrights/search?number="+url.QueryEscape(legacy.Number), consortiumToken, nil)
		var res wire.CopyrightSearch
		if code == 200 && json.Unmarshal(body, &res) == nil && len(res.Matches) == 1 {
			if m := res.Matches[0]; m.ID != legacy.ID || !m.Legacy || !m.Remote || m.Number != legacy.Number {
				t.Errorf("the legacy registration at another member = %+v", m)
			}
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the registration numbered before version 5 is not in the register at another member: %d %s", code, body)
		}
		time.Sleep(500 * time.Millisecond)
	}
	form = copyrightForm(t, []byte("registered at version 5\n"))
	code, _, body = ms[1].p.call("POST", "/api/v1/copyrights?wait=30s", consortiumToken, bytes.NewReader(form.data), "Content-Type", form.contentType)
	var fresh5 wire.Copyright
	if code != 201 || json.Unmarshal(body, &fresh5) != nil || fresh5.Status != "registered" || !regexp.MustCompile(`作登字-M[1-4]-000001$`).MatchString(fresh5.Number) {
		t.Errorf("a registration at version 5 = %d %s; want the chain's number", code, body)
	}
	told := func(p *proc, event string) bool {
		_, _, b := p.call("GET", "/api/v1/orgs/"+twins[p]+"/audit", consortiumToken, nil)
		return strings.Contains(string(b), event)
	}
	for end := time.Now().Add(60 * time.Second); ; {
		a, b := ms[1].p, ms[2].p
		if told(a, "org.name_conflict") && told(b, "org.name_claimed") || told(b, "org.name_conflict") && told(a, "org.name_claimed") {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the two organizations of one name were not both told of the conflict")
		}
		time.Sleep(500 * time.Millisecond)
	}

	// Then to version 6: consortium governance (docs/governance.md). What
	// the chain did goes on: the member's next registration keeps its place
	// in the numbering, and an upload's receipt verifies with the genesis
	// trust bundle.
	upgradeTo(6)
	form = copyrightForm(t, []byte("registered at version 6\n"))
	code, _, body = ms[1].p.call("POST", "/api/v1/copyrights?wait=30s", consortiumToken, bytes.NewReader(form.data), "Content-Type", form.contentType)
	var fresh6 wire.Copyright
	if code != 201 || json.Unmarshal(body, &fresh6) != nil || fresh6.Number != strings.TrimSuffix(fresh5.Number, "000001")+"000002" {
		t.Errorf("a registration at version 6 = %d %s; want the member's second chain number after %s", code, body, fresh5.Number)
	}
	data6 := []byte("uploaded at version 6\n")
	v6 := ms[2].p.upload(consortiumToken, data6)
	status, rb := receiptOf(t, ms[2].p, v6.ID, 60*time.Second)
	if status != 200 {
		t.Fatalf("a receipt at version 6 = %d %s", status, rb)
	}
	if o, err := runCustos(t, "verify", "--receipt", writeFile(t, dir, "r6.json", rb), "--file", writeFile(t, dir, "f6", data6), "--trust", trust); err != nil {
		t.Errorf("custos verify of a receipt at version 6: %v\n%s", err, o)
	}

	// Then to version 7: a block's deposits committed with one hash,
	// shorter deposits in version-7 batches, names compared by the
	// idempotent NameKey. An item filed at version 6 and one at version 7
	// are both found at another member, and a receipt at 7 verifies.
	upgradeTo(7)
	data7 := []byte("uploaded at version 7\n")
	v7 := ms[3].p.upload(consortiumToken, data7)
	if status, rb = receiptOf(t, ms[3].p, v7.ID, 60*time.Second); status != 200 {
		t.Fatalf("a receipt at version 7 = %d %s", status, rb)
	}
	if o, err := runCustos(t, "verify", "--receipt", writeFile(t, dir, "r7.json", rb), "--file", writeFile(t, dir, "f7", data7), "--trust", trust); err != nil {
		t.Errorf("custos verify of a receipt at version 7: %v\n%s", err, o)
	}
	for name, data := range map[string][]byte{"f6": data6, "f7": data7} {
		for end := time.Now().Add(60 * time.Second); ; {
			o, err := runCustos(t, "lookup", writeFile(t, dir, name, data), "--server", ms[0].p.URL)
			var l wire.Lookup
			if err == nil && json.Unmarshal([]byte(o), &l) == nil && l.Anchored {
				break
			}
			if time.Now().After(end) {
				t.Fatalf("%s is not in the digest index at another member at version 7: %v\n%s", name, err, o)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	code, _, body = ms[3].p.call("GET", "/api/v1/directory?name=BEFORE-THE-DIRECTORY%20COURT", consortiumToken, nil)
	var found wire.ListView[wire.DirectoryEntry]
	if code != 200 || json.Unmarshal(body, &found) != nil || len(found.Items) != 1 {
		t.Fatalf("the directory by name at version 7 = %d %s", code, body)
	}

	// Then to version 8: directory registrations carry a revision each
	// (transaction version 8). The organization registered at version 4,
	// without one, is renamed at 8: its home node registers it with
	// revision 1, and another member finds it under its new name.
	upgradeTo(8)
	beforeDir := found.Items[0]
	code, _, body = ms[1].p.call("PATCH", "/api/v1/orgs/"+beforeDir.ID, consortiumToken, strings.NewReader(`{"name":"Renamed At Eight Court"}`), "Content-Type", "application/json")
	if code != 200 {
		t.Fatalf("rename at version 8 = %d %s", code, body)
	}
	for end := time.Now().Add(60 * time.Second); ; {
		code, _, body = ms[3].p.call("GET", "/api/v1/directory/"+beforeDir.ID, consortiumToken, nil)
		var e wire.DirectoryEntry
		if code == 200 && json.Unmarshal(body, &e) == nil && e.Name == "Renamed At Eight Court" {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the rename at version 8 is not in the directory at another member: %d %s", code, body)
		}
		ms[0].p.upload(consortiumToken, []byte(fmt.Sprintf("a block for the rename at %v\n", time.Now())))
		time.Sleep(500 * time.Millisecond)
	}

	// Then to version 9: a vote names the SHA-256 of its proposal
	// (transaction version 9), and no validator reaches a third of the
	// power without the override (governance review findings G1 and G2).
	// A proposal made at 8 and voted on once there (a version-6 vote, as
	// consortium vote signs below 9) passes at 9 with the votes
	// consortium vote then signs of version 9; a proposal giving one
	// member a third is refused at 9.
	gov := func(m *member) []string {
		d := filepath.Join(out, "admin", m.slug)
		return []string{"--key", filepath.Join(d, "governance.key"), "--cert", filepath.Join(d, "governance.pem"), "--server", m.p.URL}
	}
	var across wire.GovernanceAccepted
	cliJSON(t, &across, append([]string{"consortium", "propose", "power", "Qiantang Notary Office", "12", "--id", "power-across-9"}, gov(ms[0])...)...)
	if across.Height == 0 {
		t.Fatalf("consortium propose at version 8 = %+v, want recorded", across)
	}
	cliJSON(t, &wire.GovernanceAccepted{}, append([]string{"consortium", "vote", "power-across-9", "--yes"}, gov(ms[0])...)...)
	upgradeTo(9)
	var members9 wire.Members
	cliJSON(t, &members9, "consortium", "members", "--server", ms[1].p.URL)
	if members9.StateVersion != 9 {
		t.Errorf("consortium members at version 9: state_version %d", members9.StateVersion)
	}
	for _, m := range ms[1:3] {
		_, e, err := custosOutErr(t, nil, append([]string{"consortium", "vote", "power-across-9", "--yes", "--json"}, gov(m)...)...)
		if err != nil || !strings.Contains(e, "names the proposal's SHA-256") {
			t.Fatalf("consortium vote at version 9 by %s: %v\n%s; want a vote naming the proposal's SHA-256", m.slug, err, e)
		}
	}
	var p9 wire.Proposal
	cliJSON(t, &p9, "consortium", "proposal", "power-across-9", "--server", ms[3].p.URL)
	if len(p9.Votes) != 3 || p9.Status == "open" || p9.Status == "failed" {
		t.Errorf("the proposal voted on across the upgrade: %s with %d votes (%s), want passed with 3", p9.Status, len(p9.Votes), p9.Reason)
	}
	o, err = runCustos(t, append([]string{"consortium", "propose", "power", "Beijing Internet Court", "20", "--id", "power-third"}, gov(ms[0])...)...)
	if err == nil || !strings.Contains(err.Error(), "a third or more") {
		t.Errorf("a proposal giving one member a third of the power at version 9: %v\n%s; want refused", err, o)
	}

	// Then to version 10: a member's organization CA revokes one of its
	// governance certificates without retiring the CA (consortium
	// revoke-governance-cert). The vote the member cast with it at 9 on
	// a proposal still open is dropped; a vote signed with it is refused;
	// a vote with a new certificate of the same CA counts.
	cliJSON(t, &wire.GovernanceAccepted{}, append([]string{"consortium", "propose", "power", "Beijing Internet Court", "11", "--id", "power-across-10"}, gov(ms[0])...)...)
	cliJSON(t, &wire.GovernanceAccepted{}, append([]string{"consortium", "vote", "power-across-10", "--no"}, gov(ms[1])...)...)
	upgradeTo(10)
	stolen := filepath.Join(out, "admin", ms[1].slug, "governance.pem")
	ca, caKey := filepath.Join(out, ms[1].slug, "pki", "org-ca.pem"), filepath.Join(out, "offline", ms[1].slug+"-org-ca.key")
	var rev wire.RevocationAccepted
	cliJSON(t, &rev, "consortium", "revoke-governance-cert", stolen, "--ca", ca, "--ca-key", caKey, "--server", ms[2].p.URL)
	if rev.Height == 0 {
		t.Fatalf("consortium revoke-governance-cert at version 10 = %+v, want recorded", rev)
	}
	// It revoked the certificate, known to the chain by its TBSCertificate
	// (so in every encoding: docs/security.md, review of state version 10,
	// R1 and R2), and a second run is refused: it is revoked already.
	var members wire.Members
	cliJSON(t, &members, "consortium", "members", "--server", ms[2].p.URL)
	for _, m := range members.Members {
		if m.ID == rev.Member && (len(m.RevokedGov) != 1 || m.RevokedGov[0].SHA256 != rev.CertSHA256 || m.RevokedGov[0].TBS == "") {
			t.Errorf("member %s's revoked certificates: %+v, want %s with its TBSCertificate's SHA-256", m.ID, m.RevokedGov, rev.CertSHA256)
		}
	}
	if o, err := runCustos(t, "consortium", "revoke-governance-cert", stolen, "--ca", ca, "--ca-key", caKey, "--server", ms[2].p.URL); err == nil || !strings.Contains(err.Error(), "already") {
		t.Errorf("consortium revoke-governance-cert again: %v\n%s; want the certificate's duplicate refused", err, o)
	}
	var p10 wire.Proposal
	cliJSON(t, &p10, "consortium", "proposal", "power-across-10", "--server", ms[3].p.URL)
	if len(p10.Votes) != 0 || p10.Status != "open" {
		t.Errorf("the proposal after the revocation: %s with votes %+v, want open with the revoked certificate's vote dropped", p10.Status, p10.Votes)
	}
	o, err = runCustos(t, append([]string{"consortium", "vote", "power-across-10", "--no"}, gov(ms[1])...)...)
	if err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("a vote signed with the revoked certificate: %v\n%s; want refused", err, o)
	}
	keys := t.TempDir()
	if o, err := runCustos(t, "consortium", "governance-cert", "--ca", ca, "--ca-key", caKey, "--key", filepath.Join(keys, "governance.key"), "-o", filepath.Join(keys, "governance.pem")); err != nil {
		t.Fatalf("consortium governance-cert for a new key: %v\n%s", err, o)
	}
	cliJSON(t, &wire.GovernanceAccepted{}, "consortium", "vote", "power-across-10", "--yes", "--key", filepath.Join(keys, "governance.key"),
		"--cert", filepath.Join(keys, "governance.pem"), "--server", ms[1].p.URL)
	cliJSON(t, &p10, "consortium", "proposal", "power-across-10", "--server", ms[1].p.URL)
	if len(p10.Votes) != 1 || !p10.Votes[0].Yes || p10.Votes[0].Cert == "" {
		t.Errorf("the proposal after the vote with the new certificate: votes %+v, want its yes with the certificate's SHA-256", p10.Votes)
	}

	// Then to version 11: registration numbers counted by the member's
	// place, not its node key (docs/security.md, finding K1). The member
	// counts on from its numbers of the year under 10.
	upgradeTo(11)
	form = copyrightForm(t, []byte("registered at version 11\n"))
	code, _, body = ms[1].p.call("POST", "/api/v1/copyrights?wait=30s", consortiumToken, bytes.NewReader(form.data), "Content-Type", form.contentType)
	var fresh11 wire.Copyright
	if code != 201 || json.Unmarshal(body, &fresh11) != nil || fresh11.Number != strings.TrimSuffix(fresh5.Number, "000001")+"000003" {
		t.Errorf("a registration at version 11 = %d %s; want the member's third chain number after %s and %s", code, body, fresh5.Number, fresh6.Number)
	}

	// Then to version 12: a registration takes the place of the member's
	// commitment to it, made before its fingerprints are shown
	// (docs/security.md, finding K7). The node commits, then files it;
	// its number continues the member's count.
	upgradeTo(12)
	form = copyrightForm(t, []byte("registered at version 12\n"))
	code, _, body = ms[1].p.call("POST", "/api/v1/copyrights?wait=30s", consortiumToken, bytes.NewReader(form.data), "Content-Type", form.contentType)
	var fresh12 wire.Copyright
	if code != 201 || json.Unmarshal(body, &fresh12) != nil || fresh12.Number != strings.TrimSuffix(fresh5.Number, "000001")+"000004" {
		t.Errorf("a registration at version 12 = %d %s; want the member's fourth chain number", code, body)
	}
}
