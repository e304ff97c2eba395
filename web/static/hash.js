// hash.js: the evidence file's digests, computed in the browser. The file is
// read here and never sent anywhere.
//
// SHA-256 uses Web Crypto (crypto.subtle) when the page is a secure context
// and the file fits in memory comfortably; otherwise, and for SM3 (GB/T
// 32905-2016, which Web Crypto lacks), a streaming implementation below reads
// the file in chunks.
'use strict';

(function (global) {
  const CHUNK = 4 << 20;        // bytes read at a time when streaming
  const SUBTLE_MAX = 256 << 20; // larger files are streamed, not read whole

  function hex(bytes) {
    let s = '';
    for (const b of bytes) s += b.toString(16).padStart(2, '0');
    return s;
  }

  const rotr = (x, n) => (x >>> n) | (x << (32 - n));
  const rotl = (x, n) => (x << n) | (x >>> (32 - n));

  // A Merkle–Damgård hash over 64-byte blocks with big-endian 32-bit words
  // and the padding SHA-256 and SM3 share (FIPS 180-4 §5.1.1).
  class BlockHash {
    constructor(iv, compress, words) {
      this.h = Uint32Array.from(iv);
      this.compress = compress;
      this.w = new Uint32Array(words);
      this.buf = new Uint8Array(64);
      this.n = 0;   // bytes in buf
      this.len = 0; // total bytes
    }
    update(data) {
      let i = 0;
      this.len += data.length;
      if (this.n > 0) {
        const k = Math.min(64 - this.n, data.length);
        this.buf.set(data.subarray(0, k), this.n);
        this.n += k;
        i = k;
        if (this.n < 64) return this;
        this.compress(this.h, this.w, this.buf, 0);
        this.n = 0;
      }
      for (; i + 64 <= data.length; i += 64) this.compress(this.h, this.w, data, i);
      this.buf.set(data.subarray(i), 0);
      this.n = data.length - i;
      return this;
    }
    digest() {
      const bits = this.len * 8;
      const pad = new Uint8Array((this.n < 56 ? 64 : 128) - this.n);
      pad[0] = 0x80;
      const dv = new DataView(pad.buffer);
      dv.setUint32(pad.length - 8, Math.floor(bits / 2 ** 32));
      dv.setUint32(pad.length - 4, bits >>> 0);
      this.update(pad);
      const out = new Uint8Array(32);
      const ov = new DataView(out.buffer);
      for (let j = 0; j < 8; j++) ov.setUint32(4 * j, this.h[j]);
      return out;
    }
  }

  function load16(w, p, off) {
    for (let i = 0; i < 16; i++) {
      const o = off + 4 * i;
      w[i] = (p[o] << 24) | (p[o + 1] << 16) | (p[o + 2] << 8) | p[o + 3];
    }
  }

  // SHA-256, FIPS 180-4 §6.2.
  const K256 = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]);
  const IV256 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

  function sha256Block(h, w, p, off) {
    load16(w, p, off);
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15], y = w[i - 2];
      const s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3);
      const s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
    }
    let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (let i = 0; i < 64; i++) {
      const t1 = (k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i]) | 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      k = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
  }

  // SM3, GB/T 32905-2016 §5.
  const IVSM3 = [0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600, 0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e];
  const p0 = (x) => x ^ rotl(x, 9) ^ rotl(x, 17);
  const p1 = (x) => x ^ rotl(x, 15) ^ rotl(x, 23);

  function sm3Block(h, w, p, off) {
    load16(w, p, off);
    for (let j = 16; j < 68; j++) {
      w[j] = p1(w[j - 16] ^ w[j - 9] ^ rotl(w[j - 3], 15)) ^ rotl(w[j - 13], 7) ^ w[j - 6];
    }
    let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (let j = 0; j < 64; j++) {
      const t = j < 16 ? 0x79cc4519 : 0x7a879d8a;
      const a12 = rotl(a, 12);
      const ss1 = rotl((a12 + e + rotl(t, j % 32)) | 0, 7);
      const ss2 = ss1 ^ a12;
      const ff = j < 16 ? a ^ b ^ c : (a & b) | (a & c) | (b & c);
      const gg = j < 16 ? e ^ f ^ g : (e & f) | (~e & g);
      const tt1 = (ff + d + ss2 + (w[j] ^ w[j + 4])) | 0;
      const tt2 = (gg + k + ss1 + w[j]) | 0;
      d = c; c = rotl(b, 9); b = a; a = tt1;
      k = g; g = rotl(f, 19); f = e; e = p0(tt2);
    }
    h[0] ^= a; h[1] ^= b; h[2] ^= c; h[3] ^= d; h[4] ^= e; h[5] ^= f; h[6] ^= g; h[7] ^= k;
  }

  const newSHA256 = () => new BlockHash(IV256, sha256Block, 64);
  const newSM3 = () => new BlockHash(IVSM3, sm3Block, 68);

  function subtleUsable(size) {
    return size <= SUBTLE_MAX && global.isSecureContext && global.crypto && global.crypto.subtle;
  }

  // digestFile returns {sha256, sm3, size} of a File or Blob, as lowercase
  // hex; sm3 is '' unless wantSM3. onProgress(done, total) is called while
  // streaming.
  async function digestFile(file, wantSM3, onProgress) {
    let sha256 = '';
    let sha = null;
    if (subtleUsable(file.size)) {
      sha256 = hex(new Uint8Array(await global.crypto.subtle.digest('SHA-256', await file.arrayBuffer())));
    } else {
      sha = newSHA256();
    }
    const sm = wantSM3 ? newSM3() : null;
    if (sha || sm) {
      for (let off = 0; off < file.size; off += CHUNK) {
        const b = new Uint8Array(await file.slice(off, off + CHUNK).arrayBuffer());
        if (sha) sha.update(b);
        if (sm) sm.update(b);
        if (onProgress) onProgress(Math.min(off + CHUNK, file.size), file.size);
      }
    }
    if (sha) sha256 = hex(sha.digest());
    return { sha256, sm3: sm ? hex(sm.digest()) : '', size: file.size };
  }

  const utf8 = (s) => new TextEncoder().encode(s);

  global.CustosHash = {
    digestFile,
    sha256Hex: (bytes) => hex(newSHA256().update(typeof bytes === 'string' ? utf8(bytes) : bytes).digest()),
    sm3Hex: (bytes) => hex(newSM3().update(typeof bytes === 'string' ? utf8(bytes) : bytes).digest()),
  };
})(globalThis);
