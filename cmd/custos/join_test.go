package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/wire"
)

// TestConsortiumJoin grows a running 4-member consortium (4 `custos serve`
// processes from `consortium init`) to 5, by the procedure of
// docs/operations.md, "Joining the consortium": the new member runs
// `consortium join`, the root holder `consortium admit` (which refuses a
// root that is not the consortium's), the new member `join --finish` and
// starts its node, which syncs from its peers; a proposal to admit an
// organization CA under another root is refused (422); the first member proposes
// the admission with the command admit printed, three members vote, and
// once it is applied the new node lists 5 members, anchors its own uploads
// as a validator, and receipts from after the change, on the new node and
// an old one, verify with the genesis trust bundle. Uploads keep anchoring
// throughout. Then the lifecycle goes on (consortiumLifecycle): a key
// rotated, a member removed, and the fault cases.
func TestConsortiumJoin(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 5-node consortium")
	}
	t.Parallel() // waits on the chain more than it computes: see parallelNote
	consortiumLifecycle(t, 0)
}

// consortiumLifecycle runs the join of TestConsortiumJoin, then
// lifecycle.afterJoin; soak > 0 goes on rotating keys for that long
// (TestSoakLifecycle).
func consortiumLifecycle(t *testing.T, soak time.Duration) {
	out := initConsortium(t)
	trust := filepath.Join(out, "trust.json")
	ms := consortiumMembers(out)
	for _, m := range ms {
		m.start(t)
	}
	a := ms[0]
	lc := &lifecycle{t: t, out: out, trust: trust, ms: ms, since: time.Now()}
	anchored := lc.drive
	anchored(a, "before the join")
	every := 2 * time.Second // make test: a few uploads an era
	if soak > 0 {
		every = 200 * time.Millisecond
	}
	lc.bg = startUploads(t, ms[1].p.URL, &lc.era, every)

	// The new member's machine.
	dir := filepath.Join(t.TempDir(), "shanghai")
	o, err := runCustos(t, "consortium", "join", "--out", dir, "--org", "court:Shanghai Internet Court",
		"--api-port", fmt.Sprint(freePortRun(t, 1)), "--p2p-port", fmt.Sprint(freePortRun(t, 1)), "--peer-port", fmt.Sprint(freePortRun(t, 1)))
	if err != nil {
		t.Fatalf("consortium join: %v\n%s", err, o)
	}
	for _, f := range []string{"offline/org-ca.key", "chain/config/priv_validator_key.json", "chain/config/node_key.json"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, want a 0600 file", f, err)
		}
	}
	request := filepath.Join(dir, "join-request.json")

	// The root holder's machine: a root that is not the consortium's is refused.
	other := filepath.Join(t.TempDir(), "other")
	if o, err := runCustos(t, "consortium", "init", "--out", other, "--org", "court:Elsewhere Court"); err != nil {
		t.Fatalf("consortium init: %v\n%s", err, o)
	}
	o, err = runCustos(t, "consortium", "admit", "--root-dir", filepath.Join(other, "offline"), "--request", request,
		"--genesis", filepath.Join(out, "genesis.json"), "--trust", trust, "-o", filepath.Join(t.TempDir(), "bad"))
	if err == nil || !strings.Contains(err.Error(), "is not this consortium's root") {
		t.Errorf("admit under another root: %v\n%s; want refused: not this consortium's root", err, o)
	}

	// Peers to sync from: the running members' nodes.
	peerRE := regexp.MustCompile(`"([0-9a-f]{40}@[^"]+)"`)
	seen := map[string]bool{}
	admission := filepath.Join(t.TempDir(), "admission")
	args := []string{"consortium", "admit", "--root-dir", filepath.Join(out, "offline"), "--request", request, "-o", admission}
	for _, m := range ms[:2] {
		b, err := os.ReadFile(m.cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range peerRE.FindAllStringSubmatch(string(b), -1) {
			if !seen[p[1]] {
				seen[p[1]] = true
				args = append(args, "--peer", p[1])
			}
		}
	}
	if len(seen) != 4 {
		t.Fatalf("peers from the members' configs: %v, want 4", seen)
	}
	o, err = runCustos(t, args...)
	if err != nil {
		t.Fatalf("consortium admit: %v\n%s", err, o)
	}
	propose := proposeCommand(t, o)
	if o, err := runCustos(t, "consortium", "join", "--finish", admission, "--out", dir, "--from", peerURL(t, a)); err != nil {
		t.Fatalf("consortium join --finish: %v\n%s", err, o)
	}
	checkJoinPeers(t, filepath.Join(dir, "custos.toml"), ms)
	n := &member{slug: "shanghai", cfg: filepath.Join(dir, "custos.toml")}
	n.start(t)

	gov := func(m *member) []string {
		d := filepath.Join(out, "admin", m.slug)
		return []string{"--key", filepath.Join(d, "governance.key"), "--cert", filepath.Join(d, "governance.pem"), "--server", m.p.URL}
	}
	// An organization CA not under the consortium's root: the chain
	// refuses the proposal, and it is not recorded.
	o, err = runCustos(t, append([]string{"consortium", "propose", "admit", filepath.Join(other, "elsewhere-court", "pki", "org-ca.pem"),
		propose[4], "10", "--id", "admit-elsewhere"}, gov(a)...)...)
	if err == nil || !strings.Contains(err.Error(), "422 Change refused") || !strings.Contains(err.Error(), "is not issued by the consortium root") {
		t.Errorf("propose admit of an organization CA under another root: %v\n%s; want refused", err, o)
	}
	if o, err := runCustos(t, "consortium", "proposal", "admit-elsewhere", "--server", a.p.URL); err == nil {
		t.Errorf("the refused proposal is recorded:\n%s", o)
	}

	var acc wire.GovernanceAccepted
	cliJSON(t, &acc, append(append(propose, "--id", "admit-shanghai"), gov(a)...)...)
	if acc.State == nil || acc.State.Status != "open" {
		t.Fatalf("propose admit = %+v, want open", acc)
	}
	for _, m := range ms[:3] {
		cliJSON(t, &acc, append([]string{"consortium", "vote", "admit-shanghai", "--yes"}, gov(m)...)...)
	}
	// Blocks come with work: uploads drive the chain to the height the
	// admission takes effect at, read from the new node once it has synced.
	var p wire.Proposal
	for end := time.Now().Add(60 * time.Second); ; {
		anchored(a, "while the admission takes effect")
		if o, err := runCustos(t, "consortium", "proposal", "admit-shanghai", "--json", "--server", n.p.URL); err == nil {
			if err := json.Unmarshal([]byte(o), &p); err == nil && p.Status == "applied" {
				break
			}
		}
		if time.Now().After(end) {
			t.Fatalf("the admission on the new node = %+v, want applied", p)
		}
	}
	var members wire.Members
	cliJSON(t, &members, "consortium", "members", "--server", n.p.URL)
	var joined *wire.Member
	for i, m := range members.Members {
		if m.Name == "Shanghai Internet Court" {
			joined = &members.Members[i]
		}
	}
	if len(members.Members) != 5 || joined == nil || joined.Power != 10 || joined.Kind != "court" || joined.Place != 5 {
		t.Fatalf("members on the new node = %+v, want 5 with the new court at power 10", members)
	}
	// The members learn the new member's peer API URL from its node, which
	// announces it (no change to their configurations): the first member
	// from the node itself, the others from it or from one another.
	newcomer := anchor.MemberOfKey(joined.ValidatorKey)
	for end := time.Now().Add(30 * time.Second); ; {
		if logs, _ := os.ReadFile(a.p.logPath); bytes.Contains(logs, []byte("learned a member's peer API URL")) && bytes.Contains(logs, []byte(newcomer)) {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("%s never learned the new member's peer API URL (member %s)", a.slug, newcomer)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// The new member anchors its own uploads, and receipts from after the
	// change (version 4, with the transition) verify with the genesis trust
	// bundle; before long one of them is a block the new validator signed.
	rcpt, data := anchored(n, "on the new member")
	verifyReceipt(t, trust, rcpt, data)
	for i := 0; ; i++ {
		rcpt, data = anchored(a, "after the join")
		verifyReceipt(t, trust, rcpt, data)
		vals, signed := checkpointSigners(t, rcpt)
		if vals != 5 {
			t.Fatalf("the checkpoint after the join is signed by a set of %d validators, want 5", vals)
		}
		if signed[base64.StdEncoding.EncodeToString(joined.ValidatorKey)] {
			break
		}
		if i == 50 {
			t.Fatalf("the new validator signed none of %d blocks after its admission", i+1)
		}
	}
	// A node whose validator key the members have not voted in syncs but
	// signs nothing: the blocks before the admission took effect are the
	// 4 genesis members'.
	if vals, signed := checkpointAt(t, n.p, p.Effective+1); vals != 4 || signed[base64.StdEncoding.EncodeToString(joined.ValidatorKey)] {
		t.Errorf("checkpoint %d, before the new set signs: %d validators, signers %v; want the 4 genesis members' alone", p.Effective+1, vals, signed)
	}
	lc.bg.nextEra(t) // era 0 → 1
	lc.ms = append(lc.ms, n)
	lc.afterJoin(soak)
}

// proposeCommand is the propose command consortium admit printed (o), from
// "consortium" to the power, without its --key, --cert and --server.
func proposeCommand(t *testing.T, o string) []string {
	t.Helper()
	for _, l := range strings.Split(o, "\n") {
		if f := strings.Fields(l); len(f) > 6 && strings.Join(f[:4], " ") == "custos consortium propose admit" {
			return f[1:7]
		}
	}
	t.Fatalf("consortium admit printed no propose command:\n%s", o)
	return nil
}

// checkpointSigners reads a version-4 receipt's checkpoint: the size of the
// validator set that signed it, and the keys (base64) with a COMMIT
// signature in its commit.
func checkpointSigners(t *testing.T, rcpt []byte) (int, map[string]bool) {
	t.Helper()
	vals, signed, _ := receiptSigners(t, rcpt)
	return vals, signed
}

// receiptSigners is checkpointSigners, with the number of transitions the
// receipt carries.
func receiptSigners(t *testing.T, rcpt []byte) (int, map[string]bool, int) {
	t.Helper()
	var r struct {
		Version    int `json:"version"`
		Checkpoint struct {
			SignedHeader []byte            `json:"signed_header"`
			ValidatorSet []byte            `json:"validator_set"`
			Transitions  []json.RawMessage `json:"transitions"`
		} `json:"checkpoint"`
	}
	if err := json.Unmarshal(rcpt, &r); err != nil {
		t.Fatal(err)
	}
	// Version 4, or 5 once the item's evidence record is built (version 4
	// or 3 with the record, docs/receipt.md §9).
	if r.Version != 4 && r.Version != 5 || len(r.Checkpoint.Transitions) == 0 {
		t.Fatalf("receipt after the join: version %d with %d transitions, want version 4 (or 5) with the admission's", r.Version, len(r.Checkpoint.Transitions))
	}
	vals, signed := commitSigners(t, r.Checkpoint.SignedHeader, r.Checkpoint.ValidatorSet)
	return vals, signed, len(r.Checkpoint.Transitions)
}

// commitSigners decodes a checkpoint's signed header and validator set
// (protobuf): the size of the set, and the keys (base64) with a COMMIT
// signature.
func commitSigners(t *testing.T, header, set []byte) (int, map[string]bool) {
	t.Helper()
	var sh cmtproto.SignedHeader
	var vs cmtproto.ValidatorSet
	if err := sh.Unmarshal(header); err != nil {
		t.Fatal(err)
	}
	if err := vs.Unmarshal(set); err != nil {
		t.Fatal(err)
	}
	signed := map[string]bool{}
	for i, sig := range sh.Commit.Signatures {
		if sig.BlockIdFlag == cmtproto.BlockIDFlagCommit && i < len(vs.Validators) {
			signed[base64.StdEncoding.EncodeToString(vs.Validators[i].PubKey.GetEd25519())] = true
		}
	}
	return len(vs.Validators), signed
}

// TestConsortiumJoinRefusals: admit refuses a request whose organization CA
// request was altered, and join --finish refuses an admission made for
// another member's request or whose organization CA is not under the
// consortium's root. Nothing is written by a refused step.
func TestConsortiumJoinRefusals(t *testing.T) {
	tmp := t.TempDir()
	out := filepath.Join(tmp, "c")
	if o, err := runCustos(t, "consortium", "init", "--out", out, "--org", "court:Court A", "--org", "court:Court B"); err != nil {
		t.Fatalf("consortium init: %v\n%s", err, o)
	}
	join := func(name string) string {
		dir := filepath.Join(tmp, name)
		if o, err := runCustos(t, "consortium", "join", "--out", dir, "--org", "court:"+name); err != nil {
			t.Fatalf("consortium join: %v\n%s", err, o)
		}
		return dir
	}
	one, two := join("Court One"), join("Court Two")
	admit := func(request, to string) (string, error) {
		return runCustos(t, "consortium", "admit", "--root-dir", filepath.Join(out, "offline"), "--request", request, "-o", to)
	}

	// An altered request: its organization CA request no longer parses.
	b, err := os.ReadFile(filepath.Join(one, "join-request.json"))
	if err != nil {
		t.Fatal(err)
	}
	var req joinRequest
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatal(err)
	}
	req.OrgCARequest = strings.Replace(req.OrgCARequest, "M", "N", 1)
	bad, _ := json.Marshal(req)
	badPath := writeFile(t, tmp, "bad-request.json", bad)
	if o, err := admit(badPath, filepath.Join(tmp, "adm-bad")); err == nil || !strings.Contains(err.Error(), "organization CA request") {
		t.Errorf("admit an altered request: %v\n%s; want refused", err, o)
	}
	if _, err := os.Stat(filepath.Join(tmp, "adm-bad")); err == nil {
		t.Error("a refused admit wrote its output folder")
	}

	// A request of the sm suite to this ecdsa consortium: refused, saying
	// how to make it again, rather than a mixed chain.
	smDir := filepath.Join(tmp, "Court SM")
	if o, err := runCustos(t, "consortium", "join", "--out", smDir, "--org", "court:Court SM", "--crypto", "sm"); err != nil {
		t.Fatalf("consortium join --crypto sm: %v\n%s", err, o)
	}
	if o, err := admit(filepath.Join(smDir, "join-request.json"), filepath.Join(tmp, "adm-sm")); err == nil || !strings.Contains(err.Error(), "--crypto ecdsa") {
		t.Errorf("admit an sm request to an ecdsa consortium: %v\n%s; want refused naming --crypto ecdsa", err, o)
	}
	if o, err := runCustos(t, "consortium", "join", "--out", filepath.Join(tmp, "x"), "--org", "court:X", "--crypto", "rsa"); exitCode(err) != 2 {
		t.Errorf("consortium join --crypto rsa: exit %d, want 2\n%s", exitCode(err), o)
	}

	adm := filepath.Join(tmp, "adm-one")
	if o, err := admit(filepath.Join(one, "join-request.json"), adm); err != nil {
		t.Fatalf("consortium admit: %v\n%s", err, o)
	}
	if o, err := runCustos(t, "consortium", "join", "--finish", adm, "--out", two); err == nil || !strings.Contains(err.Error(), "not for this member's key") {
		t.Errorf("finish with another member's admission: %v\n%s; want refused", err, o)
	}
	if _, err := os.Stat(filepath.Join(two, "custos.toml")); err == nil {
		t.Error("a refused join --finish wrote custos.toml")
	}

	// The admission's trust bundle swapped for another consortium's: its
	// organization CA is not under that root.
	other := filepath.Join(tmp, "other")
	if o, err := runCustos(t, "consortium", "init", "--out", other, "--org", "court:Court X"); err != nil {
		t.Fatalf("consortium init: %v\n%s", err, o)
	}
	tb, err := os.ReadFile(filepath.Join(other, "trust.json"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, adm, "trust.json", tb)
	if o, err := runCustos(t, "consortium", "join", "--finish", adm, "--out", one); err == nil || !strings.Contains(err.Error(), "is not issued by the consortium root") {
		t.Errorf("finish with an organization CA not under the bundle's root: %v\n%s; want refused", err, o)
	}
}

// TestConsortiumReportsZH: consortium init, admit and join --finish write
// their reports in the CLI's language (a member's kind as the tables name
// it, columns aligned by terminal width), with the commands to copy
// unchanged: the propose command of admit still reads as one.
func TestConsortiumReportsZH(t *testing.T) {
	tmp := t.TempDir()
	zh := []string{"LC_ALL=zh_CN.UTF-8"}
	out, dir, adm := filepath.Join(tmp, "consortium"), filepath.Join(tmp, "new"), filepath.Join(tmp, "admission")
	steps := []struct {
		args      []string
		want, not []string
	}{
		{[]string{"consortium", "init", "--out", out, "--org", "court:Court A", "--org", "arbitration:杭州仲裁委员会"},
			[]string{"已写入 " + out, "  法院         Court A                                  custos serve", "  仲裁机构     杭州仲裁委员会                           custos serve", "供核验者使用的信任包：", "移出所有节点", "   （API http://127.0.0.1:"},
			[]string{"written to", "Trust bundle", "court ", "(API "}},
		{[]string{"consortium", "join", "--out", dir, "--org", "court:Court New"}, nil, nil}, // TestSavedNoticeLocal
		{[]string{"consortium", "admit", "--root-dir", filepath.Join(out, "offline"), "--request", filepath.Join(dir, "join-request.json"), "-o", adm},
			[]string{"Court New（法院）的机构 CA 已由联盟根证书签发", "请将 " + adm + " 交给新成员：custos consortium join --finish " + adm, "随后由某一成员的管理员提议准入"},
			[]string{"signed under", "Give "}},
		{[]string{"consortium", "join", "--finish", adm, "--out", dir},
			[]string{dir + " 已就绪：custos serve --config " + filepath.Join(dir, "custos.toml"), "（治理密钥）交给本成员的管理员"},
			[]string{"is ready", "Give "}},
	}
	for _, s := range steps {
		o, err := runCustosEnv(t, zh, s.args...)
		if err != nil {
			t.Fatalf("custos %s: %v\n%s", strings.Join(s.args, " "), err, o)
		}
		for _, w := range s.want {
			if !strings.Contains(o, w) {
				t.Errorf("custos %s in Chinese:\n%s\nwant %q", strings.Join(s.args[:2], " "), o, w)
			}
		}
		for _, w := range s.not {
			if strings.Contains(o, w) {
				t.Errorf("custos %s in Chinese:\n%s\nwant no %q", strings.Join(s.args[:2], " "), o, w)
			}
		}
		if s.args[1] == "admit" {
			proposeCommand(t, o)
		}
	}
}
