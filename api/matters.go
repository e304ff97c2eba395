package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	prob "github.com/custos-project/custos/internal/problem"

	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/internal/strictjson"

	"github.com/labstack/echo/v4"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/sharing"
)

// pageOf answers one page of a listing whose items the domain returns by
// pointer, with the cursor of the next page.
func pageOf[T any](items []*T, next string) wire.ListView[T] {
	out := wire.ListView[T]{Items: make([]T, len(items)), Next: next}
	for i, it := range items {
		out.Items[i] = *it
	}
	return out
}

// listOf answers a list, as [] rather than null when it is empty.
func listOf[T any](items []T) wire.ListView[T] {
	if items == nil {
		items = []T{}
	}
	return wire.ListView[T]{Items: items}
}

// maxJSON bounds a JSON request body.
const maxJSON = 64 << 10

// queryLimit reads the ?limit= of a listing: def when absent, else a
// number from 1 to max (400 bad-parameter otherwise).
func queryLimit(c echo.Context, def, max int) (int, error) {
	v := c.QueryParam("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, errParam("limit-range", "max", max)
	}
	return n, nil
}

// bindStrict decodes a JSON body strictly (readJSONObject): unknown
// fields (an attempt to set a server-owned field) and trailing data are
// refused.
func bindStrict(c echo.Context, v any) error {
	b, err := readJSONObject(c)
	if err != nil {
		return err
	}
	return decodeStrict(b, v)
}

// bindOptional is bindStrict for an operation whose documented body may be
// left out: an empty body, however it is framed (Content-Length: 0, none,
// or chunked), leaves v as it is, as {} would.
func bindOptional(c echo.Context, v any) error {
	b, err := readJSONObject(c)
	if err != nil || len(b) == 0 {
		return err
	}
	return decodeStrict(b, v)
}

// decodeStrict decodes a JSON body read by readJSONObject into v
// (strictjson.Decode), answering what is wrong with it as a problem.
func decodeStrict(b []byte, v any) error {
	switch err := strictjson.Decode(b, v); {
	case errors.Is(err, strictjson.ErrTrailing):
		return errInvalid("json-trailing")
	case err != nil:
		return jsonProblem(err)
	}
	return nil
}

// readJSONObject reads the JSON body of an endpoint that takes one object
// (readJSONBody). Any other JSON value is refused with 400 not-an-object
// before the handler acts on anything: above all null, which
// encoding/json decodes as "leave everything as it is", so that a null
// body would otherwise run as if it were {}. Every object-taking handler
// reads its body here, through bindStrict or directly.
func readJSONObject(c echo.Context) ([]byte, error) {
	b, err := readJSONBody(c)
	if err != nil {
		return nil, err
	}
	if err := strictjson.CheckObject(b); err != nil {
		return nil, jsonProblem(err)
	}
	return b, nil
}

// readJSONBody reads a JSON request body of at most maxJSON bytes; a
// larger one is refused with 413, never cut short.
func readJSONBody(c echo.Context) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(c.Request().Body, maxJSON+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxJSON {
		return nil, problem(http.StatusRequestEntityTooLarge, "too-large", prob.M("title.request-too-large"), prob.M("json-too-large", "max", maxJSON))
	}
	return b, nil
}

// createMatter reads POST /api/v1/matters for the Idempotency-Key layer:
// with a key, the answer is stored in the transaction that creates the
// matter, so no crash leaves the matter without it (the retry gets it
// instead of making a second matter). Its fingerprint is the JSON
// endpoints' (the body bytes).
func (s *Server) createMatter(c echo.Context) (*request, error) {
	b, err := readJSONObject(c)
	if err != nil {
		return nil, err
	}
	in, err := sharing.ParseMatterInput(b)
	if err != nil {
		return nil, err
	}
	p := principal(c)
	return &request{kind: "json", identify: func() ([]byte, error) { return b, nil },
		create: func(keep keepFunc) (*answer, error) {
			var a *answer
			m, err := s.sharing.CreateMatterWithin(c.Request().Context(), p.Org.ID, p.Actor(), in, func(tx *bolt.Tx, m *sharing.Matter) error {
				var err error
				if a, err = jsonAnswer(http.StatusCreated, m, "/api/v1/matters/"+m.ID); err != nil || keep == nil {
					return err
				}
				return keep(tx, a)
			})
			if err != nil {
				return nil, err
			}
			if a == nil || a.body == nil {
				return jsonAnswer(http.StatusCreated, m, "/api/v1/matters/"+m.ID)
			}
			return a, nil
		}}, nil
}

func (s *Server) listMatters(c echo.Context) error {
	ms, err := s.sharing.Matters(c.Request().Context(), principal(c).Org.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOf(ms))
}

func (s *Server) getMatter(c echo.Context) error {
	m, err := s.sharing.Matter(c.Request().Context(), c.Param("id"), principal(c).Org.ID)
	if err != nil {
		return matterErr(err)
	}
	return c.JSON(http.StatusOK, m)
}

func matterErr(err error) error {
	if errors.Is(err, evidence.ErrNotFound) {
		return errNoMatter()
	}
	return err
}

func errNoMatter() *Problem {
	return errGone("no-matter")
}

// createShare reads POST /api/v1/shares for the Idempotency-Key layer:
// with a key, the 201 answer is stored in the transaction that makes the
// share (with its evidence.shared deliveries), so no crash leaves the
// share without it. Its fingerprint is the JSON endpoints' (the body
// bytes). What depends on state that changes (the matter and organization
// a name resolves to, a remote grantee) is checked only when the request
// is acted on, so that a retry whose answer is stored is replayed.
func (s *Server) createShare(c echo.Context) (*request, error) {
	if err := s.awaitSynced(c.Request().Context()); err != nil {
		return nil, err
	}
	b, err := readJSONObject(c)
	if err != nil {
		return nil, err
	}
	var in wire.ShareInput
	if err := decodeStrict(b, &in); err != nil {
		return nil, err
	}
	if (in.Evidence == "") == (in.Matter == "") {
		return nil, errInvalid("give-one-target")
	}
	return &request{kind: "json", identify: func() ([]byte, error) { return b, nil },
		create: func(keep keepFunc) (*answer, error) { return s.share(c, in, keep) }}, nil
}

// share makes the share in asks for, or answers the existing one (200).
// The 201 answer is built inside the share's transaction, from what is
// read before it (no read transaction is opened inside a write one), and
// stored there with keep (if not nil).
func (s *Server) share(c echo.Context, in wire.ShareInput, keep keepFunc) (*answer, error) {
	ctx, p := c.Request().Context(), principal(c)
	kind, target := evidence.ShareEvidence, in.Evidence
	if in.Matter != "" {
		id, err := s.resolveMatter(ctx, "matter", p.Org.ID, in.Matter, false)
		if err != nil {
			return nil, err
		}
		kind, target = evidence.ShareMatter, id
	}
	var err error
	if in.Org, err = s.resolveOrg(p, "org", in.Org); err != nil {
		return nil, err
	}
	if _, err := s.orgs.Org(in.Org); err != nil {
		// Not one of this node's organizations: one homed on another
		// member, whose node the share's notice goes to.
		if err := s.remoteGrantee(in.Org); err != nil {
			return nil, err
		}
	}
	owner, grantee := s.orgName(p.Org.ID), s.orgName(in.Org)
	about, err := s.shareTargetOf(ctx, kind, target, p.Org.ID)
	if err != nil {
		return nil, err
	}
	notify, notifyWithin := s.sharedWithin()
	var a *answer
	sh, created, err := s.sharing.ShareTargetWithin(ctx, p.Org.ID, p.Actor(), kind, target, in.Org, in.ExpiresAt, func(tx *bolt.Tx, sh *evidence.Share) error {
		a = nil // set afresh: the group commit may run this again
		if notify != nil {
			if err := notify(tx, sh); err != nil {
				return err
			}
		}
		var err error
		if a, err = jsonAnswer(http.StatusCreated, about.view(owner, grantee, *sh), "/api/v1/shares/"+sh.ID); err != nil || keep == nil {
			return err
		}
		return keep(tx, a)
	})
	if errors.Is(err, sharing.ErrBadShare) {
		return nil, problem(http.StatusUnprocessableEntity, "invalid-input", prob.M("title.invalid-input"), reason(err, sharing.ErrBadShare))
	}
	if err != nil {
		return nil, err
	}
	if !created { // already shared: the existing share, unchanged
		v, err := s.shareView(ctx, s.orgNamer(), *sh)
		if err != nil {
			return nil, err
		}
		return jsonAnswer(http.StatusOK, v, "/api/v1/shares/"+sh.ID)
	}
	if !notifyWithin {
		s.notifyShared(sh)
	}
	return a, nil
}

func (s *Server) listShares(c echo.Context) error {
	made := c.QueryParam("direction") != "received"
	if d := c.QueryParam("direction"); d != "" && d != "made" && d != "received" {
		return errParam("direction")
	}
	p := principal(c)
	ctx, org := c.Request().Context(), p.Org.ID
	sh, err := s.sharing.Shares(ctx, org, made)
	if err != nil {
		return err
	}
	names, now := s.orgNamer(), time.Now()
	// The items an active share received names: seeing an item's metadata
	// in a list is a read, recorded as GET /api/v1/evidence records it
	// (a "listed" custody event each, and one token of the shared-read
	// quota for the page; docs/security.md, finding A7).
	var listed map[string]*evidence.Record
	if !made {
		if listed, err = s.listReceived(c, p, sh, now); err != nil {
			return err
		}
	}
	out := make([]ShareView, len(sh))
	for i := range sh {
		switch {
		case !made && !sh[i].Active(now):
			// What an ended share shared is no longer the grantee's to
			// see: its item answers 404, and so its names are left out.
			out[i] = shareTarget{}.view(names.name(sh[i].Owner), names.name(sh[i].Grantee), sh[i])
		case !made && sh[i].Kind == evidence.ShareEvidence:
			// Named only if its listing was recorded just now.
			var t shareTarget
			if r := listed[sh[i].Target]; r != nil {
				t.fileName, t.size, t.title = r.FileName, r.Size, r.Title
			}
			out[i] = t.view(names.name(sh[i].Owner), names.name(sh[i].Grantee), sh[i])
		default:
			if out[i], err = s.shareView(ctx, names, sh[i]); err != nil {
				return err
			}
		}
	}
	if !made {
		remote, err := s.receivedRemote(org)
		if err != nil {
			return err
		}
		for i := range remote {
			remote[i].GranteeName = names.name(remote[i].Grantee)
		}
		out = append(out, remote...)
	}
	return c.JSON(http.StatusOK, listOf(out))
}

// listReceived records the listing of the items that the active shares
// among sh (received by the caller's organization) share, and returns
// their records by ID. A listing that names one spends a token of the
// organization's shared-read quota, as a page of GET /api/v1/evidence
// that shows shared evidence does.
func (s *Server) listReceived(c echo.Context, p *access.Principal, sh []evidence.Share, now time.Time) (map[string]*evidence.Record, error) {
	var ids []string
	for i := range sh {
		if sh[i].Active(now) && sh[i].Kind == evidence.ShareEvidence {
			ids = append(ids, sh[i].Target)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	if err := s.limits.takeSharedRead(p.Org.ID); err != nil {
		return nil, err
	}
	listed, err := s.records.ListShared(c.Request().Context(), p.Org.ID, p.Actor(), ids)
	if err != nil || len(listed) == 0 {
		s.limits.refundSharedRead(p.Org.ID)
	}
	return listed, err
}

// shareView is a share made on this node, with the organizations' names
// and what it shares by name (its file name, size and title, or the
// matter's title).
func (s *Server) shareView(ctx context.Context, names *orgNames, sh evidence.Share) (ShareView, error) {
	about, err := s.shareTargetOf(ctx, sh.Kind, sh.Target, sh.Owner)
	if err != nil {
		return ShareView{}, err
	}
	return about.view(names.name(sh.Owner), names.name(sh.Grantee), sh), nil
}

// shareTarget is what a share's view names of its target: an evidence
// item's file name, size and title, or a matter's title (nothing if it is
// not found).
type shareTarget struct {
	fileName, title string
	size            int64
}

// shareTargetOf reads what a share of target (of kind, owned by owner)
// names of it.
func (s *Server) shareTargetOf(ctx context.Context, kind, target, owner string) (shareTarget, error) {
	var t shareTarget
	switch kind {
	case evidence.ShareEvidence:
		r, err := s.records.Get(ctx, target)
		if err == nil {
			t.fileName, t.size, t.title = r.FileName, r.Size, r.Title
		} else if !errors.Is(err, evidence.ErrNotFound) {
			return t, err
		}
	case evidence.ShareMatter:
		m, err := s.sharing.Matter(ctx, target, owner)
		if err == nil {
			t.title = m.Title
		} else if !errors.Is(err, evidence.ErrNotFound) {
			return t, err
		}
	}
	return t, nil
}

// view is sh's view with t and the names of its owner and grantee.
func (t shareTarget) view(owner, grantee string, sh evidence.Share) ShareView {
	return ShareView{Share: sh, OwnerName: owner, GranteeName: grantee,
		FileName: t.fileName, Size: t.size, Title: t.title}
}

func (s *Server) revokeShare(c echo.Context) error {
	if err := s.awaitSynced(c.Request().Context()); err != nil {
		return err
	}
	p := principal(c)
	sh, err := s.sharing.RevokeShare(c.Request().Context(), p.Org.ID, p.Actor(), c.Param("id"))
	if errors.Is(err, evidence.ErrNotFound) {
		return errGone("no-share")
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sh)
}

// listEvidence pages through what the caller's organization may see.
func (s *Server) listEvidence(c echo.Context) error {
	q := evidence.Query{Matter: c.QueryParam("matter"), SHA256: c.QueryParam("sha256"), Title: c.QueryParam("title"), Cursor: c.QueryParam("cursor")}
	if err := checkVisible("title", q.Title); err != nil {
		return err
	}
	for name, dst := range map[string]*time.Time{"from": &q.From, "to": &q.To} {
		if v := c.QueryParam(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return errParam("rfc3339-time", "name", name)
			}
			*dst = t
		}
	}
	var err error
	if q.Limit, err = queryLimit(c, 0, 500); err != nil {
		return err
	}
	p := principal(c)
	// ?matter= may be a title, of the caller's matters or those shared
	// with it (names.go).
	if q.Matter, err = s.resolveMatter(c.Request().Context(), "matter", p.Org.ID, q.Matter, true); err != nil {
		return err
	}
	// A page that shows evidence shared with the organization spends one
	// token of its shared-read quota; one that shows none gives it back.
	if err := s.limits.takeSharedRead(p.Org.ID); err != nil {
		return err
	}
	page, err := s.records.List(c.Request().Context(), p.Org.ID, p.Actor(), q)
	if err != nil || page.Shared == 0 {
		s.limits.refundSharedRead(p.Org.ID)
	}
	if errors.Is(err, evidence.ErrBadCursor) {
		return errParam("cursor-unknown")
	}
	if err != nil {
		return err
	}
	v := wire.ListView[wire.EvidenceView]{Items: make([]wire.EvidenceView, len(page.Items)), Next: page.Next}
	names := s.orgNamer()
	for i, r := range page.Items {
		v.Items[i] = ViewOf(r)
		v.Items[i].OwnerOrgName = names.actorName(r.Owner)
	}
	return c.JSON(http.StatusOK, v)
}
