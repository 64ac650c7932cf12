package inject

import "errors"

const base64Chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

var base64Values = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := range len(base64Chars) {
		t[base64Chars[i]] = int8(i)
	}
	return t
}()

// decodeVLQ reads one base64 VLQ value from the start of s and returns it
// and the number of bytes it took.
func decodeVLQ(s []byte) (value, n int, err error) {
	var v uint64
	shift := uint(0)
	for i, c := range s {
		d := base64Values[c]
		if d < 0 {
			return 0, 0, errors.New("invalid base64 VLQ character")
		}
		if shift > 31 {
			return 0, 0, errors.New("VLQ value too large")
		}
		v |= uint64(d&31) << shift
		if d&32 == 0 {
			value = int(v >> 1)
			if v&1 != 0 {
				value = -value
			}
			return value, i + 1, nil
		}
		shift += 5
	}
	return 0, 0, errors.New("truncated VLQ value")
}

// encodeVLQ writes v as base64 VLQ.
func encodeVLQ(v int) string {
	u := uint64(v) << 1
	if v < 0 {
		u = uint64(-v)<<1 | 1
	}
	var out []byte
	for {
		d := u & 31
		u >>= 5
		if u != 0 {
			d |= 32
		}
		out = append(out, base64Chars[d])
		if u == 0 {
			return string(out)
		}
	}
}
