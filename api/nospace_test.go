package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/copyright"
	prob "github.com/custos-project/custos/internal/problem"
	"github.com/custos-project/custos/receipt"
	"github.com/custos-project/custos/storage"
)

// fullDisk is a blob store whose disk fills up: once full, a staged
// blob's writes past its first limit bytes, or its Commit (the fdatasync
// of the tail), fail with ENOSPC, as storage.Folder's do.
type fullDisk struct {
	evidence.Blobs
	limit  int64 // bytes a staged blob may take; -1: Commit fails instead
	full   bool
	staged int // staged blobs left behind (not committed and not aborted)
}

func (d *fullDisk) Stage(ctx context.Context, name string) (storage.Staged, error) {
	st, err := d.Blobs.Stage(ctx, name)
	if err != nil {
		return nil, err
	}
	d.staged++
	return &fullStaged{Staged: st, d: d}, nil
}

type fullStaged struct {
	storage.Staged
	d *fullDisk
	n int64
}

var errNoSpace = fmt.Errorf("storage: stage: %w", &fs.PathError{Op: "write", Path: "staging/x", Err: syscall.ENOSPC})

func (s *fullStaged) Write(p []byte) (int, error) {
	if s.d.full && s.d.limit >= 0 && s.n+int64(len(p)) > s.d.limit {
		return 0, errNoSpace
	}
	s.n += int64(len(p))
	return s.Staged.Write(p)
}

func (s *fullStaged) Commit() error {
	if s.d.full && s.d.limit < 0 {
		return fmt.Errorf("storage: commit: %w", &fs.PathError{Op: "sync", Path: "staging/x", Err: syscall.ENOSPC})
	}
	s.d.staged--
	return s.Staged.Commit()
}

func (s *fullStaged) Abort() error {
	s.d.staged--
	return s.Staged.Abort()
}

// TestDiskFull: an upload that meets a full disk, while its bytes are
// written or when they are synced, is answered 507 insufficient-storage
// (problem+json, Retry-After), never 400 bad-multipart or 500; nothing is
// committed, its staged blob is discarded, and the node keeps serving
// reads and, once space is freed, uploads. Before the fix a full disk
// while a multipart body was written was 400 bad-multipart, and at the
// sync 500 internal.
func TestDiskFull(t *testing.T) {
	big := bytes.Repeat([]byte("evidence "), 20000) // 180 kB: staged, not inlined
	multipartBody := func() (io.Reader, string) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		fw, _ := mw.CreateFormFile("file", "scan.bin")
		fw.Write(big)
		mw.Close()
		return &b, mw.FormDataContentType()
	}
	rawBody := func() (io.Reader, string) { return bytes.NewReader(big), "application/octet-stream" }
	for _, tc := range []struct {
		name  string
		limit int64
		body  func() (io.Reader, string)
	}{
		{"multipart, write", 64 << 10, multipartBody},
		{"raw, write", 64 << 10, rawBody},
		{"multipart, fdatasync", -1, multipartBody},
		{"raw, fdatasync", -1, rawBody},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var disk *fullDisk
			w := newUploadWorldWith(t, func(cfg *evidence.Config, _ *copyright.Config) {
				disk = &fullDisk{Blobs: cfg.Blobs, limit: tc.limit}
				cfg.Blobs = disk
			})
			body, ct := tc.body()
			if r := w.upload(t, body, ct); r.Code != http.StatusCreated {
				t.Fatalf("upload before the disk is full = %d %s", r.Code, r.Body)
			}
			disk.full = true
			body, ct = tc.body()
			r := w.upload(t, body, ct, "Idempotency-Key", "full-1")
			wantProblem(t, r, http.StatusInsufficientStorage, "insufficient-storage")
			if r.Header().Get("Retry-After") == "" {
				t.Errorf("507 without Retry-After")
			}
			if n := w.records(t); n != 1 {
				t.Errorf("%d records after the refused upload, want 1", n)
			}
			if disk.staged != 0 {
				t.Errorf("%d staged blobs left, want 0", disk.staged)
			}
			if r := w.get(t, "/api/v1/evidence"); r.Code != http.StatusOK {
				t.Errorf("listing on a full disk = %d %s, want 200", r.Code, r.Body)
			}
			disk.full = false // space freed: the same request, same key, succeeds
			body, ct = tc.body()
			if r := w.upload(t, body, ct, "Idempotency-Key", "full-1"); r.Code != http.StatusCreated {
				t.Errorf("upload once space is freed = %d %s, want 201", r.Code, r.Body)
			}
		})
	}
}

// TestNoSpaceProblem: ENOSPC and EDQUOT from anywhere (a bbolt commit, a
// blob store) are 507, other I/O errors stay 500.
func TestNoSpaceProblem(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{fmt.Errorf("evidence: commit record: %w", &fs.PathError{Op: "write", Path: "custos.db", Err: syscall.ENOSPC}), http.StatusInsufficientStorage},
		{fmt.Errorf("x: %w", &os.SyscallError{Syscall: "fdatasync", Err: syscall.EDQUOT}), http.StatusInsufficientStorage},
		{fmt.Errorf("x: %w", &fs.PathError{Op: "write", Path: "custos.db", Err: syscall.EIO}), http.StatusInternalServerError},
		{errors.New("other"), http.StatusInternalServerError},
	} {
		if p := toProblem(tc.err); p.Status != tc.want {
			t.Errorf("toProblem(%v) = %d, want %d", tc.err, p.Status, tc.want)
		}
	}
}

func (w *uploadWorld) get(t *testing.T, path string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+w.token)
	rec := httptest.NewRecorder()
	w.s.e.ServeHTTP(rec, req)
	return rec
}

// fullCustody is servedEvidence (every item anchored, with an evidence
// record) on a disk that fills up: once full, recording a read fails as
// the group commit fails when bbolt cannot write custos.db's pages (a
// *PathError of the write, ENOSPC), and nothing is recorded.
type fullCustody struct {
	servedEvidence
	full  *bool
	tried *int // reads refused while full
}

func (f fullCustody) AccessAs(ctx context.Context, id, org, actor, typ, subject string) (*evidence.Record, *custody.Event, error) {
	if *f.full {
		*f.tried++
		return nil, nil, fmt.Errorf("evidence: commit: %w", &fs.PathError{Op: "write", Path: "custos.db", Err: syscall.ENOSPC})
	}
	return f.servedEvidence.AccessAs(ctx, id, org, actor, typ, subject)
}

// TestReadOnFullDisk: a read whose custody event cannot be committed,
// because the disk is full, is refused with 507 insufficient-storage
// (problem+json, Retry-After, in the caller's language) and serves
// nothing of the item (no bytes, no ETag, no receipt); once space is
// freed the same read is served and recorded. Every access is a custody
// event: an unrecorded read is never served.
func TestReadOnFullDisk(t *testing.T) {
	w := newUploadWorld(t)
	good, err := os.ReadFile("../receipt/testdata/good.json")
	if err != nil {
		t.Fatal(err)
	}
	anchored, err := receipt.Parse(good)
	if err != nil {
		t.Fatal(err)
	}
	var full bool
	var tried int
	ev := fullCustody{servedEvidence{proved: withProver(t, w.ev), r: anchored, der: []byte{0x30, 0}}, &full, &tried}
	if w.s, err = New(withEvidence(ev, Config{Access: w.orgs, TSA: w.tsa, DB: w.db, Copyrights: w.crs, Transfers: w.crs})); err != nil {
		t.Fatal(err)
	}
	up := w.upload(t, strings.NewReader("exhibit read on a full disk"), "text/plain")
	if up.Code != http.StatusCreated {
		t.Fatalf("upload = %d %s", up.Code, up.Body)
	}
	id := strings.TrimPrefix(up.Header().Get("Location"), "/api/v1/evidence/")
	read := func(method, path, lang string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "/api/v1/evidence/"+id+path, nil)
		req.Header.Set("Authorization", "Bearer "+w.token)
		req.Header.Set("Accept-Language", lang)
		rec := httptest.NewRecorder()
		w.s.e.ServeHTTP(rec, req)
		return rec
	}
	for _, rt := range []struct{ method, path string }{
		{"GET", ""}, // metadata
		{"GET", "/content"},
		{"HEAD", "/content"},
		{"GET", "/custody"},
		{"GET", "/timestamp"},
		{"GET", "/receipt"},
		{"GET", "/evidence-record"},
	} {
		for _, lang := range []prob.Lang{prob.English, prob.Chinese} {
			hdr := map[prob.Lang]string{prob.English: "en", prob.Chinese: "zh-CN"}[lang]
			name := rt.method + " " + rt.path + " " + hdr
			full, tried = true, 0
			r := read(rt.method, rt.path, hdr)
			if tried != 1 {
				t.Errorf("%s: the custody write was tried %d times, want 1", name, tried)
			}
			if r.Code != http.StatusInsufficientStorage || r.Header().Get("Content-Type") != "application/problem+json" || r.Header().Get("Retry-After") == "" {
				t.Errorf("%s on a full disk = %d %q Retry-After %q, want 507 problem+json with Retry-After", name, r.Code, r.Header().Get("Content-Type"), r.Header().Get("Retry-After"))
			}
			for _, h := range []string{"ETag", "Content-Disposition", "Repr-Digest", "Content-Range"} {
				if v := r.Header().Get(h); v != "" {
					t.Errorf("%s on a full disk: %s %q set, want nothing of the item", name, h, v)
				}
			}
			if rt.method == "GET" {
				var p Problem
				if err := json.Unmarshal(r.Body.Bytes(), &p); err != nil || p.Type != ProblemBase+"insufficient-storage" {
					t.Errorf("%s on a full disk: body %.300s, want the insufficient-storage problem", name, r.Body)
				}
				if want := prob.M("insufficient-storage").In(lang); p.Detail != want {
					t.Errorf("%s on a full disk: detail %q, want %q", name, p.Detail, want)
				}
			}
			full = false
			if r := read(rt.method, rt.path, hdr); r.Code != http.StatusOK {
				t.Errorf("%s once space is freed = %d %.200s, want 200", name, r.Code, r.Body)
			}
		}
	}
}
