package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/evidence/copyright"
	"github.com/custos-project/custos/internal/testimage"
)

// Tests of the review of the copyright register and lookup (session 19,
// docs/security.md).

// getAs is a GET with token.
func (w *uploadWorld) getAs(t *testing.T, token, path string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	w.s.e.ServeHTTP(rec, req)
	return rec
}

// K2: a registration's files filed unlisted stay out of the digest index
// and the public lookup, but not out of the copyright register: their
// SHA-256 is filed in the consortium's register, and any member's read
// key finds the registration by it in the priority search. The docs say
// so (api.md § Lookup, threat-model.md).
func TestUnlistedCopyrightFileInRegister(t *testing.T) {
	w := newUploadWorld(t)
	on := true
	if _, _, err := w.orgs.UpdateOrg(w.org, access.OrgPatch{UnlistedByDefault: &on}); err != nil {
		t.Fatal(err)
	}
	data := []byte("an unlisted work's only file")
	body, ct := fileForm(t, testWork, formFile{"a.txt", "text/plain", data})
	r := w.post(t, "/api/v1/copyrights", body, ct)
	var c copyright.Copyright
	if r.Code != http.StatusCreated || json.Unmarshal(r.Body.Bytes(), &c) != nil {
		t.Fatalf("register = %d %s", r.Code, r.Body)
	}
	rec, err := w.ev.Get(context.Background(), c.Items[0])
	if err != nil || !rec.IsUnlisted() {
		t.Fatalf("the registration's file: unlisted %v, %v; want unlisted", rec != nil && rec.IsUnlisted(), err)
	}
	todo, err := w.crs.Unregistered(context.Background(), 10)
	if err != nil || len(todo) != 1 || len(todo[0].Files) != 1 || todo[0].Files[0].SHA256 != rec.SHA256 {
		t.Errorf("Unregistered() = %+v, %v; want the registration with its unlisted file's SHA-256, for the consortium's register", todo, err)
	}
	other := newKey(t, w.orgs, "Another Firm")
	r = w.getAs(t, other, "/api/v1/copyrights/search?sha256="+rec.SHA256)
	var s wire.CopyrightSearch
	if r.Code != http.StatusOK || json.Unmarshal(r.Body.Bytes(), &s) != nil || len(s.Matches) != 1 || s.Matches[0].ID != c.ID {
		t.Errorf("another organization's priority search by the unlisted file's SHA-256 = %d %s; want the registration (the register is public to members)", r.Code, r.Body)
	}
	r = w.getAs(t, "", "/api/v1/lookup?sha256="+rec.SHA256)
	if r.Code != http.StatusOK || json.Unmarshal(r.Body.Bytes(), new(wire.Lookup)) != nil {
		t.Errorf("public lookup = %d %s", r.Code, r.Body)
	}
}

// manyRegister is a consortium register in which every search finds n
// registrations of another member.
type manyRegister struct{ n int }

func (manyRegister) Member() string { return "self" }

func (m manyRegister) SearchRegister(sum *[32]byte, ph *uint64, threshold, limit int) ([]anchor.RegMatch, bool, error) {
	out := make([]anchor.RegMatch, min(m.n, limit))
	for i := range out {
		out[i] = anchor.RegMatch{Exact: true, Entry: anchor.RegEntry{Member: "other", ID: fmt.Sprintf("R%04d", i),
			Number: fmt.Sprintf("CUS-(2026)-作登字-M2-%06d", i+1), Height: int64(i + 2), Order: uint64(i + 1)}}
	}
	return out, m.n > limit, nil
}

func (manyRegister) RegistrationsByNumber(string) ([]anchor.RegEntry, error) { return nil, nil }

// K4: a priority search lists at most copyright.MaxSearchMatches
// registrations, the earliest, and says when more matched, however many
// the register and this node's own registrations not yet in it add up
// to. Before, the register's 500 and the node's own were listed together
// (up to 1000), the node's own after the 500th, and truncated was false.
func TestSearchMergedBounded(t *testing.T) {
	w := newUploadWorld(t)
	data := []byte("a work registered here, not yet in the register")
	body, ct := fileForm(t, testWork, formFile{"a.txt", "text/plain", data})
	if r := w.post(t, "/api/v1/copyrights", body, ct); r.Code != http.StatusCreated {
		t.Fatalf("register = %d %s", r.Code, r.Body)
	}
	for _, c := range []struct {
		inRegister, want int
		truncated        bool
	}{
		{copyright.MaxSearchMatches - 1, copyright.MaxSearchMatches, false},
		{copyright.MaxSearchMatches, copyright.MaxSearchMatches, true},
		{copyright.MaxSearchMatches + 5, copyright.MaxSearchMatches, true},
	} {
		w.s.consortium = manyRegister{n: c.inRegister}
		res, code, _ := w.search(t, data)
		if code != http.StatusOK || len(res.Matches) != c.want || res.Truncated != c.truncated {
			t.Errorf("search with %d matches in the register and 1 here = %d, %d matches, truncated %v; want %d, truncated %v",
				c.inRegister, code, len(res.Matches), res.Truncated, c.want, c.truncated)
		}
		if n := len(res.Matches); n > 0 && c.inRegister < copyright.MaxSearchMatches && res.Matches[n-1].Remote {
			t.Errorf("search with %d in the register: the last match is remote, want this node's own registration last", c.inRegister)
		}
	}
}

// K5: a number search refuses a number the register cannot hold (control
// characters, which the chain refuses in a legacy number) as it refuses
// one too long, and a search names its digest or number once.
func TestSearchParametersRefused(t *testing.T) {
	w := newUploadWorld(t)
	sum := "a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3"
	for _, q := range []string{
		"number=" + url.QueryEscape("CUS-(2026)-作登字-M1-000001\x00"),
		"number=" + url.QueryEscape("CUS-(2026)-作登字\n-M1-000001"),
		"number=" + url.QueryEscape("\u0085"),
		"sha256=" + sum + "&sha256=" + sum,
		"number=a&number=b",
		"sha256=" + sum + "&number=a",
	} {
		wantProblem(t, w.get(t, "/api/v1/copyrights/search?"+q), http.StatusBadRequest, "bad-parameter")
	}
	for _, q := range []string{"sha256=" + sum, "number=" + url.QueryEscape("CUS-(2026)-作登字-000001")} {
		if r := w.get(t, "/api/v1/copyrights/search?"+q); r.Code != http.StatusOK {
			t.Errorf("search?%s = %d %s, want 200", q, r.Code, r.Body)
		}
	}
}

// K6: a progressive JPEG of thousands of scans, a few hundred kilobytes
// that cost image/jpeg minutes of CPU, is searched and registered by its
// SHA-256 alone (phash_skipped too-large), at once, without holding a
// decoding slot.
func TestScanBombNotDecoded(t *testing.T) {
	w := newUploadWorld(t)
	bomb := testimage.ProgressiveJPEG(2000, 20000) // 330 KB; about 30 s to decode
	start := time.Now()
	res, code, _ := w.search(t, bomb)
	if code != http.StatusOK || res.PHash != "" || res.PHashSkipped != phashTooLarge {
		t.Errorf("search(a JPEG of 20001 scans) = %d %+v, want 200 with phash_skipped %q", code, res, phashTooLarge)
	}
	body, ct := fileForm(t, testWork, formFile{"bomb.jpg", "image/jpeg", bomb})
	if r := w.post(t, "/api/v1/copyrights", body, ct); r.Code != http.StatusCreated {
		t.Errorf("register(a JPEG of 20001 scans) = %d %s, want 201", r.Code, r.Body)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("search and registration of a JPEG of 20001 scans took %v; it must not be decoded", d)
	}
}
