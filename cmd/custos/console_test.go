package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/custos-project/custos/api"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/internal/testenv"
)

// TestConsole runs the signed-in console (/console) in headless Chromium
// against a real node: a law firm's submitter signs in with its API key,
// files a file through the form (with upload progress), shares it with a
// court by the court's organization ID (TestConsoleRoles shares by name), downloads the file and its receipt
// (and the receipt verifies with custos verify), revokes the share,
// switches language, uses the phone layout and signs out.
func TestConsole(t *testing.T) {
	chromium := testenv.LookBinary(t, "chromium")
	n := startNode(t, t.TempDir(), "")
	pageURL := n.URL + "/console"
	if status, _, _ := n.call("GET", "/console", "", nil); status != 200 {
		t.Fatalf("GET /console = %d, want 200", status)
	}
	post := func(token, path string, in, out any) {
		t.Helper()
		b, _ := json.Marshal(in)
		status, _, body := n.call("POST", path, token, bytes.NewReader(b), "Content-Type", "application/json")
		if status != 201 {
			t.Fatalf("POST %s = %d %s", path, status, body)
		}
		mustJSON(t, body, out)
	}
	var firm, court struct{ ID string }
	post(n.Token, "/api/v1/orgs", map[string]string{"kind": "lawfirm", "name": "Zhong Lun Law Firm"}, &firm)
	post(n.Token, "/api/v1/orgs", map[string]string{"kind": "court", "name": "Hangzhou Internet Court"}, &court)
	var firmKey api.NewKeyView
	post(n.Token, "/api/v1/orgs/"+firm.ID+"/keys", map[string]string{"role": "submitter", "name": "filing system"}, &firmKey)

	ctx := newBrowser(t, chromium)
	shots := artifactDir(t)
	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads}); err != nil {
		t.Fatalf("Browser.setDownloadBehavior: %v", err)
	}
	do := func(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
	text := func(t *testing.T, sel string) string {
		t.Helper()
		js, _ := json.Marshal(sel)
		return evalString(t, ctx, fmt.Sprintf(`(() => { const e = document.querySelector(%s); return e ? e.innerText : '<none>'; })()`, js))
	}
	setValue := func(t *testing.T, id, v string) {
		t.Helper()
		js, _ := json.Marshal(v)
		evalString(t, ctx, fmt.Sprintf(`document.getElementById(%q).value = %s`, id, js))
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL+"?lang=en")); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.body.dataset.ready ? 'ok' : ''`)

	t.Run("empty key not marked", func(t *testing.T) {
		// The required API key field is red only once the user tried to
		// sign in without it, not on a page nothing was typed into yet.
		const border = `(() => { const k = document.getElementById('key'); k.blur(); const d = document.createElement('div');
			d.style.color = 'var(--bad)'; document.body.append(d); const bad = getComputedStyle(d).color; d.remove();
			return String(getComputedStyle(k).borderTopColor === bad); })()`
		if got := evalString(t, ctx, border); got != "false" {
			t.Errorf("the empty API key field is marked invalid before anything was typed")
		}
		do(t, chromedp.Click(chromedp.ID("signin-btn")))
		if got := evalString(t, ctx, border); got != "true" {
			t.Errorf("the empty API key field is not marked invalid after signing in without it")
		}
	})

	t.Run("sign in", func(t *testing.T) {
		// A wrong key: the server's problem document is shown.
		do(t, chromedp.SendKeys(chromedp.ID("key"), "cst_not-a-real-key-0000000000"), chromedp.Click(chromedp.ID("signin-btn")))
		if got := waitJS(t, ctx, `(e => e.className === 'error' ? e.innerText : '')(document.getElementById('signin-status'))`); !strings.Contains(got, "401") {
			t.Errorf("a wrong key says %q, want the 401 problem", got)
		}
		evalString(t, ctx, `document.getElementById('key').value = ''`)
		do(t, chromedp.SendKeys(chromedp.ID("key"), firmKey.Token), chromedp.Click(chromedp.ID("signin-btn")))
		waitJS(t, ctx, `document.body.dataset.signedIn ? 'ok' : ''`)
		who := text(t, "#who")
		for _, want := range []string{"Zhong Lun Law Firm", "law firm", firm.ID, "submitter", firmKey.Key.Prefix} {
			if !strings.Contains(who, want) {
				t.Errorf("signed-in box lacks %q:\n%s", want, who)
			}
		}
		if got := evalString(t, ctx, `document.activeElement.id`); got != "h-session" {
			t.Errorf("focus after sign-in is on #%s, want the signed-in heading", got)
		}
		waitJS(t, ctx, `document.getElementById('list-status').innerText.includes('No evidence yet') ? 'ok' : ''`)
	})

	data := randomBytes(t, 3<<20)
	file := writeFile(t, t.TempDir(), "hearing-recording.bin", data)
	const title = "借款合同 Loan contract, signed copy"
	var id string

	t.Run("upload with progress", func(t *testing.T) {
		// Record every value the progress bar shows.
		evalString(t, ctx, `(() => { window.seenPct = []; const p = document.getElementById('up-progress');
			new MutationObserver(() => window.seenPct.push(p.dataset.percent)).observe(p, {attributes: true, attributeFilter: ['data-percent']}); return ''; })()`)
		setFiles(t, ctx, "up-file", file)
		do(t, chromedp.SendKeys(chromedp.ID("up-title"), title), chromedp.Click(chromedp.ID("up-btn")))
		id = waitJS(t, ctx, `document.getElementById('up-result').hidden ? '' : document.querySelector('#up-facts [data-field="id"]').textContent`)
		if got := evalString(t, ctx, `document.getElementById('up-progress').value + ' ' + document.getElementById('up-percent').textContent`); !strings.HasPrefix(got, "100 100%") {
			t.Errorf("progress after the upload = %q, want 100%%", got)
		}
		t.Logf("progress values seen: %s", evalString(t, ctx, `window.seenPct.join(' ')`))
		facts := text(t, "#up-facts")
		for _, want := range []string{id, sha256Hex(data), title, "hearing-recording.bin", "Time-stamp time", "Custos"} {
			if !strings.Contains(facts, want) {
				t.Errorf("the upload result lacks %q:\n%s", want, facts)
			}
		}
		// The record as the API has it: the title went through the
		// Custos-Metadata header (non-ASCII as \u escapes).
		status, _, b := n.call("GET", "/api/v1/evidence/"+id, firmKey.Token, nil)
		var v wire.EvidenceView
		mustJSON(t, b, &v)
		if status != 200 || v.Title != title || v.FileName != "hearing-recording.bin" || v.SHA256 != sha256Hex(data) || v.Size != int64(len(data)) {
			t.Errorf("GET the uploaded record = %d %+v", status, v)
		}
		row := text(t, fmt.Sprintf(`#ev-table tr[data-id=%q]`, id))
		if !strings.Contains(row, title) || !strings.Contains(row, "3.0 MiB") || !strings.Contains(row, "Time-stamped") {
			t.Errorf("the new row = %q", row)
		}
		saveScreenshot(t, ctx, shots, "console-upload-en.png")
	})
	if id == "" {
		t.FailNow()
	}
	rowSel := fmt.Sprintf(`#ev-table tr[data-id=%q]`, id)

	t.Run("share with the court", func(t *testing.T) {
		do(t, chromedp.Click(chromedp.CSS(rowSel+` [data-act="share"]`)))
		if got := evalString(t, ctx, `document.activeElement.id + ' ' + document.getElementById('share-ev').value`); got != "share-org "+id {
			t.Errorf("after Share…: focus and evidence = %q, want share-org %s", got, id)
		}
		// The first press shows the organization the ID names; the second
		// shares with it.
		do(t, chromedp.SendKeys(chromedp.ID("share-org"), court.ID), chromedp.Click(chromedp.ID("share-btn")))
		waitJS(t, ctx, `document.getElementById('share-resolved').hidden ? '' : 'ok'`)
		if got := text(t, "#share-org-facts"); !strings.Contains(got, "Hangzhou Internet Court") || !strings.Contains(got, court.ID) {
			t.Errorf("the organization shown before sharing = %q", got)
		}
		do(t, chromedp.Click(chromedp.ID("share-btn")))
		got := waitJS(t, ctx, `document.getElementById('share-status').innerText.includes('Hangzhou') ? document.getElementById('share-status').innerText : ''`)
		if !strings.Contains(got, "court") || !strings.Contains(got, title) {
			t.Errorf("share status = %q", got)
		}
		waitJS(t, ctx, fmt.Sprintf(`document.querySelector('#shares-table tr[data-target=%q][data-grantee=%q][data-state="active"]') ? 'ok' : ''`, id, court.ID))
		_, _, b := n.call("GET", "/api/v1/shares", firmKey.Token, nil)
		if !strings.Contains(string(b), `"grantee":"`+court.ID+`"`) || !strings.Contains(string(b), `"target":"`+id+`"`) {
			t.Errorf("GET /api/v1/shares = %s", b)
		}
		// A wrong organization ID is refused before anything is shared.
		setValue(t, "share-ev", id)
		do(t, chromedp.SendKeys(chromedp.ID("share-org"), strings.Repeat("a", 26)), chromedp.Click(chromedp.ID("share-btn")))
		if got := waitJS(t, ctx, `document.getElementById('share-status').className === 'error' ? document.getElementById('share-status').innerText : ''`); !strings.Contains(got, "No organization") {
			t.Errorf("sharing with an unknown organization says %q", got)
		}
	})

	t.Run("download file and receipt", func(t *testing.T) {
		do(t, chromedp.Click(chromedp.CSS(rowSel+` [data-act="content"]`)))
		if got := waitDownload(t, downloads, "hearing-recording.bin"); !bytes.Equal(got, data) {
			t.Errorf("the downloaded file differs from the upload (%d bytes)", len(got))
		}
		// While the item is not anchored the server answers 202: the
		// first receipt request is given the server's 202 body, so that
		// the page must say so and offer to wait; waiting asks the real
		// server with ?wait=20s.
		evalString(t, ctx, `(() => { window.fetched = []; const real = window.fetch; let faked = false;
			window.fetch = (u, o) => { window.fetched.push(String(u));
				if (!faked && String(u).endsWith('/receipt')) { faked = true;
					return Promise.resolve(new Response('{"id":"`+id+`","status":"timestamped","detail":"The evidence is recorded and time-stamped but not yet anchored in the consortium chain, so no receipt exists yet. Retry shortly, or ask with ?wait=20s."}',
						{status: 202, headers: {'Content-Type': 'application/json', 'Retry-After': '1'}})); }
				return real(u, o); }; return ''; })()`)
		do(t, chromedp.Click(chromedp.CSS(rowSel+` [data-act="receipt"]`)))
		state := waitJS(t, ctx, `(() => { const m = document.querySelector('`+rowSel+` .row-msg'); return m && ['saved', 'pending', 'failed'].includes(m.dataset.state) ? m.dataset.state + '|' + m.innerText : ''; })()`)
		t.Logf("receipt: %s", state)
		if strings.HasPrefix(state, "pending|") {
			if !strings.Contains(state, "not yet anchored") {
				t.Errorf("the 202 is not said plainly: %q", state)
			}
			do(t, chromedp.Click(chromedp.CSS(rowSel+` [data-act="wait"]`)))
			state = waitJS(t, ctx, `(() => { const m = document.querySelector('`+rowSel+` .row-msg'); return m && ['saved', 'failed'].includes(m.dataset.state) ? m.dataset.state + '|' + m.innerText : ''; })()`)
		}
		if !strings.HasPrefix(state, "saved|") {
			t.Fatalf("receipt download: %q", state)
		}
		if got := evalString(t, ctx, `window.fetched.filter(u => u.includes('/receipt')).join(' ')`); got != "/api/v1/evidence/"+id+"/receipt /api/v1/evidence/"+id+"/receipt?wait=20s" {
			t.Errorf("receipt requests = %q, want one plain, then one with ?wait=20s", got)
		}
		rcpt := waitDownload(t, downloads, "receipt-"+id+".json")
		var r struct {
			Evidence struct{ ID, SHA256 string } `json:"evidence"`
		}
		mustJSON(t, rcpt, &r)
		if r.Evidence.ID != id || r.Evidence.SHA256 != sha256Hex(data) {
			t.Errorf("the downloaded receipt is for %+v", r.Evidence)
		}
		// The receipt, as saved by the browser, verifies offline.
		_, _, tb := n.call("GET", "/api/v1/trust", "", nil)
		trust := writeFile(t, t.TempDir(), "trust.json", tb)
		out, err := exec.Command(custosBin, "verify", "--receipt", filepath.Join(downloads, "receipt-"+id+".json"), "--file", file, "--trust", trust).CombinedOutput()
		if err != nil {
			t.Errorf("custos verify of the downloaded receipt: %v\n%s", err, out)
		}
		if got := text(t, rowSel+` td:nth-child(4)`); !strings.Contains(got, "Anchored") {
			t.Errorf("status after the receipt = %q, want Anchored", got)
		}
	})

	t.Run("language", func(t *testing.T) {
		saveScreenshot(t, ctx, shots, "console-en.png")
		chooseLanguage(t, ctx, "zh")
		got := evalString(t, ctx, `document.querySelector('h1').textContent + '|' + document.documentElement.lang + '|' + document.title`)
		if got != "电子证据工作台|zh-CN|Custos — 电子证据工作台" {
			t.Errorf("h1|lang|title in Chinese = %q", got)
		}
		for sel, want := range map[string]string{
			rowSel + ` [data-act="receipt"]`:                        "回执",
			rowSel + ` td:nth-child(4)`:                             "已上链",
			`#shares-table tr[data-state="active"] td:nth-child(5)`: "有效",
			`#who`:       "律师事务所",
			`#up-result`: "已存证并加盖时间戳",
		} {
			if got := text(t, sel); !strings.Contains(got, want) {
				t.Errorf("%s in Chinese = %q, want %q", sel, got, want)
			}
		}
		saveScreenshot(t, ctx, shots, "console-zh.png")
		do(t, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
		if w := evalString(t, ctx, `String(document.documentElement.scrollWidth <= window.innerWidth)`); w != "true" {
			t.Errorf("the console scrolls sideways on a phone")
		}
		if got := evalString(t, ctx, `getComputedStyle(document.querySelector('table.rows td[data-label]'), '::before').content`); !strings.HasSuffix(strings.Trim(got, `"`), "：") {
			t.Errorf("a Chinese table cell on a phone begins with %s, want its label and the full-width colon", got)
		}
		if got := evalString(t, ctx, `document.getElementById('up-file').parentElement.innerText.replace(/\s+/g, ' ')`); got != "选择文件 未选择文件" {
			t.Errorf("the Chinese upload's file picker reads %q", got)
		}
		saveScreenshot(t, ctx, shots, "console-phone-zh.png")
		do(t, chromedp.EmulateReset())
		chooseLanguage(t, ctx, "en")
		if got := text(t, "h1"); got != "Evidence console" {
			t.Errorf("h1 back in English = %q", got)
		}
	})

	t.Run("paging and filter", func(t *testing.T) {
		for i := range 21 {
			n.upload(firmKey.Token, []byte(fmt.Sprintf("exhibit %d\n", i)), "Content-Type", "text/plain",
				"Custos-Metadata", fmt.Sprintf(`{"title":"Exhibit %d"}`, i))
		}
		rows := func() string {
			return evalString(t, ctx, `document.querySelectorAll('#ev-table tbody tr').length + ' ' + document.getElementById('more-btn').hidden`)
		}
		do(t, chromedp.Click(chromedp.ID("refresh-btn")))
		waitJS(t, ctx, `document.getElementById('list-status').innerText.includes('Items shown: 20.') ? 'ok' : ''`)
		if got := rows(); got != "20 false" {
			t.Errorf("first page: rows, more hidden = %q, want 20 false", got)
		}
		if got := text(t, `#ev-table tbody tr:first-child .t-title`); got != "Exhibit 20" {
			t.Errorf("newest first: the first row is %q", got)
		}
		do(t, chromedp.Click(chromedp.ID("more-btn")))
		waitJS(t, ctx, `document.getElementById('list-status').innerText.includes('Items shown: 22.') ? 'ok' : ''`)
		if got := rows(); got != "22 true" {
			t.Errorf("after Show older items: rows, more hidden = %q, want 22 true", got)
		}
		do(t, chromedp.SendKeys(chromedp.ID("filter"), sha256Hex(data)), chromedp.Click(chromedp.ID("filter-btn")))
		waitJS(t, ctx, `document.getElementById('list-status').innerText.includes('Items shown: 1.') ? 'ok' : ''`)
		if got := evalString(t, ctx, `[...document.querySelectorAll('#ev-table tbody tr')].map(r => r.dataset.id).join(' ')`); got != id {
			t.Errorf("filter by SHA-256 shows %q, want %s", got, id)
		}
		setValue(t, "filter", "exhibit 1")
		do(t, chromedp.Click(chromedp.ID("filter-btn")))
		waitJS(t, ctx, `document.getElementById('list-status').innerText.includes('Items shown: 11.') ? 'ok' : ''`) // 1, 10-19
		setValue(t, "filter", "no such title")
		do(t, chromedp.Click(chromedp.ID("filter-btn")))
		waitJS(t, ctx, `document.getElementById('list-status').innerText.includes('No evidence matches') ? 'ok' : ''`)
		setValue(t, "filter", "")
		do(t, chromedp.Click(chromedp.ID("filter-btn")))
		waitJS(t, ctx, `document.getElementById('list-status').innerText.includes('Items shown: 20.') ? 'ok' : ''`)
	})

	t.Run("revoke", func(t *testing.T) {
		sel := fmt.Sprintf(`#shares-table tr[data-target=%q][data-grantee=%q]`, id, court.ID)
		do(t, chromedp.Click(chromedp.CSS(sel+` [data-act="revoke"]`)))
		if got := evalString(t, ctx, `document.activeElement.dataset.act || ''`); got != "revoke-yes" {
			t.Errorf("focus after Revoke is on %q, want the confirmation", got)
		}
		do(t, chromedp.Click(chromedp.CSS(sel+` [data-act="revoke-yes"]`)))
		waitJS(t, ctx, `document.querySelector('`+sel+`[data-state="revoked"]') ? 'ok' : ''`)
		_, _, b := n.call("GET", "/api/v1/shares", firmKey.Token, nil)
		if !strings.Contains(string(b), `"revoked_at"`) {
			t.Errorf("the share is not revoked: %s", b)
		}
	})

	t.Run("accessible controls", func(t *testing.T) {
		// Every form control has a label and every button a name; the
		// actions are real buttons and links, so the keyboard reaches them.
		bad := evalString(t, ctx, `[...document.querySelectorAll('input, select')].filter(e => !e.labels.length && !e.getAttribute('aria-label')).map(e => e.id)
			.concat([...document.querySelectorAll('button, a')].filter(e => !(e.getAttribute('aria-label') || e.textContent.trim())).map(e => e.outerHTML.slice(0, 60))).join(', ')`)
		if bad != "" {
			t.Errorf("controls without a label or name: %s", bad)
		}
	})

	t.Run("sign out", func(t *testing.T) {
		do(t, chromedp.Click(chromedp.ID("signout-btn")))
		got := evalString(t, ctx, `[document.getElementById('signin').hidden, document.getElementById('list').hidden, document.getElementById('upload').hidden,
			document.querySelectorAll('#ev-table tbody tr').length, document.getElementById('who').textContent, document.activeElement.id].join('|')`)
		if got != "false|true|true|0||key" {
			t.Errorf("after sign-out: signin hidden|list hidden|upload hidden|rows|who|focus = %q", got)
		}
		tok, _ := json.Marshal(firmKey.Token)
		if got := evalString(t, ctx, `String(localStorage.length + sessionStorage.length + document.cookie.length) + ' ' + document.documentElement.outerHTML.includes(`+string(tok)+`)`); got != "0 false" {
			t.Errorf("storage+cookies, token in the page = %q; the key must stay in memory and go at sign-out", got)
		}
	})

	if v := evalString(t, ctx, `window.cspViolations.join('; ')`); v != "" {
		t.Errorf("Content Security Policy violations: %s", v)
	}
}

// waitDownload waits for the browser to finish saving name in dir, and
// returns its bytes.
func waitDownload(t *testing.T, dir, name string) []byte {
	t.Helper()
	path := filepath.Join(dir, name)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if _, err := os.Stat(path + ".crdownload"); err == nil {
			continue
		}
		if b, err := os.ReadFile(path); err == nil {
			return b
		}
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	t.Fatalf("%s was not downloaded in 30s (the folder holds %v)", name, names)
	return nil
}
