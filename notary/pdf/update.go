package pdf

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/custos-project/custos/pdfcheck"
)

// update is an incremental update (ISO 32000-1 §7.5.6): new and changed
// objects appended to an unchanged file, with a cross-reference section of
// the same kind as the file's newest one, chained to it by /Prev.
type update struct {
	f    *pdfcheck.File
	next int            // next free object number
	objs map[int][]byte // object number → its body ("<<...>>", or a dictionary and stream)
}

func newUpdate(f *pdfcheck.File) (*update, error) {
	size, err := f.Size()
	if err != nil {
		return nil, err
	}
	for num := range f.Xref {
		size = max(size, num+1)
	}
	return &update{f: f, next: size, objs: map[int][]byte{}}, nil
}

// add reserves a new object number.
func (u *update) add() int {
	u.next++
	return u.next - 1
}

// set gives object num the body o.
func (u *update) set(num int, o pdfcheck.Object) {
	var buf bytes.Buffer
	pdfcheck.WriteObject(&buf, o)
	u.objs[num] = buf.Bytes()
}

// setStream gives object num a stream body: d (whose /Length is set here)
// and data, already encoded as d's /Filter says.
func (u *update) setStream(num int, d *pdfcheck.Dict, data []byte) {
	d = d.Clone()
	d.Set("Length", len(data))
	var buf bytes.Buffer
	pdfcheck.WriteObject(&buf, d)
	buf.WriteString("\nstream\n")
	buf.Write(data)
	buf.WriteString("\nendstream")
	u.objs[num] = buf.Bytes()
}

// bytes returns the updated file and the offset of each written object.
func (u *update) bytes() ([]byte, map[int]int64) {
	var out bytes.Buffer
	out.Write(u.f.Data)
	if len(u.f.Data) > 0 && u.f.Data[len(u.f.Data)-1] != '\n' && u.f.Data[len(u.f.Data)-1] != '\r' {
		out.WriteByte('\n')
	}
	nums := make([]int, 0, len(u.objs)+1)
	for num := range u.objs {
		nums = append(nums, num)
	}
	sort.Ints(nums)
	offsets := map[int]int64{}
	for _, num := range nums {
		offsets[num] = int64(out.Len())
		fmt.Fprintf(&out, "%d 0 obj\n", num)
		out.Write(u.objs[num])
		out.WriteString("\nendobj\n")
	}
	trailer := pdfcheck.NewDict()
	for _, k := range []pdfcheck.Name{"Root", "Info", "ID"} {
		if v := u.f.Trailer.Get(k); v != nil {
			trailer.Set(k, v)
		}
	}
	trailer.Set("Prev", u.f.StartXref)
	if u.f.XrefStream {
		u.writeXrefStream(&out, nums, offsets, trailer)
	} else {
		u.writeXrefTable(&out, nums, offsets, trailer)
	}
	return out.Bytes(), offsets
}

// writeXrefTable writes a classic table (ISO 32000-1 §7.5.4): one
// subsection per run of consecutive object numbers, 20-byte entries.
func (u *update) writeXrefTable(out *bytes.Buffer, nums []int, offsets map[int]int64, trailer *pdfcheck.Dict) {
	start := out.Len()
	out.WriteString("xref\n")
	for _, run := range runs(nums) {
		fmt.Fprintf(out, "%d %d\n", run[0], len(run))
		for _, num := range run {
			fmt.Fprintf(out, "%010d %05d n\r\n", offsets[num], 0)
		}
	}
	trailer.Set("Size", u.next)
	out.WriteString("trailer\n")
	pdfcheck.WriteObject(out, trailer)
	fmt.Fprintf(out, "\nstartxref\n%d\n%%%%EOF\n", start)
}

// writeXrefStream writes a cross-reference stream (ISO 32000-1 §7.5.8),
// uncompressed, with fields of 1, 4 and 2 bytes; it lists itself.
func (u *update) writeXrefStream(out *bytes.Buffer, nums []int, offsets map[int]int64, trailer *pdfcheck.Dict) {
	self := u.add()
	offsets[self] = int64(out.Len())
	nums = append(nums, self)
	var data []byte
	index := pdfcheck.Array{}
	for _, run := range runs(nums) {
		index = append(index, run[0], len(run))
		for _, num := range run {
			o := offsets[num]
			data = append(data, 1, byte(o>>24), byte(o>>16), byte(o>>8), byte(o), 0, 0)
		}
	}
	d := pdfcheck.NewDict()
	d.Set("Type", pdfcheck.Name("XRef"))
	d.Set("Size", u.next)
	d.Set("Index", index)
	d.Set("W", pdfcheck.Array{1, 4, 2})
	for _, k := range trailer.Keys {
		d.Set(k, trailer.Map[k])
	}
	d.Set("Length", len(data))
	fmt.Fprintf(out, "%d 0 obj\n", self)
	pdfcheck.WriteObject(out, d)
	out.WriteString("\nstream\n")
	out.Write(data)
	out.WriteString("\nendstream\nendobj\n")
	fmt.Fprintf(out, "startxref\n%d\n%%%%EOF\n", offsets[self])
}

// runs splits sorted numbers into runs of consecutive ones.
func runs(nums []int) [][]int {
	var out [][]int
	for i, n := range nums {
		if i == 0 || n != nums[i-1]+1 {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], n)
	}
	return out
}
