//go:build !(js && wasm)

package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// main, outside the browser, prints the report the page would get:
//
//	go run ./web/wasmpdf PDF TRUST
//
// It is for comparing the two ends of the bridge; the CLI is `custos
// verify --pdf`.
func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: wasmpdf PDF TRUST (build with GOOS=js GOARCH=wasm for the browser)")
		os.Exit(2)
	}
	var files [2][]byte
	for i := range files {
		b, err := os.ReadFile(os.Args[1+i])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		files[i] = b
	}
	os.Stdout.Write(CheckJSON(filepath.Base(os.Args[1]), files[0], filepath.Base(os.Args[2]), files[1]))
}
