package pdf

import (
	"bytes"
	"fmt"
	"sort"
)

// update is an incremental update (ISO 32000-1 §7.5.6): new and changed
// objects appended to an unchanged file, with a cross-reference section of
// the same kind as the file's newest one, chained to it by /Prev.
type update struct {
	f    *file
	next int            // next free object number
	objs map[int][]byte // object number → its body ("<<...>>", or a dictionary and stream)
}

func newUpdate(f *file) (*update, error) {
	size, err := f.size()
	if err != nil {
		return nil, err
	}
	for num := range f.xref {
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
func (u *update) set(num int, o object) {
	var buf bytes.Buffer
	writeObject(&buf, o)
	u.objs[num] = buf.Bytes()
}

// setStream gives object num a stream body: d (whose /Length is set here)
// and data, already encoded as d's /Filter says.
func (u *update) setStream(num int, d *dict, data []byte) {
	d = d.clone()
	d.set("Length", len(data))
	var buf bytes.Buffer
	writeObject(&buf, d)
	buf.WriteString("\nstream\n")
	buf.Write(data)
	buf.WriteString("\nendstream")
	u.objs[num] = buf.Bytes()
}

// bytes returns the updated file and the offset of each written object.
func (u *update) bytes() ([]byte, map[int]int64) {
	var out bytes.Buffer
	out.Write(u.f.b)
	if len(u.f.b) > 0 && u.f.b[len(u.f.b)-1] != '\n' && u.f.b[len(u.f.b)-1] != '\r' {
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
	trailer := newDict()
	for _, k := range []name{"Root", "Info", "ID"} {
		if v := u.f.trailer.get(k); v != nil {
			trailer.set(k, v)
		}
	}
	trailer.set("Prev", u.f.startxref)
	if u.f.xrefStream {
		u.writeXrefStream(&out, nums, offsets, trailer)
	} else {
		u.writeXrefTable(&out, nums, offsets, trailer)
	}
	return out.Bytes(), offsets
}

// writeXrefTable writes a classic table (ISO 32000-1 §7.5.4): one
// subsection per run of consecutive object numbers, 20-byte entries.
func (u *update) writeXrefTable(out *bytes.Buffer, nums []int, offsets map[int]int64, trailer *dict) {
	start := out.Len()
	out.WriteString("xref\n")
	for _, run := range runs(nums) {
		fmt.Fprintf(out, "%d %d\n", run[0], len(run))
		for _, num := range run {
			fmt.Fprintf(out, "%010d %05d n\r\n", offsets[num], 0)
		}
	}
	trailer.set("Size", u.next)
	out.WriteString("trailer\n")
	writeObject(out, trailer)
	fmt.Fprintf(out, "\nstartxref\n%d\n%%%%EOF\n", start)
}

// writeXrefStream writes a cross-reference stream (ISO 32000-1 §7.5.8),
// uncompressed, with fields of 1, 4 and 2 bytes; it lists itself.
func (u *update) writeXrefStream(out *bytes.Buffer, nums []int, offsets map[int]int64, trailer *dict) {
	self := u.add()
	offsets[self] = int64(out.Len())
	nums = append(nums, self)
	var data []byte
	index := array{}
	for _, run := range runs(nums) {
		index = append(index, run[0], len(run))
		for _, num := range run {
			o := offsets[num]
			data = append(data, 1, byte(o>>24), byte(o>>16), byte(o>>8), byte(o), 0, 0)
		}
	}
	d := newDict()
	d.set("Type", name("XRef"))
	d.set("Size", u.next)
	d.set("Index", index)
	d.set("W", array{1, 4, 2})
	for _, k := range trailer.keys {
		d.set(k, trailer.m[k])
	}
	d.set("Length", len(data))
	fmt.Fprintf(out, "%d 0 obj\n", self)
	writeObject(out, d)
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
