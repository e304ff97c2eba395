package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/internal/testenv"
)

// TestVerifyPageCertificate opens a notarial certificate's verification
// link (/verify?certificate=ID, what its QR code holds) in headless
// Chromium with the real WebAssembly verifier: the page shows the
// certificate, verifies every embedded receipt against the trust bundle,
// and tells the PDF as issued from a changed copy by its SHA-256.
func TestVerifyPageCertificate(t *testing.T) {
	chromium := testenv.LookBinary(t, "chromium")
	n := startNodeWith(t, webNodeBinary(t))
	meta, _ := json.Marshal(map[string]string{"title": "庭审笔录 <第一页> & 附件"})
	v := n.upload(n.Token, []byte("Minutes of the hearing.\n"), "Content-Type", "text/plain; charset=utf-8", "Custos-Metadata", string(meta))
	status, _, body := n.call("POST", "/api/v1/certificates", n.Token, jsonBody(map[string]any{"evidence": []string{v.ID}}), "Content-Type", "application/json")
	if status != http.StatusCreated {
		t.Fatalf("POST /api/v1/certificates = %d %s", status, body)
	}
	var cert evidence.Certificate
	mustJSON(t, body, &cert)
	_, _, signed := n.call("GET", "/api/v1/certificates/"+cert.ID+".pdf", n.Token, nil)
	dir := t.TempDir()
	good := writeFile(t, dir, "certificate.pdf", signed)
	changed := writeFile(t, dir, "certificate-changed.pdf", append(signed, '\n'))
	ctx := newBrowser(t, chromium)
	shots := artifactDir(t)

	openPage(t, ctx, n.URL+"/verify?lang=en&certificate="+cert.ID, true)
	if got := waitJS(t, ctx, `(() => { const s = document.getElementById('document').dataset.state; return s === 'valid' || s === 'invalid' || s === 'error' ? s : ''; })()`); got != "valid" {
		t.Fatalf("document state = %q, want valid:\n%s", got, evalString(t, ctx, `document.getElementById('document').innerText`))
	}
	text := evalString(t, ctx, `document.getElementById('document').innerText`)
	for _, want := range []string{"Notarial certificate", cert.Number, cert.Office, cert.Notary, cert.PDFSHA256, v.ID, "Valid"} {
		if !strings.Contains(text, want) {
			t.Errorf("the certificate section lacks %q:\n%s", want, text)
		}
	}
	if got := evalString(t, ctx, `[...document.querySelectorAll('#doc-items tbody td[data-ok]')].map(td => td.dataset.ok).join(',')`); got != "true" {
		t.Errorf("items verified = %q, want true", got)
	}

	for file, want := range map[string]string{good: "match", changed: "mismatch"} {
		setFiles(t, ctx, "doc-pdf", file)
		got := waitJS(t, ctx, `(() => { const s = document.getElementById('doc-pdf-info').dataset.state; return s === 'match' || s === 'mismatch' ? s : ''; })()`)
		if got != want {
			t.Errorf("comparing %s: %q, want %q", file, got, want)
		}
	}
	chooseLanguage(t, ctx, "zh")
	if h := evalString(t, ctx, `document.getElementById('h-document').textContent + '|' + document.getElementById('doc-pdf-info').textContent`); !strings.HasPrefix(h, "公证书|✘") {
		t.Errorf("in Chinese: %q", h)
	}
	saveScreenshot(t, ctx, shots, "verify-certificate-zh.png")

	openPage(t, ctx, n.URL+"/verify?lang=en&certificate="+evidence.NewID(), true)
	if got := waitJS(t, ctx, `document.getElementById('document').dataset.state === 'error' ? document.getElementById('doc-status').textContent : ''`); !strings.Contains(got, "issued no document") {
		t.Errorf("an unknown certificate says %q", got)
	}
}
