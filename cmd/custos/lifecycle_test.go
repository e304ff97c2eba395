package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/client"
	"github.com/custos-project/custos/api/wire"
)

// lifecycle is a running consortium that changes (issue 16): the genesis
// members, then the joined one, with uploads flowing in the background.
// Each change that takes effect starts an era: 0 genesis, 1 after the
// join, 2 after the rotation, 3 after the removal, and one more per
// rotation of the soak.
type lifecycle struct {
	t          *testing.T
	out, trust string
	ms         []*member // hangzhou, beijing, qiantang, arbitration, then shanghai (joined)
	era        atomic.Int32
	bg         *uploads
	since      time.Time // the last phase's end (phase)
}

// afterJoin goes on from a 5-member consortium: it rotates the notary
// office's validator key by the procedure of docs/operations.md
// ("Rotating a member's key"), removes the arbitration commission with
// its proposer's node killed right after proposing, and checks the fault
// cases: a removed member's vote, an expired proposal re-sent, each
// refused with nothing changed. Then every background upload must have
// its receipt, and receipts from every era verify with the genesis trust
// bundle. soak > 0 rotates keys in turn for that long first.
func (lc *lifecycle) afterJoin(soak time.Duration) {
	t := lc.t
	a, b, q, arb, n := lc.ms[0], lc.ms[1], lc.ms[2], lc.ms[3], lc.ms[4]
	lc.phase("the join")
	lc.rotate(q, b, []*member{a, b, q, n})
	lc.phase("the rotation")
	for end := time.Now().Add(soak); soak > 0 && time.Now().Before(end); {
		// Not b: the background uploads go to its node.
		for _, r := range [][2]*member{{n, a}, {q, a}, {a, b}} {
			lc.rotate(r[0], r[1], []*member{a, b, q, n})
			lc.phase("the rotation of " + r[0].slug)
		}
	}
	lc.expiredReplay(b)
	lc.phase("the expired proposal")
	removed := lc.removeWithProposerCrash(arb, a, b, []*member{b, q, n})
	lc.phase("the removal")
	lc.removedVote(arb, removed, b)
	lc.unvotedForgery(a)
	lc.phase("the removed member's vote and the forgery")
	lc.bg.check(t, lc.trust, int(lc.era.Load()))
	lc.phase("the background uploads' receipts")
}

// anchored uploads to m and waits for the receipt, which must verify
// with the genesis trust bundle.
func (lc *lifecycle) anchored(m *member, when string) ([]byte, []byte) {
	lc.t.Helper()
	rcpt, data := lc.drive(m, when)
	verifyReceipt(lc.t, lc.trust, rcpt, data)
	return rcpt, data
}

// drive uploads to m and waits for the receipt: the chain makes blocks
// when it has work.
func (lc *lifecycle) drive(m *member, when string) ([]byte, []byte) {
	t := lc.t
	t.Helper()
	data := randomBytes(t, 3000)
	v := m.p.upload(consortiumToken, data)
	status, rcpt := receiptOf(t, m.p, v.ID, 60*time.Second)
	if status != 200 {
		t.Fatalf("%s: receipt = %d %s", when, status, rcpt)
	}
	return rcpt, data
}

// phase logs how long the lifecycle's last step took.
func (lc *lifecycle) phase(what string) {
	now := time.Now()
	lc.t.Logf("%s: %s", what, now.Sub(lc.since).Round(time.Second))
	lc.since = now
}

// gov is the governance flags of member m's administrators, sending
// through via's node.
func (lc *lifecycle) gov(m, via *member) []string {
	d := filepath.Join(lc.out, "admin", m.slug)
	if m.slug == "shanghai" {
		d = filepath.Join(filepath.Dir(m.cfg), "admin")
	}
	return []string{"--key", filepath.Join(d, "governance.key"), "--cert", filepath.Join(d, "governance.pem"), "--server", via.p.URL}
}

func (lc *lifecycle) members(via *member) wire.Members {
	var ms wire.Members
	cliJSON(lc.t, &ms, "consortium", "members", "--server", via.p.URL)
	return ms
}

func memberNamed(t *testing.T, ms wire.Members, name string) wire.Member {
	t.Helper()
	for _, m := range ms.Members {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("no member named %q in %+v", name, ms)
	return wire.Member{}
}

// waitApplied drives the chain with uploads to drive until proposal id
// is applied on on's node.
func (lc *lifecycle) waitApplied(id string, drive, on *member) wire.Proposal {
	t := lc.t
	t.Helper()
	var p wire.Proposal
	for end := time.Now().Add(120 * time.Second); ; {
		lc.drive(drive, "while "+id+" takes effect")
		if o, err := runCustos(t, "consortium", "proposal", id, "--json", "--server", on.p.URL); err == nil {
			if err := json.Unmarshal([]byte(o), &p); err == nil && p.Status == "applied" {
				return p
			}
		}
		if time.Now().After(end) {
			t.Fatalf("proposal %s on %s = %+v, want applied", id, on.slug, p)
		}
	}
}

// orgCAKey is where member m's organization CA key is: consortium init's
// offline folder, or the joined member's own.
func (lc *lifecycle) orgCAKey(m *member) string {
	if m.slug == "shanghai" {
		return filepath.Join(filepath.Dir(m.cfg), "offline", joinOrgKey)
	}
	return filepath.Join(lc.out, "offline", m.slug+"-org-ca.key")
}

// rotate rotates m's validator key: rotate-key on its node, the proposal
// (by proposer's administrators) and the voters' votes, the restart once
// applied. m's node then signs with the new key alone, its member ID and
// place stay, a receipt it made under its old key still verifies, and it
// anchors and signs blocks again.
func (lc *lifecycle) rotate(m, proposer *member, voters []*member) {
	t := lc.t
	t.Helper()
	home := filepath.Join(filepath.Dir(m.cfg), "chain")
	oldRcpt, oldData := lc.anchored(m, m.slug+" before its rotation")
	// An organization homed on m before the rotation is m's after it.
	firm, _ := orgWithKey(t, m.p, "lawfirm", fmt.Sprintf("Firm of %s %d", m.slug, lc.era.Load()), "submitter")
	oldNode := waitDirectory(t, m.p, firm.ID).Member
	before := lc.members(proposer)
	var name string
	var me wire.Member
	for _, x := range before.Members {
		if bytes.Equal(x.ValidatorKey, lc.validatorPub(anchor.PrivValKeyPath(home))) {
			me, name = x, x.Name
		}
	}
	if name == "" {
		t.Fatalf("%s's validator key is no member's: %+v", m.slug, before)
	}
	o, err := runCustos(t, "consortium", "rotate-key", "--config", m.cfg, "--org-ca-key", lc.orgCAKey(m))
	if err != nil {
		t.Fatalf("consortium rotate-key: %v\n%s", err, o)
	}
	next := anchor.NextPrivValKeyPath(home)
	newPub := lc.validatorPub(next)
	if !strings.Contains(o, "custos consortium propose rotate") || !strings.Contains(o, base64.StdEncoding.EncodeToString(newPub)) {
		t.Errorf("rotate-key printed no propose command with the new key:\n%s", o)
	}
	if o, err := runCustos(t, "consortium", "rotate-key", "--config", m.cfg, "--org-ca-key", lc.orgCAKey(m)); err == nil || !strings.Contains(err.Error(), "already prepared") {
		t.Errorf("rotate-key again: %v\n%s; want refused: already prepared", err, o)
	}
	if !bytes.Equal(lc.validatorPub(next), newPub) {
		t.Error("a refused rotate-key replaced the prepared key")
	}
	id := fmt.Sprintf("rotate-%s-%d", m.slug, lc.era.Load())
	cliJSON(t, &wire.GovernanceAccepted{}, append([]string{"consortium", "propose", "rotate", name, next, "--id", id}, lc.gov(proposer, proposer)...)...)
	for _, v := range voters {
		cliJSON(t, &wire.GovernanceAccepted{}, append([]string{"consortium", "vote", id, "--yes"}, lc.gov(v, v)...)...)
	}
	lc.waitApplied(id, proposer, m)
	lc.bg.nextEra(t)

	// The node restarts and switches to the new key.
	m.p.Stop()
	m.start(t)
	if got := lc.validatorPub(anchor.PrivValKeyPath(home)); !bytes.Equal(got, newPub) {
		t.Fatalf("after the restart %s's validator key is %x, want the new %x", m.slug, got, newPub)
	}
	for _, f := range []string{next, filepath.Join(filepath.Dir(m.cfg), "pki", nodeNextCert)} {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("%s is still there after the switch", f)
		}
	}
	after := memberNamed(t, lc.members(m), name)
	if after.ID != me.ID || after.Place != me.Place || !bytes.Equal(after.ValidatorKey, newPub) {
		t.Errorf("the rotated member = %+v, want ID %s, place %d, the new key", after, me.ID, me.Place)
	}
	verifyReceipt(t, lc.trust, oldRcpt, oldData) // made under the old key
	for _, p := range []*member{m, proposer} {
		if e := waitDirectory(t, p.p, firm.ID); e.Member != anchor.MemberOfKey(newPub) || e.MemberName != name || e.Member == oldNode {
			t.Errorf("%s's directory entry of %s's firm after the rotation: member %.8s (%q), want its new node %.8s (%q)",
				p.slug, m.slug, e.Member, e.MemberName, anchor.MemberOfKey(newPub), name)
		}
	}
	lc.anchored(m, m.slug+" after its rotation")
	newKey := base64.StdEncoding.EncodeToString(newPub)
	for i := 0; ; i++ {
		rcpt, _ := lc.drive(proposer, "after the rotation of "+m.slug)
		vals, signed := checkpointSigners(t, rcpt)
		if signed[newKey] {
			break
		}
		if signed[base64.StdEncoding.EncodeToString(me.ValidatorKey)] {
			t.Fatalf("a checkpoint after the rotation (%d validators) is signed by %s's old key", vals, m.slug)
		}
		if i == 50 {
			t.Fatalf("%s's new key signed none of %d blocks after the rotation", m.slug, i+1)
		}
	}
}

func (lc *lifecycle) validatorPub(path string) ed25519.PublicKey {
	lc.t.Helper()
	k, err := readValidatorKey(path)
	if err != nil {
		lc.t.Fatalf("%s: %v", path, err)
	}
	return k
}

// signedProposal builds and signs a proposal with member m's governance
// key, as the CLI does, so that the test can send its bytes twice.
func (lc *lifecycle) signedProposal(m *member, via *member, p anchor.Proposal) []byte {
	t := lc.t
	t.Helper()
	f := lc.gov(m, via)
	g := govKeyFlags{key: f[1], cert: f[3]}
	c := client.New(via.p.URL, "")
	ms, err := c.Members(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s, err := g.load(context.Background(), c, ms)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := anchor.NewProposeTx(s.chainID, s.cert, s.orgCA, s.key, s.member, p)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// expiredReplay: a proposal that expired, sent again byte for byte, is
// refused (its ID exists), and the same change signed anew with an expiry
// already past is refused as expired; neither changes the proposal.
func (lc *lifecycle) expiredReplay(m *member) {
	t := lc.t
	t.Helper()
	ctx := context.Background()
	ms := lc.members(m)
	target := memberNamed(t, ms, "Hangzhou Internet Court")
	var tid [32]byte
	hex.Decode(tid[:], []byte(target.ID))
	p := anchor.Proposal{ID: "power-expiring", Expires: uint64(ms.Height) + 8, Action: anchor.ActPower, Target: tid, Power: uint64(target.Power + 2)}
	raw := lc.signedProposal(m, m, p)
	c := client.New(m.p.URL, "")
	if _, err := c.Propose(ctx, raw, 20*time.Second); err != nil {
		t.Fatalf("propose %s: %v", p.ID, err)
	}
	var st wire.Proposal
	for end := time.Now().Add(60 * time.Second); ; {
		lc.drive(m, "while "+p.ID+" expires")
		cliJSON(t, &st, "consortium", "proposal", p.ID, "--server", m.p.URL)
		if st.Status == "expired" {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("proposal %s = %+v, want expired", p.ID, st)
		}
	}
	if _, err := c.Propose(ctx, raw, 20*time.Second); err == nil || !strings.Contains(err.Error(), "409 Already recorded") {
		t.Errorf("the expired proposal sent again: %v; want 409 Already recorded", err)
	}
	p.ID = "power-expired"
	if _, err := c.Propose(ctx, lc.signedProposal(m, m, p), 20*time.Second); err == nil || !strings.Contains(err.Error(), "409") || !strings.Contains(err.Error(), "expired at height") {
		t.Errorf("a proposal whose expiry is past: %v; want 409, expired", err)
	}
	var again wire.Proposal
	cliJSON(t, &again, "consortium", "proposal", "power-expiring", "--server", m.p.URL)
	if again.Status != "expired" || len(again.Votes) != 0 {
		t.Errorf("after the replays: %+v, want expired with no votes", again)
	}
	if o, err := runCustos(t, "consortium", "proposal", "power-expired", "--server", m.p.URL); err == nil {
		t.Errorf("the refused proposal is recorded:\n%s", o)
	}
	if got := memberNamed(t, lc.members(m), target.Name).Power; got != target.Power {
		t.Errorf("%s's power after the expired proposal = %d, want %d", target.Name, got, target.Power)
	}
}

// removeWithProposerCrash removes member gone: proposer's administrators
// propose through its own node, which is killed (SIGKILL) right after;
// the proposer votes through via's node and voters through their own; the
// removal is applied, the proposer's node restarts and catches up. It
// returns the removed member's ID.
func (lc *lifecycle) removeWithProposerCrash(gone, proposer, via *member, voters []*member) string {
	t := lc.t
	t.Helper()
	ms := lc.members(via)
	name := memberNamed(t, ms, "杭州仲裁委员会").Name
	goneID := memberNamed(t, ms, name).ID
	cliJSON(t, &wire.GovernanceAccepted{}, append([]string{"consortium", "propose", "remove", name, "--id", "remove-arbitration"}, lc.gov(proposer, proposer)...)...)
	proposer.p.Kill()
	cliJSON(t, &wire.GovernanceAccepted{}, append([]string{"consortium", "vote", "remove-arbitration", "--yes"}, lc.gov(proposer, via)...)...)
	for _, v := range voters {
		cliJSON(t, &wire.GovernanceAccepted{}, append([]string{"consortium", "vote", "remove-arbitration", "--yes"}, lc.gov(v, v)...)...)
	}
	p := lc.waitApplied("remove-arbitration", via, via)
	lc.bg.nextEra(t)
	proposer.start(t)
	// The restarted node catches up: the removal applied there too, and
	// it anchors again.
	for end := time.Now().Add(120 * time.Second); ; {
		var got wire.Proposal
		cliJSON(t, &got, "consortium", "proposal", "remove-arbitration", "--server", proposer.p.URL)
		if got.Status == "applied" && got.Effective == p.Effective {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the restarted proposer's node: %+v, want applied at %d", got, p.Effective)
		}
		lc.drive(via, "while the proposer's node catches up")
	}
	lc.anchored(proposer, "on the restarted proposer")
	after := lc.members(proposer)
	current := 0
	for _, m := range after.Members {
		if m.Removed == 0 {
			current++
		}
	}
	if g := memberNamed(t, after, name); current != 4 || g.Removed != p.Effective {
		t.Errorf("members after the removal: %d current, the removed %+v; want 4, removed at %d", current, g, p.Effective)
	}
	rcpt, _ := lc.anchored(via, "after the removal")
	if vals, _ := checkpointSigners(t, rcpt); vals != 4 {
		// The set shrinks two blocks after the application's list.
		for i := 0; vals != 4; i++ {
			rcpt, _ = lc.drive(via, "after the removal")
			if vals, _ = checkpointSigners(t, rcpt); i == 20 && vals != 4 {
				t.Fatalf("checkpoints after the removal are signed by a set of %d, want 4", vals)
			}
		}
	}
	return goneID
}

// removedVote: the removed member's governance key votes on an open
// proposal (naming its member ID, since the CLI finds no current member
// for its CA) and is refused; the proposal has no vote.
func (lc *lifecycle) removedVote(gone *member, goneID string, via *member) {
	t := lc.t
	t.Helper()
	target := memberNamed(t, lc.members(via), "Beijing Internet Court")
	cliJSON(t, &wire.GovernanceAccepted{}, append([]string{"consortium", "propose", "power", target.Name, fmt.Sprint(target.Power + 1), "--id", "power-after-removal"}, lc.gov(via, via)...)...)
	o, err := runCustos(t, append([]string{"consortium", "vote", "power-after-removal", "--yes"}, lc.gov(gone, via)...)...)
	if err == nil || !strings.Contains(err.Error(), "belongs to no current member") {
		t.Errorf("the removed member votes: %v\n%s; want refused by the CLI: no current member", err, o)
	}
	o, err = runCustos(t, append([]string{"consortium", "vote", "power-after-removal", "--yes", "--member", goneID}, lc.gov(gone, via)...)...)
	if err == nil || !strings.Contains(err.Error(), "403 Not signed by a member") || !strings.Contains(err.Error(), "was removed at height") {
		t.Errorf("the removed member votes with --member: %v\n%s; want 403 Not signed by a member: removed", err, o)
	}
	var p wire.Proposal
	cliJSON(t, &p, "consortium", "proposal", "power-after-removal", "--server", via.p.URL)
	if p.Status != "open" || len(p.Votes) != 0 || p.YesPower != 0 {
		t.Errorf("after the removed member's vote: %+v, want open with no vote", p)
	}
}

// unvotedForgery: a receipt whose checkpoint claims a validator set with
// a key the members never voted in (a prepared member's) fails `custos
// verify`. (The transition vectors of receipt check the same
// with forged signatures: receipt.md §8.4.)
func (lc *lifecycle) unvotedForgery(m *member) {
	t := lc.t
	t.Helper()
	dir := filepath.Join(t.TempDir(), "unvoted")
	if o, err := runCustos(t, "consortium", "join", "--out", dir, "--org", "court:Unvoted Court"); err != nil {
		t.Fatalf("consortium join: %v\n%s", err, o)
	}
	pub := lc.validatorPub(filepath.Join(dir, "chain", "config", "priv_validator_key.json"))
	rcpt, data := lc.anchored(m, "for the forgery")
	var r map[string]any
	if err := json.Unmarshal(rcpt, &r); err != nil {
		t.Fatal(err)
	}
	cp := r["checkpoint"].(map[string]any)
	setB, _ := base64.StdEncoding.DecodeString(cp["validator_set"].(string))
	var vs cmtproto.ValidatorSet
	if err := vs.Unmarshal(setB); err != nil {
		t.Fatal(err)
	}
	v := *vs.Validators[0]
	v.PubKey = cmtcrypto.PublicKey{Sum: &cmtcrypto.PublicKey_Ed25519{Ed25519: pub}}
	v.Address = nil
	vs.Validators = append(vs.Validators, &v)
	setB, err := vs.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	cp["validator_set"] = base64.StdEncoding.EncodeToString(setB)
	forged, _ := json.Marshal(r)
	d := t.TempDir()
	o, err := runCustos(t, "verify", "--receipt", writeFile(t, d, "r.json", forged), "--file", writeFile(t, d, "f", data), "--trust", lc.trust)
	if err == nil {
		t.Errorf("custos verify accepted a checkpoint naming a validator never voted in:\n%s", o)
	}
}

// uploads is a stream of uploads to one node, in the background, each
// tagged with the era it was sent in.
type uploads struct {
	url    string
	era    *atomic.Int32
	every  time.Duration
	stop   chan struct{}
	done   chan struct{}
	mu     sync.Mutex
	sent   []sentUpload
	failed []string
}

type sentUpload struct {
	id   string
	data []byte
	era  int
}

// startUploads sends an upload to url about every interval until the
// test ends or check stops it.
func startUploads(t *testing.T, url string, era *atomic.Int32, every time.Duration) *uploads {
	u := &uploads{url: url, era: era, every: every, stop: make(chan struct{}), done: make(chan struct{})}
	go u.run()
	t.Cleanup(u.halt)
	return u
}

func (u *uploads) halt() {
	select {
	case <-u.stop:
	default:
		close(u.stop)
	}
	<-u.done
}

func (u *uploads) run() {
	defer close(u.done)
	c := &http.Client{Timeout: 60 * time.Second}
	for i := 0; ; i++ {
		select {
		case <-u.stop:
			return
		case <-time.After(u.every):
		}
		era := int(u.era.Load())
		data := []byte(fmt.Sprintf("background upload %d in era %d at %s", i, era, time.Now().Format(time.RFC3339Nano)))
		req, _ := http.NewRequest("POST", u.url+"/api/v1/evidence", bytes.NewReader(data))
		req.Header.Set("Authorization", "Bearer "+consortiumToken)
		resp, err := c.Do(req)
		if err != nil {
			u.fail("upload %d (era %d): %v", i, era, err)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var v wire.EvidenceView
		if resp.StatusCode != http.StatusCreated || json.Unmarshal(body, &v) != nil {
			u.fail("upload %d (era %d): %d %s", i, era, resp.StatusCode, body)
			continue
		}
		u.mu.Lock()
		u.sent = append(u.sent, sentUpload{id: v.ID, data: data, era: era})
		u.mu.Unlock()
	}
}

// awaitEra waits (up to two minutes) until an upload sent in era e was
// accepted, so that an era shorter than the uploads' interval on a loaded
// machine still has one: each era must see anchoring go on, however long
// it lasts. A failed upload is reported by check.
func (u *uploads) awaitEra(t *testing.T, e int) {
	t.Helper()
	for end := time.Now().Add(2 * time.Minute); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		u.mu.Lock()
		n := len(u.sent)
		ok := n > 0 && u.sent[n-1].era >= e
		u.mu.Unlock()
		if ok {
			return
		}
	}
}

// nextEra starts the next era once the current one has an accepted upload.
func (u *uploads) nextEra(t *testing.T) {
	t.Helper()
	u.awaitEra(t, int(u.era.Load()))
	u.era.Add(1)
}

func (u *uploads) fail(format string, args ...any) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.failed = append(u.failed, fmt.Sprintf(format, args...))
}

// check stops the uploads; every one accepted must have its receipt, with
// at least as many transitions as changes before its era; the first and
// last of each era verify with the genesis trust bundle; every era up to
// eras has uploads (anchoring went on throughout).
func (u *uploads) check(t *testing.T, trust string, eras int) {
	t.Helper()
	u.awaitEra(t, eras)
	u.halt()
	for _, f := range u.failed {
		t.Errorf("background %s", f)
	}
	p := &proc{t: t, URL: u.url}
	byEra := map[int][]sentUpload{}
	for _, s := range u.sent {
		byEra[s.era] = append(byEra[s.era], s)
	}
	for e := 0; e <= eras; e++ {
		got := byEra[e]
		if len(got) == 0 {
			t.Errorf("no background upload in era %d", e)
			continue
		}
		for i, s := range got {
			status, rcpt := receiptOf(t, p, s.id, 60*time.Second)
			if status != 200 {
				t.Errorf("era %d, %s: receipt = %d %s", e, s.id, status, rcpt)
				continue
			}
			if e > 0 {
				if _, _, n := receiptSigners(t, rcpt); n < e {
					t.Errorf("era %d, %s: the receipt carries %d transitions, want at least %d", e, s.id, n, e)
				}
			}
			if i == 0 || i == len(got)-1 {
				verifyReceipt(t, trust, rcpt, s.data)
			}
		}
	}
	t.Logf("background uploads: %d accepted, %d failed, by era %v", len(u.sent), len(u.failed), eraCounts(byEra, eras))
}

func eraCounts(by map[int][]sentUpload, eras int) []int {
	out := make([]int, eras+1)
	for e := range out {
		out[e] = len(by[e])
	}
	return out
}

// TestSoakLifecycle is TestConsortiumJoin's lifecycle with keys rotated
// in turn for CUSTOS_SOAK_DURATION before the removal: an era per
// rotation, uploads flowing throughout, every receipt checked.
func TestSoakLifecycle(t *testing.T) {
	if os.Getenv("CUSTOS_SOAK_DURATION") == "" {
		t.Skip("set CUSTOS_SOAK_DURATION (make soak) to run the long lifecycle")
	}
	consortiumLifecycle(t, soakDuration(t))
}

// checkpointAt reads node p's checkpoint at height h: the size of the set
// that signed it and the keys (base64) with a COMMIT signature.
func checkpointAt(t *testing.T, p *proc, h int64) (int, map[string]bool) {
	t.Helper()
	status, _, b := p.call("GET", fmt.Sprintf("/api/v1/log/checkpoint?height=%d", h), "", nil)
	var cp struct {
		SignedHeader []byte `json:"signed_header"`
		ValidatorSet []byte `json:"validator_set"`
	}
	if status != 200 || json.Unmarshal(b, &cp) != nil {
		t.Fatalf("checkpoint %d = %d %s", h, status, b)
	}
	return commitSigners(t, cp.SignedHeader, cp.ValidatorSet)
}
