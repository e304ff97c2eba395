//go:build !(js && wasm)

package main

import (
	"fmt"
	"os"
)

// main, outside the browser, prints the Report the page would get:
//
//	go run ./web/wasm RECEIPT TRUST [SHA256HEX [SM3HEX]]
//
// It is for comparing the two ends of the bridge; the CLI is `custos verify`.
func main() {
	if len(os.Args) < 3 || len(os.Args) > 5 {
		fmt.Fprintln(os.Stderr, "usage: wasm RECEIPT TRUST [SHA256HEX [SM3HEX]] (build with GOOS=js GOARCH=wasm for the browser)")
		os.Exit(2)
	}
	var in Input
	for i, dst := range []*string{&in.Receipt, &in.Trust} {
		b, err := os.ReadFile(os.Args[1+i])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		*dst = string(b)
	}
	if len(os.Args) > 3 {
		in.SHA256Hex = os.Args[3]
	}
	if len(os.Args) > 4 {
		in.SM3Hex = os.Args[4]
	}
	os.Stdout.Write(append(VerifyJSON(in), '\n'))
}
