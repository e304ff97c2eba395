package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"
	"time"

	"github.com/custos-project/custos/api/wire"
)

// Query selects evidence in List. Zero fields match everything.
type Query struct {
	Matter string
	SHA256 string
	Title  string    // case-insensitive substring
	From   time.Time // filed at or after
	To     time.Time // filed before
	Cursor string    // a page's Next, to continue
	Limit  int       // items per page, 1..500 (server default 50)
}

// values encodes q as the query string of GET /api/v1/evidence.
func (q Query) values() url.Values {
	v := url.Values{}
	set := func(name, val string) {
		if val != "" {
			v.Set(name, val)
		}
	}
	set("matter", q.Matter)
	set("sha256", q.SHA256)
	set("title", q.Title)
	set("cursor", q.Cursor)
	if !q.From.IsZero() {
		v.Set("from", q.From.Format(time.RFC3339Nano))
	}
	if !q.To.IsZero() {
		v.Set("to", q.To.Format(time.RFC3339Nano))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return v
}

// List returns one page of the evidence the caller's organization may see,
// newest first. Every listed item gets a "listed" custody event. Pass the
// page's Next as q.Cursor for the next page; it is "" on the last.
func (c *Client) List(ctx context.Context, q Query) (*wire.ListView[wire.EvidenceView], error) {
	path := "/api/v1/evidence"
	if v := q.values(); len(v) > 0 {
		path += "?" + v.Encode()
	}
	var out wire.ListView[wire.EvidenceView]
	return &out, c.getJSON(ctx, path, &out)
}

// ListAll iterates over every item matching q, following the cursor from
// page to page. It stops at the first error, which it yields.
func (c *Client) ListAll(ctx context.Context, q Query) iter.Seq2[wire.EvidenceView, error] {
	return func(yield func(wire.EvidenceView, error) bool) {
		for {
			page, err := c.List(ctx, q)
			if err != nil {
				yield(wire.EvidenceView{}, err)
				return
			}
			for _, v := range page.Items {
				if !yield(v, nil) {
					return
				}
			}
			if page.Next == "" {
				return
			}
			q.Cursor = page.Next
		}
	}
}
