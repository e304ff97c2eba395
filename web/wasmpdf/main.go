//go:build js && wasm

// In the browser, main registers a global JavaScript function,
//
//	custosVerifyPDF(pdf, trustJSON, pdfName, trustName) → string
//
// which returns CheckJSON's report (README.md; pdf and trustJSON are
// Uint8Arrays of the files' bytes, or strings), and sets the global
// custosVerifyPDFVersion to the contract version. Build with `make wasm`,
// which writes web/static/verifypdf.wasm and the brotli and gzip copies
// the server sends, with the flags of the receipt verifier (the
// Makefile's WASM_ENV and WASM_FLAGS):
//
//	GOOS=js GOARCH=wasm GOEXPERIMENT=nojsonv2 go build -trimpath -gcflags=all=-l -ldflags="-s -w" -o web/static/verifypdf.wasm ./web/wasmpdf/
package main

import (
	"fmt"
	"syscall/js"
)

func main() {
	js.Global().Set("custosVerifyPDF", js.FuncOf(custosVerifyPDF))
	js.Global().Set("custosVerifyPDFVersion", ContractVersion)
	select {} // keep the function alive
}

// custosVerifyPDF marshals the JavaScript arguments and returns the
// report as a string. Nothing panics across the bridge.
func custosVerifyPDF(_ js.Value, args []js.Value) (out any) {
	defer func() {
		if p := recover(); p != nil {
			out = string(usage("", StepInternal, fmt.Sprintf("bridge panic: %v", p), ""))
		}
	}()
	var in [4][]byte
	for i := range in {
		var err error
		if in[i], err = bytesArg(args, i); err != nil {
			return string(usage("", StepInput, err.Error(), ""))
		}
	}
	return string(CheckJSON(string(in[2]), in[0], string(in[3]), in[1]))
}

// bytesArg is argument i: a Uint8Array of a file's exact bytes, or a
// string; missing, undefined and null are empty.
func bytesArg(args []js.Value, i int) ([]byte, error) {
	if i >= len(args) {
		return nil, nil
	}
	switch a := args[i]; {
	case a.Type() == js.TypeObject && a.InstanceOf(js.Global().Get("Uint8Array")):
		b := make([]byte, a.Length())
		js.CopyBytesToGo(b, a)
		return b, nil
	case a.Type() == js.TypeString:
		return []byte(a.String()), nil
	case a.Type() == js.TypeUndefined || a.Type() == js.TypeNull:
		return nil, nil
	}
	return nil, fmt.Errorf("argument %d must be a string or a Uint8Array", i+1)
}
