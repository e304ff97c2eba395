// verifier.js: starts the WebAssembly verifier as early as the page allows.
//
// verify.html asks for verify.wasm from its <head> (<link rel="preload">)
// and loads this script async, so that it runs as soon as it arrives: it
// compiles the module while it downloads, then, once wasm_exec.js (a
// deferred script) has defined Go, instantiates it and runs the Go program,
// which registers custosVerify and custosWarmUp. It does not wait for the
// page to be built. CustosVerifier.ready settles once that is done:
// 'ready', or 'missing' when the verifier is not built (no wasm_exec.js,
// or verify.wasm answers 404); it rejects on any other failure. A failure
// of the Go program later on is given to the listeners of the
// 'custos:verifier-exit' event. The 'custos:verifier-start' event tells
// verify.js that CustosVerifier exists, if it looked before.
//
// CustosVerifier.loadPDF() starts the certificate PDF verifier,
// verifypdf.wasm (web/wasmpdf: custos verify --pdf), a module of its own
// that the page loads only when the court chooses a PDF, so that the
// receipt verifier's download and first verdict do not wait for it. It
// runs in its own Go instance beside the receipt verifier and registers
// custosVerifyPDF; the promise settles as ready does ('ready' or
// 'missing'). A failed load is tried again at the next call.
'use strict';

(function (global) {
  async function start() {
    // The preloaded response, if the browser kept it; else a new request.
    const resp = await fetch('/static/verify.wasm');
    if (resp.status === 404) return 'missing';
    if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
    const module = await WebAssembly.compileStreaming(resp);
    mark('compiled');
    await goDefined();
    if (typeof global.Go !== 'function') return 'missing';
    const go = new global.Go();
    const instance = await WebAssembly.instantiate(module, go.importObject);
    // go.run runs the Go program until main blocks, which it does once
    // it has registered its functions; the promise settles only if the
    // program ends, which is a failure.
    go.run(instance).then(() => exit('the verifier stopped'), (e) => exit(String(e && e.message ? e.message : e)));
    if (typeof global.custosVerify !== 'function') throw new Error('custosVerify was not registered');
    mark('started');
    return 'ready';
  }

  let pdf = null;
  function loadPDF() {
    if (!pdf) pdf = startPDF().catch((e) => { pdf = null; throw e; });
    return pdf;
  }

  async function startPDF() {
    const resp = await fetch('/static/verifypdf.wasm');
    if (resp.status === 404) return 'missing';
    if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
    const module = await WebAssembly.compileStreaming(resp);
    await goDefined();
    if (typeof global.Go !== 'function') return 'missing';
    const go = new global.Go();
    const instance = await WebAssembly.instantiate(module, go.importObject);
    // As for the receipt verifier, the promise settles only if the
    // program ends: the next PDF loads it again.
    const ended = () => { pdf = null; };
    go.run(instance).then(ended, ended);
    if (typeof global.custosVerifyPDF !== 'function') throw new Error('custosVerifyPDF was not registered');
    mark('pdf-started');
    return 'ready';
  }

  // goDefined waits for the deferred scripts, wasm_exec.js among them,
  // which have all run by DOMContentLoaded. The document is 'interactive'
  // both before they run and after DOMContentLoaded, so this waits for
  // whichever of DOMContentLoaded and load comes next.
  function goDefined() {
    if (typeof global.Go === 'function' || document.readyState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      document.addEventListener('DOMContentLoaded', resolve, { once: true });
      global.addEventListener('load', resolve, { once: true });
    });
  }

  function exit(error) {
    document.dispatchEvent(new CustomEvent('custos:verifier-exit', { detail: { error } }));
  }

  // mark records a step in the page's performance timeline
  // (performance.getEntriesByName('custos:compiled') and so on).
  function mark(name) {
    if (global.performance && performance.mark) performance.mark('custos:' + name);
  }

  global.CustosVerifier = { ready: start(), mark, loadPDF };
  document.dispatchEvent(new Event('custos:verifier-start'));
})(globalThis);
