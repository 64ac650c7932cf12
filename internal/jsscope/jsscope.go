// Package jsscope finds the function scopes of a (minified) JavaScript file and
// infers their names from context (docs/internals/resolve.md §5, approach 1): which
// function encloses a generated position, and what was its original name.
//
// Parsing uses github.com/grafana/sobek/parser (see docs/architecture.md,
// "Decisions for resolve"). Positions are 0-based lines and 0-based UTF-16
// columns, with line breaks counted as V8 counts them: \n, \r\n, lone \r,
// U+2028 and U+2029.
package jsscope

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/grafana/sobek/parser"

	"github.com/mapback/mapback/internal/sourcemap"
)

// Pos is a 0-based line and 0-based UTF-16 column.
type Pos struct{ Line, Col int }

// NamePart is one component of an inferred name ("l" and "checkout" in
// "l.checkout") with the generated position of its token.
type NamePart struct {
	Name string
	Pos  Pos
	// Original: the part is not a minified identifier: a property key or
	// member name (minifiers keep them), or keepNames' __name(fn, "name").
	Original bool
	// Prefix is "get " or "set " for an accessor: V8 prints "Cart.get total".
	Prefix string
}

// Scope is a function scope: [Start, End) in generated positions, its
// minified inferred name ("<anonymous>" when nothing names it) and the name's
// components.
type Scope struct {
	Start, End Pos
	Name       string
	Parts      []NamePart

	kind scopeKind
}

// scopeKind says whether the original source may supply a name the
// generated code lost (see OriginalName).
type scopeKind uint8

const (
	kindNamed    scopeKind = iota // own identifier, method or constructor
	kindFunction                  // function literal without own identifier
	kindArrow                     // arrow function
)

// Anonymous is the name of a scope nothing names.
const Anonymous = "<anonymous>"

// Index holds the function scopes of one parsed file. It is safe for
// concurrent use.
type Index struct {
	src   []byte
	lines []int // byte offset of each line start
	// UTF-16 checkpoints: cpU16[k] is the number of UTF-16 units in
	// src[:cpByte[k]], cpByte[k] is the first rune start at or after k*cpStep.
	cpByte []int
	cpU16  []int
	roots  []*node
	// cuts are the ranges ParseFor left out (see prune.go): positions in
	// them have no answer.
	cuts *pruned
}

type rawPart struct {
	name     string
	off      int
	keepName bool   // from keepNames' __name(fn, "name"): the original name itself
	stable   bool   // a property key or member name, which minifiers keep
	prefix   string // "get " or "set " for an accessor, kept when the name is mapped
}

type node struct {
	start, end int // byte offsets, half-open
	parts      []rawPart
	kind       scopeKind
	children   []*node
}

const cpStep = 512

// Parse parses src once (as a script, then as a module) and indexes its
// function scopes.
func Parse(src []byte) (*Index, error) {
	ix := &Index{src: src}
	ix.indexLines()
	if err := ix.parseWhole(); err != nil {
		return nil, err
	}
	return ix, nil
}

// ParseFor indexes only the function scopes that contain one of the
// positions: it parses the file with the contents of every brace pair and
// template literal holding none of them left out (prune.go), which is much
// less text than the file for a few positions in a big bundle. Enclosing
// answers for those positions as Parse's index would; for a position in a
// left-out range it reports false, and Scopes lists only the scopes that
// were kept. When the file's brackets cannot be matched, or the rest does
// not parse, it parses the whole file.
func ParseFor(src []byte, at []Pos) (*Index, error) {
	ix := &Index{src: src}
	ix.indexLines()
	var targets []int
	for _, p := range at {
		if off, ok := ix.offset(p.Line, p.Col); ok {
			targets = append(targets, off)
		}
	}
	sort.Ints(targets)
	if pr, err := prune(src, targets); err == nil {
		text := rewriteForAwait(pr.text)
		if prog, err := parseJS(text); err == nil {
			w := walker{}
			for _, st := range prog.Body {
				w.stmt(st)
			}
			for _, n := range w.scopes {
				n.start = pr.orig(n.start)
				n.end = pr.orig(n.end-1) + 1
				for k := range n.parts {
					n.parts[k].off = pr.orig(n.parts[k].off)
				}
			}
			ix.roots = buildTree(w.scopes)
			ix.cuts = pr
			return ix, nil
		}
	}
	if err := ix.parseWhole(); err != nil {
		return nil, err
	}
	return ix, nil
}

func (ix *Index) parseWhole() error {
	prog, err := parseJS(rewriteForAwait(ix.src))
	if err != nil {
		return err
	}
	w := walker{}
	for _, st := range prog.Body {
		w.stmt(st)
	}
	ix.roots = buildTree(w.scopes)
	return nil
}

func parseJS(text []byte) (prog *programT, err error) {
	p, scriptErr := parseOnce(text, false)
	if scriptErr == nil {
		return p, nil
	}
	p, moduleErr := parseOnce(text, true)
	if moduleErr == nil {
		return p, nil
	}
	return nil, fmt.Errorf("jsscope: cannot parse JavaScript as a script (%s) nor as a module (%s)",
		describeErr(scriptErr), describeErr(moduleErr))
}

func parseOnce(text []byte, module bool) (prog *programT, err error) {
	defer func() {
		if r := recover(); r != nil {
			prog, err = nil, fmt.Errorf("parser panic: %v", r)
		}
	}()
	opts := []parser.Option{parser.WithDisableSourceMaps}
	if module {
		opts = append(opts, parser.IsModule)
	}
	return parser.ParseFile(nil, "", text, parser.IgnoreRegExpErrors, opts...)
}

// describeErr names the first problem position ("line 3, column 14:
// message"; sobek's 1-based line and character column).
func describeErr(err error) string {
	var list parser.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		e := list[0]
		return fmt.Sprintf("line %d, column %d: %s", e.Position.Line, e.Position.Column, e.Message)
	}
	var one *parser.Error
	if errors.As(err, &one) {
		return fmt.Sprintf("line %d, column %d: %s", one.Position.Line, one.Position.Column, one.Message)
	}
	return err.Error()
}

// rewriteForAwait replaces `await` in `for await` with spaces (same length,
// so offsets hold); sobek does not support for-await. It returns src itself
// when there is nothing to rewrite.
func rewriteForAwait(src []byte) []byte {
	out := src
	copied := false
	i := 0
	for {
		j := bytes.Index(src[i:], []byte("for"))
		if j < 0 {
			return out
		}
		j += i
		i = j + 3
		if j > 0 && isIdentByte(src[j-1]) {
			continue
		}
		k := j + 3
		for k < len(src) && (src[k] == ' ' || src[k] == '\t' || src[k] == '\n' || src[k] == '\r') {
			k++
		}
		if k == j+3 || !bytes.HasPrefix(src[k:], []byte("await")) {
			continue
		}
		if k+5 < len(src) && isIdentByte(src[k+5]) {
			continue
		}
		if !copied {
			out = append([]byte(nil), src...)
			copied = true
		}
		copy(out[k:k+5], "     ")
		i = k + 5
	}
}

func isIdentByte(b byte) bool {
	return b == '_' || b == '$' || b >= 0x80 ||
		('a' <= b && b <= 'z') || ('A' <= b && b <= 'Z') || ('0' <= b && b <= '9')
}

// buildTree nests properly nested ranges.
func buildTree(scopes []*node) []*node {
	sort.SliceStable(scopes, func(i, j int) bool {
		if scopes[i].start != scopes[j].start {
			return scopes[i].start < scopes[j].start
		}
		return scopes[i].end > scopes[j].end
	})
	var roots []*node
	var stack []*node
	for _, s := range scopes {
		for len(stack) > 0 && stack[len(stack)-1].end <= s.start {
			stack = stack[:len(stack)-1]
		}
		if len(stack) == 0 {
			roots = append(roots, s)
		} else {
			p := stack[len(stack)-1]
			p.children = append(p.children, s)
		}
		stack = append(stack, s)
	}
	return roots
}

// Enclosing returns the innermost function scope containing the position
// (0-based line, 0-based UTF-16 column); false at top level or for a
// position outside the file.
func (ix *Index) Enclosing(line, col int) (Scope, bool) {
	off, ok := ix.offset(line, col)
	if !ok || ix.cuts != nil && ix.cuts.removed(off) {
		return Scope{}, false
	}
	var best *node
	level := ix.roots
	for {
		i := sort.Search(len(level), func(i int) bool { return level[i].start > off }) - 1
		if i < 0 || off >= level[i].end {
			break
		}
		best = level[i]
		level = best.children
	}
	if best == nil {
		return Scope{}, false
	}
	return ix.scope(best), true
}

// Scopes returns every function scope in source order of their starts.
func (ix *Index) Scopes() []Scope {
	var out []Scope
	var rec func([]*node)
	rec = func(ns []*node) {
		for _, n := range ns {
			out = append(out, ix.scope(n))
			rec(n.children)
		}
	}
	rec(ix.roots)
	return out
}

func (ix *Index) scope(n *node) Scope {
	s := Scope{Start: ix.pos(n.start), End: ix.pos(n.end), Name: Anonymous, kind: n.kind}
	if len(n.parts) > 0 {
		names := make([]string, len(n.parts))
		s.Parts = make([]NamePart, len(n.parts))
		for i, p := range n.parts {
			names[i] = p.prefix + p.name
			s.Parts[i] = NamePart{Name: p.name, Pos: ix.pos(p.off), Original: p.keepName || p.stable, Prefix: p.prefix}
		}
		s.Name = strings.Join(names, ".")
	}
	return s
}

// OriginalName maps each name part through m: the segment at the part's
// start (accepted when it starts at that column or one before) with a name
// gives that name, otherwise the minified part stays. Parts are joined with
// "."; an unnamed scope gives "<anonymous>".
//
// Bundlers inline and rename: a function that has no identifier of its own
// in the generated code (`!function(t){…}(…)`, `const o=function(t,n){…}`,
// `e(t=>{…})`) but whose start maps onto `function NAME` — or, for an arrow,
// onto `const NAME = (…) =>` — in the map's sourcesContent takes NAME: it is
// the name the original function had. ok reports whether the name came
// from the map (a segment name or the original source).
func (s Scope) OriginalName(m *sourcemap.Map) (string, bool) {
	if m != nil && s.kind != kindNamed {
		if n, ok := originalOwnName(m, s.Start, s.kind == kindArrow); ok {
			return n, true
		}
	}
	if len(s.Parts) == 0 {
		return Anonymous, false
	}
	names := make([]string, len(s.Parts))
	renamed := false
	for i, p := range s.Parts {
		names[i] = p.Prefix + p.Name
		if m == nil {
			continue
		}
		if n, ok := nameAt(m, p.Pos); ok {
			names[i] = p.Prefix + n
			renamed = true
		}
	}
	return strings.Join(names, "."), renamed
}

var (
	origFunctionRE    = lazyRE(`^(?:export\s+(?:default\s+)?)?(?:async\s+)?function\s*\*?\s*([\p{L}\p{Nl}_$][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}_$]*)\s*\(`)
	origArrowDeclRE   = lazyRE(`^(?:export\s+)?(?:const|let|var)\s+([\p{L}\p{Nl}_$][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}_$]*)\s*=\s*(?:async\s*)?(?:\([^()]*\)|[\p{L}\p{Nl}_$][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}_$]*)\s*=>`)
	origArrowBeforeRE = lazyRE(`(?:const|let|var)\s+([\p{L}\p{Nl}_$][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}_$]*)\s*=\s*(?:async\s*)?(\(?)$`)
)

// originalOwnName reads the original source at the segment starting at the
// scope's start (that column or one before).
func originalOwnName(m *sourcemap.Map, start Pos, arrow bool) (string, bool) {
	seg, ok := segmentAt(m, start)
	if !ok {
		return "", false
	}
	content, ok := m.SourceContent(seg.SourceIndex)
	if !ok {
		return "", false
	}
	line, ok := sourceLine(content, seg.Line)
	if !ok {
		return "", false
	}
	i := utf16ToByte(line, seg.Column)
	if i < 0 {
		return "", false
	}
	rest := line[i:]
	if !arrow {
		if sm := origFunctionRE().FindStringSubmatch(rest); sm != nil {
			return sm[1], true
		}
		return "", false
	}
	if sm := origArrowDeclRE().FindStringSubmatch(rest); sm != nil {
		return sm[1], true
	}
	// The segment may point inside the declaration: at the arrow's `(`, or
	// at its first parameter when the generated arrow lost its parentheses.
	if sm := origArrowBeforeRE().FindStringSubmatch(line[:i]); sm != nil {
		if sm[2] == "(" && restOfParamsRE().MatchString(rest) || sm[2] == "" && arrowAheadRE().MatchString(rest) {
			return sm[1], true
		}
	}
	return "", false
}

var arrowAheadRE = lazyRE(`^(?:async\s*)?(?:\([^()]*\)|[\p{L}\p{Nl}_$][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}_$]*)\s*=>`)

var restOfParamsRE = lazyRE(`^[^()]*\)\s*=>`)

// sourceLine returns 0-based line n of content (V8 line breaks).
func sourceLine(content string, n int) (string, bool) {
	for k := 0; ; k++ {
		end := strings.IndexAny(content, "\r\n\u2028\u2029")
		if k == n {
			if end < 0 {
				return content, true
			}
			return content[:end], true
		}
		if end < 0 {
			return "", false
		}
		r, size := utf8.DecodeRuneInString(content[end:])
		content = content[end+size:]
		if r == '\r' && strings.HasPrefix(content, "\n") {
			content = content[1:]
		}
	}
}

// utf16ToByte converts a UTF-16 column of line to a byte index, -1 past the
// end.
func utf16ToByte(line string, col int) int {
	u := 0
	for i, r := range line {
		if u >= col {
			return i
		}
		if r >= 0x10000 {
			u += 2
		} else {
			u++
		}
	}
	if u == col {
		return len(line)
	}
	return -1
}

// segmentAt returns the segment starting at p's column or one before.
// Lookup is a greatest-lower-bound search that does not report the
// segment's generated column, so the segment is known to start at col-1 or
// col when the lookup at col-2 gives a different (or no) segment.
func segmentAt(m *sourcemap.Map, p Pos) (sourcemap.Mapping, bool) {
	seg, ok := m.Lookup(p.Line, p.Col)
	if !ok {
		return seg, false
	}
	if p.Col >= 2 {
		if prev, ok := m.Lookup(p.Line, p.Col-2); ok && prev == seg {
			return seg, false
		}
	}
	return seg, true
}

// nameAt returns the name of the segment starting at p's column or one
// before.
// MappedName is OriginalName for a caller that must not print a minified
// identifier as if it were original. Each part is the map's name for it, or
// the part itself when it is not a minified identifier (a property key, a
// member name, keepNames' string); a part that is neither (a minified class
// or variable name the map does not name) and "prototype" are left out:
// "WN.prototype.createMultipleRenderTarget" gives "createMultipleRenderTarget".
// complete reports whether the name says something: it came from the
// original source, or its last part is known.
func (s Scope) MappedName(m *sourcemap.Map) (name string, complete bool) {
	if m != nil && s.kind != kindNamed {
		if n, ok := originalOwnName(m, s.Start, s.kind == kindArrow); ok {
			return n, true
		}
	}
	if len(s.Parts) == 0 {
		return Anonymous, true
	}
	var names []string
	lastKnown := false
	for _, p := range s.Parts {
		n, known := p.Name, p.Original
		if m != nil {
			if mapped, ok := nameAt(m, p.Pos); ok {
				n, known = mapped, true
			}
		}
		lastKnown = known
		if known && n != "prototype" {
			names = append(names, p.Prefix+n)
		}
	}
	if !lastKnown || len(names) == 0 {
		return "", false
	}
	return strings.Join(names, "."), true
}

func nameAt(m *sourcemap.Map, p Pos) (string, bool) {
	seg, ok := segmentAt(m, p)
	if !ok || seg.Name == "" {
		return "", false
	}
	return seg.Name, true
}

// ---- positions ----

// indexLines finds the line starts and the UTF-16 checkpoints. It runs
// over the whole bundle for every parse, so it uses memchr-style searches
// for the line breaks and counts UTF-16 units eight bytes at a time where
// the text is ASCII.
func (ix *Index) indexLines() {
	src := ix.src
	ix.lines = lineStarts(src)
	n := len(src)/cpStep + 1
	ix.cpByte = make([]int, n)
	ix.cpU16 = make([]int, n)
	u16, i := 0, 0
	for k := 0; k < n; k++ {
		at := min(k*cpStep, len(src))
		for at < len(src) && src[at]&0xC0 == 0x80 {
			at++ // the first rune start at or after k*cpStep
		}
		if at > i {
			u16 += utf16Units(src[i:at])
			i = at
		}
		ix.cpByte[k], ix.cpU16[k] = i, u16
	}
}

// utf16Units counts the UTF-16 units of b, which starts at a rune start:
// one per rune start (every byte but 10xxxxxx), one more per 4-byte rune.
func utf16Units(b []byte) int {
	u := 0
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&0x8080808080808080 == 0 {
			u += 8
		} else {
			for _, c := range b[:8] {
				u += unitsOfByte(c)
			}
		}
		b = b[8:]
	}
	for _, c := range b {
		u += unitsOfByte(c)
	}
	return u
}

func unitsOfByte(c byte) int {
	switch {
	case c < 0x80:
		return 1
	case c < 0xC0:
		return 0
	case c < 0xF0:
		return 1
	}
	return 2
}

// lineStarts returns the offsets of the line starts (V8 line breaks).
func lineStarts(src []byte) []int {
	lines := []int{0}
	if bytes.IndexByte(src, '\r') < 0 && !bytes.Contains(src, []byte("\u2028")) && !bytes.Contains(src, []byte("\u2029")) {
		for i := 0; ; {
			k := bytes.IndexByte(src[i:], '\n')
			if k < 0 {
				return lines
			}
			i += k + 1
			lines = append(lines, i)
		}
	}
	for i := 0; i < len(src); {
		b := src[i]
		if b < utf8.RuneSelf {
			i++
			switch b {
			case '\n':
				lines = append(lines, i)
			case '\r':
				if i < len(src) && src[i] == '\n' {
					i++
				}
				lines = append(lines, i)
			}
			continue
		}
		r, size := utf8.DecodeRune(src[i:])
		i += size
		if r == '\u2028' || r == '\u2029' {
			lines = append(lines, i)
		}
	}
	return lines
}

// u16At counts UTF-16 units in src[:off] (off at a rune start).
func (ix *Index) u16At(off int) int {
	k := off / cpStep
	if k >= len(ix.cpByte) {
		k = len(ix.cpByte) - 1
	}
	for k > 0 && ix.cpByte[k] > off {
		k--
	}
	i, u := ix.cpByte[k], ix.cpU16[k]
	for i < off {
		r, size := utf8.DecodeRune(ix.src[i:])
		i += size
		if r >= 0x10000 {
			u += 2
		} else {
			u++
		}
	}
	return u
}

func (ix *Index) pos(off int) Pos {
	line := sort.SearchInts(ix.lines, off+1) - 1
	return Pos{Line: line, Col: ix.u16At(off) - ix.u16At(ix.lines[line])}
}

// Width returns the number of lines of the bundle and the UTF-16 length of
// line (0-based; without its line break), or -1 when there is no such line.
// A position past them is not in this bundle: the trace came from another
// build of it.
func (ix *Index) Width(line int) (lines, length int) {
	if line < 0 || line >= len(ix.lines) {
		return len(ix.lines), -1
	}
	end := len(ix.src)
	if line+1 < len(ix.lines) {
		end = ix.lines[line+1]
	}
	for end > ix.lines[line] && (ix.src[end-1] == '\n' || ix.src[end-1] == '\r') {
		end--
	}
	if end >= ix.lines[line]+3 && string(ix.src[end-3:end]) == "\u2028" || end >= ix.lines[line]+3 && string(ix.src[end-3:end]) == "\u2029" {
		end -= 3
	}
	return len(ix.lines), ix.u16At(end) - ix.u16At(ix.lines[line])
}

// Contains reports whether (line, col), 0-based with col in UTF-16 units, is
// a position of the file.
func (ix *Index) Contains(line, col int) bool {
	_, ok := ix.offset(line, col)
	return ok
}

// offset converts a line and UTF-16 column to a byte offset; a column in the
// middle of a surrogate pair gives the character's offset.
func (ix *Index) offset(line, col int) (int, bool) {
	if line < 0 || line >= len(ix.lines) || col < 0 {
		return 0, false
	}
	start := ix.lines[line]
	end := len(ix.src)
	if line+1 < len(ix.lines) {
		end = ix.lines[line+1]
	}
	target := ix.u16At(start) + col
	k := sort.Search(len(ix.cpU16), func(k int) bool { return ix.cpU16[k] > target }) - 1
	i, u := ix.cpByte[k], ix.cpU16[k]
	if i < start {
		i, u = start, ix.u16At(start)
	}
	for i < end {
		r, size := utf8.DecodeRune(ix.src[i:])
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if u+w > target {
			return i, true
		}
		i += size
		u += w
	}
	return 0, false
}

// lazyRE compiles a pattern on first use: these Unicode-class patterns cost
// most of a millisecond to compile, which every mapback command would pay
// at start-up otherwise.
func lazyRE(pattern string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })
}
