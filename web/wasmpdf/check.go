// Command wasmpdf is the certificate PDF verifier of the court's web page:
// internal/verifycli's CheckPDFTrust, the code of `custos verify --pdf
// FILE --trust TRUST --json`, compiled to WebAssembly (main.go). It is a
// module of its own, apart from the receipt verifier (web/wasm): the page
// loads it only when the court chooses a PDF, so the receipt verifier's
// size and first verdict stay as they are. README.md is its JavaScript
// contract.
//
// Built for any other platform it prints the report the page would get
// (cli.go):
//
//	go run ./web/wasmpdf PDF TRUST
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/custos-project/custos/internal/verifycli"
)

// ContractVersion is the version of the contract (README.md).
const ContractVersion = 1

// Steps of a check that could not be carried out: the PDF was not judged.
const (
	// StepInput: the trust bundle or the PDF cannot be used (a usage
	// error, exit status 2 of custos verify --pdf).
	StepInput = "input"
	// StepInternal: a bug in the verifier (a recovered panic).
	StepInternal = "internal"
)

// usageReport is the report of a check that could not be carried out.
// custos verify --pdf prints no JSON then (exit status 2, the reason on
// standard error): the page gets the reason, in English and Chinese, in
// the fields a verdict's report gives it in.
type usageReport struct {
	Valid   bool   `json:"valid"`
	File    string `json:"file"`
	Step    string `json:"step"`
	Error   string `json:"error"`
	ErrorZH string `json:"error_zh,omitempty"`
}

// CheckJSON checks the certificate PDF b, named name, under the trust
// bundle tb, named trustName, and returns the report of `custos verify
// --pdf --json`, byte for byte, whatever the verdict; a check that cannot
// be carried out returns a usageReport. It never panics.
func CheckJSON(name string, b []byte, trustName string, tb []byte) (out []byte) {
	defer func() {
		if p := recover(); p != nil {
			out = usage(name, StepInternal, fmt.Sprintf("verifier panic: %v", p), "")
		}
	}()
	var buf bytes.Buffer
	err := verifycli.CheckPDFTrust(&buf, name, b, trustName, tb, true)
	var ee verifycli.ExitError
	switch {
	case err == nil:
		return buf.Bytes()
	case errors.As(err, &ee) && ee.Code == 1: // not valid: the report says why
		return buf.Bytes()
	case errors.As(err, &ee):
		return usage(name, StepInput, ee.Message(false), ee.Message(true))
	}
	return usage(name, StepInternal, err.Error(), "")
}

func usage(name, step, msg, msgZH string) []byte {
	if msgZH == msg {
		msgZH = ""
	}
	b, err := json.Marshal(usageReport{File: name, Step: step, Error: msg, ErrorZH: msgZH})
	if err != nil { // cannot happen: strings only
		panic(err)
	}
	return append(b, '\n')
}
