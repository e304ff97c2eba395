// verify.js: the court verification page.
//
// At load it takes the verifier that verifier.js started (verify.wasm, which
// registers the global custosVerify), warms it up with its built-in receipt
// while the page is idle, and fetches this server's trust bundle. From then on verification
// makes no network call: the evidence file is hashed here (hash.js), and the
// receipt is checked by custosVerify(receiptJSON, trustJSON, sha256Hex,
// sm3Hex) against the trust bundle. Only "Fetch receipt" talks to the server,
// and the token typed for it lives in this page's memory only. A signed
// certificate PDF chosen in place of the receipt (a file that begins with
// %PDF-) is checked, against the same trust bundle, by the certificate PDF
// verifier, verifypdf.wasm (custos verify --pdf), which is loaded only
// then; verify-pdf.js writes its report.
'use strict';

(function () {
  const STEPS = ['format', 'digest', 'custody', 'completeness', 'timestamp', 'inclusion', 'checkpoint', 'evidence-record'];
  // Steps shown only when the verifier ran them (a version-5 receipt's embedded evidence record).
  const OPTIONAL = ['evidence-record'];
  const ID_RE = /^[a-z2-7]{26}$/;
  const SHA_RE = /^[0-9a-f]{64}$/;
  const { t: tr, pickLang, filePickers } = globalThis.CustosI18n;
  const H = globalThis.CustosHash;

  const state = {
    lang: 'en',
    verifier: 'loading', // loading | ready | missing | failed
    verifierError: '',
    verifierKey: '', // the i18n key of a failure other than the start's
    file: null,          // the chosen File
    digests: null,       // Promise of {sha256, sm3, size} for file
    digestsSM3: false,   // whether digests computes SM3 too
    receipt: null,       // {text, source}
    pdf: null,           // a certificate PDF chosen in place of a receipt: {name, bytes, size, sha256}
    trust: null,         // {bytes, text, source: 'server' | file name, parsed, sha256}
    trustError: '',
    result: null,        // {out, file, trust, receipt, at}
    runs: 0,
  };

  const $ = (id) => document.getElementById(id);
  const t = (key, args) => tr(state.lang, key, args);

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v);
    }
    for (const k of kids) if (k != null) e.append(k);
    return e;
  }

  // ---- language ----

  function setLang(lang) {
    state.lang = lang;
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.title = t('page.title');
    $('lang').value = lang;
    for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
    filePickers(lang);
    renderAll();
  }

  // ---- formatting ----

  const locale = () => (state.lang === 'zh' ? 'zh-CN' : 'en-GB');

  // One formatter per locale: making one costs far more than using it,
  // and a report formats a time for every custody event.
  const formatters = new Map();
  function localTime(s) {
    const d = new Date(s);
    if (isNaN(d)) return s || '';
    let f = formatters.get(locale());
    if (!f) {
      f = new Intl.DateTimeFormat(locale(), {
        year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
        hour12: false, timeZoneName: 'short',
      });
      formatters.set(locale(), f);
    }
    return f.format(d);
  }

  function utcTime(s) {
    const d = new Date(s);
    if (isNaN(d)) return s || '';
    return d.toISOString().replace('T', ' ').replace(/\.000Z$/, 'Z').replace(/Z$/, ' UTC');
  }

  function size(n) {
    const b = t('bytes', { n: Number(n).toLocaleString(locale()) });
    if (n < 1024) return b;
    const units = ['KiB', 'MiB', 'GiB', 'TiB'];
    let v = n, u = -1;
    while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
    return t('aside', { text: `${v.toFixed(1)} ${units[u]}`, note: b });
  }

  const kindLabel = (k) => t('kind.' + (['court', 'notary', 'arbitration'].includes(k) ? k : 'other'));
  const eventLabel = (ty) => { const k = 'event.' + ty; const s = t(k); return s === k ? ty : s; };
  // subjectLabel is what a viewed event read (metadata...) in the page's
  // language, as custos verify says it; any other subject as it is.
  const subjectLabel = (sj) => { const k = 'subject.' + sj; const s = t(k); return s === k ? sj : s; };

  // ---- the verifier ----

  // loadVerifier waits for the verifier that verifier.js started from the
  // page's <head>, then warms it up.
  async function loadVerifier() {
    const V = await verifierStarted();
    if (!V) { setVerifier('missing'); return; } // verifier.js is not there
    document.addEventListener('custos:verifier-exit', (e) => setVerifier('failed', e.detail.error));
    try {
      setVerifier(await V.ready);
      if (state.verifier === 'ready') { prepareTrust(); scheduleWarmUp(); }
    } catch (e) {
      setVerifier('failed', String(e && e.message ? e.message : e));
    }
  }

  // verifierStarted is verifier.js's CustosVerifier, once that async
  // script has run; undefined if it is not there (it runs before the load
  // event in any case).
  function verifierStarted() {
    if (globalThis.CustosVerifier) return Promise.resolve(globalThis.CustosVerifier);
    return new Promise((resolve) => {
      const done = () => resolve(globalThis.CustosVerifier);
      document.addEventListener('custos:verifier-start', done, { once: true });
      window.addEventListener('load', done, { once: true });
    });
  }

  // scheduleWarmUp has the verifier verify its built-in receipt once the
  // page has settled and is idle, unless the court has chosen a file or a
  // receipt by then: its own verification is coming, and would only wait
  // for the warm-up. The first call of each WebAssembly function compiles
  // it, and the busiest are compiled again, optimised: the warm-up pays for
  // that while the court is still choosing its files. It is also a
  // self-check: a verifier that rejects its built-in receipt is broken, and
  // the page says so. #verifier-status's data-warm tells how it went:
  // waiting, done, skipped or failed.
  const WARM_UP_AFTER = 500; // ms after the verifier is ready
  function scheduleWarmUp() {
    if (typeof globalThis.custosWarmUp !== 'function') return;
    const status = $('verifier-status');
    status.dataset.warm = 'waiting';
    const warm = () => {
      if (state.runs > 0 || state.file || state.receipt || state.pdf) { status.dataset.warm = 'skipped'; return; }
      let out;
      try {
        out = JSON.parse(globalThis.custosWarmUp());
      } catch (e) {
        out = { valid: false, error: { message: String(e && e.message ? e.message : e) } };
      }
      globalThis.CustosVerifier.mark('warm');
      status.dataset.warm = out.valid ? 'done' : 'failed';
      if (!out.valid) setVerifier('failed', (out.error && out.error.message) || out.failed_step, 'verifier.selfCheck');
    };
    const idle = () => (typeof requestIdleCallback === 'function' ? requestIdleCallback(warm, { timeout: 1000 }) : warm());
    setTimeout(idle, WARM_UP_AFTER);
  }

  // prepareTrust has the verifier parse and check the trust bundle
  // (custosPrepare) as soon as both are there, rather than in the court's
  // first verification: checking a bundle verifies the signatures on its
  // validators' certificates, and the verifier keeps the result for every
  // later call with the same bundle.
  function prepareTrust() {
    const tr = state.trust;
    if (!tr || tr.prepared || state.verifier !== 'ready' || typeof globalThis.custosPrepare !== 'function') return;
    tr.prepared = true;
    globalThis.custosPrepare(tr.bytes);
    if (globalThis.CustosVerifier) globalThis.CustosVerifier.mark('prepared');
  }

  // setVerifier sets the verifier's state, with the error that failed it
  // and, for a failure that is not its start, the key that says which.
  function setVerifier(s, err, key) {
    state.verifier = s;
    state.verifierError = err || '';
    state.verifierKey = key || '';
    renderVerifier();
  }

  // verifierReady is checked at each run, not only at load: tests of the
  // page's own logic may provide custosVerify themselves.
  const verifierReady = () => typeof globalThis.custosVerify === 'function' && state.verifier !== 'failed';

  // ---- inputs ----

  async function loadServerTrust() {
    $('trust-info').textContent = t('trust.loading');
    try {
      const resp = await fetch('/api/v1/trust', { headers: { Accept: 'application/json' } });
      if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
      const bytes = new Uint8Array(await resp.arrayBuffer());
      if (state.trust && state.trust.source !== 'server') return; // the court's copy wins
      setTrust(bytes, 'server');
    } catch (e) {
      if (!state.trust) { state.trustError = String(e.message || e); renderTrust(); }
    }
  }

  // setTrust takes the trust bundle's exact bytes, which the verifier
  // checks, as custos verify --trust reads the file: a text decoding would
  // drop a leading byte-order mark (custos verify finds such a bundle
  // unusable) and replace bytes that are not UTF-8. text is for the page's
  // own display (chain, validators) only.
  function setTrust(bytes, source) {
    const text = new TextDecoder().decode(bytes);
    const parsed = JSON.parse(text); // the verifier checks it properly
    if (!parsed || typeof parsed !== 'object' || !Array.isArray(parsed.validators)) throw new Error('no validators');
    state.trust = { bytes, text, source, parsed, sha256: H.sha256Hex(bytes) };
    state.trustError = '';
    renderTrust();
    prepareTrust();
    autoVerify();
    shareTrust();
  }

  // shareTrust tells the document section (verify-doc.js) which trust
  // bundle is in use, so that a signed document's receipts are checked
  // against the same one: the court's copy as soon as it is loaded.
  function shareTrust() {
    document.dispatchEvent(new CustomEvent('custos:trust', { detail: state.trust }));
  }
  globalThis.custosTrust = () => state.trust;

  // setReceipt takes the receipt's exact bytes: they, not a text decoding
  // of them, are what custosVerify checks (a decoding drops a leading
  // byte-order mark and replaces bytes that are not UTF-8, which custos
  // verify refuses at step format). text is for the preview only.
  function setReceipt(bytes, source) {
    const text = new TextDecoder().decode(bytes);
    let id = '', sm3 = false, ok = true;
    try {
      const r = JSON.parse(text);
      id = (r && r.evidence && r.evidence.id) || '';
      sm3 = !!(r && r.evidence && r.evidence.sm3);
    } catch (e) { ok = false; }
    state.receipt = { text, bytes, source, id, sm3, ok, sha256: H.sha256Hex(bytes) };
    state.pdf = null;
    if (state.file && sm3 && !state.digestsSM3) state.digests = hashFile(state.file); // SM3 is now needed
    renderReceipt();
    autoVerify();
  }

  // setPDF takes a certificate PDF chosen in place of a receipt, its
  // exact bytes, which the certificate PDF verifier checks.
  function setPDF(bytes, name) {
    state.pdf = { name, bytes, size: bytes.length, sha256: H.sha256Hex(bytes) };
    state.receipt = null;
    renderReceipt();
    autoVerify();
  }

  function hashFile(file) {
    const wantSM3 = !!(state.receipt && state.receipt.sm3);
    state.digestsSM3 = wantSM3;
    $('file-info').textContent = t('file.hashing', { name: file.name });
    const p = H.digestFile(file, wantSM3);
    p.then(() => { if (state.file === file) renderFile(); }, () => {});
    return p;
  }

  async function readFile(input) {
    const f = input.files && input.files[0];
    return f ? { name: f.name, text: await f.text(), bytes: new Uint8Array(await f.arrayBuffer()) } : null;
  }

  async function fetchReceipt() {
    const q = $('lookup-q').value.trim();
    const token = $('token').value.trim();
    const status = $('fetch-status');
    const auth = token ? { Authorization: 'Bearer ' + token } : {};
    const say = (key, args) => { status.textContent = t(key, args); };
    let id = q;
    try {
      if (SHA_RE.test(q.toLowerCase())) {
        const sha = q.toLowerCase();
        say('fetch.busy');
        const l = await getJSON('/api/v1/lookup?sha256=' + sha, {});
        if (!l.anchored) { say('fetch.lookupNone'); return; }
        if (!token) { say('fetch.lookup', { height: l.height, time: localTime(l.anchored_at) }); return; }
        const list = await getJSON('/api/v1/evidence?limit=1&sha256=' + sha, auth);
        if (!list.items || !list.items.length) { say('fetch.noneVisible'); return; }
        id = list.items[0].id;
      } else if (!ID_RE.test(q)) {
        say('fetch.bad'); return;
      }
      if (!token) { say('fetch.needToken'); return; }
      say('fetch.busy');
      const resp = await fetch(`/api/v1/evidence/${id}/receipt?wait=5s`, { headers: Object.assign({ 'Accept-Language': locale() }, auth) });
      if (!resp.ok) throw await problem(resp);
      setReceipt(new Uint8Array(await resp.arrayBuffer()), t('receipt.fromServer'));
      say('fetch.done');
    } catch (e) {
      if (e && e.status) say('fetch.failed', { status: e.status, detail: e.detail });
      else say('fetch.network', { error: String(e && e.message ? e.message : e) });
    }
  }

  async function getJSON(url, headers) {
    // The server's problems come in the page's language.
    const resp = await fetch(url, { headers: Object.assign({ Accept: 'application/json', 'Accept-Language': locale() }, headers) });
    if (!resp.ok) throw await problem(resp);
    return resp.json();
  }

  async function problem(resp) {
    let detail = resp.statusText;
    try { const p = await resp.json(); detail = p.detail || p.title || detail; } catch (e) { /* not JSON */ }
    return { status: resp.status, detail };
  }

  // ---- verification ----

  let autoTimer = 0;
  function autoVerify() {
    if (state.pdf && state.trust) {
      clearTimeout(autoTimer);
      autoTimer = setTimeout(verify, 0);
      return;
    }
    if (!state.receipt || !state.trust || !verifierReady()) return;
    clearTimeout(autoTimer);
    autoTimer = setTimeout(verify, 0);
  }

  async function verify() {
    if (state.pdf) return verifyPDF();
    const vs = $('verify-status');
    if (!verifierReady()) { vs.textContent = t('verify.needVerifier'); return; }
    if (!state.receipt) { vs.textContent = t('verify.needReceipt'); return; }
    if (!state.trust) { vs.textContent = t('verify.needTrust'); return; }
    const run = ++state.runs;
    const res = $('result');
    res.dataset.state = 'running';
    vs.textContent = t('verify.running');
    const { file, receipt, trust } = state;
    let d = { sha256: '', sm3: '', size: 0 };
    let out;
    try {
      if (file) d = await state.digests;
      if (run !== state.runs) return; // inputs changed meanwhile
      // The optional fifth argument, the file's size, lets the
      // verifier check the size as well as the digests.
      out = JSON.parse(globalThis.custosVerify(receipt.bytes, trust.bytes, d.sha256, d.sm3, file ? d.size : 0));
    } catch (e) {
      out = { valid: false, failed_step: '', error: { message: String(e && e.message ? e.message : e) } };
    }
    if (run !== state.runs) return;
    state.result = { out, file: file ? { name: file.name, ...d } : null, trust, receipt, at: new Date() };
    vs.textContent = '';
    renderResult();
    res.hidden = false;
    $('h-result').focus();
    if (out.valid) confirmWithNode(state.result, run);
  }

  // verifyPDF checks the certificate PDF against the trust bundle with the
  // certificate PDF verifier, loading it first if need be: its report is
  // custos verify --pdf --json's.
  async function verifyPDF() {
    const vs = $('verify-status');
    if (!state.trust) { vs.textContent = t('verify.needTrust'); return; }
    const run = ++state.runs;
    const { pdf, trust } = state;
    $('result').dataset.state = 'running';
    vs.textContent = t('pdf.loading');
    let out;
    try {
      const V = await verifierStarted();
      const ready = V && V.loadPDF ? await V.loadPDF() : 'missing';
      if (run !== state.runs) return;
      if (ready !== 'ready') { vs.textContent = t('pdf.missing'); $('result').dataset.state = 'missing'; return; }
      vs.textContent = t('verify.running');
      // The trust bundle's name for a message about it, as --trust names its file.
      const trustName = trust.source === 'server' ? '/api/v1/trust' : trust.source;
      out = JSON.parse(globalThis.custosVerifyPDF(pdf.bytes, trust.bytes, pdf.name, trustName));
    } catch (e) {
      if (run !== state.runs) return;
      vs.textContent = t('pdf.failed', { error: String(e && e.message ? e.message : e) });
      $('result').dataset.state = 'failed';
      return;
    }
    if (run !== state.runs) return;
    state.result = { kind: 'pdf', out, pdf, trust, file: null, at: new Date() };
    vs.textContent = '';
    renderResult();
    $('result').hidden = false;
    $('h-result').focus();
  }

  // confirmWithNode asks the node that serves this page to confirm a valid
  // receipt against its own chain, as `custos verify --node` does: its
  // latest checkpoint (which must verify under the same trust bundle) and
  // its consistency proof from the receipt's log to its own. A node still
  // behind the receipt's block is asked again for up to 10 s. Opened from a
  // file, the page has no node to ask.
  async function confirmWithNode(r, run) {
    if (!/^https?:$/.test(location.protocol) || typeof globalThis.custosConfirm !== 'function') return;
    const rcp = r.out.checkpoint || {};
    r.node = { state: 'checking' };
    renderNode(r);
    let c;
    try {
      for (let tries = 0; ; tries++) {
        const cp = await getJSON('/api/v1/log/checkpoint');
        let proof = '{}';
        if (cp.chain_id === rcp.chain_id && cp.tree_size >= rcp.tree_size) {
          proof = JSON.stringify(await getJSON(`/api/v1/log/consistency?first=${rcp.tree_size}&second=${cp.tree_size}`));
        } else if (cp.chain_id === rcp.chain_id && tries < 20) {
          await new Promise((ok) => setTimeout(ok, 500));
          continue;
        }
        c = JSON.parse(globalThis.custosConfirm(r.receipt.bytes, r.trust.bytes, JSON.stringify(cp), proof));
        break;
      }
    } catch (e) {
      c = { confirmed: false, contradicted: false, message: String(e && e.message ? e.message : e) };
    }
    if (run !== state.runs) return;
    r.node = { state: c.confirmed ? 'confirmed' : c.contradicted ? 'contradicted' : 'unconfirmed', c };
    renderNode(r);
  }

  function renderNode(r) {
    const p = $('node-confirm');
    if (!r || !r.node) { p.hidden = true; return; }
    const c = r.node.c || {};
    p.dataset.state = r.node.state;
    p.textContent = t('node.' + r.node.state, { host: location.host, height: c.height, size: (r.out.checkpoint || {}).tree_size, reason: c.message || '' });
    p.hidden = false;
  }

  // ---- rendering ----

  function renderAll() {
    renderVerifier();
    renderFile();
    renderReceipt();
    renderTrust();
    renderResult();
  }

  function renderVerifier() {
    const e = $('verifier-status');
    e.dataset.state = state.verifier;
    e.textContent = t(state.verifierKey || 'verifier.' + state.verifier, { error: state.verifierError });
  }

  function renderFile() {
    const e = $('file-info');
    if (!state.file) { e.textContent = t('file.none'); return; }
    const f = state.file;
    state.digests.then((d) => {
      if (state.file === f) e.textContent = t('file.hashed', { name: f.name, size: size(f.size), sha256: d.sha256 });
    }, (err) => { e.textContent = String(err); });
  }

  function renderReceipt() {
    const p = state.pdf;
    if (p) { $('receipt-info').textContent = t('pdf.chosen', { name: p.name, size: size(p.size), sha256: p.sha256 }); return; }
    const r = state.receipt;
    $('receipt-info').textContent = !r ? t('receipt.none')
      : r.ok && r.id ? t('receipt.loaded', { id: r.id, source: r.source }) : t('receipt.unreadable', { source: r.source });
  }

  function renderTrust() {
    const e = $('trust-info');
    const tb = state.trust;
    if (!tb) { e.textContent = state.trustError ? t('trust.failed', { error: state.trustError }) : t('trust.loading'); return; }
    const args = { chain: tb.parsed.chain_id, n: tb.parsed.validators.length, name: tb.source };
    e.textContent = tb.source === 'server' ? t('trust.server', args) : t('trust.file', args);
  }

  function renderResult() {
    const r = state.result;
    const res = $('result');
    if (!r) return;
    const out = r.out;
    const pdf = r.kind === 'pdf';
    $('pdf-report').hidden = !pdf;
    $('receipt-grid').hidden = pdf;
    $('receipt-timeline').hidden = pdf;
    res.dataset.kind = pdf ? 'pdf' : 'receipt';
    const failed = out.valid ? '' : pdf ? out.step || 'input' : (out.failed_step || (out.error && out.error.step) || '');
    res.dataset.state = out.valid ? 'valid' : 'invalid';
    res.dataset.failedStep = failed;
    res.dataset.file = pdf ? r.pdf.name : r.file ? r.file.name : '';
    res.dataset.run = String(state.runs);
    if (pdf) {
      globalThis.CustosPDFReport.render(r, { t, el, facts, localTime, utcTime, size, techDetail, verifierWords, lang: () => state.lang });
      renderBasis(r);
      return;
    }
    renderVerdict(r, failed);
    renderSteps(r, failed);
    renderEvidence(r);
    renderCheckpoint(r);
    renderTimeline(r);
    renderBasis(r);
    renderNode(r);
  }

  // verifierWords is a step's summary in the verifier's own words, which
  // are English: under the step in English, folded away in Chinese (the
  // step's Chinese text above says the same).
  function verifierWords(summary) {
    const p = el('p', { class: 'tech-summary', lang: 'en', text: summary });
    if (state.lang === 'en') return p;
    return el('details', { class: 'tech' }, el('summary', { text: t('tech.verifierWords') }), p);
  }

  // wantWords is a failure's want in the page's language where the page
  // has its words: the receipts the verifier reads (its format step's
  // want, "a canonical receipt, version 1 to 5"); else the verifier's.
  function wantWords(err) {
    const m = err.step === 'format' && /^a canonical receipt, version (\d+) to (\d+)$/.exec(err.want || '');
    return m ? t('want.format', { from: m[1], to: m[2] }) : err.want;
  }

  function techDetail(err) {
    if (!err) return null;
    const dl = el('dl', { class: 'facts' });
    for (const [k, v] of [['tech.want', wantWords(err)], ['tech.got', err.got], ['tech.message', err.message]]) {
      if (v) dl.append(el('dt', { text: t(k) }), el('dd', { class: 'mono', text: v }));
    }
    return el('details', { class: 'tech' }, el('summary', { text: t('tech.summary') }), dl);
  }

  function renderVerdict(r, failed) {
    const v = $('verdict');
    v.replaceChildren();
    const out = r.out;
    if (out.valid) {
      v.className = 'verdict ok';
      v.append(el('p', { class: 'big', text: '✔ ' + t('verdict.ok') }),
        el('p', { class: 'explain', text: t(r.file ? 'verdict.okFile' : 'verdict.okNoFile') }));
      return;
    }
    v.className = 'verdict bad';
    const known = STEPS.includes(failed);
    v.append(
      el('p', { class: 'big', text: '✘ ' + (known ? t('verdict.bad', { step: t('step.' + failed) }) : t('verdict.error')) }),
      el('p', { class: 'explain', text: t(known ? 'fail.' + failed : failed === 'input' ? 'fail.input' : 'fail.unknown') }),
      techDetail(out.error));
  }

  function stepStatus(r, name, failed) {
    const s = (r.out.steps || []).find((x) => x.step === name);
    if (failed === name || (s && !s.ok)) return { status: 'fail', s };
    if (name === 'digest' && (!r.file || (s && s.skipped))) return { status: 'skip', s };
    if (name === 'evidence-record' && s && s.skipped) return { status: 'skip', s };
    if (name === 'completeness' && s && s.skipped) return { status: 'unproven', s };
    if (s && s.ok) return { status: 'pass', s };
    if (!failed && r.out.valid) return { status: 'pass', s };
    return { status: 'notrun', s };
  }

  function passText(r, name) {
    const o = r.out;
    const ev = o.events || [];
    const cp = o.checkpoint || {};
    switch (name) {
      case 'digest': {
        const sm3 = r.file && r.file.sm3 ? ', SM3 ' + r.file.sm3 : '';
        return t('pass.digest', { sha256: r.file ? r.file.sha256 : '', sm3 });
      }
      case 'custody': return t('pass.custody', { n: ev.length });
      case 'completeness': {
        const c = o.custody || {};
        const om = Object.entries(c.omitted || {}).map(([k, v]) => `${v} × ${eventLabel(k)}`).join(', ');
        return om ? t('pass.completeness.some', { total: c.total, listed: c.listed, omitted: om })
          : t('pass.completeness', { total: c.total });
      }
      case 'timestamp':
        return (o.timestamps || []).map((ts) => ts.unverified ? t('pass.timestamp.unchecked')
          : t('pass.timestamp', { local: localTime(ts.time), utc: utcTime(ts.time), tsa: ts.tsa || '?' })).join(' ');
      case 'inclusion': return t('pass.inclusion', { n: ev.length, size: cp.tree_size });
      case 'checkpoint': {
        const vals = (r.trust.parsed.validators || []).length;
        return t('pass.checkpoint', { k: (cp.signers || []).length, m: vals, signed: cp.signed_power, total: cp.total_power, height: cp.height });
      }
      default: return t('pass.' + name);
    }
  }

  function renderSteps(r, failed) {
    const ol = $('steps');
    ol.replaceChildren();
    for (const name of STEPS) {
      if (OPTIONAL.includes(name) && failed !== name && !(r.out.steps || []).some((x) => x.step === name)) continue;
      const { status, s } = stepStatus(r, name, failed);
      const what = status === 'pass' ? passText(r, name)
        : status === 'fail' ? t('fail.' + name)
        : status === 'skip' ? t('skip.' + name)
        : status === 'unproven' ? t('unproven.completeness') : t('notrun.any');
      const body = el('div', {},
        el('p', { class: 'name', text: t('step.' + name) }),
        el('p', { class: 'what', text: what }),
        s && s.summary ? verifierWords(s.summary) : null,
        status === 'fail' ? techDetail(r.out.error) : null);
      ol.append(el('li', { class: 'step', 'data-step': name, 'data-status': status },
        el('span', { class: 'badge', text: (status === 'pass' ? '✔ ' : status === 'fail' ? '✘ ' : status === 'unproven' ? '! ' : '– ') + t('status.' + status) }), body));
    }
  }

  function facts(dl, rows) {
    dl.replaceChildren();
    for (const [k, v, mono] of rows) {
      if (v === undefined || v === null || v === '') continue;
      dl.append(el('dt', { text: t(k) }), el('dd', { class: mono ? 'mono' : '', text: String(v) }));
    }
  }

  function renderEvidence(r) {
    const e = r.out.evidence || {};
    const ts = (r.out.timestamps || []).filter((x) => !x.unverified).map((x) => t('evidence.timestampLine', { local: localTime(x.time), utc: utcTime(x.time), tsa: x.tsa || '?', serial: x.serial || '?' })).join(t('listSep'));
    facts($('evidence'), [
      ['evidence.id', e.id, true], ['evidence.sha256', e.sha256, true], ['evidence.sm3', e.sm3, true],
      ['evidence.size', e.size ? size(e.size) : ''], ['evidence.type', e.media_type],
      ['evidence.timestamp', ts],
      ['evidence.file', r.file ? r.file.name : t('evidence.nofile')],
    ]);
  }

  function renderCheckpoint(r) {
    const cp = r.out.checkpoint || {};
    facts($('checkpoint'), [
      ['checkpoint.chain', cp.chain_id, true], ['checkpoint.height', cp.height],
      ['checkpoint.time', cp.time ? t('aside', { text: localTime(cp.time), note: utcTime(cp.time) }) : ''],
      ['checkpoint.size', cp.tree_size], ['checkpoint.root', cp.root, true],
      ['checkpoint.power', cp.total_power ? `${cp.signed_power} / ${cp.total_power}` : ''],
    ]);
    // Every trusted member, marked by whether its signature was verified.
    const signed = new Map((cp.signers || []).map((s) => [s.name, s]));
    const members = (r.trust.parsed.validators || []).map((v) => ({ name: v.name, kind: v.kind, power: v.power }));
    for (const s of cp.signers || []) if (!members.some((m) => m.name === s.name)) members.push(s);
    const tbody = $('signers').tBodies[0];
    tbody.replaceChildren();
    for (const m of members) {
      // Without a verified checkpoint nobody's signature was checked.
      const yes = signed.has(m.name);
      const text = yes ? '✔ ' + t('signers.yes') : r.out.checkpoint ? t('signers.no') : t('signers.unknown');
      tbody.append(el('tr', { 'data-signed': String(yes) },
        el('td', { text: m.name || '?' }), el('td', { text: kindLabel(m.kind) }), el('td', { text: String(m.power) }),
        el('td', { class: yes ? 'yes' : 'no', text })));
    }
  }

  function renderTimeline(r) {
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || '';
    $('timeline-tz').textContent = t('timeline.tz', { tz });
    const tbody = $('timeline').tBodies[0];
    tbody.replaceChildren();
    const evs = r.out.events || [];
    if (!evs.length) {
      tbody.append(el('tr', {}, el('td', { colspan: '6', text: t('timeline.none') })));
      return;
    }
    for (const e of evs) {
      tbody.append(el('tr', { 'data-type': e.type },
        el('td', { text: String(e.seq) }), el('td', { text: eventLabel(e.type) }),
        el('td', { 'data-label': t('timeline.local'), text: localTime(e.time) }),
        el('td', { 'data-label': t('timeline.utc'), text: utcTime(e.time) }),
        el('td', { 'data-label': t('timeline.actor'), class: 'mono', text: e.actor || '' }),
        el('td', { 'data-label': t('timeline.subject'), class: 'mono', text: e.reads ? t('aside', { text: `${subjectLabel(e.subject || '')} ×${e.reads}`, note: `${utcTime(e.since)} – ${utcTime(e.time)}` }) : subjectLabel(e.subject || '') })));
    }
  }

  function renderBasis(r) {
    const tb = r.trust;
    const pdf = r.kind === 'pdf';
    facts($('basis'), [
      ['basis.trust', t('aside', { text: tb.parsed.chain_id, note: tb.parsed.validators.length }), true],
      ['basis.trustSource', tb.source === 'server' ? t('basis.trustServer') : t('basis.trustFile', { name: tb.source })],
      ['basis.trustSHA', tb.sha256, true],
      pdf ? ['basis.pdfSHA', r.pdf.sha256, true] : ['basis.receiptSHA', r.receipt.sha256, true],
      ['basis.when', t('aside', { text: localTime(r.at), note: utcTime(r.at) })],
      ['basis.where', t(pdf ? 'basis.pdfWhereValue' : 'basis.whereValue')],
    ]);
  }

  // ---- wiring ----

  function on(id, ev, fn) { $(id).addEventListener(ev, fn); }

  function init() {
    on('lang', 'change', (e) => setLang(e.target.value));
    on('file', 'change', (e) => {
      const f = e.target.files && e.target.files[0];
      state.file = f || null;
      state.digests = f ? hashFile(f) : null;
      renderFile();
      autoVerify();
    });
    // A certificate PDF may be chosen (or dropped) here in place of a receipt.
    on('receipt-file', 'change', async (e) => {
      const f = await readFile(e.target);
      if (f && globalThis.CustosPDFReport && globalThis.CustosPDFReport.isPDF(f.bytes)) setPDF(f.bytes, f.name);
      else if (f) setReceipt(f.bytes, f.name);
    });
    on('trust-file', 'change', async (e) => {
      const f = await readFile(e.target);
      if (!f) return;
      try { setTrust(f.bytes, f.name); } catch (err) { $('trust-info').textContent = t('trust.bad', { error: err.message }); }
    });
    on('fetch-btn', 'click', fetchReceipt);
    on('lookup-q', 'keydown', (e) => { if (e.key === 'Enter') fetchReceipt(); });
    on('verify-btn', 'click', verify);
    on('print-btn', 'click', () => window.print());
    // The report prints the technical detail too.
    const opened = [];
    window.addEventListener('beforeprint', () => {
      for (const d of document.querySelectorAll('#result details:not([open])')) { d.open = true; opened.push(d); }
    });
    window.addEventListener('afterprint', () => { while (opened.length) opened.pop().open = false; });

    setLang(pickLang());
    loadVerifier().then(autoVerify);
    loadServerTrust();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
