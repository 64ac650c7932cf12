package sourcemap

import (
	"fmt"
	"math"
	"unsafe"
)

// The base64 VLQ codec: the only one in mapback (inject writes shifted
// mappings with AppendVLQ; doctor and resolve read through this package).
//
// A value is written least significant digit first. Each base64 digit holds
// five value bits and, in its sixth bit, whether another digit follows; the
// lowest bit of the first digit is the sign. ECMA-426 (docs/internals/
// sourcemap-format.md) bounds the *value*, not the number of digits: the
// unsigned quantity must stay below 2^32 and its magnitude below 2^31, so a
// 1 written with ten digits ("hggggggggA") is valid and a value past the
// range is an error however it is written. A negative zero ("B") stands for
// -2^31, the one value the sign-and-magnitude form cannot otherwise express.

const base64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// b64 maps a byte to its base64 digit, -1 for bytes outside the alphabet.
var b64 = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(base64Alphabet); i++ {
		t[base64Alphabet[i]] = int8(i)
	}
	return t
}()

// VLQError is a base64 VLQ that cannot be decoded. At is the byte offset of
// the offending digit in the decoded text.
type VLQError struct {
	At   int
	Kind VLQErrorKind
	Char byte // the character, for VLQBadChar
}

// VLQErrorKind says what is wrong with a VLQ value.
type VLQErrorKind uint8

const (
	VLQBadChar   VLQErrorKind = iota + 1 // a byte outside the base64 alphabet
	VLQTruncated                         // a continuation digit and then nothing
	VLQRange                             // the value does not fit in 32 bits
)

func (e *VLQError) Error() string {
	switch e.Kind {
	case VLQBadChar:
		return fmt.Sprintf("%s is not a base64 digit (byte %d of the mappings)", quoteChar(e.Char), e.At)
	case VLQTruncated:
		return fmt.Sprintf("a VLQ value is cut short: its last digit says more follow (byte %d of the mappings)", e.At)
	default:
		return fmt.Sprintf("a VLQ value does not fit in 32 bits (byte %d of the mappings)", e.At)
	}
}

// quoteChar shows a byte of the mappings as a reader can see it.
func quoteChar(c byte) string {
	if c >= 0x21 && c < 0x7f {
		return fmt.Sprintf("'%c'", c)
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// readValues decodes the base64 VLQ values of one segment, from s[i] (not
// a ',' or ';') to the next ',' or ';' or the end of s, and adds the k-th to
// acc[k&7]: the decoding pass keeps running sums there, a caller that wants
// the values passes zeros. It returns how many values there were and the
// offset after them. This is the one VLQ decoder; it is written as one loop
// with no call per value, and reads the one-digit values most segments hold
// from a table, because the decoding pass reads a value every byte or two of
// mappings that can be megabytes long.
func readValues(s string, i int, acc *[8]int64) (n, next int, err error) {
	for {
		if v := oneDigit[s[i]]; v != notOneDigit {
			acc[n&7] += int64(v)
			i++
		} else {
			start := i
			d := int64(b64[s[i]])
			if d < 0 {
				return n, i, &VLQError{At: i, Kind: VLQBadChar, Char: s[i]}
			}
			i++
			u := d & 31
			for shift := 5; d >= 32; {
				if i >= len(s) {
					return n, i, &VLQError{At: i - 1, Kind: VLQTruncated}
				}
				if d = int64(b64[s[i]]); d < 0 {
					if s[i] == ',' || s[i] == ';' {
						return n, i, &VLQError{At: i - 1, Kind: VLQTruncated}
					}
					return n, i, &VLQError{At: i, Kind: VLQBadChar, Char: s[i]}
				}
				i++
				if shift < 35 {
					u |= (d & 31) << shift
					shift += 5
				} else if d&31 != 0 {
					u = 1 << 32 // out of range, however many digits follow
				}
			}
			switch {
			case u >= 1<<32:
				return n, i, &VLQError{At: start, Kind: VLQRange}
			case u == 1:
				acc[n&7] += math.MinInt32 // negative zero
			default:
				neg := -(u & 1)
				acc[n&7] += (u>>1 ^ neg) - neg
			}
		}
		n++
		if i >= len(s) || s[i] == ',' || s[i] == ';' {
			return n, i, nil
		}
	}
}

// oneDigit is the value of each one-digit VLQ ('A' to 'f' but for 'B',
// negative zero), notOneDigit for every other byte.
var oneDigit = func() (t [256]int8) {
	for i := range t {
		t[i] = notOneDigit
	}
	for d := 0; d < 32; d++ {
		switch {
		case d == 1:
		case d&1 != 0:
			t[base64Alphabet[d]] = -int8(d >> 1)
		default:
			t[base64Alphabet[d]] = int8(d >> 1)
		}
	}
	return t
}()

const notOneDigit = math.MinInt8

// DecodeVLQ decodes the one base64 VLQ value that starts at s[i] and
// returns it with the offset just past it; a malformed value is a *VLQError.
func DecodeVLQ[T ~string | ~[]byte](s T, i int) (v int64, next int, err error) {
	str := asString(s)
	if i >= len(str) {
		return 0, i, &VLQError{At: i, Kind: VLQTruncated}
	}
	// Read up to the value's last digit (the first without the continuation
	// bit), so that readValues stops after it.
	end := i
	for end < len(str) && b64[str[end]] >= 32 {
		end++
	}
	if end < len(str) {
		end++
	}
	var acc [8]int64
	_, next, err = readValues(str[:end], i, &acc)
	return acc[0], next, err
}

// ScanSegment decodes the segment that starts at s[i] (not a ',' or ';'):
// the number of fields, their values (relative, as written) and the offset
// after it. A segment of other than 1, 4 or 5 fields is an error, as is a
// malformed value (*VLQError).
func ScanSegment[T ~string | ~[]byte](s T, i int) (n int, fields [5]int64, next int, err error) {
	return scanSegment(asString(s), i)
}

// asString views s as a string without copying it: the decoder only reads
// it and keeps nothing.
func asString[T ~string | ~[]byte](s T) string {
	if b, ok := any(s).([]byte); ok {
		return unsafe.String(unsafe.SliceData(b), len(b))
	}
	return string(s)
}

// AppendVLQ appends v as base64 VLQ, in the shortest form. v must be within
// [-2^31, 2^31-1], the range DecodeVLQ reads back.
func AppendVLQ(dst []byte, v int64) []byte {
	var u uint64
	switch {
	case v == math.MinInt32:
		return append(dst, 'B')
	case v < 0:
		u = uint64(-v)<<1 | 1
	default:
		u = uint64(v) << 1
	}
	for {
		d := u & 31
		u >>= 5
		if u != 0 {
			d |= 32
		}
		dst = append(dst, base64Alphabet[d])
		if u == 0 {
			return dst
		}
	}
}
