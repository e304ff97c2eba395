package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/storage"
)

// TestFsckConsortiumMember runs `custos fsck --config member/custos.toml`
// on consortium members' fresh stores: fsck loads the member's PKI as
// serve does (certificates and the TSA key, no CA keys), instead of the
// development PKI a member does not have. Each member is started once,
// alone (its chain makes no blocks without the others), to make its
// store, and stopped, since fsck needs the node stopped.
func TestFsckConsortiumMember(t *testing.T) {
	if testing.Short() {
		t.Skip("starts consortium members")
	}
	t.Parallel() // waits on the chain more than it computes: see parallelNote
	ms := consortiumMembers(initConsortium(t))
	for _, m := range []*member{ms[0], ms[2]} { // a court, and the notary (with a notary certificate)
		t.Run(m.slug, func(t *testing.T) {
			m.start(t)
			m.p.Stop()
			out, err := runCustos(t, "fsck", "--config", m.cfg)
			if err != nil {
				t.Fatalf("custos fsck --config %s: %v\n%s", m.cfg, err, out)
			}
			var rep struct {
				Records *int `json:"records"`
			}
			mustJSON(t, []byte(out), &rep)
			if rep.Records == nil || *rep.Records != 0 {
				t.Errorf("fsck report = %s; want a report of a store with 0 records", out)
			}
		})
	}
}

// TestFsckUnfinishedUploads simulates a crash in the middle of a copyright
// registration: its files' bytes are staged and committed, as
// copyright.Register.FileCopyright does before the transaction that files
// them with the registration, and the node dies before that transaction.
// fsck lists the bytes as unfinished uploads (not a fault: the node
// discards them at start); fsck --repair discards them and nothing else.
func TestFsckUnfinishedUploads(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, dir, "")
	data := randomBytes(t, 200_000) // above the inline limit: a blob
	v := n.upload(n.Token, data)
	n.Stop()

	blobs, err := storage.NewFolder(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	crashed := evidence.NewID()
	st, err := blobs.Stage(context.Background(), crashed)
	if err != nil {
		t.Fatal(err)
	}
	st.Write([]byte("a registration's file, staged before the crash"))
	if err := st.Commit(); err != nil {
		t.Fatal(err)
	}

	type report struct {
		Records    int      `json:"records"`
		Missing    []string `json:"missing_blobs"`
		Orphans    []string `json:"orphan_blobs"`
		Unfinished []string `json:"unfinished_uploads"`
		Discarded  []string `json:"discarded_uploads"`
	}
	fsckRun := func(args ...string) report {
		t.Helper()
		out, err := runCustos(t, append([]string{"fsck", "--data", dir}, args...)...)
		if err != nil {
			t.Fatalf("custos fsck %v: %v\n%s", args, err, out)
		}
		var rep report
		mustJSON(t, []byte(out), &rep)
		return rep
	}
	if rep := fsckRun(); len(rep.Unfinished) != 1 || rep.Unfinished[0] != crashed || rep.Discarded != nil {
		t.Errorf("fsck = %+v; want unfinished_uploads [%s]", rep, crashed)
	}
	if _, err := os.Stat(filepath.Join(dir, "blobs", "staging", crashed)); err != nil {
		t.Errorf("fsck without --repair removed the staged bytes: %v", err)
	}
	if rep := fsckRun("--repair"); len(rep.Discarded) != 1 || rep.Discarded[0] != crashed || rep.Unfinished != nil {
		t.Errorf("fsck --repair = %+v; want discarded_uploads [%s]", rep, crashed)
	}
	rep := fsckRun("--deep")
	if rep.Records != 1 || rep.Unfinished != nil || rep.Missing != nil || rep.Orphans != nil {
		t.Errorf("fsck after --repair = %+v; want the 1 record intact, nothing unfinished", rep)
	}
	if status, _, b := startNode(t, dir, "").call("GET", "/api/v1/evidence/"+v.ID+"/content", n.Token, nil); status != 200 || !bytes.Equal(b, data) {
		t.Errorf("the filed evidence after --repair = %d (%d bytes), want 200 with its bytes", status, len(b))
	}
}

// TestFsckNoPKIHint: fsck given a store without the PKI beside it (a
// consortium member's --data, whose PKI its custos.toml names) says what
// to give instead, in the CLI's language, and exits 1.
func TestFsckNoPKIHint(t *testing.T) {
	data := t.TempDir()
	if err := os.WriteFile(filepath.Join(data, "custos.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ locale, want string }{
		{"C.UTF-8", "(--config FILE, a consortium member's custos.toml)"},
		{"zh_CN.UTF-8", "（--config FILE，联盟成员即其 custos.toml）"},
	} {
		_, err := runCustosEnv(t, []string{"LC_ALL=" + tc.locale}, "fsck", "--data", data)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LC_ALL=%s custos fsck --data (no PKI) = %v; want exit 1 and %q", tc.locale, err, tc.want)
		}
	}
}
