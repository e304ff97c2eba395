//go:build js && wasm

// Command wasm is the Custos receipt verifier for the court's web page:
// the same receipt.Verify as `custos verify`, compiled to WebAssembly. It
// registers a global JavaScript function,
//
//	custosVerify(receiptJSON, trustJSON, sha256Hex, sm3Hex[, size]) → string
//
// which returns the JSON Report described in README.md (the receipt and the
// trust bundle may be strings or Uint8Arrays of the files' bytes), and sets the global
// custosVerifyVersion to the contract version. custosWarmUp() verifies a
// built-in receipt and returns its Report the same way (warmup.go): the
// page calls it while it waits for the court's files. The evidence file never
// reaches the verifier: the page hashes it (Web Crypto) and passes the
// digests. custosConfirm(receiptJSON, trustJSON, checkpointJSON,
// proofJSON) checks the serving node's checkpoint and consistency proof
// against a verified receipt (confirm.go). custosPrepare(trustJSON) parses
// and checks a trust bundle once for the calls that follow (prepare.go).
//
// Build with `make wasm`, which writes web/static/verify.wasm and the
// brotli and gzip copies the server sends, with the flags that keep it
// small (the Makefile's WASM_ENV and WASM_FLAGS):
//
//	GOOS=js GOARCH=wasm GOEXPERIMENT=nojsonv2 go build -trimpath -gcflags=all=-l -ldflags="-s -w" -o web/static/verify.wasm ./web/wasm/
package main

import (
	"fmt"
	"syscall/js"
)

func main() {
	js.Global().Set("custosVerify", js.FuncOf(custosVerify))
	js.Global().Set("custosWarmUp", js.FuncOf(func(js.Value, []js.Value) any { return string(WarmUp()) }))
	js.Global().Set("custosConfirm", js.FuncOf(custosConfirm))
	js.Global().Set("custosPrepare", js.FuncOf(custosPrepare))
	js.Global().Set("custosVerifyVersion", ContractVersion)
	select {} // keep the functions alive
}

// custosVerify marshals the JavaScript arguments to an Input and the
// Report to a JSON string. Nothing panics across the bridge.
func custosVerify(_ js.Value, args []js.Value) (out any) {
	defer func() {
		if p := recover(); p != nil {
			out = string(internalError(fmt.Sprintf("bridge panic: %v", p)))
		}
	}()
	var in Input
	var err error
	for i, f := range []*string{&in.Receipt, &in.Trust} {
		if *f, err = bytesArg(args, i); err != nil {
			return string(inputError(err.Error()))
		}
	}
	fields := []*string{&in.SHA256Hex, &in.SM3Hex}
	for i, f := range fields {
		if *f, err = stringArg(args, i+2); err != nil {
			return string(inputError(err.Error()))
		}
	}
	if len(args) > 4 {
		switch a := args[4]; a.Type() {
		case js.TypeNumber:
			in.Size = int64(a.Float())
		case js.TypeUndefined, js.TypeNull:
		default:
			return string(inputError("argument 5 (size) must be a number"))
		}
	}
	// Argument 6, optional: the transitions companion (Input.Transitions).
	if in.Transitions, err = stringArg(args, 5); err != nil {
		return string(inputError(err.Error()))
	}
	return string(VerifyJSON(in))
}

// custosConfirm(receiptJSON, trustJSON, nodeCheckpointJSON, proofJSON)
// returns the Confirmation (confirm.go) as a JSON string.
func custosConfirm(_ js.Value, args []js.Value) (out any) {
	defer func() {
		if p := recover(); p != nil {
			out = fmt.Sprintf(`{"confirmed":false,"contradicted":false,"message":%q}`, fmt.Sprintf("bridge panic: %v", p))
		}
	}()
	var in [4]string
	for i := range in {
		arg := stringArg
		if i < 2 {
			arg = bytesArg // the receipt and the trust bundle
		}
		var err error
		if in[i], err = arg(args, i); err != nil {
			return fmt.Sprintf(`{"confirmed":false,"contradicted":false,"message":%q}`, err.Error())
		}
	}
	return string(ConfirmJSON(in[0], in[1], in[2], in[3]))
}

// custosPrepare(trustJSON) readies a trust bundle for the calls that
// follow (prepare.go) and returns "" when it is usable, else why not.
func custosPrepare(_ js.Value, args []js.Value) (out any) {
	defer func() {
		if p := recover(); p != nil {
			out = fmt.Sprintf("bridge panic: %v", p)
		}
	}()
	trust, err := bytesArg(args, 0)
	if err != nil {
		return err.Error()
	}
	return Prepare(trust)
}

// bytesArg is argument i, a file: a string, or a Uint8Array of the
// file's exact bytes, as the page passes the receipt and the trust bundle.
// A text decoding (Blob.text, Response.text) drops a leading byte-order
// mark and replaces bytes that are not UTF-8, so that the page would check
// other bytes than custos verify does; given the bytes, it checks the same
// ones and reaches the same verdict (custos verify refuses a receipt with
// either at step format, and a trust bundle after a byte-order mark as
// unusable).
func bytesArg(args []js.Value, i int) (string, error) {
	if i < len(args) && args[i].Type() == js.TypeObject && args[i].InstanceOf(js.Global().Get("Uint8Array")) {
		b := make([]byte, args[i].Length())
		js.CopyBytesToGo(b, args[i])
		return string(b), nil
	}
	s, err := stringArg(args, i)
	if err != nil {
		return "", fmt.Errorf("argument %d must be a string or a Uint8Array", i+1)
	}
	return s, nil
}

// stringArg is argument i as a string; missing, undefined and null are "".
func stringArg(args []js.Value, i int) (string, error) {
	if i >= len(args) {
		return "", nil
	}
	switch a := args[i]; a.Type() {
	case js.TypeString:
		return a.String(), nil
	case js.TypeUndefined, js.TypeNull:
		return "", nil
	}
	return "", fmt.Errorf("argument %d must be a string", i+1)
}
