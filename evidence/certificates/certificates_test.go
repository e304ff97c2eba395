package certificates

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
)

// issue reserves a number and issues a certificate over ids, with
// placeholder receipts.
func issue(t *testing.T, s *world, ids ...string) (*Certificate, []byte, error) {
	t.Helper()
	return issueWith(t, s, func(id string) []byte { return []byte(`{"receipt":"` + id + `"}`) }, ids...)
}

// issueWith is issue with each item's receipt from receiptOf.
func issueWith(t *testing.T, s *world, receiptOf func(id string) []byte, ids ...string) (*Certificate, []byte, error) {
	t.Helper()
	c, err := s.ReserveCertificate(context.Background(), 2026, "浙杭")
	if err != nil {
		t.Fatal(err)
	}
	c.Org, c.Actor, c.Office, c.Notary, c.Evidence = certNotary, certNotary+":key", "杭州市互联网公证处", "张三", ids
	c.Applicant = &Applicant{Kind: ApplicantOrg, Org: certFirm, Name: "Zhong Lun Law Firm"}
	c.IssuedAt = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	pdf := []byte("%PDF-1.7 certificate " + c.ID)
	receipts := make([][]byte, len(ids))
	for i, id := range ids {
		receipts[i] = receiptOf(id)
	}
	return c, pdf, s.IssueCertificate(context.Background(), c, pdf, receipts)
}

func lastEvent(t *testing.T, s *world, id string) *custody.Event {
	t.Helper()
	evs, err := s.Custody(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return evs[len(evs)-1]
}

func TestIssueCertificate(t *testing.T) {
	ctx := context.Background()
	s := newWorld(t, evidence.Config{})
	a, b := uploadAs(t, s, certFirm+":k", "exhibit a"), uploadAs(t, s, certFirm+":k", "exhibit b")
	shareWithNotary(t, s, a, b)
	c, pdf, err := issue(t, s, a.ID, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(pdf)
	if c.Number != "（2026）浙杭证字第1号" || c.Serial != 1 || c.Status != CertificateValid || c.PDFSHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("issued %+v", c)
	}
	if want := []string{certNotary, certFirm}; !slices.Equal(c.Readers, want) {
		t.Errorf("Readers = %v, want %v", c.Readers, want)
	}
	for _, id := range []string{a.ID, b.ID} {
		if e := lastEvent(t, s, id); e.Type != custody.EventCertified || e.Subject != "certificate:"+c.ID || e.Actor != c.Actor {
			t.Errorf("last event of %s = %+v, want certified", id, e)
		}
	}
	for _, tc := range []struct {
		org  string
		want error
	}{{certNotary, nil}, {certFirm, nil}, {certOther, evidence.ErrNotFound}} {
		got, err := s.Certificate(ctx, c.ID, tc.org)
		if !errors.Is(err, tc.want) {
			t.Errorf("Certificate(%s) = %v, want %v", tc.org, err, tc.want)
		}
		if err == nil && (got.Applicant == nil || *got.Applicant != *c.Applicant) {
			t.Errorf("Certificate(%s).Applicant = %+v, want %+v as issued", tc.org, got.Applicant, c.Applicant)
		}
	}
	if _, _, err := s.CertificatePDF(ctx, c.ID, certOther, certOther+":k"); !errors.Is(err, evidence.ErrNotFound) {
		t.Errorf("CertificatePDF(other org) = %v, want evidence.ErrNotFound", err)
	}
	_, got, err := s.CertificatePDF(ctx, c.ID, certFirm, certFirm+":k")
	if err != nil || !bytes.Equal(got, pdf) {
		t.Fatalf("CertificatePDF = %q, %v; want the PDF as issued", got, err)
	}
	if e := lastEvent(t, s, a.ID); e.Type != custody.EventViewed || e.Subject != "certificate:"+c.ID || e.Actor != certFirm+":k" {
		t.Errorf("after reading the PDF, last event = %+v, want viewed certificate:ID", e)
	}
	_, receipts, err := s.CertificateCheck(ctx, c.ID)
	if err != nil || len(receipts) != 2 || string(receipts[1]) != `{"receipt":"`+b.ID+`"}` {
		t.Errorf("CertificateCheck receipts = %q, %v", receipts, err)
	}
	if _, _, err := s.CertificateCheck(ctx, evidence.NewID()); !errors.Is(err, evidence.ErrNotFound) {
		t.Errorf("CertificateCheck(unknown) = %v, want evidence.ErrNotFound", err)
	}
	// Issuing a stored certificate again is refused.
	if err := s.IssueCertificate(ctx, c, pdf, [][]byte{{1}, {2}}); !errors.Is(err, ErrBadCertificate) {
		t.Errorf("IssueCertificate again = %v, want ErrBadCertificate", err)
	}
}

// A failed issue leaves nothing: no certificate, no event; its number stays
// spent.
func TestIssueCertificateAtomic(t *testing.T) {
	ctx := context.Background()
	s := newWorld(t, evidence.Config{})
	a := uploadAs(t, s, certFirm+":k", "exhibit a")
	shareWithNotary(t, s, a)
	before, _ := s.Custody(ctx, a.ID)
	for name, ids := range map[string][]string{
		"missing item": {a.ID, evidence.NewID()},
		"duplicate":    {a.ID, a.ID},
	} {
		c, _, err := issue(t, s, ids...)
		if err == nil {
			t.Fatalf("%s: issued", name)
		}
		if _, err := s.Certificate(ctx, c.ID, certNotary); !errors.Is(err, evidence.ErrNotFound) {
			t.Errorf("%s: the certificate exists: %v", name, err)
		}
	}
	if after, _ := s.Custody(ctx, a.ID); len(after) != len(before) {
		t.Errorf("failed issues appended %d events", len(after)-len(before))
	}
	c, _, err := issue(t, s, a.ID)
	if err != nil || c.Serial != 3 {
		t.Errorf("after two failed issues: serial %d, %v; want 3 (reserved numbers are never reused)", c.Serial, err)
	}
	// A certificate that names no applicant is refused.
	noApplicant, err := s.ReserveCertificate(ctx, 2026, "浙杭")
	if err != nil {
		t.Fatal(err)
	}
	noApplicant.Org, noApplicant.Actor, noApplicant.Evidence = certNotary, certNotary+":key", []string{a.ID}
	if err := s.IssueCertificate(ctx, noApplicant, []byte("pdf"), [][]byte{{1}}); !errors.Is(err, ErrBadCertificate) {
		t.Errorf("IssueCertificate(no applicant) = %v, want ErrBadCertificate", err)
	}
	if after, _ := s.Custody(ctx, a.ID); len(after) != len(before)+1 {
		t.Errorf("after a refused issue: %d events, want %d (one certified)", len(after), len(before)+1)
	}
	// A number reserved for another ID cannot be used.
	other, err := s.ReserveCertificate(ctx, 2026, "浙杭")
	if err != nil {
		t.Fatal(err)
	}
	other.ID, other.Org, other.Evidence = evidence.NewID(), certNotary, []string{a.ID}
	if err := s.IssueCertificate(ctx, other, []byte("pdf"), [][]byte{{1}}); !errors.Is(err, ErrBadCertificate) {
		t.Errorf("IssueCertificate(unreserved ID) = %v, want ErrBadCertificate", err)
	}
}

// Numbers are per year, and survive a restart.
func TestReserveCertificateNumbers(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	open := func() (*Register, *bolt.DB) {
		db, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		return registerOn(t, db), db
	}
	s, db := open()
	for _, tc := range []struct {
		year int
		want string
	}{{2026, "（2026）P证字第1号"}, {2026, "（2026）P证字第2号"}, {2027, "（2027）P证字第1号"}} {
		c, err := s.ReserveCertificate(ctx, tc.year, "P")
		if err != nil || c.Number != tc.want || !evidence.ValidID(c.ID) {
			t.Errorf("ReserveCertificate(%d) = %+v, %v; want %s", tc.year, c, err, tc.want)
		}
	}
	db.Close()
	s, db = open()
	defer db.Close()
	if c, err := s.ReserveCertificate(ctx, 2026, "P"); err != nil || c.Serial != 3 {
		t.Errorf("after a restart: %+v, %v; want serial 3", c, err)
	}
	for _, bad := range []string{"", "a\nb", strings.Repeat("长", 30)} {
		if _, err := s.ReserveCertificate(ctx, 2026, bad); !errors.Is(err, ErrBadCertificate) {
			t.Errorf("ReserveCertificate(prefix %q) = %v, want ErrBadCertificate", bad, err)
		}
	}
}

func TestCertificatesList(t *testing.T) {
	ctx := context.Background()
	s := newWorld(t, evidence.Config{})
	a := uploadAs(t, s, certFirm+":k", "exhibit a")
	shareWithNotary(t, s, a)
	var ids []string
	for range 5 {
		c, _, err := issue(t, s, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	slices.Reverse(ids) // newest first
	for _, org := range []string{certNotary, certFirm} {
		var got []string
		cursor := ""
		for {
			p, err := s.Certificates(ctx, org, cursor, 2)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range p.Items {
				got = append(got, c.ID)
			}
			if cursor = p.Next; cursor == "" {
				break
			}
		}
		if !slices.Equal(got, ids) {
			t.Errorf("Certificates(%s) in pages of 2 = %v, want %v", org, got, ids)
		}
	}
	if p, err := s.Certificates(ctx, certOther, "", 0); err != nil || len(p.Items) != 0 {
		t.Errorf("Certificates(other) = %v, %v; want none", p, err)
	}
	// One position, one spelling: what FormatCursor makes for this listing
	// and organization, nothing else (the base64 decoder alone would skip
	// a CR or LF); no plain position, no other organization's cursor.
	c7 := s.FormatCursor(listing, certFirm, u64(7))
	for _, bad := range []string{"!!", c7 + "\n", c7[:5] + "\r" + c7[5:], "AAAAAAAAAAc",
		s.FormatCursor(listing, certOther, u64(7)), s.FormatCursor("evidence", certFirm, u64(7))} {
		if _, err := s.Certificates(ctx, certFirm, bad, 0); !errors.Is(err, evidence.ErrBadCursor) {
			t.Errorf("cursor %q = %v, want ErrBadCursor", bad, err)
		}
	}
}

// A certificate over the items of two organizations is readable by its
// issuer only: neither owner may read the other's item in it, in the
// record, the PDF or a listing. A record stored with the older, wider
// readers is held to the same rule.
func TestCertificateMultiOwner(t *testing.T) {
	ctx := context.Background()
	s := newWorld(t, evidence.Config{})
	a, b := uploadAs(t, s, certFirm+":k", "exhibit a"), uploadAs(t, s, certOther+":k", "exhibit b")
	shareWithNotary(t, s, a, b)
	c, _, err := issue(t, s, a.ID, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{certNotary}; !slices.Equal(c.Readers, want) {
		t.Errorf("Readers = %v, want %v", c.Readers, want)
	}
	check := func(when string) {
		t.Helper()
		for _, org := range []string{certFirm, certOther} {
			if _, err := s.Certificate(ctx, c.ID, org); !errors.Is(err, evidence.ErrNotFound) {
				t.Errorf("%s: Certificate(%s) = %v, want evidence.ErrNotFound", when, org, err)
			}
			if _, _, err := s.CertificatePDF(ctx, c.ID, org, org+":k"); !errors.Is(err, evidence.ErrNotFound) {
				t.Errorf("%s: CertificatePDF(%s) = %v, want evidence.ErrNotFound", when, org, err)
			}
			if p, err := s.Certificates(ctx, org, "", 0); err != nil || len(p.Items) != 0 {
				t.Errorf("%s: Certificates(%s) = %+v, %v; want none", when, org, p, err)
			}
		}
		got, err := s.Certificate(ctx, c.ID, certNotary)
		if err != nil || !slices.Equal(got.Evidence, []string{a.ID, b.ID}) || !slices.Equal(got.Readers, []string{certNotary}) {
			t.Errorf("%s: Certificate(issuer) = %+v, %v; want both items, readers [issuer]", when, got, err)
		}
	}
	check("issued")
	// The owners still learn of it: the certified event on their own item.
	if e := lastEvent(t, s, b.ID); e.Type != custody.EventCertified || e.Subject != "certificate:"+c.ID {
		t.Errorf("last event of b = %+v, want certified", e)
	}
	// A record stored with every owner as reader, and indexed for each.
	err = s.Update(func(tx *bolt.Tx) error {
		old := *c
		old.Readers = []string{certNotary, certFirm, certOther}
		v, _ := json.Marshal(&old)
		if err := tx.Bucket(bCerts).Put([]byte(c.ID), v); err != nil {
			return err
		}
		for i, org := range old.Readers[1:] {
			if err := tx.Bucket(bCertOrg).Put(append([]byte(org), u64(uint64(100+i))...), []byte(c.ID)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	check("stored with the old readers")
}

// The JSON view names only the items the reader may see now: the issuer
// whose share was revoked no longer sees that item's ID.
func TestCertificateViewHidesItems(t *testing.T) {
	ctx := context.Background()
	s := newWorld(t, evidence.Config{})
	a := uploadAs(t, s, certFirm+":k", "exhibit a")
	sh, _, err := s.ShareTarget(ctx, certFirm, certFirm+":k", evidence.ShareEvidence, a.ID, certNotary, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := issue(t, s, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeShare(ctx, certFirm, certFirm+":k", sh.ID); err != nil {
		t.Fatal(err)
	}
	got, err := s.Certificate(ctx, c.ID, certNotary)
	if err != nil || len(got.Evidence) != 0 {
		t.Errorf("Certificate(issuer, share revoked) = %+v, %v; want no items named", got, err)
	}
	if got, err := s.Certificate(ctx, c.ID, certFirm); err != nil || !slices.Equal(got.Evidence, []string{a.ID}) {
		t.Errorf("Certificate(owner) = %+v, %v; want its item", got, err)
	}
}

// Visibility is checked again in the issue's transaction: an item whose
// share was revoked after the caller's check (while the PDF was signed)
// is evidence.ErrNotFound, and nothing is stored or appended.
func TestIssueCertificateAfterRevocation(t *testing.T) {
	ctx := context.Background()
	s := newWorld(t, evidence.Config{})
	a := uploadAs(t, s, certFirm+":k", "exhibit a")
	own := uploadAs(t, s, certNotary+":k", "the notary's own")
	sh, _, err := s.ShareTarget(ctx, certFirm, certFirm+":k", evidence.ShareEvidence, a.ID, certNotary, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeShare(ctx, certFirm, certFirm+":k", sh.ID); err != nil {
		t.Fatal(err)
	}
	before, _ := s.Custody(ctx, own.ID)
	c, _, err := issue(t, s, own.ID, a.ID)
	if !errors.Is(err, evidence.ErrNotFound) {
		t.Fatalf("IssueCertificate(share revoked) = %v, want evidence.ErrNotFound", err)
	}
	if _, err := s.Certificate(ctx, c.ID, certNotary); !errors.Is(err, evidence.ErrNotFound) {
		t.Errorf("the certificate was stored: %v", err)
	}
	if after, _ := s.Custody(ctx, own.ID); len(after) != len(before) {
		t.Errorf("the refused issue appended %d events", len(after)-len(before))
	}
}

// TestLegacyNumberKept: a certificate numbered in the format before
// （2026）浙杭证字第1号 keeps its number as issued, and the next number
// of the year follows it in the new format.
func TestLegacyNumberKept(t *testing.T) {
	ctx := context.Background()
	s := newWorld(t, evidence.Config{})
	a := uploadAs(t, s, certFirm+":k", "exhibit a")
	shareWithNotary(t, s, a)
	c, err := s.ReserveCertificate(ctx, 2026, "浙杭")
	if err != nil {
		t.Fatal(err)
	}
	c.Number = "(2026)浙杭证字第 1 号" // as numbers were spelled before
	c.Org, c.Actor, c.Office, c.Notary, c.Evidence = certNotary, certNotary+":key", "杭州市互联网公证处", "张三", []string{a.ID}
	c.Applicant = &Applicant{Kind: ApplicantOrg, Org: certFirm, Name: "Zhong Lun Law Firm"}
	if err := s.IssueCertificate(ctx, c, []byte("%PDF-1.7 legacy"), [][]byte{[]byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Certificate(ctx, c.ID, certNotary)
	if err != nil || got.Number != "(2026)浙杭证字第 1 号" {
		t.Fatalf("Certificate = %v, %v; want the number as issued", got, err)
	}
	next, err := s.ReserveCertificate(ctx, 2026, "浙杭")
	if err != nil || next.Number != "（2026）浙杭证字第2号" {
		t.Errorf("next number = %v, %v; want （2026）浙杭证字第2号", next, err)
	}
}

// IssueCertificateWithin runs within in the issue's transaction, with the
// certificate as stored; an error from within undoes the issue: no
// certificate, no certified event.
func TestIssueCertificateWithin(t *testing.T) {
	ctx := context.Background()
	s := newWorld(t, evidence.Config{})
	a := uploadAs(t, s, certFirm+":k", "exhibit a")
	shareWithNotary(t, s, a)
	before, _ := s.Custody(ctx, a.ID)
	errWithin := errors.New("the caller's write failed")
	for _, fail := range []bool{true, false} {
		c, err := s.ReserveCertificate(ctx, 2026, "浙杭")
		if err != nil {
			t.Fatal(err)
		}
		c.Org, c.Actor, c.Evidence = certNotary, certNotary+":key", []string{a.ID}
		c.Applicant = &Applicant{Kind: ApplicantOrg, Org: certFirm, Name: "Zhong Lun Law Firm"}
		called := false
		err = s.IssueCertificateWithin(ctx, c, []byte("%PDF-1.7 "+c.ID), [][]byte{{1}}, func(tx *bolt.Tx, got *Certificate) error {
			called = true
			if got.ID != c.ID || got.Status != CertificateValid || got.PDFSHA256 == "" || len(got.Readers) == 0 {
				t.Errorf("within sees %+v, want the certificate as stored", got)
			}
			if fail {
				return errWithin
			}
			return nil
		})
		_, getErr := s.Certificate(ctx, c.ID, certNotary)
		after, _ := s.Custody(ctx, a.ID)
		switch {
		case !called:
			t.Errorf("fail=%v: within not called", fail)
		case fail && (!errors.Is(err, errWithin) || !errors.Is(getErr, evidence.ErrNotFound) || len(after) != len(before)):
			t.Errorf("within failing: %v, certificate %v, %d events appended; want the issue undone", err, getErr, len(after)-len(before))
		case !fail && (err != nil || getErr != nil || len(after) != len(before)+1):
			t.Errorf("within succeeding: %v, certificate %v, %d events appended; want the certificate and one event", err, getErr, len(after)-len(before))
		}
	}
}
