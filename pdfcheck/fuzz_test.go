package pdfcheck

import (
	"bytes"
	"fmt"
	"math"
	"testing"
)

// FuzzContentBox checks that the estimate of where a page's content draws
// (ContentBox, for Drawn.OverContent) never panics, ends, and gives a
// rectangle with no NaN in it, on any content stream.
func FuzzContentBox(f *testing.F) {
	for _, c := range []string{
		"BT /F1 24 Tf 72 700 Td (APPLICANT: MALLORY) Tj ET",
		"q 2 0 0 2 100 100 cm 0 0 10 10 re f Q 100 100 m 200 50 l 150 300 250 10 300 100 c S",
		"BT 12 TL /F1 10 Tf 1 0 0 1 50 50 Tm T* [(a) -300 (b)] TJ 1 2 (c) \" (d) ' 150 Tz 2 Tc 3 Tw 4 Ts (e) Tj ET",
		"q 50 0 0 20 300 400 cm /Im1 Do /Fm1 Do Q /Sh1 sh",
		"BI /W 1 /H 1 ID \x00 EI",
	} {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		page := "<</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources <</XObject <</Fm1 5 0 R>>>>>>"
		b := []byte("%PDF-1.7\n1 0 obj\n<</Type /Catalog /Pages 2 0 R>>\nendobj\n2 0 obj\n<</Type /Pages /Kids [3 0 R] /Count 1>>\nendobj\n3 0 obj\n" + page + "\nendobj\n")
		b = append(b, fmt.Sprintf("4 0 obj\n<</Length %d>>stream\n", len(content))...)
		b = append(append(b, content...), "\nendstream\nendobj\n5 0 obj\n<</Type /XObject /Subtype /Form /BBox [0 0 10 10] /Matrix [1 0 0 1 5 5] /Length 0>>stream\n\nendstream\nendobj\n"...)
		pf := &File{Data: b, Xref: map[int]xrefEntry{}, cache: map[int]Object{}, busy: map[int]bool{}, objStms: map[int]*objStm{}}
		for num, at := range map[int]string{1: "1 0 obj", 2: "2 0 obj", 3: "3 0 obj", 4: "4 0 obj", 5: "5 0 obj"} {
			pf.Xref[num] = xrefEntry{offset: int64(bytes.Index(b, []byte(at)))}
		}
		for _, v := range ContentBox(pf, 3) {
			if math.IsNaN(v) {
				t.Fatalf("ContentBox(%q) has NaN", content)
			}
		}
	})
}
