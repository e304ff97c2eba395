package receipt

// The protobuf wire format (protobuf.dev/programming-guides/encoding) as far
// as the messages of protobuf.go need it: reading a message's fields, and
// appending fields the way gogoproto's generated Marshal writes them.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// Wire types (protobuf encoding, "Message Structure").
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
)

// errUnknownField is a field this verifier does not know; CometBFT would
// skip it, and then re-encode without it, so such a message is never
// canonical.
var errUnknownField = errors.New("proto: unknown field")

// wireField is one field of a message as it was read.
type wireField struct {
	num, wire int
	u         uint64 // a varint or fixed64 value
	b         []byte // the contents of a length-delimited field
}

// readVarint reads a base-128 varint of at most 10 bytes, as gogoproto does
// (bits past the 64th are dropped).
func readVarint(b []byte) (uint64, int, error) {
	var v uint64
	for i := 0; i < len(b); i++ {
		if i == 10 {
			return 0, 0, errors.New("proto: integer overflow")
		}
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return v, i + 1, nil
		}
	}
	return 0, 0, errors.New("unexpected EOF")
}

// eachField calls fn on each field of the message b, in order.
func eachField(b []byte, fn func(wireField) error) error {
	for len(b) > 0 {
		key, n, err := readVarint(b)
		if err != nil {
			return err
		}
		b = b[n:]
		f := wireField{num: int(key >> 3), wire: int(key & 7)}
		if key>>3 == 0 || key>>3 > math.MaxInt32 {
			return fmt.Errorf("proto: illegal tag %d", key>>3)
		}
		switch f.wire {
		case wireVarint:
			f.u, n, err = readVarint(b)
		case wireFixed64:
			if len(b) < 8 {
				return errors.New("unexpected EOF")
			}
			f.u, n = binary.LittleEndian.Uint64(b), 8
		case wireBytes:
			var l uint64
			if l, n, err = readVarint(b); err == nil && l > uint64(len(b)-n) {
				err = errors.New("unexpected EOF")
			}
			if err == nil {
				f.b, n = b[n:n+int(l)], n+int(l)
			}
		default:
			err = fmt.Errorf("proto: wire type %d not used by these messages", f.wire)
		}
		if err != nil {
			return err
		}
		b = b[n:]
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// want checks the field's wire type.
func (f wireField) want(wire int) error {
	if f.wire != wire {
		return fmt.Errorf("proto: wrong wireType = %d for field %d", f.wire, f.num)
	}
	return nil
}

func (f wireField) varint() (uint64, error) { return f.u, f.want(wireVarint) }

// bytes is a copy of a bytes field's contents (never nil).
func (f wireField) bytes() ([]byte, error) {
	if err := f.want(wireBytes); err != nil {
		return nil, err
	}
	return append([]byte{}, f.b...), nil
}

func (f wireField) string() (string, error) { return string(f.b), f.want(wireBytes) }

// message decodes an embedded message with decode.
func (f wireField) message(decode func([]byte) error) error {
	if err := f.want(wireBytes); err != nil {
		return err
	}
	return decode(f.b)
}

// setVarint, setBytes and setString store a field's value through p.
func setUint64(f wireField, p *uint64) (err error) { *p, err = f.varint(); return err }

func setInt64(f wireField, p *int64) error {
	u, err := f.varint()
	*p = int64(u)
	return err
}

func setInt32(f wireField, p *int32) error { // gogoproto keeps the low 32 bits
	u, err := f.varint()
	*p = int32(u)
	return err
}

func setBytes(f wireField, p *[]byte) (err error) { *p, err = f.bytes(); return err }

func setString(f wireField, p *string) (err error) { *p, err = f.string(); return err }

// Timestamps (google.protobuf.Timestamp, as gogoproto's StdTime* read and
// write them): seconds and nanos within years 1 to 9999, in UTC.
const (
	minTimestampSeconds = -62135596800 // 0001-01-01T00:00:00Z
	maxTimestampSeconds = 253402300800 // 10000-01-01T00:00:00Z
)

func decodeTime(b []byte) (time.Time, error) {
	var secs int64
	var nanos int32
	err := eachField(b, func(f wireField) error {
		switch f.num {
		case 1:
			return setInt64(f, &secs)
		case 2:
			return setInt32(f, &nanos)
		}
		return errUnknownField
	})
	switch {
	case err != nil:
		return time.Time{}, err
	case secs < minTimestampSeconds || secs >= maxTimestampSeconds:
		return time.Time{}, fmt.Errorf("timestamp: seconds:%d nanos:%d before 0001-01-01 or after 9999-12-31", secs, nanos)
	case nanos < 0 || nanos >= 1e9:
		return time.Time{}, fmt.Errorf("timestamp: seconds:%d nanos:%d: nanos not in range [0, 1e9)", secs, nanos)
	}
	return time.Unix(secs, int64(nanos)).UTC(), nil
}

// appendTime appends the Timestamp message of t (its contents, no key).
func appendTime(b []byte, t time.Time) []byte {
	b = appendVarintField(b, 1, uint64(t.Unix()))
	return appendVarintField(b, 2, uint64(int64(t.Nanosecond())))
}

// appendKey appends a field's key.
func appendKey(b []byte, num, wire int) []byte {
	return binary.AppendUvarint(b, uint64(num)<<3|uint64(wire))
}

// appendVarintField appends a proto3 varint field unless v is 0.
func appendVarintField(b []byte, num int, v uint64) []byte {
	if v == 0 {
		return b
	}
	return binary.AppendUvarint(appendKey(b, num, wireVarint), v)
}

// appendFixed64Field appends a proto3 sfixed64 field unless v is 0.
func appendFixed64Field(b []byte, num int, v int64) []byte {
	if v == 0 {
		return b
	}
	return binary.LittleEndian.AppendUint64(appendKey(b, num, wireFixed64), uint64(v))
}

// appendBytesField appends a proto3 bytes or string field unless it is empty.
func appendBytesField[T []byte | string](b []byte, num int, v T) []byte {
	if len(v) == 0 {
		return b
	}
	return appendLengthDelimited(b, num, v)
}

// appendLengthDelimited appends a length-delimited field, even an empty one.
func appendLengthDelimited[T []byte | string](b []byte, num int, v T) []byte {
	b = binary.AppendUvarint(appendKey(b, num, wireBytes), uint64(len(v)))
	return append(b, v...)
}

// appendMessage appends an embedded message, encoded by enc, even an
// empty one.
func appendMessage(b []byte, num int, enc func([]byte) []byte) []byte {
	return appendLengthDelimited(b, num, enc(nil))
}
