package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/api"
	"github.com/custos-project/custos/api/client"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence/copyright"
	"github.com/custos-project/custos/internal/testimage"
	"github.com/custos-project/custos/pdfcheck"
)

// TestCopyrightEndToEnd: two studios register the same photograph; the
// priority search lists the first registrant first; a resized, re-encoded
// copy is found as a near-duplicate and an unrelated picture is not; the
// registration certificate passes pdfsig and pdfcheck.Verify and its attached
// receipts pass `custos verify`; a transfer and a revocation are anchored
// custody events; the public verification view needs no token.
func TestCopyrightEndToEnd(t *testing.T) {
	t.Parallel() // one node of its own, mostly waiting: see parallelNote
	n := startNode(t, t.TempDir(), "")
	dir := t.TempDir()
	_, tokA := crOrg(t, n, "西湖摄影工作室")
	_, tokB := crOrg(t, n, "Copycat Images Ltd")
	buyer, tokC := crOrg(t, n, "杭州出版社")

	orig := testimage.Scene(42, 480, 360)
	photo := writeFile(t, dir, "xihu.png", testimage.PNG(orig))
	work := writeFile(t, dir, "work.json", []byte(`{"title":"西湖晨雾","type":"image","authors":["李明"],"owner":"李明","created":"2025-06-01","first_publication":{"date":"2025-07-01","place":"杭州"}}`))
	cli := func(token string, args ...string) []byte {
		t.Helper()
		out, err := runCustos(t, append(args, "--server", n.URL, "--token", token)...)
		if err != nil {
			t.Fatalf("custos %s: %v", strings.Join(args, " "), err)
		}
		return []byte(out)
	}
	var regA, regB copyright.Copyright
	mustJSON(t, cli(tokA, "copyright", "register", "--metadata", work, photo), &regA)
	mustJSON(t, cli(tokB, "copyright", "register", "--metadata", work, photo), &regB)
	if regA.Number == "" || regA.Number == regB.Number || len(regA.Items) != 1 {
		t.Fatalf("registrations %q and %q, items %v", regA.Number, regB.Number, regA.Items)
	}
	crAwaitAnchored(t, n, tokA, regA.ID)
	crAwaitAnchored(t, n, tokA, regB.ID)

	t.Run("priority by SHA-256", func(t *testing.T) {
		data, _ := os.ReadFile(photo)
		var res wire.CopyrightSearch
		mustJSON(t, cli(tokB, "copyright", "search", "--sha256", sha256Hex(data)), &res)
		if len(res.Matches) != 2 || res.Matches[0].ID != regA.ID || res.Matches[1].ID != regB.ID {
			t.Fatalf("search = %+v, want A's then B's registration", res.Matches)
		}
		first := res.Matches[0]
		if first.Match != "exact" || !first.Anchored || first.AnchoredAt.IsZero() || first.OwnerOrgName != "西湖摄影工作室" || first.AnchoredAt.After(res.Matches[1].AnchoredAt) {
			t.Errorf("first match = %+v", first)
		}
	})
	t.Run("near-duplicates", func(t *testing.T) {
		copyFile := writeFile(t, dir, "copy.jpg", testimage.JPEG(testimage.Resize(orig, 240, 180), 70))
		var res wire.CopyrightSearch
		mustJSON(t, cli(tokC, "copyright", "search", copyFile), &res)
		if len(res.Matches) != 2 || res.Matches[0].ID != regA.ID || res.Matches[0].Match != "similar" || res.Matches[0].Distance > res.Threshold {
			t.Errorf("search(resized JPEG copy) = %+v, want A's and B's registrations as similar", res.Matches)
		}
		other := writeFile(t, dir, "other.jpg", testimage.JPEG(testimage.Scene(7, 480, 360), 85))
		mustJSON(t, cli(tokC, "copyright", "search", other), &res)
		if len(res.Matches) != 0 {
			t.Errorf("search(unrelated picture) = %+v, want nothing", res.Matches)
		}
	})
	var crToken string // the registration certificate's verification token
	t.Run("certificate", func(t *testing.T) {
		certFile := filepath.Join(dir, "cert.pdf")
		cli(tokA, "copyright", "pdf", regA.ID, "-o", certFile)
		signed, err := os.ReadFile(certFile)
		if err != nil {
			t.Fatal(err)
		}
		status, _, again := n.call("GET", "/api/v1/copyrights/"+regA.ID+".pdf", tokA, nil)
		if status != 200 || !bytes.Equal(again, signed) {
			t.Errorf("second GET .pdf = %d, identical %v", status, bytes.Equal(again, signed))
		}
		if status, _, _ := n.call("GET", "/api/v1/copyrights/"+regA.ID+".pdf", tokB, nil); status != 404 {
			t.Errorf("another studio's certificate = %d, want 404", status)
		}
		crCheckPDF(t, n, dir, signed, photo)
		// The public view is opened by the token printed on the PDF (and
		// in its QR code), not by the registration's ID, which every
		// member may learn from the register.
		crToken = pdfVerifyToken(t, certFile)
		_, _, reg := n.call("GET", "/api/v1/copyrights/"+regA.ID, tokB, nil)
		if crToken == regA.ID || strings.Contains(string(reg), crToken) {
			t.Errorf("the register shows the verification token %s: %s", crToken, reg)
		}
		if status, _, _ := n.call("GET", "/api/v1/verify/"+regA.ID, "", nil); status != 404 {
			t.Errorf("GET /api/v1/verify/{registration ID} = %d, want 404", status)
		}
		if status, _, _ := n.call("GET", "/api/v1/copyrights/"+regA.ID+"/verification", "", nil); status/100 != 4 {
			t.Errorf("GET the former by-ID view = %d, want 4xx", status)
		}
		var check wire.DocumentCheck
		status, _, b := n.call("GET", "/api/v1/verify/"+crToken, "", nil)
		mustJSON(t, b, &check)
		sum := sha256.Sum256(signed)
		if status != 200 || check.Kind != "copyright" || check.Status != "valid" || check.PDFSHA256 != hex.EncodeToString(sum[:]) || len(check.Items) != 1 {
			t.Errorf("public verification = %d %+v", status, check)
		}
	})
	t.Run("custos evidence-record copyright", func(t *testing.T) {
		data, _ := os.ReadFile(photo)
		if rest := checkDocumentRecords(t, n, tokA, "copyright", regA.ID, regA.Items, [][]byte{data}); len(rest) != 0 {
			t.Errorf("records beyond the registration's files: %+v", rest)
		}
		if out, err := runCustos(t, "evidence-record", "copyright", regA.ID, "-d", t.TempDir(), "--server", n.URL, "--token", tokB); exitCode(err) != 1 {
			t.Errorf("custos evidence-record copyright by another studio: exit %d\n%s", exitCode(err), out)
		}
	})
	var enToken string // the English certificate's
	t.Run("English certificate", func(t *testing.T) {
		enToken = crEnglishCertificate(t, n, regA, tokA, crToken, dir, cli)
	})
	t.Run("transfer and revoke", func(t *testing.T) {
		// A transfer is an offer until the recipient accepts it.
		var offer copyright.TransferOffer
		mustJSON(t, cli(tokA, "copyright", "transfer", regA.ID, "--to", buyer, "--expires-in-days", "7"), &offer)
		if offer.Status != copyright.OfferPending || offer.To != buyer {
			t.Fatalf("transfer offer = %+v", offer)
		}
		var cr copyright.Copyright
		mustJSON(t, cli(tokC, "copyright", "get", regA.ID), &cr)
		if cr.OwnerOrg == buyer {
			t.Fatal("the registration changed hands before the recipient accepted")
		}
		var offers []copyright.TransferOffer
		mustJSON(t, cli(tokC, "copyright", "offers", "--status", "pending"), &offers)
		if len(offers) != 1 || offers[0].ID != offer.ID {
			t.Fatalf("the recipient's pending offers = %+v", offers)
		}
		if _, err := runCustos(t, "copyright", "accept", offer.ID, "--server", n.URL, "--token", tokA); err == nil {
			t.Errorf("the offerer accepted its own offer")
		}
		var answer api.TransferAnswer
		mustJSON(t, cli(tokC, "copyright", "accept", offer.ID), &answer)
		cr = *answer.Copyright
		if cr.OwnerOrg != buyer || answer.Offer.Status != copyright.OfferAccepted {
			t.Fatalf("after acceptance owner = %s, offer %s; want %s, accepted", cr.OwnerOrg, answer.Offer.Status, buyer)
		}
		// Both organizations' audit chains record the offer and its
		// acceptance.
		for org, tok := range map[string]string{regA.RegistrantOrg: tokA, buyer: tokC} {
			var trail wire.CustodyView
			status, _, b := n.call("GET", "/api/v1/orgs/"+org+"/audit", tok, nil)
			mustJSON(t, b, &trail)
			if last := trail.Events[len(trail.Events)-1]; status != 200 || last.Type != custody.AuditOfferAccepted ||
				last.Subject != "copyright:"+regA.ID+":transfer:"+offer.ID {
				t.Errorf("audit chain of %s ends with %+v (%d), want %s", org, last, status, custody.AuditOfferAccepted)
			}
		}
		if _, err := runCustos(t, "copyright", "revoke", regA.ID, "--reason", "x", "--server", n.URL, "--token", tokA); err == nil {
			t.Errorf("the former owner revoked the registration")
		}
		mustJSON(t, cli(tokC, "copyright", "revoke", regA.ID, "--reason", "作者撤回 withdrawn by the author"), &cr)
		if cr.Status != "revoked" {
			t.Fatalf("status = %s", cr.Status)
		}
		// The new owner reads the file's receipt: it must carry both acts,
		// anchored, and verify.
		item := regA.Items[0]
		types := crAwaitEvents(t, n, tokC, item, copyright.EventCopyrightRevoked, dir)
		for _, want := range []string{"created", copyright.EventCopyrightRegistered, copyright.EventTransferOffered, copyright.EventCopyrightTransferred, copyright.EventCopyrightRevoked} {
			if !strings.Contains(types, want) {
				t.Errorf("anchored events %s lack %s", types, want)
			}
		}
		for _, tok := range []string{crToken, enToken} {
			var check wire.DocumentCheck
			_, _, b := n.call("GET", "/api/v1/verify/"+tok, "", nil)
			mustJSON(t, b, &check)
			if check.Status != "revoked" {
				t.Errorf("verification status (%s) after revocation = %q", check.Lang, check.Status)
			}
		}
	})
}

// crEnglishCertificate checks reg's English certificate, issued after its
// Chinese one (whose token is zhToken) by `custos copyright pdf --lang
// en`: English, signed (pdfsig), the same bytes again, a document of its
// own with its own token and custody subject, while the default (whatever
// Accept-Language says) stays the Chinese one. It returns the English
// certificate's token.
func crEnglishCertificate(t *testing.T, n *proc, reg copyright.Copyright, tok, zhToken, dir string, cli func(string, ...string) []byte) string {
	t.Helper()
	file := filepath.Join(dir, "cert-en.pdf")
	cli(tok, "copyright", "pdf", reg.ID, "--lang", "en", "-o", file)
	signed, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if text := strings.Join(strings.Fields(pdfText(t, file)), " "); !strings.Contains(text, "This certifies that the work below was registered") {
		t.Errorf("the English certificate's text lacks its English statement:\n%s", text)
	}
	_, _, rootPEM := n.call("GET", "/api/v1/trust/root.pem", "", nil)
	checkPdfsig(t, pdfsigDB(t, t.TempDir(), rootPEM), file, true)
	_, _, zh := n.call("GET", "/api/v1/copyrights/"+reg.ID+".pdf", tok, nil, "Accept-Language", "en")
	if status, _, again := n.call("GET", "/api/v1/copyrights/"+reg.ID+".pdf?lang=en", tok, nil); status != 200 || !bytes.Equal(again, signed) || bytes.Equal(zh, signed) {
		t.Errorf("second GET .pdf?lang=en = %d, identical %v; the default with Accept-Language: en is the English one: %v", status, bytes.Equal(again, signed), bytes.Equal(zh, signed))
	}
	if status, hdr, b := n.call("GET", "/api/v1/copyrights/"+reg.ID+".pdf?lang=fr", tok, nil); status != 400 || !strings.Contains(hdr.Get("Content-Type"), "problem+json") {
		t.Errorf("GET .pdf?lang=fr = %d %s %s, want a 400 problem", status, hdr.Get("Content-Type"), b)
	}
	enToken := pdfVerifyToken(t, file)
	for lang, want := range map[string]struct {
		token string
		pdf   []byte
	}{"zh": {zhToken, zh}, "en": {enToken, signed}} {
		var check wire.DocumentCheck
		status, _, b := n.call("GET", "/api/v1/verify/"+want.token, "", nil)
		mustJSON(t, b, &check)
		if sum := sha256.Sum256(want.pdf); status != 200 || check.ID != reg.ID || check.Lang != lang || check.PDFSHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("public verification of the %s token = %d %+v, want its own PDF's digest", lang, status, check)
		}
	}
	if enToken == zhToken {
		t.Errorf("the English certificate carries the Chinese one's token %s", zhToken)
	}
	var chain wire.CustodyView
	_, _, b := n.call("GET", "/api/v1/evidence/"+reg.Items[0]+"/custody", tok, nil)
	mustJSON(t, b, &chain)
	subjects := map[string]int{}
	for _, e := range chain.Events {
		subjects[e.Type+" "+e.Subject]++
	}
	if subjects[copyright.EventCopyrightCertified+" copyright:"+reg.ID+":lang:en"] != 1 || subjects[copyright.EventCopyrightCertified+" copyright:"+reg.ID] != 1 {
		t.Errorf("custody events = %v, want one certified event per language", subjects)
	}
	return enToken
}

// crOrg creates an IP-owner organization and a submitter key for it.
func crOrg(t *testing.T, n *proc, name string) (org, token string) {
	t.Helper()
	status, _, b := n.call("POST", "/api/v1/orgs", n.Token, strings.NewReader(`{"kind":"ipowner","name":"`+name+`"}`), "Content-Type", "application/json")
	if status != 201 {
		t.Fatalf("create org = %d %s", status, b)
	}
	var o struct{ ID string }
	mustJSON(t, b, &o)
	status, _, b = n.call("POST", "/api/v1/orgs/"+o.ID+"/keys", n.Token, strings.NewReader(`{"role":"submitter","name":"studio"}`), "Content-Type", "application/json")
	if status != 201 {
		t.Fatalf("create key = %d %s", status, b)
	}
	var nk api.NewKeyView
	mustJSON(t, b, &nk)
	return o.ID, nk.Token
}

// crAwaitAnchored waits until a registration is anchored.
func crAwaitAnchored(t *testing.T, n *proc, token, id string) {
	t.Helper()
	for range 300 {
		var cr copyright.Copyright
		_, _, b := n.call("GET", "/api/v1/copyrights/"+id, token, nil)
		mustJSON(t, b, &cr)
		if cr.AnchoredHeight > 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("registration %s not anchored within 30 s", id)
}

// crAwaitEvents waits until the item's receipt carries an event of type
// last, checks the receipt with `custos verify`, and returns the anchored
// event types.
func crAwaitEvents(t *testing.T, n *proc, token, item, last, dir string) string {
	t.Helper()
	trust := n.trustFile(t, dir)
	for range 300 {
		status, _, b := n.call("GET", "/api/v1/evidence/"+item+"/receipt?wait=5s", token, nil)
		if status == 200 && strings.Contains(string(b), `\"type\":\"`+last+`\"`) {
			var r struct {
				Events []struct{ Event string } `json:"events"`
			}
			mustJSON(t, b, &r)
			var types []string
			for _, e := range r.Events {
				var ev struct{ Type string }
				mustJSON(t, []byte(e.Event), &ev)
				types = append(types, ev.Type)
			}
			file := writeFile(t, dir, "receipt-"+item+"-late.json", b)
			if out, err := runCustos(t, "verify", "--receipt", file, "--trust", trust); err != nil {
				t.Errorf("custos verify of the late receipt: %v\n%s", err, out)
			}
			return strings.Join(types, " ")
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no anchored %s event on %s", last, item)
	return ""
}

// crCheckPDF has poppler's pdfsig (trusting the node's root) and our
// pdfcheck.Verify check the certificate, extracts its attached receipts with
// pdfdetach and checks each with `custos verify` against the photo; then
// one flipped byte must fail pdfsig, pdfcheck.Verify and, in a receipt,
// `custos verify`.
func crCheckPDF(t *testing.T, n *proc, dir string, signed []byte, photo string) {
	t.Helper()
	_, _, rootPEM := n.call("GET", "/api/v1/trust/root.pem", "", nil)
	nss := pdfsigDB(t, dir, rootPEM)
	file := writeFile(t, dir, "signed.pdf", signed)
	checkPdfsig(t, nss, file, true)
	roots := rootPool(t, rootPEM)
	sig, err := pdfcheck.Verify(signed, roots)
	if err != nil {
		t.Fatalf("pdfcheck.Verify = %v", err)
	}
	receipts, _ := filepath.Glob(filepath.Join(detachAll(t, file), "receipt-*.json"))
	if len(receipts) != 1 {
		t.Fatalf("attached receipts = %v, want one", receipts)
	}
	trust := n.trustFile(t, dir)
	if out, err := runCustos(t, "verify", "--receipt", receipts[0], "--file", photo, "--trust", trust); err != nil {
		t.Errorf("custos verify of the attached receipt: %v\n%s", err, out)
	}

	checkVerifyPDF(t, file, trust, true)

	tampered := tamperSigned(t, signed, sig)
	checkPdfsig(t, nss, writeFile(t, dir, "tampered.pdf", tampered), false)
	if _, err := pdfcheck.Verify(tampered, roots); err == nil {
		t.Errorf("pdfcheck.Verify accepts a tampered certificate")
	}
	checkVerifyPDF(t, filepath.Join(dir, "tampered.pdf"), trust, false)
	r, _ := os.ReadFile(receipts[0])
	if !strings.Contains(string(r), copyright.EventCopyrightRegistered) {
		t.Errorf("the attached receipt does not carry the %s event", copyright.EventCopyrightRegistered)
	}
	var doc map[string]any
	mustJSON(t, r, &doc)
	doc["evidence"].(map[string]any)["size"] = json.Number("1")
	forged, _ := json.Marshal(doc)
	if _, err := runCustos(t, "verify", "--receipt", writeFile(t, dir, "forged.json", forged), "--file", photo, "--trust", trust); err == nil {
		t.Errorf("custos verify accepts a receipt with a changed size")
	}
}

// multipartBody is a request body with its multipart Content-Type.
type multipartBody struct {
	contentType string
	data        []byte
}

// copyrightForm is a registration of a small text work with one file.
func copyrightForm(t testing.TB, file []byte) multipartBody {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if err := mw.WriteField("metadata", `{"title":"A poem","type":"text","authors":["A. Author"],"owner":"A. Author","created":"2025-01-01"}`); err != nil {
		t.Fatal(err)
	}
	fw, err := mw.CreateFormFile("file", "poem.txt")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(file)
	mw.Close()
	return multipartBody{mw.FormDataContentType(), b.Bytes()}
}

// searchForm is a priority search for file.
func searchForm(t testing.TB, file []byte) multipartBody {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile("file", "probe.bin")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(file)
	mw.Close()
	return multipartBody{mw.FormDataContentType(), b.Bytes()}
}

// TestRegistrationTitles: copyright offers' table names each offer's
// registration by its title (it showed the ID), looked up once per run:
// the organization's own registrations in one request, one offered to it
// in one request however many offers name it, and the ID of one the
// caller cannot read (asked once too). JSON keeps the wire's offer.
func TestRegistrationTitles(t *testing.T) {
	asked := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked[r.URL.Path]++
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/copyrights":
			json.NewEncoder(w).Encode(wire.ListView[wire.Copyright]{Items: []wire.Copyright{{ID: "own", Work: wire.Work{Title: "西湖晨雾"}}}})
		case "/api/v1/copyrights/offered":
			json.NewEncoder(w).Encode(wire.Copyright{ID: "offered", Work: wire.Work{Title: "Offered work"}})
		default:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"type":"about:blank","title":"Not Found","status":404}`))
		}
	}))
	defer srv.Close()
	offers := []wire.TransferOffer{{ID: "a", Copyright: "own"}, {ID: "b", Copyright: "offered"}, {ID: "c", Copyright: "offered"},
		{ID: "d", Copyright: "hidden"}, {ID: "e", Copyright: "hidden"}}
	rows := withRegistrationTitles(context.Background(), client.New(srv.URL, "t"), offers)
	want := []string{"西湖晨雾", "Offered work", "Offered work", "", ""}
	for i, r := range rows {
		if r.CopyrightTitle != want[i] || r.ID != offers[i].ID {
			t.Errorf("withRegistrationTitles: row %d = %s %q, want %s %q", i, r.ID, r.CopyrightTitle, offers[i].ID, want[i])
		}
	}
	for path, n := range map[string]int{"/api/v1/copyrights": 1, "/api/v1/copyrights/offered": 1, "/api/v1/copyrights/hidden": 1} {
		if asked[path] != n {
			t.Errorf("GET %s asked %d times, want %d", path, asked[path], n)
		}
	}
	lines := strings.Split(humanText(t, rows), "\n")
	if !strings.Contains(lines[0], "REGISTRATION") {
		t.Errorf("offers' table heading: %q", lines[0])
	}
	for i, w := range []string{"西湖晨雾", "Offered work", "Offered work", "hidden"} {
		if f := strings.Fields(lines[i+1]); len(f) == 0 || !strings.Contains(lines[i+1], w) || (w != "hidden" && f[0] == offers[i].Copyright) {
			t.Errorf("offers' table, row %d: %q, want %q in REGISTRATION", i, lines[i+1], w)
		}
	}
}
