// verify-doc.js: the verification of a signed document on the court
// verification page, opened from the document's QR code as
// /verify?document=TOKEN: TOKEN is the document's verification token
// (128 random bits printed only on the document, not its ID).
//
// It fetches the document's public verification view from this server
// (kind, number, office, notary, status, the SHA-256 of the PDF as issued,
// and each item's receipt as this server keeps it, the copy it embedded in
// the PDF), then checks every receipt in this browser with the WebAssembly
// verifier that verify.js loads, on the receipt's exact bytes in the view
// (receiptBytes; never a re-encoding, which would make a receipt the
// command line refuses look canonical), against the trust bundle verify.js
// holds: this server's, until the court loads its own trust.json, which
// then wins and every receipt is checked again. It names the bundle used
// (source and SHA-256), and checks that each receipt, as the verifier read
// it, is the receipt of the item its row names. A PDF chosen or dropped
// here is hashed in the browser and compared with the SHA-256 as issued;
// it is never uploaded.
//
// What it does not check, and says so (doc.scope): the PDF's signature,
// its time-stamp, its chain and its certification (DocMDP), nor the
// receipts attached to the copy in hand, which `custos verify --pdf`
// checks offline, and the page's form below this section too, for a PDF
// chosen there (verify-pdf.js). A copy whose SHA-256 matches carries the
// receipts this section checked only if this server tells the truth.
//
// Links of documents issued before verification tokens (?certificate=ID,
// ?copyright=ID) open no public view: the page says so.
'use strict';

(function () {
  const LEGACY = ['certificate', 'copyright'];
  const KINDS = ['certificate', 'copyright'];
  const TOKEN_RE = /^[a-z2-7]{26}$/;
  const { t: tr } = globalThis.CustosI18n;
  const H = globalThis.CustosHash;

  const $ = (id) => document.getElementById(id);
  const lang = () => ($('lang').value === 'zh' ? 'zh' : 'en');
  const t = (key, args) => tr(lang(), key, args);

  const state = {
    kind: '',       // from the view: certificate or copyright
    token: '',
    error: '',      // an i18n key, with errorArg
    errorArg: '',
    doc: null,      // the DocumentCheck
    trust: null,    // verify.js's trust bundle: {bytes, text, source, parsed, sha256}
    results: null,  // per item: the verifier's answer, parsed
    checkedWith: null, // the trust bundle results were computed with
    pdf: null,      // {name, sha256} or {name, hashing: true}
    receipts: null, // per item: the exact bytes of its receipt in the view
  };

  // receiptBytes returns, for each item of the view b (the bytes of a JSON
  // object that JSON.parse accepted), the exact bytes of its "receipt"
  // member: the verifier judges those, as custos verify judges a file.
  // Parsing and re-encoding would not do: it drops a duplicate member,
  // respaces, re-escapes and rounds numbers, so that the page would find
  // valid a receipt that the command line refuses at step format. It
  // throws on bytes it cannot read so, and on a member named twice in the
  // view or in an item (JSON.parse would keep the last); within a receipt
  // that is the verifier's to judge.
  function receiptBytes(b) {
    const dec = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    const bad = () => new Error('not a document view');
    let i = 0;
    const ws = () => { while (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0a || b[i] === 0x0d) i++; };
    const expect = (c) => { ws(); if (b[i] !== c) throw bad(); i++; };
    const str = () => {
      ws();
      const s = i;
      expect(0x22);
      for (; b[i] !== 0x22; i++) {
        if (i >= b.length) throw bad();
        if (b[i] === 0x5c) i++;
      }
      i++;
      return JSON.parse(dec.decode(b.subarray(s, i)));
    };
    // list reads the members of an object (open '{', close '}': keyed) or
    // the elements of an array, calling each(key) to read every value;
    // unique: refuse a key named twice.
    const list = (open, close, each, unique) => {
      expect(open);
      ws();
      if (b[i] === close) { i++; return; }
      const seen = new Set();
      for (;;) {
        let k = null;
        if (open === 0x7b) {
          k = str();
          if (unique && seen.has(k)) throw bad();
          seen.add(k);
          expect(0x3a);
        }
        each(k);
        ws();
        if (b[i] === 0x2c) { i++; continue; }
        expect(close);
        return;
      }
    };
    // value reads any value and returns its span.
    const value = () => {
      ws();
      const s = i;
      if (b[i] === 0x7b || b[i] === 0x5b) list(b[i], b[i] + 2, value);
      else if (b[i] === 0x22) str();
      else while (i < b.length && ![0x20, 0x09, 0x0a, 0x0d, 0x2c, 0x5d, 0x7d].includes(b[i])) i++;
      if (i === s || i > b.length) throw bad();
      return [s, i];
    };
    let out = null;
    list(0x7b, 0x7d, (k) => {
      if (k !== 'items') return value();
      out = [];
      list(0x5b, 0x5d, () => {
        let span = null;
        list(0x7b, 0x7d, (m) => { const v = value(); if (m === 'receipt') span = v; }, true);
        out.push(span ? b.slice(span[0], span[1]) : new Uint8Array(0));
      });
    }, true);
    ws();
    if (i !== b.length || !out) throw bad();
    return out;
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
    return t('aside', { text: local, note: d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') });
  }

  // ---- fetching and checking ----

  async function load() {
    try {
      const resp = await fetch('/api/v1/verify/' + encodeURIComponent(state.token), { headers: { Accept: 'application/json', 'Accept-Language': lang() === 'zh' ? 'zh-CN' : 'en' } });
      if (resp.status === 404) return fail('doc.notFound');
      if (!resp.ok) return fail('doc.failed', `HTTP ${resp.status}`);
      const b = new Uint8Array(await resp.arrayBuffer());
      const doc = JSON.parse(new TextDecoder().decode(b));
      if (!KINDS.includes(doc.kind) || !Array.isArray(doc.items)) return fail('doc.failed', 'not a document view');
      const receipts = receiptBytes(b);
      if (receipts.length !== doc.items.length) return fail('doc.failed', 'not a document view');
      state.doc = doc;
      state.receipts = receipts;
      state.kind = doc.kind;
      render();
      if (!(await verifierLoaded())) return;
      recheck();
    } catch (e) {
      fail('doc.failed', String(e && e.message ? e.message : e));
    }
  }

  // recheck verifies every receipt against the trust bundle in use, once
  // the view and the verifier are there; called again whenever the bundle
  // changes (the court loads its own).
  function recheck() {
    if (!state.doc || !state.trust || typeof globalThis.custosVerify !== 'function') return;
    const trust = state.trust;
    state.results = state.doc.items.map((it, i) => check(it, state.receipts[i], trust));
    state.checkedWith = trust;
    render();
  }

  function setTrust(trust) {
    if (!trust || trust === state.trust) return;
    state.trust = trust;
    recheck();
    if (!state.results) render();
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

  // check verifies an item's receipt, its exact bytes b, against trust,
  // and that the receipt is the one of the item its row names: the same
  // evidence ID and SHA-256 in the receipt as the verifier read it (its
  // report's evidence, null when the receipt does not parse: the
  // verifier's refusal then stands), as `custos verify --pdf` binds each
  // receipt to the item its attachment's name gives.
  function check(it, b, trust) {
    let out;
    try {
      out = JSON.parse(globalThis.custosVerify(b, trust.bytes, '', '', 0));
    } catch (e) {
      return { valid: false, failed_step: '', error: { message: String(e && e.message ? e.message : e) } };
    }
    const ev = out.evidence;
    if (ev && (ev.id !== it.id || ev.sha256 !== it.sha256)) {
      return { valid: false, failed_step: 'row', row: { id: ev.id || '?', sha256: ev.sha256 || '?' } };
    }
    return out;
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
    $('h-document').textContent = t('doc.heading.' + (state.kind || 'document'));
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
      sum.textContent = state.trust ? '' : t('doc.needTrust');
      $('doc-trust').textContent = '';
      sum.dataset.state = '';
      $('document').dataset.state = 'loaded';
      return;
    }
    const ok = bad === 0 && doc.status === 'valid';
    sum.dataset.state = ok ? 'valid' : 'invalid';
    const tb = state.checkedWith;
    sum.textContent = bad === 0 ? t('doc.summary.ok', { n: doc.items.length, chain: tb.parsed.chain_id })
      : t('doc.summary.bad', { bad, n: doc.items.length });
    $('document').dataset.state = ok ? 'valid' : 'invalid';
    renderTrustUsed(tb);
  }

  // renderTrustUsed names the trust bundle the receipts were checked
  // against: its source and SHA-256.
  function renderTrustUsed(tb) {
    const e = $('doc-trust');
    e.dataset.state = tb.source === 'server' ? 'server' : 'file';
    e.dataset.sha256 = tb.sha256;
    const args = { name: tb.source, sha256: tb.sha256, chain: tb.parsed.chain_id };
    e.textContent = t(tb.source === 'server' ? 'doc.trust.server' : 'doc.trust.file', args);
  }

  function itemText(out) {
    if (!out) return t('doc.item.waiting');
    if (out.valid) {
      const ts = (out.timestamps || []).find((x) => !x.unverified);
      return t('doc.item.valid', { height: out.checkpoint ? out.checkpoint.height : '?', time: ts ? when(ts.time) : '?' });
    }
    if (out.row) return t('doc.item.otherReceipt', out.row);
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
    const legacy = LEGACY.find((k) => q.has(k));
    if (!q.has('document') && !legacy) return;
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
    if (!q.has('document')) {
      state.kind = legacy;
      return fail('doc.legacy');
    }
    state.token = q.get('document');
    if (!TOKEN_RE.test(state.token)) return fail('doc.badID');
    // The trust bundle is verify.js's: the server's, or the court's own
    // copy once loaded, which then wins.
    document.addEventListener('custos:trust', (e) => setTrust(e.detail));
    if (typeof globalThis.custosTrust === 'function') setTrust(globalThis.custosTrust());
    render();
    load();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
