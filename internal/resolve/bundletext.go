package resolve

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/jsscope"
	"github.com/mapback/mapback/internal/mmapfile"
)

// The bundles' text, read once: the scopes parsed from it for function
// names, its lines and columns; released once no frame needs it.

type scopeEntry struct {
	once sync.Once
	ix   *jsscope.Index
	path string // the bundle's
}

type sourceEntry struct {
	once  sync.Once
	src   []byte
	free  func() // unmaps src (mapFile); nil once freed
	evict func() // drops src's pages from memory (mapFile)
}

// scopesFor parses a bundle's scopes once, for the positions of all its
// frames (jsscope.ParseFor parses only what encloses them); only bundles
// with frames are parsed. at must hold every position that will be asked
// of the index.
func (idx *Index) scopesFor(b *dist.Bundle, at []jsscope.Pos) *jsscope.Index {
	e := once(idx, idx.scopes, idx.scopeKey(b.Path, at))
	e.once.Do(func() {
		e.path = b.Path
		if src := idx.source(b); src != nil {
			e.ix, _ = jsscope.ParseFor(src, at) // a bundle the parser rejects keeps call-site names
		}
	})
	return e.ix
}

// scopeKey names the scope index of a bundle for the positions at: an
// index answers only for the positions it was made for, so they are part
// of the key. Callers pass the same slice for every frame of a bundle, so
// the key is built once per slice, not once per frame (which made resolving
// a log of N frames cost N² in key building).
func (idx *Index) scopeKey(path string, at []jsscope.Pos) string {
	sk := sliceKey{path: path, n: len(at)}
	if len(at) > 0 {
		sk.first = &at[0]
	}
	idx.mu.Lock()
	defer idx.mu.Unlock()
	if k, ok := idx.scopeKeys[sk]; ok {
		return k
	}
	var b strings.Builder
	b.WriteString(path)
	for _, p := range at {
		b.WriteByte(0)
		b.WriteString(strconv.Itoa(p.Line))
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(p.Col))
	}
	if idx.scopeKeys == nil {
		idx.scopeKeys = map[sliceKey]string{}
	}
	idx.scopeKeys[sk] = b.String()
	return b.String()
}

// sliceKey identifies a positions slice by its first element's address.
type sliceKey struct {
	path  string
	first *jsscope.Pos
	n     int
}

// uniquePositions sorts positions and drops repeats.
func uniquePositions(at []jsscope.Pos) []jsscope.Pos {
	sort.Slice(at, func(i, j int) bool {
		if at[i].Line != at[j].Line {
			return at[i].Line < at[j].Line
		}
		return at[i].Col < at[j].Col
	})
	out := at[:0]
	for i, p := range at {
		if i == 0 || p != at[i-1] {
			out = append(out, p)
		}
	}
	return out
}

// source reads a bundle once; nil when unreadable.
func (idx *Index) source(b *dist.Bundle) []byte {
	idx.mu.Lock()
	v, isVirtual := idx.virtual[b.Path]
	idx.mu.Unlock()
	e := once(idx, idx.sources, b.Path)
	e.once.Do(func() {
		if isVirtual {
			e.src, _ = v.read()
		} else {
			e.src, e.free, e.evict, _ = mmapfile.Map(b.Path)
		}
	})
	return e.src
}

// releaseSource unmaps a bundle, and drops its scope indexes (they point
// into it), once no frame needs them.
func (idx *Index) releaseSource(path string) {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	for _, e := range idx.scopes {
		if e.path == path {
			e.ix = nil
		}
	}
	if e := idx.sources[path]; e != nil && e.free != nil {
		e.src = nil
		e.free()
		e.free = nil
	}
}

// evictSource drops a bundle's pages from memory once its scopes are
// parsed; the few the scope names need are read again.
func (idx *Index) evictSource(path string) {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	if e := idx.sources[path]; e != nil && e.free != nil && e.evict != nil {
		e.evict()
	}
}

// utf16Column converts a 0-based code-point column on a 0-based line of the
// bundle to UTF-16 units; it returns col unchanged when the line is not there.
func (idx *Index) utf16Column(b *dist.Bundle, line, col int) int {
	text, ok := lineOf(idx.source(b), line)
	if !ok {
		return col
	}
	units, points := 0, 0
	for _, r := range string(text) {
		if points == col {
			break
		}
		units += utf16Units(r)
		points++
	}
	return units + (col - points) // past the end: count the rest as one unit each
}

// lineOf returns 0-based line n of src, splitting lines as V8 does (\n,
// \r\n, lone \r, U+2028, U+2029).
func lineOf(src []byte, n int) ([]byte, bool) {
	start := 0
	for i := 0; i < len(src); {
		c := src[i]
		brk := 0
		switch {
		case c == '\n':
			brk = 1
		case c == '\r':
			brk = 1
			if i+1 < len(src) && src[i+1] == '\n' {
				brk = 2
			}
		case c == 0xE2 && i+2 < len(src) && src[i+1] == 0x80 && (src[i+2] == 0xA8 || src[i+2] == 0xA9):
			brk = 3
		}
		if brk == 0 {
			i++
			continue
		}
		if n == 0 {
			return src[start:i], true
		}
		n--
		i += brk
		start = i
	}
	if n == 0 {
		return src[start:], true
	}
	return nil, false
}

// scopeName is the original name of the function enclosing the frame's
// generated position, "" at top level or when the bundle cannot be parsed.
// at are the positions the bundle's scope index is made for (nil: this
// frame's alone); they include the frame's.
func (r *resolver) scopeName(res resolved, at []jsscope.Pos) (name string, complete bool) {
	if res.bundle == nil || res.bundle.Path == "" {
		return "", false // a --map without its bundle: nothing to parse
	}
	if at == nil {
		at = []jsscope.Pos{{Line: res.genLine, Col: res.genColumn}}
	}
	ix := r.idx.scopesFor(res.bundle, at)
	if ix == nil {
		return "", false
	}
	s, ok := ix.Enclosing(res.genLine, res.genColumn)
	if !ok {
		return "", false
	}
	return s.MappedName(res.m)
}

// checkBuild warns when a resolved frame's position is not in its bundle at
// all (a line past the last, a column past the end of its line): the trace
// came from another build of the bundle, and the map of this one answered
// for code that is not there. It needs the bundle's line index, which scope
// naming builds; with --names minified it is not checked.
func (r *resolver) checkBuild(res *resolved, at []jsscope.Pos) {
	if res.bundle == nil || res.bundle.Path == "" {
		return
	}
	ix := r.idx.scopesFor(res.bundle, at)
	if ix == nil {
		return
	}
	const other = "the trace comes from another build of it, so this answer is likely wrong (resolve it with the build that ran)"
	switch lines, width := ix.Width(res.genLine); {
	case width < 0:
		res.warnings = append(res.warnings, fmt.Sprintf("%s has %d lines and the frame is on line %d: %s", res.bundle.Path, lines, res.genLine+1, other))
	case res.genColumn > width:
		res.warnings = append(res.warnings, fmt.Sprintf("line %d of %s is %d columns long and the frame is at column %d: %s", res.genLine+1, res.bundle.Path, width, res.genColumn+1, other))
	}
}
