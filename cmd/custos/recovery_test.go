package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/receipt"
)

// copyTree copies the files under src to dst, leaving out the paths
// (relative to src) that skip names.
func copyTree(t *testing.T, src, dst string, skip ...string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		for _, s := range skip {
			if rel == s {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), info.Mode().Perm()|0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkpointOf returns a member's checkpoint at height (0: its latest).
func checkpointOf(t *testing.T, p *proc, height int64) (int, receipt.Checkpoint) {
	t.Helper()
	path := "/api/v1/log/checkpoint"
	if height > 0 {
		path += fmt.Sprintf("?height=%d", height)
	}
	code, _, b := p.call("GET", path, "", nil)
	var cp receipt.Checkpoint
	if code == 200 {
		if err := json.Unmarshal(b, &cp); err != nil {
			t.Fatalf("checkpoint: %v %s", err, b)
		}
	}
	return code, cp
}

// TestMemberRecovery loses a member's disk in a running consortium and
// restores it from a backup that holds only what the chain cannot
// rebuild (docs/operations.md, "Recovering a member"): its configuration,
// keys and evidence store. The chain data is rebuilt from the peers
// (CometBFT block sync, replayed into a new application state), and
// `custos fsck --config --peer` compares it with theirs.
func TestMemberRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 4-node consortium")
	}
	t.Parallel() // waits on the chain more than it computes: see parallelNote
	out := initConsortium(t)
	ms := consortiumMembers(out)
	for _, m := range ms {
		m.start(t)
	}
	a, d := ms[0], ms[3]
	anchored := func(p *proc, data []byte) string {
		t.Helper()
		v := p.upload(consortiumToken, data)
		if status, b := receiptOf(t, p, v.ID, 30*time.Second); status != 200 {
			t.Fatalf("receipt at %s = %d %s", p.URL, status, b)
		}
		return v.ID
	}
	// Evidence filed at several members, D's own included.
	var before [][]byte
	for i, m := range ms {
		data := randomBytes(t, 2000+i)
		anchored(m.p, data)
		before = append(before, data)
	}
	dID := anchored(d.p, randomBytes(t, 3333))
	eID := anchored(d.p, randomBytes(t, 3344))

	// A firm homed on D shares with a court homed on B (the share sync
	// below makes good what the restore loses of them).
	b := ms[1]
	firm, firmToken := orgWithKey(t, d.p, "lawfirm", "Recovery Law Firm", "submitter")
	firmNamed := time.Now()
	court, courtToken := orgWithKey(t, b.p, "court", "Recovery Court", "examiner")
	waitDirectory(t, d.p, court.ID)
	waitDirectory(t, b.p, firm.ID)
	kept := shareItem(t, d.p, firmToken, d.p.upload(firmToken, randomBytes(t, 2500)).ID, court.ID)
	receivedAs(t, b.p, courtToken, kept, false)
	// A copyright registration at D, numbered by the register.
	_, studioToken := orgWithKey(t, d.p, "ipowner", "Recovery Studio", "submitter")
	crDir := t.TempDir()
	crWork := writeFile(t, crDir, "work.json", []byte(`{"title":"Restored poem","type":"text","authors":["A. Author"],"owner":"A. Author","created":"2025-01-01"}`))
	crOut, err := runCustos(t, "copyright", "register", "--metadata", crWork, writeFile(t, crDir, "poem.txt", randomBytes(t, 900)), "--wait", "60s", "--server", d.p.URL, "--token", studioToken)
	var reg wire.Copyright
	if err != nil || json.Unmarshal([]byte(crOut), &reg) != nil || reg.Status != "registered" {
		t.Fatalf("custos copyright register at D: %v\n%s", err, crOut)
	}

	// The backup, of the stopped member: everything but the chain's data
	// (chain/data: block store, consensus state; chain/app.db: the
	// application state), which the peers give back.
	d.p.Stop()
	dir := filepath.Dir(d.cfg)
	backup := filepath.Join(t.TempDir(), "backup")
	copyTree(t, dir, backup, filepath.Join("chain", "data"), filepath.Join("chain", "app.db"))
	// D goes on after the backup: its batches after the backup's last are
	// in the log, and what they anchored is lost with the disk.
	d.start(t)
	if code, _, b := d.p.call("GET", "/api/v1/evidence/"+eID, consortiumToken, nil); code != 200 { // a custody event of eID, lost below
		t.Fatalf("reading %s after the backup = %d %s", eID, code, b)
	}
	anchored(d.p, randomBytes(t, 3434)) // anchored after that read's event
	// A share made after the backup, and the revocation of one made
	// before: both lost with the disk, both known at B.
	lost := shareItem(t, d.p, firmToken, d.p.upload(firmToken, randomBytes(t, 2600)).ID, court.ID)
	receivedAs(t, b.p, courtToken, lost, false)
	if code, _, body := d.p.call("DELETE", "/api/v1/shares/"+kept, firmToken, nil); code != 200 {
		t.Fatalf("revoking share %s = %d %s", kept, code, body)
	}
	receivedAs(t, b.p, courtToken, kept, true)
	// The firm renamed after the backup: the directory learns it. (Well
	// after it was named: a rename within renameMargin of the name before
	// is taken for one in flight.)
	time.Sleep(time.Until(firmNamed.Add(2 * renameMargin)))
	const renamed = "Recovery Law Firm (Xihu)"
	if code, _, body := d.p.call("PATCH", "/api/v1/orgs/"+firm.ID, consortiumToken, strings.NewReader(`{"name":"`+renamed+`"}`), "Content-Type", "application/json"); code != 200 {
		t.Fatalf("renaming the firm = %d %s", code, body)
	}
	for end := time.Now().Add(30 * time.Second); waitDirectory(t, b.p, firm.ID).Name != renamed; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("the directory at B does not have the firm's new name")
		}
	}
	// An organization created after the backup, which a firm on B shares
	// with: both lost with the disk.
	lostOrg, lostToken := orgWithKey(t, d.p, "court", "Recovery Court After Backup", "examiner")
	waitDirectory(t, b.p, lostOrg.ID)
	firmB, firmBToken := orgWithKey(t, b.p, "lawfirm", "Recovery Firm B", "submitter")
	waitDirectory(t, d.p, firmB.ID)
	toLost := shareItem(t, b.p, firmBToken, b.p.upload(firmBToken, randomBytes(t, 2700)).ID, lostOrg.ID)
	receivedAs(t, d.p, lostToken, toLost, false)
	// The registration revoked after the backup: the register learns it.
	if _, err := runCustos(t, "copyright", "revoke", reg.ID, "--reason", "registered in error", "--server", d.p.URL, "--token", studioToken); err != nil {
		t.Fatalf("custos copyright revoke: %v", err)
	}
	for end := time.Now().Add(30 * time.Second); ; {
		out, err := runCustos(t, "copyright", "search", "--number", reg.Number, "--server", b.p.URL, "--token", consortiumToken)
		var res wire.CopyrightSearch
		if err == nil && json.Unmarshal([]byte(out), &res) == nil && len(res.Matches) == 1 && res.Matches[0].Status == "revoked" {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the revocation has not reached the register: %v\n%s", err, out)
		}
		time.Sleep(300 * time.Millisecond)
	}
	d.p.Stop()
	// The disk is lost.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}

	// Meanwhile the others go on: each upload anchors with 3 of 4.
	var during [][]byte
	for i, m := range ms[:3] {
		data := randomBytes(t, 4000+i)
		anchored(m.p, data)
		during = append(during, data)
	}

	// Restore and start: D block-syncs the chain from its peers and
	// rebuilds its application state.
	copyTree(t, backup, dir)
	for _, gone := range []string{filepath.Join(dir, "chain", "data"), filepath.Join(dir, "chain", "app.db")} {
		if _, err := os.Stat(gone); err == nil {
			t.Fatalf("%s was restored; the backup should not hold it", gone)
		}
	}
	d.start(t)
	// Uploads at A go on while D catches up.
	during = append(during, randomBytes(t, 5000))
	anchored(a.p, during[len(during)-1])

	var cpA receipt.Checkpoint
	for end := time.Now().Add(60 * time.Second); ; {
		_, cpA = checkpointOf(t, a.p, 0)
		code, cpD := checkpointOf(t, d.p, cpA.Height)
		if code == 200 {
			if cpD.TreeSize != cpA.TreeSize || cpD.Root != cpA.Root || cpD.StateRoot != cpA.StateRoot {
				t.Fatalf("D's rebuilt state at height %d differs from A's:\nD %+v\nA %+v", cpA.Height, cpD, cpA)
			}
			break
		}
		if time.Now().After(end) {
			t.Fatalf("D has not caught up to height %d: %d", cpA.Height, code)
		}
		time.Sleep(300 * time.Millisecond)
	}
	for _, m := range ms[1:3] {
		// A member a block behind A has no checkpoint of that height yet
		// (404): it comes with the next block.
		code, cp := checkpointOf(t, m.p, cpA.Height)
		for end := time.Now().Add(20 * time.Second); code == 404 && time.Now().Before(end); {
			time.Sleep(200 * time.Millisecond)
			code, cp = checkpointOf(t, m.p, cpA.Height)
		}
		if code != 200 || cp.Root != cpA.Root || cp.TreeSize != cpA.TreeSize {
			t.Errorf("%s at height %d = %d %+v, want A's %+v", m.slug, cpA.Height, code, cp, cpA)
		}
	}

	// Deposits made at the others, before and during the outage, are
	// found at D again; its own evidence is back too.
	tmp := t.TempDir()
	for i, data := range append(before[:3], during...) {
		out, err := runCustos(t, "lookup", writeFile(t, tmp, fmt.Sprint(i), data), "--server", d.p.URL)
		if err != nil || !strings.Contains(out, `"anchored": true`) {
			t.Errorf("lookup %d at the restored member: %v\n%s", i, err, out)
		}
	}
	if status, b := receiptOf(t, d.p, dID, 10*time.Second); status != 200 {
		t.Errorf("receipt of D's own evidence after the restore = %d %s", status, b)
	}
	// eID's read after the backup is lost, but the chain's custody head of
	// eID commits to it: no receipt can prove eID's custody complete, and
	// the node says why (not 500).
	if status, b := receiptOf(t, d.p, eID, 10*time.Second); status != 409 || !strings.Contains(string(b), "urn:custos:problem:custody-diverged") {
		t.Errorf("receipt of an item whose events after the backup were lost = %d %s, want 409 custody-diverged", status, b)
	}
	// The organization the restore lost is back from the directory, under
	// its ID and name, without keys; with a new one it lists B's share
	// again (the share sync, once the organization exists).
	var back wire.Org
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		code, _, body := d.p.call("GET", "/api/v1/orgs/"+lostOrg.ID, consortiumToken, nil)
		if code == 200 && json.Unmarshal(body, &back) == nil {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the organization created after the backup, at D after the restore = %d %s", code, body)
		}
	}
	if back.Name != lostOrg.Name || back.Kind != "court" {
		t.Errorf("the re-created organization = %+v, want %s's name and kind", back, lostOrg.ID)
	}
	if code, _, _ := d.p.call("GET", "/api/v1/shares?direction=received", lostToken, nil); code != 401 {
		t.Errorf("the lost organization's old key at D = %d, want 401 (its keys are lost)", code)
	}
	code, _, body := d.p.call("POST", "/api/v1/orgs/"+lostOrg.ID+"/keys", consortiumToken, strings.NewReader(`{"role":"examiner","name":"after the restore"}`), "Content-Type", "application/json")
	var newKey wire.NewKeyView
	if code != 201 || json.Unmarshal(body, &newKey) != nil {
		t.Fatalf("a key for the re-created organization = %d %s", code, body)
	}
	receivedAs(t, d.p, newKey.Token, toLost, false)
	// The firm's rename, lost with the disk, is taken from the directory,
	// not undone there by the older name.
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		code, _, body := d.p.call("GET", "/api/v1/orgs/"+firm.ID, consortiumToken, nil)
		var got wire.Org
		if code == 200 && json.Unmarshal(body, &got) == nil && got.Name == renamed {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the firm at D after the restore = %d %s, want its name %q from the directory", code, body, renamed)
		}
	}
	time.Sleep(3 * directoryEvery) // the rounds that would register the older name again
	if e := waitDirectory(t, b.p, firm.ID); e.Name != renamed {
		t.Errorf("the directory at B names the firm %q after D's restore, want %q", e.Name, renamed)
	}
	// The revocation the restore lost is made again from the register's.
	for end := time.Now().Add(30 * time.Second); ; {
		code, _, body := d.p.call("GET", "/api/v1/copyrights/"+reg.ID, studioToken, nil)
		var got wire.Copyright
		if code != 200 || json.Unmarshal(body, &got) != nil {
			t.Fatalf("the registration at D after the restore = %d %s", code, body)
		}
		if got.Status == "revoked" {
			if !strings.HasPrefix(got.RevokedBy, "node:") {
				t.Errorf("the lost revocation made again by %q, want node:<D's member ID>", got.RevokedBy)
			}
			break
		}
		if time.Now().After(end) {
			t.Fatalf("D shows the registration revoked in the register as %s: %s", got.Status, body)
		}
		time.Sleep(300 * time.Millisecond)
	}
	// The integrity audit names eID: the chain counts an event of it that
	// D no longer holds. (It runs once D has caught up; the checkpoint it
	// uses must hold the head that counts the lost read.)
	if diverged := auditDiverged(t, d.p); !slices.Contains(diverged, eID) || slices.Contains(diverged, dID) {
		t.Errorf("custody_diverged after the restore = %v, want %s (and not %s)", diverged, eID, dID)
	}
	// D anchors again, under batch numbers after the lost copy's (its
	// batch records are the backup's), and the receipt proves the upload.
	data := randomBytes(t, 6000)
	id := anchored(d.p, data)
	_, rb := receiptOf(t, d.p, id, 10*time.Second)
	if vout, err := runCustos(t, "verify", "--receipt", writeFile(t, tmp, "after.json", rb), "--file", writeFile(t, tmp, "after.bin", data),
		"--trust", filepath.Join(out, "trust.json")); err != nil || !strings.Contains(vout, "VALID") {
		t.Errorf("the receipt of an upload after the restore: %v\n%s", err, vout)
	}

	// The share sync, once D has started again (B sees its new process):
	// B revokes the share D no longer has, and tells D of the revocation
	// D lost, which D makes again, by B's node.
	receivedAs(t, b.p, courtToken, lost, true)
	for end := time.Now().Add(60 * time.Second); ; {
		code, _, body := d.p.call("GET", "/api/v1/shares?direction=made", firmToken, nil)
		var got wire.ListView[wire.Share]
		if code != 200 || json.Unmarshal(body, &got) != nil {
			t.Fatalf("the firm's shares at D = %d %s", code, body)
		}
		i := slices.IndexFunc(got.Items, func(s wire.Share) bool { return s.ID == kept })
		if i < 0 {
			t.Fatalf("D's restored store does not have share %s: %s", kept, body)
		}
		if got.Items[i].RevokedAt != nil {
			if !strings.HasPrefix(got.Items[i].RevokedBy, "node:") {
				t.Errorf("the lost revocation made again by %q, want node:<B's member ID>", got.Items[i].RevokedBy)
			}
			break
		}
		if time.Now().After(end) {
			t.Fatalf("D did not revoke again share %s, whose revocation it lost: %s", kept, body)
		}
		time.Sleep(300 * time.Millisecond)
	}

	// fsck on the stopped member: its chain state is the peers' ("same"),
	// or a prefix of it when the peers made a block after it stopped
	// ("behind": the states agree at its height).
	d.p.Stop()
	peers := []string{"--peer", ms[0].p.URL, "--peer", ms[1].p.URL, "--peer", ms[2].p.URL}
	fout, err := runCustos(t, append([]string{"fsck", "--config", d.cfg}, peers...)...)
	var rep struct {
		Peers []peerCheck `json:"peers"`
	}
	if jerr := json.Unmarshal([]byte(fout), &rep); err != nil || jerr != nil || len(rep.Peers) != 3 {
		t.Fatalf("fsck --config --peer: %v %v\n%s", err, jerr, fout)
	}
	for _, p := range rep.Peers {
		if p.Status != "same" && p.Status != "behind" || p.LocalHeight == 0 {
			t.Errorf("fsck: peer %s: %+v, want same (or behind)", p.Peer, p)
		}
	}

	// A member whose stored state was altered differs from every peer
	// that has the block signing that state, and fsck fails.
	anchored(a.p, randomBytes(t, 7000))
	db, err := bolt.Open(filepath.Join(dir, "chain", "app.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket([]byte("app"))
		h := append([]byte(nil), m.Get([]byte("apphash"))...)
		h[len(h)/2] ^= 1
		return m.Put([]byte("apphash"), h)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	fout, err = runCustos(t, append([]string{"fsck", "--config", d.cfg}, peers...)...)
	rep.Peers = nil
	if jerr := json.Unmarshal([]byte(fout), &rep); exitCode(err) != 1 || jerr != nil || len(rep.Peers) != 3 {
		t.Fatalf("fsck of an altered state: exit %d, %v\n%s", exitCode(err), jerr, fout)
	}
	for _, p := range rep.Peers {
		if p.Status != "DIFFERENT" {
			t.Errorf("fsck of an altered state: peer %s: %+v, want DIFFERENT", p.Peer, p)
		}
	}
}

// shareItem shares item with org on p and returns the share's ID.
func shareItem(t *testing.T, p *proc, token, item, org string) string {
	t.Helper()
	code, _, body := p.call("POST", "/api/v1/shares", token, strings.NewReader(`{"evidence":"`+item+`","org":"`+org+`"}`), "Content-Type", "application/json")
	var sh wire.Share
	if code != 201 || json.Unmarshal(body, &sh) != nil {
		t.Fatalf("share %s with %s = %d %s", item, org, code, body)
	}
	return sh.ID
}

// receivedAs waits until p lists share among those received by token's
// organization, revoked or active as asked.
func receivedAs(t *testing.T, p *proc, token, share string, revoked bool) {
	t.Helper()
	var body []byte
	for end := time.Now().Add(60 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		var code int
		code, _, body = p.call("GET", "/api/v1/shares?direction=received", token, nil)
		var got wire.ListView[wire.Share]
		if code != 200 || json.Unmarshal(body, &got) != nil {
			continue
		}
		if i := slices.IndexFunc(got.Items, func(s wire.Share) bool { return s.ID == share }); i >= 0 && (got.Items[i].RevokedAt != nil) == revoked {
			return
		}
	}
	t.Fatalf("%s does not list share %s as received with revoked=%v: %s", p.URL, share, revoked, body)
}

// auditDiverged runs p's integrity audit and returns its custody_diverged.
func auditDiverged(t *testing.T, p *proc) []string {
	t.Helper()
	if code, _, body := p.call("POST", "/api/v1/admin/integrity", consortiumToken, nil); code != 202 {
		t.Fatalf("POST /api/v1/admin/integrity = %d %s", code, body)
	}
	for end := time.Now().Add(60 * time.Second); ; {
		code, _, body := p.call("GET", "/api/v1/admin/integrity", consortiumToken, nil)
		var st wire.AuditStatus
		if code != 200 || json.Unmarshal(body, &st) != nil {
			t.Fatalf("GET /api/v1/admin/integrity = %d %s", code, body)
		}
		if st.Running == nil && st.Latest != nil && st.Latest.Trigger == "manual" {
			if st.Latest.Report == nil {
				t.Fatalf("the audit has no report: %s", body)
			}
			return st.Latest.Report.Diverged
		}
		if time.Now().After(end) {
			t.Fatalf("the audit did not finish: %s", body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
