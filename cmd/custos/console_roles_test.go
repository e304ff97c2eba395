package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/internal/testenv"
)

// consoleWords are what each flow looks for on the page, in each language.
var consoleWords = map[string]map[string]string{
	"en": {"kind.court": "court", "kind.notary": "notary office", "shared": "is shared with",
		"verified": "Verified:", "issued": "issued", "registered": "Registered as", "exact": "same file", "h1": "Evidence console"},
	"zh": {"kind.court": "法院", "kind.notary": "公证机构", "shared": "已共享给",
		"verified": "核验通过", "issued": "已出具公证书", "registered": "已登记，登记号", "exact": "同一文件", "h1": "电子证据工作台"},
}

// TestConsoleRoles runs each role's work in the console (/console), in
// headless Chromium against one real node with the WebAssembly verifier, in
// English and in Chinese, by the keyboard alone: focus moves with Tab,
// text is typed, buttons and forms are worked with Enter and check boxes
// with Space (files are chosen with DOM.setFileInputFiles, which stands
// for the browser's file chooser). Each flow checks that every control of
// the page has an accessible name, that status messages are live regions,
// that each control Tab reaches shows a focus ring, that only its role's
// sections show, and that nothing untranslated shows.
//
//   - a law firm opens a matter, files an item into it and shares it by the
//     names of a court and of a notary office, each shown before it confirms;
//   - the court sees the share, opens the item and verifies its receipt in
//     the page;
//   - the notary office issues a certificate over the item and downloads the
//     PDF;
//   - a copyright owner registers a work, sees its number, and finds it by
//     priority search.
func TestConsoleRoles(t *testing.T) {
	chromium := testenv.LookBinary(t, "chromium")
	n := startNodeWith(t, webNodeBinary(t))
	firm, firmToken := orgWithKeyOn(t, n, "lawfirm", "Zhong Lun Law Firm", "submitter")
	court, courtToken := orgWithKeyOn(t, n, "court", "Hangzhou Internet Court", "examiner")
	notary, notaryToken := orgWithKeyOn(t, n, "notary", "Qiantang Notary Office", "notary")
	_, ownerToken := orgWithKeyOn(t, n, "ipowner", "West Lake Photo Studio", "submitter")
	for _, o := range []wire.Org{firm, court, notary} {
		waitListed(t, n, firmToken, o.ID)
	}

	ctx := newBrowser(t, chromium)
	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads}); err != nil {
		t.Fatalf("Browser.setDownloadBehavior: %v", err)
	}
	k := &keys{ctx: ctx, base: n.URL}
	shots := artifactDir(t)
	dir := t.TempDir()

	for _, lang := range []string{"en", "zh"} {
		w := consoleWords[lang]
		// The firm files item into matter and shares, in English, the item
		// with the court; in Chinese, the whole matter. It shares the item
		// with the notary.
		var item, matterID string
		data := []byte(fmt.Sprintf("Screenshot of the infringing page (%s).\n", lang))

		t.Run(lang+"/firm", func(t *testing.T) {
			k.t = t
			k.signIn(lang, firmToken)
			matter := "Li Wei v. Example Media " + lang
			k.tabTo("#matter-title")
			k.typeText(matter)
			k.tabTo("#matter-case")
			k.typeText("(2026)浙0192民初1234号")
			k.press(kb.Enter)
			k.waitText("#matters-status", matter)
			matterID = k.wait(fmt.Sprintf(`[...document.querySelectorAll('#matters-table tbody tr')].filter(r => r.innerText.includes(%q)).map(r => r.dataset.id).join('')`, matter))

			setFiles(t, ctx, "up-file", writeFile(t, dir, "page-"+lang+".txt", data))
			k.tabTo("#up-title")
			k.typeText("侵权网页截图 " + lang)
			k.tabTo("#up-matter")
			k.press(kb.ArrowDown) // the matter just opened
			if got := k.eval(`document.getElementById('up-matter').selectedOptions[0].textContent`); !strings.HasPrefix(got, matter) {
				t.Fatalf("the matter chosen for the upload is %q, want %q", got, matter)
			}
			k.tabTo("#up-btn")
			k.press(kb.Enter)
			item = k.wait(`document.getElementById('up-result').hidden ? '' : document.querySelector('#up-facts [data-field="id"]').textContent`)
			status, _, b := n.call("GET", "/api/v1/evidence/"+item, firmToken, nil)
			var rec wire.EvidenceView
			mustJSON(t, b, &rec)
			if status != 200 || rec.Matter == "" || rec.SHA256 != sha256Hex(data) {
				t.Fatalf("the filed item = %d %+v", status, rec)
			}

			courtGets := item
			if lang == "zh" {
				courtGets = matterID
			}
			for _, to := range []struct {
				org      wire.Org
				kindWord string
				target   string
			}{{court, w["kind.court"], courtGets}, {notary, w["kind.notary"], item}} {
				button := fmt.Sprintf(`#ev-table tr[data-id=%q] [data-act="share"]`, item)
				if to.target == matterID {
					button = fmt.Sprintf(`#matters-table tr[data-id=%q] [data-act="share"]`, matterID)
				}
				k.tabTo(button)
				k.press(kb.Enter)
				if got := k.eval(`document.activeElement.id + ' ' + document.getElementById('share-ev').value`); got != "share-org "+to.target {
					t.Fatalf("after Share…: focus and target = %q, want share-org %s", got, to.target)
				}
				k.typeText(to.org.Name)
				k.press(kb.Enter) // looks the name up, and shows whom
				facts := k.waitText("#share-org-facts", to.org.ID)
				for _, want := range []string{to.org.Name, to.kindWord, homeMember(t, n, firmToken, to.org.ID)} {
					if !strings.Contains(facts, want) {
						t.Errorf("the organization shown before sharing lacks %q:\n%s", want, facts)
					}
				}
				if got := k.eval(`document.getElementById('share-btn').textContent`); !strings.Contains(got, to.org.Name) {
					t.Errorf("the confirming button says %q, want the name", got)
				}
				k.tabTo("#share-btn")
				k.press(kb.Enter)
				k.waitText("#share-status", w["shared"])
				k.wait(fmt.Sprintf(`document.querySelector('#shares-table tr[data-target=%q][data-grantee=%q][data-state="active"]') ? 'ok' : ''`, to.target, to.org.ID))
			}
			row := k.eval(fmt.Sprintf(`document.querySelector('#shares-table tr[data-target=%q][data-grantee=%q]').innerText`, item, notary.ID))
			for _, want := range []string{"侵权网页截图 " + lang, "page-" + lang + ".txt", notary.Name} {
				if !strings.Contains(row, want) {
					t.Errorf("the share's row lacks %q: %q", want, row)
				}
			}
			// An unknown name shares nothing.
			k.tabTo("#share-ev")
			k.typeText(item)
			k.tabTo("#share-org")
			k.typeText("No Such Court")
			k.press(kb.Enter)
			k.wait(`document.getElementById('share-status').className === 'error' ? 'ok' : ''`)
			saveScreenshot(t, ctx, shots, "console-firm-"+lang+".png")
			k.checkPage(lang, "upload", "matters", "list", "share")
		})
		if item == "" {
			t.FailNow()
		}

		t.Run(lang+"/court", func(t *testing.T) {
			k.t = t
			k.signIn(lang, courtToken)
			if lang == "zh" { // the matter, then its item
				rowSel := fmt.Sprintf(`#recv-table tr[data-target=%q]`, matterID)
				k.waitText(rowSel, firm.Name)
				k.waitText(rowSel, "Li Wei v. Example Media")
				k.tabTo(rowSel + ` [data-act="open"]`)
				k.press(kb.Enter)
				k.waitText("#item-facts", "(2026)浙0192民初1234号")
				k.tabTo(fmt.Sprintf(`#item-matter-list [data-id=%q]`, item))
				k.press(kb.Enter)
			} else {
				rowSel := fmt.Sprintf(`#recv-table tr[data-target=%q]`, item)
				k.waitText(rowSel, firm.Name)
				row := k.waitText(rowSel, "page-"+lang+".txt")
				if !strings.Contains(row, "侵权网页截图 "+lang) {
					t.Errorf("the received share's row lacks the title: %q", row)
				}
				k.tabTo(rowSel + ` [data-act="open"]`)
				k.press(kb.Enter)
			}
			k.waitText("#item-facts", sha256Hex(data))
			if got := k.eval(`document.activeElement.id`); got != "h-item" {
				t.Errorf("after Open, focus is on #%s, want the item's heading", got)
			}
			facts := k.eval(`document.getElementById('item-facts').innerText`)
			for _, want := range []string{sha256Hex(data), firm.Name, "page-" + lang + ".txt"} {
				if !strings.Contains(facts, want) {
					t.Errorf("the item's facts lack %q:\n%s", want, facts)
				}
			}
			k.tabTo("#item-verify")
			k.press(kb.Enter)
			verdict := k.wait(`(b => b.hidden ? '' : b.dataset.state + '|' + b.innerText)(document.getElementById('item-verdict'))`)
			if !strings.HasPrefix(verdict, "valid|") || !strings.Contains(verdict, w["verified"]) {
				t.Errorf("the in-page verification = %q", verdict)
			}
			if got := k.eval(`[...document.querySelectorAll('#item-steps li')].map(l => l.dataset.step + '=' + l.dataset.ok).join(' ')`); !strings.Contains(got, "digest=true") || strings.Contains(got, "false") {
				t.Errorf("steps = %s", got)
			}
			saveScreenshot(t, ctx, shots, "console-court-"+lang+".png")
			k.checkPage(lang, "received", "list", "item")
		})

		t.Run(lang+"/notary", func(t *testing.T) {
			k.t = t
			k.signIn(lang, notaryToken)
			box := "#cert-i-" + item
			k.wait(fmt.Sprintf(`document.querySelector(%q) ? 'ok' : ''`, box))
			k.tabTo(box)
			k.press(" ")
			k.tabTo("#cert-btn")
			k.press(kb.Enter)
			k.waitText("#cert-status", w["issued"])
			// Focus is on the new certificate's PDF button.
			id := k.wait(`document.activeElement.dataset.act === 'pdf' ? document.activeElement.closest('tr').dataset.id : ''`)
			status, _, b := n.call("GET", "/api/v1/certificates/"+id, notaryToken, nil)
			var cert struct {
				Number    string
				Evidence  []string
				PDFSHA256 string `json:"pdf_sha256"`
			}
			mustJSON(t, b, &cert)
			if status != 200 || strings.Join(cert.Evidence, ",") != item {
				t.Fatalf("the certificate = %d %s", status, b)
			}
			if row := k.eval(fmt.Sprintf(`document.querySelector('#certs-table tr[data-id=%q]').innerText`, id)); !strings.Contains(row, cert.Number) {
				t.Errorf("the certificate's row = %q, want its number %s", row, cert.Number)
			}
			k.press(kb.Enter)
			pdf := waitDownload(t, downloads, "certificate-"+id+".pdf")
			if !bytes.HasPrefix(pdf, []byte("%PDF-")) || sha256Hex(pdf) != cert.PDFSHA256 {
				t.Errorf("the downloaded PDF (%d bytes) is not the certificate issued", len(pdf))
			}
			saveScreenshot(t, ctx, shots, "console-notary-"+lang+".png")
			k.checkPage(lang, "received", "list", "certify")
		})

		t.Run(lang+"/copyright", func(t *testing.T) {
			k.t = t
			k.signIn(lang, ownerToken)
			photo := writeFile(t, dir, "xihu-"+lang+".png", noisePNG(t))
			setFiles(t, ctx, "work-files", photo)
			title := "西湖晨雾 " + lang
			for _, f := range []struct{ sel, text string }{
				{"#work-title", title}, {"#work-authors", "李明, Li Ming"}, {"#work-owner", "李明"},
			} {
				k.tabTo(f.sel)
				k.typeText(f.text)
			}
			k.tabTo("#work-created")
			k.typeDate(2025, 6, 1)
			k.tabTo("#work-btn")
			k.press(kb.Enter)
			k.waitText("#work-status", w["registered"])
			number := k.eval(`document.querySelector('#work-facts [data-field="number"]').textContent`)
			if !strings.Contains(number, "作登字") {
				t.Errorf("the registration number shown = %q", number)
			}
			status, _, b := n.call("GET", "/api/v1/copyrights/search?number="+url.QueryEscape(number), ownerToken, nil)
			if status != 200 || !strings.Contains(string(b), title) {
				t.Errorf("the register by number = %d %s", status, b)
			}
			k.waitText("#works-table", number)
			k.tabTo(`#works-table tbody tr:first-child [data-act="pdf"]`)
			id := k.eval(`document.activeElement.closest('tr').dataset.id`)
			k.press(kb.Enter)
			// The certificate comes in the page's language.
			name := "copyright-" + id + ".pdf"
			if lang == "en" {
				name = "copyright-" + id + "-en.pdf"
			}
			pdf := waitDownload(t, downloads, name)
			if _, _, want := n.call("GET", "/api/v1/copyrights/"+id+".pdf?lang="+lang, ownerToken, nil); !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Equal(pdf, want) {
				t.Errorf("the registration certificate downloaded (%d bytes) is not the %s one", len(pdf), lang)
			}

			setFiles(t, ctx, "search-file", photo)
			k.tabTo("#search-btn")
			k.press(kb.Enter)
			row := k.waitText("#search-table tbody", number)
			if !strings.Contains(row, w["exact"]) || !strings.Contains(row, "West Lake Photo Studio") {
				t.Errorf("the search's rows = %q", row)
			}
			saveScreenshot(t, ctx, shots, "console-copyright-"+lang+".png")
			k.checkPage(lang, "works", "search", "list")
		})
	}
	if v := evalString(t, ctx, `window.cspViolations.join('; ')`); v != "" {
		t.Errorf("Content Security Policy violations: %s", v)
	}
}

// keys drives the console with the keyboard.
type keys struct {
	t    *testing.T
	ctx  context.Context
	base string // the node's URL
}

func (k *keys) eval(expr string) string { k.t.Helper(); return evalString(k.t, k.ctx, expr) }
func (k *keys) wait(expr string) string { k.t.Helper(); return waitJS(k.t, k.ctx, expr) }

func (k *keys) press(key string) {
	k.t.Helper()
	if err := chromedp.Do(k.ctx, chromedp.KeyEvent(key)); err != nil {
		k.t.Fatalf("pressing %q: %v", key, err)
	}
}

// typeText types s into the focused control, key by key.
func (k *keys) typeText(s string) { k.t.Helper(); k.press(s) }

// typeDate types a date into the focused <input type="date"> in the order
// of the browser's locale.
func (k *keys) typeDate(y, m, d int) {
	k.t.Helper()
	order := k.eval(`new Intl.DateTimeFormat().formatToParts(new Date(2000, 10, 22)).filter(p => p.type !== 'literal').map(p => p.type[0]).join('')`)
	parts := map[byte]string{'y': fmt.Sprint(y), 'm': fmt.Sprintf("%02d", m), 'd': fmt.Sprintf("%02d", d)}
	for i := range len(order) {
		k.press(parts[order[i]])
	}
	want := fmt.Sprintf("%04d-%02d-%02d", y, m, d)
	if got := k.eval(`document.activeElement.value`); got != want {
		k.t.Fatalf("typed the date %s (order %s), the field holds %q", want, order, got)
	}
}

// tabTo presses Tab until the focus is on sel: it fails if the keyboard
// cannot reach it, or if the control it reaches shows no focus ring.
func (k *keys) tabTo(sel string) {
	k.t.Helper()
	js, _ := json.Marshal(sel)
	at := fmt.Sprintf(`String(!!document.activeElement && document.activeElement.matches(%s))`, js)
	for range 200 {
		if k.eval(at) == "true" {
			if ring := k.eval(`(s => s.outlineStyle + ' ' + s.outlineWidth)(getComputedStyle(document.activeElement))`); strings.HasPrefix(ring, "none") || strings.HasSuffix(ring, " 0px") {
				k.t.Errorf("%s has the focus but shows no focus ring (outline %s)", sel, ring)
			}
			return
		}
		k.press(kb.Tab)
	}
	k.t.Fatalf("Tab does not reach %s (focus stays on %s)", sel, k.eval(`document.activeElement.outerHTML.slice(0, 80)`))
}

// waitText waits until the element sel shows want, and returns its text.
func (k *keys) waitText(sel, want string) string {
	k.t.Helper()
	s, _ := json.Marshal(sel)
	w, _ := json.Marshal(want)
	return k.wait(fmt.Sprintf(`(e => e && e.innerText.includes(%s) ? e.innerText : '')(document.querySelector(%s))`, w, s))
}

// signIn opens the console in lang and signs in with token by the keyboard:
// Tab to the key, type it, Enter.
func (k *keys) signIn(lang, token string) {
	k.t.Helper()
	if err := chromedp.Do(k.ctx, chromedp.Navigate(k.base+"/console?lang="+lang)); err != nil {
		k.t.Fatal(err)
	}
	k.wait(`document.body.dataset.ready ? 'ok' : ''`)
	k.eval(fmt.Sprintf(`(() => { const s = document.getElementById('lang'); if (s.value !== %q) { s.value = %q; s.dispatchEvent(new Event('change')); } return ''; })()`, lang, lang))
	k.tabTo("#key")
	k.typeText(token)
	k.press(kb.Enter)
	k.wait(`document.body.dataset.signedIn ? 'ok' : ''`)
	if got := k.eval(`document.activeElement.id`); got != "h-session" {
		k.t.Errorf("focus after signing in is on #%s", got)
	}
}

// checkPage checks what every flow must leave: exactly the sections of its
// role shown, every control named, the page in lang with no key left
// untranslated, and the status messages in live regions.
func (k *keys) checkPage(lang string, sections ...string) {
	k.t.Helper()
	all := []string{"received", "certify", "works", "search", "upload", "matters", "list", "share"}
	var shown []string
	for _, s := range all {
		if k.eval(fmt.Sprintf(`String(!document.getElementById(%q).hidden)`, s)) == "true" {
			shown = append(shown, s)
		}
	}
	var want []string
	for _, s := range all {
		for _, x := range sections {
			if s == x {
				want = append(want, s)
			}
		}
	}
	if strings.Join(shown, " ") != strings.Join(want, " ") {
		k.t.Errorf("sections shown: %v, want %v", shown, want)
	}
	bad := k.eval(`[...document.querySelectorAll('input, select, textarea')].filter(e => !e.labels.length && !e.getAttribute('aria-label')).map(e => e.id || e.outerHTML.slice(0, 60))
		.concat([...document.querySelectorAll('button, a')].filter(e => !(e.getAttribute('aria-label') || e.textContent.trim())).map(e => e.outerHTML.slice(0, 60)))
		.concat([...document.querySelectorAll('[role="status"]')].filter(e => !e.getAttribute('aria-live')).map(e => '#' + e.id + ' not live')).join(', ')`)
	if bad != "" {
		k.t.Errorf("controls without a name, or status messages not live: %s", bad)
	}
	if got := k.eval(`document.querySelector('h1').textContent`); got != consoleWords[lang]["h1"] {
		k.t.Errorf("the heading in %s is %q", lang, got)
	}
	if got := k.eval(`(document.body.innerText.match(/(console|step)\.[a-zA-Z.]+/g) || []).join(' ')`); got != "" {
		k.t.Errorf("untranslated keys on the page in %s: %s", lang, got)
	}
}

// orgWithKeyOn creates an organization of kind with one key of role on n,
// with n's admin key.
func orgWithKeyOn(t *testing.T, n *proc, kind, name, role string) (wire.Org, string) {
	t.Helper()
	var org wire.Org
	status, _, b := n.call("POST", "/api/v1/orgs", n.Token, jsonBody(map[string]string{"kind": kind, "name": name}), "Content-Type", "application/json")
	if status != 201 {
		t.Fatalf("create %s = %d %s", name, status, b)
	}
	mustJSON(t, b, &org)
	var key wire.NewKeyView
	status, _, b = n.call("POST", "/api/v1/orgs/"+org.ID+"/keys", n.Token, jsonBody(map[string]string{"role": role, "name": "console"}), "Content-Type", "application/json")
	if status != 201 {
		t.Fatalf("create a %s key of %s = %d %s", role, name, status, b)
	}
	mustJSON(t, b, &key)
	return org, key.Token
}

// homeMember is the name of org's home member, as the directory has it.
func homeMember(t *testing.T, n *proc, token, org string) string {
	t.Helper()
	var e wire.DirectoryEntry
	_, _, b := n.call("GET", "/api/v1/directory/"+org, token, nil)
	mustJSON(t, b, &e)
	if e.MemberName == "" {
		t.Fatalf("the directory names no home member of %s: %s", org, b)
	}
	return e.MemberName
}

// waitListed waits until n's directory lists org, so it is found by name.
func waitListed(t *testing.T, n *proc, token, org string) {
	t.Helper()
	for range 300 {
		if status, _, _ := n.call("GET", "/api/v1/directory/"+org, token, nil); status == 200 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the directory does not list %s", org)
}

// noisePNG is a 64×64 picture of random grey noise: never flat, and
// different each time.
func noisePNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 64, 64))
	for i := range img.Pix {
		img.Pix[i] = uint8(rand.IntN(256))
	}
	img.Set(0, 0, color.Gray{Y: 0})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
