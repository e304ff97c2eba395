// verify-pdf.js: the report of a certificate PDF (公证书, 作品登记证书) on
// the court verification page.
//
// verify.js hands a PDF chosen in place of a receipt (a file that begins
// with %PDF-) to the certificate PDF verifier, verifypdf.wasm, which
// verifier.js loads only then (CustosVerifier.loadPDF): custosVerifyPDF
// returns what `custos verify --pdf FILE --trust TRUST --json` prints, the
// same code's report (web/wasmpdf/README.md). CustosPDFReport.render
// writes it into #result: the verdict, the steps as the command line
// names them, what the signature establishes and the embedded receipts,
// in the page's language. The verifier's own words (its reasons) are
// English; a refusal's Chinese reason (error_zh) is the command line's.
'use strict';

(function (global) {
  // The rows of the report and the steps of pdfcheck.Verify each covers,
  // in the order it runs them; then the embedded receipts (with --trust).
  const ROWS = [
    ['signature', ['find', 'byteRange', 'cms', 'digest', 'signature']],
    ['timestamp', ['timestamp']],
    ['chain', ['chain']],
    ['certification', ['certification']],
    ['signatures', ['signatures']],
    ['receipt', ['receipt']],
  ];
  const KNOWN = ROWS.flatMap(([, steps]) => steps);

  // render writes the report r ({out, pdf, trust, at}) with the page's
  // helpers ui: t, el, facts, localTime, utcTime, size, techDetail and
  // verifierWords.
  function render(r, ui) {
    const out = r.out;
    const failed = out.valid ? '' : out.step || 'input';
    renderVerdict(r, failed, ui);
    renderSteps(r, failed, ui);
    renderFacts(r, ui);
    renderReceipts(r, ui);
  }

  // techError is the report's failure in the shape of the receipt
  // report's error, for ui.techDetail.
  const techError = (out) => ({ want: out.expected, got: out.computed, message: out.error });

  function renderVerdict(r, failed, ui) {
    const { t, el } = ui;
    const v = document.getElementById('verdict');
    v.replaceChildren();
    const out = r.out;
    if (out.valid) {
      v.className = 'verdict ok';
      v.append(el('p', { class: 'big', text: '✔ ' + t((out.warnings || []).length ? 'verdict.pdfWarn' : 'verdict.pdfOk') }),
        el('p', { class: 'explain', text: t('verdict.pdfOkText') }));
      return;
    }
    v.className = 'verdict bad';
    const known = KNOWN.includes(failed);
    const explain = failed === 'receipt' ? 'fail.pdfReceipt' : known ? 'fail.pdf' : 'fail.pdfInput';
    v.append(
      el('p', { class: 'big', text: '✘ ' + (known ? t('verdict.bad', { step: t('pdfstep.' + failed) }) : t('verdict.error')) }),
      el('p', { class: 'explain', text: t(explain) }),
      reasonZH(out, ui),
      ui.techDetail(techError(out)));
  }

  // reasonZH is the command line's Chinese reason for a refusal, on a
  // Chinese page.
  function reasonZH(out, ui) {
    return ui.lang() === 'zh' && out.error_zh ? ui.el('p', { class: 'explain', text: '原因：' + out.error_zh }) : null;
  }

  function rowStatus(out, steps, failed) {
    if (steps.includes(failed)) return 'fail';
    if (!out.valid) {
      const at = KNOWN.indexOf(failed);
      return at >= 0 && KNOWN.indexOf(steps[0]) < at ? 'pass' : 'notrun';
    }
    return 'pass';
  }

  function renderSteps(r, failed, ui) {
    const { t, el } = ui;
    const ol = document.getElementById('steps');
    ol.replaceChildren();
    const res = r.out.result || {};
    for (const [name, steps] of ROWS) {
      if (name === 'signatures' && r.out.valid && !(res.signatures || []).length) continue;
      let status = rowStatus(r.out, steps, failed);
      let what;
      if (status === 'pass' && !r.out.result) what = t('status.pass'); // before the failed step
      else if (status === 'pass') [status, what] = passText(r, name, ui);
      else if (status === 'fail') what = t(name === 'receipt' ? 'fail.pdfReceipt' : 'fail.pdf');
      else what = t('notrun.any');
      const body = el('div', {},
        el('p', { class: 'name', text: t(name === 'signature' ? 'pdfrow.signature' : 'pdfstep.' + name) }),
        el('p', { class: 'what', text: what }),
        status === 'fail' ? reasonZH(r.out, ui) : null,
        status === 'fail' && r.out.error ? ui.verifierWords(r.out.error) : null,
        status === 'fail' ? ui.techDetail(techError(r.out)) : null);
      ol.append(el('li', { class: 'step', 'data-step': name, 'data-status': status },
        el('span', { class: 'badge', text: (status === 'pass' ? '✔ ' : status === 'fail' ? '✘ ' : '– ') + t('status.' + status) }), body));
    }
  }

  // passText is a passed row's status (a row that checked nothing is
  // skipped) and what it established.
  function passText(r, name, ui) {
    const { t } = ui;
    const res = r.out.result || {};
    const c = res.certification || {};
    switch (name) {
      case 'signature': return ['pass', t('pdfpass.signature', { signer: res.signer || '?' })];
      case 'timestamp':
        return ['pass', t('pdfpass.timestamp', { local: ui.localTime(res.time), utc: ui.utcTime(res.time), tsa: res.tsa || '?', serial: res.tsa_serial || '?' })];
      case 'chain': return ['pass', t('pdfpass.chain')];
      case 'certification': {
        if (!c.level) return ['skip', t('pdfpass.certification.none')];
        const args = { level: c.level, permits: t('pdfpermits.' + c.level), n: c.later_revisions || 0 };
        if (!c.added_after_certification) return ['pass', t('pdfpass.certification', args)];
        args.changes = (c.later_changes || '').split(', ').map((x) => t('pdfchange.' + x.replace(/ /g, '-'))).join(t('listSep'));
        return ['pass', t('pdfpass.certification.changed', args)];
      }
      case 'signatures': return ['pass', t('pdfpass.signatures', { n: (res.signatures || []).length })];
      case 'receipt': {
        const n = (r.out.receipts || []).length;
        return n ? ['pass', t('pdfpass.receipt', { n })] : ['skip', t('pdf.receipt.none')];
      }
    }
    return ['pass', ''];
  }

  function renderFacts(r, ui) {
    const { t, el } = ui;
    const out = r.out;
    const res = out.result || (out.signed_revision || null) || {};
    const warn = document.getElementById('pdf-warnings');
    warn.replaceChildren();
    for (const w of out.warnings || []) {
      const args = { note: res.claimed_time_note || '', n: (res.certification || {}).later_drawn || 0 };
      warn.append(el('li', { 'data-warning': w, text: '! ' + t('pdf.warn.' + w, args) }));
    }
    const ts = res.time ? t('evidence.timestampLine', { local: ui.localTime(res.time), utc: ui.utcTime(res.time), tsa: res.tsa || '?', serial: res.tsa_serial || '?' }) : '';
    const claimed = res.claimed_time && !res.claimed_time.startsWith('0001-') ? t('aside', { text: ui.utcTime(res.claimed_time), note: t('pdf.claimedNote') }) : '';
    const c = res.certification || {};
    ui.facts(document.getElementById('pdf-facts'), [
      ['pdf.file', t('aside', { text: out.file, note: ui.size(r.pdf.size) })],
      ['evidence.sha256', out.sha256, true],
      ['pdf.signer', res.signer, true],
      ['pdf.reason', res.reason],
      ['pdf.location', res.location],
      ['pdf.claimed', claimed],
      ['evidence.timestamp', ts],
      ['pdf.chain', (res.chain || []).join(' → '), true],
      ['pdf.certification', c.level ? `DocMDP P=${c.level}` : ''],
      ['pdf.links', (res.verify_urls || []).join(' '), true],
      ['pdf.status', out.valid ? t('pdf.statusValue') : ''],
    ]);
  }

  function renderReceipts(r, ui) {
    const { t, el } = ui;
    const tbody = document.getElementById('pdf-receipts').tBodies[0];
    tbody.replaceChildren();
    const rs = r.out.receipts || [];
    if (!rs.length) {
      tbody.append(el('tr', {}, el('td', { colspan: '4', text: r.out.valid ? t('pdf.receipt.none') : t('notrun.any') })));
      return;
    }
    for (const x of rs) {
      let text = x.valid ? '✔ ' + t('pdf.receipt.valid', { version: x.version })
        : '✘ ' + t('pdf.receipt.invalid', { step: t('step.' + x.step) === 'step.' + x.step ? x.step : t('step.' + x.step) });
      if (x.evidence_record_time) text += t('listSep') + t('pdf.receipt.record', { time: ui.utcTime(x.evidence_record_time) });
      const cell = el('td', { class: x.valid ? 'yes' : 'no', text });
      if (!x.valid) cell.append(el('p', { class: 'hint', text: (ui.lang() === 'zh' && x.error_zh) || x.error || '' }));
      tbody.append(el('tr', { 'data-valid': String(!!x.valid) },
        el('td', { class: 'mono', text: x.file }), el('td', { class: 'mono', text: x.evidence || '' }),
        el('td', { class: 'mono', text: x.sha256 || '' }), cell));
    }
  }

  // isPDF says whether bytes begin as a PDF does (ISO 32000-1 §7.5.2).
  const isPDF = (b) => b.length >= 5 && String.fromCharCode(...b.subarray(0, 5)) === '%PDF-';

  global.CustosPDFReport = { render, isPDF };
})(globalThis);
