// Package sourcemap is mapback's source map engine: it parses regular and
// index (sectioned) source maps and answers same-line greatest-lower-bound
// lookups (docs/internals/resolve.md §4) without decoding more than a lookup needs.
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
	"math"
	"sort"
	"strconv"
	"sync"

	"github.com/mapback/mapback/internal/debugid"
	"github.com/mapback/mapback/internal/jsonscan"
)

// Mapping is the result of a lookup. Line and Column are 0-based original
// positions (Column in UTF-16 code units).
type Mapping struct {
	Source      string // raw entry of "sources" (see ResolveSource)
	SourceIndex int    // index into Sources()
	Line        int
	Column      int
	SourceNull  bool   // the "sources" entry is null: the map does not say which file
	Name        string // "names" entry of the segment (the token's name), "" if none
	Ignored     bool   // source listed in ignoreList (or x_google_ignoreList)
	// Problem is set when the segment has a problem that did not stop the
	// lookup (a name index out of range: the position is right, the name is
	// missing), worded as Problem.Error words it.
	Problem string
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

	// problems found while parsing, the faulty parts read as absent
	problems []Problem

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

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Loader reads the map an index-map section names by "url", given the URL as
// written (relative to the index map).
type Loader func(url string) ([]byte, error)

// Parse parses a source map (regular or index map), leniently: it refuses a
// map only for the problems listed as fatal (ProblemKind.Fatal), returned as
// a *Problem; every other problem found while parsing is kept (Problems) and
// the faulty part is read as absent. It strips a UTF-8 BOM and a first line
// starting with ")]}" (XSSI prefix). Index-map sections that name their map
// by "url" need ParseWith. The map reads the big members of data (mappings,
// sourcesContent, sources, names) in place: data must not change while the
// map is in use. Strings it returns are copies.
func Parse(data []byte) (*Map, error) { return ParseWith(data, nil) }

// ParseWith is Parse with a Loader for "url" sections.
func ParseWith(data []byte, load Loader) (*Map, error) { return parse(data, load, false) }

// ParseLazy is ParseWith for a caller that looks positions up: it does not
// read a large "sourcesContent" (a lookup never needs it, and it is most of
// a map), only the members around it; where the array ends is inferred (see
// jsonscan.DocumentSkipping). SourceContent reads and checks the skipped
// text as far as the entry it asks for. Use ParseWith and Check to validate
// a map.
func ParseLazy(data []byte, load Loader) (*Map, error) { return parse(data, load, true) }

func parse(data []byte, load Loader, skipContent bool) (*Map, error) {
	orig := data
	data = bytes.TrimPrefix(data, utf8BOM)
	if bytes.HasPrefix(data, []byte(")]}")) {
		if nl := bytes.IndexByte(data, '\n'); nl >= 0 {
			data = data[nl+1:]
		} else {
			data = nil
		}
	}
	if p := notAnObject(data); p != nil {
		return nil, p
	}
	r, p := decodeRaw(data, skipContent)
	if p != nil {
		if p.Kind == ProblemJSON {
			p = p.at(orig, len(orig)-len(data))
		}
		return nil, p
	}
	m, p := build(r, true, load)
	if p != nil {
		return nil, p
	}
	return m, nil
}

// build makes a Map of a regular map's or an index map's members (top: the
// document itself, not a section's map).
func build(r *rawMap, top bool, load Loader) (*Map, *Problem) {
	if err := checkVersion(r.version); err != nil {
		return nil, err
	}
	m := &Map{sources: &strList{}, names: &strList{}}
	var err *Problem
	if m.file, err = optionalString(r.file, "file", &m.problems); err != nil {
		return nil, err
	}
	if m.debugID, err = readDebugID(r, &m.problems); err != nil {
		return nil, err
	}
	if r.sections != nil {
		if !top {
			return nil, fatal(ProblemSections, "sections", "a section's map is itself an index map; sections do not nest")
		}
		if r.mappings != nil {
			return nil, fatal(ProblemSections, "mappings", `an index map has "sections" and no "mappings" of its own`)
		}
		return buildIndexMap(m, r, load)
	}
	if m.mappings, err = requiredMappings(r.mappings); err != nil {
		return nil, err
	}
	switch {
	case r.sources == nil:
		return nil, fatal(ProblemType, "sources", `missing (a source map needs "sources", a list)`)
	case r.sources[0] != '[':
		return nil, fatal(ProblemType, "sources", "is %s, not a list", describe(r.sources))
	}
	if m.sources, err = scanList(r.sources, r.sourceElems, "sources", true, &m.problems); err != nil {
		return nil, err
	}
	if r.sourceRoot != nil {
		// ECMA-426 reads a sourceRoot of another type as absent; every
		// mapback command refuses it instead (null aside), as the sources
		// it prefixes would then resolve to the wrong place.
		s, ok, jerr := jsonString(r.sourceRoot)
		switch {
		case jerr != nil:
			return nil, fatal(ProblemJSON, "sourceRoot", "not valid JSON: %v", jerr)
		case string(r.sourceRoot) == "null":
			// null cannot be mistaken for a prefix: it is read as absent.
			m.problems = append(m.problems, memberProblem(ProblemMember, "sourceRoot", "read as absent", "is null, not a string"))
		case !ok:
			return nil, fatal(ProblemType, "sourceRoot", "is %s, not a string: the sources it prefixes cannot be located", describe(r.sourceRoot))
		}
		m.sourceRoot = s
	}
	switch {
	case r.names == nil:
	case r.names[0] != '[':
		m.problems = append(m.problems, memberProblem(ProblemMember, "names", "read as no names", "is %s, not a list", describe(r.names)))
	default:
		if m.names, err = scanList(r.names, r.nameElems, "names", false, &m.problems); err != nil {
			return nil, err
		}
	}
	m.nAll = m.sources.Len()
	switch {
	case r.content == nil || string(r.content) == "null":
	case r.content[0] != '[':
		m.problems = append(m.problems, memberProblem(ProblemMember, "sourcesContent", "read as absent", "is %s, not a list", describe(r.content)))
	default:
		m.content = r.content
		if r.contentElems != nil {
			// Known from the member scan, else found as far as needed.
			m.contOffs, m.contDone = r.contentElems, true
			for i, e := range r.contentElems {
				if p := contentProblem(r.content[e[0]:e[1]], i); p != nil {
					m.problems = append(m.problems, *p)
				}
			}
		}
	}
	// ECMA-426 names "ignoreList"; browsers read the older
	// "x_google_ignoreList" when it is absent, and so does mapback.
	if r.ignoreList != nil {
		m.ignored = indexList(r.ignoreList, r.ignoreElems, "ignoreList", m.sources.Len(), &m.problems)
	} else {
		m.ignored = indexList(r.xIgnore, r.xIgnoreElems, "x_google_ignoreList", m.sources.Len(), &m.problems)
	}
	return m, nil
}

// contentProblem checks one element of sourcesContent: a string or null.
func contentProblem(t []byte, i int) *Problem {
	if len(t) > 0 && (t[0] == '"' || t[0] == 'n') {
		return nil
	}
	p := memberProblem(ProblemMember, fmt.Sprintf("sourcesContent[%d]", i), "read as null", "is %s, not a string or null", describe(t))
	return &p
}

// readDebugID reads "debug_id" and "debugId". A value that is not a debug ID
// (a UUID) is recorded and read as absent; when both are present and differ,
// "debug_id" wins, as it does for sentry-cli, and the difference is recorded.
func readDebugID(r *rawMap, probs *[]Problem) (string, *Problem) {
	var ids [2]string
	for k, v := range [2][]byte{r.debugSnake, r.debugID} {
		member := [2]string{"debug_id", "debugId"}[k]
		if v == nil {
			continue
		}
		s, ok, err := jsonString(v)
		switch {
		case err != nil:
			return "", fatal(ProblemJSON, member, "not valid JSON: %v", err)
		case !ok:
			*probs = append(*probs, memberProblem(ProblemDebugID, member, "read as absent", "is %s, not a debug ID string", describe(v)))
			continue
		}
		if _, err := debugid.Parse(s); err != nil {
			*probs = append(*probs, memberProblem(ProblemDebugID, member, "read as absent", "%q is not a debug ID (a UUID such as 8cf3d888-fc9e-457d-a999-6ffef384b736)", clip(s, 60)))
			continue
		}
		ids[k] = s
	}
	if ids[0] != "" && ids[1] != "" && !sameID(ids[0], ids[1]) {
		*probs = append(*probs, memberProblem(ProblemDebugID, "debugId", "debug_id is used", "%s differs from debug_id %s", ids[1], ids[0]))
	}
	if ids[0] != "" {
		return ids[0], nil
	}
	return ids[1], nil
}

func sameID(a, b string) bool {
	x, err1 := debugid.Parse(a)
	y, err2 := debugid.Parse(b)
	return err1 == nil && err2 == nil && x == y
}

// clip shortens s for a message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// buildIndexMap reads an index map's sections. Everything about where a
// section starts must be sound, or lookups would pick the wrong section: a
// section that is not an object, an offset that is missing or not a pair of
// non-negative integers, sections out of order, and a section whose map
// cannot be used all refuse the whole map (ECMA-426 lets a decoder skip
// such a section; mapback does not, in every command). A section that
// starts before the previous one's last mapping is a problem Check reports.
func buildIndexMap(m *Map, r *rawMap, load Loader) (*Map, *Problem) {
	if r.sections[0] != '[' {
		return nil, fatal(ProblemSections, "sections", "is %s, not a list", describe(r.sections))
	}
	elems, _, err := jsonscan.Array(r.sections, 0)
	if err != nil {
		return nil, notJSON(err)
	}
	prevL, prevC := -1, -1
	for i, e := range elems {
		at := fmt.Sprintf("sections[%d]", i)
		sec := r.sections[e[0]:e[1]]
		if sec[0] != '{' {
			return nil, fatal(ProblemSections, at, "is %s, not an object", describe(sec))
		}
		members, _, err := jsonscan.Object(sec, 0)
		if err != nil {
			return nil, notJSON(err)
		}
		var offset, body, url []byte
		for _, mb := range members {
			switch v := sec[mb.ValStart:mb.ValEnd]; mb.Key {
			case "offset":
				offset = v
			case "map":
				body = v
			case "url":
				url = v
			}
		}
		L, C, p := sectionOffset(offset, at)
		if p != nil {
			return nil, p
		}
		if L < prevL || (L == prevL && C < prevC) {
			return nil, fatal(ProblemSections, at+".offset", "(line %d, column %d) comes before sections[%d] (line %d, column %d): sections must be in order", L+1, C+1, i-1, prevL+1, prevC+1)
		}
		prevL, prevC = L, C
		hasMap := body != nil && string(body) != "null"
		var loadedFrom string
		if url != nil {
			u, ok, _ := jsonString(url)
			switch {
			case !ok:
				return nil, fatal(ProblemSections, at+".url", "is %s, not a string", describe(url))
			case hasMap:
				return nil, fatal(ProblemSections, at, `has both "url" and "map"`)
			case load == nil:
				return nil, fatal(ProblemSections, at+".url", "names a map to load (%s), which only works for a map read from a file", clip(u, 80))
			}
			data, lerr := load(u)
			if lerr != nil {
				return nil, fatal(ProblemSections, at+".url", "cannot load %s: %v", clip(u, 80), lerr)
			}
			body, hasMap, loadedFrom = bytes.TrimPrefix(data, utf8BOM), true, u
		}
		switch {
		case !hasMap:
			return nil, fatal(ProblemSections, at+".map", `missing (each section needs "map", a source map object)`)
		case url == nil && body[0] != '{':
			return nil, fatal(ProblemSections, at+".map", "is %s, not a source map object", describe(body))
		}
		sr, p := decodeRaw(body, false)
		if p != nil {
			p.Section = i
			return nil, p
		}
		sm, p := build(sr, false, nil)
		if p != nil {
			p.Section = i
			return nil, p
		}
		sm.loadedFrom = loadedFrom // its sources are relative to where it lives
		for _, q := range sm.problems {
			q.Section = i
			m.problems = append(m.problems, q)
		}
		m.sections = append(m.sections, section{line: L, col: C, m: sm, srcOff: m.nAll})
		m.nAll += sm.nAll
	}
	return m, nil
}

// sectionOffset reads a section's "offset": {"line": L, "column": C}.
func sectionOffset(v []byte, at string) (line, col int, p *Problem) {
	if v == nil {
		return 0, 0, fatal(ProblemSections, at+".offset", `missing (each section needs "offset": {"line": …, "column": …})`)
	}
	if v[0] != '{' {
		return 0, 0, fatal(ProblemSections, at+".offset", "is %s, not an object", describe(v))
	}
	members, _, err := jsonscan.Object(v, 0)
	if err != nil {
		return 0, 0, notJSON(err)
	}
	var vals [2][]byte
	for _, mb := range members {
		switch mb.Key {
		case "line":
			vals[0] = v[mb.ValStart:mb.ValEnd]
		case "column":
			vals[1] = v[mb.ValStart:mb.ValEnd]
		}
	}
	var out [2]int
	for k, t := range vals {
		name := at + ".offset." + [2]string{"line", "column"}[k]
		if t == nil {
			return 0, 0, fatal(ProblemSections, name, "missing")
		}
		n, err := strconv.ParseFloat(string(t), 64)
		if err != nil || t[0] == '"' || n != math.Trunc(n) || n < 0 || n > math.MaxInt32 {
			what := describe(t)
			if what == "a number" {
				what = string(t)
			}
			return 0, 0, fatal(ProblemSections, name, "is %s, not a non-negative integer", what)
		}
		out[k] = int(n)
	}
	return out[0], out[1], nil
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

// LookupErr is Lookup with errors: the *Problem that stops the mappings on
// or before the line, or one that makes the chosen segment map to nothing
// (a source index or original position out of range). A problem that only
// costs the segment its name is in Mapping.Problem, with the mapping.
func (m *Map) LookupErr(line, col int) (Mapping, bool, error) {
	mp, warn, ok, err := m.lookup(line, col)
	if warn != nil {
		mp.Problem = warn.Error()
	}
	return mp, ok, err
}

// lookup is LookupErr with the segment's problem apart.
func (m *Map) lookup(line, col int) (Mapping, *Problem, bool, error) {
	if line < 0 || col < 0 {
		return Mapping{}, nil, false, nil
	}
	if m.sections != nil {
		k := sort.Search(len(m.sections), func(j int) bool {
			s := m.sections[j]
			return s.line > line || (s.line == line && s.col > col)
		}) - 1
		if k < 0 {
			return Mapping{}, nil, false, nil
		}
		s := m.sections[k]
		c := col
		if line == s.line {
			c -= s.col
		}
		mp, warn, ok, err := s.m.lookup(line-s.line, c)
		if ok {
			mp.SourceIndex += s.srcOff
		}
		if p, isP := err.(*Problem); isP {
			err = s.place(k, p)
		}
		return mp, s.place(k, warn), ok, err
	}
	sg, found, err := m.find(line, col)
	if err != nil || !found || sg.fields < 4 {
		return Mapping{}, nil, false, err
	}
	lim := m.limits()
	if sg.prob&(probSource|probOriginal) != 0 {
		var first *Problem
		sg.problems(line, lim, func(p Problem) {
			if first == nil && (p.Kind == ProblemSource || p.Kind == ProblemOriginal) {
				first = &p
			}
		})
		return Mapping{}, nil, false, first
	}
	mp := Mapping{
		Source:      m.sources.At(int(sg.src)),
		SourceIndex: int(sg.src),
		SourceNull:  m.sources.Null(int(sg.src)),
		Line:        int(sg.line),
		Column:      int(sg.col),
	}
	var warn *Problem
	if sg.prob&probName != 0 {
		sg.problems(line, lim, func(p Problem) { warn = &p })
	} else if sg.name >= 0 {
		mp.Name = m.names.At(int(sg.name))
	}
	if m.ignored != nil {
		mp.Ignored = m.ignored[sg.src]
	}
	return mp, warn, true, nil
}

// limits are the bounds this map's segments are checked against.
func (m *Map) limits() limits { return limits{sources: m.sources.Len(), names: m.names.Len()} }

// place moves a problem found in section k's own coordinates to the index
// map's: the section's line offset, and its column offset on its first line.
func (s section) place(k int, p *Problem) *Problem {
	if p == nil {
		return nil
	}
	q := *p
	q.Section = k
	if q.Kind.InMappings() {
		if q.Line == 0 {
			if q.Column >= 0 {
				q.Column += s.col
			}
			if q.AfterColumn >= 0 {
				q.AfterColumn += s.col
			}
		}
		q.Line += s.line
	}
	return &q
}

// find returns the segment a lookup at (line, col) chooses: on a line with
// column checkpoints by a short scan, else from the decoded line.
func (m *Map) find(line, col int) (segment, bool, error) {
	m.mu.Lock()
	ix := m.index(line)
	m.mu.Unlock()
	if line < ix.nLines && (ix.errLine < 0 || line < ix.errLine) {
		if sg, found, ok := lookupSorted(m.mappings, ix, line, col, m.limits()); ok {
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
	segs, err := decodeLine(m.mappings, ix, k, m.limits())
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

// HasSourceContent reports what SourceContent's ok would, without decoding
// the text: a check of thousands of maps (doctor) asks only whether each
// source has one.
func (m *Map) HasSourceContent(i int) bool {
	sm, li, ok := m.sourceOwner(i)
	if !ok {
		return false
	}
	raw, ok := sm.rawContent(li)
	return ok && json.Valid(raw)
}

func (m *Map) content1(i int) (string, bool) {
	raw, ok := m.rawContent(i)
	if !ok {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// rawContent is the JSON text of sourcesContent element i when it is a
// string (not null, not missing), not yet checked nor decoded.
func (m *Map) rawContent(i int) ([]byte, bool) {
	if m.content == nil {
		return nil, false
	}
	m.mu.Lock()
	if len(m.contOffs) <= i && !m.contDone && m.contErr == nil {
		m.contErr = m.readContent(i)
	}
	offs := m.contOffs // the elements before an error are sound
	m.mu.Unlock()
	if i >= len(offs) {
		return nil, false
	}
	raw := m.content[offs[i][0]:offs[i][1]]
	if len(raw) == 0 || raw[0] != '"' {
		return nil, false
	}
	return raw, true
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
