package peer

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"
)

// TestAskSoftware: a member's node tells another which state versions it
// runs, under its own member ID; a node configured without saying answers
// 0; a member whose node cannot be reached is ErrUnreachable.
func TestAskSoftware(t *testing.T) {
	root, _ := certs.NewRoot("Test Consortium Root CA", time.Now())
	ms := newConsortium(t, root, "A", "B", "C")
	a, b, c := ms[0], ms[1], ms[2]
	_, bURL := serveNode(t, b, nil, nil, nil, http.NotFoundHandler(), func(cfg *Config) {
		cfg.Software = Software{Version: "v-b", LatestState: 13}
	})
	_, cURL := serveNode(t, c, nil, nil, nil, http.NotFoundHandler())
	an, _ := serveNode(t, a, map[string]string{b.id: bURL, c.id: cURL}, nil, nil, http.NotFoundHandler())
	ctx := context.Background()

	sw, err := an.AskSoftware(ctx, b.id)
	if err != nil || sw.Member != b.id || sw.Version != "v-b" || sw.LatestState != 13 {
		t.Errorf("AskSoftware(B) = %+v, %v; want B's member ID, v-b, 13", sw, err)
	}
	// C says nothing of its software: state version 0, which the voting
	// node counts as not ready.
	if sw, err := an.AskSoftware(ctx, c.id); err != nil || sw.LatestState != 0 {
		t.Errorf("AskSoftware(C) = %+v, %v; want latest 0", sw, err)
	}
	if _, err := an.AskSoftware(ctx, "00"); !errors.Is(err, ErrUnreachable) {
		t.Errorf("AskSoftware(unknown member) = %v, want ErrUnreachable", err)
	}
}
