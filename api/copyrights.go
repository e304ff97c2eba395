package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	prob "github.com/custos-project/custos/internal/problem"

	"github.com/labstack/echo/v4"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/copyright"
	"github.com/custos-project/custos/evidence/imagehash"
	"github.com/custos-project/custos/internal/poll"
	"github.com/custos-project/custos/internal/text"
)

// Perceptual hashing holds an image's bytes in memory and decodes them,
// so both are bounded. A registration keeps the bytes of one file at a
// time, at most maxImageBytes, and hashes it as soon as its part is read;
// a search keeps at most maxSearchImageBytes. Decoding, bounded per image
// by imagehash.MaxDecodedBytes (64 MiB), runs at most maxDecodes at a
// time on the node; a request waits up to decodeWait for its turn, then
// gets 503 busy. A larger file, or an image too large to decode, is
// registered or searched by its SHA-256 only.
const (
	maxImageBytes       = 16 << 20
	maxSearchImageBytes = 8 << 20
	maxDecodes          = 2
	decodeWait          = 5 * time.Second
)

func (s *Server) copyrightRoutes(e *echo.Echo, auth, read, file echo.MiddlewareFunc) {
	e.POST("/api/v1/copyrights", s.idem.wrap(s.createCopyright), auth, file, s.limits.perKeyUpload)
	e.GET("/api/v1/copyrights", s.listCopyrights, auth, read)
	e.GET("/api/v1/copyrights/search", s.searchCopyrightsByDigest, auth, read)
	e.POST("/api/v1/copyrights/search", s.searchCopyrightsByFile, auth, read, s.limits.perKeyUpload)
	// One route serves both /{id} and /{id}.pdf: echo's path parameters
	// run to the next slash, so ".pdf" arrives as part of the ID.
	e.GET("/api/v1/copyrights/:id", s.getCopyright, auth, read)
	e.GET("/api/v1/copyrights/:id/evidence-records", s.getCopyrightRecords, auth, read)
	e.POST("/api/v1/copyrights/:id/transfers", s.offerTransfer, auth, file)
	e.GET("/api/v1/copyrights/transfers", s.listTransferOffers, auth, read)
	e.GET("/api/v1/copyrights/transfers/:tid", s.getTransferOffer, auth, read)
	e.POST("/api/v1/copyrights/transfers/:tid/accept", s.acceptTransfer, auth, file)
	e.POST("/api/v1/copyrights/transfers/:tid/decline", s.declineTransfer, auth, file)
	e.POST("/api/v1/copyrights/transfers/:tid/withdraw", s.withdrawTransfer, auth, file)
	e.POST("/api/v1/copyrights/:id/revoke", s.revokeCopyright, auth, file)
}

// register returns the copyright register, or 404 on a node without one.
func (s *Server) register() (Register, error) {
	if s.copyrights == nil {
		return nil, errNoRegister()
	}
	return s.copyrights, nil
}

// errNoRegister answers the copyright routes of a node without a register.
func errNoRegister() *Problem {
	return problem(http.StatusNotFound, "no-such-endpoint", prob.M("title.not-found"), prob.M("no-register"))
}

// copyrightErr maps the register's errors to problems.
func copyrightErr(err error) error {
	switch {
	case errors.Is(err, copyright.ErrNotOwner):
		return problem(http.StatusForbidden, "not-owner", prob.M("title.not-owner"), prob.M("not-owner"))
	case errors.Is(err, copyright.ErrRevoked):
		return problem(http.StatusConflict, "copyright-revoked", prob.M("title.copyright-revoked"), prob.M("copyright-revoked"))
	case errors.Is(err, copyright.ErrBadRegistration):
		return problem(http.StatusUnprocessableEntity, "invalid-registration", prob.M("title.invalid-registration"), reason(err, copyright.ErrBadRegistration))
	case errors.Is(err, copyright.ErrBadLang):
		return errBadRequest("bad-parameter", prob.M("document-lang"))
	case errors.Is(err, evidence.ErrNotFound):
		return errGone("no-copyright")
	}
	return err
}

// ConsortiumRegister is what priority searches need of the consortium's
// copyright register (anchor.Chain).
type ConsortiumRegister interface {
	Member() string
	SearchRegister(sum *[32]byte, ph *uint64, threshold, limit int) ([]anchor.RegMatch, bool, error)
	RegistrationsByNumber(number string) ([]anchor.RegEntry, error)
}

// numberWait reads ?wait=DURATION: how long a request waits for a pending
// registration's number (at most wire.MaxReceiptWait).
func numberWait(c echo.Context) (time.Duration, error) {
	q := c.QueryParam("wait")
	if q == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(q)
	if err != nil || d < 0 {
		return 0, errParam("wait-duration", "example", "5s")
	}
	return min(d, wire.MaxReceiptWait), nil
}

// awaitNumber waits up to wait for cr, pending, to be numbered by the
// chain, and returns it as it is then.
func awaitNumber(ctx context.Context, reg Register, cr *copyright.Copyright, wait time.Duration) (*copyright.Copyright, error) {
	deadline := time.Now().Add(wait)
	for cr.Status == copyright.CopyrightPending && time.Now().Before(deadline) {
		if err := poll.Pause(ctx); err != nil {
			return nil, err
		}
		next, err := reg.Copyright(ctx, cr.ID)
		if err != nil {
			return nil, err
		}
		cr = next
	}
	return cr, nil
}

// upload is one file of a registration: staged and hashed, not yet
// committed.
type upload struct {
	up        *evidence.Upload
	name, typ string
	size      int64
	phash     *imagehash.Hash
}

// createCopyright handles POST /api/v1/copyrights: a "metadata" part (the
// work, JSON) and 1 to copyright.MaxCopyrightItems "file" parts, in any
// order, the files together within the node's upload limit. Every part
// is read, staged and hashed, and the work's and every file's metadata
// validated (and empty files refused) before anything is committed; then
// the files, as evidence items of the caller's organization, and the
// registration are committed in one transaction (copyright.Register.FileCopyright).
// The answer is 201 only once all of it is durable; a failure (a TSA or
// storage outage) or a crash commits none of it. With an Idempotency-Key, the same registration again
// (the same work, and the same files in the same order) is answered as
// before once all its parts are read, and its files are discarded.
func (s *Server) createCopyright(c echo.Context) (_ *request, err error) {
	if err := s.awaitSynced(c.Request().Context()); err != nil {
		return nil, err
	}
	reg, err := s.register()
	if err != nil {
		return nil, err
	}
	wait, err := numberWait(c)
	if err != nil {
		return nil, err
	}
	req := c.Request()
	boundary, err := multipartBoundary(req)
	if err != nil {
		return nil, err
	}
	body := http.MaxBytesReader(c.Response(), req.Body, s.records.MaxSize()+multipartSlack)
	var ups []*upload
	discard := func() {
		for _, u := range ups {
			u.up.Abort()
		}
	}
	defer func() {
		if err != nil {
			discard()
		}
	}()
	work, err := s.readRegistration(c, multipart.NewReader(body, boundary), &ups)
	if err != nil {
		return nil, err
	}
	metas, err := fileMetas(work, ups, time.Now())
	if err != nil {
		return nil, err
	}
	return &request{
		kind:     "copyright",
		identify: func() ([]byte, error) { return registrationIdentity(work, ups, metas) },
		exists: func(ctx context.Context, e *idemEntry) error {
			_, err := reg.Copyright(ctx, e.Copyright)
			return err
		},
		create:  func(keep keepFunc) (*answer, error) { return s.fileCopyright(c, reg, work, ups, metas, wait, keep) },
		discard: discard, // no-ops once filed
	}, nil
}

// fileCopyright commits a registration read by createCopyright and
// answers 201, with the registration pending until the chain numbers it
// (waiting up to wait for the number). With an Idempotency-Key (keep not
// nil), the answer is built from the registration as it is committed and
// stored in the same transaction, so no crash leaves the registration
// without its answer; after a wait that ends with the number, the stored
// answer is replaced by the numbered one in a transaction of its own, and
// the answer sent is always the one stored (the pending one if that write
// fails).
func (s *Server) fileCopyright(c echo.Context, reg Register, work copyright.Work, ups []*upload, metas []evidence.Meta, wait time.Duration, keep keepFunc) (*answer, error) {
	p := principal(c)
	files := make([]copyright.RegisterFile, len(ups))
	for i, u := range ups {
		files[i] = copyright.RegisterFile{Upload: u.up, Meta: metas[i], PHash: u.phash}
	}
	var a *answer
	cr, err := reg.FileCopyrightWithin(c.Request().Context(), p.Org.ID, p.Actor(), work, files, func(tx *bolt.Tx, cr *copyright.Copyright) error {
		var err error
		if a, err = copyrightAnswer(cr); err != nil || keep == nil {
			return err
		}
		return keep(tx, a)
	})
	if err != nil {
		return nil, copyrightErr(err)
	}
	if a == nil { // a register that did not call within
		if a, err = copyrightAnswer(cr); err != nil {
			return nil, err
		}
	}
	if wait <= 0 || cr.Status != copyright.CopyrightPending {
		return a, nil
	}
	// Durable already: a failure from here on only stops the wait.
	got, err := awaitNumber(c.Request().Context(), reg, cr, wait)
	if err != nil || got.Status == copyright.CopyrightPending {
		return a, nil
	}
	b, err := copyrightAnswer(got)
	if err != nil {
		return a, nil
	}
	if keep == nil {
		return b, nil
	}
	if err := s.idem.db.Update(func(tx *bolt.Tx) error { return keep(tx, b) }); err != nil {
		s.log.Error("storing the numbered answer to an Idempotency-Key registration; the pending one stays", "copyright", cr.ID, "err", err)
		return a, nil
	}
	return b, nil
}

// copyrightAnswer is the 201 answer naming cr.
func copyrightAnswer(cr *copyright.Copyright) (*answer, error) {
	a, err := jsonAnswer(http.StatusCreated, cr, "/api/v1/copyrights/"+cr.ID)
	if err != nil {
		return nil, err
	}
	a.copyright = cr.ID
	return a, nil
}

// idemFile is one file of a registration, as its fingerprint covers it.
type idemFile struct {
	SHA256 []byte        `json:"sha256"`
	Meta   evidence.Meta `json:"meta"`
}

// registrationIdentity is what a registration's fingerprint covers: the
// work as parsed and, in order, each file's SHA-256 and the metadata it is
// filed with (metas[i] for the i-th file).
func registrationIdentity(work copyright.Work, ups []*upload, metas []evidence.Meta) ([]byte, error) {
	files := make([]idemFile, len(ups))
	for i, u := range ups {
		sum, err := u.up.SHA256()
		if err != nil {
			return nil, err
		}
		files[i] = idemFile{SHA256: sum[:], Meta: metas[i]}
	}
	return json.Marshal(struct {
		Work  copyright.Work `json:"work"`
		Files []idemFile     `json:"files"`
	}{work, files})
}

// fileMetas is the metadata each staged file is filed with
// (copyright.CopyrightFileMetas).
func fileMetas(work copyright.Work, ups []*upload, now time.Time) ([]evidence.Meta, error) {
	files := make([]copyright.CopyrightFile, len(ups))
	for i, u := range ups {
		files[i] = copyright.CopyrightFile{Name: u.name, MediaType: u.typ, Size: u.size}
	}
	return copyright.CopyrightFileMetas(work, files, now)
}

func multipartBoundary(req *http.Request) (string, error) {
	mt, params, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if mt != "multipart/form-data" || params["boundary"] == "" {
		return "", errBadRequest("bad-multipart", prob.M("multipart-required"))
	}
	return params["boundary"], nil
}

// readRegistration reads the parts of a registration: the work and the
// staged files (appended to ups as they are opened, so the caller can
// abort them all).
func (s *Server) readRegistration(c echo.Context, mr *multipart.Reader, ups *[]*upload) (copyright.Work, error) {
	var work copyright.Work
	sawMeta := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return work, multipartErr(err)
		}
		switch part.FormName() {
		case "metadata":
			if sawMeta {
				return work, errBadRequest("bad-multipart", prob.M("copyright-repeated-meta"))
			}
			sawMeta = true
			b, err := readMetaPart(part)
			if err != nil {
				return work, err
			}
			if work, err = copyright.ParseWork(b, time.Now()); err != nil {
				return work, err
			}
		case "file":
			if len(*ups) == copyright.MaxCopyrightItems {
				return work, errBadRequest("bad-multipart", prob.M("copyright-too-many", "max", copyright.MaxCopyrightItems))
			}
			u, err := s.readFilePart(c, part)
			if u != nil {
				*ups = append(*ups, u)
			}
			if err != nil {
				return work, err
			}
		default:
			return work, errBadRequest("bad-multipart", prob.M("copyright-unexpected", "part", part.FormName()))
		}
	}
	if !sawMeta {
		return work, &evidence.MetadataError{Fields: []evidence.FieldError{evidence.NewFieldError("metadata", "field.metadata-required")}}
	}
	if len(*ups) == 0 {
		return work, errBadRequest("bad-multipart", prob.M("copyright-no-file"))
	}
	return work, nil
}

// readFilePart stages one file part, computing its digests and, for an
// image, its perceptual hash; the image's bytes are dropped once hashed.
func (s *Server) readFilePart(c echo.Context, part *multipart.Part) (*upload, error) {
	ctx := c.Request().Context()
	up, err := s.newUpload(ctx, c)
	if err != nil {
		return nil, err
	}
	u := &upload{up: up, name: part.FileName()}
	if mt, _, err := mime.ParseMediaType(part.Header.Get("Content-Type")); err == nil {
		u.typ = mt
	}
	img := imageTee{max: maxImageBytes}
	if u.size, err = up.ReadFrom(io.TeeReader(part, &img)); err != nil {
		return u, multipartErr(err)
	}
	if u.phash, _, err = s.decodes.phash(ctx, &img); err != nil {
		return u, err
	}
	return u, nil
}

// readMetaPart reads a JSON metadata part of at most MaxMetaBytes (one
// byte more is read, so that ParseMeta or ParseWork can refuse it).
func readMetaPart(part io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(part, evidence.MaxMetaBytes+1))
	if err != nil {
		return nil, multipartErr(err)
	}
	return b, nil
}

// imageTee keeps the bytes written to it while they may be a PNG, JPEG or
// GIF image of at most max bytes, for the perceptual hash; anything else
// it drops as it comes.
type imageTee struct {
	buf []byte
	max int
	off bool
	big bool // dropped for its size, not its type
}

func (t *imageTee) Write(p []byte) (int, error) {
	if t.off {
		return len(p), nil
	}
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max || len(t.buf) >= 512 && !isImage(t.buf) {
		t.off, t.big, t.buf = true, len(t.buf) > t.max && isImage(t.buf), nil
	}
	return len(p), nil
}

// take returns the image written and forgets it: nil if it was not an
// image within max bytes.
func (t *imageTee) take() []byte {
	b := t.buf
	t.buf, t.off = nil, true
	if !isImage(b) {
		return nil
	}
	return b
}

func isImage(b []byte) bool {
	switch http.DetectContentType(b) {
	case "image/png", "image/jpeg", "image/gif":
		return true
	}
	return false
}

// Why an image has no perceptual hash (CopyrightSearch.PHashSkipped).
const (
	phashTooLarge = "too-large" // over the size or decoding limits
	phashFlat     = "flat"      // next to no contrast: its hash would be noise
)

// decodeGate lets at most cap(slots) images be decoded at once, node-wide:
// decoding takes up to imagehash.MaxDecodedBytes of memory and a second of
// CPU, and search is open to every read key.
type decodeGate struct {
	slots chan struct{}
	wait  time.Duration
}

func newDecodeGate(n int, wait time.Duration) *decodeGate {
	return &decodeGate{slots: make(chan struct{}, n), wait: wait}
}

// errBusy answers a request that waited too long for a decoding slot.
func errBusy() *Problem {
	p := problem(http.StatusServiceUnavailable, "busy", prob.M("title.busy"), prob.M("images-busy"))
	p.retryAfter = 2
	return p
}

// phash returns the perceptual hash of the image t kept, decoded once a
// slot is free, and drops the bytes. Without a hash, skipped says why
// (too large, flat), or is "" when the file is not a PNG, JPEG or GIF image
// that decodes: such a file is searched by its SHA-256 alone.
func (g *decodeGate) phash(ctx context.Context, t *imageTee) (h *imagehash.Hash, skipped string, err error) {
	big := t.big
	b := t.take()
	if b == nil {
		if big {
			return nil, phashTooLarge, nil
		}
		return nil, "", nil
	}
	timer := time.NewTimer(g.wait)
	defer timer.Stop()
	select {
	case g.slots <- struct{}{}:
	case <-timer.C:
		return nil, "", errBusy()
	case <-ctx.Done():
		return nil, "", ctx.Err()
	}
	sum, err := imagehash.Sum(b)
	<-g.slots
	switch {
	case errors.Is(err, imagehash.ErrTooLarge):
		return nil, phashTooLarge, nil
	case errors.Is(err, imagehash.ErrFlat):
		return nil, phashFlat, nil
	case err != nil:
		return nil, "", nil // not decodable: no perceptual hash
	}
	return &sum, "", nil
}

// listCopyrights pages through the registrations the caller's
// organization owns (limit, cursor), in ID order.
func (s *Server) listCopyrights(c echo.Context) error {
	reg, err := s.register()
	if err != nil {
		return err
	}
	limit, err := queryLimit(c, 0, copyright.MaxCopyrightPage)
	if err != nil {
		return err
	}
	page, err := reg.Copyrights(c.Request().Context(), principal(c).Org.ID, c.QueryParam("cursor"), limit)
	if errors.Is(err, evidence.ErrBadCursor) {
		return errParam("cursor-unknown")
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, pageOf(page.Items, page.Next))
}

// getCopyright serves a registration's metadata to any member (the
// register is public to members; the files are not), or, for
// /{id}.pdf, its certificate.
func (s *Server) getCopyright(c echo.Context) error {
	reg, err := s.register()
	if err != nil {
		return err
	}
	id, isPDF := strings.CutSuffix(c.Param("id"), ".pdf")
	wait, err := numberWait(c)
	if err != nil {
		return err
	}
	cr, err := reg.Copyright(c.Request().Context(), id)
	if err != nil {
		return copyrightErr(err)
	}
	if isPDF {
		return s.copyrightPDF(c, reg, cr)
	}
	waits := wait > 0 && cr.Status == copyright.CopyrightPending
	if cr, err = awaitNumber(c.Request().Context(), reg, cr, wait); err != nil {
		return err
	}
	if waits {
		// Authorized again after the wait, as a receipt's ?wait= is: a
		// key revoked meanwhile gets 401, not the registration.
		if err := s.reauthenticate(c, access.PermRead); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusOK, cr)
}

func (s *Server) revokeCopyright(c echo.Context) error {
	reg, err := s.register()
	if err != nil {
		return err
	}
	var in wire.RevokeInput
	if err := bindStrict(c, &in); err != nil {
		return err
	}
	if r := strings.TrimSpace(in.Reason); r == "" || len(r) > 1000 {
		return &evidence.MetadataError{Fields: []evidence.FieldError{evidence.NewFieldError("reason", "field.reason-required")}}
	}
	if err := text.CheckVisibleText("reason", in.Reason); err != nil {
		return err
	}
	p := principal(c)
	cr, err := reg.RevokeCopyright(c.Request().Context(), c.Param("id"), p.Org.ID, p.Actor(), strings.TrimSpace(in.Reason))
	if err != nil {
		return copyrightErr(err)
	}
	return c.JSON(http.StatusOK, cr)
}

// searchCopyrightsByDigest is the priority search by ?sha256=HEX, or by
// ?number=N: one of them, once.
func (s *Server) searchCopyrightsByDigest(c echo.Context) error {
	q := c.QueryParams()
	if len(q["sha256"])+len(q["number"]) > 1 {
		return errParam("copyright-one-of")
	}
	if n := c.QueryParam("number"); n != "" {
		return s.searchCopyrightsByNumber(c, n)
	}
	sum := c.QueryParam("sha256")
	if !isHex64(sum) {
		return errParam("copyright-sha256")
	}
	return s.searchCopyrights(c, sum, nil, "")
}

// searchCopyrightsByFile hashes the multipart "file" part (SHA-256 and,
// for an image, the perceptual hash); the file is not kept.
func (s *Server) searchCopyrightsByFile(c echo.Context) error {
	req := c.Request()
	boundary, err := multipartBoundary(req)
	if err != nil {
		return err
	}
	mr := multipart.NewReader(http.MaxBytesReader(c.Response(), req.Body, s.records.MaxSize()+multipartSlack), boundary)
	part, err := mr.NextPart()
	if err != nil || part.FormName() != "file" {
		return errBadRequest("bad-multipart", prob.M("multipart-one-file"))
	}
	h := sha256.New()
	img := imageTee{max: maxSearchImageBytes}
	n, err := io.Copy(io.MultiWriter(h, &img), part)
	if err != nil {
		return multipartErr(err)
	}
	if n == 0 {
		return evidence.ErrEmpty
	}
	ph, skipped, err := s.decodes.phash(req.Context(), &img)
	if err != nil {
		return err
	}
	return s.searchCopyrights(c, hex.EncodeToString(h.Sum(nil)), ph, skipped)
}

func (s *Server) searchCopyrights(c echo.Context, sum string, ph *imagehash.Hash, skipped string) error {
	reg, err := s.register()
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	ms, truncated, err := reg.SearchCopyrights(ctx, sum, ph)
	if err == nil {
		err = copyright.FillAnchoredAt(ctx, s.proofs, ms)
	}
	if err != nil {
		return err
	}
	out := wire.CopyrightSearch{SHA256: sum, PHashSkipped: skipped, Threshold: imagehash.Threshold, Truncated: truncated,
		Matches: make([]wire.CopyrightMatch, len(ms))}
	if ph != nil {
		out.PHash = ph.String()
	}
	for i, m := range ms {
		out.Matches[i] = s.localMatch(m)
	}
	if s.consortium != nil {
		var digest *[32]byte
		if b, err := hex.DecodeString(sum); err == nil && len(b) == 32 {
			digest = (*[32]byte)(b)
		}
		var hash *uint64
		if ph != nil {
			hash = (*uint64)(ph)
		}
		found, more, err := s.consortium.SearchRegister(digest, hash, imagehash.Threshold, copyright.MaxSearchMatches)
		if err != nil {
			return err
		}
		if out.Matches, err = s.mergeRegister(ctx, out.Matches, found); err != nil {
			return err
		}
		out.Truncated = out.Truncated || more
	}
	// The register's matches and this node's own not yet in it come
	// apart, each up to MaxSearchMatches: the earliest of them together.
	if len(out.Matches) > copyright.MaxSearchMatches {
		out.Matches, out.Truncated = out.Matches[:copyright.MaxSearchMatches], true
	}
	return c.JSON(http.StatusOK, out)
}

// localMatch is a match of this node's register.
func (s *Server) localMatch(m copyright.Match) wire.CopyrightMatch {
	cr := m.Copyright
	w := wire.CopyrightMatch{ID: cr.ID, Number: cr.Number, Title: cr.Title, Type: cr.Type, Authors: cr.Authors,
		Owner: cr.Owner, OwnerOrg: cr.OwnerOrg, Status: cr.Status, RegisteredAt: cr.RegisteredAt,
		Anchored: cr.AnchoredHeight != 0, AnchoredAt: m.AnchoredAt, AnchoredHeight: cr.AnchoredHeight,
		Item: m.Item, Match: m.Kind, Distance: m.Distance, RegistrantOrg: cr.RegistrantOrg}
	if o, err := s.orgs.Org(cr.OwnerOrg); err == nil {
		w.OwnerOrgName = o.Name
	}
	if o, err := s.orgs.Org(cr.RegistrantOrg); err == nil {
		w.RegistrantOrgName = o.Name
	}
	return w
}

// mergeRegister orders a search by the consortium's register: its matches
// (found, in register order), each with this node's details if it is this
// node's, then this node's matches the register does not hold yet, as
// they were. Priority is the register's order: from chain state version
// 12 the place of each registration's commitment (made before the
// registration showed its fingerprints), before it the block that made
// each registration final, then its place in the block.
func (s *Server) mergeRegister(ctx context.Context, local []wire.CopyrightMatch, found []anchor.RegMatch) ([]wire.CopyrightMatch, error) {
	self := s.consortium.Member()
	mine := map[string]int{}
	for i, m := range local {
		mine[m.ID] = i
	}
	out := make([]wire.CopyrightMatch, 0, len(local)+len(found))
	used := map[int]bool{}
	for _, f := range found {
		e := f.Entry
		var w wire.CopyrightMatch
		if i, ok := mine[e.ID]; ok && e.Member == self {
			w, used[i] = local[i], true
		} else {
			w = wire.CopyrightMatch{ID: e.ID, Number: e.Display(), Status: copyright.CopyrightRegistered, Remote: true,
				Anchored: true, AnchoredHeight: e.Height, RegistrantOrg: e.Org, Match: copyright.MatchSimilar, Distance: f.Distance}
			if f.Exact {
				w.Match = copyright.MatchExact
			}
			if e.RevokedHeight != 0 {
				w.Status = copyright.CopyrightRevoked
			}
			if t, ok, err := s.proofs.FinalAt(ctx, e.Height); err != nil {
				return nil, err
			} else if ok {
				w.AnchoredAt = t
			}
			if e.Org != "" && s.directory != nil {
				if d, ok, err := s.directory.Org(e.Org); err == nil && ok {
					w.RegistrantOrgName = d.Name
				}
			}
		}
		w.Member, w.MemberName, w.RegisterOrder, w.Legacy = e.Member, s.memberName(e.Member), e.Order, e.Number == ""
		if e.Committed != 0 {
			w.CommittedHeight = e.Committed
			if t, ok, err := s.proofs.FinalAt(ctx, e.Committed); err != nil {
				return nil, err
			} else if ok {
				w.CommittedAt = t
			}
		}
		out = append(out, w)
	}
	for i, m := range local {
		if !used[i] {
			out = append(out, m)
		}
	}
	return out, nil
}

// searchCopyrightsByNumber finds registrations by number in the
// consortium's register (a legacy number may name one registration on
// each of several members) and in this node's.
func (s *Server) searchCopyrightsByNumber(c echo.Context, number string) error {
	if len(number) > 64 || !utf8.ValidString(number) || strings.ContainsFunc(number, unicode.IsControl) {
		return errParam("copyright-number")
	}
	out := wire.CopyrightSearch{Number: number, Threshold: imagehash.Threshold, Matches: []wire.CopyrightMatch{}}
	if s.consortium == nil {
		return c.JSON(http.StatusOK, out)
	}
	entries, err := s.consortium.RegistrationsByNumber(number)
	if err != nil {
		return err
	}
	found := make([]anchor.RegMatch, len(entries))
	for i, e := range entries {
		found[i] = anchor.RegMatch{Entry: e, Exact: true}
	}
	var local []wire.CopyrightMatch
	if reg, err := s.register(); err == nil {
		for _, e := range entries {
			if e.Member != s.consortium.Member() {
				continue
			}
			if cr, err := reg.Copyright(c.Request().Context(), e.ID); err == nil {
				m := []copyright.Match{{Copyright: cr, Kind: copyright.MatchExact}}
				if err := copyright.FillAnchoredAt(c.Request().Context(), s.proofs, m); err != nil {
					return err
				}
				local = append(local, s.localMatch(m[0]))
			}
		}
	}
	if out.Matches, err = s.mergeRegister(c.Request().Context(), local, found); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func isHex64(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == 32 && hex.EncodeToString(b) == s
}

// copyrightPDF serves the registration certificate to the registrant and
// the current owner organization, in the language ?lang= names (zh, the
// default, or en; never Accept-Language: the certificate is a legal
// document, and which one is served must not depend on the reader's
// browser): the same bytes every time for each language, each serving
// recorded first as a "viewed" event on every file. The first request in
// a language issues that language's certificate (certify.Office.Copyright),
// once the registration and its files are anchored, and stores it with a
// "copyright.certified" event on every file.
func (s *Server) copyrightPDF(c echo.Context, reg Register, cr *copyright.Copyright) error {
	lang := c.QueryParam("lang")
	if lang == "" {
		lang = copyright.LangZH
	}
	if lang != copyright.LangZH && lang != copyright.LangEN {
		return errBadRequest("bad-parameter", prob.M("document-lang"))
	}
	p := principal(c)
	if cr.OwnerOrg != p.Org.ID && cr.RegistrantOrg != p.Org.ID {
		return copyrightErr(evidence.ErrNotFound) // the certificate describes the files, which stay private
	}
	ctx := c.Request().Context()
	// The register decides again, in the transaction that records the
	// read, that the caller's organization is the registrant or the owner:
	// a registration transferred away meanwhile is answered as above.
	pdf, err := reg.CopyrightPDF(ctx, cr.ID, lang, p.Org.ID, p.Actor())
	if errors.Is(err, evidence.ErrNotFound) && !errors.Is(err, evidence.ErrNotVisible) {
		if err = s.issueCopyright(ctx, cr, lang, p.Actor()); err == nil {
			pdf, err = reg.CopyrightPDF(ctx, cr.ID, lang, p.Org.ID, p.Actor())
		}
	}
	if err != nil {
		return copyrightErr(err)
	}
	name := "copyright-" + cr.ID + ".pdf"
	if lang != copyright.LangZH {
		name = "copyright-" + cr.ID + "-" + lang + ".pdf"
	}
	c.Response().Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	return c.Blob(http.StatusOK, "application/pdf", pdf)
}

// issueCopyright has the office issue a registration's certificate in
// lang.
func (s *Server) issueCopyright(ctx context.Context, cr *copyright.Copyright, lang, actor string) error {
	if s.issuer == nil {
		return errNoSigner("")
	}
	return s.issuer.Copyright(ctx, cr, lang, actor)
}

// verifyCopyright is the public verification view of a registration
// certificate (DocumentCheck); see documentCheck. key is what the token
// names: the registration's ID, with "/en" for its English certificate
// (copyright.SplitDocumentKey).
func (s *Server) verifyCopyright(c echo.Context, key string) error {
	reg, err := s.register()
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	id, lang := copyright.SplitDocumentKey(key)
	cr, err := reg.Copyright(ctx, id)
	if err != nil {
		return err
	}
	doc, _, err := reg.CopyrightDocument(ctx, cr.ID, lang)
	if err != nil {
		return err
	}
	status := "valid"
	if cr.Status == copyright.CopyrightRevoked {
		status = "revoked"
	}
	v := wire.DocumentCheck{Kind: "copyright", ID: cr.ID, Number: cr.Number, Status: status, IssuedAt: doc.IssuedAt,
		Office: doc.Office, Notary: doc.Notary, PDFSHA256: doc.PDFSHA256, Items: mapSlice(doc.Items, documentItem), Lang: lang}
	return c.JSON(http.StatusOK, v)
}
