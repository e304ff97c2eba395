package api

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

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
