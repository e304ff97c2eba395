package webhooks_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/custos-project/custos/webhooks"
)

// A receiver checks each delivery's signature against the raw body before
// it trusts anything in it, and drops deliveries it has already seen.
func ExampleVerify() {
	const secret = "N2hZb3VyU2VjcmV0U2hvd25PbmNlQXRDcmVhdGlvbiE" // as shown when the webhook was created
	seen := map[string]bool{}

	receive := func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "unreadable body", http.StatusBadRequest)
			return
		}
		sig := r.Header.Get(webhooks.HeaderSignature)
		if err := webhooks.Verify(secret, sig, body, time.Now(), 5*time.Minute); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var p webhooks.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, "bad payload", http.StatusBadRequest)
			return
		}
		if !seen[p.ID] { // delivery is at least once
			seen[p.ID] = true
			fmt.Println("received", p.Type, "for", p.Org)
		}
		w.WriteHeader(http.StatusNoContent)
	}

	// What Custos sends (here, to the handler directly).
	body := []byte(`{"id":"d1","type":"evidence.timestamped","created_at":"2026-11-21T08:00:00Z","org":"o1","data":{}}`)
	for _, sig := range []string{webhooks.Sign(secret, time.Now(), body), webhooks.Sign("guess", time.Now(), body)} {
		req := httptest.NewRequest(http.MethodPost, "/custos-hook", bytes.NewReader(body))
		req.Header.Set(webhooks.HeaderSignature, sig)
		rec := httptest.NewRecorder()
		receive(rec, req)
		fmt.Println(rec.Code)
	}
	// Output:
	// received evidence.timestamped for o1
	// 204
	// 401
}
