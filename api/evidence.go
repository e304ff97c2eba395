package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"

	prob "github.com/custos-project/custos/internal/problem"

	"github.com/labstack/echo/v4"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
)

// createEvidence reads POST /api/v1/evidence: the raw body, or
// multipart/form-data with a "file" part and an optional "metadata" part.
// The bytes are staged and hashed as they stream; the idempotency layer
// (wrap) then replays, refuses or files the upload (fileEvidence).
func (s *Server) createEvidence(c echo.Context) (_ *request, err error) {
	req := c.Request()
	if err := s.refuseRemoved(); err != nil {
		return nil, err
	}
	if req.ContentLength > s.records.MaxSize()+multipartSlack {
		return nil, evidence.ErrTooLarge
	}
	up, err := s.newUpload(req.Context(), c)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			up.Abort()
		}
	}()
	meta, err := readUpload(req, up)
	if err != nil {
		return nil, err
	}
	return &request{
		kind:     "upload",
		identify: func() ([]byte, error) { return uploadIdentity(up, meta) },
		exists: func(ctx context.Context, e *idemEntry) error {
			_, err := s.records.Get(ctx, e.Evidence)
			return err
		},
		create:  func(keep keepFunc) (*answer, error) { return s.fileEvidence(c, up, meta, keep) },
		discard: up.Abort, // a no-op once filed
	}, nil
}

// newUpload starts an upload by the caller, unlisted by default if the
// caller's organization files unlisted by default: every ingest path
// starts its uploads here.
func (s *Server) newUpload(ctx context.Context, c echo.Context) (*evidence.Upload, error) {
	p := principal(c)
	up, err := s.records.NewUpload(ctx, p.Actor())
	if err != nil {
		return nil, err
	}
	up.UnlistedByDefault(p.Org.UnlistedByDefault)
	return up, nil
}

// readUpload streams an upload's bytes into up and returns its metadata.
func readUpload(req *http.Request, up io.ReaderFrom) (evidence.Meta, error) {
	mt, params, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		return readMultipart(req.Body, params["boundary"], up)
	}
	return readRaw(req, mt, up)
}

// uploadIdentity is what an upload's fingerprint covers: the SHA-256 of
// its bytes, as ingest computed it, and its metadata as parsed, so that a
// multipart retry with another boundary is the same request.
func uploadIdentity(up *evidence.Upload, meta evidence.Meta) ([]byte, error) {
	sum, err := up.SHA256()
	if err != nil {
		return nil, err
	}
	m, err := json.Marshal(meta)
	return append(sum[:], m...), err
}

// fileEvidence files an upload read by createEvidence and answers 201.
// The Idempotency-Key answer (with keep) and the webhook deliveries are
// written in the record's own transaction: durable together with it, or
// not at all.
func (s *Server) fileEvidence(c echo.Context, up *evidence.Upload, meta evidence.Meta, keep keepFunc) (*answer, error) {
	ctx, org := c.Request().Context(), principal(c).Org.ID
	if meta.Matter != "" {
		// By ID or by title (names.go); the record keeps the ID.
		id, err := s.resolveMatter(ctx, "matter", org, meta.Matter, false)
		if err != nil {
			return nil, err
		}
		meta.Matter = id
		if m, err := s.sharing.Matter(ctx, meta.Matter, org); err != nil || m.Org != org {
			return nil, &evidence.MetadataError{Fields: []evidence.FieldError{evidence.NewFieldError("matter", "field.not-own-matter")}}
		}
	}
	var a *answer // encoded once, in the commit, when it is kept there
	notifier, notifyWithin := s.hooks.(TxNotifier)
	if keep != nil || notifyWithin {
		up.WithinCommit(func(tx *bolt.Tx, rec *evidence.Record) error {
			if keep != nil {
				var err error
				if a, err = createdAnswer(rec); err != nil {
					return err
				}
				if err := keep(tx, a); err != nil {
					return err
				}
			}
			if notifyWithin {
				return notifier.PublishWithin(tx, org, "evidence.timestamped", ViewOf(rec))
			}
			return nil
		})
	}
	rec, err := up.Finish(ctx, meta)
	if err != nil {
		return nil, err
	}
	if !notifyWithin {
		s.publish(org, "evidence.timestamped", ViewOf(rec))
	}
	if a == nil {
		return createdAnswer(rec)
	}
	return a, nil
}

// createdAnswer is an upload's 201.
func createdAnswer(rec *evidence.Record) (*answer, error) {
	v := ViewOf(rec)
	b, err := marshalView(&v)
	if err != nil {
		return nil, err
	}
	return &answer{status: http.StatusCreated, contentType: echo.MIMEApplicationJSON, location: evidenceLocation(rec.ID),
		body: append(b, '\n'), evidence: rec.ID}, nil
}

// evidenceLocation is the Location of a created record.
func evidenceLocation(id string) string { return "/api/v1/evidence/" + id }

// multipartSlack allows for multipart framing and metadata around the file.
const multipartSlack = evidence.MaxMetaBytes + 64<<10

func readRaw(req *http.Request, mt string, up io.ReaderFrom) (evidence.Meta, error) {
	var meta evidence.Meta
	if h := req.Header.Get(wire.MetadataHeader); h != "" {
		m, err := evidence.ParseMeta([]byte(h))
		if err != nil {
			return meta, err
		}
		meta = m
	}
	if meta.MediaType == "" && mt != "" {
		meta.MediaType = mt
	}
	if meta.FileName == "" {
		if _, p, err := mime.ParseMediaType(req.Header.Get("Content-Disposition")); err == nil {
			meta.FileName = p["filename"]
		}
	}
	_, err := up.ReadFrom(req.Body)
	return meta, err
}

func readMultipart(body io.Reader, boundary string, up io.ReaderFrom) (evidence.Meta, error) {
	var meta evidence.Meta
	if boundary == "" {
		return meta, errBadRequest("bad-multipart", prob.M("multipart-no-boundary"))
	}
	mr := multipart.NewReader(body, boundary)
	var sawFile, sawMeta bool
	var fileName, fileType string
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return meta, errBadRequest("bad-multipart", prob.M("multipart-malformed")).because(err)
		}
		switch name := part.FormName(); {
		case name == "file" && !sawFile:
			sawFile = true
			fileName, fileType = part.FileName(), part.Header.Get("Content-Type")
			if _, err := up.ReadFrom(part); err != nil {
				return meta, multipartErr(err)
			}
		case name == "metadata" && !sawMeta:
			sawMeta = true
			b, err := readMetaPart(part)
			if err != nil {
				return meta, err
			}
			if meta, err = evidence.ParseMeta(b); err != nil {
				return meta, err
			}
		case name == "file" || name == "metadata":
			return meta, errBadRequest("bad-multipart", prob.M("multipart-repeated", "part", name))
		default:
			return meta, errBadRequest("bad-multipart", prob.M("multipart-unexpected", "part", name))
		}
	}
	if !sawFile {
		return meta, errBadRequest("bad-multipart", prob.M("multipart-no-file"))
	}
	if meta.FileName == "" {
		meta.FileName = fileName
	}
	if meta.MediaType == "" {
		if mt, _, err := mime.ParseMediaType(fileType); err == nil {
			meta.MediaType = mt
		}
	}
	return meta, nil
}

// multipartErr turns framing errors met while reading a part into 400s.
func multipartErr(err error) error {
	if errors.Is(err, evidence.ErrTooLarge) || errors.Is(err, evidence.ErrUnavailable) || errors.Is(err, evidence.ErrUploadState) || noSpace(err) {
		return err
	}
	var p *Problem
	var mbe *http.MaxBytesError
	if errors.As(err, &p) || errors.As(err, &mbe) {
		return err
	}
	return errBadRequest("bad-multipart", prob.M("multipart-malformed")).because(err)
}

// readable returns the record if the caller's organization may see it:
// its own, or shared with it. Evidence it may not see is reported exactly
// like missing evidence, so IDs cannot be probed (OWASP API1). A read of
// evidence shared with the organization spends a token of its shared-read
// quota (Limits.SharedReadRate), and is refused with 429 once it is spent;
// recordRead gives the token back if the read is refused when it is
// recorded.
func (s *Server) readable(c echo.Context) (*evidence.Record, error) {
	rec, own, err := s.seen(c)
	if err != nil {
		return nil, err
	}
	if !own {
		org := principal(c).Org.ID
		if err := s.limits.takeSharedRead(org); err != nil {
			return nil, err
		}
		c.Set(sharedReadKey, sharedReadTokens(c)+1)
	}
	return rec, nil
}

// seen is readable's check without its token: the record, if the
// caller's organization may see it, and whether it sees it as its owner.
// A handler that authorizes the caller again for a read readable already
// paid for (getReceipt after its wait) checks with seen, so that the
// request costs one token however often it checks.
func (s *Server) seen(c echo.Context) (*evidence.Record, bool, error) {
	ctx := c.Request().Context()
	rec, err := s.records.Get(ctx, c.Param("id"))
	if err != nil {
		return nil, false, err
	}
	org := principal(c).Org.ID
	ok, err := s.records.Visible(ctx, rec, org)
	if err != nil {
		return nil, false, err
	}
	if !ok {
		return nil, false, errNotFound()
	}
	if afterVisibleHook != nil {
		afterVisibleHook(rec)
	}
	own, err := s.records.Owns(ctx, rec, org)
	if err != nil {
		return nil, false, err
	}
	return rec, own, nil
}

// sharedReadKey is the echo.Context key of how many shared-read tokens
// readable took for the request.
const sharedReadKey = "custos.shared-read-tokens"

func sharedReadTokens(c echo.Context) int {
	n, _ := c.Get(sharedReadKey).(int)
	return n
}

// refundSharedRead gives back one shared-read token that readable took
// for the request, if it took one: the read it paid for was refused.
func (s *Server) refundSharedRead(c echo.Context) {
	if n := sharedReadTokens(c); n > 0 {
		c.Set(sharedReadKey, n-1)
		s.limits.refundSharedRead(principal(c).Org.ID)
	}
}

// afterVisibleHook, set by tests, runs in readable right after the item
// was found visible to the caller's organization: a test revokes a share
// there to race the read against the revocation.
var afterVisibleHook func(rec *evidence.Record)

// access checks visibility, then durably records the custody event.
func (s *Server) access(c echo.Context, typ, subject string) (*evidence.Record, error) {
	if _, err := s.readable(c); err != nil {
		return nil, err
	}
	return s.recordRead(c, c.Param("id"), typ, subject)
}

// recordRead durably records the caller's read of item id as a custody
// event, if its organization may still see the item: the right is decided
// again in the transaction that records the read, so a share revoked or
// expired since readable found the item visible refuses the read (answered
// as readable answers it, as a missing item), and nothing is recorded. The
// shared-read token readable took for it is given back: a read refused
// there costs the quota what readable's 404 costs, nothing. It is no free
// probe: the token was there to be taken before any work, the answer says
// no more than readable's 404, and the organization could not see the
// item anyway.
func (s *Server) recordRead(c echo.Context, id, typ, subject string) (*evidence.Record, error) {
	p := principal(c)
	rec, _, err := s.custody.AccessAs(c.Request().Context(), id, p.Org.ID, p.Actor(), typ, subject)
	if errors.Is(err, evidence.ErrNotVisible) {
		s.refundSharedRead(c)
		return nil, errNotFound()
	}
	return rec, err
}

func (s *Server) getEvidence(c echo.Context) error {
	rec, err := s.access(c, custody.EventViewed, "metadata")
	if err != nil {
		return err
	}
	v := ViewOf(rec)
	v.OwnerOrgName = s.orgNamer().actorName(rec.Owner)
	return c.JSON(http.StatusOK, v)
}

// getContent serves the bytes with Range support. What it records is what
// happens: the blob is opened and the range checked before the custody event
// is written, conditional requests are not honoured (so every answer carries
// bytes), and a HEAD is recorded as a view, not a download.
func (s *Server) getContent(c echo.Context) error {
	rec, err := s.readable(c)
	if err != nil {
		return err
	}
	req := c.Request()
	for _, h := range []string{"If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since"} {
		req.Header.Del(h)
	}
	rng := req.Header.Get("Range")
	if rng != "" && !rangeSatisfiable(rng, rec.Size) {
		c.Response().Header().Set("Content-Range", fmt.Sprintf("bytes */%d", rec.Size))
		return problem(http.StatusRequestedRangeNotSatisfiable, "range-not-satisfiable", prob.M("title.range-not-satisfiable"),
			prob.M("range-unsatisfied", "range", rng, "size", rec.Size))
	}
	ctx := req.Context()
	blob, err := s.records.Open(ctx, rec)
	if err != nil {
		return err
	}
	defer blob.Close()
	typ, subject := custody.EventDownloaded, ""
	if req.Method == http.MethodHead {
		typ, subject = custody.EventViewed, "content"
	}
	if _, err := s.recordRead(c, rec.ID, typ, subject); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Type", rec.MediaType)
	h.Set("ETag", `"sha256:`+rec.SHA256+`"`)
	h.Set("Repr-Digest", "sha-256=:"+b64hex(rec.SHA256)+":") // RFC 9530
	name := rec.FileName
	if name == "" {
		name = rec.ID
	}
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	var content io.ReadSeeker = blob
	if rng == "" && req.Method == http.MethodGet {
		content = newVerifier(blob, rec, func(got string) {
			s.log.Error("stored bytes do not match their recorded digest; download aborted",
				"evidence", rec.ID, "want", rec.SHA256, "got", got)
		})
	}
	http.ServeContent(c.Response(), req, "", rec.CreatedAt, content)
	return nil
}

func (s *Server) getCustody(c echo.Context) error {
	rec, err := s.access(c, custody.EventViewed, "custody")
	if err != nil {
		return err
	}
	evs, pending, err := s.custody.CustodyPending(c.Request().Context(), rec.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wire.CustodyView{Evidence: rec.ID, Events: s.custodyEvents(evs), PendingReads: mapSlice(pending, pendingRead)})
}

// getTimestamp serves token ?tsa=N (default 0, the built-in TSA) as the
// DER TimeStampResp (RFC 3161 §2.4.2).
func (s *Server) getTimestamp(c echo.Context) error {
	i := 0
	if q := c.QueryParam("tsa"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 0 {
			return errParam("token-index")
		}
		i = n
	}
	rec, err := s.readable(c)
	if err != nil {
		return err
	}
	if i >= len(rec.Tokens) {
		return errGone("no-token", "n", len(rec.Tokens))
	}
	der, err := s.records.Token(c.Request().Context(), rec, i)
	if err != nil {
		return err
	}
	if _, err := s.recordRead(c, rec.ID, custody.EventViewed, "timestamp"); err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/timestamp-reply", der)
}
