package sourcemap

import (
	"math"
	"runtime"
	"strings"
	"sync"
)

// The pass over the mappings string that builds the line index.
//
// Lookups make it only as far as the last line asked for (extend), and a
// later lookup resumes it; a line is always decoded whole, as its column
// checkpoints and its errors depend on all of it.
//
// A stretch of a megabyte or more is split into pieces decoded in parallel
// (frag.run), each from a zero state, and the pieces are then joined
// (join): their checkpoints are shifted by the state reached before them,
// and what a piece could not know on its own (whether the line it starts in
// stays sorted and in range, an error on that line) is settled there. One
// bundle on one line is 6 MB of mappings: on two cores its pass takes half
// the time. The joined index answers every lookup as the sequential pass
// would; only the choice of checkpoints can differ.

// parallelMin is the stretch from which the pass is split, pieceMin the
// smallest piece, and maxPieces how many at most. Variables for the tests.
var (
	parallelMin = 1 << 20
	pieceMin    = 256 << 10
	maxPieces   = func() int { return runtime.GOMAXPROCS(0) }
)

// lineIndex is the index of the lines decoded so far. Everything about a
// line is final once the pass is past it.
type lineIndex struct {
	cps     []checkpoint
	nLines  int   // lines decoded (all the lines once done), up to errLine
	errLine int   // first line with a decoding error, or -1
	err     error // the decoding error
	done    bool  // the pass reached the end of the string or an error
	pass    *pass // where the pass stopped, while not done
}

// pass is where the pass stopped between two extend calls: always at the
// start of a line.
type pass struct {
	i    int      // offset of the line's first byte
	st   vlqState // source, original line, original column and name there
	line int      // the line starting at i
	last checkpoint
}

func newLineIndex() *lineIndex {
	ix := &lineIndex{errLine: -1, pass: &pass{}}
	ix.cps = append(ix.cps, checkpoint{})
	return ix
}

// has reports whether line k is decoded, or known not to exist.
func (ix *lineIndex) has(k int) bool { return ix.done || k < ix.nLines }

// buildIndex makes the whole pass over the string (Err, tests).
func buildIndex(s string) *lineIndex {
	ix := newLineIndex()
	ix.extend(s, math.MaxInt)
	return ix
}

// extend continues the pass until line through is decoded (or the end).
func (ix *lineIndex) extend(s string, through int) {
	if ix.done || through < ix.nLines {
		return
	}
	p := ix.pass
	end := len(s)
	if through < math.MaxInt {
		end = endOfLine(s, p.i, through-p.line)
	}
	bounds := splitPoints(s, p.i, end)
	frags := make([]*frag, len(bounds)-1)
	for k := range frags {
		f := &frag{from: bounds[k], to: bounds[k+1]}
		f.last = checkpoint{off: f.from}
		if k == 0 {
			// The first piece starts where the pass stopped, at a line
			// start: its checkpoints fall where a single pass puts them.
			f.last = checkpoint{line: p.last.line - p.line, off: p.last.off}
		}
		frags[k] = f
	}
	if len(frags) == 1 {
		frags[0].run(s)
	} else {
		var wg sync.WaitGroup
		for _, f := range frags {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f.run(s)
			}()
		}
		wg.Wait()
	}
	ix.join(frags, end == len(s))
}

// endOfLine returns the offset just past the ';' that ends the n-th line
// after the one starting at i (n = 0: that line), or len(s).
func endOfLine(s string, i, n int) int {
	for ; n >= 0; n-- {
		k := strings.IndexByte(s[i:], ';')
		if k < 0 {
			return len(s)
		}
		i += k + 1
	}
	return i
}

// splitPoints returns the bounds of the pieces s[from:to] is decoded in:
// just one piece below parallelMin, else one per CPU (at least pieceMin
// long), each starting just after a ',' or ';', so that no segment is cut.
func splitPoints(s string, from, to int) []int {
	bounds := []int{from}
	n := min(maxPieces(), (to-from)/pieceMin)
	if to-from >= parallelMin && n > 1 {
		for k := 1; k < n; k++ {
			at := from + (to-from)*k/n
			sep := strings.IndexAny(s[at:to], ",;")
			if sep < 0 {
				break
			}
			if at += sep + 1; at > bounds[len(bounds)-1] && at < to {
				bounds = append(bounds, at)
			}
		}
	}
	return append(bounds, to)
}

// frag is one piece of the pass, s[from:to], decoded from a zero state: its
// lines are counted from the one it starts in (0), its checkpoints hold the
// values summed since from, and on its first line the generated column is
// counted from the column at from. join shifts them.
type frag struct {
	from, to int

	acc  [8]int64   // the running values at to (see run)
	line int        // the line at to
	last checkpoint // the last line checkpoint
	cps  []checkpoint

	// The first line, as far as this piece has it: whether its columns
	// never decreased, the last column (it is the greatest when they did
	// not), and how many of cps are its column checkpoints.
	firstSorted bool
	firstGen    int64
	firstCps    int
	// The line in progress at to: sorted so far, and the index in cps of
	// its first column checkpoint.
	endSorted bool
	endSeg    bool // a segment was read on it
	endCommas int  // ','s on it
	endCps    int

	err     error // a decoding error, on line errLine (relative)
	errLine int
	errGen  int64 // the running generated column there (relative on the first line)
	errAny  bool  // a segment preceded it on its line (in this piece)
	errItem int   // its place among the line's segments (in this piece)
}

// run decodes the piece. It is written as a single loop over the bytes, with
// no call per value or segment: for the largest maps (6 MB of mappings on
// one line) it is most of a lookup's cost.
//
// Besides the line checkpoints it records column checkpoints inside long
// lines (every cpEveryBytes, at a segment whose column is greater than the
// previous one's) as long as the line's columns never decrease and stay in
// range. On such a line a lookup scans from the last column checkpoint at or
// before its column instead of decoding the whole line: a bundle on one line
// is one line of millions of segments.
func (f *frag) run(s string) {
	var (
		// acc holds the running values by field: the generated column
		// (reset on each line), source, original line, original column and
		// name. A segment's values are added as they are decoded; a segment
		// with a field count other than 1, 4 or 5 ends the pass, so
		// nothing partial is ever used.
		acc        [8]int64
		line       int
		last       = f.last
		sorted     = true // this line's columns have not decreased so far
		lastColCp  = f.from - cpEveryBytes
		lineCps    int  // index in f.cps of this line's first column checkpoint
		lineSeg    bool // a segment was read on this line (in this piece)
		lineCommas int  // ','s seen on this line (in this piece)
	)
	state := func() vlqState { return vlqState{src: acc[1], line: acc[2], col: acc[3], name: acc[4]} }
	firstLineEnds := func() {
		if line == 0 {
			f.firstSorted, f.firstGen, f.firstCps = sorted, acc[0], len(f.cps)
		}
	}
	defer func() {
		firstLineEnds()
		f.acc, f.line, f.last = acc, line, last
		f.endSorted, f.endCps, f.endSeg, f.endCommas = sorted, lineCps, lineSeg, lineCommas
	}()
	// fail records malformed text in the current segment, at running
	// generated column gen.
	fail := func(err error, gen int64) {
		f.err, f.errLine, f.errGen, f.errAny, f.errItem = err, line, gen, lineSeg, lineCommas+1
		f.cps = f.cps[:lineCps] // no column checkpoints on a malformed line
	}
	to := f.to
	for i := f.from; i < to; {
		switch s[i] {
		case ',':
			lineCommas++
			i++
			continue
		case ';':
			firstLineEnds()
			i++
			line++
			acc[0] = 0
			sorted = true
			lastColCp = -cpEveryBytes
			if line-last.line >= cpEveryLines || i-last.off >= cpEveryBytes {
				last = checkpoint{line: line, off: i, st: state()}
				f.cps = append(f.cps, last)
			}
			lineCps = len(f.cps)
			lineSeg, lineCommas = false, 0
			continue
		}
		// A segment: its values are added to acc as they are decoded.
		segStart, prevGen := i, acc[0]
		wantCp := sorted && segStart-lastColCp >= cpEveryBytes
		var segSt vlqState
		if wantCp {
			segSt = state()
		}
		nf, next, err := readValues(s, i, &acc)
		if err != nil {
			fail(err, prevGen)
			return
		}
		i = next
		if nf != 1 && nf != 4 && nf != 5 {
			fail(fieldCountError(nf), prevGen)
			return
		}
		lineSeg = true
		if !sorted {
			continue
		}
		gen := acc[0]
		if gen < prevGen || gen < 0 || gen > math.MaxInt32 {
			// Lookups on this line decode it whole (and report a column
			// out of range). On a piece's first line the column is
			// relative: join checks the range again.
			sorted = false
			f.cps = f.cps[:lineCps]
			continue
		}
		if wantCp && gen > prevGen {
			f.cps = append(f.cps, checkpoint{line: line, off: segStart, st: segSt, gen0: prevGen, genAt: gen, col: true})
			lastColCp = segStart
		}
	}
}

// join appends the decoded pieces to the index, in order, shifting each by
// the state the pieces before it reached.
func (ix *lineIndex) join(frags []*frag, atEnd bool) {
	p := ix.pass
	var (
		st      = p.st   // source, original line, column, name at the piece's start
		gen     int64    // generated column at the piece's start
		line    = p.line // the line the piece starts in
		sorted  = true   // that line's columns have not decreased so far
		seg     bool     // that line has had a segment
		commas  int      // and that many ','s
		lineCps = len(ix.cps)
		last    = p.last
	)
	shift := func(cp checkpoint, first bool) checkpoint {
		cp.line += line
		cp.st = vlqState{src: cp.st.src + st.src, line: cp.st.line + st.line, col: cp.st.col + st.col, name: cp.st.name + st.name}
		if first {
			cp.gen0 += gen
			cp.genAt += gen
		}
		return cp
	}
	for _, f := range frags {
		// The line this piece starts in: its column checkpoints stand if
		// it stays sorted and in range over both sides.
		firstOK := sorted && f.firstSorted && gen+f.firstGen <= math.MaxInt32 && (f.err == nil || f.errLine > 0)
		if !firstOK {
			ix.cps = ix.cps[:lineCps]
		}
		for k, cp := range f.cps {
			if k < f.firstCps && !firstOK {
				continue
			}
			cp = shift(cp, k < f.firstCps)
			ix.cps = append(ix.cps, cp)
			if !cp.col {
				last = cp
			}
		}
		if f.err != nil {
			ix.errLine = line + f.errLine
			g, anySeg, item := f.errGen, f.errAny, f.errItem
			if f.errLine == 0 { // the line began in an earlier piece
				g, anySeg, item = g+gen, anySeg || seg, item+commas
			}
			ix.err = syntaxProblem(ix.errLine, item, g, anySeg, f.err)
			ix.nLines = ix.errLine + 1
			ix.done, ix.pass = true, nil
			return
		}
		if f.line > 0 {
			gen, sorted, seg, commas = f.acc[0], f.endSorted, f.endSeg, f.endCommas
			lineCps = len(ix.cps) - (len(f.cps) - f.endCps)
		} else {
			gen, sorted, seg, commas = gen+f.acc[0], firstOK && f.endSorted, seg || f.endSeg, commas+f.endCommas
		}
		line += f.line
		st = vlqState{src: st.src + f.acc[1], line: st.line + f.acc[2], col: st.col + f.acc[3], name: st.name + f.acc[4]}
	}
	if atEnd {
		ix.nLines = line + 1
		ix.done, ix.pass = true, nil
		return
	}
	// The pass stopped just past a ';': at the start of line `line`.
	ix.nLines = line
	*p = pass{i: frags[len(frags)-1].to, st: st, line: line, last: last}
}
