// Package receipt defines the Custos receipt, a self-contained proof of one
// evidence item, and verifies it offline against a trust bundle.
//
// The verifier depends on no server code, so that the CLI and the browser
// (WebAssembly) run the same checks.
package receipt
