package api

import (
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	prob "github.com/custos-project/custos/internal/problem"

	"github.com/custos-project/custos/api/peer"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/evidence"
)

// Items of matters shared from other members. A share notice names a
// matter, not its items, so this node learns which member holds an item
// of a shared matter by listing the matter at its home: the member whose
// notice shared it, which alone is asked about it. A pass lists every
// matter shared with the organization, each at its home, and only when
// all the listings answered does each member claim the items its
// listings named (peer.Node.ClaimItems, kept in the node's database); an
// item two members list is disputed and relayed to neither. The read of
// an item is then relayed to the member that listed it, and no other
// member learns its ID or can answer for it.
//
// A pass runs before a read when the matters shared with the organization
// changed since its last pass (or none ran since the node started), so
// that every member that could claim the item has been listed with the
// others; and when the item is not known, at most once per passEvery per
// organization, since a court may ask for IDs that no listing names. The
// listings are the court's: they run under its key, and the home nodes
// record them (listed events) and count them against its shared-read
// quota, as they would its own listing.

// passEvery is how soon a pass may run again for an organization, for an
// item no pass found (matterPasses.every, when set, instead). The home
// nodes bound the passes too: each page of a listing spends a token of
// the organization's shared-read quota there.
const passEvery = 2 * time.Second

// Bounds of a matter's listing in a pass: pages of passPage items, at most
// passPages of them (the rest of the matter is not learnt), each answer
// at most passPageBytes.
const (
	passPage      = 500
	passPages     = 200
	passPageBytes = 16 << 20
)

// matterPasses is the state of the passes, per organization.
type matterPasses struct {
	mu    sync.Mutex
	orgs  map[string]*orgPass
	every time.Duration // 0: passEvery
}

// orgPass is an organization's last pass; its lock is held during a pass.
type orgPass struct {
	mu      sync.Mutex
	at      time.Time
	matters map[string]string // matter ID → home member, as listed
}

func (p *matterPasses) of(org string) *orgPass {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.orgs == nil {
		p.orgs = map[string]*orgPass{}
	}
	if p.orgs[org] == nil {
		p.orgs[org] = &orgPass{}
	}
	return p.orgs[org]
}

// itemHome is the member that listed item in a matter it shared with the
// caller's organization, after a pass if one is due; "" if none did or
// two did.
func (s *Server) itemHome(c echo.Context, item string) (string, error) {
	org := principal(c).Org.ID
	matters, former, err := s.sharedMatters(org)
	if err != nil {
		return "", err
	}
	op := s.passes.of(org)
	op.mu.Lock()
	defer op.mu.Unlock()
	every := cmp.Or(s.passes.every, passEvery)
	_, known := s.peers.ItemHome(org, item)
	if (!maps.Equal(op.matters, matters) || !known) && time.Since(op.at) >= every {
		err := s.passList(c, matters)
		op.at = time.Now() // a failed pass too: the next waits its turn
		switch {
		case err == nil:
			op.matters = matters
		case !known || s.peers.Disputed(org, item):
			return "", err
		default:
			// An item claimed in an earlier complete pass keeps its
			// member while another member's listing fails: a pass can
			// only add disputes, never move a claim.
			s.log.Warn("relay: a pass over the shared matters failed; an item already known is relayed to its member", "evidence", item, "err", err)
		}
	}
	m, ok := s.peers.ItemHome(org, item)
	switch {
	case ok && !s.peers.Disputed(org, item):
		return m, nil
	case !ok && len(matters) == 0 && len(former) > 0: // every member that could hold it left
		return "", s.heldByFormer(former[0])
	}
	return "", nil
}

// sharedMatters are the matters other members shared with org, active and
// routed to the member that shared them (not disputed), with that member;
// and, left out of them, the members removed from the consortium that
// shared such matters.
func (s *Server) sharedMatters(org string) (map[string]string, []string, error) {
	ins, err := s.peers.Received(org)
	if err != nil {
		return nil, nil, err
	}
	gone, err := s.formerMembers()
	if err != nil {
		return nil, nil, err
	}
	out := map[string]string{}
	var former []string
	now := time.Now()
	for _, in := range ins {
		if in.Kind != evidence.ShareMatter || !in.Active(now) {
			continue
		}
		m, ok := s.peers.HomeOf(org, in.Target)
		switch _, left := gone[m]; {
		case !ok || m != in.Member:
		case left:
			former = append(former, m)
		default:
			out[in.Target] = m
		}
	}
	return out, former, nil
}

// passList lists each of matters (matter → home member) at its home,
// for the caller, and then records the items each member listed. A
// listing that fails fails the pass, and nothing is recorded: a member
// claiming an item is taken only beside the claims of all the others.
func (s *Server) passList(c echo.Context, matters map[string]string) error {
	claims := map[string][]string{}
	for _, matter := range slices.Sorted(maps.Keys(matters)) {
		member := matters[matter]
		items, err := s.listMatter(c, member, matter)
		if err != nil {
			return err
		}
		claims[member] = append(claims[member], items...)
	}
	return s.peers.ClaimItems(principal(c).Org.ID, claims)
}

// errNoListing stops the listing of a matter its home no longer shows the
// caller.
var errNoListing = errors.New("api: the matter's home lists nothing")

// listMatter is the IDs of the items that member, matter's home, lists in
// it for the caller.
func (s *Server) listMatter(c echo.Context, member, matter string) ([]string, error) {
	var items []string
	cursor := ""
	for range passPages {
		page, err := s.listPage(c, member, matter, cursor)
		if errors.Is(err, errNoListing) {
			return items, nil
		}
		if err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			if it.Matter == matter && evidence.ValidID(it.ID) {
				items = append(items, it.ID)
			}
		}
		if page.Next == "" {
			return items, nil
		}
		cursor = page.Next
	}
	s.log.Warn("relay: a shared matter's listing was cut", "matter", matter, "member", member, "pages", passPages)
	return items, nil
}

// listedItem is what a pass reads of a listed item.
type listedItem struct {
	ID     string `json:"id"`
	Matter string `json:"matter"`
}

// listPage asks member for one page of matter's listing from cursor.
func (s *Server) listPage(c echo.Context, member, matter, cursor string) (*wire.ListView[listedItem], error) {
	p := principal(c)
	q := url.Values{"matter": {matter}, "limit": {strconv.Itoa(passPage)}}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	req, err := http.NewRequest(http.MethodGet, "/peer/v1/evidence?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set(peer.HeaderOrg, p.Org.ID)
	req.Header.Set(peer.HeaderActor, p.Actor())
	resp, err := s.peers.Do(c.Request().Context(), member, req)
	if errors.Is(err, peer.ErrUnreachable) {
		s.log.Warn("relay: a shared matter's home node is unreachable", "member", member, "err", err)
		return nil, homeDown(orUnknown(s.memberName(member), member))
	}
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusUnprocessableEntity: // not shared there any more
		return nil, errNoListing
	case http.StatusTooManyRequests, http.StatusServiceUnavailable: // asked to ask again later
		s.log.Warn("relay: a shared matter's home node is busy", "member", member, "matter", matter, "status", resp.StatusCode,
			"retry_after", resp.Header.Get("Retry-After"))
		return nil, homeBusy(orUnknown(s.memberName(member), member), resp.StatusCode, homeRetryAfter(resp.Header.Get("Retry-After"), time.Now()))
	default:
		s.log.Warn("relay: a shared matter's listing failed", "member", member, "matter", matter, "status", resp.StatusCode)
		return nil, badListing(orUnknown(s.memberName(member), member), resp.StatusCode)
	}
	var page wire.ListView[listedItem]
	if err := json.NewDecoder(io.LimitReader(resp.Body, passPageBytes)).Decode(&page); err != nil {
		s.log.Warn("relay: a shared matter's listing is malformed", "member", member, "matter", matter, "err", err)
		return nil, badListing(orUnknown(s.memberName(member), member), resp.StatusCode)
	}
	return &page, nil
}

// badListing is the answer to a read for which a shared matter's listing
// failed at its home node, name, with status.
func badListing(name string, status int) error {
	return problem(http.StatusBadGateway, "bad-relay", prob.M("title.bad-relay"), prob.M("bad-relay-listing", "name", name, "status", status))
}

// homeBusy is the answer to a read for which a shared matter's home node,
// name, answered its listing status 429 or 503: the home is there but asks
// to be asked later, so the read is 503 home-unreachable, as when the home
// does not answer, with the home's Retry-After (retryAfter seconds).
func homeBusy(name string, status, retryAfter int) error {
	p := problem(http.StatusServiceUnavailable, "home-unreachable", prob.M("title.home-unreachable"),
		prob.M("home-busy-listing", "name", name, "status", status))
	p.retryAfter = retryAfter
	return p
}

// maxHomeRetryAfter bounds the Retry-After of a home node that is passed
// on (homeBusy): a member's node cannot make a court wait for hours.
const maxHomeRetryAfter = 120

// homeRetryAfter is the Retry-After a home node sent (RFC 9110 §10.2.3:
// seconds or an HTTP date), in whole seconds from now, between 1 and
// maxHomeRetryAfter; 10 (as homeDown) if it sent none or one that cannot
// be read.
func homeRetryAfter(v string, now time.Time) int {
	d, ok := peer.RetryAfter(v, now, maxHomeRetryAfter*time.Second)
	if !ok {
		return 10
	}
	return max(1, int(math.Ceil(d.Seconds())))
}
