package main

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/ers"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/certificates"
	"github.com/custos-project/custos/internal/testenv"
	"github.com/custos-project/custos/pdfcheck"
	"github.com/custos-project/custos/receipt"
)

// TestCertificateEndToEnd issues a notarial certificate on the embedded
// default as its admin and checks the PDF the way a court would: pdfsig
// (poppler, NSS) and our own verifier accept the signature and refuse a
// changed byte; the receipts extracted with pdfdetach verify with
// `custos verify`; pdftotext finds the Chinese text; the items' custody
// chains carry an anchored "certified" event; and the public verification
// view answers without a token.
func TestCertificateEndToEnd(t *testing.T) {
	// One node of its own, mostly waiting: see parallelNote.
	t.Parallel()
	seal := writeSeal(t, t.TempDir()) // the office's seal image, printed under the signature
	// SHA-256 is retired (renewal on demand only), so that the last subtest
	// can renew the PDF's record from its bytes.
	n := startNode(t, t.TempDir(), "org = \"杭州市互联网公证处\"\n[notary]\nabbrev = \"浙杭\"\nname = \"张三\"\nseal = \""+seal+"\"\n"+
		"[evidence_records]\nretired_hashes = [\"SHA-256\"]\nrenew_interval = \"0s\"\n")
	dir := t.TempDir()
	data := [][]byte{[]byte("直播录像的截图，第一页。\n"), []byte("Chat log of the seller, 2026-03-01.\n")}
	titles := []string{"直播间截图 Live-stream screenshot", "卖家聊天记录"}
	var items []wire.EvidenceView
	for i := range data {
		meta, _ := json.Marshal(map[string]string{"title": titles[i]})
		items = append(items, n.upload(n.Token, data[i], "Content-Type", "text/plain; charset=utf-8", "Custos-Metadata", string(meta)))
	}
	ids := []string{items[0].ID, items[1].ID}
	// Issued once the items have their evidence records, the certificate
	// embeds them (in version-5 receipts and as .ers files).
	records := awaitRecords(t, n, ids)

	status, h, body := n.call("POST", "/api/v1/certificates", n.Token, jsonBody(map[string]any{"evidence": ids}), "Content-Type", "application/json")
	if status != http.StatusCreated {
		t.Fatalf("POST /api/v1/certificates = %d %s", status, body)
	}
	var cert certificates.Certificate
	mustJSON(t, body, &cert)
	if h.Get("Location") != "/api/v1/certificates/"+cert.ID || !strings.HasSuffix(cert.Number, "浙杭证字第1号") || cert.Notary != "张三" ||
		cert.Status != "valid" || strings.Join(cert.Evidence, ",") != strings.Join(ids, ",") {
		t.Errorf("certificate = %+v, Location %q", cert, h.Get("Location"))
	}

	status, h, signed := n.call("GET", "/api/v1/certificates/"+cert.ID+".pdf", n.Token, nil)
	if status != 200 || h.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
		t.Fatalf("GET .pdf = %d %q %q", status, h.Get("Content-Type"), h.Get("Content-Disposition"))
	}
	if sha256Hex(signed) != cert.PDFSHA256 || int64(len(signed)) != cert.PDFSize {
		t.Errorf("the PDF served is not the PDF issued: sha256 %s, want %s", sha256Hex(signed), cert.PDFSHA256)
	}
	file := writeFile(t, dir, "certificate.pdf", signed)
	// Two images on page 1: the QR code and the configured seal, with its
	// transparency as a soft mask (a drawn seal is no image). The seal is
	// the signature's appearance: red on the page only with annotations
	// shown.
	out, err := exec.Command("pdfimages", "-list", file).Output()
	kinds := map[string]int{}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[0] == "1" {
			kinds[f[2]]++
		}
	}
	if err != nil || kinds["image"] != 2 || kinds["smask"] != 1 {
		t.Errorf("pdfimages -list: %v\n%s\nwant the QR code and the seal", err, out)
	}
	if shown, hidden := sealRed(t, file, false), sealRed(t, file, true); shown < 50 || hidden != 0 {
		t.Errorf("page 1 has %d seal-red pixels, %d with annotations hidden: want the seal as the signature's appearance", shown, hidden)
	}
	_, _, rootPEM := n.call("GET", "/api/v1/trust/root.pem", "", nil)
	db := pdfsigDB(t, dir, rootPEM)
	roots := rootPool(t, rootPEM)

	t.Run("pdfsig and pdfcheck.Verify accept it", func(t *testing.T) {
		out := checkPdfsig(t, db, file, true)
		t.Logf("pdfsig:\n%s", out)
		if !strings.Contains(out, "Signer Certificate Common Name: 张三") {
			t.Errorf("pdfsig names another signer:\n%s", out)
		}
		sig, err := pdfcheck.Verify(signed, roots)
		if err != nil {
			t.Fatalf("pdfcheck.Verify = %v", err)
		}
		changed := tamperSigned(t, signed, sig)
		checkPdfsig(t, db, writeFile(t, dir, "tampered.pdf", changed), false)
		if _, err := pdfcheck.Verify(changed, roots); err == nil {
			t.Errorf("pdfcheck.Verify accepts the PDF with a byte changed")
		}
		trust := n.trustFile(t, dir)
		checkVerifyPDF(t, file, trust, true)
		checkVerifyPDF(t, filepath.Join(dir, "tampered.pdf"), trust, false)
	})

	t.Run("embedded receipts verify offline", func(t *testing.T) {
		out := detachAll(t, file)
		trust := n.trustFile(t, dir)
		for i, id := range ids {
			rp := filepath.Join(out, "receipt-"+id+".json")
			fp := writeFile(t, dir, id+".txt", data[i])
			if out, err := runCustos(t, "verify", "--receipt", rp, "--file", fp, "--trust", trust); err != nil || !strings.Contains(out, "VALID") ||
				!strings.Contains(out, "✓ evidence record (in the receipt)") {
				t.Errorf("custos verify of the receipt of %s from the PDF: %v\n%s", id, err, out)
			}
			ers, err := os.ReadFile(filepath.Join(out, "evidence-record-"+id+".ers"))
			if err != nil || !bytes.Equal(ers, records[i]) {
				t.Errorf("the PDF's evidence-record-%s.ers is not the item's record (%v)", id, err)
			}
		}
		// custos verify --pdf checks the receipts and their records.
		vo, err := runCustos(t, "verify", "--pdf", file, "--trust", trust)
		if err != nil || strings.Count(vo, "✓ receipt 回执 receipt-") != 2 || strings.Count(vo, "evidence record 证据记录 (RFC 4998)") != 2 {
			t.Errorf("custos verify --pdf --trust: %v\n%s", err, vo)
		}
	})

	t.Run("custos evidence-record certificate", func(t *testing.T) {
		rest := checkDocumentRecords(t, n, n.Token, "certificate", cert.ID, ids, data)
		// Last, the record over the signed PDF's SHA-256: it verifies
		// against the PDF's bytes, and not against other bytes.
		if len(rest) != 1 || rest[0].Kind != "pdf" || rest[0].ID != cert.ID || rest[0].SHA256 != cert.PDFSHA256 || rest[0].Status != "ready" ||
			filepath.Base(rest[0].File) != cert.ID+".pdf.ers" {
			t.Fatalf("records after the items' = %+v, want the PDF's", rest)
		}
		der, err := os.ReadFile(rest[0].File)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := ers.Decode(der)
		if err != nil {
			t.Fatalf("the PDF's record: %v", err)
		}
		sum := sha256.Sum256(signed)
		if _, err := ers.Verify(rec, ers.Hashes{crypto.SHA256: sum[:]}, ers.VerifyOptions{Roots: roots}); err != nil {
			t.Errorf("the PDF's record does not verify against the PDF: %v", err)
		}
		other := sha256.Sum256(append(bytes.Clone(signed), ' '))
		if _, err := ers.Verify(rec, ers.Hashes{crypto.SHA256: other[:]}, ers.VerifyOptions{Roots: roots}); !errors.Is(err, ers.ErrMismatch) {
			t.Errorf("the PDF's record against other bytes: %v, want a mismatch", err)
		}
		// And in Bouncy Castle, an RFC 4998 implementation of its own, as
		// the help promises: valid against the signed PDF's bytes, not
		// against the same bytes with one more.
		bc := testenv.BouncyCastle(t, filepath.Join("..", "..", "ers", "testdata", "ERSCheck.java"))
		changed := writeFile(t, dir, "certificate-changed.pdf", append(bytes.Clone(signed), ' '))
		at := strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10)
		lines := strings.Split(strings.TrimSpace(bc.Run(t, at, rest[0].File, file, rest[0].File, changed)), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "VALID ") || !strings.HasPrefix(lines[1], "INVALID ") {
			t.Errorf("Bouncy Castle on the PDF's record, with the PDF then other bytes: %q", lines)
		}
	})

	t.Run("Chinese text extracts", func(t *testing.T) {
		text := pdfText(t, file)
		for _, want := range []string{"公证书", "直播间截图", "卖家聊天记录", "杭州市互联网公证处", "张三", cert.Number} {
			if !strings.Contains(text, want) {
				t.Errorf("pdftotext output lacks %q", want)
			}
		}
		// Digests wrap in their column.
		if flat := strings.Join(strings.Fields(text), ""); !strings.Contains(flat, items[0].SHA256) || !strings.Contains(flat, items[1].SHA256) {
			t.Errorf("pdftotext output lacks the items' SHA-256")
		}
	})

	t.Run("certified event anchored", func(t *testing.T) {
		status, _, b := n.call("GET", "/api/v1/evidence/"+ids[0]+"/custody", n.Token, nil)
		var cv wire.CustodyView
		mustJSON(t, b, &cv)
		var types []string
		for _, e := range cv.Events {
			types = append(types, e.Type+":"+e.Subject)
		}
		got := strings.Join(types, ",")
		if status != 200 || !strings.Contains(got, "certified:certificate:"+cert.ID+",viewed:certificate:"+cert.ID) {
			t.Errorf("custody of %s = %s; want certified then viewed (the PDF download)", ids[0], got)
		}
		for _, id := range ids {
			if !receiptHasEvent(t, n, id, "certified", "certificate:"+cert.ID) {
				t.Errorf("no anchored certified event on %s", id)
			}
		}
	})

	t.Run("public verification view", func(t *testing.T) {
		// The view is opened by the token the PDF carries, never by the ID.
		if tok := pdfVerifyToken(t, file); tok != cert.VerifyToken || tok == cert.ID {
			t.Fatalf("the PDF's verification token = %q, want the record's %q (not the ID)", tok, cert.VerifyToken)
		}
		if strings.Contains(pdfText(t, file), "certificate=") {
			t.Errorf("the PDF prints a verification link by ID")
		}
		for _, path := range []string{"/api/v1/verify/" + cert.ID, "/api/v1/verify/" + evidence.NewID()} {
			if status, _, _ := n.call("GET", path, "", nil); status != 404 {
				t.Errorf("GET %s = %d, want 404", path, status)
			}
		}
		// The former by-ID view is gone (an unknown path under /api/v1/
		// wants an API key first).
		if status, _, _ := n.call("GET", "/api/v1/certificates/"+cert.ID+"/verification", "", nil); status/100 != 4 {
			t.Errorf("GET the former by-ID view = %d, want 4xx", status)
		}
		status, _, body := n.call("GET", "/api/v1/verify/"+cert.VerifyToken, "", nil)
		var dc wire.DocumentCheck
		mustJSON(t, body, &dc)
		if status != 200 || dc.Number != cert.Number || dc.PDFSHA256 != cert.PDFSHA256 || dc.Kind != "certificate" || len(dc.Items) != 2 {
			t.Fatalf("verification = %d %+v", status, dc)
		}
		var cli wire.DocumentCheck // the same view from the command line, with no token
		if out, err := runCustos(t, "document", "check", cert.VerifyToken, "--server", n.URL); err != nil || json.Unmarshal([]byte(out), &cli) != nil || cli.Number != dc.Number || cli.PDFSHA256 != dc.PDFSHA256 {
			t.Errorf("custos document check = %+v, %v; want %s", cli, err, dc.Number)
		}
		out := detachAll(t, file)
		for i, it := range dc.Items {
			embedded, _ := os.ReadFile(filepath.Join(out, "receipt-"+ids[i]+".json"))
			if it.ID != ids[i] || it.SHA256 != items[i].SHA256 || !bytes.Equal(it.Receipt, embedded) {
				t.Errorf("item %d = %s %s; want %s with the embedded receipt", i, it.ID, it.SHA256, ids[i])
			}
		}
	})

	t.Run("English body", func(t *testing.T) {
		status, _, body := n.call("POST", "/api/v1/certificates", n.Token, jsonBody(map[string]any{"evidence": ids[:1], "lang": "en"}), "Content-Type", "application/json")
		var cert certificates.Certificate
		if status != 201 || json.Unmarshal(body, &cert) != nil {
			t.Fatalf("POST lang en = %d %s", status, body)
		}
		status, _, pdfBytes := n.call("GET", "/api/v1/certificates/"+cert.ID+".pdf", n.Token, nil)
		if status != 200 {
			t.Fatalf("GET the English PDF = %d", status)
		}
		if text := pdfText(t, writeFile(t, t.TempDir(), "en.pdf", pdfBytes)); !strings.Contains(text, "This is to certify") {
			t.Errorf("the English certificate's text lacks its English body:\n%.600s", text)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		for name, in := range map[string]any{
			"both":                            map[string]any{"evidence": ids, "matter": ids[0]},
			"neither":                         map[string]any{},
			"duplicate":                       map[string]any{"evidence": []string{ids[0], ids[0]}},
			"a language other than zh and en": map[string]any{"evidence": ids, "lang": "fr"},
		} {
			if status, _, b := n.call("POST", "/api/v1/certificates", n.Token, jsonBody(in), "Content-Type", "application/json"); status != 422 {
				t.Errorf("%s: POST = %d %s, want 422", name, status, b)
			}
		}
		if status, _, b := n.call("POST", "/api/v1/certificates", n.Token, jsonBody(map[string]any{"evidence": []string{evidence.NewID()}}), "Content-Type", "application/json"); status != 404 {
			t.Errorf("unknown item: POST = %d %s, want 404", status, b)
		}
	})

	// Last: it renews every record on the node.
	t.Run("the PDF's record renewed from its bytes", func(t *testing.T) {
		out, err := runCustos(t, "evidence-record", "renew", "--json", "--server", n.URL, "--token", n.Token)
		var run wire.RenewalRun
		if err != nil || json.Unmarshal([]byte(out), &run) != nil || run.Documents.HashTree.Items < 1 || len(run.Errors) != 0 {
			t.Fatalf("custos evidence-record renew: %v\n%s", err, out)
		}
		dir := t.TempDir()
		if out, err := runCustos(t, "evidence-record", "certificate", cert.ID, "-d", dir, "--server", n.URL, "--token", n.Token); err != nil {
			t.Fatalf("custos evidence-record certificate after the renewal: %v\n%s", err, out)
		}
		der, err := os.ReadFile(filepath.Join(dir, cert.ID+".pdf.ers"))
		if err != nil {
			t.Fatal(err)
		}
		rec, err := ers.Decode(der)
		if err != nil {
			t.Fatalf("the PDF's renewed record: %v", err)
		}
		s256, s512 := sha256.Sum256(signed), sha512.Sum512(signed)
		if _, err := ers.Verify(rec, ers.Hashes{crypto.SHA256: s256[:], crypto.SHA512: s512[:]}, ers.VerifyOptions{Roots: roots}); err != nil {
			t.Errorf("the PDF's renewed record does not verify against the PDF: %v", err)
		}
		if _, err := ers.Verify(rec, ers.Hashes{crypto.SHA256: s256[:]}, ers.VerifyOptions{Roots: roots}); !errors.Is(err, ers.ErrMissingHash) {
			t.Errorf("the PDF's renewed record with SHA-256 alone: %v, want ErrMissingHash (a SHA-512 chain)", err)
		}
	})
}

func jsonBody(v any) *bytes.Reader {
	b, _ := json.Marshal(v)
	return bytes.NewReader(b)
}

// trustFile saves the node's trust bundle in dir.
func (p *proc) trustFile(t *testing.T, dir string) string {
	t.Helper()
	status, _, b := p.call("GET", "/api/v1/trust", "", nil)
	if status != 200 {
		t.Fatalf("GET /api/v1/trust = %d", status)
	}
	return writeFile(t, dir, "trust.json", b)
}

// receiptHasEvent waits (up to about 20 s) for a receipt of id whose
// anchored events include one of type typ and subject: the event is then
// in a final block.
func receiptHasEvent(t *testing.T, n *proc, id, typ, subject string) bool {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		status, _, b := n.call("GET", "/api/v1/evidence/"+id+"/receipt?wait=5s", n.Token, nil)
		if status == 200 {
			r, err := receipt.Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			for _, ae := range r.Events {
				if strings.Contains(ae.Event, `"type":"`+typ+`"`) && strings.Contains(ae.Event, `"subject":"`+subject+`"`) {
					return true
				}
			}
		}
	}
	return false
}

// TestCertificateApplicant: the applicant (申请人) a certificate names is
// the party who asked for it, never the notary office that issues it: by
// default the items' owner, else the organization or natural person the
// request names. A person's identity number is checked (GB 11643) and only
// ever printed or stored masked. `custos certificate issue` names them with
// --applicant-org, --applicant-name and --applicant-id; pdftotext reads the
// printed applicant from the signed PDF.
func TestCertificateApplicant(t *testing.T) {
	t.Parallel() // one node of its own, mostly waiting: see parallelNote
	n := startNode(t, t.TempDir(), "")
	firm, firmTok := newOrg(t, n, "lawfirm", "Zhong Lun Law Firm", access.RoleSubmitter)
	_, otherTok := newOrg(t, n, "lawfirm", "Opposing Firm", access.RoleSubmitter)
	office, notaryTok := newOrg(t, n, "notary", "Qiantang Notary Office", access.RoleNotary)
	court, _ := newOrg(t, n, "court", "Hangzhou Internet Court", access.RoleExaminer)
	a := n.upload(firmTok, []byte("exhibit a\n"))
	b := n.upload(otherTok, []byte("exhibit b\n"))
	for tok, id := range map[string]string{firmTok: a.ID, otherTok: b.ID} {
		if status, _, body := n.call("POST", "/api/v1/shares", tok, jsonBody(map[string]string{"evidence": id, "org": office}), "Content-Type", "application/json"); status != 201 {
			t.Fatalf("sharing %s with the notary office = %d %s", id, status, body)
		}
	}
	dir := t.TempDir()
	// issue runs `custos certificate issue` as the notary and returns the
	// record it prints, the PDF's text (whitespace removed: pdftotext wraps
	// lines) and the record's JSON.
	issue := func(t *testing.T, args ...string) (certificates.Certificate, string, string) {
		t.Helper()
		args = append([]string{"certificate", "issue"}, append(args, "--server", n.URL)...)
		out, err := runCustosEnv(t, []string{"CUSTOS_TOKEN=" + notaryTok}, args...)
		if err != nil {
			t.Fatalf("custos %s: %v", strings.Join(args, " "), err)
		}
		var cert certificates.Certificate
		mustJSON(t, []byte(out), &cert)
		status, _, signed := n.call("GET", "/api/v1/certificates/"+cert.ID+".pdf", notaryTok, nil)
		if status != 200 {
			t.Fatalf("GET the PDF = %d", status)
		}
		text := pdfText(t, writeFile(t, dir, cert.ID+".pdf", signed))
		return cert, strings.Join(strings.Fields(text), ""), out
	}

	t.Run("the owner by default", func(t *testing.T) {
		cert, text, _ := issue(t, "--evidence", a.ID)
		want := certificates.Applicant{Kind: certificates.ApplicantOrg, Org: firm, Name: "Zhong Lun Law Firm"}
		if cert.Applicant == nil || *cert.Applicant != want || cert.Org != office {
			t.Errorf("applicant = %+v, issuer %s; want %+v, issued by %s", cert.Applicant, cert.Org, want, office)
		}
		for _, s := range []string{"申请人：ZhongLunLawFirm", "申请人ZhongLunLawFirm于", "ZhongLunLawFirm：共享shared（QiantangNotaryOffice）"} {
			if !strings.Contains(text, s) {
				t.Errorf("the PDF does not say %q:\n%s", s, text)
			}
		}
		if strings.Contains(text, "申请人：QiantangNotaryOffice") || strings.Contains(text, "申请人QiantangNotaryOffice") {
			t.Errorf("the PDF names the notary's organization, not the applicant:\n%s", text)
		}
	})

	t.Run("a natural person", func(t *testing.T) {
		cert, text, record := issue(t, "--evidence", a.ID, "--applicant-name", "张三", "--applicant-id", "11010519491231002x")
		want := certificates.Applicant{Kind: certificates.ApplicantPerson, Name: "张三", IDType: certificates.IDResident, IDNumberMasked: "1101**********002X"}
		if cert.Applicant == nil || *cert.Applicant != want {
			t.Errorf("applicant = %+v, want %+v", cert.Applicant, want)
		}
		for _, s := range []string{"申请人：张三", "居民身份证ResidentID1101**********002X", "申请人张三于"} {
			if !strings.Contains(text, s) {
				t.Errorf("the PDF does not say %q:\n%s", s, text)
			}
		}
		for what, s := range map[string]string{"PDF": text, "record": record} {
			if strings.Contains(strings.ToUpper(s), "11010519491231002X") {
				t.Errorf("the %s holds the full identity number", what)
			}
		}
		cert, text, _ = issue(t, "--evidence", a.ID, "--applicant-name", "John Smith", "--applicant-id", "E12345678", "--applicant-id-type", "passport")
		if cert.Applicant == nil || cert.Applicant.IDNumberMasked != "E1*****78" || !strings.Contains(text, "护照PassportE1*****78") {
			t.Errorf("passport applicant = %+v; PDF:\n%s", cert.Applicant, text)
		}
	})

	t.Run("another organization", func(t *testing.T) {
		cert, text, _ := issue(t, "--evidence", a.ID+","+b.ID, "--applicant-org", court)
		if cert.Applicant == nil || cert.Applicant.Org != court || cert.Applicant.Name != "Hangzhou Internet Court" ||
			!strings.Contains(text, "申请人HangzhouInternetCourt于") {
			t.Errorf("applicant = %+v; PDF:\n%s", cert.Applicant, text)
		}
		if !slices.Equal(cert.Readers, []string{office}) {
			t.Errorf("readers = %v; want the issuer only (the items have two owners; naming an applicant grants nothing)", cert.Readers)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		var before certificates.Certificate
		for name, tc := range map[string]struct {
			body  map[string]any
			field string
		}{
			"two owners, no applicant": {map[string]any{"evidence": []string{a.ID, b.ID}}, "applicant"},
			"both org and person": {map[string]any{"evidence": []string{a.ID},
				"applicant": map[string]any{"org": court, "person": map[string]string{"name": "张三", "id_number": "11010519491231002X"}}}, "applicant"},
			"empty applicant": {map[string]any{"evidence": []string{a.ID}, "applicant": map[string]any{}}, "applicant"},
			"unknown org":     {map[string]any{"evidence": []string{a.ID}, "applicant": map[string]any{"org": evidence.NewID()}}, "applicant.org"},
			"bad check digit": {map[string]any{"evidence": []string{a.ID},
				"applicant": map[string]any{"person": map[string]string{"name": "张三", "id_number": "110105194912310021"}}}, "applicant.person.id_number"},
			"unknown id type": {map[string]any{"evidence": []string{a.ID},
				"applicant": map[string]any{"person": map[string]string{"name": "张三", "id_type": "licence", "id_number": "11010519491231002X"}}}, "applicant.person.id_type"},
			"no name": {map[string]any{"evidence": []string{a.ID},
				"applicant": map[string]any{"person": map[string]string{"id_number": "11010519491231002X"}}}, "applicant.person.name"},
		} {
			status, _, body := n.call("POST", "/api/v1/certificates", notaryTok, jsonBody(tc.body), "Content-Type", "application/json")
			if status != 422 || !strings.Contains(string(body), `"field":"`+tc.field+`"`) {
				t.Errorf("%s: POST = %d %s; want 422 naming %s", name, status, body, tc.field)
			}
		}
		status, _, body := n.call("POST", "/api/v1/certificates", notaryTok,
			strings.NewReader(`{"evidence":["`+a.ID+`"],"applicant":{"person":{"name":"张三","id_number":"11010519491231002X","birthday":"1949-12-31"}}}`), "Content-Type", "application/json")
		if status != 422 {
			t.Errorf("unknown applicant field: POST = %d %s, want 422", status, body)
		}
		if _, err := runCustosEnv(t, []string{"CUSTOS_TOKEN=" + notaryTok}, "certificate", "issue", "--evidence", a.ID, "--applicant-name", "张三", "--server", n.URL); exitCode(err) != 2 {
			t.Errorf("custos certificate issue --applicant-name without --applicant-id: %v, want exit 2", err)
		}
		// A refused request reserved no number.
		status, _, body = n.call("GET", "/api/v1/certificates?limit=1", notaryTok, nil)
		var page wire.ListView[certificates.Certificate]
		mustJSON(t, body, &page)
		if status != 200 || len(page.Items) != 1 {
			t.Fatalf("GET /api/v1/certificates = %d %s", status, body)
		}
		before = page.Items[0]
		after, _, _ := issue(t, "--evidence", a.ID)
		if after.Year == before.Year && after.Serial != before.Serial+1 {
			t.Errorf("serial after the refusals = %d, want %d: a refused request spent a number", after.Serial, before.Serial+1)
		}
	})
}

// awaitRecords waits for the evidence records of ids (built behind
// finality) and returns them.
func awaitRecords(t *testing.T, n *proc, ids []string) [][]byte {
	t.Helper()
	var out [][]byte
	for _, id := range ids {
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			status, _, b := n.call("GET", "/api/v1/evidence/"+id+"/evidence-record", n.Token, nil)
			if status == 200 {
				out = append(out, b)
				break
			}
			if status != 404 || time.Now().After(deadline) {
				t.Fatalf("evidence record of %s = %d %s", id, status, b)
			}
		}
	}
	return out
}

// checkDocumentRecords runs `custos evidence-record KIND ID -d DIR` with
// token's key (again while it says some are pending) and checks that it writes the record of every item of ids (in order, the
// bytes of data), each as served by GET /api/v1/evidence/{id}/evidence-record
// and each verifying with `custos verify --evidence-record` against its
// file, and refusing other bytes. It returns the records listed after the
// items' (a certificate's PDF's).
func checkDocumentRecords(t *testing.T, n *proc, token, kind, id string, ids []string, data [][]byte) []documentRecordLine {
	t.Helper()
	dir := t.TempDir()
	var out string
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		var err error
		out, err = runCustos(t, "evidence-record", kind, id, "-d", dir, "--json", "--server", n.URL, "--token", token)
		if err == nil {
			break
		}
		if exitCode(err) != 1 || !strings.Contains(err.Error(), "pending") || time.Now().After(deadline) {
			t.Fatalf("custos evidence-record %s: %v\n%s", kind, err, out)
		}
	}
	var lines []documentRecordLine
	mustJSON(t, []byte(out), &lines)
	if len(lines) < len(ids) {
		t.Fatalf("custos evidence-record %s listed %d records, want %d items:\n%s", kind, len(lines), len(ids), out)
	}
	trust := n.trustFile(t, dir)
	for i, item := range ids {
		l := lines[i]
		if l.Kind != "item" || l.ID != item || l.SHA256 != sha256Hex(data[i]) || l.Status != "ready" || l.File != filepath.Join(dir, item+".ers") {
			t.Errorf("record %d = %+v, want item %s ready in %s", i, l, item, filepath.Join(dir, item+".ers"))
			continue
		}
		got, err := os.ReadFile(l.File)
		_, _, served := n.call("GET", "/api/v1/evidence/"+item+"/evidence-record", token, nil)
		if err != nil || !bytes.Equal(got, served) {
			t.Errorf("%s is not the item's record (%v)", l.File, err)
		}
		_, _, rb := n.call("GET", "/api/v1/evidence/"+item+"/receipt", token, nil)
		rp := writeFile(t, dir, item+".receipt.json", rb)
		fp := writeFile(t, dir, item+".data", data[i])
		if vo, err := runCustos(t, "verify", "--receipt", rp, "--file", fp, "--trust", trust, "--evidence-record", l.File); err != nil || !strings.Contains(vo, "VALID") {
			t.Errorf("custos verify --evidence-record %s: %v\n%s", l.File, err, vo)
		}
		other := writeFile(t, dir, item+".other", append([]byte("x"), data[i]...))
		if vo, err := runCustos(t, "verify", "--receipt", rp, "--file", other, "--trust", trust, "--evidence-record", l.File); exitCode(err) != 1 {
			t.Errorf("custos verify --evidence-record %s with other bytes: exit %d\n%s", l.File, exitCode(err), vo)
		}
	}
	return lines[len(ids):]
}

// documentRecordLine is a line of `custos evidence-record copyright|certificate --json`.
type documentRecordLine struct{ Kind, ID, SHA256, Status, File string }
