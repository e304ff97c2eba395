package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/testimage"
	"github.com/custos-project/custos/receipt"
)

// portsTaken are the ports freePortRun has handed out in this test
// process: the consortium tests run in parallel, and a port found free by
// one must not be handed to another before its node binds it.
var portsTaken = struct {
	sync.Mutex
	m map[int]bool
}{m: map[int]bool{}}

// freePortRun finds n consecutive free TCP ports on 127.0.0.1, none of
// them handed out before in this test process, below Linux's ephemeral
// range (32768 on): a port found free there could be taken, before its
// node binds it, as the source port of any connection the machine opens
// (a CI run failed so: "bind: address already in use").
func freePortRun(t *testing.T, n int) int {
	t.Helper()
	portsTaken.Lock()
	defer portsTaken.Unlock()
	for try := 0; try < 50; try++ {
		base := 20000 + rand.IntN(32768-20000-n)
		ok := true
		for i := 0; i < n && ok; i++ {
			if portsTaken.m[base+i] {
				ok = false
				continue
			}
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+i))
			if err != nil {
				ok = false
				continue
			}
			l.Close()
		}
		if ok {
			for i := 0; i < n; i++ {
				portsTaken.m[base+i] = true
			}
			return base
		}
	}
	t.Fatal("no run of free ports")
	return 0
}

// parallelNote: the tests that start a consortium, the soak and crash
// scenarios, and the longer tests of one node of their own, spend most of their time waiting for blocks, receipts,
// restarts and paced load, not computing, so they call t.Parallel() and
// run together (three at a time under `make test`'s -parallel 3) after the
// package's other tests, which keeps `make test` within its budget on two
// cores. Each has its own folders and ports (freePortRun, or :0); none may
// use t.Setenv (testenv.SoftHSM does) or change the working folder.
const parallelNote = "consortium tests run in parallel"

const consortiumToken = "cst_consortium-test-token-0123456789"

type member struct {
	slug string
	cfg  string
	p    *proc
}

func (m *member) start(t *testing.T) {
	t.Helper()
	m.startBin(t, custosBin)
}

// startBin starts the member's node from the custos binary bin.
func (m *member) startBin(t *testing.T, bin string) {
	t.Helper()
	m.p = startServeBin(t, bin, filepath.Join(filepath.Dir(m.cfg), "data"), []string{"serve", "--config", m.cfg}, "CUSTOS_BOOTSTRAP_TOKEN="+consortiumToken)
}

// receiptOf asks for a receipt, waiting up to wait; it returns the status
// and body.
func receiptOf(t *testing.T, p *proc, id string, wait time.Duration) (int, []byte) {
	t.Helper()
	status, _, b := p.call("GET", fmt.Sprintf("/api/v1/evidence/%s/receipt?wait=%s", id, wait), consortiumToken, nil)
	return status, b
}

// verifyReceipt runs `custos verify` on a receipt with the consortium's trust bundle.
func verifyReceipt(t *testing.T, trust string, rcpt, data []byte) {
	t.Helper()
	dir := t.TempDir()
	out, err := runCustos(t, "verify", "--receipt", writeFile(t, dir, "r.json", rcpt), "--file", writeFile(t, dir, "f", data), "--trust", trust)
	if err != nil {
		t.Fatalf("custos verify: %v\n%s", err, out)
	}
}

// initConsortium runs `custos consortium init` for four members on free
// ports and returns its output folder.
func initConsortium(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "consortium")
	apiBase, p2pBase, peerBase := freePortRun(t, 4), freePortRun(t, 4), freePortRun(t, 4)
	stdout, err := runCustos(t, "consortium", "init", "--out", out,
		"--org", "court:Hangzhou Internet Court", "--org", "court:Beijing Internet Court",
		"--org", "notary:Qiantang Notary Office", "--org", "arbitration:杭州仲裁委员会",
		"--api-port", fmt.Sprint(apiBase), "--p2p-port", fmt.Sprint(p2pBase), "--peer-port", fmt.Sprint(peerBase))
	if err != nil {
		t.Fatalf("consortium init: %v\n%s", err, stdout)
	}
	return out
}

// consortiumMembers are the four members initConsortium made, not started.
func consortiumMembers(out string) []*member {
	var ms []*member
	for _, slug := range []string{"hangzhou-internet-court", "beijing-internet-court", "qiantang-notary-office", "arbitration-1"} {
		ms = append(ms, &member{slug: slug, cfg: filepath.Join(out, slug, "custos.toml")})
	}
	return ms
}

// TestConsortium runs a 4-validator consortium from `custos consortium
// init` as 4 processes, and checks anchoring through validator crashes.
func TestConsortium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 4-node consortium")
	}
	t.Parallel() // waits on the chain more than it computes: see parallelNote
	out := initConsortium(t)
	trust := filepath.Join(out, "trust.json")
	tb, _ := os.ReadFile(trust)
	var tr receipt.Trust
	if err := json.Unmarshal(tb, &tr); err != nil || len(tr.Validators) != 4 || tr.Validators[3].Name != "杭州仲裁委员会" {
		t.Fatalf("trust bundle: %v %+v", err, tr.Validators)
	}
	if _, err := os.Stat(filepath.Join(out, "offline", "root.key")); err != nil {
		t.Errorf("the root key should be set apart in offline/: %v", err)
	}
	ms := consortiumMembers(out)
	for _, m := range ms {
		for _, key := range []string{"root.key", "org-ca.key"} {
			if _, err := os.Stat(filepath.Join(out, m.slug, "pki", key)); err == nil {
				t.Errorf("member %s holds %s; CA keys stay offline", m.slug, key)
			}
		}
	}
	for _, m := range ms {
		m.start(t)
	}
	entry := ms[0].p
	file := func(data []byte) wire.EvidenceView { return entry.upload(consortiumToken, data) }

	t.Run("anchored and verifiable", func(t *testing.T) {
		data := randomBytes(t, 5000)
		v := file(data)
		status, rcpt := receiptOf(t, entry, v.ID, 20*time.Second)
		if status != 200 {
			t.Fatalf("receipt = %d %s", status, rcpt)
		}
		verifyReceipt(t, trust, rcpt, data)
		// The same receipt fails for other bytes.
		dir := t.TempDir()
		rp := writeFile(t, dir, "r.json", rcpt)
		if _, err := runCustos(t, "verify", "--receipt", rp, "--file", writeFile(t, dir, "f", append(data, 1)), "--trust", trust); exitCode(err) != 1 {
			t.Errorf("verify with altered bytes: exit %d, want 1", exitCode(err))
		}
		// A court confirms the receipt, filed through the first member,
		// against the node it runs itself (the last member): the node's
		// chain contains the receipt's checkpoint.
		court := ms[len(ms)-1].p.URL
		out, err := runCustos(t, "verify", "--receipt", rp, "--file", writeFile(t, dir, "d", data), "--trust", trust, "--node", court, "--json")
		var rep struct {
			Valid bool `json:"valid"`
			Node  struct {
				Confirmed bool   `json:"confirmed"`
				TreeSize  uint64 `json:"tree_size"`
				Error     string `json:"error"`
			} `json:"node"`
		}
		if jerr := json.Unmarshal([]byte(out), &rep); err != nil || jerr != nil || !rep.Valid || !rep.Node.Confirmed {
			t.Errorf("verify --node %s: %v %v\n%s", court, err, jerr, out)
		}
		// The court's node knows the deposit too, though another member
		// filed it (the consortium's digest index), and names that member;
		// it reveals no more.
		out, err = runCustos(t, "lookup", writeFile(t, dir, "d", data), "--server", court)
		var l wire.Lookup
		if jerr := json.Unmarshal([]byte(out), &l); err != nil || jerr != nil || !l.Anchored || l.MemberName != tr.Validators[0].Name || l.Deposits != 1 || l.Height == 0 {
			t.Errorf("custos lookup at the court's node: %v %v\n%s", err, jerr, out)
		}
		if out, err := runCustos(t, "lookup", "--sha256", strings.Repeat("0", 64), "--server", court); exitCode(err) != 1 || !strings.Contains(out, `"anchored": false`) {
			t.Errorf("custos lookup of a digest nobody filed: exit %d, want 1\n%s", exitCode(err), out)
		}
		// An item filed unlisted stays out of the digest index: the court's
		// node does not find it, nor does the public lookup at its home
		// node; a reader of the item finds it there with its token.
		secret := randomBytes(t, 4000)
		u := entry.upload(consortiumToken, secret, "Custos-Metadata", `{"unlisted":true}`)
		if !u.Unlisted {
			t.Errorf("upload with unlisted: view %+v", u)
		}
		if status, b := receiptOf(t, entry, u.ID, 20*time.Second); status != 200 {
			t.Fatalf("receipt of the unlisted item = %d %s", status, b)
		}
		sum := sha256.Sum256(secret)
		q := "/api/v1/lookup?sha256=" + hex.EncodeToString(sum[:])
		// Its home node marks it anchored once its batch is final, a moment
		// after the receipt exists: a reader with a token finds it there...
		for end := time.Now().Add(15 * time.Second); ; {
			code, _, b := entry.call("GET", q, consortiumToken, nil)
			if code == 200 && strings.Contains(string(b), `"anchored":true`) {
				break
			}
			if time.Now().After(end) {
				t.Fatalf("lookup of the unlisted item at its home node, with a reader's token = %d %s, want anchored", code, b)
			}
			time.Sleep(200 * time.Millisecond)
		}
		// ...and nobody else does.
		for name, node := range map[string]*proc{"the court's node": ms[len(ms)-1].p, "its home node, public": entry} {
			if code, _, b := node.call("GET", q, "", nil); code != 200 || !strings.Contains(string(b), `"anchored":false`) {
				t.Errorf("lookup of the unlisted item at %s = %d %s, want anchored false", name, code, b)
			}
		}
		// A node that does not answer confirms nothing: valid offline,
		// exit 3.
		gone := fmt.Sprintf("http://127.0.0.1:%d", freePortRun(t, 1))
		if out, err := runCustos(t, "verify", "--receipt", rp, "--trust", trust, "--node", gone, "--node-wait", "0s"); exitCode(err) != 3 || !strings.Contains(out, "NOT CONFIRMED by the node") {
			t.Errorf("verify --node (nothing listening): exit %d, want 3\n%s", exitCode(err), out)
		}
	})

	t.Run("one directory", func(t *testing.T) {
		// A firm created at the first member is known at the court's node
		// (the last member) within a few blocks, by name, with its home;
		// its name is then taken consortium-wide.
		code, _, body := entry.call("POST", "/api/v1/orgs", consortiumToken, strings.NewReader(`{"kind":"lawfirm","name":"Zhejiang Tianhe Law Firm"}`), "Content-Type", "application/json")
		var firm wire.Org
		if code != 201 || json.Unmarshal(body, &firm) != nil {
			t.Fatalf("create org = %d %s", code, body)
		}
		court := ms[len(ms)-1].p
		var got struct {
			Items []wire.DirectoryEntry `json:"items"`
		}
		for end := time.Now().Add(30 * time.Second); ; {
			code, _, body = court.call("GET", "/api/v1/directory?name="+url.QueryEscape("zhejiang tianhe  LAW firm"), consortiumToken, nil)
			if code == 200 && json.Unmarshal(body, &got) == nil && len(got.Items) == 1 {
				break
			}
			if time.Now().After(end) {
				t.Fatalf("the court's node does not list the firm: %d %s", code, body)
			}
			time.Sleep(200 * time.Millisecond)
		}
		if e := got.Items[0]; e.ID != firm.ID || e.Kind != "lawfirm" || e.MemberName != tr.Validators[0].Name {
			t.Errorf("directory entry at the court's node = %+v; want the firm, homed at %s", e, tr.Validators[0].Name)
		}
		code, _, body = court.call("POST", "/api/v1/orgs", consortiumToken, strings.NewReader(`{"kind":"lawfirm","name":"ZHEJIANG Tianhe Law Firm"}`), "Content-Type", "application/json")
		if code != 409 || !strings.Contains(string(body), "name-taken") {
			t.Errorf("the same name at another member = %d %s, want 409 name-taken", code, body)
		}
		if code, _, body = court.call("GET", "/api/v1/directory/"+firm.ID, consortiumToken, nil); code != 200 {
			t.Errorf("GET /api/v1/directory/{id} at the court's node = %d %s", code, body)
		}
		// The firm's view at its home node says it is registered (once
		// that node has committed the block the court's node has: each
		// member commits it on its own, so the home node may be a moment
		// behind); made unlisted by default, its uploads are unlisted
		// unless they say otherwise.
		code, _, body = entry.call("PATCH", "/api/v1/orgs/"+firm.ID, consortiumToken, strings.NewReader(`{"unlisted_by_default":true}`), "Content-Type", "application/json")
		var view wire.OrgView
		if code != 200 || json.Unmarshal(body, &view) != nil || !view.UnlistedByDefault || view.Directory == nil {
			t.Errorf("PATCH the firm's unlisted_by_default = %d %s; want it set, with its directory status", code, body)
		}
		for deadline := time.Now().Add(30 * time.Second); view.Directory != nil && view.Directory.Status == wire.DirectoryPending && time.Now().Before(deadline); {
			time.Sleep(200 * time.Millisecond)
			code, _, body = entry.call("GET", "/api/v1/orgs/"+firm.ID, consortiumToken, nil)
			view = wire.OrgView{}
			if code != 200 || json.Unmarshal(body, &view) != nil {
				t.Fatalf("GET the firm at its home node = %d %s", code, body)
			}
		}
		if !view.UnlistedByDefault || view.Directory == nil || view.Directory.Status != wire.DirectoryRegistered {
			t.Errorf("the firm at its home node = %s; want unlisted by default, and registered in the directory", body)
		}
		code, _, body = entry.call("POST", "/api/v1/orgs/"+firm.ID+"/keys", consortiumToken, strings.NewReader(`{"role":"submitter","name":"filing"}`), "Content-Type", "application/json")
		var key wire.NewKeyView
		if code != 201 || json.Unmarshal(body, &key) != nil {
			t.Fatalf("create the firm's key = %d %s", code, body)
		}
		if v := entry.upload(key.Token, randomBytes(t, 100)); !v.Unlisted {
			t.Errorf("upload by a firm unlisted by default: view %+v, want unlisted", v)
		}
		if v := entry.upload(key.Token, randomBytes(t, 100), "Custos-Metadata", `{"unlisted":false}`); v.Unlisted {
			t.Errorf("upload with unlisted false by a firm unlisted by default: view %+v, want listed", v)
		}
	})

	var regA wire.Copyright // the first registration at the first member
	t.Run("one copyright register", func(t *testing.T) {
		// Two owners register the same photograph at two members: the
		// chain numbers both, distinctly, naming each member; a third
		// member's search tells who came first, where, under which number.
		for _, m := range ms {
			m.p.Token = consortiumToken
		}
		home, other := ms[0].p, ms[2].p
		_, tokA := crOrg(t, home, "Consortium Studio A")
		_, tokB := crOrg(t, other, "Consortium Studio B")
		dir := t.TempDir()
		photo := writeFile(t, dir, "photo.png", testimage.PNG(testimage.Scene(3, 320, 240)))
		work := writeFile(t, dir, "work.json", []byte(`{"title":"Morning mist","type":"image","authors":["Li Ming"],"owner":"Li Ming","created":"2025-06-01"}`))
		register := func(p *proc, token string) wire.Copyright {
			t.Helper()
			// The organization enters the directory first (every 2 s);
			// the number waits for it, and (state version 12) for the
			// commitment's block before the registration's: two blocks,
			// which a loaded CI machine has once taken 30 s to make.
			out, err := runCustos(t, "copyright", "register", "--metadata", work, photo, "--wait", "60s", "--server", p.URL, "--token", token)
			var cr wire.Copyright
			if err != nil || json.Unmarshal([]byte(out), &cr) != nil || cr.Status != "registered" {
				t.Fatalf("custos copyright register at %s: %v\n%s", p.URL, err, out)
			}
			return cr
		}
		a := register(home, tokA)
		regA = a
		b := register(other, tokB)
		// Each member's first registration of the year, under its own
		// member mark (its place in the chain's validator set).
		mark := regexp.MustCompile(`^CUS-\(\d{4}\)-作登字-(M[1-4])-000001$`)
		ma, mb := mark.FindStringSubmatch(a.Number), mark.FindStringSubmatch(b.Number)
		if ma == nil || mb == nil || ma[1] == mb[1] {
			t.Fatalf("numbers %q (member 1) and %q (member 3); want each member's first, under distinct member marks", a.Number, b.Number)
		}
		pb, _ := os.ReadFile(photo)
		sum := sha256.Sum256(pb)
		var res wire.CopyrightSearch
		out, err := runCustos(t, "copyright", "search", "--sha256", hex.EncodeToString(sum[:]), "--server", ms[1].p.URL, "--token", consortiumToken)
		if err != nil || json.Unmarshal([]byte(out), &res) != nil || len(res.Matches) != 2 {
			t.Fatalf("search at the second member: %v\n%s", err, out)
		}
		first, second := res.Matches[0], res.Matches[1]
		if first.ID != a.ID || first.Number != a.Number || first.MemberName != tr.Validators[0].Name || !first.Remote || first.RegistrantOrgName != "Consortium Studio A" ||
			second.ID != b.ID || second.Number != b.Number || first.RegisterOrder >= second.RegisterOrder || first.AnchoredAt.IsZero() {
			t.Errorf("search at the second member = %s; want A's registration (member 1) first, then B's", out)
		}
		// State version 12: each took its place by a commitment final in
		// a block before the one that filed it (security.md, K7).
		for _, m := range res.Matches {
			if m.CommittedHeight == 0 || m.CommittedHeight >= m.AnchoredHeight || m.CommittedAt.IsZero() || m.CommittedAt.After(m.AnchoredAt) {
				t.Errorf("match %s: committed at %d (%s), filed at %d (%s); want a commitment in an earlier block", m.ID, m.CommittedHeight, m.CommittedAt, m.AnchoredHeight, m.AnchoredAt)
			}
		}
		// At B's own member, B's match carries its details; A's stays first.
		out, err = runCustos(t, "copyright", "search", photo, "--server", other.URL, "--token", tokB)
		res = wire.CopyrightSearch{}
		if err != nil || json.Unmarshal([]byte(out), &res) != nil || len(res.Matches) != 2 || res.Matches[0].ID != a.ID || res.Matches[1].Title != "Morning mist" || res.Matches[1].Remote {
			t.Errorf("search at B's member: %v\n%s", err, out)
		}
		// By number, at any member; a revocation at B's member reaches it.
		if _, err := runCustos(t, "copyright", "revoke", b.ID, "--reason", "registered in error", "--server", other.URL, "--token", tokB); err != nil {
			t.Fatalf("custos copyright revoke: %v", err)
		}
		for end := time.Now().Add(30 * time.Second); ; {
			out, err = runCustos(t, "copyright", "search", "--number", b.Number, "--server", home.URL, "--token", tokA)
			res = wire.CopyrightSearch{}
			if err != nil || json.Unmarshal([]byte(out), &res) != nil || len(res.Matches) != 1 || res.Matches[0].ID != b.ID {
				t.Fatalf("search by number at member 1: %v\n%s", err, out)
			}
			if res.Matches[0].Status == "revoked" {
				break
			}
			if time.Now().After(end) {
				t.Fatalf("B's revocation has not reached member 1: %s", out)
			}
			time.Sleep(300 * time.Millisecond)
		}
		// The photo's deposit, held while each registration was pending
		// (security.md K7, R1), is released once numbered: the second
		// member's lookup finds it in the digest index.
		q := "/api/v1/lookup?sha256=" + hex.EncodeToString(sum[:])
		for end := time.Now().Add(20 * time.Second); ; {
			var l wire.Lookup
			code, _, b := ms[1].p.call("GET", q, "", nil)
			if code == 200 && json.Unmarshal(b, &l) == nil && l.Anchored && l.Deposits >= 1 {
				break
			}
			if time.Now().After(end) {
				t.Fatalf("lookup of the registered photo at the second member = %d %s; want its released deposit", code, b)
			}
			time.Sleep(300 * time.Millisecond)
		}
	})

	var cs *crossShare
	t.Run("shared across members", func(t *testing.T) { cs = testCrossMemberShare(t, ms, trust, tr.Validators[0].Name) })

	t.Run("one validator down: anchoring continues", func(t *testing.T) {
		ms[3].p.Kill()
		data := randomBytes(t, 3000)
		v := file(data)
		status, rcpt := receiptOf(t, entry, v.ID, 30*time.Second)
		if status != 200 {
			t.Fatalf("with 3 of 4 validators: receipt = %d %s", status, rcpt)
		}
		verifyReceipt(t, trust, rcpt, data)
	})

	var pending []wire.EvidenceView
	var pendingData [][]byte
	var halted wire.Copyright
	t.Run("two validators down: halts, uploads still acknowledged", func(t *testing.T) {
		ms[2].p.Kill()
		for i := 0; i < 5; i++ {
			data := randomBytes(t, 1000+i)
			v := file(data) // 201: durable and time-stamped without the chain
			if v.Status != "timestamped" {
				t.Errorf("upload with the chain halted: status %q", v.Status)
			}
			pending, pendingData = append(pending, v), append(pendingData, data)
		}
		if status, b := receiptOf(t, entry, pending[0].ID, 2*time.Second); status != http.StatusAccepted {
			t.Errorf("receipt while halted = %d %s, want 202", status, b)
		}
		// A registration is accepted, and stays pending, unnumbered.
		form := copyrightForm(t, randomBytes(t, 700))
		code, _, b := entry.call("POST", "/api/v1/copyrights?wait=1s", consortiumToken, bytes.NewReader(form.data), "Content-Type", form.contentType)
		if code != 201 || json.Unmarshal(b, &halted) != nil || halted.Status != "pending" || halted.Number != "" {
			t.Errorf("registration while halted = %d %s; want 201, pending, no number", code, b)
		}
	})

	parent := t // restarted nodes must outlive the subtest that starts them
	t.Run("restarted: every pending leaf anchored", func(t *testing.T) {
		ms[2].start(parent)
		ms[3].start(parent)
		for i, v := range pending {
			status, rcpt := receiptOf(t, entry, v.ID, 60*time.Second)
			if status != 200 {
				t.Fatalf("after restart, receipt of %s = %d %s", v.ID, status, rcpt)
			}
			if i == 0 {
				verifyReceipt(t, trust, rcpt, pendingData[i])
			}
		}
		// The registration made while halted is numbered now, once.
		if halted.ID != "" {
			var cr wire.Copyright
			code, _, b := entry.call("GET", "/api/v1/copyrights/"+halted.ID+"?wait=30s", consortiumToken, nil)
			if code != 200 || json.Unmarshal(b, &cr) != nil || cr.Status != "registered" || !strings.HasSuffix(cr.Number, "-000002") || regA.Number == "" || cr.Number[:len(cr.Number)-7] != regA.Number[:len(regA.Number)-7] {
				t.Errorf("the registration made while halted, after restart = %d %s; want numbered", code, b)
			}
		}
	})

	t.Run("all nodes agree on every AppHash", func(t *testing.T) {
		// Let the restarted nodes catch up, then compare every height.
		var heights []int64
		deadline := time.Now().Add(30 * time.Second)
		for {
			heights = heights[:0]
			for _, m := range ms {
				var cp receipt.Checkpoint
				_, _, b := m.p.call("GET", "/api/v1/log/checkpoint", "", nil)
				json.Unmarshal(b, &cp)
				heights = append(heights, cp.Height)
			}
			if allEqual(heights) || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		top := heights[0]
		for _, h := range heights {
			top = min(top, h)
		}
		if top < 4 {
			t.Fatalf("heights %v: the chain did not progress", heights)
		}
		for h := int64(2); h <= top; h++ {
			var first string
			for i, m := range ms {
				_, _, b := m.p.call("GET", fmt.Sprintf("/api/v1/log/checkpoint?height=%d", h), "", nil)
				var cp receipt.Checkpoint
				if err := json.Unmarshal(b, &cp); err != nil {
					t.Fatalf("%s checkpoint %d: %s", m.slug, h, b)
				}
				head := fmt.Sprintf("%d/%s", cp.TreeSize, cp.Root)
				if i == 0 {
					first = head
				} else if head != first {
					t.Fatalf("height %d: %s has tree head %s, %s has %s", h, ms[0].slug, first, m.slug, head)
				}
			}
		}
		t.Logf("4 nodes agree on the tree head at every height 2..%d", top)
	})

	// Last: it stops the first member.
	t.Run("home node down: 503 for its items", func(t *testing.T) {
		if cs == nil {
			t.Skip("no cross-member share")
		}
		testHomeDown(t, ms, cs)
	})
}

func allEqual(xs []int64) bool {
	for _, x := range xs {
		if x != xs[0] {
			return false
		}
	}
	return true
}

// TestConsortiumNotaryPublicURL: `consortium init` gives the notary member
// a [notary] table that asks for public_url (left unset, commented), and
// no other member one; serve warns about an unset public_url on a node
// that signs documents and listens beyond loopback.
func TestConsortiumNotaryPublicURL(t *testing.T) {
	out := initConsortium(t)
	for _, m := range consortiumMembers(out) {
		b, err := os.ReadFile(m.cfg)
		if err != nil {
			t.Fatal(err)
		}
		notary := m.slug == "qiantang-notary-office"
		if got := strings.Contains(string(b), "\n[notary]\n") && strings.Contains(string(b), "# public_url = "); got != notary {
			t.Errorf("%s: [notary] table with a public_url placeholder = %v, want %v:\n%s", m.slug, got, notary, b)
		}
		cfg, err := loadConfig(m.cfg)
		if err != nil || cfg.Notary.PublicURL != "" {
			t.Errorf("loadConfig(%s) = public_url %q, %v; want it unset and the file valid", m.slug, cfg.Notary.PublicURL, err)
		}
	}
	for _, tc := range []struct {
		listen, publicURL string
		warn              bool
	}{
		{"127.0.0.1:8080", "", false},
		{"localhost:8080", "", false},
		{"[::1]:8080", "", false},
		{"0.0.0.0:8080", "", true},
		{":8080", "", true},
		{"10.0.0.5:8080", "", true},
		{"10.0.0.5:8080", "https://notary.example.org", false},
	} {
		cfg := defaultConfig()
		cfg.Listen, cfg.Notary.PublicURL = tc.listen, tc.publicURL
		if got := publicURLWarning(cfg); (got != "") != tc.warn || (tc.warn && !strings.Contains(got, "public_url")) {
			t.Errorf("publicURLWarning(listen %q, public_url %q) = %q, want a warning: %v", tc.listen, tc.publicURL, got, tc.warn)
		}
	}
}

// TestConsortiumGovernanceKeys: `consortium init` gives each member a
// governance key and certificate in its admin folder (not its node's),
// readable by the owner only, certified for governance by the member's
// organization CA under the root; the genesis names each validator's
// organization CA.
func TestConsortiumGovernanceKeys(t *testing.T) {
	out := initConsortium(t)
	roots, err := certs.ParsePEM(mustRead(t, filepath.Join(out, "offline", "root.pem")))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range consortiumMembers(out) {
		dir := filepath.Join(out, "admin", m.slug)
		for _, f := range []string{"governance.key", "governance.pem"} {
			fi, err := os.Stat(filepath.Join(dir, f))
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("%s/%s: %v, mode %v; want 0600", m.slug, f, err, fi.Mode())
			}
			if _, err := os.Stat(filepath.Join(out, m.slug, "pki", f)); err == nil {
				t.Errorf("member %s's node holds %s; the governance key stays with its administrators", m.slug, f)
			}
		}
		chain, err := certs.ParsePEM(mustRead(t, filepath.Join(dir, "governance.pem")))
		if err != nil || len(chain) != 2 {
			t.Fatalf("%s governance.pem: %v", m.slug, err)
		}
		orgCA, err := certs.ParsePEM(mustRead(t, filepath.Join(out, m.slug, "pki", "org-ca.pem")))
		if err != nil || !orgCA[0].Equal(chain[1]) {
			t.Fatalf("%s: governance.pem's second certificate is not the member's organization CA", m.slug)
		}
		if err := certs.CheckGovernance(chain[0], orgCA[0], roots[0], time.Now()); err != nil {
			t.Errorf("%s: CheckGovernance() = %v", m.slug, err)
		}
		key, err := certs.ParseKeyPEM(mustRead(t, filepath.Join(dir, "governance.key")))
		if err != nil || !certs.SameKey(chain[0], key) {
			t.Errorf("%s: governance.key is not the certificate's key: %v", m.slug, err)
		}
	}
	gen := string(mustRead(t, filepath.Join(out, "genesis.json")))
	version := regexp.MustCompile(fmt.Sprintf(`"state_version":\s*%d\b`, anchor.LatestState))
	if n := strings.Count(gen, "org_ca_pem"); n != 4 || !version.MatchString(gen) {
		t.Errorf("genesis app_state names %d organization CAs, want 4 at state version %d", n, anchor.LatestState)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
