package main

import (
	_ "embed"

	"github.com/custos-project/custos/receipt"
)

// The built-in receipt the page verifies as soon as the verifier has
// started, before the court chooses its files: a copy of the test vector
// receipt/testdata/vectors/valid/v3-complete.json and its trust
// bundle (TestWarmUpIsTheVector keeps them equal). In the browser, the
// first call of each WebAssembly function compiles it and the busiest ones
// are compiled again, optimised (docs/performance.md, "The page's first
// verdict"); verifying this receipt does that work while the page waits,
// so the court's own verification runs on compiled code. It is also a
// self-check: a verifier that rejects it is broken.
var (
	//go:embed warmup/receipt.json
	warmUpReceipt string
	//go:embed warmup/trust.json
	warmUpTrust string
)

// WarmUp verifies the built-in receipt with the digests and size of its
// evidence file (the ones it records, which are that file's) and returns
// the Report as JSON, as custosVerify would.
func WarmUp() []byte {
	in := Input{Receipt: warmUpReceipt, Trust: warmUpTrust}
	if r, err := receipt.Parse([]byte(warmUpReceipt)); err == nil {
		in.SHA256Hex, in.SM3Hex, in.Size = r.Evidence.SHA256, r.Evidence.SM3, r.Evidence.Size
	}
	return VerifyJSON(in)
}
