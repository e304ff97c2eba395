package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/certificates"
	"github.com/custos-project/custos/internal/testenv"
	"github.com/custos-project/custos/notary/pdf"
	"github.com/custos-project/custos/receipt"
)

// TestVerifyPageCertificate opens a notarial certificate's verification
// link (/verify?document=TOKEN, what its QR code holds) in headless
// Chromium with the real WebAssembly verifier: the page shows the
// certificate, verifies every embedded receipt against the trust bundle it
// names (this server's, then the court's own copy, which wins and makes
// the page check again), refuses a receipt that is not its row's item, and
// tells the PDF as issued from a changed copy by its SHA-256. A link by ID
// opens nothing.
func TestVerifyPageCertificate(t *testing.T) {
	chromium := testenv.LookBinary(t, "chromium")
	n := startNodeWith(t, webNodeBinary(t))
	meta, _ := json.Marshal(map[string]string{"title": "庭审笔录 <第一页> & 附件"})
	v := n.upload(n.Token, []byte("Minutes of the hearing.\n"), "Content-Type", "text/plain; charset=utf-8", "Custos-Metadata", string(meta))
	status, _, body := n.call("POST", "/api/v1/certificates", n.Token, jsonBody(map[string]any{"evidence": []string{v.ID}}), "Content-Type", "application/json")
	if status != http.StatusCreated {
		t.Fatalf("POST /api/v1/certificates = %d %s", status, body)
	}
	var cert certificates.Certificate
	mustJSON(t, body, &cert)
	_, _, signed := n.call("GET", "/api/v1/certificates/"+cert.ID+".pdf", n.Token, nil)
	_, _, trust := n.call("GET", "/api/v1/trust", "", nil)
	dir := t.TempDir()
	good := writeFile(t, dir, "certificate.pdf", signed)
	changed := writeFile(t, dir, "certificate-changed.pdf", append(signed, '\n'))
	courtTrust := writeFile(t, dir, "court-trust.json", trust)
	otherTrust := writeFile(t, dir, "other-trust.json", []byte(strings.Replace(string(trust), `"chain_id":"`, `"chain_id":"custos-other-`, 1)))
	ctx := newBrowser(t, chromium)
	shots := artifactDir(t)
	docState := `(() => { const s = document.getElementById('document').dataset.state; return s === 'valid' || s === 'invalid' || s === 'error' ? s : ''; })()`
	// trustUsed waits for the items to be checked against the bundle
	// with this SHA-256, and returns the page's verdict and the source.
	trustUsed := func(sha string) string {
		t.Helper()
		return waitJS(t, ctx, fmt.Sprintf(`(() => { const e = document.getElementById('doc-trust'); const s = document.getElementById('document').dataset.state;
			return e.dataset.sha256 === %q && (s === 'valid' || s === 'invalid') ? s + '|' + e.dataset.state : ''; })()`, sha))
	}

	openPage(t, ctx, n.URL+"/verify?lang=en&document="+cert.VerifyToken, true)
	if got := waitJS(t, ctx, docState); got != "valid" {
		t.Fatalf("document state = %q, want valid:\n%s", got, evalString(t, ctx, `document.getElementById('document').innerText`))
	}
	if got := trustUsed(sha256Hex(trust)); got != "valid|server" {
		t.Errorf("with the server's bundle: %q, want valid|server", got)
	}
	text := evalString(t, ctx, `document.getElementById('document').innerText`)
	for _, want := range []string{"Notarial certificate", cert.Number, cert.Office, cert.Notary, cert.PDFSHA256, v.ID, "Valid", "/api/v1/trust", sha256Hex(trust)} {
		if !strings.Contains(text, want) {
			t.Errorf("the certificate section lacks %q:\n%s", want, text)
		}
	}
	if got := evalString(t, ctx, `[...document.querySelectorAll('#doc-items tbody td[data-ok]')].map(td => td.dataset.ok).join(',')`); got != "true" {
		t.Errorf("items verified = %q, want true", got)
	}

	// The court's own bundle wins: the receipts are checked again against
	// it, and the page names it. Another consortium's bundle fails them.
	otherBytes, _ := os.ReadFile(otherTrust)
	setFiles(t, ctx, "trust-file", otherTrust)
	if got := trustUsed(sha256Hex(otherBytes)); got != "invalid|file" {
		t.Errorf("with another consortium's bundle: %q, want invalid|file", got)
	}
	if got := evalString(t, ctx, `document.getElementById('doc-trust').textContent`); !strings.Contains(got, "other-trust.json") {
		t.Errorf("the page does not name the court's bundle: %q", got)
	}
	setFiles(t, ctx, "trust-file", courtTrust)
	if got := trustUsed(sha256Hex(trust)); got != "valid|file" {
		t.Errorf("with the court's copy: %q, want valid|file", got)
	}

	for _, c := range []struct{ file, want string }{{good, "match"}, {changed, "mismatch"}} { // the changed copy last
		file, want := c.file, c.want
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

	for link, want := range map[string]string{
		"document=" + evidence.NewID(): "issued no document",
		"document=" + cert.ID:          "issued no document", // the ID is not the token
		"certificate=" + cert.ID:       "by its ID",
	} {
		openPage(t, ctx, n.URL+"/verify?lang=en&"+link, true)
		if got := waitJS(t, ctx, `document.getElementById('document').dataset.state === 'error' ? document.getElementById('doc-status').textContent : ''`); !strings.Contains(got, want) {
			t.Errorf("?%s says %q, want %q", link, got, want)
		}
	}

	// A view whose receipt is another item's (a lying node, or a mix-up)
	// fails that row even though the receipt itself verifies.
	lie := `(() => { const f = window.fetch; window.fetch = async (u, o) => { const r = await f(u, o);
		if (!String(u).startsWith('/api/v1/verify/')) return r;
		const d = await r.json(); d.items[0].sha256 = '00'.repeat(32);
		return new Response(JSON.stringify(d), { status: r.status, headers: { 'Content-Type': 'application/json' } }); }; })();`
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: lie}); err != nil {
		t.Fatal(err)
	}
	openPage(t, ctx, n.URL+"/verify?lang=en&document="+cert.VerifyToken, true)
	if got := waitJS(t, ctx, docState); got != "invalid" {
		t.Errorf("a receipt of another item: document state = %q, want invalid", got)
	}
	if got := evalString(t, ctx, `document.querySelector('#doc-items tbody td[data-ok]').textContent`); !strings.Contains(got, "not the receipt of this item") {
		t.Errorf("the row says %q", got)
	}
}

// TestVerifyPageDocumentReceiptBytes: the page verifies each receipt of a
// document on its exact bytes in the view, as `custos verify --pdf`
// verifies the exact bytes the PDF attaches, and gives the same verdict on
// a receipt that is not canonical. The view of a real certificate is
// changed in the browser (a lying node) to carry the receipt with a
// duplicate member, respaced or re-escaped, all of which JSON.parse reads
// as the canonical receipt; the command line's check of a PDF attaching
// the same bytes (`custos verify --pdf --json`) refuses them at step format, and so
// must the page. A byte-order mark makes the view unreadable: the page
// says it could not fetch the document, not that it is valid.
func TestVerifyPageDocumentReceiptBytes(t *testing.T) {
	chromium := testenv.LookBinary(t, "chromium")
	n := startNodeWith(t, webNodeBinary(t))
	v := n.upload(n.Token, []byte("Minutes of the hearing.\n"), "Content-Type", "text/plain; charset=utf-8")
	status, _, body := n.call("POST", "/api/v1/certificates", n.Token, jsonBody(map[string]any{"evidence": []string{v.ID}}), "Content-Type", "application/json")
	if status != http.StatusCreated {
		t.Fatalf("POST /api/v1/certificates = %d %s", status, body)
	}
	var cert certificates.Certificate
	mustJSON(t, body, &cert)
	_, _, view := n.call("GET", "/api/v1/verify/"+cert.VerifyToken, "", nil)
	var doc wire.DocumentCheck
	mustJSON(t, view, &doc)
	if len(doc.Items) != 1 {
		t.Fatalf("the view has %d items, want 1", len(doc.Items))
	}
	canonical := string(doc.Items[0].Receipt)
	_, _, trustJSON := n.call("GET", "/api/v1/trust", "", nil)
	if _, err := receipt.ParseTrust(trustJSON); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name, receipt string
		cli           string // custos verify --pdf: "valid" or the failing step
		page          string // the document section's state
	}{
		{"canonical", canonical, "valid", "valid"},
		{"duplicate", strings.Replace(canonical, "{", `{"version":0,`, 1), receipt.StepFormat, "invalid"},
		{"spacing", strings.Replace(canonical, "{", "{ ", 1), receipt.StepFormat, "invalid"},
		{"escape", strings.Replace(canonical, `"version"`, `"\u0076ersion"`, 1), receipt.StepFormat, "invalid"},
		{"bom", "\ufeff" + canonical, receipt.StepFormat, "error"},
	}
	swaps := map[string][2]string{}
	for _, c := range cases {
		atts := []pdf.Attachment{{Name: "receipt-" + v.ID + ".json", Data: []byte(c.receipt), MIME: "application/json"}}
		rs := pdfReceiptsOf(t, newPDFFixtureWith(t, atts), trustJSON)
		if len(rs) != 1 {
			t.Fatalf("%s: custos verify --pdf --json: receipts %+v", c.name, rs)
		}
		cli := rs[0].Step
		if rs[0].Valid {
			cli = "valid"
		}
		if cli != c.cli {
			t.Errorf("%s: custos verify --pdf: %q (%s), want %q", c.name, cli, rs[0].Error, c.cli)
		}
		swaps[c.name] = [2]string{canonical, c.receipt}
	}
	swapJSON, _ := json.Marshal(swaps)
	// The node's view, with the receipt's bytes swapped for the case's
	// (?case=NAME), in the response's text.
	lie := `(() => { const swaps = ` + string(swapJSON) + `; const f = window.fetch;
		window.fetch = async (u, o) => { const r = await f(u, o);
			const s = swaps[new URLSearchParams(location.search).get('case')];
			if (!String(u).startsWith('/api/v1/verify/') || !s) return r;
			const text = await r.text();
			if (!text.includes(s[0])) throw new Error('the receipt is not in the view');
			return new Response(text.replace(s[0], () => s[1]), { status: r.status, headers: { 'Content-Type': 'application/json' } }); }; })();`
	ctx := newBrowser(t, chromium)
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: lie}); err != nil {
		t.Fatal(err)
	}
	docState := `(() => { const s = document.getElementById('document').dataset.state; return s === 'valid' || s === 'invalid' || s === 'error' ? s : ''; })()`
	for _, c := range cases {
		openPage(t, ctx, n.URL+"/verify?lang=en&case="+c.name+"&document="+cert.VerifyToken, true)
		got := waitJS(t, ctx, docState)
		text := evalString(t, ctx, `document.getElementById('document').innerText`)
		if got != c.page {
			t.Errorf("%s: the page says %q, want %q:\n%s", c.name, got, c.page, text)
			continue
		}
		if c.page == "invalid" && !strings.Contains(text, "step: "+receipt.StepFormat) {
			t.Errorf("%s: the page does not name step %s:\n%s", c.name, receipt.StepFormat, text)
		}
	}
	// What the document's section does not check, it says, in both
	// languages (the form below it checks a chosen PDF).
	for lang, want := range map[string]string{"en": "does not check the PDF's signature", "zh": "本栏不核验 PDF 的签名"} {
		chooseLanguage(t, ctx, lang)
		if got := evalString(t, ctx, `document.getElementById('doc-scope').textContent`); !strings.Contains(got, want) {
			t.Errorf("in %s, the page says %q, want %q", lang, got, want)
		}
	}
}

// TestVerifyPageConsoleReceiptBytes: the console's in-page verification
// (the verifier of /verify) judges the receipt's bytes as served, as
// custos verify judges the file: a receipt served with a byte-order mark
// (changed in the browser) fails at step format. A text decoding dropped
// the mark, and the console said valid.
func TestVerifyPageConsoleReceiptBytes(t *testing.T) {
	chromium := testenv.LookBinary(t, "chromium")
	n := startNodeWith(t, webNodeBinary(t))
	v := n.upload(n.Token, []byte("Minutes of the hearing.\n"), "Content-Type", "text/plain; charset=utf-8")
	if status, _, body := n.call("GET", "/api/v1/evidence/"+v.ID+"/receipt?wait=20s", n.Token, nil); status != http.StatusOK {
		t.Fatalf("GET receipt = %d %s", status, body)
	}
	ctx := newBrowser(t, chromium)
	if err := chromedp.Do(ctx, chromedp.Navigate(n.URL+"/console?lang=en")); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.body.dataset.ready ? 'ok' : ''`)
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("key"), n.Token), chromedp.Click(chromedp.ID("signin-btn"))); err != nil {
		t.Fatal(err)
	}
	open := fmt.Sprintf(`#ev-table tr[data-id=%q] [data-act="open"]`, v.ID)
	waitJS(t, ctx, fmt.Sprintf(`document.querySelector(%q) ? 'ok' : ''`, open))
	evalString(t, ctx, `(() => { const f = window.fetch; window.fetch = async (u, o) => { const r = await f(u, o);
		if (!/\/receipt(\?|$)/.test(String(u)) || r.status !== 200) return r;
		const b = new Uint8Array(await r.arrayBuffer());
		return new Response(new Blob([new Uint8Array([0xef, 0xbb, 0xbf]), b]), { status: 200, headers: { 'Content-Type': 'application/json' } }); }; return ''; })()`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(open))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, fmt.Sprintf(`document.getElementById('item-facts').innerText.includes(%q) ? 'ok' : ''`, sha256Hex([]byte("Minutes of the hearing.\n"))))
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("item-verify"))); err != nil {
		t.Fatal(err)
	}
	verdict := waitJS(t, ctx, `(b => b.hidden ? '' : b.dataset.state + '|' + b.innerText)(document.getElementById('item-verdict'))`)
	if !strings.HasPrefix(verdict, "invalid|") || !strings.Contains(evalString(t, ctx, `[...document.querySelectorAll('#item-steps li')].map(l => l.dataset.step + '=' + l.dataset.ok).join(' ')`), "format=false") {
		t.Errorf("a receipt served with a byte-order mark: the console says %q, want invalid at step format", verdict)
	}
}
