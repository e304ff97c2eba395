package main

import (
	"context"
	"crypto/ed25519"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/storage"
)

// TestRotateKey: rotate-key refuses another member's organization CA key
// and a second preparation, writing nothing; it prepares a key and a node
// certificate for it; serve's switch (adoptRotatedKey) leaves the node's
// key alone until the chain state lists the prepared key, then swaps both
// files.
func TestRotateKey(t *testing.T) {
	out := filepath.Join(t.TempDir(), "c")
	if o, err := runCustos(t, "consortium", "init", "--out", out, "--org", "court:Court A", "--org", "court:Court B"); err != nil {
		t.Fatalf("consortium init: %v\n%s", err, o)
	}
	cfg, err := loadConfig(filepath.Join(out, "court-a", "custos.toml"))
	if err != nil {
		t.Fatal(err)
	}
	home, pkiDir := cfg.chainHome(), cfg.pkiDir()
	next := anchor.NextPrivValKeyPath(home)
	var b strings.Builder
	if err := rotateKey(&b, cfg, filepath.Join(out, "offline", "court-b-org-ca.key"), time.Now()); err == nil || !strings.Contains(err.Error(), "is not the key of this member's organization CA") {
		t.Errorf("rotateKey(another member's CA key) = %v, want refused", err)
	}
	if _, err := os.Stat(next); err == nil {
		t.Error("a refused rotate-key wrote the key")
	}
	orgKey := filepath.Join(out, "offline", "court-a-org-ca.key")
	if runtime.GOOS != "windows" { // the key file's mode (readPrivateFile)
		if err := os.Chmod(orgKey, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := rotateKey(&b, cfg, orgKey, time.Now()); err == nil || !strings.Contains(err.Error(), "chmod 600 "+orgKey) {
			t.Errorf("rotateKey(an organization CA key file others may read) = %v, want refused, saying chmod 600", err)
		}
		if _, err := os.Stat(next); err == nil {
			t.Error("a refused rotate-key wrote the key")
		}
		if err := os.Chmod(orgKey, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := rotateKey(&b, cfg, orgKey, time.Now()); err != nil {
		t.Fatalf("rotateKey() = %v", err)
	}
	pub, err := readValidatorKey(next)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(next); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("%s: %v, want a 0600 file", next, err)
	}
	cert, err := readCert(filepath.Join(pkiDir, nodeNextCert))
	if err != nil || !cert.PublicKey.(ed25519.PublicKey).Equal(pub) {
		t.Fatalf("%s = %v, want a certificate of the prepared key", nodeNextCert, err)
	}
	if err := rotateKey(&b, cfg, orgKey, time.Now()); err == nil || !strings.Contains(err.Error(), "already prepared") {
		t.Errorf("rotateKey() again = %v, want refused: already prepared", err)
	}
	if got, _ := readValidatorKey(next); !got.Equal(pub) {
		t.Error("a refused rotate-key replaced the prepared key")
	}

	log := slog.New(slog.DiscardHandler)
	oldPub, _ := readValidatorKey(anchor.PrivValKeyPath(home))
	pki, err := loadPKI(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// No chain state yet, then a state whose members hold the old key.
	for _, keys := range [][]ed25519.PublicKey{nil, {oldPub}} {
		if keys != nil {
			writeMembersState(t, cfg, pki, keys)
		}
		if err := adoptRotatedKey(cfg, pki, log); err != nil {
			t.Fatalf("adoptRotatedKey() = %v", err)
		}
		if got, _ := readValidatorKey(anchor.PrivValKeyPath(home)); !got.Equal(oldPub) || !pki.Node.PublicKey.(ed25519.PublicKey).Equal(oldPub) {
			t.Fatalf("with members %d: the node switched before the rotation is applied", len(keys))
		}
	}
	os.Remove(filepath.Join(home, "app.db"))
	writeMembersState(t, cfg, pki, []ed25519.PublicKey{pub})
	if err := adoptRotatedKey(cfg, pki, log); err != nil {
		t.Fatalf("adoptRotatedKey() = %v", err)
	}
	got, _ := readValidatorKey(anchor.PrivValKeyPath(home))
	node, _ := readCert(filepath.Join(pkiDir, "node.pem"))
	if !got.Equal(pub) || !node.PublicKey.(ed25519.PublicKey).Equal(pub) || !pki.Node.PublicKey.(ed25519.PublicKey).Equal(pub) {
		t.Error("after the rotation is applied: the key, node.pem or pki.Node is not the prepared key's")
	}
	for _, f := range []string{next, filepath.Join(pkiDir, nodeNextCert)} {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("%s is still there after the switch", f)
		}
	}
}

// writeMembersState writes a chain state (chain/app.db) whose genesis
// members have the validator keys keys.
func writeMembersState(t *testing.T, cfg Config, pki *nodePKI, keys []ed25519.PublicKey) {
	t.Helper()
	db, err := storage.OpenDB(filepath.Join(cfg.chainHome(), "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	app, err := anchor.NewApp(anchor.AppConfig{DB: db, ChainID: "custos-rotate-test", Root: pki.Root})
	if err != nil {
		t.Fatal(err)
	}
	var vals []anchor.GenesisValidator
	req := &abci.RequestInitChain{ChainId: "custos-rotate-test"}
	for _, k := range keys {
		vals = append(vals, anchor.GenesisValidator{PubKey: k, Power: 10, OrgCA: pki.Org.Cert})
		req.Validators = append(req.Validators, abci.Ed25519ValidatorUpdate(k, 10))
	}
	req.AppStateBytes = anchor.GenesisStateMembers(pki.Root, anchor.StateV6, vals)
	if _, err := app.InitChain(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if ms, err := app.Members(); err != nil || len(ms) != len(keys) {
		t.Fatalf("Members() = %v, %v; want %d", ms, err, len(keys))
	}
}
