// Command wasmfloor is the least a browser verifier of Custos receipts
// links, whatever its own code: it parses an X.509 certificate and checks
// a signature with crypto/x509, decodes JSON with encoding/json and
// prints with fmt. BenchmarkVerifierWasm builds it for js/wasm as `make
// wasm` builds the verifier and reports its compressed size as the floor
// under web/wasm's (docs/performance.md).
package main

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
)

func main() {
	cert, err := x509.ParseCertificate([]byte(os.Args[0]))
	if err == nil {
		err = cert.CheckSignatureFrom(cert)
	}
	var doc map[string]any
	fmt.Println(err, json.Unmarshal([]byte(os.Args[0]), &doc), doc)
}
