package api

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/proofs"
	"github.com/custos-project/custos/receipt"
)

// waitingEvidence is the real evidence service, except that the item is
// not anchored at the first receipt request, when during runs (the act
// that happens while the caller waits), and is anchored after, with
// receipt r (nil: never).
type waitingEvidence struct {
	proved
	calls  int
	during func()
	r      *receipt.Receipt
}

func (e *waitingEvidence) ReceiptWith(context.Context, string, proofs.ReceiptOptions) (*receipt.Receipt, error) {
	e.calls++
	if e.calls == 1 {
		e.during()
		return nil, proofs.ErrNotAnchored
	}
	if e.r == nil {
		return nil, proofs.ErrNotAnchored
	}
	return e.r, nil
}

// TestReceiptWaitReauthorizes: a grantee waiting for a receipt whose share
// (or key) is revoked during the wait gets, after the wait, what a
// stranger gets for an unknown item, never the receipt or its status.
func TestReceiptWaitReauthorizes(t *testing.T) {
	good, err := os.ReadFile("../receipt/testdata/good.json")
	if err != nil {
		t.Fatal(err)
	}
	anchored, err := receipt.Parse(good)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		anchored   *receipt.Receipt
		revokeKey  bool
		keepShare  bool
		wantStatus int
	}{
		{"share revoked, anchored meanwhile", anchored, false, false, http.StatusNotFound},
		{"share revoked, not anchored", nil, false, false, http.StatusNotFound},
		{"key revoked, anchored meanwhile", anchored, true, true, http.StatusUnauthorized},
		{"share kept, anchored meanwhile", anchored, false, true, http.StatusOK},
		{"share kept, not anchored", nil, false, true, http.StatusAccepted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newUploadWorld(t)
			ctx := context.Background()
			up := w.upload(t, strings.NewReader("contract"), "text/plain")
			if up.Code != http.StatusCreated {
				t.Fatalf("upload = %d %s", up.Code, up.Body)
			}
			id := strings.TrimPrefix(up.Header().Get("Location"), "/api/v1/evidence/")
			court := newKey(t, w.orgs, "Court")
			cp, err := w.orgs.Authenticate(court)
			if err != nil {
				t.Fatal(err)
			}
			sh, _, err := w.shares.ShareTarget(ctx, w.org, w.actor, evidence.ShareEvidence, id, cp.Org.ID, nil)
			if err != nil {
				t.Fatal(err)
			}
			ev := &waitingEvidence{proved: withProver(t, w.ev), r: tt.anchored, during: func() {
				if !tt.keepShare {
					if _, err := w.shares.RevokeShare(ctx, w.org, w.actor, sh.ID); err != nil {
						t.Error(err)
					}
				}
				if tt.revokeKey {
					if _, err := w.orgs.RevokeKey(cp.Key.ID); err != nil {
						t.Error(err)
					}
				}
			}}
			s, err := New(withEvidence(ev, Config{Access: w.orgs, TSA: w.tsa}))
			if err != nil {
				t.Fatal(err)
			}
			get := func(token, id string) *httptest.ResponseRecorder {
				req := httptest.NewRequest(http.MethodGet, "/api/v1/evidence/"+id+"/receipt?wait=150ms", nil)
				req.Header.Set("Authorization", "Bearer "+token)
				rec := httptest.NewRecorder()
				s.e.ServeHTTP(rec, req)
				return rec
			}
			got := get(court, id)
			if got.Code != tt.wantStatus {
				t.Fatalf("GET receipt?wait by the grantee = %d %.200s, want %d", got.Code, got.Body, tt.wantStatus)
			}
			if tt.wantStatus == http.StatusNotFound {
				stranger := get(newKey(t, w.orgs, "Stranger"), "01JUNKNOWNUNKNOWNUNKNOWN00")
				if !bytes.Equal(got.Body.Bytes(), stranger.Body.Bytes()) || stranger.Code != http.StatusNotFound {
					t.Errorf("grantee after revocation got %s, a stranger asking for an unknown item %d %s", got.Body, stranger.Code, stranger.Body)
				}
			}
		})
	}
}

// TestReceiptWaitOneToken: a grantee's receipt?wait costs its shared-read
// quota one token, however often the wait re-checks its right to the item
// (TestReceiptWaitReauthorizes); and a wait refused by that re-check (the
// share revoked meanwhile) gives the token back, as a read refused when it
// is recorded does (TestRefusedReadRefundsQuota). With a burst of three
// tokens and the clock of the quota stopped, the grantee then has two
// reads left, not none (before, every re-check took a token, and the wait
// was refused 429 midway).
func TestReceiptWaitOneToken(t *testing.T) {
	for _, revoke := range []bool{false, true} {
		name := map[bool]string{false: "share kept", true: "share revoked during the wait"}[revoke]
		t.Run(name, func(t *testing.T) {
			w := newUploadWorld(t)
			ctx := context.Background()
			up := w.upload(t, strings.NewReader("contract"), "text/plain")
			if up.Code != http.StatusCreated {
				t.Fatalf("upload = %d %s", up.Code, up.Body)
			}
			id := strings.TrimPrefix(up.Header().Get("Location"), "/api/v1/evidence/")
			court := newKey(t, w.orgs, "Court")
			cp, err := w.orgs.Authenticate(court)
			if err != nil {
				t.Fatal(err)
			}
			sh, _, err := w.shares.ShareTarget(ctx, w.org, w.actor, evidence.ShareEvidence, id, cp.Org.ID, nil)
			if err != nil {
				t.Fatal(err)
			}
			ev := &waitingEvidence{proved: withProver(t, w.ev), during: func() {}} // never anchored
			s, err := New(withEvidence(ev, Config{Access: w.orgs, TSA: w.tsa}))
			if err != nil {
				t.Fatal(err)
			}
			now := time.Unix(2e9, 0)
			s.limits.sharedRead = testLimiter(t, 1, 3, &now)
			if revoke {
				ev.during = func() {
					if _, err := w.shares.RevokeShare(ctx, w.org, w.actor, sh.ID); err != nil {
						t.Error(err)
					}
				}
			}
			get := func(path string) *httptest.ResponseRecorder {
				req := httptest.NewRequest(http.MethodGet, "/api/v1/evidence/"+id+path, nil)
				req.Header.Set("Authorization", "Bearer "+court)
				rec := httptest.NewRecorder()
				s.e.ServeHTTP(rec, req)
				return rec
			}
			want := http.StatusAccepted
			if revoke {
				want = http.StatusNotFound
			}
			if got := get("/receipt?wait=500ms"); got.Code != want {
				t.Fatalf("GET receipt?wait=500ms by the grantee = %d %.200s, want %d", got.Code, got.Body, want)
			}
			// The re-checks: one after each look at the receipt but the
			// first; a revoked share ends the wait at the first.
			if atLeast := map[bool]int{false: 3, true: 2}[revoke]; ev.calls < atLeast {
				t.Fatalf("the wait asked for the receipt %d times, want at least %d", ev.calls, atLeast)
			}
			left := 2
			if revoke {
				if _, _, err := w.shares.ShareTarget(ctx, w.org, w.actor, evidence.ShareEvidence, id, cp.Org.ID, nil); err != nil {
					t.Fatal(err)
				}
				left = 3
			}
			for i := range left {
				if got := get(""); got.Code != http.StatusOK {
					t.Errorf("read %d after the wait = %d %.200s, want 200", i+1, got.Code, got.Body)
				}
			}
			if got := get(""); got.Code != http.StatusTooManyRequests {
				t.Errorf("read %d after the wait = %d, want 429 (the bucket had %d left)", left+1, got.Code, left)
			}
		})
	}
}
