package sourcemap

import (
	"errors"
	"math"
	"math/rand"
	"strings"
	"testing"
)

// decodeOne decodes a one-value segment.
func decodeOne(s string) (int64, error) {
	n, f, next, err := ScanSegment(s, 0)
	if err == nil && (n != 1 || next != len(s)) {
		return 0, errors.New("not one value")
	}
	return f[0], err
}

// ECMA-426's VLQ rules: the examples of its base64 VLQ section, the 32-bit
// limit on the value (not on the number of digits), and negative zero.
func TestVLQVectors(t *testing.T) {
	long := "i" + strings.Repeat("g", 1000) + "A" // 1, with 1000 redundant digits
	cases := []struct {
		in   string
		want int64
		err  VLQErrorKind
	}{
		{"A", 0, 0}, {"C", 1, 0}, {"D", -1, 0}, {"iB", 17, 0}, {"V", -10, 0},
		{"B", math.MinInt32, 0}, // negative zero stands for -2^31
		{"iggggggA", 1, 0}, {long, 1, 0},
		{"+/////D", math.MaxInt32, 0}, {"//////D", -math.MaxInt32, 0},
		{"ggggggE", 0, VLQRange},  // 2^31
		{"hgggggE", 0, VLQRange},  // -2^31 written as a magnitude
		{"gggggggB", 0, VLQRange}, // a bit past 2^34
		{"g" + strings.Repeat("g", 20) + "C", 0, VLQRange},
		{"g", 0, VLQTruncated}, {"gg", 0, VLQTruncated},
		{"=", 0, VLQBadChar}, {"A=", 0, VLQBadChar}, {"é", 0, VLQBadChar},
	}
	for _, c := range cases {
		got, err := decodeOne(c.in)
		var ve *VLQError
		switch {
		case c.err == 0 && (err != nil || got != c.want):
			t.Errorf("%.20q: %d, %v; want %d", c.in, got, err, c.want)
		case c.err != 0 && (!errors.As(err, &ve) || ve.Kind != c.err):
			t.Errorf("%.20q: %d, %v; want error kind %d", c.in, got, err, c.err)
		}
	}
	// DecodeVLQ reads one value, from a string or bytes.
	if v, next, err := DecodeVLQ([]byte("AiB,C"), 1); v != 17 || next != 3 || err != nil {
		t.Errorf("DecodeVLQ = %d, %d, %v", v, next, err)
	}
	// "g," and "g;" are values cut short, not a bad character.
	if _, _, _, err := ScanSegment("AAAg,A", 0); err == nil || !strings.Contains(err.Error(), "cut short") {
		t.Errorf("AAAg,: %v", err)
	}
}

// AppendVLQ writes what readValues reads, in the shortest form.
func TestVLQRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	vals := []int64{0, 1, -1, 15, 16, -16, 511, 512, math.MaxInt32, -math.MaxInt32, math.MinInt32}
	for range 10000 {
		a, b := int64(rng.Int31()), int64(rng.Int31()) // two draws: a signed spread
		vals = append(vals, a-b)
	}
	for _, v := range vals {
		s := string(AppendVLQ(nil, v))
		got, err := decodeOne(s)
		if err != nil || got != v {
			t.Fatalf("%d → %q → %d, %v", v, s, got, err)
		}
		if v != math.MinInt32 && len(s) > 1 && s[len(s)-1] == 'A' {
			t.Fatalf("%d → %q: not the shortest form", v, s)
		}
	}
	// Several values, as the decoding pass reads them: sums into acc.
	var acc [8]int64
	n, next, err := readValues("CDiBV,", 0, &acc)
	if n != 4 || next != 5 || err != nil || acc[0] != 1 || acc[1] != -1 || acc[2] != 17 || acc[3] != -10 {
		t.Fatalf("readValues: %d %d %v %v", n, next, err, acc)
	}
}
