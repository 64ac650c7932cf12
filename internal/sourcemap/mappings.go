package sourcemap

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// Lazy decoding of the "mappings" string.
//
// Lookups make one pass over the string (lineIndex.extend), as far as the
// last line asked for: a later lookup further on resumes it. The pass
// decodes every VLQ value, to sum the running deltas, but materialises
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

// checkpoint is the VLQ state at a line start, or (col) at a segment inside
// a line whose columns never decrease: gen0 is the column before that
// segment, genAt the segment's own.
type checkpoint struct {
	line        int
	off         int
	st          vlqState
	gen0, genAt int64
	col         bool
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

// lineCheckpoints returns the range [a, b) of ix.cps holding line k's column
// checkpoints, empty when the line has none.
func (ix *lineIndex) lineCheckpoints(k int) (int, int) {
	a := sort.Search(len(ix.cps), func(j int) bool {
		cp := ix.cps[j]
		return cp.line > k || cp.line == k && cp.col
	})
	b := a
	for b < len(ix.cps) && ix.cps[b].line == k && ix.cps[b].col {
		b++
	}
	return a, b
}

// lookupSorted answers a lookup on a line with column checkpoints (so its
// columns never decrease and the whole line is well-formed): it scans from
// the last checkpoint whose segment starts at or before col, or from the
// line's start, and stops at the first segment past col. ok is false when
// the line has no column checkpoints and must be decoded whole.
func lookupSorted(s string, ix *lineIndex, k, col int) (seg segment, found, ok bool) {
	a, b := ix.lineCheckpoints(k)
	if a == b {
		return segment{}, false, false
	}
	j := sort.Search(b-a, func(j int) bool { return ix.cps[a+j].genAt > int64(col) }) - 1
	var (
		i   int
		st  vlqState
		gen int64
	)
	if j >= 0 {
		cp := ix.cps[a+j]
		i, st, gen = cp.off, cp.st, cp.gen0
	} else {
		var err error
		if i, st, err = seek(s, ix, k); err != nil {
			return segment{}, false, false
		}
	}
	best := segment{genCol: -1}
	for i < len(s) && s[i] != ';' {
		if s[i] == ',' {
			i++
			continue
		}
		n, f, next, err := scanSegment(s, i)
		if err != nil {
			return segment{}, false, false // cannot happen: the line was checked
		}
		i = next
		gen += f[0]
		if gen > int64(col) {
			break
		}
		sg := makeSegment(gen, n, f, &st)
		if sg.genCol > best.genCol { // the first of equal columns wins
			best = sg
		}
	}
	return best, best.genCol >= 0, true
}

// seek returns the offset of line k's first segment and the VLQ state there.
func seek(s string, ix *lineIndex, k int) (int, vlqState, error) {
	c := sort.Search(len(ix.cps), func(j int) bool { return ix.cps[j].line > k }) - 1
	for c > 0 && ix.cps[c].col {
		c--
	}
	cp := ix.cps[c]
	st := cp.st
	i := cp.off
	line := cp.line
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
			return 0, st, err
		}
		st.add(n, f)
		i = next
	}
	return i, st, nil
}

// makeSegment applies a segment's deltas to st and returns it.
func makeSegment(gen int64, n int, f [5]int64, st *vlqState) segment {
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
	return sg
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
	i, st, err := seek(s, ix, k)
	if err != nil {
		return nil, err
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
		sg := makeSegment(gen, n, f, &st)
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
