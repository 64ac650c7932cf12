package inject

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"sort"
	"strconv"
	"strings"

	"github.com/mapback/mapback/internal/debugid"
	"github.com/mapback/mapback/internal/jsonscan"
	"github.com/mapback/mapback/internal/sourcemap"
)

// sourceMap is what injection needs to know about a map: what the source
// map engine found in it (its debug ID, its problems) and where the members
// injection edits lie in its text (jsonscan.go); the bytes themselves are
// never re-serialised.
type sourceMap struct {
	data     []byte
	members  []jsonscan.Member
	mappings *jsonscan.Member // a regular map's "mappings" string
	sections *jsonscan.Member // an index map's "sections" array
	id       debugid.ID
	hasID    bool
	// Which of the two ID keys are present (mapback writes both, keeping
	// any that exists).
	hasCamel, hasSnake bool
	// warnings are the map's problems that injection does not make worse
	// (resolve and doctor report them too): one line each, at most three.
	warnings []string
}

// parseMap reads a map with the source map engine, strictly: a map the
// engine refuses, one whose mappings cannot be read to the end, and one
// whose debug ID is not valid are refused (the edit would be wrong, or the
// ID the bundle gets would not be the map's); every other problem becomes a
// warning. It then locates the members injection edits.
func parseMap(ctx context.Context, data []byte, load sourcemap.Loader) (*sourceMap, error) {
	m, err := sourcemap.ParseWith(data, load)
	if err != nil {
		return nil, err
	}
	ps := m.Check(ctx, nil)
	sm := &sourceMap{data: data}
	for _, p := range ps.List {
		switch p.Kind {
		case sourcemap.ProblemSyntax:
			return nil, fmt.Errorf("%s: inject does not edit a map whose mappings cannot be read; rebuild to regenerate it", p.Fault())
		case sourcemap.ProblemDebugID:
			return nil, fmt.Errorf("%s: correct or remove the member, then inject again", p.Fault())
		}
		if len(sm.warnings) < 3 {
			sm.warnings = append(sm.warnings, "map problem: "+p.Error())
		}
	}
	if more := ps.Total - len(sm.warnings); more > 0 && len(sm.warnings) > 0 {
		sm.warnings = append(sm.warnings, fmt.Sprintf("and %d more map problems (mapback doctor lists them)", more))
	}
	if s := m.DebugID(); s != "" {
		id, err := debugid.Parse(s)
		if err != nil {
			return nil, err // the engine accepted it: cannot happen
		}
		sm.id, sm.hasID = id, true
	}
	members, _, _, err := jsonscan.Document(data)
	if err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	sm.members = members
	for i := range members {
		switch members[i].Key {
		case "mappings":
			sm.mappings = &members[i]
		case "sections":
			sm.sections = &members[i]
		case "debugId":
			sm.hasCamel = true
		case "debug_id":
			sm.hasSnake = true
		}
	}
	return sm, nil
}

// edit replaces data[at:at+del] with ins.
type edit struct {
	at, del int
	ins     string
}

// applyEdits applies non-overlapping edits in one pass.
func applyEdits(data []byte, edits []edit) []byte {
	sort.Slice(edits, func(i, j int) bool { return edits[i].at < edits[j].at })
	grow := 0
	for _, e := range edits {
		grow += len(e.ins) - e.del
	}
	out := make([]byte, 0, len(data)+grow)
	prev := 0
	for _, e := range edits {
		out = append(out, data[prev:e.at]...)
		out = append(out, e.ins...)
		prev = e.at + e.del
	}
	return append(out, data[prev:]...)
}

// editMap returns the map's bytes after injection: generated positions moved
// to follow the inserted lines, and the debug ID keys added. For LayoutTop,
// (line, col) is the generated position where two line breaks were inserted;
// LayoutIndex inserted one line at the top; LayoutEnd moved no code.
//
// Inline maps get only "debugId": they travel inside the bundle, whose bytes
// must stay identical to the reference client's, which writes that key alone.
func editMap(sm *sourceMap, layout Layout, line, col int, id debugid.ID, inline bool) ([]byte, error) {
	var edits []edit
	switch layout {
	case LayoutTop:
		if sm.mappings == nil {
			return nil, errors.New("an index map cannot take the snippet at the top")
		}
		e, err := shiftMappings(sm.data, *sm.mappings, line, col)
		if err != nil {
			return nil, err
		}
		edits = append(edits, e...)
	case LayoutIndex:
		e, err := shiftSections(sm.data, *sm.sections)
		if err != nil {
			return nil, err
		}
		edits = append(edits, e...)
	}
	edits = append(edits, idKeys(sm, id, inline)...)
	return applyEdits(sm.data, edits), nil
}

// shiftMappings moves every segment at or after generated (line, col) down by
// two lines (docs/internals/inject.md §6.1). Segments before the split keep their place;
// the first segment after it restarts its line, so only its generated
// column changes; all other fields are deltas that line breaks do not
// affect.
//
// When the split falls inside a segment's range (a segment starts before col
// and none starts exactly at it), the code that moves to the new line was
// covered by that segment; a copy of it is placed at column 0 of the new line
// so lookups there still resolve. The reference client does the same.
func shiftMappings(data []byte, m jsonscan.Member, line, col int) ([]edit, error) {
	start, s, err := mappingsText(data, m)
	if err != nil {
		return nil, err
	}
	gs, ge, ok := lineGroup(s, line)
	if !ok {
		return nil, nil // the map has no mappings at or after the split
	}
	if col == 0 {
		return []edit{{at: start + gs, ins: ";;"}}, nil
	}
	covering := 0 // the field count of the last segment before col
	for seg, err := range lineSegments(s, gs, ge) {
		if err != nil {
			return nil, err
		}
		if seg.column >= col {
			ins := ";;"
			if covering > 0 && seg.column > col {
				ins += strings.Repeat("A", covering) + ","
			}
			ins += string(sourcemap.AppendVLQ(nil, int64(seg.column-col)))
			if seg.at == gs {
				return []edit{{at: start + seg.at, del: seg.size, ins: ins}}, nil
			}
			// Replace the ',' before the segment by the line breaks.
			return []edit{{at: start + seg.at - 1, del: 1 + seg.size, ins: ins}}, nil
		}
		if covering, _, _, err = sourcemap.ScanSegment(s[seg.at:seg.end], 0); err != nil {
			return nil, fmt.Errorf("mappings at offset %d: %w", seg.at, err)
		}
	}
	// Nothing on the split line starts after the split: only later lines
	// move, plus the copy of the segment covering the split.
	ins := ";;"
	if covering > 0 {
		ins += strings.Repeat("A", covering)
	}
	return []edit{{at: start + ge, ins: ins}}, nil
}

// mappingsText is the text of a "mappings" member between its quotes, and
// where it starts in data.
func mappingsText(data []byte, m jsonscan.Member) (start int, s []byte, err error) {
	start, end := m.ValStart+1, m.ValEnd-1 // inside the quotes
	s = data[start:end]
	if bytes.IndexByte(s, '\\') >= 0 {
		return 0, nil, errors.New(`"mappings" contains escape sequences, which source maps never need`)
	}
	return start, s, nil
}

// lineGroup finds the segments of generated line line in mappings s:
// s[gs:ge]. ok is false when s has fewer lines.
func lineGroup(s []byte, line int) (gs, ge int, ok bool) {
	for range line {
		i := bytes.IndexByte(s[gs:], ';')
		if i < 0 {
			return 0, 0, false
		}
		gs += i + 1
	}
	ge = len(s)
	if i := bytes.IndexByte(s[gs:], ';'); i >= 0 {
		ge = gs + i
	}
	return gs, ge, true
}

// lineSegment is one segment of a generated line of "mappings" s: s[at:end],
// whose first field, the delta of its generated column, takes size bytes
// and is delta; column is the generated column it starts at.
type lineSegment struct {
	at, end, size int
	delta         int64
	column        int
}

// lineSegments yields the segments of one generated line, s[gs:ge]
// (lineGroup), in order; a generated column that does not decode ends the
// walk with its error.
func lineSegments(s []byte, gs, ge int) iter.Seq2[lineSegment, error] {
	return func(yield func(lineSegment, error) bool) {
		column := 0
		for at := gs; at < ge; {
			end := ge
			if i := bytes.IndexByte(s[at:ge], ','); i >= 0 {
				end = at + i
			}
			delta, size, err := sourcemap.DecodeVLQ(s[at:end], 0)
			if err != nil {
				yield(lineSegment{}, fmt.Errorf("mappings at offset %d: %w", at, err))
				return
			}
			column += int(delta)
			if !yield(lineSegment{at: at, end: end, size: size, delta: delta, column: column}, nil) {
				return
			}
			at = end + 1
		}
	}
}

// shiftSections adds one to every top-level section's offset.line.
func shiftSections(data []byte, m jsonscan.Member) ([]edit, error) {
	var edits []edit
	err := eachSectionOffset(data, m, func(i int, offset []jsonscan.Member) error {
		ln := find(offset, "line")
		if ln == nil {
			return fmt.Errorf("section %d offset has no line", i)
		}
		n, err := atoiMember(data, ln)
		if err != nil {
			return fmt.Errorf("section %d offset line %q is not a non-negative integer", i, data[ln.ValStart:ln.ValEnd])
		}
		edits = append(edits, edit{at: ln.ValStart, del: ln.ValEnd - ln.ValStart, ins: strconv.Itoa(n + 1)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return edits, nil
}

// eachSectionOffset calls f with the members of each top-level section's
// offset object, in order, for an index map's "sections" member m; the
// first error, the walk's or f's, ends it.
func eachSectionOffset(data []byte, m jsonscan.Member, f func(i int, offset []jsonscan.Member) error) error {
	elems, _, err := jsonscan.Array(data, m.ValStart)
	if err != nil {
		return err
	}
	for i, el := range elems {
		sec, _, err := jsonscan.Object(data, el[0])
		if err != nil {
			return fmt.Errorf("section %d: %w", i, err)
		}
		off := find(sec, "offset")
		if off == nil || data[off.ValStart] != '{' {
			return fmt.Errorf("section %d has no offset object", i)
		}
		fields, _, err := jsonscan.Object(data, off.ValStart)
		if err != nil {
			return fmt.Errorf("section %d offset: %w", i, err)
		}
		if err := f(i, fields); err != nil {
			return err
		}
	}
	return nil
}

// atoiMember reads a member's value as a non-negative integer.
func atoiMember(data []byte, m *jsonscan.Member) (int, error) {
	n, err := strconv.Atoi(string(data[m.ValStart:m.ValEnd]))
	if err == nil && n < 0 {
		err = errors.New("negative")
	}
	return n, err
}

func find(members []jsonscan.Member, key string) *jsonscan.Member {
	for i := range members {
		if members[i].Key == key {
			return &members[i]
		}
	}
	return nil
}

// idKeys adds "debugId" and "debug_id" after the last member, copying the
// file's own spacing (pretty-printed maps stay pretty), and keeps whichever
// of the two already exists.
func idKeys(sm *sourceMap, id debugid.ID, camelOnly bool) []edit {
	wantSnake := !sm.hasSnake && !camelOnly
	if sm.hasCamel && !wantSnake {
		return nil
	}
	var add [][2]string
	if !sm.hasCamel {
		add = append(add, [2]string{"debugId", id.String()})
	}
	if wantSnake {
		add = append(add, [2]string{"debug_id", id.String()})
	}
	return []edit{appendMembers(sm.data, sm.members, add)}
}

// appendMembers adds string members after the last one, copying the file's
// own spacing (pretty-printed maps stay pretty). Values are plain IDs, with
// nothing to escape.
func appendMembers(data []byte, members []jsonscan.Member, add [][2]string) edit {
	last := members[len(members)-1]
	sep := ","
	if n := len(members); n >= 2 {
		sep = string(data[members[n-2].ValEnd:last.KeyStart])
	}
	colon := string(data[last.KeyEnd:last.ValStart])
	var ins string
	for _, kv := range add {
		ins += sep + `"` + kv[0] + `"` + colon + `"` + kv[1] + `"`
	}
	return edit{at: last.ValEnd, ins: ins}
}
