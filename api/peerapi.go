package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"regexp"
	"strings"

	prob "github.com/custos-project/custos/internal/problem"

	"github.com/labstack/echo/v4"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/api/peer"
	"github.com/custos-project/custos/evidence"
)

// Sharing across members (issue 15 §5). An item's home node is the only
// authority on it: shares live there, and every read is recorded there
// before it is served. A court signed in to its own node C reads an item
// shared from member A through C: C relays the request to A's peer API
// (api/peer, mutual TLS), naming the court and its key; A checks that the
// directory homes the court on C, that the share is active, records the
// access as a custody event whose actor names the court's key and the
// node it came through (<org>:<key>@<member ID>), then serves it. C
// passes the answer on as it streams, checking a download's size and
// SHA-256 on the way.

// Peers is the consortium's peer API as the endpoints use it (peer.Node);
// nil on a node without one.
type Peers interface {
	Self() string
	Received(org string) ([]peer.Inbound, error)
	HomeOf(org, target string) (member string, ok bool)
	// Disputed reports whether two members noticed target for org, or
	// listed it as an item of matters they shared with org: its reads
	// are relayed to neither.
	Disputed(org, target string) bool
	// ItemHome is the member that listed item in a matter it shared
	// with org; ClaimItems records such a listing.
	ItemHome(org, item string) (member string, ok bool)
	ClaimItems(org string, claims map[string][]string) error
	Do(ctx context.Context, member string, req *http.Request) (*http.Response, error)
}

// ShareView is a share as listed: made on this node, or (received only)
// made on another member's node and known here by its notice, with that
// home member; with the organizations' names and what is shared, by name.
type ShareView struct {
	evidence.Share
	HomeMember     string `json:"home_member,omitempty"`
	HomeMemberName string `json:"home_member_name,omitempty"`
	OwnerName      string `json:"owner_name,omitempty"`
	// HomeRemovedAt is set on a received share whose home member was
	// removed from the consortium at that height (leaving.go).
	HomeRemovedAt int64 `json:"home_removed_at,omitempty"`
	// The names beside the IDs, as this node knows them: the
	// grantee's name; for an evidence item, its file name, size and
	// title; for a matter, its title. A received share made on another
	// member's node has no file name, size or title (its notice does not
	// carry them).
	GranteeName string `json:"grantee_name,omitempty"`
	FileName    string `json:"file_name,omitempty"`
	Size        int64  `json:"size,omitempty"`
	Title       string `json:"title,omitempty"`
}

// receivedRemote lists the shares other members made with org.
func (s *Server) receivedRemote(org string) ([]ShareView, error) {
	if s.peers == nil {
		return nil, nil
	}
	ins, err := s.peers.Received(org)
	if err != nil {
		return nil, err
	}
	former, err := s.formerMembers()
	if err != nil {
		return nil, err
	}
	out := make([]ShareView, len(ins))
	for i, in := range ins {
		name := s.memberName(in.Member)
		m, left := former[in.Member]
		if left && name == "" {
			name = m.Name
		}
		out[i] = RemoteShare(&in, name)
		out[i].OwnerName = s.grantorName(in.Grantor)
		out[i].HomeRemovedAt = m.Removed
	}
	return out, nil
}

// grantorName is the directory's name of org, the grantor of a share
// made on another member's node; "" if the directory has none. The name
// a notice states is its sender's to choose, so it is not shown.
func (s *Server) grantorName(org string) string {
	if s.directory == nil {
		return ""
	}
	if e, ok, err := s.directory.Org(org); err == nil && ok {
		return e.Name
	}
	return ""
}

// RemoteShare is the view of a share made on another member's node, as its
// notices told this node; memberName is that member's trust-bundle name.
// The key that made or revoked it is not told: the grantor stands for it.
// Its OwnerName is the notice's grantor name, which the sending member
// chose: a caller shows the directory's name instead.
func RemoteShare(in *peer.Inbound, memberName string) ShareView {
	v := ShareView{Share: evidence.Share{ID: in.Share, Kind: in.Kind, Target: in.Target, Owner: in.Grantor, Grantee: in.Grantee,
		CreatedBy: in.Grantor, CreatedAt: in.CreatedAt, ExpiresAt: in.ExpiresAt, RevokedAt: in.RevokedAt},
		HomeMember: in.Member, HomeMemberName: memberName, OwnerName: in.GrantorName}
	if in.RevokedAt != nil {
		v.RevokedBy = in.Grantor
	}
	return v
}

// remoteGrantee reports whether org is an organization homed on another
// member, to which a share may be made (its notice goes there); a
// problem if this node cannot share with it.
func (s *Server) remoteGrantee(org string) error {
	unknown := errInvalid("org-unknown")
	if s.directory == nil {
		return unknown
	}
	e, ok, err := s.directory.Org(org)
	if err != nil {
		return err
	}
	if !ok {
		return unknown
	}
	former, err := s.formerMembers()
	if err != nil {
		return err
	}
	if m, left := former[e.Member]; left {
		return errInvalid("org-former-member", "member", orUnknown(m.Name, m.ID), "height", m.Removed)
	}
	if s.peers == nil || e.Member == s.peers.Self() {
		return problem(http.StatusUnprocessableEntity, "no-peer-api", prob.M("title.no-peer-api"),
			prob.M("no-peer-api", "member", orUnknown(s.memberName(e.Member), e.Member)))
	}
	return nil
}

// remote relays a request about an item or matter that another member
// shared with the caller's organization to that member's node; anything
// else goes to next.
func (s *Server) remote(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.peers == nil {
			return next(c)
		}
		org, id := principal(c).Org.ID, c.Param("id")
		if id == "" {
			id = c.QueryParam("matter")
		}
		if !evidence.ValidID(id) { // evidence and matter IDs alike
			return next(c)
		}
		item := c.Param("id") != "" && strings.HasPrefix(c.Path(), "/api/v1/evidence/")
		// What this node holds is served here, whatever a notice names:
		// another member cannot take over the reads of local evidence.
		if local, err := s.heldHere(c, id, item); err != nil || local {
			if err != nil {
				return err
			}
			return next(c)
		}
		if m, ok := s.peers.HomeOf(org, id); ok {
			// An item one member noticed alone and another listed in a
			// matter (now, or in a pass that disputed it) goes to neither.
			if item && s.peers.Disputed(org, id) {
				s.log.Warn("relay: a noticed item is disputed; relayed to no member", "evidence", id, "noticed_by", m)
				return next(c)
			}
			if other, listed := s.peers.ItemHome(org, id); item && listed && other != m {
				s.log.Warn("relay: one member noticed an item another lists in a shared matter; relayed to neither",
					"evidence", id, "noticed_by", m, "listed_by", other)
				return next(c)
			}
			if err := s.heldByFormer(m); err != nil {
				return err
			}
			return s.relay(c, m)
		}
		if !item || s.peers.Disputed(org, id) {
			return next(c) // a disputed item is asked of no member (peer.Node.Disputed)
		}
		// An item of a matter shared from another member: relayed to the
		// member whose listing of that matter named it (matteritems.go).
		m, err := s.itemHome(c, id)
		if err != nil || m == "" {
			if err != nil {
				return err
			}
			return next(c)
		}
		if err := s.heldByFormer(m); err != nil {
			return err
		}
		return s.relay(c, m)
	}
}

// heldHere reports whether this node holds the evidence item (item) or
// the matter visible to the caller's organization with ID id.
func (s *Server) heldHere(c echo.Context, id string, item bool) (bool, error) {
	ctx := c.Request().Context()
	var err error
	if item {
		_, err = s.records.Get(ctx, id)
	} else {
		_, err = s.sharing.Matter(ctx, id, principal(c).Org.ID)
	}
	if errors.Is(err, evidence.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// maxRelayedProblem bounds the problem a relay reads from the home node to
// tell a refusal of the request between the nodes from one of the read.
const maxRelayedProblem = 16 << 10

// relayHeaders are the answer headers a relay passes on.
var relayHeaders = []string{"Content-Type", "Content-Length", "Content-Disposition", "ETag", "Repr-Digest", "Retry-After", "Location", "Content-Language"}

// HeaderHomeMember names, on a relayed answer, the member whose node holds
// the item.
const HeaderHomeMember = "Custos-Home-Member"

// relay asks member and passes on its answer. A full download is checked
// as it streams: its bytes must number Content-Length and hash to the
// SHA-256 of the ETag, or the transfer is aborted before its last chunk.
// The member's refusal of this node's request itself (peer.RefusesRequest:
// a clock off, a request ID seen before, this node not counted as a
// member) is answered 502 bad-relay with the member's problem type as its
// reason, not passed on as a fault of the client's request.
func (s *Server) relay(c echo.Context, member string) error {
	req, p := c.Request(), principal(c)
	target := "/peer/v1" + strings.TrimPrefix(req.URL.EscapedPath(), "/api/v1")
	q := req.URL.Query()
	q.Del("wait") // the home node answers at once
	out, err := http.NewRequest(req.Method, target+"?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	out.Header.Set(peer.HeaderOrg, p.Org.ID)
	out.Header.Set(peer.HeaderActor, p.Actor())
	if al := req.Header.Get("Accept-Language"); al != "" {
		out.Header.Set("Accept-Language", al) // the home node's problems in the client's language
	}
	resp, err := s.peers.Do(req.Context(), member, out)
	if errors.Is(err, peer.ErrUnreachable) {
		s.log.Warn("relay: the item's home node is unreachable", "member", member, "err", err)
		return homeDown(orUnknown(s.memberName(member), member))
	}
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 { // the peer routes never redirect
		return problem(http.StatusBadGateway, "bad-relay", prob.M("title.bad-relay"), prob.M("bad-relay-redirect"))
	}
	if resp.StatusCode >= 400 && resp.StatusCode < 500 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxRelayedProblem))
		if err != nil {
			return homeDown(orUnknown(s.memberName(member), member))
		}
		var hp struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(body, &hp) == nil && peer.RefusesRequest(hp.Type) {
			s.log.Warn("relay: the item's home node refused this node's request", "member", member, "problem", hp.Type)
			p := problem(http.StatusBadGateway, "bad-relay", prob.M("title.bad-relay"),
				prob.M("bad-relay-refused", "name", orUnknown(s.memberName(member), member)))
			p.Reason = quote(strings.TrimPrefix(hp.Type, prob.Base))
			return p
		}
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), resp.Body)) // the deferred Close closes the original
	}
	download := req.Method == http.MethodGet && resp.StatusCode == http.StatusOK && strings.HasSuffix(req.URL.Path, "/content")
	want, ok := strings.CutPrefix(strings.Trim(resp.Header.Get("ETag"), `"`), "sha256:")
	if download && (!ok || resp.ContentLength < 0) {
		return problem(http.StatusBadGateway, "bad-relay", prob.M("title.bad-relay"), prob.M("bad-relay"))
	}
	h := c.Response().Header()
	for _, k := range relayHeaders {
		if v := resp.Header.Get(k); v != "" {
			h.Set(k, v)
		}
	}
	if resp.Header.Get("Content-Language") != "" {
		h.Add("Vary", "Accept-Language")
	}
	h.Set(HeaderHomeMember, member)
	c.Response().WriteHeader(resp.StatusCode)
	if !download {
		_, err := io.Copy(c.Response(), resp.Body)
		return err
	}
	chk := &streamCheck{r: resp.Body, h: sha256.New(), want: want, size: resp.ContentLength}
	if err := relayCopy(c.Response(), chk, make([]byte, 256<<10)); err != nil {
		s.log.Error("relay: download aborted", "evidence", c.Param("id"), "member", member, "err", err)
		panic(http.ErrAbortHandler) // the headers are sent: cut the connection
	}
	return nil
}

func homeDown(name string) error {
	p := problem(http.StatusServiceUnavailable, "home-unreachable", prob.M("title.home-unreachable"),
		prob.M("home-unreachable", "name", name))
	p.retryAfter = 10
	return p
}

// relayCopy copies src to dst in writes of a whole buf, but the last: a
// TLS connection reads one record (16 KiB) at a time, and passing each on
// as it came would cost a write(2) per record. On an error from src
// nothing more is written, not even what buf holds.
func relayCopy(dst io.Writer, src io.Reader, buf []byte) error {
	for {
		n, err := io.ReadFull(src, buf)
		end := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !end {
			return err
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if end {
			return nil
		}
	}
}

// streamCheck passes a stream on while hashing it, and withholds the
// chunk that completes it unless the whole has size bytes and hashes to
// want (hex SHA-256): the receiver then never gets a complete copy of
// other bytes.
type streamCheck struct {
	r    io.Reader
	h    hash.Hash
	want string
	size int64
	n    int64
}

// errRelayMismatch stops a relayed download whose bytes are not the item's.
var errRelayMismatch = errors.New("api: relayed bytes do not match the item's size and SHA-256")

func (v *streamCheck) Read(p []byte) (int, error) {
	k, err := v.r.Read(p)
	v.h.Write(p[:k])
	v.n += int64(k)
	switch {
	case v.n > v.size, errors.Is(err, io.EOF) && v.n < v.size:
		return 0, fmt.Errorf("%w: %d bytes, want %d", errRelayMismatch, v.n, v.size)
	case v.n == v.size && (k > 0 || v.size == 0) && hex.EncodeToString(v.h.Sum(nil)) != v.want: // an empty item too
		return 0, fmt.Errorf("%w: sha256 %x, want %s", errRelayMismatch, v.h.Sum(nil), v.want)
	}
	return k, err
}

// PeerHandler serves other members' nodes (behind peer.Node.Handler,
// which authenticates the node): the reads of items and matters shared
// with their organizations, as those organizations' keys would make them
// locally.
func (s *Server) PeerHandler() http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	if observeAnswers != nil {
		e.Pre(observeAnswers) // the package's tests: each answer against api/peer/openapi.json
	}
	as := []echo.MiddlewareFunc{s.peerPrincipal}
	e.GET("/peer/v1/evidence", s.listEvidence, as...)
	e.GET("/peer/v1/evidence/:id", s.getEvidence, as...)
	e.GET("/peer/v1/evidence/:id/content", s.getContent, as...)
	e.HEAD("/peer/v1/evidence/:id/content", s.getContent, as...)
	e.GET("/peer/v1/evidence/:id/custody", s.getCustody, as...)
	e.GET("/peer/v1/evidence/:id/timestamp", s.getTimestamp, as...)
	e.GET("/peer/v1/evidence/:id/receipt", s.getReceipt, as...)
	e.GET("/peer/v1/evidence/:id/evidence-record", s.getEvidenceRecord, as...)
	e.GET("/peer/v1/matters/:id", s.getMatter, as...)
	return e
}

var peerKeyID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,40}$`)

// peerPrincipal admits a peer request for the organization it names: the
// directory must home that organization on the calling member (a node
// acts only for its own organizations), and it must not be one of this
// node's own. The request then runs as a read
// by that organization, under the actor <org>:<key>@<member ID>.
func (s *Server) peerPrincipal(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		member := peer.MemberFrom(req.Context())
		org, actor := req.Header.Get(peer.HeaderOrg), req.Header.Get(peer.HeaderActor)
		key, ok := strings.CutPrefix(actor, org+":")
		if member == "" || org == "" || !ok || !peerKeyID.MatchString(key) {
			return problem(http.StatusBadRequest, "bad-peer-request", prob.M("title.bad-peer-request"),
				prob.M("bad-peer-request", "org_header", peer.HeaderOrg, "actor_header", peer.HeaderActor))
		}
		if s.directory == nil {
			return noDirectory()
		}
		e, found, err := s.directory.Org(org)
		if err != nil {
			return err
		}
		// An organization this node keeps is homed here, whatever the
		// directory says: not all of them are in it under this member (the
		// operator organization, one whose name another holds), and an
		// ID's home there is whichever member registered it first.
		_, lerr := s.orgs.Org(org)
		if lerr != nil && !errors.Is(lerr, access.ErrNotFound) {
			return lerr
		}
		if !found || e.Member != member || lerr == nil {
			return problem(http.StatusForbidden, "not-home-member", prob.M("title.not-home-member"), prob.M("not-home-org"))
		}
		if former, err := s.formerMembers(); err != nil {
			return err
		} else if m, left := former[member]; left {
			return problem(http.StatusForbidden, "former-member", prob.M("title.former-member"), prob.M("former-member", "height", m.Removed))
		}
		q := req.URL.Query()
		q.Del("wait")
		req.URL.RawQuery = q.Encode()
		c.Set(principalKey, &access.Principal{Org: access.Org{ID: org, Kind: e.Kind, Name: e.Name},
			Key: access.Key{ID: key + "@" + member, Role: access.RoleViewer}})
		return next(c)
	}
}
