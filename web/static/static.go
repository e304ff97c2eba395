// Package static holds the court verification page served at /verify: plain
// HTML, CSS and JavaScript, plus the build outputs that `make wasm` writes
// beside them and git ignores: verify.wasm (the receipt verifier, built from
// ./web/wasm with GOOS=js GOARCH=wasm), its compressed copies
// verify.wasm.br and verify.wasm.gz (the server sends the one the browser
// accepts, with Content-Encoding), verifypdf.wasm (the certificate PDF
// verifier, built from ./web/wasmpdf, which the page loads only when a PDF
// is chosen) with its copies verifypdf.wasm.br and verifypdf.wasm.gz, and
// wasm_exec.js (the Go runtime's JavaScript support, copied from
// $(go env GOROOT)/lib/wasm).
//
// FS embeds the whole folder, so the binary builds with or without the
// verifier; without it the page says that the verifier is not built. FS
// also holds this file: the server serves only the extensions it knows.
package static

import "embed"

// FS is the page's files, at the root of the file system.
//
//go:embed *
var FS embed.FS
