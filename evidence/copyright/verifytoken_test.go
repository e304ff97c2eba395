package copyright

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
)

// A registration certificate's token opens the one kept: a second, racing
// issue with another token neither replaces it nor opens anything.
func TestVerifyTokenCopyright(t *testing.T) {
	ctx := context.Background()
	s, _, cr := oneFileRegistration(t)
	first, second := evidence.NewVerifyToken(cr.ID), evidence.NewVerifyToken(cr.ID)
	if _, _, err := s.SaveCopyrightDocument(ctx, cr.ID, orgA+":key", &CopyrightDocument{Office: "o", VerifyToken: first}, []byte("%PDF-1 first")); err != nil {
		t.Fatal(err)
	}
	kept, _, err := s.SaveCopyrightDocument(ctx, cr.ID, orgA+":key", &CopyrightDocument{Office: "o", VerifyToken: second}, []byte("%PDF-1 second"))
	if err != nil || kept.VerifyToken != first {
		t.Fatalf("second save kept %+v, %v; want the first token", kept, err)
	}
	if kind, id, err := s.VerifiedDocument(ctx, first); err != nil || kind != evidence.DocumentCopyright || id != cr.ID {
		t.Errorf("VerifiedDocument(first) = %q %q %v, want the registration", kind, id, err)
	}
	for _, tok := range []string{second, cr.ID} {
		if _, _, err := s.VerifiedDocument(ctx, tok); !errors.Is(err, evidence.ErrNotFound) {
			t.Errorf("VerifiedDocument(%q) = %v, want evidence.ErrNotFound", tok, err)
		}
	}
	// The public register never carries the token.
	if got, err := s.Copyright(ctx, cr.ID); err != nil || containsString(got, first) {
		t.Errorf("Copyright(%s) = %+v, %v: shows the token", cr.ID, got, err)
	}
}

// oneFileRegistration is a fresh register holding one registration of
// one file, r.
func oneFileRegistration(t *testing.T) (*world, *evidence.Record, *Copyright) {
	t.Helper()
	s := newWorld(t, evidence.Config{})
	r := fileAs(t, s, orgA, "a song")
	cr, err := s.RegisterCopyright(context.Background(), orgA, orgA+":key", testWork(), []RegisterItem{{ID: r.ID}})
	if err != nil {
		t.Fatal(err)
	}
	return s, r, cr
}

// containsString reports whether v's JSON encoding contains s.
func containsString(v any, s string) bool {
	b, _ := json.Marshal(v)
	return strings.Contains(string(b), s)
}

// Each language's certificate is a document of its own: kept once, under
// its own key (the Chinese one under the registration's ID, as before
// languages), with its own token and custody subject.
func TestCopyrightDocumentLanguages(t *testing.T) {
	ctx := context.Background()
	s, r, cr := oneFileRegistration(t)
	toks := map[string]string{LangZH: evidence.NewVerifyToken(cr.ID), LangEN: evidence.NewVerifyToken(cr.ID)}
	for _, lang := range []string{LangZH, LangEN, LangEN} { // the second English save keeps the first
		doc := &CopyrightDocument{Office: "o", VerifyToken: toks[lang], Lang: lang}
		if _, _, err := s.SaveCopyrightDocument(ctx, cr.ID, orgA+":key", doc, []byte("%PDF-1 "+lang)); err != nil {
			t.Fatal(err)
		}
		toks[lang] = evidence.NewVerifyToken(cr.ID) // a racing issue's token, never kept
	}
	for key, want := range map[string]string{cr.ID: "%PDF-1 zh", cr.ID + "/en": "%PDF-1 en"} {
		if got := get(t, s, bCrPDF, []byte(key)); string(got) != want {
			t.Errorf("crpdf[%s] = %q, want %q", key, got, want)
		}
	}
	if v := get(t, s, bCrDocs, []byte(cr.ID)); strings.Contains(string(v), `"lang"`) {
		t.Errorf("the Chinese certificate is stored with a lang: %s", v)
	}
	seen := map[string]bool{}
	for _, lang := range []string{LangZH, LangEN} {
		doc, pdf, err := s.CopyrightDocument(ctx, cr.ID, lang)
		if err != nil || string(pdf) != "%PDF-1 "+lang {
			t.Fatalf("CopyrightDocument(%s) = %q, %v", lang, pdf, err)
		}
		kind, key, err := s.VerifiedDocument(ctx, doc.VerifyToken)
		if id, got := SplitDocumentKey(key); err != nil || kind != evidence.DocumentCopyright || id != cr.ID || got != lang || seen[doc.VerifyToken] {
			t.Errorf("VerifiedDocument(%s token) = %q %q %v, want %s in %s, a token of its own", lang, kind, key, err, cr.ID, lang)
		}
		seen[doc.VerifyToken] = true
		if _, err := s.CopyrightPDF(ctx, cr.ID, lang, orgA, orgA+":key"); err != nil {
			t.Fatal(err)
		}
	}
	evs, types := custodyTypes(t, s, r.ID)
	var got []string
	for i, e := range evs {
		got = append(got, types[i]+" "+e.Subject)
	}
	zh, en := "copyright:"+cr.ID, "copyright:"+cr.ID+":lang:en"
	want := []string{"created ", EventCopyrightRegistered + " " + zh, EventCopyrightCertified + " " + zh, EventCopyrightCertified + " " + en,
		custody.EventViewed + " " + zh, custody.EventViewed + " " + en}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("custody = %q, want %q", got, want)
	}
	if _, err := s.CopyrightPDF(ctx, cr.ID, "fr", orgA, orgA+":key"); !errors.Is(err, ErrBadLang) {
		t.Errorf("CopyrightPDF(fr) = %v, want ErrBadLang", err)
	}
}
