// Package sourcemap is mapback's source map engine: it parses regular and
// index (sectioned) source maps and answers same-line greatest-lower-bound
// lookups (spec resolve.md §4) without decoding more than a lookup needs.
//
// Parse only decodes the JSON; "mappings" is indexed on the first Lookup and
// decoded one generated line at a time; "sourcesContent" stays raw JSON until
// SourceContent asks for one entry.
package sourcemap

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/mapback/mapback/internal/jsonscan"
	"math"
	"sort"
	"sync"
)

// Mapping is the result of a lookup. Line and Column are 0-based original
// positions (Column in UTF-16 code units).
type Mapping struct {
	Source      string // raw entry of "sources" (see ResolveSource)
	SourceIndex int    // index into Sources()
	Line        int
	Column      int
	Name        string // "names" entry of the segment (the token's name), "" if none
	Ignored     bool   // source listed in ignoreList (or x_google_ignoreList)
}

// Map is a parsed source map. It is safe for concurrent use.
type Map struct {
	file       string
	sourceRoot string
	sources    *strList
	names      *strList
	mappings   string
	content    json.RawMessage // raw "sourcesContent" array, decoded lazily
	ignored    []bool          // per source
	debugID    string

	// index maps
	sections []section
	// loadedFrom is the "url" an index map's section was loaded from,
	// relative to the index map; its sources resolve against it.
	loadedFrom string
	nAll       int // number of sources (of all sections)
	allOnce    sync.Once
	allSrc     []string // Sources(), made on first use

	mu       sync.Mutex
	ix       *lineIndex
	cache    map[int][]segment
	cacheN   int
	contOffs [][2]int // element spans in content, found as far as needed
	contRd   *jsonscan.ArrayReader
	contDone bool // contOffs has every element
	contErr  error
}

type section struct {
	line, col int
	m         *Map
	srcOff    int // index of the section's first source in Sources()
}

type rawOffset struct {
	Line   *int `json:"line"`
	Column *int `json:"column"`
}

type rawSection struct {
	Offset *rawOffset      `json:"offset"`
	Map    json.RawMessage `json:"map"`
	URL    *string         `json:"url"`
}

type rawMap struct {
	Version        *int            `json:"version"`
	File           string          `json:"file"`
	SourceRoot     *string         `json:"sourceRoot"`
	Sources        []*string       `json:"sources"`
	SourcesContent json.RawMessage `json:"sourcesContent"`
	Names          []*string       `json:"names"`
	Mappings       *string         `json:"mappings"`
	Sections       []rawSection    `json:"sections"`
	IgnoreList     []int           `json:"ignoreList"`
	XGoogleIgnore  []int           `json:"x_google_ignoreList"`
	DebugID        string          `json:"debugId"`
	DebugIDSnake   string          `json:"debug_id"`

	// fastDecode's undecoded "sources" and "names" (in place of Sources
	// and Names), and the element offsets of SourcesContent
	srcList, nameList *strList
	contentElems      [][2]int
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Loader reads the map an index-map section names by "url", given the URL as
// written (relative to the index map).
type Loader func(url string) ([]byte, error)

// Parse parses a source map (regular or index map). It strips a UTF-8 BOM
// and a first line starting with ")]}" (XSSI prefix). Index-map sections
// that name their map by "url" need ParseWith. The map reads the big members
// of data (mappings, sourcesContent, sources, names) in place: data must not
// change while the map is in use. Strings it returns are copies.
func Parse(data []byte) (*Map, error) { return ParseWith(data, nil) }

// ParseWith is Parse with a Loader for "url" sections.
func ParseWith(data []byte, load Loader) (*Map, error) { return parse(data, load, false) }

// ParseLazy is ParseWith for a caller that looks positions up: it does not
// read a large "sourcesContent" (a lookup never needs it, and it is most of
// a map), only the members around it; where the array ends is inferred (see
// jsonscan.DocumentSkipping). SourceContent reads and checks the skipped
// text as far as the entry it asks for. Use ParseWith to validate a map.
func ParseLazy(data []byte, load Loader) (*Map, error) { return parse(data, load, true) }

func parse(data []byte, load Loader, skipContent bool) (*Map, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	if bytes.HasPrefix(data, []byte(")]}")) {
		if nl := bytes.IndexByte(data, '\n'); nl >= 0 {
			data = data[nl+1:]
		} else {
			data = nil
		}
	}
	r, err := decodeRaw(data, skipContent)
	if err != nil {
		return nil, err
	}
	return build(r, true, load)
}

// decodeRaw decodes a map document. The fast path (fastDecode) splits the
// top-level object itself and hands only the small fields to encoding/json;
// "sourcesContent" (often most of the file) is kept as a sub-slice of data,
// unvalidated and undecoded. Anything it does not like goes through
// encoding/json for a precise error.
func decodeRaw(data []byte, skipContent bool) (*rawMap, error) {
	if r, err := fastDecode(data, skipContent); err == nil {
		return r, nil
	}
	var r rawMap
	if err := json.Unmarshal(data, &r); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("invalid source map: field %q has the wrong type (%s, want %s)", te.Field, te.Value, te.Type)
		}
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	return &r, nil
}

func checkVersion(v *int) error {
	if v == nil {
		return errors.New(`invalid source map: missing "version" (want 3)`)
	}
	if *v != 3 {
		return fmt.Errorf("version %d source maps are not supported (want version 3)", *v)
	}
	return nil
}

func build(r *rawMap, top bool, load Loader) (*Map, error) {
	if err := checkVersion(r.Version); err != nil {
		return nil, err
	}
	m := &Map{file: r.File, debugID: r.DebugID}
	if m.debugID == "" {
		m.debugID = r.DebugIDSnake
	}
	if r.Sections != nil {
		if !top {
			return nil, errors.New("nested index maps are not supported (a section's map has \"sections\")")
		}
		if r.Mappings != nil && *r.Mappings != "" {
			return nil, errors.New(`invalid index map: has both "sections" and "mappings"`)
		}
		return buildIndexMap(m, r, load)
	}
	if r.Mappings == nil {
		return nil, errors.New(`invalid source map: missing "mappings"`)
	}
	m.mappings = *r.Mappings
	if r.SourceRoot != nil {
		m.sourceRoot = *r.SourceRoot
	}
	m.sources, m.names = r.srcList, r.nameList
	if m.sources == nil {
		m.sources = decodedList(r.Sources)
	}
	if m.names == nil {
		m.names = decodedList(r.Names)
	}
	m.nAll = m.sources.Len()
	if len(r.SourcesContent) > 0 && r.SourcesContent[0] == '[' {
		m.content = r.SourcesContent
		// Known from the member scan, else found as far as needed.
		m.contOffs, m.contDone = r.contentElems, r.contentElems != nil
	}
	list := r.IgnoreList
	if list == nil {
		list = r.XGoogleIgnore
	}
	if n := m.sources.Len(); len(list) > 0 && n > 0 {
		m.ignored = make([]bool, n)
		for _, i := range list {
			if i >= 0 && i < n {
				m.ignored[i] = true
			}
		}
	}
	return m, nil
}

func buildIndexMap(m *Map, r *rawMap, load Loader) (*Map, error) {
	// An index map answers from its sections; with none, it has no
	// sources and no names of its own either.
	m.sources, m.names = &strList{}, &strList{}
	prevL, prevC := -1, -1
	for i, s := range r.Sections {
		hasMap := len(s.Map) > 0 && string(s.Map) != "null"
		if s.URL != nil {
			switch {
			case hasMap:
				return nil, fmt.Errorf("index map section %d: has both \"url\" and \"map\"", i)
			case load == nil:
				return nil, fmt.Errorf("index map section %d: \"url\" sections need the map's location to be loaded", i)
			}
			data, err := load(*s.URL)
			if err != nil {
				return nil, fmt.Errorf("index map section %d: load %s: %w", i, *s.URL, err)
			}
			s.Map, hasMap = bytes.TrimPrefix(data, utf8BOM), true
		}
		if s.Offset == nil || s.Offset.Line == nil || s.Offset.Column == nil {
			return nil, fmt.Errorf("index map section %d: missing offset line/column", i)
		}
		if !hasMap {
			return nil, fmt.Errorf("index map section %d: missing \"map\"", i)
		}
		L, C := *s.Offset.Line, *s.Offset.Column
		if L < 0 || C < 0 || L > math.MaxInt32 || C > math.MaxInt32 {
			return nil, fmt.Errorf("index map section %d: invalid offset (%d, %d)", i, L, C)
		}
		if L < prevL || (L == prevL && C <= prevC) {
			return nil, fmt.Errorf("index map sections overlap or are unsorted: section %d at (%d, %d) is not after section %d at (%d, %d)", i, L, C, i-1, prevL, prevC)
		}
		prevL, prevC = L, C
		sr, err := decodeRaw(s.Map, false)
		if err != nil {
			return nil, fmt.Errorf("index map section %d: %w", i, err)
		}
		sm, err := build(sr, false, nil)
		if err != nil {
			return nil, fmt.Errorf("index map section %d: %w", i, err)
		}
		if s.URL != nil {
			sm.loadedFrom = *s.URL // its sources are relative to where it lives
		}
		m.sections = append(m.sections, section{line: L, col: C, m: sm, srcOff: m.nAll})
		m.nAll += sm.nAll
	}
	return m, nil
}

// IsIndexMap reports whether the map has sections.
func (m *Map) IsIndexMap() bool { return m.sections != nil }

// DebugID returns "debugId" (or "debug_id"), "" if absent.
func (m *Map) DebugID() string { return m.debugID }

// File returns the "file" field.
func (m *Map) File() string { return m.file }

// Sources returns the raw "sources" entries (for an index map, all
// sections' sources concatenated in section order). Do not modify. The
// list is made on first use: lookups do not need it.
func (m *Map) Sources() []string {
	m.allOnce.Do(func() {
		m.allSrc = []string{}
		if m.sections == nil {
			m.allSrc = append(m.allSrc, m.sources.all()...)
			return
		}
		for _, s := range m.sections {
			m.allSrc = append(m.allSrc, s.m.Sources()...)
		}
	})
	return m.allSrc
}

// section returns the section holding source i and its local index.
func (m *Map) sourceOwner(i int) (*Map, int, bool) {
	if i < 0 || i >= m.nAll {
		return nil, 0, false
	}
	if m.sections == nil {
		return m, i, true
	}
	k := sort.Search(len(m.sections), func(j int) bool { return m.sections[j].srcOff > i }) - 1
	for k > 0 && m.sections[k].m.nAll == 0 {
		k--
	}
	s := m.sections[k]
	return s.m, i - s.srcOff, true
}

// Lookup maps a 0-based generated line and 0-based UTF-16 column to the
// original position: same-line greatest lower bound, no fallback to an
// earlier line, 1-field segments unmapped. Errors (invalid mappings, source
// index out of range) count as no mapping; use LookupErr to see them.
func (m *Map) Lookup(line, col int) (Mapping, bool) {
	mp, ok, err := m.LookupErr(line, col)
	if err != nil {
		return Mapping{}, false
	}
	return mp, ok
}

// LookupErr is Lookup with errors: a malformed mappings line, or a chosen
// segment whose source index or original position is out of range.
func (m *Map) LookupErr(line, col int) (Mapping, bool, error) {
	if line < 0 || col < 0 {
		return Mapping{}, false, nil
	}
	if m.sections != nil {
		k := sort.Search(len(m.sections), func(j int) bool {
			s := m.sections[j]
			return s.line > line || (s.line == line && s.col > col)
		}) - 1
		if k < 0 {
			return Mapping{}, false, nil
		}
		s := m.sections[k]
		c := col
		if line == s.line {
			c -= s.col
		}
		mp, ok, err := s.m.LookupErr(line-s.line, c)
		if ok {
			mp.SourceIndex += s.srcOff
		}
		if err != nil {
			err = fmt.Errorf("index map section %d: %w", k, err)
		}
		return mp, ok, err
	}
	sg, found, err := m.find(line, col)
	if err != nil || !found {
		return Mapping{}, false, err
	}
	if sg.fields < 4 {
		return Mapping{}, false, nil
	}
	if sg.bad {
		return Mapping{}, false, fmt.Errorf("generated %d:%d: source index or original position overflows 32 bits", line+1, int(sg.genCol)+1)
	}
	if sg.src < 0 || int(sg.src) >= m.sources.Len() {
		return Mapping{}, false, fmt.Errorf("generated %d:%d: source index %d out of range (map has %d sources)", line+1, int(sg.genCol)+1, sg.src, m.sources.Len())
	}
	if sg.line < 0 || sg.col < 0 {
		return Mapping{}, false, fmt.Errorf("generated %d:%d: original position (%d, %d) out of range", line+1, int(sg.genCol)+1, sg.line, sg.col)
	}
	mp := Mapping{
		Source:      m.sources.At(int(sg.src)),
		SourceIndex: int(sg.src),
		Line:        int(sg.line),
		Column:      int(sg.col),
	}
	if sg.name >= 0 && int(sg.name) < m.names.Len() {
		mp.Name = m.names.At(int(sg.name))
	}
	if m.ignored != nil {
		mp.Ignored = m.ignored[sg.src]
	}
	return mp, true, nil
}

// find returns the segment a lookup at (line, col) chooses: on a line with
// column checkpoints by a short scan, else from the decoded line.
func (m *Map) find(line, col int) (segment, bool, error) {
	m.mu.Lock()
	ix := m.index(line)
	m.mu.Unlock()
	if line < ix.nLines && (ix.errLine < 0 || line < ix.errLine) {
		if sg, found, ok := lookupSorted(m.mappings, ix, line, col); ok {
			return sg, found, nil
		}
	}
	segs, err := m.line(line)
	if err != nil || len(segs) == 0 {
		return segment{}, false, err
	}
	j := glb(segs, col)
	if j < 0 {
		return segment{}, false, nil
	}
	return segs[j], true, nil
}

// index returns the line index decoded through line k (the pass resumes
// where the last lookup left it), as a copy of its header: the copy stays
// valid while a later lookup extends the index, which only appends past
// what the copy holds. Called with m.mu held.
func (m *Map) index(k int) *lineIndex {
	if m.ix == nil {
		m.ix = newLineIndex()
	}
	m.ix.extend(m.mappings, k)
	view := *m.ix
	return &view
}

// line returns the decoded segments of generated line k (cached).
func (m *Map) line(k int) ([]segment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ix := m.index(k)
	if segs, ok := m.cache[k]; ok {
		return segs, nil
	}
	segs, err := decodeLine(m.mappings, ix, k)
	if err != nil {
		return nil, err
	}
	if m.cache == nil || m.cacheN+len(segs) > maxCachedSegments {
		m.cache = make(map[int][]segment)
		m.cacheN = 0
	}
	m.cache[k] = segs
	m.cacheN += len(segs)
	return segs, nil
}

// Err reports the first malformed mappings line, if any (it builds the
// line index, a pass over "mappings"). For index maps, the first section
// with an error.
func (m *Map) Err() error {
	if m.sections != nil {
		for i, s := range m.sections {
			if err := s.m.Err(); err != nil {
				return fmt.Errorf("index map section %d: %w", i, err)
			}
		}
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.index(math.MaxInt).err
}

// SourceContent returns the "sourcesContent" entry for source i, decoding
// only that entry. ok is false when the entry is missing or null.
func (m *Map) SourceContent(i int) (string, bool) {
	sm, li, ok := m.sourceOwner(i)
	if !ok {
		return "", false
	}
	return sm.content1(li)
}

func (m *Map) content1(i int) (string, bool) {
	if m.content == nil {
		return "", false
	}
	m.mu.Lock()
	if len(m.contOffs) <= i && !m.contDone && m.contErr == nil {
		m.contErr = m.readContent(i)
	}
	offs := m.contOffs // the elements before an error are sound
	m.mu.Unlock()
	if i >= len(offs) {
		return "", false
	}
	raw := m.content[offs[i][0]:offs[i][1]]
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// readContent splits the raw sourcesContent array up to element i (all of
// it for i < 0), reading no further: a lookup that wants one entry's text
// for a name need not read the 20 MB after it. At the end it checks that the
// array is the whole value: ParseLazy inferred where the value ends without
// reading it, and this is where that is checked. Called with m.mu held.
func (m *Map) readContent(i int) error {
	b := m.content
	if m.contRd == nil {
		j := 0
		for j < len(b) && (b[j] == ' ' || b[j] == '\t' || b[j] == '\n' || b[j] == '\r') {
			j++
		}
		if j >= len(b) || b[j] != '[' {
			return errors.New("sourcesContent is not an array")
		}
		m.contRd, _ = jsonscan.NewArrayReader(b, j)
	}
	for i < 0 || len(m.contOffs) <= i {
		start, end, ok, err := m.contRd.Next()
		if err != nil {
			return fmt.Errorf("sourcesContent: %w", err)
		}
		if !ok {
			m.contDone = true
			end := m.contRd.End()
			for end < len(b) && (b[end] == ' ' || b[end] == '\t' || b[end] == '\n' || b[end] == '\r') {
				end++
			}
			if end != len(b) {
				return fmt.Errorf("sourcesContent: unexpected data after the array at byte %d", end)
			}
			return nil
		}
		m.contOffs = append(m.contOffs, [2]int{start, end})
	}
	return nil
}
