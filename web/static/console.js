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
  const { t: tr, pickLang } = globalThis.CustosI18n;

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
  };

  const $ = (id) => document.getElementById(id);
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
      out.push(el('ul', {}, ...e.errors.map((x) => el('li', { text: `${x.field}: ${x.message}` }))));
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
    const headers = { Authorization: 'Bearer ' + token, Accept: 'application/json' };
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
    const can = (p) => state.me.permissions.includes(p);
    if (can('read')) loadList(true);
    if (can('share')) loadShares();
  }

  function signOut() {
    token = '';
    listRun++;
    if (state.upload) state.upload.xhr.abort();
    Object.assign(state, { me: null, items: [], cursor: '', filter: '', shares: null, msgs: {}, upload: null, progress: null, uploaded: null, idem: null });
    state.orgs.clear();
    for (const id of ['key', 'up-file', 'up-title', 'filter', 'share-ev', 'share-org', 'share-exp']) $(id).value = '';
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
  }

  function row(it) {
    const name = itemName(it);
    const shared = state.me && ownerOrg(it) !== ownOrg();
    const can = (p) => state.me && state.me.permissions.includes(p);
    const from = shared ? state.orgs.get(ownerOrg(it)) : null;
    const acts = el('div', { class: 'acts' },
      el('button', { type: 'button', 'data-act': 'content', 'aria-label': t('console.act.contentFor', { name }), text: t('console.act.content'), on: { click: () => downloadContent(it) } }),
      el('button', { type: 'button', 'data-act': 'receipt', 'aria-label': t('console.act.receiptFor', { name }), text: t('console.act.receipt'), on: { click: () => downloadReceipt(it, false) } }),
      el('button', { type: 'button', 'data-act': 'timestamp', 'aria-label': t('console.act.timestampFor', { name }), text: t('console.act.timestamp'), on: { click: () => downloadTimestamp(it) } }),
      !shared && can('share') ? el('button', { type: 'button', 'data-act': 'share', 'aria-label': t('console.act.shareFor', { name }), text: t('console.act.share'), on: { click: () => startShare(it) } }) : null,
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
    // The same file and title again after a failure reuse the
    // Idempotency-Key, so a retry never files the evidence twice.
    if (!state.idem || state.idem.file !== file || state.idem.title !== title) state.idem = { file, title, key: randomKey() };

    const xhr = new XMLHttpRequest();
    state.upload = { xhr };
    xhr.open('POST', '/api/v1/evidence');
    xhr.setRequestHeader('Authorization', 'Bearer ' + token);
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

  function startShare(it) {
    $('share-ev').value = it.id;
    say('share-status', 'console.share.chosen', { name: itemName(it) });
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
  }

  async function share(ev) {
    ev.preventDefault();
    const evid = $('share-ev').value.trim();
    const org = $('share-org').value.trim().toLowerCase();
    const exp = $('share-exp').value;
    if (!ID_RE.test(evid)) { say('share-status', 'console.share.badEvidence', null, 'bad'); $('share-ev').focus(); return; }
    if (!ID_RE.test(org)) { say('share-status', 'console.share.badOrg', null, 'bad'); $('share-org').focus(); return; }
    const body = { evidence: evid, org };
    if (exp) {
      const d = new Date(exp); // datetime-local is local time
      if (isNaN(d)) { say('share-status', 'console.share.badExpiry', null, 'bad'); return; }
      body.expires_at = d.toISOString();
    }
    $('share-btn').disabled = true;
    say('share-status', 'console.share.busy');
    try {
      const o = await orgName(org);
      if (!o) { say('share-status', 'console.share.noOrg', { org }, 'bad'); return; }
      const sh = await (await call('POST', '/api/v1/shares', body)).json();
      const it = state.items.find((x) => x.id === evid);
      say('share-status', sh.expires_at ? 'console.share.doneUntil' : 'console.share.done',
        { name: it ? itemName(it) : evid, org: o.name, kind: label('console.kind.', o.kind), until: localTime(sh.expires_at) }, 'ok');
      $('share-form').reset();
      loadShares();
    } catch (e) {
      say('share-status', '', null, 'bad', e);
    } finally {
      $('share-btn').disabled = false;
    }
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
      const what = sh.kind === 'matter' ? t('console.shares.matter', { id: sh.target }) : it ? itemName(it) : sh.target;
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
        el('td', { class: 'no-label' }, el('p', { class: 't-title', text: what }), el('p', { class: 't-sub mono', text: sh.target })),
        el('td', { 'data-label': t('console.shares.with') }, o ? `${o.name} (${label('console.kind.', o.kind)})` : '',
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

  // ---- rendering ----

  function renderWho() {
    const dl = $('who');
    dl.replaceChildren();
    const me = state.me;
    if (!me) return;
    const rows = [
      ['console.who.org', `${me.org.name} (${label('console.kind.', me.org.kind)})`],
      ['console.who.orgId', me.org.id, true],
      ['console.who.role', label('console.role.', me.key.role)],
      ['console.who.key', `${me.key.name || ''} (${me.key.prefix || me.key.id}…)`],
      ['console.who.expires', me.key.expires_at ? localTime(me.key.expires_at) : ''],
    ];
    for (const [k, v, mono] of rows) {
      if (!v) continue;
      dl.append(el('dt', { text: t(k) }), el('dd', { class: mono ? 'mono' : '', 'data-field': k.slice(12), text: v }));
    }
  }

  function renderAll() {
    const me = state.me;
    const can = (p) => !!me && me.permissions.includes(p);
    $('signin').hidden = !!me;
    $('session').hidden = !me;
    $('upload').hidden = !can('file');
    $('list').hidden = !can('read');
    $('share').hidden = !can('share');
    renderWho();
    renderUploaded();
    renderList();
    renderShares();
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
    setLang(pickLang());
    document.body.dataset.ready = 'true';
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
