package main

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/custos-project/custos/internal/verifycli"
	"github.com/custos-project/custos/notary/pdf/pdftest"
)

// TestCheckJSON: the page gets, byte for byte, what `custos-verify --pdf
// FILE --trust TRUST --json` prints (verifycli.CheckPDFFiles), for a
// valid PDF and for one with a byte changed inside the signed range; and
// step input, with the reason in English and Chinese, where the command
// line ends in a usage error.
func TestCheckJSON(t *testing.T) {
	f := pdftest.SignedFiles(t, nil, time.Hour)
	tb, err := os.ReadFile(f.Trust)
	if err != nil {
		t.Fatal(err)
	}
	changed := bytes.Clone(f.Signed)
	changed[len(changed)/4] ^= 0x01
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		pdf   []byte
		valid bool
		step  string
	}{{"valid.pdf", f.Signed, true, ""}, {"changed.pdf", changed, false, "digest"}} {
		path := dir + "/" + tc.name
		if err := os.WriteFile(path, tc.pdf, 0o600); err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		verifycli.CheckPDFFiles(&want, verifycli.PDFOptions{PDF: path, Trust: f.Trust, JSON: true})
		got := CheckJSON(tc.name, tc.pdf, "trust.json", tb)
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("CheckJSON(%s) =\n%s\nwant custos-verify --pdf --json's\n%s", tc.name, got, want.Bytes())
		}
		var rep struct {
			Valid bool
			Step  string
		}
		if err := json.Unmarshal(got, &rep); err != nil || rep.Valid != tc.valid || rep.Step != tc.step {
			t.Errorf("CheckJSON(%s) = valid %v, step %q (%v); want %v, %q", tc.name, rep.Valid, rep.Step, err, tc.valid, tc.step)
		}
	}
	var rep usageReport
	got := CheckJSON("c.pdf", f.Signed, "trust.json", []byte(`{"version":1}`))
	if err := json.Unmarshal(got, &rep); err != nil || rep.Valid || rep.Step != StepInput || rep.File != "c.pdf" || rep.Error == "" || rep.ErrorZH == "" {
		t.Errorf("CheckJSON(unusable trust bundle) = %s; want step input with the reason in English and Chinese", got)
	}
}
