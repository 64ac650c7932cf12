//go:build conformance

package conformance

// A small source map reader for TestInjectMatchesReference: same-line
// greatest-lower-bound lookup (regular and index maps) and deterministic
// sampling of generated positions, written apart from mapback's lookups. The
// segments themselves are decoded by mapback's engine, the one VLQ decoder in
// the tree (held to ECMA-426's vectors and to go-sourcemap on the corpus):
// both sides of each comparison go through it, so what is compared is the
// two clients' output.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/mapback/mapback/internal/sourcemap"
)

// injSeg is one decoded mappings segment with absolute values. n is the number
// of fields (1, 4 or 5); fields beyond n are zero.
type injSeg struct {
	col, src, srcLine, srcCol, name int32
	n                               int8
}

// injDecodeMappings decodes a mappings string into one slice of absolute
// segments per generated line, with mapback's source map engine (the
// reference client's output is what is under test here, not the decoder).
func injDecodeMappings(s string) ([][]injSeg, error) {
	doc, err := json.Marshal(map[string]any{"version": 3, "sources": []string{}, "mappings": s})
	if err != nil {
		return nil, err
	}
	m, err := sourcemap.Parse(doc)
	if err != nil {
		return nil, err
	}
	var lines [][]injSeg
	ps := m.Check(context.Background(), func(sg sourcemap.Segment) {
		for len(lines) <= sg.Line {
			lines = append(lines, nil)
		}
		seg := injSeg{col: int32(sg.Column), n: int8(sg.Fields)}
		if sg.Fields >= 4 {
			seg.src, seg.srcLine, seg.srcCol = int32(sg.Source), int32(sg.OriginalLine), int32(sg.OriginalColumn)
		}
		if sg.Fields == 5 {
			seg.name = int32(sg.Name)
		}
		lines[sg.Line] = append(lines[sg.Line], seg)
	})
	for _, p := range ps.List {
		if p.Kind == sourcemap.ProblemSyntax || p.Kind == sourcemap.ProblemColumn {
			return nil, &p
		}
	}
	// One entry per line of the string, as many as its ';' make.
	for n := strings.Count(s, ";") + 1; len(lines) < n; {
		lines = append(lines, nil)
	}
	return lines, nil
}

// injTrimLines drops trailing empty lines (the reference drops a final ';').
func injTrimLines(lines [][]injSeg) [][]injSeg {
	for len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// injFirstLineDiff returns the first line where a and b differ, or -1.
func injFirstLineDiff(a, b [][]injSeg) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		if i >= len(a) || i >= len(b) || !injSegsEqual(a[i], b[i]) {
			return i
		}
	}
	return -1
}

func injSegsEqual(a, b []injSeg) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// injSplitLines applies the documented edit of a regular map for two line
// breaks inserted at generated (L, C): segments of line L at columns >= C move
// to line L+2 at column-C, a segment straddling C is copied to column 0 of the
// moved line, later lines move down by two. Used only to prove the cause of a
// difference (the split column), never as the oracle for mapback.
func injSplitLines(lines [][]injSeg, L, C int) [][]injSeg {
	if L >= len(lines) {
		return lines
	}
	out := make([][]injSeg, 0, len(lines)+2)
	out = append(out, lines[:L]...)
	var keep, moved []injSeg
	for i, s := range lines[L] {
		if int(s.col) < C {
			keep = append(keep, s)
			continue
		}
		if len(moved) == 0 && int(s.col) > C && i > 0 {
			cp := lines[L][i-1]
			cp.col = 0
			moved = append(moved, cp)
		}
		s.col -= int32(C)
		moved = append(moved, s)
	}
	out = append(out, keep, nil, moved)
	return append(out, lines[L+1:]...)
}

// injSourceMap is a parsed regular or index map, enough for lookups.
type injSourceMap struct {
	lines    [][]injSeg // regular map
	sources  []any
	names    []any
	sections []injSection // index map
}

type injSection struct {
	line, col int
	m         *injSourceMap // nil when the section has a url instead of a map
}

func injParseSourceMap(raw map[string]json.RawMessage) (*injSourceMap, error) {
	sm := &injSourceMap{}
	if secRaw, ok := raw["sections"]; ok {
		var secs []struct {
			Offset struct{ Line, Column int }
			Map    map[string]json.RawMessage
		}
		if err := json.Unmarshal(secRaw, &secs); err != nil {
			return nil, fmt.Errorf("sections: %v", err)
		}
		for i, s := range secs {
			sec := injSection{line: s.Offset.Line, col: s.Offset.Column}
			if s.Map != nil {
				m, err := injParseSourceMap(s.Map)
				if err != nil {
					return nil, fmt.Errorf("section %d: %v", i, err)
				}
				sec.m = m
			}
			sm.sections = append(sm.sections, sec)
		}
		return sm, nil
	}
	var mappings string
	if err := json.Unmarshal(raw["mappings"], &mappings); err != nil {
		return nil, fmt.Errorf("mappings: %v", err)
	}
	lines, err := injDecodeMappings(mappings)
	if err != nil {
		return nil, err
	}
	sm.lines = lines
	for k, dst := range map[string]*[]any{"sources": &sm.sources, "names": &sm.names} {
		if r, ok := raw[k]; ok {
			if err := json.Unmarshal(r, dst); err != nil {
				return nil, fmt.Errorf("%s: %v", k, err)
			}
		}
	}
	return sm, nil
}

// injObject splits a JSON object into its members' raw values without
// decoding them: a fast scan, as the maps are tens of MB and are parsed three
// times per file. It checks the structure (brackets, strings, separators) but
// not every literal; mapback's output is also run through json.Valid.
func injObject(data []byte) (map[string]json.RawMessage, error) {
	i := injSkipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return nil, fmt.Errorf("not a JSON object")
	}
	out := map[string]json.RawMessage{}
	i = injSkipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		i++
	} else {
		for {
			end, err := injSkipValue(data, i)
			if err != nil || data[i] != '"' {
				return nil, fmt.Errorf("bad key at byte %d", i)
			}
			var key string
			if err := json.Unmarshal(data[i:end], &key); err != nil {
				return nil, fmt.Errorf("bad key at byte %d: %v", i, err)
			}
			i = injSkipSpace(data, end)
			if i >= len(data) || data[i] != ':' {
				return nil, fmt.Errorf("missing ':' at byte %d", i)
			}
			i = injSkipSpace(data, i+1)
			end, err = injSkipValue(data, i)
			if err != nil {
				return nil, err
			}
			if _, dup := out[key]; dup {
				return nil, fmt.Errorf("duplicate key %q", key)
			}
			out[key] = data[i:end:end]
			i = injSkipSpace(data, end)
			if i < len(data) && data[i] == ',' {
				i = injSkipSpace(data, i+1)
				continue
			}
			if i < len(data) && data[i] == '}' {
				i++
				break
			}
			return nil, fmt.Errorf("expected ',' or '}' at byte %d", i)
		}
	}
	if injSkipSpace(data, i) != len(data) {
		return nil, fmt.Errorf("data after the object at byte %d", i)
	}
	return out, nil
}

func injSkipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// injSkipValue returns the end of the JSON value starting at i.
func injSkipValue(data []byte, i int) (int, error) {
	if i >= len(data) {
		return 0, fmt.Errorf("unexpected end of JSON")
	}
	switch data[i] {
	case '"':
		for j := i + 1; j < len(data); j++ {
			switch data[j] {
			case '\\':
				j++
			case '"':
				return j + 1, nil
			}
		}
		return 0, fmt.Errorf("unterminated string at byte %d", i)
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				end, err := injSkipValue(data, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, fmt.Errorf("unterminated value at byte %d", i)
	}
	j := i
	for j < len(data) && !bytes.ContainsRune([]byte(",}] \t\r\n"), rune(data[j])) {
		j++
	}
	if j == i {
		return 0, fmt.Errorf("unexpected %q at byte %d", data[i], i)
	}
	return j, nil
}

// injHit is the result of a lookup, comparable with ==.
type injHit struct {
	found, mapped, named bool
	src, name            string
	line, col            int32
}

func (h injHit) String() string {
	switch {
	case !h.found:
		return "(nothing on the line)"
	case !h.mapped:
		return "(unmapped segment)"
	case h.named:
		return fmt.Sprintf("%s:%d:%d %s", h.src, h.line, h.col, h.name)
	}
	return fmt.Sprintf("%s:%d:%d", h.src, h.line, h.col)
}

func injString(list []any, i int32) string {
	if i < 0 || int(i) >= len(list) {
		return fmt.Sprintf("<index %d out of range>", i)
	}
	if s, ok := list[i].(string); ok {
		return s
	}
	return fmt.Sprintf("<%v>", list[i])
}

// lookup resolves a 0-based generated position: the last segment on the same
// line whose column is <= col (same-line greatest lower bound).
func (sm *injSourceMap) lookup(line, col int) injHit {
	if sm.sections != nil {
		i := sort.Search(len(sm.sections), func(i int) bool {
			s := sm.sections[i]
			return s.line > line || (s.line == line && s.col > col)
		}) - 1
		if i < 0 || sm.sections[i].m == nil {
			return injHit{}
		}
		s := sm.sections[i]
		l, c := line-s.line, col
		if l == 0 {
			c -= s.col
		}
		return s.m.lookup(l, c)
	}
	if line < 0 || line >= len(sm.lines) {
		return injHit{}
	}
	segs := sm.lines[line]
	i := sort.Search(len(segs), func(i int) bool { return int(segs[i].col) > col }) - 1
	if i < 0 {
		return injHit{}
	}
	s := segs[i]
	h := injHit{found: true}
	if s.n >= 4 {
		h.mapped, h.src, h.line, h.col = true, injString(sm.sources, s.src), s.srcLine, s.srcCol
	}
	if s.n == 5 {
		h.named, h.name = true, injString(sm.names, s.name)
	}
	return h
}

// sortLines sorts every line's segments by column (stable), so lookups use
// binary search; equal columns keep their order in both maps compared.
func (sm *injSourceMap) sortLines() {
	for _, l := range sm.lines {
		if sort.SliceIsSorted(l, func(i, j int) bool { return l[i].col < l[j].col }) {
			continue
		}
		sort.SliceStable(l, func(i, j int) bool { return l[i].col < l[j].col })
	}
	for _, s := range sm.sections {
		if s.m != nil {
			s.m.sortLines()
		}
	}
}

// genColumns lists, per absolute generated line, the columns of all segments.
func (sm *injSourceMap) genColumns() [][]int32 {
	if sm.sections == nil {
		out := make([][]int32, len(sm.lines))
		for i, l := range sm.lines {
			for _, s := range l {
				out[i] = append(out[i], s.col)
			}
		}
		return out
	}
	var out [][]int32
	for _, s := range sm.sections {
		if s.m == nil {
			continue
		}
		for l, cols := range s.m.genColumns() {
			abs := s.line + l
			for len(out) <= abs {
				out = append(out, nil)
			}
			for _, c := range cols {
				if l == 0 {
					c += int32(s.col)
				}
				out[abs] = append(out[abs], c)
			}
		}
	}
	return out
}

// injPos is a 0-based generated position.
type injPos struct{ line, col int }

// injSamplePositions picks up to n generated positions from the segments
// (four in five exactly at a segment, one in five at a random column between
// a segment and the next), plus every segment of line focus and the columns
// around focusCol, all deterministic for a given seed name.
func injSamplePositions(cols [][]int32, name string, n, focus, focusCol int) []injPos {
	h := fnv.New64a()
	h.Write([]byte(name))
	seed := h.Sum64()
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	prefix := make([]int, len(cols)+1)
	for i, c := range cols {
		prefix[i+1] = prefix[i] + len(c)
	}
	total := prefix[len(cols)]
	var out []injPos
	if total == 0 {
		return nil
	}
	for i := 0; i < n; i++ {
		k := rng.IntN(total)
		line := sort.SearchInts(prefix, k+1) - 1
		j := k - prefix[line]
		c := int(cols[line][j])
		if i%5 == 4 {
			next := c + 64
			if j+1 < len(cols[line]) && int(cols[line][j+1]) > c {
				next = int(cols[line][j+1])
			}
			if next > c+1 {
				c += rng.IntN(next - c)
			}
		}
		out = append(out, injPos{line, c})
	}
	if focus >= 0 && focus < len(cols) {
		for j, c := range cols[focus] {
			if j >= 200 {
				break
			}
			out = append(out, injPos{focus, int(c)})
		}
		for _, c := range []int{focusCol - 1, focusCol, focusCol + 1} {
			if c >= 0 {
				out = append(out, injPos{focus, c})
			}
		}
	}
	return out
}

// injLineCol returns the 0-based line and column of the end of prefix:
// lines end at \n, \r\n or a lone \r; the column is counted in UTF-16 code
// units (c16) and in bytes (cBytes). nonASCII reports non-ASCII bytes on that
// last line. (U+2028/U+2029 are not counted as line breaks: none of the
// bundlers emits them raw.)
func injLineCol(prefix []byte) (line, c16, cBytes int, nonASCII bool) {
	start := 0
	for i := 0; i < len(prefix); i++ {
		switch prefix[i] {
		case '\n':
			line++
			start = i + 1
		case '\r':
			if i+1 < len(prefix) && prefix[i+1] == '\n' {
				continue
			}
			line++
			start = i + 1
		}
	}
	last := prefix[start:]
	cBytes = len(last)
	for len(last) > 0 {
		r, size := utf8.DecodeRune(last)
		if size > 1 || r >= utf8.RuneSelf {
			nonASCII = true
		}
		if r >= 0x10000 {
			c16 += 2
		} else {
			c16++
		}
		last = last[size:]
	}
	return line, c16, cBytes, nonASCII
}
