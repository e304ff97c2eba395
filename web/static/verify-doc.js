// verify-doc.js: the verification of a signed document on the court
// verification page, opened from the document's QR code as
// /verify?certificate=ID (a notarial certificate) or /verify?copyright=ID
// (a copyright registration certificate).
//
// It fetches the document's public verification view from this server
// (number, office, notary, status, the SHA-256 of the PDF as issued, and
// each item's receipt as embedded in the PDF), then checks every receipt
// in this browser with the WebAssembly verifier that verify.js loads,
// against this server's trust bundle. A PDF chosen or dropped here is
// hashed in the browser and compared with the SHA-256 as issued; it is
// never uploaded.
'use strict';

(function () {
  const VIEWS = { certificate: '/api/v1/certificates/', copyright: '/api/v1/copyrights/' };
  const ID_RE = /^[a-z2-7]{26}$/;
  const { t: tr } = globalThis.CustosI18n;
  const H = globalThis.CustosHash;

  const $ = (id) => document.getElementById(id);
  const lang = () => ($('lang').value === 'zh' ? 'zh' : 'en');
  const t = (key, args) => tr(lang(), key, args);

  const state = {
    kind: '', id: '',
    error: '',      // an i18n key, with errorArg
    errorArg: '',
    doc: null,      // the DocumentCheck
    trust: null,    // {text, chain}
    results: null,  // per item: the verifier's answer, parsed
    pdf: null,      // {name, sha256} or {name, hashing: true}
  };

  // goJSON re-encodes a parsed JSON value the way Go's encoding/json
  // writes it (HTML-safe escaping), which for a receipt is its canonical
  // encoding: the verifier accepts only those bytes. JSON.parse keeps
  // member order, so only the escapes differ.
  function goJSON(v) {
    return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  }

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text != null) e.textContent = text;
    return e;
  }

  function when(s) {
    const d = new Date(s);
    if (isNaN(d)) return s || '';
    const local = new Intl.DateTimeFormat(lang() === 'zh' ? 'zh-CN' : 'en-GB', {
      year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
      hour12: false, timeZoneName: 'short',
    }).format(d);
    return `${local} (${d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')})`;
  }

  // ---- fetching and checking ----

  async function load() {
    try {
      const [docResp, trustResp] = await Promise.all([
        fetch(VIEWS[state.kind] + state.id + '/verification', { headers: { Accept: 'application/json' } }),
        fetch('/api/v1/trust', { headers: { Accept: 'application/json' } }),
      ]);
      if (docResp.status === 404) return fail('doc.notFound');
      if (!docResp.ok) return fail('doc.failed', `HTTP ${docResp.status}`);
      if (!trustResp.ok) return fail('doc.failed', `trust bundle: HTTP ${trustResp.status}`);
      state.doc = await docResp.json();
      const text = await trustResp.text();
      state.trust = { text, chain: JSON.parse(text).chain_id };
      render();
      if (!(await verifierLoaded())) return;
      state.results = state.doc.items.map((it) => check(it.receipt));
      render();
    } catch (e) {
      fail('doc.failed', String(e && e.message ? e.message : e));
    }
  }

  function fail(key, arg) {
    state.error = key;
    state.errorArg = arg || '';
    render();
  }

  // verifierLoaded waits for verify.js to register custosVerify; false if
  // the verifier is missing or failed (verify.js says why).
  async function verifierLoaded() {
    for (let i = 0; i < 1200; i++) {
      if (typeof globalThis.custosVerify === 'function') return true;
      const s = $('verifier-status').dataset.state;
      if (s === 'missing' || s === 'failed') return false;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  }

  function check(receipt) {
    try {
      return JSON.parse(globalThis.custosVerify(goJSON(receipt), state.trust.text, '', '', 0));
    } catch (e) {
      return { valid: false, failed_step: '', error: { message: String(e && e.message ? e.message : e) } };
    }
  }

  async function comparePDF(file) {
    if (!file) return;
    state.pdf = { name: file.name, hashing: true };
    render();
    const d = await H.digestFile(file, false);
    if (state.pdf && state.pdf.name === file.name) state.pdf = { name: file.name, sha256: d.sha256 };
    render();
  }

  // ---- rendering ----

  function render() {
    const sec = $('document');
    $('h-document').textContent = t('doc.heading.' + state.kind);
    const status = $('doc-status');
    if (state.error) {
      sec.dataset.state = 'error';
      status.textContent = t(state.error, { error: state.errorArg });
      return;
    }
    if (!state.doc) {
      sec.dataset.state = 'loading';
      status.textContent = t('doc.loading');
      return;
    }
    status.textContent = '';
    renderFacts(state.doc);
    renderItems(state.doc);
    renderPDF();
  }

  function renderFacts(doc) {
    const dl = $('doc-facts');
    dl.replaceChildren();
    for (const [k, v, mono] of [
      ['doc.number', doc.number], ['doc.office', doc.office], ['doc.notary', doc.notary],
      ['doc.status', t('doc.status.' + doc.status)], ['doc.issued', when(doc.issued_at)],
      ['doc.pdfSHA', doc.pdf_sha256, true],
    ]) {
      dl.append(el('dt', {}, t(k)), el('dd', mono ? { class: 'mono' } : {}, v));
    }
  }

  function renderItems(doc) {
    const tbody = $('doc-items').tBodies[0];
    tbody.replaceChildren();
    let bad = 0;
    doc.items.forEach((it, i) => {
      const out = state.results && state.results[i];
      const cell = el('td', out ? { 'data-ok': String(!!out.valid) } : {}, itemText(out));
      if (out && !out.valid) bad++;
      const tr = el('tr', { 'data-id': it.id });
      tr.append(el('td', { class: 'mono' }, it.id), el('td', { class: 'mono' }, it.sha256), cell);
      tbody.append(tr);
    });
    const sum = $('doc-summary');
    if (!state.results) {
      sum.textContent = '';
      sum.dataset.state = '';
      $('document').dataset.state = 'loaded';
      return;
    }
    const ok = bad === 0 && doc.status === 'valid';
    sum.dataset.state = ok ? 'valid' : 'invalid';
    sum.textContent = bad === 0 ? t('doc.summary.ok', { n: doc.items.length, chain: state.trust.chain })
      : t('doc.summary.bad', { bad, n: doc.items.length });
    $('document').dataset.state = ok ? 'valid' : 'invalid';
  }

  function itemText(out) {
    if (!out) return t('doc.item.waiting');
    if (out.valid) {
      const ts = (out.timestamps || []).find((x) => !x.unverified);
      return t('doc.item.valid', { height: out.checkpoint ? out.checkpoint.height : '?', time: ts ? when(ts.time) : '?' });
    }
    const err = out.error || {};
    return t('doc.item.invalid', { step: out.failed_step || err.step || '?', message: err.message || '' });
  }

  function renderPDF() {
    const info = $('doc-pdf-info');
    const p = state.pdf;
    if (!p) { info.textContent = ''; info.dataset.state = ''; return; }
    if (p.hashing) { info.textContent = t('doc.pdf.hashing', { name: p.name }); info.dataset.state = 'hashing'; return; }
    const match = p.sha256 === state.doc.pdf_sha256;
    info.dataset.state = match ? 'match' : 'mismatch';
    info.textContent = t(match ? 'doc.pdf.match' : 'doc.pdf.mismatch', { name: p.name, sha256: p.sha256 });
  }

  // ---- wiring ----

  function init() {
    const q = new URLSearchParams(location.search);
    state.kind = Object.keys(VIEWS).find((k) => q.has(k)) || '';
    if (!state.kind) return;
    state.id = q.get(state.kind);
    $('document').hidden = false;
    $('lang').addEventListener('change', render);
    $('doc-pdf').addEventListener('change', (e) => comparePDF(e.target.files && e.target.files[0]));
    const drop = $('doc-drop');
    drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      drop.classList.remove('over');
      comparePDF(e.dataTransfer.files && e.dataTransfer.files[0]);
    });
    if (!ID_RE.test(state.id)) return fail('doc.badID');
    render();
    load();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
