"use strict";
// The first custosVerify call in Node.js (docs/performance.md, "The page's first verdict: less code on the
// first call's path"):
//   node bench/verifier_firstcall.js "$(go env GOROOT)" verify.wasm RECEIPT TRUST   (PREPARE=1: custosPrepare first)
// It prints the compile time, custosPrepare's (with PREPARE=1), and the wall and CPU time (all threads,
// process.cpuUsage) of the first and a second custosVerify, then the CPU V8's threads used in the next 300 ms.
const fs = require("fs");
const [goroot, wasm, rfile, tfile] = process.argv.slice(2);
globalThis.require = require; globalThis.fs = fs;
globalThis.TextEncoder = require("util").TextEncoder; globalThis.TextDecoder = require("util").TextDecoder;
globalThis.performance ??= require("perf_hooks").performance;
globalThis.crypto ??= require("crypto").webcrypto;
require(goroot + "/lib/wasm/wasm_exec.js");
const now = () => performance.now();
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
(async () => {
  const bytes = fs.readFileSync(wasm);
  const receipt = fs.readFileSync(rfile, "utf8"), trust = fs.readFileSync(tfile, "utf8");
  const r = JSON.parse(receipt);
  let t0 = now(), c0 = cpu();
  const mod = await WebAssembly.compile(bytes);
  let t1 = now(), c1 = cpu();
  const go = new Go();
  const inst = await WebAssembly.instantiate(mod, go.importObject);
  go.run(inst);
  let t2 = now(), c2 = cpu();
  let prep = "";
  if (process.env.PREPARE && typeof custosPrepare === "function") { const a = now(); custosPrepare(trust); prep = ` prepare ${(now() - a).toFixed(0)}`; t2 = now(); c2 = cpu(); }
  const out = JSON.parse(custosVerify(receipt, trust, r.evidence.sha256, r.evidence.sm3 || "", r.evidence.size));
  let t3 = now(), c3 = cpu();
  if (!out.valid) { console.error(JSON.stringify(out.error)); process.exit(1); }
  custosVerify(receipt, trust, r.evidence.sha256, r.evidence.sm3 || "", r.evidence.size);
  let t4 = now(), c4 = cpu();
  // let background compile threads settle, then see what the first call cost in total
  await new Promise((res) => setTimeout(res, 300));
  let c5 = cpu();
  const f = (x) => x.toFixed(0);
  console.log(`compile ${f(t1-t0)}${prep} first ${f(t3-t2)} (cpu ${f(c3-c2)}) second ${f(t4-t3)} (cpu ${f(c4-c3)}) bg-after ${f(c5-c4)}`);
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
