package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/custos-project/custos/api/wire"
)

// registrar files copyright registrations at every member of a
// consortium while a soak's faults happen, and keeps what each member
// acknowledged (201), so that the soak can check afterwards that every
// one was numbered once, distinctly, and that the members agree on who
// came first for a work registered at two of them (state version 12's
// commitments and the hold of the files' deposits, through kills,
// a halt and a pause).
type registrar struct {
	members []*proc
	tokens  []string // a registrant organization's key at each member
	client  *http.Client

	mu        sync.Mutex
	acked     []ackedReg
	contested [][2]int // indexes in acked of one work registered at two members
	statuses  map[string]int
}

// ackedReg is a registration a member answered 201 to.
type ackedReg struct {
	member int
	id     string
	sha256 string
}

// newRegistrar makes an ipowner organization with a submitter key at
// each member. Their directory entries reach the chain on their own
// (the numbers wait for them).
func newRegistrar(t *testing.T, members []*proc) *registrar {
	t.Helper()
	r := &registrar{members: members, client: &http.Client{Timeout: 10 * time.Second}, statuses: map[string]int{}}
	for i, m := range members {
		_, tok := crOrg(t, m, fmt.Sprintf("Soak Studio %d", i+1))
		r.tokens = append(r.tokens, tok)
	}
	return r
}

// run files a registration every pace, at the members in turn; every
// fifth round files the same new work at two members at once. It stops
// when ctx ends, and returns when its last request has.
func (r *registrar) run(ctx context.Context, pace time.Duration) {
	for round := 0; ctx.Err() == nil; round++ {
		work := make([]byte, 600)
		rand.Read(work)
		i := round % len(r.members)
		if round%5 == 4 {
			var wg sync.WaitGroup
			idx := [2]int{-1, -1}
			for k, m := range []int{i, (i + 1) % len(r.members)} {
				wg.Add(1)
				go func() { defer wg.Done(); idx[k] = r.register(ctx, m, work) }()
			}
			wg.Wait()
			if idx[0] >= 0 && idx[1] >= 0 {
				r.mu.Lock()
				r.contested = append(r.contested, idx)
				r.mu.Unlock()
			}
		} else {
			r.register(ctx, i, work)
		}
		select {
		case <-ctx.Done():
		case <-time.After(pace):
		}
	}
}

// register files work at member m, and returns its index in acked, or -1
// if the member did not acknowledge it (down, paused past the client's
// timeout, or any answer but 201).
func (r *registrar) register(ctx context.Context, m int, work []byte) int {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("metadata", `{"title":"A soak poem","type":"text","authors":["A. Author"],"owner":"A. Author","created":"2025-01-01"}`)
	fw, _ := mw.CreateFormFile("file", "poem.txt")
	fw.Write(work)
	mw.Close()
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), "POST", r.members[m].URL+"/api/v1/copyrights", &body)
	if err != nil {
		panic(err)
	}
	req.Header.Set("Authorization", "Bearer "+r.tokens[m])
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := r.client.Do(req)
	status := "no answer"
	if err == nil {
		status = resp.Status
	}
	var cr wire.Copyright
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated || json.Unmarshal(b, &cr) != nil || cr.ID == "" {
			err = fmt.Errorf("%s", status)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.statuses[status]++
	if err != nil {
		return -1
	}
	sum := sha256.Sum256(work)
	r.acked = append(r.acked, ackedReg{member: m, id: cr.ID, sha256: hex.EncodeToString(sum[:])})
	return len(r.acked) - 1
}

// check waits, within limit in all, for every acknowledged registration
// to be numbered at its member, then requires: distinct numbers; for
// each work registered at two members, the same two registrations in the
// same order from a priority search at every member; and the contested
// work found by a lookup at a member that filed neither registration
// (its held deposits released).
func (r *registrar) check(t *testing.T, adminToken string, limit time.Duration) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.acked) == 0 {
		t.Fatalf("no registration acknowledged (answers: %v)", r.statuses)
	}
	end := time.Now().Add(limit)
	numbers := map[string]string{}
	for _, a := range r.acked {
		var cr wire.Copyright
		for {
			code, b := r.get(a.member, "/api/v1/copyrights/"+a.id+"?wait=20s", r.tokens[a.member])
			if code == 200 && json.Unmarshal(b, &cr) == nil && cr.Status == "registered" && cr.Number != "" {
				break
			}
			if time.Now().After(end) {
				t.Fatalf("registration %s at member %d not numbered within %v: %d %s", a.id, a.member+1, limit, code, b)
			}
			time.Sleep(200 * time.Millisecond)
		}
		if other, dup := numbers[cr.Number]; dup {
			t.Errorf("number %s given to %s and %s", cr.Number, other, a.id)
		}
		numbers[cr.Number] = a.id
	}
	for _, c := range r.contested {
		a, b := r.acked[c[0]], r.acked[c[1]]
		var order []string
		for m := range r.members {
			code, body := r.get(m, "/api/v1/copyrights/search?sha256="+a.sha256, adminToken)
			var res wire.CopyrightSearch
			if code != 200 || json.Unmarshal(body, &res) != nil {
				t.Fatalf("search at member %d: %d %s", m+1, code, body)
			}
			var got []string
			for _, match := range res.Matches {
				got = append(got, match.ID)
			}
			if len(got) != 2 || !slices.Contains(got, a.id) || !slices.Contains(got, b.id) {
				t.Errorf("search at member %d for the work of %s and %s: %v", m+1, a.id, b.id, got)
				continue
			}
			if order == nil {
				order = got
			} else if !slices.Equal(order, got) {
				t.Errorf("members disagree on who came first: %v at member 1, %v at member %d", order, got, m+1)
			}
		}
		third := (max(a.member, b.member) + 1) % len(r.members)
		if third == a.member || third == b.member {
			third = (third + 1) % len(r.members)
		}
		// The release follows the numbering at the filer's next block.
		for lookupEnd := time.Now().Add(30 * time.Second); ; {
			code, body := r.get(third, "/api/v1/lookup?sha256="+a.sha256, adminToken)
			var l wire.Lookup
			if code == 200 && json.Unmarshal(body, &l) == nil && l.Anchored && l.Deposits >= 1 {
				break
			}
			if time.Now().After(lookupEnd) {
				t.Errorf("lookup of a registered work at member %d (filed at %d and %d) = %d %s; want its deposits", third+1, a.member+1, b.member+1, code, body)
				break
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
}

// get is a GET at member m; a failed request is code 0.
func (r *registrar) get(m int, path, token string) (int, []byte) {
	req, err := http.NewRequest("GET", r.members[m].URL+path, nil)
	if err != nil {
		panic(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// summary is what the registrar filed, for the soak's log line.
func (r *registrar) summary() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprintf("registrations=%d contested=%d answers=%v", len(r.acked), len(r.contested), r.statuses)
}
