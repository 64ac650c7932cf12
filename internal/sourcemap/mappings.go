package sourcemap

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// Lazy decoding of the "mappings" string.
//
// The first Lookup makes one pass over the whole string (buildIndex). That
// pass decodes every VLQ value, to sum the running deltas, but materialises
// no segment: it only records checkpoints — the byte offset of a line's
// group plus the VLQ state (source, original line, original column, name)
// at the start of that line. A checkpoint is taken at a line start when 64
// lines or 1 KiB have passed since the previous one, so the index costs at
// most ~0.05 bytes per byte of mappings for ordinary maps and < 1 byte per
// byte for a hostile ";;;;…" string, and reaching any line from its
// checkpoint re-scans < 1 KiB plus at most 63 short lines.
//
// A lookup on line k finds the checkpoint at or before k (binary search),
// re-scans forward to line k, and decodes only line k into a slice of
// segments sorted by column, which is cached (the cache is dropped when it
// exceeds maxCachedSegments). Lookup within a line is a binary search, so a
// line with 10^5+ segments costs one decode and then O(log n) per lookup.

const (
	cpEveryLines      = 64
	cpEveryBytes      = 1024
	maxCachedSegments = 1 << 22
)

// vlqState is the running state of the relative fields. int64 cannot
// overflow: each delta fits in int32 and a segment takes at least one byte.
type vlqState struct {
	src, line, col, name int64
}

// add applies a segment's deltas (n fields) to the running state, which
// carries across lines.
func (st *vlqState) add(n int, f [5]int64) {
	if n >= 4 {
		st.src += f[1]
		st.line += f[2]
		st.col += f[3]
		if n == 5 {
			st.name += f[4]
		}
	}
}

type checkpoint struct {
	line int
	off  int
	st   vlqState
}

// segment is one decoded segment (24 bytes). bad marks a segment whose
// source, original line or column does not fit in int32.
type segment struct {
	genCol int32
	src    int32
	line   int32
	col    int32
	name   int32
	fields uint8
	bad    bool
}

func fits32(v int64) bool { return v >= math.MinInt32 && v <= math.MaxInt32 }

type lineIndex struct {
	cps     []checkpoint
	nLines  int   // number of lines (count of ';' + 1) up to errLine
	errLine int   // first line with a decoding error, or -1
	err     error // the decoding error
}

var b64 = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = int8(i)
	}
	return t
}()

var errVLQOverflow = errors.New("VLQ value does not fit in 32 bits")

// readVLQ decodes one base64 VLQ value starting at s[i].
func readVLQ(s string, i int) (int64, int, error) {
	var v uint64
	shift := uint(0)
	for {
		if i >= len(s) {
			return 0, i, fmt.Errorf("truncated VLQ value at byte %d", i)
		}
		c := s[i]
		d := b64[c]
		if d < 0 {
			return 0, i, fmt.Errorf("invalid character %q in mappings at byte %d", c, i)
		}
		i++
		v |= uint64(d&31) << shift
		if d&32 == 0 {
			break
		}
		shift += 5
		if shift > 30 {
			return 0, i, errVLQOverflow
		}
	}
	neg := v&1 != 0
	v >>= 1
	if v > math.MaxInt32 {
		return 0, i, errVLQOverflow
	}
	if neg {
		return -int64(v), i, nil
	}
	return int64(v), i, nil
}

// scanSegment reads one segment's fields at s[i:] (i is not at ',' or ';').
// It returns the number of fields, the values and the next offset.
func scanSegment(s string, i int) (n int, f [5]int64, next int, err error) {
	for i < len(s) && s[i] != ',' && s[i] != ';' {
		var v int64
		v, i, err = readVLQ(s, i)
		if err != nil {
			return 0, f, i, err
		}
		if n < 5 {
			f[n] = v
		}
		n++
	}
	if n != 1 && n != 4 && n != 5 {
		return n, f, i, fmt.Errorf("segment with %d fields (want 1, 4 or 5) at byte %d", n, i)
	}
	return n, f, i, nil
}

func buildIndex(s string) *lineIndex {
	ix := &lineIndex{errLine: -1}
	var st vlqState
	last := checkpoint{}
	ix.cps = append(ix.cps, last)
	line := 0
	for i := 0; i < len(s); {
		switch s[i] {
		case ';':
			line++
			i++
			if line-last.line >= cpEveryLines || i-last.off >= cpEveryBytes {
				last = checkpoint{line: line, off: i, st: st}
				ix.cps = append(ix.cps, last)
			}
			continue
		case ',':
			i++
			continue
		}
		n, f, next, err := scanSegment(s, i)
		if err != nil {
			ix.errLine = line
			ix.err = fmt.Errorf("invalid mappings on generated line %d: %w", line+1, err)
			ix.nLines = line + 1
			return ix
		}
		st.add(n, f)
		i = next
	}
	ix.nLines = line + 1
	return ix
}

// decodeLine returns the segments of line k sorted by generated column
// (stable, so ties keep mappings order), or an error.
func decodeLine(s string, ix *lineIndex, k int) ([]segment, error) {
	if ix.errLine >= 0 && k >= ix.errLine {
		return nil, ix.err
	}
	if k >= ix.nLines {
		return nil, nil
	}
	c := sort.Search(len(ix.cps), func(j int) bool { return ix.cps[j].line > k }) - 1
	cp := ix.cps[c]
	st := cp.st
	i := cp.off
	line := cp.line
	// Skip to line k, summing deltas.
	for line < k && i < len(s) {
		switch s[i] {
		case ';':
			line++
			i++
			continue
		case ',':
			i++
			continue
		}
		n, f, next, err := scanSegment(s, i)
		if err != nil {
			return nil, err
		}
		st.add(n, f)
		i = next
	}
	// Count segments on this line to allocate exactly.
	end := i
	count := 0
	for end < len(s) && s[end] != ';' {
		if s[end] != ',' && (end == i || s[end-1] == ',') {
			count++
		}
		end++
	}
	if count == 0 {
		return nil, nil
	}
	segs := make([]segment, 0, count)
	var gen int64
	sorted := true
	for i < end {
		if s[i] == ',' {
			i++
			continue
		}
		n, f, next, err := scanSegment(s, i)
		if err != nil {
			return nil, err
		}
		i = next
		gen += f[0]
		if gen < 0 || gen > math.MaxInt32 {
			return nil, fmt.Errorf("generated column %d out of range on line %d", gen, k+1)
		}
		sg := segment{genCol: int32(gen), fields: uint8(n)}
		if n >= 4 {
			st.src += f[1]
			st.line += f[2]
			st.col += f[3]
			if fits32(st.src) && fits32(st.line) && fits32(st.col) {
				sg.src, sg.line, sg.col = int32(st.src), int32(st.line), int32(st.col)
			} else {
				sg.bad = true
			}
			sg.name = -1
			if n == 5 {
				st.name += f[4]
				if fits32(st.name) {
					sg.name = int32(st.name)
				}
			}
		}
		if len(segs) > 0 && segs[len(segs)-1].genCol > sg.genCol {
			sorted = false
		}
		segs = append(segs, sg)
	}
	if !sorted {
		sort.SliceStable(segs, func(a, b int) bool { return segs[a].genCol < segs[b].genCol })
	}
	return segs, nil
}

// glb returns the index of the first (in mappings order) segment with the
// greatest column <= col, or -1.
func glb(segs []segment, col int) int {
	j := sort.Search(len(segs), func(i int) bool { return int(segs[i].genCol) > col })
	if j == 0 {
		return -1
	}
	c := segs[j-1].genCol
	return sort.Search(j, func(i int) bool { return segs[i].genCol >= c })
}
