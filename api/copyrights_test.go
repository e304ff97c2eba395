package api

import (
	"bytes"
	"context"
	"crypto"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/copyright"
	"github.com/custos-project/custos/internal/testimage"
	"github.com/custos-project/custos/notary"
)

// fileForm is a multipart body of "file" parts, each given as a file name,
// a media type and its bytes, after an optional "metadata" part.
func fileForm(t testing.TB, work string, files ...formFile) (*bytes.Buffer, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if work != "" {
		mw.WriteField("metadata", work)
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="file"; filename="`+f.name+`"`)
		h.Set("Content-Type", f.typ)
		pw, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		pw.Write(f.data)
	}
	mw.Close()
	return &b, mw.FormDataContentType()
}

type formFile struct {
	name, typ string
	data      []byte
}

const testWork = `{"title":"Lake at dawn","type":"image","authors":["Li Ming"],"owner":"Li Ming","created":"2025-06-01"}`

// bigPNG is a tiny PNG whose header declares 8000×5000 16-bit RGBA
// pixels: 320 MB to decode.
func bigPNG(t *testing.T) []byte {
	t.Helper()
	b := testimage.PNG(image.NewRGBA64(image.Rect(0, 0, 1, 1)))
	binary.BigEndian.PutUint32(b[16:], 8000)
	binary.BigEndian.PutUint32(b[20:], 5000)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func (w *uploadWorld) search(t *testing.T, data []byte) (*wire.CopyrightSearch, int, http.Header) {
	t.Helper()
	body, ct := fileForm(t, "", formFile{"x.png", "image/png", data})
	r := w.post(t, "/api/v1/copyrights/search", body, ct)
	var out wire.CopyrightSearch
	if r.Code == http.StatusOK {
		if err := json.Unmarshal(r.Body.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
	}
	return &out, r.Code, r.Header()
}

// TestSearchImageLimits: an image over the decoding limit is searched by
// its SHA-256 only, and says so; when every decoding slot stays taken, a
// search waits decodeWait and gets 503 busy with Retry-After, and a
// registration likewise, leaving no evidence item behind.
func TestSearchImageLimits(t *testing.T) {
	w := newUploadWorld(t)
	res, code, _ := w.search(t, bigPNG(t))
	if code != http.StatusOK || res.PHash != "" || res.PHashSkipped != phashTooLarge {
		t.Errorf("search(8000×5000 16-bit PNG) = %d %+v, want 200 with phash_skipped %q", code, res, phashTooLarge)
	}
	photo := testimage.PNG(testimage.Scene(1, 64, 48))
	if res, code, _ = w.search(t, photo); code != http.StatusOK || res.PHash == "" || res.PHashSkipped != "" {
		t.Errorf("search(photo) = %d %+v, want a perceptual hash", code, res)
	}

	w.s.decodes = newDecodeGate(1, 20*time.Millisecond)
	w.s.decodes.slots <- struct{}{} // a decode that does not end
	_, code, hdr := w.search(t, photo)
	if code != http.StatusServiceUnavailable || hdr.Get("Retry-After") == "" {
		t.Errorf("search while decoding is busy = %d (Retry-After %q), want 503 with Retry-After", code, hdr.Get("Retry-After"))
	}
	body, ct := fileForm(t, testWork, formFile{"a.png", "image/png", photo})
	wantProblem(t, w.post(t, "/api/v1/copyrights", body, ct), http.StatusServiceUnavailable, "busy")
	if n := w.records(t); n != 0 {
		t.Errorf("%d evidence items after a refused registration, want 0", n)
	}
}

// TestRegistrationRefusedLeavesNothing: a registration refused for a bad
// later file (empty, or with invalid metadata) commits none of its files,
// not even the good ones read before it.
func TestRegistrationRefusedLeavesNothing(t *testing.T) {
	w := newUploadWorld(t)
	good := formFile{"chapter1.txt", "text/plain", []byte("First chapter.\n")}
	for _, tc := range []struct {
		name   string
		second formFile
		status int
		slug   string
	}{
		{"empty second file", formFile{"chapter2.txt", "text/plain", nil}, http.StatusBadRequest, "empty-upload"},
		{"second file name ..", formFile{"..", "text/plain", []byte("Second chapter.\n")}, http.StatusUnprocessableEntity, "invalid-metadata"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, ct := fileForm(t, testWork, good, tc.second)
			wantProblem(t, w.post(t, "/api/v1/copyrights", body, ct), tc.status, tc.slug)
			if n := w.records(t); n != 0 {
				t.Errorf("%d evidence items after a refused registration, want 0", n)
			}
		})
	}
}

// TestSearchFlatImage: a solid white picture has no perceptual hash: the
// search says so and finds no "similar" registration.
func TestSearchFlatImage(t *testing.T) {
	w := newUploadWorld(t)
	white := image.NewGray(image.Rect(0, 0, 120, 90))
	for i := range white.Pix {
		white.Pix[i] = 255
	}
	body, ct := fileForm(t, testWork, formFile{"white.png", "image/png", testimage.PNG(white)})
	if r := w.post(t, "/api/v1/copyrights", body, ct); r.Code != http.StatusCreated {
		t.Fatalf("register = %d %s", r.Code, r.Body)
	}
	bigger := image.NewGray(image.Rect(0, 0, 333, 501))
	for i := range bigger.Pix {
		bigger.Pix[i] = 255
	}
	res, code, _ := w.search(t, testimage.PNG(bigger))
	if code != http.StatusOK || res.PHash != "" || res.PHashSkipped != phashFlat || len(res.Matches) != 0 {
		t.Errorf("search(another white picture) = %d %+v, want no phash, phash_skipped %q, no matches", code, res, phashFlat)
	}
}

// TestListCopyrightsPaged: GET /api/v1/copyrights takes limit and cursor
// and answers next_cursor while more remain.
func TestListCopyrightsPaged(t *testing.T) {
	w := newUploadWorld(t)
	for i := range 3 {
		body, ct := fileForm(t, testWork, formFile{"a.txt", "text/plain", []byte{byte('a' + i)}})
		if r := w.post(t, "/api/v1/copyrights", body, ct); r.Code != http.StatusCreated {
			t.Fatalf("register = %d %s", r.Code, r.Body)
		}
	}
	get := func(query string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/copyrights"+query, nil)
		req.Header.Set("Authorization", "Bearer "+w.token)
		rec := httptest.NewRecorder()
		w.s.e.ServeHTTP(rec, req)
		return rec
	}
	seen := map[string]bool{}
	query := "?limit=2"
	for pages := 0; ; pages++ {
		r := get(query)
		var page wire.ListView[copyright.Copyright]
		if r.Code != http.StatusOK || json.Unmarshal(r.Body.Bytes(), &page) != nil || len(page.Items) > 2 {
			t.Fatalf("GET %s = %d %s", query, r.Code, r.Body)
		}
		for _, c := range page.Items {
			seen[c.ID] = true
		}
		if page.Next == "" || pages > 3 {
			break
		}
		query = "?limit=2&cursor=" + page.Next
	}
	if len(seen) != 3 {
		t.Errorf("listed %d registrations, want 3", len(seen))
	}
	wantProblem(t, get("?limit=501"), http.StatusBadRequest, "bad-parameter")
	wantProblem(t, get("?cursor=zzz"), http.StatusBadRequest, "bad-parameter")
}

// stampFailing fails the n-th time-stamp (from 1) with a TSA outage.
type stampFailing struct {
	evidence.Stamper
	n     int64
	calls atomic.Int64
}

func (s *stampFailing) Stamp(ctx context.Context, h crypto.Hash, d []byte) (*notary.Token, error) {
	if s.calls.Add(1) == s.n {
		return nil, notary.ErrUnavailable
	}
	return s.Stamper.Stamp(ctx, h, d)
}

// TestRegistrationAtomic: a registration whose second file cannot be
// time-stamped files nothing; its first file is not left behind as an
// evidence item in no registration. Then the same registration succeeds.
func TestRegistrationAtomic(t *testing.T) {
	w := newUploadWorldWith(t, func(cfg *evidence.Config, _ *copyright.Config) { cfg.TSA = &stampFailing{Stamper: cfg.TSA, n: 2} })
	files := []formFile{{"a.txt", "text/plain", []byte("first file")}, {"b.txt", "text/plain", []byte("second file")}}
	body, ct := fileForm(t, testWork, files...)
	if r := w.post(t, "/api/v1/copyrights", body, ct); r.Code != http.StatusServiceUnavailable {
		t.Fatalf("registration with a TSA outage = %d %s, want 503", r.Code, r.Body)
	}
	if n := w.records(t); n != 0 {
		t.Errorf("a failed registration left %d evidence items", n)
	}
	body, ct = fileForm(t, testWork, files...)
	if r := w.post(t, "/api/v1/copyrights", body, ct); r.Code != http.StatusCreated {
		t.Fatalf("registration = %d %s, want 201", r.Code, r.Body)
	}
	if n := w.records(t); n != 2 {
		t.Errorf("after the registration: %d evidence items, want 2", n)
	}
}
