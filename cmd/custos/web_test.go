package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/emmansun/gmsm/sm3"

	"github.com/custos-project/custos/internal/testenv"
	"github.com/custos-project/custos/notary/pdf/pdftest"
	"github.com/custos-project/custos/receipt"
)

// TestVerifyPage runs the court verification page (/verify) in headless
// Chromium against a real node, with the real WebAssembly verifier built
// from ./web/wasm.
func TestVerifyPage(t *testing.T) {
	chromium := testenv.LookBinary(t, "chromium")
	n := startNodeWith(t, webNodeBinary(t))
	fx := newWebFixture(t, n)
	ctx := newBrowser(t, chromium)
	shots := artifactDir(t)

	t.Run("valid", func(t *testing.T) {
		openPage(t, ctx, n.URL+"/verify?lang=en", true)
		got := verifyInPage(t, ctx, fx.receipt, fx.good)
		if got != "valid|" {
			t.Fatalf("verification of the good file = %q, want valid", got)
		}
		wantSteps := "format=pass digest=pass custody=pass completeness=pass timestamp=pass inclusion=pass checkpoint=pass"
		if r, err := receipt.Parse(fx.receiptBytes); err == nil && r.Version == receipt.Version5 {
			wantSteps += " evidence-record=pass" // the record was built before the receipt was fetched
		}
		if steps := pageSteps(t, ctx); steps != wantSteps {
			t.Errorf("steps = %q, want all passed: %q", steps, wantSteps)
		}
		signers := evalString(t, ctx, `[...document.querySelectorAll('#signers tbody tr')].map(r => r.dataset.signed + ':' + r.cells[0].textContent + ':' + r.cells[2].textContent).join('|')`)
		want := fmt.Sprintf("true:%s:%d", fx.trust.Validators[0].Name, fx.trust.Validators[0].Power)
		if signers != want {
			t.Errorf("signers table = %q, want %q", signers, want)
		}
		timeline := evalString(t, ctx, `[...document.querySelectorAll('#timeline tbody tr')].map(r => r.dataset.type + '@' + r.cells[3].textContent).join(' ')`)
		if !strings.HasPrefix(timeline, "created@") || !strings.Contains(timeline, " UTC") {
			t.Errorf("timeline = %q, want the created event first, with UTC times", timeline)
		}
		if text := evalString(t, ctx, `document.getElementById('steps').innerText`); !strings.Contains(text, fx.trust.Validators[0].Name) {
			t.Errorf("the checkpoint step does not name the signer:\n%s", text)
		}
		// The page's node confirms the receipt against its own chain.
		if got := waitJS(t, ctx, `(() => { const p = document.getElementById('node-confirm');
			return p.hidden || p.dataset.state === 'checking' ? '' : p.dataset.state + '|' + p.textContent; })()`); !strings.HasPrefix(got, "confirmed|Confirmed by this page's node") {
			t.Errorf("node confirmation = %q, want confirmed", got)
		}
		saveScreenshot(t, ctx, shots, "verify-valid.png")
		checkOnePagePDF(t, ctx, shots, "verify-valid-report.pdf")
	})

	t.Run("warmed up", func(t *testing.T) {
		openPage(t, ctx, n.URL+"/verify?lang=en", true)
		// While the page is idle it verifies the verifier's built-in
		// receipt (custosWarmUp), so that the court's verification runs
		// on compiled code; a verifier rejecting it would be "failed".
		warm := waitJS(t, ctx, `(() => { const w = document.getElementById('verifier-status').dataset.warm || '';
			return w === 'waiting' ? '' : w || 'unset'; })()`)
		if warm != "done" {
			t.Fatalf("warm-up = %q, want done (verifier: %s)", warm, evalString(t, ctx, `document.getElementById('verifier-status').textContent`))
		}
		// The trust bundle is prepared (custosPrepare) once both it and
		// the verifier are there, before or after the warm-up.
		marks := evalString(t, ctx, `performance.getEntriesByType('mark').map(m => m.name).filter(n => n !== 'custos:prepared').join(' ')`)
		if marks != "custos:compiled custos:started custos:warm" {
			t.Errorf("performance marks = %q, want custos:compiled, custos:started, custos:warm in order", marks)
		}
		if n := evalString(t, ctx, `String(performance.getEntriesByName('custos:prepared').length)`); n != "1" {
			t.Errorf("custos:prepared marks = %s, want 1 (the trust bundle prepared once)", n)
		}
		if got := verifyInPage(t, ctx, fx.receipt, fx.good); got != "valid|" {
			t.Fatalf("verification after the warm-up = %q, want valid", got)
		}
	})

	t.Run("evidence record", func(t *testing.T) {
		// Once the item's RFC 4998 record exists its receipt embeds it
		// (version 5); the page shows the step, and a changed record is
		// invalid at that step.
		v5 := awaitReceiptV5(t, n, fx.view.ID)
		dir := t.TempDir()
		openPage(t, ctx, n.URL+"/verify?lang=en", true)
		if got := verifyInPage(t, ctx, writeFile(t, dir, "v5.json", v5), fx.good); got != "valid|" {
			t.Fatalf("verification of a version-5 receipt = %q, want valid", got)
		}
		if steps := pageSteps(t, ctx); !strings.HasSuffix(steps, "checkpoint=pass evidence-record=pass") {
			t.Errorf("steps = %q, want the evidence record passed last", steps)
		}
		r, err := receipt.Parse(v5)
		if err != nil {
			t.Fatal(err)
		}
		der := bytes.Clone(r.RecordDER())
		der[len(der)-40] ^= 1 // inside the time-stamp's signature
		bad, err := r.WithRecord(der)
		if err != nil {
			t.Fatal(err)
		}
		bb, err := bad.Encode()
		if err != nil {
			t.Fatal(err)
		}
		openPage(t, ctx, n.URL+"/verify?lang=zh", true)
		if got := verifyInPage(t, ctx, writeFile(t, dir, "v5-bad.json", bb), fx.good); got != "invalid|evidence-record" {
			t.Fatalf("verification of a receipt with a changed evidence record = %q, want invalid|evidence-record", got)
		}
		if v := evalString(t, ctx, `document.getElementById('verdict').innerText`); !strings.Contains(v, "证据记录") {
			t.Errorf("the verdict does not name the evidence record step: %q", v)
		}
	})

	t.Run("tampered file", func(t *testing.T) {
		openPage(t, ctx, n.URL+"/verify?lang=en", true)
		if got := verifyInPage(t, ctx, fx.receipt, fx.tampered); got != "invalid|digest" {
			t.Fatalf("verification of a tampered file = %q, want invalid|digest", got)
		}
		if steps := pageSteps(t, ctx); !strings.HasPrefix(steps, "format=pass digest=fail custody=notrun") {
			t.Errorf("steps = %q", steps)
		}
		detail := evalString(t, ctx, `document.querySelector('#verdict details').textContent`)
		if !strings.Contains(detail, fx.view.SHA256) {
			t.Errorf("the technical detail does not show the expected digest %s:\n%s", fx.view.SHA256, detail)
		}
		saveScreenshot(t, ctx, shots, "verify-tampered-file.png")
	})

	t.Run("receipt file with a byte-order mark", func(t *testing.T) {
		// custos verify refuses these bytes at step format; the page must
		// check the same bytes, not the text a decoding leaves (which drops
		// the mark), and reach the same verdict.
		openPage(t, ctx, n.URL+"/verify?lang=en", true)
		bom := writeFile(t, t.TempDir(), "bom.json", append([]byte("\ufeff"), fx.receiptBytes...))
		if got := verifyInPage(t, ctx, bom, fx.good); got != "invalid|format" {
			t.Fatalf("verification of the receipt after a byte-order mark = %q, want invalid|format", got)
		}
		// The technical detail says which receipts the verifier reads, in
		// the page's language (it said "version 1 or 2", in English only).
		for lang, want := range map[string]string{"en": "a canonical receipt, version 1 to 5", "zh": "规范的回执文档，版本 1 至 5"} {
			openPage(t, ctx, n.URL+"/verify?lang="+lang, true)
			if got := verifyInPage(t, ctx, bom, fx.good); got != "invalid|format" {
				t.Fatalf("verification (%s) of the receipt after a byte-order mark = %q, want invalid|format", lang, got)
			}
			if detail := evalString(t, ctx, `document.querySelector('#verdict details').textContent`); !strings.Contains(detail, want) {
				t.Errorf("the technical detail (%s) does not say %q:\n%s", lang, want, detail)
			}
		}
	})

	t.Run("trust bundle with a byte-order mark", func(t *testing.T) {
		// custos verify --trust finds a bundle after a byte-order mark
		// unusable (exit 2); the page must give the verifier the file's
		// bytes, not the text a decoding leaves (which drops the mark and
		// would verify), and say it could not verify.
		openPage(t, ctx, n.URL+"/verify?lang=en", true)
		bom := writeFile(t, t.TempDir(), "trust-bom.json", append([]byte("\ufeff"), fx.trustBytes...))
		setFiles(t, ctx, "trust-file", bom)
		waitJS(t, ctx, `document.getElementById('trust-info').textContent.includes('trust-bom.json') ? 'ok' : ''`)
		if got := verifyInPage(t, ctx, fx.receipt, fx.good); got != "invalid|input" {
			t.Fatalf("verification against a trust bundle after a byte-order mark = %q, want invalid|input", got)
		}
	})

	t.Run("forged checkpoint signature", func(t *testing.T) {
		openPage(t, ctx, n.URL+"/verify?lang=en", true)
		if got := verifyInPage(t, ctx, fx.forged, fx.good); got != "invalid|checkpoint" {
			t.Fatalf("verification of a receipt with a forged signature = %q, want invalid|checkpoint", got)
		}
		if steps := pageSteps(t, ctx); steps != "format=pass digest=pass custody=pass completeness=pass timestamp=pass inclusion=pass checkpoint=fail" {
			t.Errorf("steps = %q", steps)
		}
	})

	t.Run("last event cut off", func(t *testing.T) {
		openPage(t, ctx, n.URL+"/verify?lang=en", true)
		if got := verifyInPage(t, ctx, fx.cut, fx.good); got != "invalid|completeness" {
			t.Fatalf("verification of a receipt with its last event cut off = %q, want invalid|completeness", got)
		}
		if steps := pageSteps(t, ctx); !strings.HasPrefix(steps, "format=pass digest=pass custody=pass completeness=fail") {
			t.Errorf("steps = %q", steps)
		}
	})

	t.Run("another consortium", func(t *testing.T) {
		openPage(t, ctx, n.URL+"/verify?lang=en", true)
		setFiles(t, ctx, "trust-file", fx.otherTrust)
		waitJS(t, ctx, `document.getElementById('trust-info').textContent.includes('custos-other-1') ? 'ok' : ''`)
		if got := verifyInPage(t, ctx, fx.receipt, fx.good); got != "invalid|checkpoint" {
			t.Fatalf("verification against another consortium's trust bundle = %q, want invalid|checkpoint", got)
		}
	})

	t.Run("language switch", func(t *testing.T) {
		openPage(t, ctx, n.URL+"/verify?lang=zh", true)
		if h1 := evalString(t, ctx, `document.querySelector('h1').textContent + '|' + document.documentElement.lang`); h1 != "电子证据核验|zh-CN" {
			t.Errorf("h1|lang with ?lang=zh = %q", h1)
		}
		verifyInPage(t, ctx, fx.receipt, fx.good)
		if v := evalString(t, ctx, `document.getElementById('verdict').innerText`); !strings.Contains(v, "核验通过") {
			t.Errorf("verdict in Chinese = %q", v)
		}
		// The timeline names the events' types in Chinese, none as the API's type.
		types := evalString(t, ctx, `[...document.querySelectorAll('#timeline tbody tr')].map(r => r.cells[1].textContent).join('|')`)
		if !strings.HasPrefix(types, "存证（创建）") || slices.ContainsFunc(strings.Split(types, "|"), func(s string) bool { return strings.ContainsAny(s, "abcdefghijklmnopqrstuvwxyz") }) {
			t.Errorf("the Chinese timeline's event types = %q, want Chinese words", types)
		}
		// The file inputs speak Chinese, not the browser's "Choose File":
		// the input, transparent, lies over the page's own words, and the
		// chosen file's name shows.
		if got := evalString(t, ctx, `['file', 'receipt-file', 'trust-file'].map(id => { const i = document.getElementById(id); return i.parentElement.innerText.replace(/\s+/g, ' ') + '/' + getComputedStyle(i).opacity; }).join('|')`); got != "选择文件 "+filepath.Base(fx.good)+"/0|选择文件 "+filepath.Base(fx.receipt)+"/0|选择文件 未选择文件/0" {
			t.Errorf("the Chinese file pickers read %q", got)
		}
		saveScreenshot(t, ctx, shots, "verify-valid-zh.png")
		chooseLanguage(t, ctx, "en")
		if got := evalString(t, ctx, `document.getElementById('trust-file').parentElement.innerText.replace(/\s+/g, ' ')`); got != "Choose file No file chosen" {
			t.Errorf("the English trust file picker reads %q", got)
		}
		got := evalString(t, ctx, `document.querySelector('h1').textContent + '|' + document.documentElement.lang + '|' + document.getElementById('verdict').innerText`)
		if !strings.HasPrefix(got, "Evidence verification|en|") || !strings.Contains(got, "Verified") {
			t.Errorf("after switching to English: %q", got)
		}
		chooseLanguage(t, ctx, "zh")
		if h1 := evalString(t, ctx, `document.querySelector('h1').textContent`); h1 != "电子证据核验" {
			t.Errorf("after switching back to Chinese, h1 = %q", h1)
		}
	})

	t.Run("failed self-check in Chinese", func(t *testing.T) {
		// A verifier that rejects its built-in receipt is marked failed,
		// and says so in the page's language (it said "self-check: …"
		// under 核验程序无法启动 before).
		openPage(t, ctx, n.URL+"/verify?lang=zh", true)
		if got := evalString(t, ctx, `(() => { if (document.getElementById('verifier-status').dataset.warm !== 'waiting') return 'late';
			globalThis.custosWarmUp = () => JSON.stringify({ valid: false, error: { message: 'boom' } }); return 'ok'; })()`); got != "ok" {
			t.Skipf("the warm-up ran before the test could replace it (%s)", got)
		}
		waitJS(t, ctx, `document.getElementById('verifier-status').dataset.warm === 'failed' ? 'ok' : ''`)
		if got := evalString(t, ctx, `document.getElementById('verifier-status').textContent`); got != "核验程序自检未通过：boom" {
			t.Errorf("a failed self-check in Chinese reads %q, want 核验程序自检未通过：boom", got)
		}
	})

	t.Run("certificate PDF", func(t *testing.T) {
		// A signed 公证书 chosen in place of the receipt is checked, against
		// the court's chosen trust bundle, by the certificate PDF verifier
		// (verifypdf.wasm, custos verify --pdf's code), which the page
		// loads only then; one byte changed inside the signed range is
		// INVALID at step digest.
		f := pdftest.SignedFiles(t, nil, time.Hour)
		dir := t.TempDir()
		changed := bytes.Clone(f.Signed)
		changed[len(changed)/4] ^= 0x01
		good, bad := writeFile(t, dir, "certificate.pdf", f.Signed), writeFile(t, dir, "certificate-changed.pdf", changed)
		openPage(t, ctx, n.URL+"/verify?lang=en", true)
		if got := evalString(t, ctx, `typeof globalThis.custosVerifyPDF`); got != "undefined" {
			t.Errorf("custosVerifyPDF is %s before a PDF was chosen, want undefined (the PDF verifier loaded with the page)", got)
		}
		setFiles(t, ctx, "trust-file", f.Trust)
		waitJS(t, ctx, `document.getElementById('trust-info').textContent.includes('trust.json') ? 'ok' : ''`)
		start := time.Now()
		if got := verifyPDFInPage(t, ctx, good); got != "valid|" {
			t.Fatalf("verification of the signed PDF = %q, want valid (%s)", got, evalString(t, ctx, `document.getElementById('verify-status').textContent`))
		}
		// The first verdict loads the verifier (docs/performance.md).
		t.Logf("first PDF verdict in %v (the PDF verifier fetched, compiled and started)", time.Since(start).Round(time.Millisecond))
		if steps := pageSteps(t, ctx); steps != "signature=pass timestamp=pass chain=pass certification=pass signatures=pass receipt=skip" {
			t.Errorf("steps = %q", steps)
		}
		if facts := evalString(t, ctx, `document.getElementById('pdf-facts').innerText`); !strings.Contains(facts, "张三") || !strings.Contains(facts, "custos.example/verify?document=") {
			t.Errorf("the PDF's facts do not name its signer and verification page:\n%s", facts)
		}
		saveScreenshot(t, ctx, shots, "verify-pdf-valid.png")
		chooseLanguage(t, ctx, "zh")
		if v := evalString(t, ctx, `document.getElementById('verdict').innerText`); !strings.Contains(v, "证书核验通过") {
			t.Errorf("the Chinese verdict of the signed PDF = %q", v)
		}
		start = time.Now()
		if got := verifyPDFInPage(t, ctx, bad); got != "invalid|digest" {
			t.Fatalf("verification of the PDF with a byte changed = %q, want invalid|digest", got)
		}
		t.Logf("second PDF verdict in %v", time.Since(start).Round(time.Millisecond))
		if v := evalString(t, ctx, `document.getElementById('verdict').innerText`); !strings.Contains(v, "文件摘要") || !strings.Contains(v, "原因：") {
			t.Errorf("the Chinese verdict of the changed PDF does not name the step and the reason: %q", v)
		}
		saveScreenshot(t, ctx, shots, "verify-pdf-changed-zh.png")
	})

	// Last: it stops the node.
	t.Run("server stopped", func(t *testing.T) {
		openPage(t, ctx, n.URL+"/verify?lang=en", true)
		n.Stop()
		if _, err := os.Stat(fx.good); err != nil {
			t.Fatal(err)
		}
		if got := verifyInPage(t, ctx, fx.receipt, fx.good); got != "valid|" {
			t.Fatalf("verification with the server stopped = %q, want valid", got)
		}
		// Valid offline; the node, gone, confirms nothing.
		if got := waitJS(t, ctx, `(() => { const p = document.getElementById('node-confirm');
			return p.hidden || p.dataset.state === 'checking' ? '' : p.dataset.state; })()`); got != "unconfirmed" {
			t.Errorf("node confirmation with the server stopped = %q, want unconfirmed", got)
		}
		if got := verifyInPage(t, ctx, fx.receipt, fx.tampered); got != "invalid|digest" {
			t.Fatalf("verification of a tampered file with the server stopped = %q, want invalid|digest", got)
		}
	})
}

// TestVerifyPageUI checks the page's own logic in Chromium with a stand-in
// for the WebAssembly verifier, so that it runs without ./web/wasm: hashing
// in the browser (SHA-256, SM3) against Go's, fetching a receipt by ID with
// a token, the phone layout and the one-page print report.
func TestVerifyPageUI(t *testing.T) {
	chromium := testenv.LookBinary(t, "chromium")
	n := startNode(t, t.TempDir(), "")
	if status, _, _ := n.call("GET", "/verify", "", nil); status != 200 {
		t.Fatalf("GET /verify = %d, want 200", status)
	}
	fx := newWebFixture(t, n)
	ctx := newBrowser(t, chromium)
	shots := artifactDir(t)

	t.Run("hashes match Go's", func(t *testing.T) {
		openPage(t, ctx, n.URL+"/verify?lang=en", false)
		data := randomBytes(t, 1000)
		js, _ := json.Marshal(data) // base64
		got := evalString(t, ctx, fmt.Sprintf(`(() => { const b = Uint8Array.from(atob(%s), c => c.charCodeAt(0)); return CustosHash.sha256Hex(b) + ' ' + CustosHash.sm3Hex(b); })()`, js))
		s := sm3.Sum(data)
		if want := sha256Hex(data) + " " + hex.EncodeToString(s[:]); got != want {
			t.Errorf("CustosHash(1000 random bytes) = %q, want %q", got, want)
		}
	})

	t.Run("file digests reach the verifier", func(t *testing.T) {
		openPage(t, ctx, n.URL+"/verify?lang=en", false)
		injectFakeVerifier(t, ctx)
		// A receipt with an SM3 digest makes the page compute SM3 too.
		s := sm3.Sum(fx.data)
		withSM3 := strings.Replace(string(fx.receiptBytes), `"media_type"`, `"sm3":"`+hex.EncodeToString(s[:])+`","media_type"`, 1)
		if got := verifyInPage(t, ctx, writeFile(t, t.TempDir(), "sm3.json", []byte(withSM3)), fx.good); got != "valid|" {
			t.Fatalf("verification = %q", got)
		}
		call := evalString(t, ctx, `window.fakeCalls.at(-1)`)
		if want := sha256Hex(fx.data) + " " + hex.EncodeToString(s[:]); call != want {
			t.Errorf("custosVerify was given digests %q, want %q", call, want)
		}
	})

	t.Run("fetch by ID with a token", func(t *testing.T) {
		openPage(t, ctx, n.URL+"/verify?lang=en", false)
		injectFakeVerifier(t, ctx)
		if err := chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS("#fetch-box summary")),
			chromedp.SendKeys(chromedp.ID("lookup-q"), fx.view.ID),
			chromedp.Click(chromedp.ID("fetch-btn")),
		); err != nil {
			t.Fatal(err)
		}
		if got := evalString(t, ctx, `document.getElementById('fetch-status').textContent`); !strings.Contains(got, "needs an API token") {
			t.Errorf("fetch without a token says %q", got)
		}
		if err := chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.ID("token"), n.Token),
			chromedp.Click(chromedp.ID("fetch-btn")),
		); err != nil {
			t.Fatal(err)
		}
		waitJS(t, ctx, `document.getElementById('result').dataset.state === 'valid' ? 'ok' : ''`)
		if got := evalString(t, ctx, `document.getElementById('receipt-info').textContent`); !strings.Contains(got, fx.view.ID) {
			t.Errorf("receipt-info = %q", got)
		}
		if got := evalString(t, ctx, `localStorage.length + sessionStorage.length + document.cookie.length`); got != "0" {
			t.Errorf("the page stored something (storage+cookies = %s); the token must stay in memory", got)
		}
	})

	t.Run("phone and print", func(t *testing.T) {
		openPage(t, ctx, n.URL+"/verify?lang=zh", false)
		injectFakeVerifier(t, ctx)
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2))); err != nil {
			t.Fatal(err)
		}
		verifyInPage(t, ctx, fx.receipt, fx.good)
		if w := evalString(t, ctx, `String(document.documentElement.scrollWidth <= window.innerWidth)`); w != "true" {
			t.Errorf("the page scrolls sideways on a phone")
		}
		// Each event's column names come before its values as 标签：值.
		if got := evalString(t, ctx, `getComputedStyle(document.querySelector('#timeline td[data-label]'), '::before').content`); !strings.HasSuffix(strings.Trim(got, `"`), "：") {
			t.Errorf("a Chinese timeline cell on a phone begins with %s, want its label and the full-width colon", got)
		}
		saveScreenshot(t, ctx, shots, "verify-phone-zh.png")
		if err := chromedp.Do(ctx, chromedp.EmulateReset()); err != nil {
			t.Fatal(err)
		}
		checkOnePagePDF(t, ctx, shots, "verify-report-zh.pdf")
	})
}

// webFixture is one anchored evidence item and the files the page is given.
type webFixture struct {
	data            []byte
	view            evidenceView
	receiptBytes    []byte
	trust           receipt.Trust
	good, tampered  string // evidence files
	receipt, forged string // receipt files; forged has a commit signature flipped
	cut             string // a receipt file with its last custody event cut off
	otherTrust      string // a trust bundle of another chain
	trustBytes      []byte // the node's trust bundle, as served
}

type evidenceView struct{ ID, SHA256 string }

func newWebFixture(t *testing.T, n *proc) *webFixture {
	t.Helper()
	dir := t.TempDir()
	fx := &webFixture{data: []byte("Minutes of the hearing, page 1 of 3.\n")}
	v := n.upload(n.Token, fx.data, "Content-Type", "text/plain; charset=utf-8")
	fx.view = evidenceView{v.ID, v.SHA256}
	n.call("GET", "/api/v1/evidence/"+v.ID+"/content", n.Token, nil) // a "downloaded" event
	status, _, rcpt := n.call("GET", "/api/v1/evidence/"+v.ID+"/receipt?wait=20s", n.Token, nil)
	if status != 200 {
		t.Fatalf("receipt = %d %s", status, rcpt)
	}
	// Wait a little for the later events to be anchored too, for a fuller timeline.
	for i := 0; i < 40 && strings.Count(string(rcpt), `"leaf_index"`) < 2; i++ {
		time.Sleep(250 * time.Millisecond)
		_, _, rcpt = n.call("GET", "/api/v1/evidence/"+v.ID+"/receipt", n.Token, nil)
	}
	fx.receiptBytes = rcpt
	_, _, tb := n.call("GET", "/api/v1/trust", "", nil)
	mustJSON(t, tb, &fx.trust)
	fx.trustBytes = tb

	fx.good = writeFile(t, dir, "minutes.txt", fx.data)
	bad := append([]byte(nil), fx.data...)
	bad[0] ^= 0x20
	fx.tampered = writeFile(t, dir, "minutes-altered.txt", bad)
	fx.receipt = writeFile(t, dir, "receipt.json", rcpt)
	fx.forged = writeFile(t, dir, "receipt-forged.json", forgeSignature(t, rcpt))
	fx.cut = writeFile(t, dir, "receipt-cut.json", cutLastEvent(t, rcpt))
	other := strings.Replace(string(tb), `"chain_id":"`+fx.trust.ChainID+`"`, `"chain_id":"custos-other-1"`, 1)
	if other == string(tb) {
		t.Fatalf("no chain_id in the trust bundle: %s", tb)
	}
	fx.otherTrust = writeFile(t, dir, "trust-other.json", []byte(other))
	return fx
}

// cutLastEvent drops the receipt's last custody event, as a party hiding
// it would.
func cutLastEvent(t *testing.T, rcpt []byte) []byte {
	t.Helper()
	r, err := receipt.Parse(rcpt)
	if err != nil || len(r.Events) < 2 {
		t.Fatalf("receipt to cut: %v, %d events", err, len(r.Events))
	}
	r.Events = r.Events[:len(r.Events)-1]
	b, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// forgeSignature flips a bit in the last byte of the receipt's signed
// header: the last commit signature (CommitSig.signature is the last field
// of the last Commit.signatures, itself the last field of SignedHeader).
func forgeSignature(t *testing.T, rcpt []byte) []byte {
	t.Helper()
	m := regexp.MustCompile(`"signed_header":"([A-Za-z0-9+/=]+)"`).FindSubmatch(rcpt)
	if m == nil {
		t.Fatalf("no signed_header in %s", rcpt)
	}
	sh, err := base64.StdEncoding.DecodeString(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	sh[len(sh)-1] ^= 0x01
	return []byte(strings.Replace(string(rcpt), string(m[1]), base64.StdEncoding.EncodeToString(sh), 1))
}

// webNodeBinary builds custos with the browser verifier embedded, once
// for all the tests that use it (beside custosBin, removed by TestMain).
func webNodeBinary(t *testing.T) string {
	t.Helper()
	webBin.Do(func() { webBin.path, webBin.err = buildWebNode() })
	if webBin.err != nil {
		t.Fatal(webBin.err)
	}
	if webBin.path == "" {
		t.Skip("the WebAssembly verifier ./web/wasm is missing")
	}
	return webBin.path
}

var webBin struct {
	sync.Once
	path string
	err  error
}

// buildWebNode compiles ./web/wasm and ./web/wasmpdf to WebAssembly and
// lays them, with the toolchain's wasm_exec.js, over web/static with -overlay, so the source
// tree is not written to and the verifier is always the current code. It
// answers "" if ./web/wasm is missing and integration tests are optional.
func buildWebNode() (string, error) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(root, "web", "wasm")); err != nil {
		if testenv.RequireIntegration() {
			return "", errors.New("the WebAssembly verifier ./web/wasm is missing")
		}
		return "", nil
	}
	out := filepath.Join(filepath.Dir(custosBin), "web")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	static := filepath.Join(root, "web", "static")
	replace := map[string]string{filepath.Join(static, "wasm_exec.js"): filepath.Join(runtime.GOROOT(), "lib", "wasm", "wasm_exec.js")}
	// The receipt verifier and the certificate PDF verifier, built side by side.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, m := range []struct{ name, pkg string }{{"verify.wasm", "./web/wasm"}, {"verifypdf.wasm", "./web/wasmpdf"}} {
		wasm := filepath.Join(out, m.name)
		// The compressed copies that `make wasm` leaves are of an older
		// build: the server would send them instead, so they are left
		// out ("").
		replace[filepath.Join(static, m.name)] = wasm
		replace[filepath.Join(static, m.name+".br")] = ""
		replace[filepath.Join(static, m.name+".gz")] = ""
		wg.Go(func() {
			build := exec.Command(goTool, "build", "-trimpath", "-o", wasm, m.pkg)
			build.Dir = root
			build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
			if b, err := build.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("GOOS=js GOARCH=wasm go build %s: %v\n%s", m.pkg, err, b)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	overlay, _ := json.Marshal(map[string]map[string]string{"Replace": replace})
	ov := filepath.Join(out, "overlay.json")
	if err := os.WriteFile(ov, overlay, 0o644); err != nil {
		return "", err
	}
	bin := filepath.Join(out, "custos")
	args := append(append([]string{"build"}, buildFlags...), "-overlay", ov, "-o", bin, ".")
	if b, err := exec.Command(goTool, args...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("building custos with the verifier: %v\n%s", err, b)
	}
	return bin, nil
}

// startNodeWith starts the embedded default node from another binary. It
// swaps custosBin while startNode starts the process, which is safe because
// this package's tests do not run in parallel.
func startNodeWith(t *testing.T, bin string) *proc {
	t.Helper()
	saved := custosBin
	custosBin = bin
	defer func() { custosBin = saved }()
	return startNode(t, t.TempDir(), "")
}

// cspProbe runs before the page's own scripts and records every Content
// Security Policy violation.
const cspProbe = `window.cspViolations = [];
document.addEventListener('securitypolicyviolation', e => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));`

// newBrowser starts headless Chromium with a fresh profile.
func newBrowser(t *testing.T, bin string) context.Context {
	t.Helper()
	profile, err := os.MkdirTemp("", "custos-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Chromium's helpers may write for a moment after it exits.
		for range 50 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile), chromedp.WindowSize(1200, 1000))
	t.Cleanup(cancelAlloc)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(cancelCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 5*time.Minute)
	t.Cleanup(cancelTimeout)
	err = chromedp.Do(ctx, func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspProbe})
		return chromedp.Void{}, err
	})
	if err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// openPage loads url and waits for the trust bundle and, if wantVerifier,
// for the WebAssembly verifier. It fails on any CSP violation.
func openPage(t *testing.T, ctx context.Context, url string, wantVerifier bool) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("Navigate(%s): %v", url, err)
	}
	waitJS(t, ctx, `document.getElementById('verifier-status').dataset.state !== 'loading' && document.getElementById('trust-info').textContent.includes('custos-') ? 'ok' : ''`)
	if wantVerifier {
		if s := evalString(t, ctx, `document.getElementById('verifier-status').dataset.state + ': ' + document.getElementById('verifier-status').textContent`); !strings.HasPrefix(s, "ready") {
			t.Fatalf("verifier = %q, want ready", s)
		}
	}
	if v := evalString(t, ctx, `window.cspViolations.join('; ')`); v != "" {
		t.Errorf("Content Security Policy violations: %s", v)
	}
}

// verifyInPage chooses the receipt and the evidence file and returns the
// result as "state|failed step".
func verifyInPage(t *testing.T, ctx context.Context, receiptPath, filePath string) string {
	t.Helper()
	setFiles(t, ctx, "receipt-file", receiptPath)
	setFiles(t, ctx, "file", filePath)
	name, _ := json.Marshal(filepath.Base(filePath))
	return waitJS(t, ctx, fmt.Sprintf(`(() => { const r = document.getElementById('result');
		return r.hidden || r.dataset.file !== %s || r.dataset.state === 'running' ? '' : r.dataset.state + '|' + r.dataset.failedStep; })()`, name))
}

// verifyPDFInPage chooses a certificate PDF in place of the receipt and
// returns the result as "state|failed step".
func verifyPDFInPage(t *testing.T, ctx context.Context, pdfPath string) string {
	t.Helper()
	setFiles(t, ctx, "receipt-file", pdfPath)
	name, _ := json.Marshal(filepath.Base(pdfPath))
	return waitJS(t, ctx, fmt.Sprintf(`(() => { const r = document.getElementById('result');
		if (['missing', 'failed'].includes(r.dataset.state)) return r.dataset.state + '|' + document.getElementById('verify-status').textContent;
		return r.hidden || r.dataset.kind !== 'pdf' || r.dataset.file !== %s || r.dataset.state === 'running' ? '' : r.dataset.state + '|' + r.dataset.failedStep; })()`, name))
}

func setFiles(t *testing.T, ctx context.Context, id string, paths ...string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.ID(id), paths)); err != nil {
		t.Fatalf("SetUploadFiles(#%s): %v", id, err)
	}
}

func chooseLanguage(t *testing.T, ctx context.Context, lang string) {
	t.Helper()
	evalString(t, ctx, fmt.Sprintf(`(() => { const s = document.getElementById('lang'); s.value = %q; s.dispatchEvent(new Event('change')); return ''; })()`, lang))
}

func pageSteps(t *testing.T, ctx context.Context) string {
	t.Helper()
	return evalString(t, ctx, `[...document.querySelectorAll('#steps .step')].map(s => s.dataset.step + '=' + s.dataset.status).join(' ')`)
}

func evalString(t *testing.T, ctx context.Context, expr string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[any](expr))
	if err != nil {
		t.Fatalf("Evaluate(%.80s): %v", expr, err)
	}
	return fmt.Sprint(v)
}

// waitJS evaluates expr until it gives a non-empty string.
func waitJS(t *testing.T, ctx context.Context, expr string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if s := evalString(t, ctx, expr); s != "" {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 60s for %s", expr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fakeVerifier stands in for the WebAssembly custosVerify: it checks only
// the SHA-256 and reports every other step as passed, in the contract's
// shape, and records the digests it was given.
const fakeVerifier = `window.fakeCalls = [];
window.custosVerify = (receipt, trust, sha, sm3) => {
  window.fakeCalls.push(sha + ' ' + sm3);
  // The receipt and the trust bundle are strings or, as the page passes
  // files, their bytes.
  const text = (a) => typeof a === 'string' ? a : new TextDecoder().decode(a);
  const r = JSON.parse(text(receipt)), tb = JSON.parse(text(trust));
  const evidence = Object.assign({sm3: ''}, r.evidence);
  const steps = ['format', 'digest', 'custody', 'completeness', 'timestamp', 'inclusion', 'checkpoint'].map(step => ({step, ok: true, summary: 'fake'}));
  if (sha && sha !== r.evidence.sha256) {
    return JSON.stringify({valid: false, failed_step: 'digest', error: {step: 'digest', want: r.evidence.sha256, got: sha, message: 'differs'},
      steps: [steps[0], {step: 'digest', ok: false, summary: 'differs'}], evidence, timestamps: [], events: [], checkpoint: null});
  }
  const power = tb.validators.reduce((a, v) => a + v.power, 0);
  return JSON.stringify({valid: true, failed_step: '', error: null, steps, evidence,
    custody: {complete: true, total: r.events.length, listed: r.events.length, note: 'fake'},
    timestamps: [{time: '2026-03-01T08:30:00Z', tsa: 'Fake TSA', serial: '1'}],
    events: r.events.map(e => { const x = JSON.parse(e.event); return {seq: x.seq, type: x.type, time: x.time, actor: x.actor, subject: x.subject || ''}; }),
    checkpoint: {chain_id: tb.chain_id, height: r.checkpoint.height, time: '2026-03-01T08:30:01Z', tree_size: r.checkpoint.tree_size,
      root: r.checkpoint.root, signers: tb.validators.map(v => ({name: v.name, kind: v.kind, power: v.power})), signed_power: power, total_power: power}});
};
''`

func injectFakeVerifier(t *testing.T, ctx context.Context) {
	t.Helper()
	evalString(t, ctx, fakeVerifier)
}

// artifactDir is where screenshots and reports go: $CUSTOS_ARTIFACTS, or
// the test's artifact directory (kept with go test -artifacts).
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("CUSTOS_ARTIFACTS")
	if dir == "" {
		return t.ArtifactDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func saveScreenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	t.Logf("screenshot: %s", writeFile(t, dir, name, png))
}

// checkOnePagePDF prints the page as the browser would (print CSS) and
// checks that the report fits on one A4 page.
func checkOnePagePDF(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	pdf, err := chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
		r, err := cdp.Call(ctx, tg, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: ptrTo(true)})
		return r.Data, err
	})
	if err != nil {
		t.Fatalf("PrintToPDF: %v", err)
	}
	t.Logf("report: %s", writeFile(t, dir, name, pdf))
	if pages := regexp.MustCompile(`/Type\s*/Page\b`).FindAll(pdf, -1); len(pages) != 1 {
		t.Errorf("the printed report has %d pages, want 1", len(pages))
	}
	// And a picture of it, for people: A4 less the margins is 718 CSS pixels wide.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(718, 1000), func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return chromedp.Void{}, err
	}); err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, ctx, dir, strings.TrimSuffix(name, ".pdf")+".png")
	chromedp.Do(ctx, chromedp.EmulateReset(), func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{})
		return chromedp.Void{}, err
	})
}

func ptrTo[T any](v T) *T { return &v }

// awaitReceiptV5 waits for item id's evidence record and returns its
// receipt then: version 5, with the record embedded.
func awaitReceiptV5(t *testing.T, n *proc, id string) []byte {
	t.Helper()
	for i := 0; i < 120; i++ {
		if status, _, _ := n.call("GET", "/api/v1/evidence/"+id+"/evidence-record", n.Token, nil); status == 200 {
			status, _, b := n.call("GET", "/api/v1/evidence/"+id+"/receipt", n.Token, nil)
			if r, err := receipt.Parse(b); status == 200 && err == nil && r.Version == receipt.Version5 {
				return b
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("no version-5 receipt of %s after 30 s", id)
	return nil
}
