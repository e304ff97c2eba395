package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/api"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/receipt"
	"github.com/custos-project/custos/notary/pdf"
)

// TestCertificateEndToEnd issues a notarial certificate on the embedded
// default as its admin and checks the PDF the way a court would: pdfsig
// (poppler, NSS) and our own verifier accept the signature and refuse a
// changed byte; the receipts extracted with pdfdetach verify with
// `custos verify`; pdftotext finds the Chinese text; the items' custody
// chains carry an anchored "certified" event; and the public verification
// view answers without a token.
func TestCertificateEndToEnd(t *testing.T) {
	n := startNode(t, t.TempDir(), "org = \"杭州市互联网公证处\"\n[notary]\nabbrev = \"浙杭\"\nname = \"张三\"\n")
	dir := t.TempDir()
	data := [][]byte{[]byte("直播录像的截图，第一页。\n"), []byte("Chat log of the seller, 2026-03-01.\n")}
	titles := []string{"直播间截图 Live-stream screenshot", "卖家聊天记录"}
	var items []api.EvidenceView
	for i := range data {
		meta, _ := json.Marshal(map[string]string{"title": titles[i]})
		items = append(items, n.upload(n.Token, data[i], "Content-Type", "text/plain; charset=utf-8", "Custos-Metadata", string(meta)))
	}
	ids := []string{items[0].ID, items[1].ID}

	status, h, body := n.call("POST", "/api/v1/certificates", n.Token, jsonBody(map[string]any{"evidence": ids}), "Content-Type", "application/json")
	if status != http.StatusCreated {
		t.Fatalf("POST /api/v1/certificates = %d %s", status, body)
	}
	var cert evidence.Certificate
	mustJSON(t, body, &cert)
	if h.Get("Location") != "/api/v1/certificates/"+cert.ID || !strings.HasSuffix(cert.Number, "浙杭证字第 1 号") || cert.Notary != "张三" ||
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
	_, _, rootPEM := n.call("GET", "/api/v1/trust/root.pem", "", nil)
	db := pdfsigDB(t, dir, rootPEM)
	roots := rootPool(t, rootPEM)

	t.Run("pdfsig and pdf.Verify accept it", func(t *testing.T) {
		out := checkPdfsig(t, db, file, true)
		t.Logf("pdfsig:\n%s", out)
		if !strings.Contains(out, "Signer Certificate Common Name: 张三") {
			t.Errorf("pdfsig names another signer:\n%s", out)
		}
		sig, err := pdf.Verify(signed, roots)
		if err != nil {
			t.Fatalf("pdf.Verify = %v", err)
		}
		changed := tamperSigned(t, signed, sig)
		checkPdfsig(t, db, writeFile(t, dir, "tampered.pdf", changed), false)
		if _, err := pdf.Verify(changed, roots); err == nil {
			t.Errorf("pdf.Verify accepts the PDF with a byte changed")
		}
	})

	t.Run("embedded receipts verify offline", func(t *testing.T) {
		out := detachAll(t, file)
		trust := n.trustFile(t, dir)
		for i, id := range ids {
			rp := filepath.Join(out, "receipt-"+id+".json")
			fp := writeFile(t, dir, id+".txt", data[i])
			if out, err := runCustos(t, "verify", "--receipt", rp, "--file", fp, "--trust", trust); err != nil || !strings.Contains(out, "VALID") {
				t.Errorf("custos verify of the receipt of %s from the PDF: %v\n%s", id, err, out)
			}
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
		var cv api.CustodyView
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
		var dc api.DocumentCheck
		mustJSON(t, body, &dc)
		if status != 200 || dc.Number != cert.Number || dc.PDFSHA256 != cert.PDFSHA256 || dc.Kind != "certificate" || len(dc.Items) != 2 {
			t.Fatalf("verification = %d %+v", status, dc)
		}
		out := detachAll(t, file)
		for i, it := range dc.Items {
			embedded, _ := os.ReadFile(filepath.Join(out, "receipt-"+ids[i]+".json"))
			if it.ID != ids[i] || it.SHA256 != items[i].SHA256 || !bytes.Equal(it.Receipt, embedded) {
				t.Errorf("item %d = %s %s; want %s with the embedded receipt", i, it.ID, it.SHA256, ids[i])
			}
		}
	})

	t.Run("refusals", func(t *testing.T) {
		for name, in := range map[string]any{
			"both":      map[string]any{"evidence": ids, "matter": ids[0]},
			"neither":   map[string]any{},
			"duplicate": map[string]any{"evidence": []string{ids[0], ids[0]}},
		} {
			if status, _, b := n.call("POST", "/api/v1/certificates", n.Token, jsonBody(in), "Content-Type", "application/json"); status != 422 {
				t.Errorf("%s: POST = %d %s, want 422", name, status, b)
			}
		}
		if status, _, b := n.call("POST", "/api/v1/certificates", n.Token, jsonBody(map[string]any{"evidence": []string{evidence.NewID()}}), "Content-Type", "application/json"); status != 404 {
			t.Errorf("unknown item: POST = %d %s, want 404", status, b)
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
