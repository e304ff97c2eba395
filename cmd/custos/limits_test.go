package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custos-project/custos/api"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"
)

// TestIdempotencyKey: a retried upload with the same Idempotency-Key gets
// the first answer and files nothing; the key with other bytes is refused.
func TestIdempotencyKey(t *testing.T) {
	n := startNode(t, t.TempDir(), "")
	data := randomBytes(t, 5000)
	key := []string{"Idempotency-Key", "upload-7f3a"}

	status, h, body := n.call("POST", "/api/v1/evidence", n.Token, bytes.NewReader(data), key...)
	var first wire.EvidenceView
	mustJSON(t, body, &first)
	if status != http.StatusCreated || h.Get(wire.ReplayedHeader) != "" {
		t.Fatalf("first upload = %d %v %s, want 201 not replayed", status, h, body)
	}

	t.Run("retry replays", func(t *testing.T) {
		status, h, body := n.call("POST", "/api/v1/evidence", n.Token, bytes.NewReader(data), key...)
		var v wire.EvidenceView
		mustJSON(t, body, &v)
		if status != http.StatusCreated || v.ID != first.ID || h.Get(wire.ReplayedHeader) != "true" || h.Get("Location") != "/api/v1/evidence/"+first.ID {
			t.Errorf("retry = %d %v %s, want 201 replaying %s", status, h, body, first.ID)
		}
	})
	t.Run("other bytes", func(t *testing.T) {
		status, h, body := n.call("POST", "/api/v1/evidence", n.Token, bytes.NewReader(append(data, 1)), key...)
		wantProblemE2E(t, status, h, body, http.StatusUnprocessableEntity, "idempotency-key-reused")
		if items := n.list(t, sha256Hex(append(data, 1))); len(items) != 0 {
			t.Errorf("the refused upload was filed: %+v", items)
		}
	})
	t.Run("one record", func(t *testing.T) {
		if items := n.list(t, first.SHA256); len(items) != 1 || items[0].ID != first.ID {
			t.Errorf("evidence with the upload's SHA-256: %+v, want only %s", items, first.ID)
		}
		_, _, b := n.call("GET", "/api/v1/evidence/"+first.ID+"/custody", n.Token, nil)
		var cv wire.CustodyView
		mustJSON(t, b, &cv)
		created := 0
		for _, e := range cv.Events {
			if e.Type == custody.EventCreated {
				created++
			}
		}
		if created != 1 {
			t.Errorf("custody has %d created events, want 1: %s", created, b)
		}
	})
	t.Run("JSON POST", func(t *testing.T) {
		in := `{"title":"A v. B"}`
		key := []string{"Idempotency-Key", `"matter-1"`, "Content-Type", "application/json"}
		s1, _, b1 := n.call("POST", "/api/v1/matters", n.Token, strings.NewReader(in), key...)
		s2, h2, b2 := n.call("POST", "/api/v1/matters", n.Token, strings.NewReader(in), key...)
		if s1 != http.StatusCreated || s2 != http.StatusCreated || !bytes.Equal(b1, b2) || h2.Get(wire.ReplayedHeader) != "true" {
			t.Errorf("matter twice = %d %s, %d %v %s; want the same 201 replayed", s1, b1, s2, h2, b2)
		}
		s3, h3, b3 := n.call("POST", "/api/v1/matters", n.Token, strings.NewReader(`{"title":"A v. C"}`), key...)
		wantProblemE2E(t, s3, h3, b3, http.StatusUnprocessableEntity, "idempotency-key-reused")
	})
	t.Run("copyright registration", func(t *testing.T) {
		poem := randomBytes(t, 300)
		register := func(file []byte) (int, http.Header, []byte) {
			f := copyrightForm(t, file) // a new boundary each time
			return n.call("POST", "/api/v1/copyrights", n.Token, bytes.NewReader(f.data),
				"Idempotency-Key", "register-1", "Content-Type", f.contentType)
		}
		s1, _, b1 := register(poem)
		s2, h2, b2 := register(poem)
		if s1 != http.StatusCreated || s2 != http.StatusCreated || !bytes.Equal(b1, b2) || h2.Get(wire.ReplayedHeader) != "true" {
			t.Errorf("registration twice = %d %s, %d %v %s; want the same 201 replayed", s1, b1, s2, h2, b2)
		}
		s3, h3, b3 := register(append(poem, 1))
		wantProblemE2E(t, s3, h3, b3, http.StatusUnprocessableEntity, "idempotency-key-reused")
		if items := n.list(t, sha256Hex(poem)); len(items) != 1 {
			t.Errorf("evidence with the poem's SHA-256: %+v, want one item", items)
		}
		if items := n.list(t, sha256Hex(append(poem, 1))); len(items) != 0 {
			t.Errorf("the refused registration filed %+v", items)
		}
	})
}

// list returns the evidence with the given SHA-256 that token's
// organization sees.
func (p *proc) list(t *testing.T, sha string) []wire.EvidenceView {
	t.Helper()
	status, _, b := p.call("GET", "/api/v1/evidence?sha256="+sha, p.Token, nil)
	var page wire.ListView[wire.EvidenceView]
	mustJSON(t, b, &page)
	if status != http.StatusOK {
		t.Fatalf("GET /api/v1/evidence?sha256= = %d %s", status, b)
	}
	return page.Items
}

func wantProblemE2E(t *testing.T, status int, h http.Header, body []byte, want int, slug string) {
	t.Helper()
	var p api.Problem
	if status != want || h.Get("Content-Type") != "application/problem+json" ||
		json.Unmarshal(body, &p) != nil || p.Type != api.ProblemBase+slug {
		t.Errorf("answer = %d %q %s, want %d problem+json %s", status, h.Get("Content-Type"), body, want, slug)
	}
}

// TestRateLimits: a burst over a key's or an address's limit gets 429 with
// Retry-After, never a 5xx, and requests pass again after the wait.
func TestRateLimits(t *testing.T) {
	n := startNode(t, t.TempDir(), "[limits]\nrate = 5\nburst = 5\nupload_rate = 0.5\nupload_burst = 2\npublic_rate = 5\npublic_burst = 5\n")
	lookup := "/api/v1/lookup?sha256=" + strings.Repeat("ab", 32)
	for _, tc := range []struct{ name, path, token string }{
		{"per key", "/api/v1/me", n.Token},
		{"per address", lookup, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			codes, wait := n.burst(t, 20, tc.path, tc.token)
			if codes[http.StatusOK] == 0 || codes[http.StatusTooManyRequests] == 0 || codes[http.StatusOK] > 5+2 {
				t.Errorf("20 requests at once: %v; want some 200 (at most about 5) and the rest 429", codes)
			}
			for code := range codes {
				if code != http.StatusOK && code != http.StatusTooManyRequests {
					t.Errorf("a burst got %d", code)
				}
			}
			time.Sleep(wait)
			if status, _, b := n.call("GET", tc.path, tc.token, nil); status != http.StatusOK {
				t.Errorf("after Retry-After (%v): GET = %d %s, want 200", wait, status, b)
			}
		})
	}
	t.Run("uploads", func(t *testing.T) {
		time.Sleep(time.Second) // the key's bucket refills: the limit met is the uploads'
		data := [][]byte{randomBytes(t, 100), randomBytes(t, 100), randomBytes(t, 100)}
		for i, d := range data {
			status, h, body := n.call("POST", "/api/v1/evidence", n.Token, bytes.NewReader(d))
			want := http.StatusCreated
			if i == 2 {
				want = http.StatusTooManyRequests
				wantProblemE2E(t, status, h, body, want, "rate-limited")
				if ra, _ := strconv.Atoi(h.Get("Retry-After")); ra < 1 {
					t.Errorf("Retry-After = %q, want whole seconds ≥ 1", h.Get("Retry-After"))
				}
			}
			if status != want {
				t.Errorf("upload %d = %d %s, want %d", i, status, body, want)
			}
		}
		if items := n.list(t, sha256Hex(data[2])); len(items) != 0 {
			t.Errorf("the refused upload was filed: %+v", items)
		}
	})
}

// burst sends k GETs at once and counts the answers by status. Every 429
// must be problem+json with a Retry-After; wait is the longest.
func (p *proc) burst(t *testing.T, k int, path, token string) (map[int]int, time.Duration) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	codes, wait := map[int]int{}, time.Duration(0)
	for range k {
		wg.Go(func() {
			status, h, body := p.call("GET", path, token, nil)
			mu.Lock()
			defer mu.Unlock()
			codes[status]++
			if status != http.StatusTooManyRequests {
				return
			}
			wantProblemE2E(t, status, h, body, http.StatusTooManyRequests, "rate-limited")
			ra, err := strconv.Atoi(h.Get("Retry-After"))
			if err != nil || ra < 1 {
				t.Errorf("429 with Retry-After %q, want whole seconds ≥ 1", h.Get("Retry-After"))
			}
			wait = max(wait, time.Duration(ra)*time.Second)
		})
	}
	wg.Wait()
	return codes, wait
}
