// console.js: the signed-in console (/console).
//
// Sign in by pasting an API key. The key lives in this script's memory only
// (the variable token below): not in Web Storage, IndexedDB or a cookie,
// so it never reaches the disk and no other page or tab can read it.
// Reloading or closing the page signs out; that is the price of keeping a
// long-lived bearer credential for evidence off the disk.
//
// Everything goes through the public API (/api/v1/...) with the key as a
// bearer token: connect-src 'self' is all the page needs. Downloads are
// fetched with the token and handed to the browser as blob: URLs, because a
// plain link cannot carry an Authorization header.
'use strict';

(function () {
  const ID_RE = /^[a-z2-7]{26}$/;
  const SHA_RE = /^[0-9a-f]{64}$/;
  const PAGE = 20;
  const { t: tr, pickLang, filePickers } = globalThis.CustosI18n;

  let token = ''; // the API key: memory only, see above

  const state = {
    lang: 'en',
    me: null,           // GET /api/v1/me
    items: [],          // evidence rows, newest first
    cursor: '',         // next_cursor of the last page
    filter: '',
    shares: null,       // GET /api/v1/shares (made)
    orgs: new Map(),    // org ID -> {name, kind} or null (unknown), for names
    msgs: {},           // element ID -> message, re-rendered on language change
    upload: null,       // {xhr} while uploading
    progress: null,     // {loaded, total} of the last upload
    uploaded: null,     // the last 201 record
    idem: null,         // {file, title, key}: Idempotency-Key reused on retry
    matters: null,      // GET /api/v1/matters (own)
    received: null,     // GET /api/v1/shares?direction=received
    recs: new Map(),    // evidence or matter ID -> its record, for names
    item: null,         // the item open in #item: {kind, rec, items}
    verdict: null,      // the in-page verification of the open item
    shareTo: null,      // the organization the share box resolved: {id, name, kind, member_name, query}
    directory: null,    // GET /api/v1/directory items, for the datalist
    certs: null,        // GET /api/v1/certificates
    works: null,        // GET /api/v1/copyrights (own)
    work: null,         // the last registration made here
    matches: null,      // the last priority search
  };

  const $ = (id) => document.getElementById(id);

  // The sections each kind of organization works with, and the permission
  // each needs. An organization of another kind (the operator) gets every
  // section its key's role allows.
  const KIND_SECTIONS = {
    lawfirm: ['upload', 'matters', 'list', 'share'],
    court: ['received', 'list', 'item'],
    arbitration: ['received', 'list', 'item'],
    notary: ['received', 'list', 'item', 'certify'],
    ipowner: ['works', 'search', 'list'],
  };
  const SECTION_NEEDS = {
    upload: 'file', matters: 'file', list: 'read', share: 'share', received: 'read', item: 'read',
    certify: 'certify', works: 'file', search: 'read',
  };
  function shows(section) {
    const me = state.me;
    if (!me || !me.permissions.includes(SECTION_NEEDS[section])) return false;
    const want = KIND_SECTIONS[me.org.kind];
    return !want || want.includes(section);
  }
  const t = (key, args) => tr(state.lang, key, args);

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k === 'on') for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const k of kids) if (k != null && k !== '') e.append(k);
    return e;
  }

  // ---- language ----

  function setLang(lang) {
    state.lang = lang;
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.title = t('console.page.title');
    $('lang').value = lang;
    for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
    filePickers(lang);
    $('verify-link').href = '/verify?lang=' + lang;
    renderAll();
  }

  // ---- formatting ----

  const locale = () => (state.lang === 'zh' ? 'zh-CN' : 'en-GB');

  function localTime(s) {
    const d = new Date(s);
    if (!s || isNaN(d)) return s || '';
    return new Intl.DateTimeFormat(locale(), {
      year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
      hour12: false, timeZoneName: 'short',
    }).format(d);
  }

  function size(n) {
    n = Number(n) || 0;
    if (n < 1024) return t('bytes', { n: n.toLocaleString(locale()) });
    const units = ['KiB', 'MiB', 'GiB', 'TiB'];
    let v = n, u = -1;
    while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
    return `${v.toFixed(1)} ${units[u]}`;
  }

  const label = (prefix, v) => { const k = prefix + v; const s = t(k); return s === k ? v : s; };
  const itemName = (it) => it.title || it.file_name || it.id;
  const ownOrg = () => (state.me ? state.me.org.id : '');
  const ownerOrg = (it) => String(it.owner || '').split(':')[0];

  // ---- messages (kept as keys, so a language switch re-translates them) ----

  // say shows a message in the element id: {key, args} or an error from
  // the server (err), with kind '' | 'ok' | 'bad' | 'pending'.
  function say(id, key, args, kind, err) {
    if (err === STALE) return;
    state.msgs[id] = key || err ? { key, args, kind: kind || '', err } : null;
    renderMsg(id);
  }

  function renderMsg(id) {
    const box = $(id);
    const m = state.msgs[id];
    box.replaceChildren();
    box.className = 'hint';
    if (!m) return;
    if (m.err) { box.className = 'error'; box.append(...errorNodes(m.err)); return; }
    if (m.kind === 'bad') box.className = 'error';
    box.textContent = t(m.key, m.args);
  }

  // errorNodes renders a problem document (RFC 9457) or a network error.
  function errorNodes(e) {
    if (!e.status) return [t('console.err.network', { error: e.message || String(e) })];
    const head = t('console.err.server', { status: e.status, title: e.title || '' }) + (e.detail ? ' ' + e.detail : '');
    const out = [head];
    if (Array.isArray(e.errors) && e.errors.length) {
      out.push(el('ul', {}, ...e.errors.map((x) => el('li', { text: t('console.err.field', { field: x.field, message: x.message }) }))));
    }
    return out;
  }

  // ---- the API ----

  async function problem(status, text, statusText) {
    let p = {};
    try { p = JSON.parse(text); } catch (e) { /* not JSON */ }
    return { status, title: p.title || statusText || '', detail: p.detail || '', errors: p.errors, type: p.type || '' };
  }

  // call makes an authenticated request. It answers the Response for
  // 2xx (202 included), and throws a problem for the rest. A 401 signs out.
  async function call(method, path, body) {
    const headers = { Authorization: 'Bearer ' + token, Accept: 'application/json', 'Accept-Language': locale() };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const sent = token;
    const resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
    if (sent !== token) throw STALE; // signed out (or in again) meanwhile
    if (resp.ok) return resp;
    const p = await problem(resp.status, await resp.text(), resp.statusText);
    if (resp.status === 401 && sent && sent === token && state.me) {
      signOut();
      say('signin-status', '', null, 'bad', p);
    }
    throw p;
  }

  // STALE is thrown for answers that arrive after the key they were asked
  // with was signed out: they are dropped without a word.
  const STALE = { stale: true };

  const getJSON = async (path) => {
    const sent = token;
    const v = await (await call('GET', path)).json();
    if (sent !== token) throw STALE;
    return v;
  };

  // ---- sign in and out ----

  async function signIn(ev) {
    ev.preventDefault();
    const key = $('key').value.trim();
    if (!key) { say('signin-status', 'console.signin.needKey', null, 'bad'); $('key').focus(); return; }
    token = key;
    say('signin-status', 'console.signin.busy');
    $('signin-btn').disabled = true;
    try {
      state.me = await getJSON('/api/v1/me');
    } catch (e) {
      token = '';
      say('signin-status', '', null, 'bad', e);
      $('signin-btn').disabled = false;
      return;
    }
    $('signin-btn').disabled = false;
    $('key').value = '';
    say('signin-status', '');
    state.orgs.set(state.me.org.id, { name: state.me.org.name, kind: state.me.org.kind });
    document.body.dataset.signedIn = 'true';
    renderAll();
    $('h-session').focus();
    // The received shares are named from the list once it is in, so that
    // only items outside it are read one by one (each read is recorded).
    const listed = shows('list') ? loadList(true) : Promise.resolve();
    if (shows('share')) { loadShares(); loadDirectory(); }
    if (shows('matters')) loadMatters();
    if (shows('received')) listed.then(loadReceived);
    if (shows('certify')) loadCerts();
    if (shows('works')) loadWorks();
  }

  function signOut() {
    token = '';
    listRun++;
    if (state.upload) state.upload.xhr.abort();
    Object.assign(state, { me: null, items: [], cursor: '', filter: '', shares: null, msgs: {}, upload: null, progress: null, uploaded: null, idem: null,
      matters: null, received: null, item: null, verdict: null, shareTo: null, directory: null, certs: null, works: null, work: null, matches: null });
    state.orgs.clear();
    state.recs.clear();
    for (const f of document.querySelectorAll('form')) f.reset();
    delete document.body.dataset.signedIn;
    renderAll();
    $('key').focus();
  }

  // ---- evidence list ----

  let listRun = 0;
  async function loadList(fresh) {
    const run = ++listRun;
    const q = new URLSearchParams({ limit: String(PAGE) });
    const f = state.filter;
    if (SHA_RE.test(f.toLowerCase())) q.set('sha256', f.toLowerCase());
    else if (f) q.set('title', f);
    if (!fresh && state.cursor) q.set('cursor', state.cursor);
    say('list-status', 'console.list.loading');
    $('more-btn').disabled = true;
    try {
      const page = await getJSON('/api/v1/evidence?' + q);
      if (run !== listRun) return;
      const items = page.items || [];
      state.items = fresh ? items : state.items.concat(items.filter((x) => !state.items.some((y) => y.id === x.id)));
      state.cursor = page.next_cursor || '';
      say('list-status', state.items.length ? 'console.list.count' : f ? 'console.list.noMatch' : 'console.list.empty', { n: state.items.length });
      resolveOrgs(state.items.map(ownerOrg));
    } catch (e) {
      if (run === listRun) say('list-status', '', null, 'bad', e);
    }
    $('more-btn').disabled = false;
    renderList();
  }

  function renderList() {
    const tbody = $('ev-table').tBodies[0];
    tbody.replaceChildren(...state.items.map(row));
    $('more-btn').hidden = !state.cursor;
    renderCertItems();
  }

  function row(it) {
    const name = itemName(it);
    const shared = state.me && ownerOrg(it) !== ownOrg();
    const from = shared ? state.orgs.get(ownerOrg(it)) : null;
    const acts = el('div', { class: 'acts' },
      el('button', { type: 'button', 'data-act': 'content', 'aria-label': t('console.act.contentFor', { name }), text: t('console.act.content'), on: { click: () => downloadContent(it) } }),
      el('button', { type: 'button', 'data-act': 'receipt', 'aria-label': t('console.act.receiptFor', { name }), text: t('console.act.receipt'), on: { click: () => downloadReceipt(it, false) } }),
      el('button', { type: 'button', 'data-act': 'timestamp', 'aria-label': t('console.act.timestampFor', { name }), text: t('console.act.timestamp'), on: { click: () => downloadTimestamp(it) } }),
      shows('item') ? el('button', { type: 'button', 'data-act': 'open', 'aria-label': t('console.act.openFor', { name }), text: t('console.act.open'), on: { click: () => openItem('evidence', it.id) } }) : null,
      !shared && shows('share') ? el('button', { type: 'button', 'data-act': 'share', 'aria-label': t('console.act.shareFor', { name }), text: t('console.act.share'), on: { click: () => startShare(it) } }) : null,
      el('a', { class: 'button', href: '/verify?lang=' + state.lang, target: '_blank', rel: 'noopener', 'data-act': 'verify', 'aria-label': t('console.act.verifyFor', { name }), text: t('console.act.verify') }));
    const msg = it.msg ? rowMsg(it) : null;
    return el('tr', { 'data-id': it.id, 'data-status': it.status },
      el('td', { class: 'no-label' },
        el('p', { class: 't-title', text: name }),
        it.title && it.file_name ? el('p', { class: 't-sub', text: it.file_name }) : null,
        el('p', { class: 't-sub mono', text: 'ID ' + it.id }),
        el('p', { class: 't-sub mono', text: 'SHA-256 ' + it.sha256 }),
        shared ? el('span', { class: 'pill shared-in', text: t('console.list.sharedIn', { org: from ? from.name : ownerOrg(it) }) }) : null),
      el('td', { 'data-label': t('console.col.size'), class: 'nowrap', text: size(it.size) }),
      // A line may break after the slash of a long media type.
      el('td', { 'data-label': t('console.col.type'), class: 'mono type' }, ...String(it.media_type || '').split('/').flatMap((p, i) => (i ? ['/', el('wbr'), p] : [p]))),
      el('td', { 'data-label': t('console.col.status') },
        el('span', { class: 'pill ' + (it.status === 'anchored' ? 'anchored' : 'timestamped'), text: label('console.status.', it.status === 'anchored' ? 'anchored' : 'timestamped') })),
      el('td', { 'data-label': t('console.col.time'), text: localTime(it.created_at) }),
      el('td', { class: 'no-label' }, acts, msg));
  }

  // rowMsg is the line under a row's actions: what its last download did.
  function rowMsg(it) {
    const m = it.msg;
    const p = el('p', { class: 'row-msg ' + (m.kind || ''), role: 'status', 'data-state': m.state || '' });
    if (m.err) p.append(...errorNodes(m.err));
    else p.append(t(m.key, m.args));
    if (m.state === 'pending') {
      p.append(el('button', { type: 'button', 'data-act': 'wait', text: t('console.receipt.wait'), on: { click: () => downloadReceipt(it, true) } }));
    }
    return p;
  }

  function setRowMsg(it, m) {
    if (m.err === STALE) return;
    it.msg = m;
    const old = $('ev-table').querySelector(`tr[data-id="${it.id}"]`);
    if (!old) return;
    const focused = document.activeElement && old.contains(document.activeElement) ? document.activeElement.dataset.act : '';
    const fresh = row(it);
    old.replaceWith(fresh);
    // Keep the keyboard where it was (the wait button, once offered, gets it).
    const target = (m.state === 'pending' && fresh.querySelector('[data-act="wait"]')) || (focused && fresh.querySelector(`[data-act="${focused}"]`));
    if (target && focused) target.focus();
  }

  function filterList(ev) {
    ev.preventDefault();
    state.filter = $('filter').value.trim();
    loadList(true);
  }

  // ---- downloads ----

  function saveBlob(blob, name) {
    const url = URL.createObjectURL(blob);
    const a = el('a', { href: url, download: name, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  async function fetchTo(it, path, name, busyKey) {
    setRowMsg(it, { key: busyKey, args: { name } });
    try {
      const resp = await call('GET', path);
      const blob = await resp.blob();
      saveBlob(blob, name);
      setRowMsg(it, { key: 'console.dl.saved', args: { name, size: size(blob.size) }, kind: 'ok', state: 'saved' });
      return true;
    } catch (e) {
      setRowMsg(it, { err: e, kind: 'bad', state: 'failed' });
      return false;
    }
  }

  const downloadContent = (it) => fetchTo(it, `/api/v1/evidence/${it.id}/content`, it.file_name || it.id, 'console.dl.busy');
  const downloadTimestamp = (it) => fetchTo(it, `/api/v1/evidence/${it.id}/timestamp`, `timestamp-${it.id}.tsr`, 'console.dl.busy');

  // downloadReceipt saves the receipt exactly as served. While the item is
  // not anchored the server answers 202: say so, and offer to wait.
  async function downloadReceipt(it, wait) {
    const name = `receipt-${it.id}.json`;
    setRowMsg(it, { key: wait ? 'console.receipt.waiting' : 'console.dl.busy', args: { name }, state: 'busy' });
    try {
      const resp = await call('GET', `/api/v1/evidence/${it.id}/receipt` + (wait ? '?wait=20s' : ''));
      if (resp.status === 202) {
        setRowMsg(it, { key: wait ? 'console.receipt.stillPending' : 'console.receipt.pending', kind: 'pending', state: 'pending' });
        return;
      }
      const blob = await resp.blob();
      saveBlob(blob, name);
      if (it.status !== 'anchored') it.status = 'anchored'; // a receipt exists only for anchored items
      setRowMsg(it, { key: 'console.dl.saved', args: { name, size: size(blob.size) }, kind: 'ok', state: 'saved' });
    } catch (e) {
      setRowMsg(it, { err: e, kind: 'bad', state: 'failed' });
    }
  }

  // ---- upload ----

  // asciiJSON encodes v as JSON with every non-ASCII character escaped:
  // header values must be bytes, and the server decodes \u escapes.
  const asciiJSON = (v) => JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));

  function randomKey() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  function upload(ev) {
    ev.preventDefault();
    if (state.upload) return;
    const file = $('up-file').files && $('up-file').files[0];
    if (!file) { say('up-status', 'console.upload.needFile', null, 'bad'); $('up-file').focus(); return; }
    const title = $('up-title').value.trim();
    const meta = { file_name: file.name };
    if (title) meta.title = title;
    const matter = $('up-matter').value;
    if (matter) meta.matter = matter;
    // The same file and title again after a failure reuse the
    // Idempotency-Key, so a retry never files the evidence twice.
    if (!state.idem || state.idem.file !== file || state.idem.title !== title || state.idem.matter !== matter) state.idem = { file, title, matter, key: randomKey() };

    const xhr = new XMLHttpRequest();
    state.upload = { xhr };
    xhr.open('POST', '/api/v1/evidence');
    xhr.setRequestHeader('Authorization', 'Bearer ' + token);
    xhr.setRequestHeader('Accept-Language', locale());
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    xhr.setRequestHeader('Custos-Metadata', asciiJSON(meta));
    xhr.setRequestHeader('Idempotency-Key', state.idem.key);
    const progress = (loaded, total) => { state.progress = { loaded, total }; renderProgress(); };
    xhr.upload.addEventListener('progress', (e) => { if (e.lengthComputable) progress(e.loaded, e.total); });
    xhr.upload.addEventListener('load', () => {
      progress(file.size, file.size);
      say('up-status', 'console.upload.stamping');
    });
    const done = () => {
      state.upload = null;
      $('up-btn').disabled = false;
      $('up-cancel').hidden = true;
    };
    xhr.addEventListener('load', async () => {
      done();
      if (xhr.status === 201 || xhr.status === 200) {
        let rec;
        try { rec = JSON.parse(xhr.responseText); } catch (e) { say('up-status', '', null, 'bad', { message: String(e) }); return; }
        state.idem = null;
        state.uploaded = rec;
        say('up-status', '');
        renderUploaded();
        $('upload-form').reset();
        // The new item goes on top of the list without listing again
        // (each listing is recorded as a custody event of every item).
        if (!state.items.some((x) => x.id === rec.id)) state.items.unshift(rec);
        say('list-status', 'console.list.count', { n: state.items.length });
        renderList();
        $('up-result').focus();
        return;
      }
      const p = await problem(xhr.status, xhr.responseText, xhr.statusText);
      say('up-status', '', null, 'bad', p);
      if (xhr.status === 401) { signOut(); say('signin-status', '', null, 'bad', p); }
    });
    xhr.addEventListener('error', () => { done(); say('up-status', 'console.upload.network', null, 'bad'); });
    xhr.addEventListener('abort', () => { done(); say('up-status', 'console.upload.cancelled'); });

    state.uploaded = null;
    renderUploaded();
    progress(0, file.size);
    say('up-status', 'console.upload.sending', { name: file.name });
    $('up-btn').disabled = true;
    $('up-cancel').hidden = false;
    xhr.send(file);
  }

  function renderProgress() {
    const p = state.progress;
    const bar = $('up-progress');
    $('up-progress-box').hidden = !p;
    if (!p) { bar.value = 0; delete bar.dataset.percent; $('up-percent').textContent = ''; return; }
    const pct = p.total ? Math.floor((p.loaded / p.total) * 100) : 0;
    bar.value = pct;
    bar.dataset.percent = String(pct);
    $('up-percent').textContent = t('console.upload.percent', { pct, loaded: size(p.loaded), total: size(p.total) });
  }

  function renderUploaded() {
    const r = state.uploaded;
    $('up-result').hidden = !r;
    const dl = $('up-facts');
    dl.replaceChildren();
    if (!r) return;
    const ts = r.timestamp || (r.timestamps && r.timestamps[0]) || {};
    const rows = [
      ['console.f.id', r.id, true], ['console.f.title', r.title], ['console.f.file', r.file_name],
      ['console.f.sha256', r.sha256, true], ['console.f.size', size(r.size)], ['console.f.type', r.media_type],
      ['console.f.tsTime', ts.time ? localTime(ts.time) : ''], ['console.f.tsa', ts.tsa],
      ['console.f.tsas', (r.timestamps || []).length > 1 ? r.timestamps.map((x) => x.tsa).join(', ') : ''],
    ];
    for (const [k, v, mono] of rows) {
      if (!v) continue;
      dl.append(el('dt', { text: t(k) }), el('dd', { class: mono ? 'mono' : '', 'data-field': k.slice(10), text: String(v) }));
    }
  }

  // ---- sharing ----

  function startShare(it, kind) {
    $('share-ev').value = it.id;
    say('share-status', kind === 'matter' ? 'console.share.chosenMatter' : 'console.share.chosen', { name: kind === 'matter' ? it.title : itemName(it) });
    $('share').scrollIntoView({ block: 'start' });
    $('share-org').focus();
  }

  // orgName looks an organization up by ID (GET /api/v1/orgs/{id}); null
  // if there is none.
  async function orgName(id) {
    if (state.orgs.has(id)) return state.orgs.get(id);
    try {
      const o = await getJSON('/api/v1/orgs/' + id);
      state.orgs.set(id, { name: o.name, kind: o.kind });
    } catch (e) {
      if (e.status !== 404) throw e;
      state.orgs.set(id, null);
    }
    return state.orgs.get(id);
  }

  async function resolveOrgs(ids) {
    const want = [...new Set(ids)].filter((id) => ID_RE.test(id) && !state.orgs.has(id));
    if (!want.length) return;
    await Promise.all(want.map((id) => orgName(id).catch(() => null)));
    renderList();
    renderShares();
    renderReceived();
    renderItem();
  }

  // loadDirectory fills the share box's suggestions with the consortium's
  // directory; without one (a node without a chain) names are looked up
  // one by one when the share is checked.
  async function loadDirectory() {
    try {
      const d = await getJSON('/api/v1/directory');
      state.directory = d.items || [];
    } catch (e) {
      state.directory = [];
    }
    renderDirectory();
  }

  function renderDirectory() {
    const own = ownOrg();
    // An organization of a member that left the consortium is no one to
    // share with (the node refuses it).
    $('share-orgs').replaceChildren(...(state.directory || []).filter((o) => o.id !== own && !o.former_member).map((o) =>
      el('option', { value: o.name, label: `${label('console.kind.', o.kind)}${o.member_name ? ' · ' + o.member_name : ''}` })));
  }

  // findOrg resolves what the user typed in the share box: a name (exact,
  // as the consortium's directory compares names) or an organization ID.
  // It answers {id, name, kind, member_name} or null.
  async function findOrg(q) {
    const asNull = (e) => { if (e.status === 404) return null; throw e; };
    const id = q.toLowerCase();
    if (ID_RE.test(id)) {
      const d = await getJSON('/api/v1/directory/' + id).catch(asNull);
      if (d) return d;
      const o = await orgName(id);
      return o ? { id, name: o.name, kind: o.kind, member_name: '' } : null;
    }
    const d = await getJSON('/api/v1/directory?name=' + encodeURIComponent(q)).catch(asNull);
    return d && d.items && d.items.length ? d.items[0] : null;
  }

  // share works in two steps: the first press resolves the organization
  // and shows it (name, kind, home member, ID); the second shares with it.
  // Editing the name in between starts over.
  async function share(ev) {
    ev.preventDefault();
    const target = $('share-ev').value.trim();
    const q = $('share-org').value.trim();
    const exp = $('share-exp').value;
    if (!ID_RE.test(target)) { say('share-status', 'console.share.badEvidence', null, 'bad'); $('share-ev').focus(); return; }
    if (!q) { say('share-status', 'console.share.badOrg', null, 'bad'); $('share-org').focus(); return; }
    const matter = (state.matters || []).find((m) => m.id === target);
    const body = matter ? { matter: target } : { evidence: target };
    if (exp) {
      const d = new Date(exp); // datetime-local is local time
      if (isNaN(d)) { say('share-status', 'console.share.badExpiry', null, 'bad'); return; }
      body.expires_at = d.toISOString();
    }
    $('share-btn').disabled = true;
    try {
      if (!state.shareTo || state.shareTo.query !== q) {
        say('share-status', 'console.share.finding');
        const o = await findOrg(q);
        if (!o) { state.shareTo = null; renderShareTo(); say('share-status', 'console.share.noOrg', { org: q }, 'bad'); $('share-org').focus(); return; }
        if (o.id === ownOrg()) { say('share-status', 'console.share.self', null, 'bad'); return; }
        state.orgs.set(o.id, { name: o.name, kind: o.kind });
        state.shareTo = Object.assign({}, o, { query: q });
        renderShareTo();
        say('share-status', 'console.share.check', { org: o.name, kind: label('console.kind.', o.kind) });
        return;
      }
      const o = state.shareTo;
      body.org = o.id;
      say('share-status', 'console.share.busy');
      const sh = await (await call('POST', '/api/v1/shares', body)).json();
      const it = state.items.find((x) => x.id === target);
      const name = matter ? matter.title : it ? itemName(it) : target;
      say('share-status', sh.expires_at ? 'console.share.doneUntil' : 'console.share.done',
        { name, org: o.name, kind: label('console.kind.', o.kind), until: localTime(sh.expires_at) }, 'ok');
      $('share-form').reset();
      state.shareTo = null;
      renderShareTo();
      loadShares();
    } catch (e) {
      say('share-status', '', null, 'bad', e);
    } finally {
      $('share-btn').disabled = false;
    }
  }

  function renderShareTo() {
    const o = state.shareTo;
    $('share-resolved').hidden = !o;
    $('share-btn').textContent = o ? t('console.share.confirm', { org: o.name }) : t('console.share.button');
    facts($('share-org-facts'), o ? [['console.share.f.name', o.name, 'name'], ['console.share.f.kind', label('console.kind.', o.kind), 'kind'],
      ['console.share.f.member', o.member_name || t('console.share.thisNode'), 'member'], ['console.who.orgId', o.id, 'id', true]] : []);
  }

  async function loadShares() {
    say('shares-status', 'console.list.loading');
    try {
      const list = await getJSON('/api/v1/shares?direction=made');
      // Newest first, like the evidence.
      state.shares = (list.items || []).sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
      say('shares-status', state.shares.length ? '' : 'console.shares.none');
      renderShares();
      resolveOrgs(state.shares.map((s) => s.grantee));
    } catch (e) {
      say('shares-status', '', null, 'bad', e);
    }
  }

  function shareState(sh) {
    if (sh.revoked_at) return 'revoked';
    if (sh.expires_at && new Date(sh.expires_at) <= new Date()) return 'expired';
    return 'active';
  }

  function renderShares() {
    const tbody = $('shares-table').tBodies[0];
    tbody.replaceChildren();
    for (const sh of state.shares || []) {
      const st = shareState(sh);
      const it = sh.kind === 'evidence' ? state.items.find((x) => x.id === sh.target) : null;
      const o = state.orgs.get(sh.grantee);
      const m = sh.kind === 'matter' ? (state.matters || []).find((x) => x.id === sh.target) : null;
      const what = sh.kind === 'matter' ? (m ? m.title : t('console.shares.matter', { id: sh.target })) : it ? itemName(it) : sh.target;
      const acts = el('div', { class: 'acts' });
      if (st === 'active' && sh.confirming) {
        acts.append(
          el('button', { type: 'button', class: 'danger primary', 'data-act': 'revoke-yes', text: t('console.shares.revokeYes'), on: { click: () => revoke(sh) } }),
          el('button', { type: 'button', 'data-act': 'revoke-no', text: t('console.shares.revokeNo'), on: { click: () => { sh.confirming = false; renderShares(); focusShare(sh, 'revoke'); } } }));
      } else if (st === 'active') {
        acts.append(el('button', { type: 'button', class: 'danger', 'data-act': 'revoke', 'aria-label': t('console.shares.revokeFor', { name: what, org: o ? o.name : sh.grantee }),
          text: t('console.shares.revoke'), on: { click: () => { sh.confirming = true; renderShares(); focusShare(sh, 'revoke-yes'); } } }));
      }
      tbody.append(el('tr', { 'data-id': sh.id, 'data-target': sh.target, 'data-grantee': sh.grantee, 'data-state': st },
        el('td', { class: 'no-label' }, el('p', { class: 't-title', text: what }), it ? fileLine(it) : null, el('p', { class: 't-sub mono', text: sh.target })),
        el('td', { 'data-label': t('console.shares.with') }, o ? t('aside', { text: o.name, note: label('console.kind.', o.kind) }) : '',
          el('p', { class: 't-sub mono', text: sh.grantee })),
        el('td', { 'data-label': t('console.shares.since'), text: localTime(sh.created_at) }),
        el('td', { 'data-label': t('console.shares.until'), text: sh.expires_at ? localTime(sh.expires_at) : t('console.shares.noExpiry') }),
        el('td', { 'data-label': t('console.shares.state') },
          el('span', { class: 'pill ' + (st === 'active' ? 'active' : 'ended'), text: t('console.shares.' + st) })),
        el('td', { class: 'no-label' }, acts)));
    }
  }

  function focusShare(sh, act) {
    const b = $('shares-table').querySelector(`tr[data-id="${sh.id}"] [data-act="${act}"]`);
    if (b) b.focus();
  }

  async function revoke(sh) {
    sh.confirming = false;
    say('shares-status', 'console.shares.revoking');
    try {
      await call('DELETE', '/api/v1/shares/' + sh.id);
      const o = state.orgs.get(sh.grantee);
      await loadShares();
      say('shares-status', 'console.shares.revoked.done', { org: o ? o.name : sh.grantee }, 'ok');
      $('h-shares').setAttribute('tabindex', '-1');
      $('h-shares').focus();
    } catch (e) {
      say('shares-status', '', null, 'bad', e);
      renderShares();
    }
  }

  // fileLine is an item's file name and size, under its title.
  const fileLine = (it) => el('p', { class: 't-sub', text: [it.title ? it.file_name : '', size(it.size)].filter(Boolean).join(' · ') });

  // saveFrom downloads path with the key and saves it as name.
  async function saveFrom(path, name) {
    const blob = await (await call('GET', path)).blob();
    saveBlob(blob, name);
    return blob;
  }

  // loadInto lists path into state[key] and renders it, saying in the
  // status element statusID when the list is empty or the call failed.
  async function loadInto(key, path, statusID, noneKey, render) {
    try {
      state[key] = (await getJSON(path)).items || [];
      say(statusID, state[key].length ? '' : noneKey);
    } catch (e) {
      say(statusID, '', null, 'bad', e);
    }
    render();
  }

  // facts fills a <dl> with rows of [label key, value, data-field, mono];
  // rows without a value are left out.
  function facts(dl, rows) {
    dl.replaceChildren();
    for (const [k, v, f, mono] of rows) {
      if (v) dl.append(el('dt', { text: t(k) }), el('dd', { 'data-field': f, class: mono ? 'mono' : '', text: String(v) }));
    }
  }

  // ---- matters (a firm's case files) ----

  async function loadMatters() {
    try {
      const list = await getJSON('/api/v1/matters');
      state.matters = (list.items || []).sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
      say('matters-status', state.matters.length ? '' : 'console.matters.none');
    } catch (e) {
      say('matters-status', '', null, 'bad', e);
    }
    renderMatters();
    renderShares();
  }

  async function createMatter(ev) {
    ev.preventDefault();
    const title = $('matter-title').value.trim();
    if (!title) { say('matters-status', 'console.matters.needTitle', null, 'bad'); $('matter-title').focus(); return; }
    const body = { title };
    const cn = $('matter-case').value.trim();
    if (cn) body.case_number = cn;
    $('matter-btn').disabled = true;
    try {
      const m = await (await call('POST', '/api/v1/matters', body)).json();
      $('matter-form').reset();
      await loadMatters();
      say('matters-status', 'console.matters.done', { title: m.title }, 'ok');
    } catch (e) {
      say('matters-status', '', null, 'bad', e);
    } finally {
      $('matter-btn').disabled = false;
    }
  }

  function renderMatters() {
    const list = state.matters || [];
    const sel = $('up-matter');
    const chosen = sel.value;
    sel.replaceChildren(el('option', { value: '', text: t('console.upload.noMatter') }),
      ...list.map((m) => el('option', { value: m.id, text: m.case_number ? t('aside', { text: m.title, note: m.case_number }) : m.title })));
    sel.value = list.some((m) => m.id === chosen) ? chosen : '';
    $('matters-table').tBodies[0].replaceChildren(...list.map((m) => el('tr', { 'data-id': m.id },
      el('td', { class: 'no-label' }, el('p', { class: 't-title', text: m.title }), el('p', { class: 't-sub mono', text: 'ID ' + m.id })),
      el('td', { 'data-label': t('console.matters.caseCol'), text: m.case_number || '' }),
      el('td', { 'data-label': t('console.matters.opened'), text: localTime(m.created_at) }),
      el('td', { class: 'no-label' }, el('div', { class: 'acts' },
        shows('share') ? el('button', { type: 'button', 'data-act': 'share', 'aria-label': t('console.act.shareFor', { name: m.title }), text: t('console.act.share'), on: { click: () => startShare(m, 'matter') } }) : null)))));
  }

  // ---- received shares (a court's or a notary's in-tray) ----

  async function loadReceived() {
    say('recv-status', 'console.list.loading');
    try {
      const list = await getJSON('/api/v1/shares?direction=received');
      state.received = (list.items || []).sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
      say('recv-status', state.received.length ? 'console.recv.count' : 'console.recv.none', { n: state.received.length });
      for (const sh of state.received) if (sh.owner_name) state.orgs.set(sh.owner, { name: sh.owner_name, kind: '' });
      renderReceived();
      resolveOrgs(state.received.map((sh) => sh.owner));
      await Promise.all(state.received.filter((sh) => shareState(sh) === 'active').map((sh) => record(sh.kind, sh.target).catch(() => null)));
    } catch (e) {
      say('recv-status', '', null, 'bad', e);
    }
    renderReceived();
    renderCertItems();
  }

  // record fetches an evidence item or a matter once, for its name.
  async function record(kind, id) {
    if (state.recs.has(id)) return state.recs.get(id);
    const listed = kind === 'evidence' ? state.items.find((x) => x.id === id) : null;
    const r = listed || await getJSON((kind === 'matter' ? '/api/v1/matters/' : '/api/v1/evidence/') + id);
    state.recs.set(id, r);
    return r;
  }

  function renderReceived() {
    const tbody = $('recv-table').tBodies[0];
    tbody.replaceChildren(...(state.received || []).map((sh) => {
      const st = shareState(sh);
      const r = state.recs.get(sh.target);
      const o = state.orgs.get(sh.owner);
      const what = r ? (sh.kind === 'matter' ? r.title : itemName(r)) : sh.kind === 'matter' ? t('console.shares.matter', { id: sh.target }) : sh.target;
      return el('tr', { 'data-id': sh.id, 'data-target': sh.target, 'data-state': st },
        el('td', { class: 'no-label' }, el('p', { class: 't-title', text: what }),
          r && sh.kind === 'evidence' ? fileLine(r) : null,
          sh.kind === 'matter' ? el('p', { class: 't-sub', text: t('console.recv.matter') + (r && r.case_number ? ' · ' + r.case_number : '') }) : null,
          el('p', { class: 't-sub mono', text: sh.target })),
        el('td', { 'data-label': t('console.recv.from') }, o ? o.name : sh.owner,
          sh.home_member_name ? el('p', { class: 't-sub', text: t('console.recv.via', { member: sh.home_member_name }) }) : null,
          sh.home_removed_at ? el('p', { class: 't-sub', text: t('console.recv.former', { member: sh.home_member_name || sh.home_member, height: sh.home_removed_at }) }) : null),
        el('td', { 'data-label': t('console.shares.since'), text: localTime(sh.created_at) }),
        el('td', { 'data-label': t('console.shares.until'), text: sh.expires_at ? localTime(sh.expires_at) : t('console.shares.noExpiry') }),
        el('td', { 'data-label': t('console.shares.state') },
          el('span', { class: 'pill ' + (st === 'active' ? 'active' : 'ended'), text: t('console.shares.' + st) })),
        el('td', { class: 'no-label' }, el('div', { class: 'acts' }, st === 'active' && !sh.home_removed_at
          ? el('button', { type: 'button', 'data-act': 'open', 'aria-label': t('console.act.openFor', { name: what }), text: t('console.act.open'), on: { click: () => openItem(sh.kind, sh.target) } })
          : null)));
    }));
  }

  // ---- one item, opened: its facts, downloads and in-page verification ----

  async function openItem(kind, id) {
    state.verdict = null;
    say('item-status', 'console.list.loading');
    try {
      const rec = await record(kind, id);
      const items = kind === 'matter' ? ((await getJSON('/api/v1/evidence?limit=100&matter=' + id)).items || []) : null;
      for (const it of items || []) state.recs.set(it.id, it);
      state.item = { kind, rec, items };
      say('item-status', '');
      resolveOrgs([ownerOrg(rec), rec.org || '']);
    } catch (e) {
      state.item = null;
      say('recv-status', '', null, 'bad', e);
    }
    renderAll();
    if (state.item) { $('item').scrollIntoView({ block: 'start' }); $('h-item').focus(); }
  }

  function renderItem() {
    const cur = state.item;
    $('item').hidden = !cur || !shows('item');
    if (!cur) { facts($('item-facts'), []); return; }
    const r = cur.rec;
    const owner = state.orgs.get(ownerOrg(r) || r.org);
    const rows = cur.kind === 'matter'
      ? [['console.matters.title', r.title, 'title'], ['console.matters.caseCol', r.case_number, 'case'], ['console.item.parties', (r.parties || []).join(t('listSep')), 'parties'],
        ['console.item.owner', owner ? owner.name : r.org, 'owner'], ['console.matters.opened', localTime(r.created_at), 'time']]
      : [['console.f.title', r.title, 'title'], ['console.f.file', r.file_name, 'file'], ['console.f.size', size(r.size), 'size'],
        ['console.f.type', r.media_type, 'type'], ['console.f.sha256', r.sha256, 'sha256', true], ['console.f.id', r.id, 'id', true],
        ['console.item.owner', owner ? owner.name : ownerOrg(r), 'owner'], ['console.col.time', localTime(r.created_at), 'time']];
    facts($('item-facts'), rows);
    $('item-matter').hidden = cur.kind !== 'matter';
    $('item-actions').hidden = cur.kind === 'matter';
    $('item-matter-list').replaceChildren(...(cur.items || []).map((it) => el('li', {},
      el('button', { type: 'button', 'data-act': 'open', 'data-id': it.id, 'aria-label': t('console.act.openFor', { name: itemName(it) }), text: itemName(it), on: { click: () => openItem('evidence', it.id) } }),
      ' ', el('span', { class: 'hint', text: `${it.file_name || ''} · ${size(it.size)} · ${localTime(it.created_at)}` }))));
    renderVerdict();
  }

  function renderVerdict() {
    const v = state.verdict;
    $('item-verdict').hidden = !v;
    $('item-steps').replaceChildren();
    if (!v) return;
    const box = $('item-verdict');
    box.dataset.state = v.valid ? 'valid' : 'invalid';
    box.className = v.valid ? 'result-box' : 'result-box bad';
    const ts = (v.timestamps || [])[0];
    $('item-verdict-head').textContent = v.valid
      ? t('console.verify.ok', { height: v.checkpoint ? v.checkpoint.height : '?', time: ts ? localTime(ts.time) : '' })
      : t('console.verify.bad', { step: label('step.', v.failed_step || (v.error && v.error.step) || ''), message: (v.error && v.error.message) || '' });
    $('item-steps').replaceChildren(...(v.steps || []).map((x) => el('li', { 'data-step': x.step, 'data-ok': String(!!x.ok), text: `${x.ok ? '✔' : '✘'} ${t('step.' + x.step)}` })));
  }

  // loadVerifier starts the WebAssembly receipt verifier of /verify in this
  // page, once: wasm_exec.js, then verifier.js, which compiles verify.wasm.
  let verifier = null;
  function loadVerifier() {
    const script = (src) => new Promise((resolve, reject) => {
      document.head.append(el('script', { src, on: { load: resolve, error: () => reject(new Error(src)) } }));
    });
    if (!verifier) {
      verifier = script('/static/wasm_exec.js').then(() => script('/static/verifier.js')).then(() => globalThis.CustosVerifier.ready);
      verifier.catch(() => { verifier = null; });
    }
    return verifier;
  }

  // verifyItem checks the open item's receipt here, with the verifier of
  // /verify: the receipt and the file as served, and this server's trust
  // bundle. For a court's own copy of the bundle, use /verify.
  async function verifyItem() {
    const r = state.item && state.item.rec;
    if (!r) return;
    const btn = $('item-verify');
    btn.disabled = true;
    state.verdict = null;
    renderVerdict();
    try {
      say('item-status', 'console.verify.receipt');
      let resp = await call('GET', `/api/v1/evidence/${r.id}/receipt`);
      if (resp.status === 202) {
        say('item-status', 'console.receipt.waiting');
        resp = await call('GET', `/api/v1/evidence/${r.id}/receipt?wait=20s`);
        if (resp.status === 202) { say('item-status', 'console.receipt.stillPending', null, 'pending'); return; }
      }
      // The receipt's exact bytes, as custos verify reads them: a text
      // decoding would drop a byte-order mark and replace bytes that are
      // not UTF-8, which the verifier refuses.
      const receipt = new Uint8Array(await resp.arrayBuffer());
      let sm3 = false;
      try { sm3 = !!JSON.parse(new TextDecoder().decode(receipt)).evidence.sm3; } catch (e) { /* the verifier says why */ }
      say('item-status', 'console.verify.content', { name: itemName(r) });
      const blob = await (await call('GET', `/api/v1/evidence/${r.id}/content`)).blob();
      const d = await globalThis.CustosHash.digestFile(blob, sm3);
      const trust = new Uint8Array(await (await call('GET', '/api/v1/trust')).arrayBuffer());
      say('item-status', 'console.verify.loading');
      const ready = await loadVerifier();
      if (ready !== 'ready') { say('item-status', 'console.verify.missing', null, 'bad'); return; }
      state.verdict = JSON.parse(globalThis.custosVerify(receipt, trust, d.sha256, d.sm3, d.size));
      say('item-status', '');
      renderVerdict();
      $('item-verdict').focus();
    } catch (e) {
      say('item-status', e instanceof Error ? 'console.verify.failed' : '', { error: e && e.message }, 'bad', e instanceof Error ? undefined : e);
    } finally {
      btn.disabled = false;
    }
  }

  async function itemDownload(what) {
    const r = state.item && state.item.rec;
    if (!r) return;
    const name = what === 'content' ? r.file_name || r.id : `receipt-${r.id}.json`;
    say('item-status', 'console.dl.busy', { name });
    try {
      const resp = await call('GET', `/api/v1/evidence/${r.id}/${what}`);
      if (resp.status === 202) { say('item-status', 'console.receipt.pending', null, 'pending'); return; }
      const blob = await resp.blob();
      saveBlob(blob, name);
      say('item-status', 'console.dl.saved', { name, size: size(blob.size) }, 'ok');
    } catch (e) {
      say('item-status', '', null, 'bad', e);
    }
  }

  // ---- notarial certificates ----

  // The items a notary may certify: those shared with its organization.
  const certifiable = () => state.items.filter((it) => ownerOrg(it) !== ownOrg())
    .concat([...state.recs.values()].filter((r) => r.sha256 && ownerOrg(r) !== ownOrg() && !state.items.some((x) => x.id === r.id)));

  function renderCertItems() {
    const ul = $('cert-items');
    const chosen = new Set([...ul.querySelectorAll('input:checked')].map((x) => x.value));
    const list = certifiable();
    $('cert-none').hidden = list.length > 0;
    ul.replaceChildren(...list.map((it) => {
      const id = 'cert-i-' + it.id;
      const o = state.orgs.get(ownerOrg(it));
      return el('li', {}, el('input', { type: 'checkbox', id, value: it.id, checked: chosen.has(it.id) }),
        ' ', el('label', { for: id, class: 'inline-label', text: itemName(it) }),
        el('span', { class: 'hint', text: ` ${it.file_name || ''} · ${size(it.size)} · ${o ? o.name : ownerOrg(it)} · ${localTime(it.created_at)}` }));
    }));
  }

  async function issueCert(ev) {
    ev.preventDefault();
    const ids = [...$('cert-items').querySelectorAll('input:checked')].map((x) => x.value);
    if (!ids.length) { say('cert-status', 'console.cert.needItems', null, 'bad'); return; }
    $('cert-btn').disabled = true;
    say('cert-status', 'console.cert.busy', { n: ids.length });
    try {
      const c = await (await call('POST', '/api/v1/certificates', { evidence: ids, lang: $('cert-lang').value })).json();
      say('cert-status', 'console.cert.done', { number: c.number }, 'ok');
      for (const x of $('cert-items').querySelectorAll('input:checked')) x.checked = false;
      await loadCerts();
      const b = $('certs-table').querySelector(`tr[data-id="${c.id}"] [data-act="pdf"]`);
      if (b) b.focus();
    } catch (e) {
      say('cert-status', '', null, 'bad', e);
    } finally {
      $('cert-btn').disabled = false;
    }
  }

  const loadCerts = () => loadInto('certs', '/api/v1/certificates', 'certs-status', 'console.certs.none', renderCerts);

  function renderCerts() {
    $('certs-table').tBodies[0].replaceChildren(...(state.certs || []).map((c) => el('tr', { 'data-id': c.id, 'data-number': c.number },
      el('td', { class: 'no-label' }, el('p', { class: 't-title', text: c.number }), el('p', { class: 't-sub mono', text: 'ID ' + c.id })),
      el('td', { 'data-label': t('console.certs.applicant'), text: c.applicant ? c.applicant.name || '' : '' }),
      el('td', { 'data-label': t('console.certs.items'), text: String((c.evidence || []).length) }),
      el('td', { 'data-label': t('console.certs.issued'), text: localTime(c.issued_at) }),
      el('td', { class: 'no-label' }, el('div', { class: 'acts' },
        el('button', { type: 'button', 'data-act': 'pdf', 'aria-label': t('console.certs.pdfFor', { number: c.number }), text: t('console.certs.pdf'), on: { click: () => certPDF(c) } }))))));
  }

  async function certPDF(c) {
    const name = `certificate-${c.id}.pdf`;
    say('certs-status', 'console.dl.busy', { name });
    try {
      const blob = await saveFrom(`/api/v1/certificates/${c.id}.pdf`, name);
      say('certs-status', 'console.dl.saved', { name, size: size(blob.size) }, 'ok');
    } catch (e) {
      say('certs-status', '', null, 'bad', e);
    }
  }

  // ---- copyright: register a work, search the register ----

  // callForm posts a multipart form with the key.
  async function callForm(path, form, headers) {
    const sent = token;
    const resp = await fetch(path, { method: 'POST', headers: Object.assign({ Authorization: 'Bearer ' + token, Accept: 'application/json', 'Accept-Language': locale() }, headers || {}), body: form, cache: 'no-store' });
    if (sent !== token) throw STALE;
    if (!resp.ok) throw await problem(resp.status, await resp.text(), resp.statusText);
    return resp.json();
  }

  async function registerWork(ev) {
    ev.preventDefault();
    const files = [...($('work-files').files || [])];
    const v = (id) => $(id).value.trim();
    const missing = [['work-files', files.length], ['work-title', v('work-title')], ['work-authors', v('work-authors')], ['work-owner', v('work-owner')], ['work-created', v('work-created')]].find((x) => !x[1]);
    if (missing) { say('work-status', 'console.work.missing', { field: $(missing[0]).labels[0].textContent }, 'bad'); $(missing[0]).focus(); return; }
    const work = { title: v('work-title'), type: $('work-type').value, authors: v('work-authors').split(/[,，、]/).map((x) => x.trim()).filter(Boolean), owner: v('work-owner'), created: v('work-created') };
    if (v('work-pubdate') || v('work-pubplace')) work.first_publication = { date: v('work-pubdate'), place: v('work-pubplace') };
    const form = new FormData();
    form.append('metadata', JSON.stringify(work));
    for (const f of files) form.append('file', f, f.name);
    $('work-btn').disabled = true;
    say('work-status', 'console.work.busy', { n: files.length });
    try {
      state.work = await callForm('/api/v1/copyrights', form, { 'Idempotency-Key': randomKey() });
      $('work-form').reset();
      renderWork();
      $('work-result').focus();
      // The chain numbers the registration when its transaction is final.
      for (let i = 0; i < 6 && !state.work.number; i++) {
        say('work-status', 'console.work.pending');
        state.work = await getJSON(`/api/v1/copyrights/${state.work.id}?wait=10s`);
        renderWork();
      }
      say('work-status', state.work.number ? 'console.work.done' : 'console.work.stillPending', { number: state.work.number }, state.work.number ? 'ok' : 'pending');
      loadWorks();
      if (shows('list')) loadList(true); // the work's files are evidence items now
    } catch (e) {
      say('work-status', '', null, 'bad', e);
    } finally {
      $('work-btn').disabled = false;
    }
  }

  function renderWork() {
    const w = state.work;
    $('work-result').hidden = !w;
    if (!w) { facts($('work-facts'), []); return; }
    facts($('work-facts'), [['console.works.number', w.number || t('console.work.numberPending'), 'number'], ['console.work.title', w.title, 'title'],
      ['console.col.status', label('console.work.status.', w.status), 'status'], ['console.work.authors', (w.authors || []).join(', '), 'authors'],
      ['console.work.owner', w.owner, 'owner'], ['console.work.fileCount', String((w.items || []).length), 'files'], ['console.work.id', w.id, 'id', true]]);
  }

  const loadWorks = () => loadInto('works', '/api/v1/copyrights', 'works-status', 'console.works.none', renderWorks);

  function renderWorks() {
    $('works-table').tBodies[0].replaceChildren(...(state.works || []).map((w) => el('tr', { 'data-id': w.id },
      el('td', { class: 'no-label' }, el('p', { class: 't-title', text: w.title }), el('p', { class: 't-sub', text: (w.authors || []).join(', ') })),
      el('td', { 'data-label': t('console.works.number'), class: 'mono', text: w.number || t('console.work.numberPending') }),
      el('td', { 'data-label': t('console.col.status'), text: label('console.work.status.', w.status) }),
      el('td', { 'data-label': t('console.works.registered'), text: localTime(w.registered_at) }),
      el('td', { class: 'no-label' }, el('div', { class: 'acts' },
        w.number ? el('button', { type: 'button', 'data-act': 'pdf', 'aria-label': t('console.works.pdfFor', { title: w.title }), text: t('console.works.pdf'), on: { click: () => workPDF(w) } }) : null)))));
  }

  // workPDF saves a registration's certificate in the page's language (zh
  // or en: each is a certificate of its own, named as the node names it);
  // the node issues it on the first request once the registration is
  // anchored.
  async function workPDF(w) {
    const lang = state.lang === 'en' ? 'en' : 'zh';
    const name = lang === 'en' ? `copyright-${w.id}-en.pdf` : `copyright-${w.id}.pdf`;
    say('works-status', 'console.works.pdfBusy', { name });
    try {
      const blob = await saveFrom(`/api/v1/copyrights/${w.id}.pdf?lang=${lang}`, name);
      say('works-status', 'console.dl.saved', { name, size: size(blob.size) }, 'ok');
    } catch (e) {
      say('works-status', '', null, 'bad', e);
    }
  }

  async function searchWork(ev) {
    ev.preventDefault();
    const f = $('search-file').files && $('search-file').files[0];
    if (!f) { say('search-status', 'console.upload.needFile', null, 'bad'); $('search-file').focus(); return; }
    const form = new FormData();
    form.append('file', f, f.name);
    $('search-btn').disabled = true;
    say('search-status', 'console.search.busy', { name: f.name });
    try {
      const out = await callForm('/api/v1/copyrights/search', form);
      state.matches = out.matches || [];
      say('search-status', state.matches.length ? 'console.search.count' : 'console.search.none', { n: state.matches.length, name: f.name });
    } catch (e) {
      state.matches = null;
      say('search-status', '', null, 'bad', e);
    } finally {
      $('search-btn').disabled = false;
    }
    renderMatches();
  }

  function renderMatches() {
    const list = state.matches;
    $('search-table').hidden = !list || !list.length;
    $('search-table').tBodies[0].replaceChildren(...(list || []).map((m, i) => el('tr', { 'data-id': m.id, 'data-match': m.match },
      el('td', { 'data-label': t('console.search.order'), text: String(m.register_order || i + 1) }),
      el('td', { class: 'no-label' }, el('p', { class: 't-title mono', text: m.number || t('console.work.numberPending') }),
        m.title ? el('p', { class: 't-sub', text: m.title }) : null),
      el('td', { 'data-label': t('console.search.registrant') }, m.registrant_org_name || m.owner_org_name || m.registrant_org || '',
        m.member_name ? el('p', { class: 't-sub', text: t('console.recv.via', { member: m.member_name }) }) : null),
      el('td', { 'data-label': t('console.search.match'), text: m.match === 'similar' ? t('console.search.similar', { d: m.distance }) : t('console.search.exact') }),
      el('td', { 'data-label': t('console.works.registered'), text: localTime(m.registered_at || m.committed_at || m.anchored_at) }))));
  }

  // ---- rendering ----

  function renderWho() {
    const dl = $('who');
    dl.replaceChildren();
    const me = state.me;
    if (!me) return;
    const rows = [
      ['console.who.org', t('aside', { text: me.org.name, note: label('console.kind.', me.org.kind) })],
      ['console.who.orgId', me.org.id, true],
      ['console.who.role', label('console.role.', me.key.role)],
      ['console.who.key', t('aside', { text: me.key.name || '', note: `${me.key.prefix || me.key.id}…` })],
      ['console.who.expires', me.key.expires_at ? localTime(me.key.expires_at) : ''],
    ];
    for (const [k, v, mono] of rows) {
      if (!v) continue;
      dl.append(el('dt', { text: t(k) }), el('dd', { class: mono ? 'mono' : '', 'data-field': k.slice(12), text: v }));
    }
  }

  function renderAll() {
    const me = state.me;
    $('signin').hidden = !!me;
    $('session').hidden = !me;
    for (const id of Object.keys(SECTION_NEEDS)) $(id).hidden = !shows(id);
    renderWho();
    renderUploaded();
    renderList();
    renderShares();
    renderShareTo();
    renderDirectory();
    renderMatters();
    renderReceived();
    renderItem();
    renderCertItems();
    renderCerts();
    renderWork();
    renderWorks();
    renderMatches();
    renderProgress();
    for (const id of Object.keys(state.msgs)) renderMsg(id);
  }

  // ---- wiring ----

  function on(id, ev, fn) { $(id).addEventListener(ev, fn); }

  function init() {
    on('lang', 'change', (e) => setLang(e.target.value));
    on('signin-form', 'submit', signIn);
    on('signout-btn', 'click', () => { signOut(); say('signin-status', 'console.signout.done'); });
    on('upload-form', 'submit', upload);
    on('up-cancel', 'click', () => { if (state.upload) state.upload.xhr.abort(); });
    on('up-file', 'change', () => { state.progress = null; renderProgress(); say('up-status', ''); });
    on('filter-form', 'submit', filterList);
    on('refresh-btn', 'click', () => loadList(true));
    on('more-btn', 'click', () => loadList(false));
    on('share-form', 'submit', share);
    on('shares-refresh', 'click', loadShares);
    on('share-org', 'input', () => { if (state.shareTo && state.shareTo.query !== $('share-org').value.trim()) { state.shareTo = null; renderShareTo(); say('share-status', ''); } });
    on('matter-form', 'submit', createMatter);
    on('recv-refresh', 'click', loadReceived);
    on('item-verify', 'click', verifyItem);
    on('item-content', 'click', () => itemDownload('content'));
    on('item-receipt', 'click', () => itemDownload('receipt'));
    on('certify-form', 'submit', issueCert);
    on('certs-refresh', 'click', loadCerts);
    on('work-form', 'submit', registerWork);
    on('works-refresh', 'click', loadWorks);
    on('search-form', 'submit', searchWork);
    setLang(pickLang());
    document.body.dataset.ready = 'true';
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
