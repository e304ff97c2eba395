package evidence

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// FuzzParseCursor: a cursor is outside input (the ?cursor= query
// parameter). parseSeq never panics, refuses with ErrBadCursor, and
// accepts only the one spelling formatSeq gives each position of this
// listing and organization: not the plain positions earlier versions
// gave, not another organization's or listing's cursor, not a re-spelling.
func FuzzParseCursor(f *testing.F) {
	c, err := newCursors(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		f.Fatal(err)
	}
	const org = "aaaaaaaaaaaaaaaaaaaaaaaaaa"
	for _, seq := range []uint64{0, 1, 50, 1<<63 - 1, 1<<64 - 1} {
		f.Add(c.formatSeq(listEvidence, org, seq))
	}
	good := c.formatSeq(listEvidence, org, 5)
	f.Add("")
	f.Add(good + "=")                                                 // padded
	f.Add(good[:len(good)-1] + "B")                                   // another last character
	f.Add(good[:10] + "\n" + good[10:])                               // a line break
	f.Add(c.formatSeq(listEvidence, "bbbbbbbbbbbbbbbbbbbbbbbbbb", 5)) // another organization's
	f.Add(c.formatSeq("certificates", org, 5))                        // another listing's
	f.Add(base64.RawURLEncoding.EncodeToString(u64(5)))               // an earlier version's plain position
	f.Fuzz(func(t *testing.T, s string) {
		seq, err := c.parseSeq(listEvidence, org, s)
		if err != nil {
			if !errors.Is(err, ErrBadCursor) {
				t.Fatalf("parseSeq(%q) = %v, want ErrBadCursor", s, err)
			}
			return
		}
		if again := c.formatSeq(listEvidence, org, seq); again != s {
			t.Fatalf("parseSeq(%q) = %d, formatSeq(%d) = %q", s, seq, seq, again)
		}
	})
}

// TestListCursorOpaque checks that an evidence listing's cursor reveals
// nothing of the node-wide record sequence, is good only for the
// organization that listed, and stays good across a restart (the key is
// kept in the database).
func TestListCursorOpaque(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t, newMemBlobs())
	var seqs []uint64
	for i, org := range []string{orgA, orgB, orgA, orgB, orgA} {
		r := fileAs(t, s, org, fmt.Sprint("item ", i))
		seqs = append(seqs, r.Seq)
	}
	page, err := s.List(ctx, orgA, orgA+":k", Query{Limit: 1})
	if err != nil || page.Next == "" {
		t.Fatalf("List(orgA, limit 1) = %+v, %v", page, err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(page.Next)
	for _, seq := range seqs {
		if bytes.Contains(raw, u64(seq)) || strings.Contains(page.Next, base64.RawURLEncoding.EncodeToString(u64(seq))) {
			t.Errorf("cursor %q shows the record sequence %d", page.Next, seq)
		}
	}
	next, err := s.List(ctx, orgA, orgA+":k", Query{Limit: 1, Cursor: page.Next})
	if err != nil || len(next.Items) != 1 || next.Items[0].Seq != seqs[2] {
		t.Errorf("List(orgA, next page) = %+v, %v; want the item of seq %d", next, err, seqs[2])
	}
	if _, err := s.List(ctx, orgB, orgB+":k", Query{Limit: 1, Cursor: page.Next}); !errors.Is(err, ErrBadCursor) {
		t.Errorf("List(orgB, orgA's cursor) = %v, want ErrBadCursor", err)
	}
	if _, err := s.List(ctx, orgA, orgA+":k", Query{Cursor: base64.RawURLEncoding.EncodeToString(u64(seqs[4]))}); !errors.Is(err, ErrBadCursor) {
		t.Errorf("List(a plain sequence as cursor) = %v, want ErrBadCursor", err)
	}
	again, err := loadCursors(s.db)
	if err != nil || again.formatSeq(listEvidence, orgA, seqs[4]) != page.Next {
		t.Errorf("after a restart the cursor key changed (%v)", err)
	}
}
