package sourcemap

import (
	"fmt"
	"math"
	"math/bits"
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

// segment is one decoded segment (24 bytes). prob holds the problems it
// has (see checkSegment); its fields are meaningful only where prob says so.
type segment struct {
	genCol int32
	src    int32
	line   int32
	col    int32
	name   int32 // -1: none
	fields uint8
	prob   uint8
}

// The problems a segment can have, as flags of segment.prob.
const (
	probColumn   uint8 = 1 << iota // generated column < 0 or > 2^31-1: the segment does not exist
	probSource                     // source index outside sources: maps to nothing
	probOriginal                   // original line or column < 0 or > 2^31-1: maps to nothing
	probName                       // name index outside names: no name
)

// limits are the list lengths a segment's indexes are checked against.
type limits struct{ sources, names int }

func sat32(v int64) int32 { return int32(max(math.MinInt32, min(math.MaxInt32, v))) }

// segmentFlags returns the problems of the segment of n fields whose
// running values are acc (the generated column, then source, original line
// and column, and name, as readValues leaves them): the one place where
// ECMA-426's rules for a segment's values are applied, for lookups and for
// Check alike. Unsigned comparisons test "below 0 or above the bound" at once.
func segmentFlags(acc *[8]int64, n int, lim limits) (prob uint8) {
	if uint64(acc[0]) > math.MaxInt32 {
		prob = probColumn
	}
	if n >= 4 {
		if uint64(acc[1]) >= uint64(lim.sources) {
			prob |= probSource
		}
		if uint64(acc[2]) > math.MaxInt32 || uint64(acc[3]) > math.MaxInt32 {
			prob |= probOriginal
		}
		if n == 5 && uint64(acc[4]) >= uint64(lim.names) {
			prob |= probName
		}
	}
	return prob
}

// segmentAt makes the segment of n fields whose running values are acc,
// its problems flagged (segmentFlags); values out of int32's range are
// saturated, for messages.
func segmentAt(acc *[8]int64, n int, lim limits) segment {
	sg := segment{genCol: sat32(acc[0]), fields: uint8(n), name: -1, prob: segmentFlags(acc, n, lim)}
	if n >= 4 {
		sg.src, sg.line, sg.col = sat32(acc[1]), sat32(acc[2]), sat32(acc[3])
		if n == 5 {
			sg.name = sat32(acc[4])
		}
	}
	return sg
}

// problems turns a segment's flags into Problems, for generated line k.
func (sg segment) problems(k int, lim limits, add func(Problem)) {
	p := Problem{Section: -1, Member: "mappings", Line: k, Column: int(sg.genCol), AfterColumn: -1}
	if sg.prob&probColumn != 0 {
		p.Kind, p.Column = ProblemColumn, -1
		p.Detail = fmt.Sprintf("a segment's generated column is %s", outOfRange(sg.genCol, "below 0"))
		p.Effect = "the segment is left out"
		add(p)
		return // the other fields of a segment that does not exist do not matter
	}
	if sg.prob&probSource != 0 {
		p.Kind = ProblemSource
		p.Detail = fmt.Sprintf("source index %s is out of range (the map has %s)", outOfRange(sg.src, ""), plural(lim.sources, "source"))
		p.Effect = "the position maps to nothing"
		add(p)
	}
	if sg.prob&probOriginal != 0 {
		p.Kind = ProblemOriginal
		p.Detail = fmt.Sprintf("original position (line %s, column %s) is out of range", outOfRange(sg.line, ""), outOfRange(sg.col, ""))
		p.Effect = "the position maps to nothing"
		add(p)
	}
	if sg.prob&probName != 0 {
		p.Kind = ProblemName
		p.Detail = fmt.Sprintf("name index %s is out of range (the map has %s)", outOfRange(sg.name, ""), plural(lim.names, "name"))
		p.Effect = "the segment has no name"
		add(p)
	}
}

// problemCount is how many Problems problems would report.
func (sg segment) problemCount() int {
	if sg.prob&probColumn != 0 {
		return 1
	}
	return bits.OnesCount8(sg.prob)
}

// outOfRange shows a saturated int32 value: the number, or where it went.
func outOfRange(v int32, neg string) string {
	switch {
	case v == math.MaxInt32:
		return "2147483647 or more"
	case v == math.MinInt32:
		return "-2147483648 or less"
	case v < 0 && neg != "":
		return fmt.Sprintf("%d, %s", v, neg)
	}
	return fmt.Sprint(v)
}

// scanSegment reads one segment's fields at s[i:] (i is not at ',' or ';').
// It returns the number of fields, the values and the next offset.
func scanSegment(s string, i int) (n int, f [5]int64, next int, err error) {
	var acc [8]int64
	n, next, err = readValues(s, i, &acc)
	if err != nil {
		return 0, f, next, err
	}
	copy(f[:], acc[:5])
	if n != 1 && n != 4 && n != 5 {
		return n, f, next, fieldCountError(n)
	}
	return n, f, next, nil
}

// fieldCountError is a segment with a number of fields the format does not
// have. ECMA-426 has segments of 1, 4 or 5 fields; with any other count it
// cannot tell which fields are there, so nothing after it can be read.
type fieldCountError int

func (e fieldCountError) Error() string {
	return fmt.Sprintf("a segment has %d fields (a segment has 1, 4 or 5)", int(e))
}

// syntaxProblem is malformed mappings text on generated line k, in its
// item-th comma-separated segment, at running generated column gen (the
// line's segments so far: any).
func syntaxProblem(k, item int, gen int64, any bool, cause error) *Problem {
	return &Problem{Kind: ProblemSyntax, Section: -1, Member: "mappings", Line: k, Column: -1,
		Segment: item, AfterColumn: afterColumn(gen, any), Detail: cause.Error(), Effect: "nothing from here on can be read", Err: cause}
}

// afterColumn is Problem.AfterColumn for a running generated column gen.
func afterColumn(gen int64, any bool) int {
	if !any || gen < 0 || gen > math.MaxInt32 {
		return -1
	}
	return int(gen)
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
func lookupSorted(s string, ix *lineIndex, k, col int, lim limits) (seg segment, found, ok bool) {
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
	r := newLineReader(s, i, st, k, lim)
	r.acc[0] = gen
	for {
		sg, ok, p := r.next()
		if p != nil {
			return segment{}, false, false // cannot happen: the line was checked
		}
		if !ok || r.acc[0] > int64(col) {
			break
		}
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
		acc := [8]int64{1: st.src, 2: st.line, 3: st.col, 4: st.name}
		n, next, err := readValues(s, i, &acc)
		if err != nil {
			return 0, st, err
		}
		if n >= 4 {
			st = vlqState{src: acc[1], line: acc[2], col: acc[3], name: acc[4]}
		}
		i = next
	}
	return i, st, nil
}

// lineReader reads the segments of one generated line in mappings order:
// the one segment walk of the package, used by lookups (decodeLine,
// lookupSorted) and by Check alike, so they cannot disagree about which
// segments a line has.
type lineReader struct {
	s string
	i int // the next byte
	k int // the generated line, for problems
	// acc holds the running values: acc[0] the generated column of the last
	// segment (0 at the line's start), acc[1:5] the source, original line,
	// original column and name, which carry across lines.
	acc   [8]int64
	any   bool // a segment was read on the line
	items int  // comma-separated segments begun on the line, empty ones too
	sep   bool // at the line's start or just after a ','
	lim   limits
	// empty, when not nil, is told of each empty segment (",,", or a ','
	// first or last on the line) as a Problem without its line. An empty
	// segment has no values and changes nothing: it is skipped.
	empty func(p Problem)
}

func newLineReader(s string, i int, st vlqState, k int, lim limits) *lineReader {
	return &lineReader{s: s, i: i, k: k, acc: [8]int64{1: st.src, 2: st.line, 3: st.col, 4: st.name}, items: 1, sep: true, lim: lim}
}

// state is the running source, original line, column and name.
func (r *lineReader) state() vlqState {
	return vlqState{src: r.acc[1], line: r.acc[2], col: r.acc[3], name: r.acc[4]}
}

// next returns the line's next segment, its problems flagged (segmentAt).
// At the line's end ok is false and r.i is past the ';'. Malformed text
// returns a ProblemSyntax.
func (r *lineReader) next() (sg segment, ok bool, p *Problem) {
	n, ok, p := r.step()
	if !ok {
		return segment{}, false, p
	}
	return segmentAt(&r.acc, n, r.lim), true, nil
}

// step is next without making the segment: it reads the line's next
// segment into r.acc and returns its number of fields, for a caller (Check)
// that needs the segment only when it has a problem.
func (r *lineReader) step() (n int, ok bool, p *Problem) {
	s := r.s
	for r.i < len(s) && s[r.i] == ',' {
		if r.sep {
			r.emptySegment()
		}
		r.sep = true
		r.items++
		r.i++
	}
	if r.i >= len(s) || s[r.i] == ';' {
		if r.sep && r.i > 0 && s[r.i-1] == ',' {
			r.emptySegment() // a ',' ends the line
		}
		if r.i < len(s) {
			r.i++
		}
		return 0, false, nil
	}
	gen := r.acc[0]
	n, next, err := readValues(s, r.i, &r.acc)
	if err == nil && n != 1 && n != 4 && n != 5 {
		err = fieldCountError(n)
	}
	if err != nil {
		return 0, false, syntaxProblem(r.k, r.items, gen, r.any, err)
	}
	r.any, r.sep, r.i = true, false, next
	return n, true, nil
}

func (r *lineReader) emptySegment() {
	if r.empty != nil {
		r.empty(Problem{Kind: ProblemSegment, Section: -1, Member: "mappings", Line: r.k, Column: -1,
			Segment: r.items, AfterColumn: afterColumn(r.acc[0], r.any),
			Detail: "an empty segment (a ',' with no segment before or after it)", Effect: "skipped"})
	}
}

// decodeLine returns the segments of line k that exist (no probColumn),
// sorted by generated column (stable, so ties keep mappings order), or the
// syntax problem that stops the map on or before line k.
func decodeLine(s string, ix *lineIndex, k int, lim limits) ([]segment, error) {
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
	count := 0
	for j := i; j < len(s) && s[j] != ';'; j++ {
		if s[j] != ',' && (j == i || s[j-1] == ',') {
			count++
		}
	}
	if count == 0 {
		return nil, nil
	}
	kept := make([]segment, 0, count)
	sorted := true
	r := newLineReader(s, i, st, k, lim)
	for {
		sg, ok, p := r.next()
		if p != nil {
			return nil, p // cannot happen: the pass stops before such a line
		}
		if !ok {
			break
		}
		if sg.prob&probColumn != 0 {
			continue
		}
		if len(kept) > 0 && kept[len(kept)-1].genCol > sg.genCol {
			sorted = false
		}
		kept = append(kept, sg)
	}
	if !sorted {
		sort.SliceStable(kept, func(a, b int) bool { return kept[a].genCol < kept[b].genCol })
	}
	return kept, nil
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
