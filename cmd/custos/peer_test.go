package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/api/peer"
	"github.com/custos-project/custos/webhooks"
)

// TestSharedHookGrantorName: the evidence.shared webhook of a share
// received from another member names the grantor as the directory does,
// never by the notice's grantor_name, which its sender chose (P2). It runs
// sharedHook over the real webhooks service, to a receiver.
func TestSharedHookGrantorName(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "custos.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bodies := make(chan []byte, 4)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- b
	}))
	t.Cleanup(rcv.Close)
	hooks, err := webhooks.New(webhooks.Config{DB: db, Sealer: testSealer(t), AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := hooks.Create("court", "court:key", webhooks.Input{URL: rcv.URL, Events: []string{webhooks.EventShared}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go hooks.Run(ctx)
	dir := mapDirectory{"firm": {ID: "firm", Name: "ACME Law", Member: "mA"}}
	hook := sharedHook(hooks, dir, func(id string) string { return map[string]string{"mA": "Member A"}[id] })
	const spoofed = "杭州互联网法院"
	for _, tc := range []struct{ grantor, want string }{
		{"firm", "ACME Law"},
		{"gone", ""}, // no directory entry: no name, not the notice's
	} {
		in := &peer.Inbound{Member: "mA", Notice: peer.Notice{V: 1, Share: "sh-" + tc.grantor, Kind: "evidence", Target: "item1",
			Grantor: tc.grantor, GrantorName: spoofed, Grantee: "court", CreatedAt: time.Now().UTC()}}
		if err := db.Update(func(tx *bolt.Tx) error { return hook(tx, in) }); err != nil {
			t.Fatal(err)
		}
		var b []byte
		select {
		case b = <-bodies:
		case <-time.After(10 * time.Second):
			t.Fatal("no webhook delivery")
		}
		var p struct {
			Type string `json:"type"`
			Data struct {
				ID             string `json:"id"`
				Owner          string `json:"owner"`
				OwnerName      string `json:"owner_name"`
				HomeMemberName string `json:"home_member_name"`
			} `json:"data"`
		}
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		if p.Type != webhooks.EventShared || p.Data.ID != in.Share || p.Data.OwnerName != tc.want || p.Data.HomeMemberName != "Member A" || strings.Contains(string(b), spoofed) {
			t.Errorf("grantor %s: webhook %s, want %s of %s with owner_name %q, home_member_name %q, and not the notice's name",
				tc.grantor, b, webhooks.EventShared, in.Share, tc.want, "Member A")
		}
	}
}
