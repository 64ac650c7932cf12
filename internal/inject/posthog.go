package inject

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/mapback/mapback/internal/debugid"
	"github.com/mapback/mapback/internal/jsonscan"
	"github.com/mapback/mapback/internal/posthog"
	"github.com/mapback/mapback/internal/sourcemap"
)

// Backends selects the error trackers inject writes for; with neither set,
// Sentry alone (what inject always did).
type Backends struct {
	Sentry  bool
	PostHog bool
}

func (b Backends) orDefault() Backends {
	if !b.Sentry && !b.PostHog {
		b.Sentry = true
	}
	return b
}

// PostHog's injection (docs/internals/posthog.md) comes on top of Sentry's,
// when both are on, with Sentry's debug ID as the chunk ID (one ID serves
// both):
//
//   - the runtime snippet, without a line break, at the start of the file
//     as PostHog's CLI puts it, except after a hashbang line and a directive
//     prologue ("use strict"), which code before them would break; with
//     Sentry's snippet in the file, at the start of its line, which maps to
//     nothing;
//   - "\n//# chunkId=<id>" at the very end;
//   - in the map, the generated columns of the snippet's line moved right by
//     its length (only the first segment at or after it: columns are
//     deltas), and "chunk_id" added; edited as text, as for Sentry.
//
// The chunk ID is Sentry's debug ID when Sentry is on, else the bundle's
// own debug ID (its //# debugId= comment, else its map's), else PostHog's
// content-derived UUIDv5 of the bundle as read. A bundle with a line
// starting "//# chunkId=" is already injected. PostHog resolves frames only
// through a map, so a bundle without one gets no chunk ID.

// planPostHog adds PostHog's injection to o (Sentry's plan, or the zero
// outcome with Sentry off); newMap is the map as Sentry left it (nil: the
// map as read).
func planPostHog(js []byte, m *mapInput, sm *sourceMap, o outcome, newMap []byte, sentry bool) (outcome, []byte, error) {
	cur := js
	if o.newJS != nil {
		cur = o.newJS
	}
	mapData := newMap
	if mapData == nil && sm != nil {
		mapData = sm.data
	}
	if sm == nil {
		if !sentry {
			return outcome{status: StatusSkipped, reason: "no source map: PostHog resolves frames only through one"}, nil, nil
		}
		o.warnings = append(o.warnings, "no source map, so no PostHog chunk ID (PostHog resolves frames only through a map)")
		return o, newMap, nil
	}
	members, err := scanMembers(mapData)
	if err != nil {
		return outcome{}, nil, err
	}
	mapChunk, hasMapChunk := stringMember(mapData, members, "chunk_id", "chunkId")

	if id, ok := posthog.FindChunkID(cur); ok {
		o.chunkID = id
		switch {
		case hasMapChunk && mapChunk != id:
			return outcome{}, nil, fmt.Errorf("bundle has chunk ID %s but its map has %s: the bundle was rebuilt or the files were mixed up; rebuild and inject again", id, mapChunk)
		case !hasMapChunk:
			o.warnings = append(o.warnings, "the bundle has a PostHog chunk ID but its map has no chunk_id; PostHog's upload reads the bundle's, but rebuilding and injecting again is safer")
		}
		if sentry && !o.id.IsZero() && id != o.id.String() {
			o.warnings = append(o.warnings, fmt.Sprintf("PostHog chunk ID %s differs from the Sentry debug ID %s (injected by different tools)", id, o.id))
		}
		if !sentry {
			o.status = StatusAlreadyInjected
		}
		return o, newMap, nil
	}
	if hasMapChunk {
		return outcome{}, nil, fmt.Errorf("the map already has chunk_id %s but the bundle has no //# chunkId= comment: the map belongs to another bundle or build; rebuild and inject again", mapChunk)
	}

	id := chooseChunkID(js, cur, sm, o, sentry)
	snippet := posthog.Snippet(id)
	at, onSentryLine := postHogSpot(cur)
	var out bytes.Buffer
	out.Grow(len(cur) + len(snippet) + len(posthog.Comment(id)))
	out.Write(cur[:at])
	out.WriteString(snippet)
	out.Write(cur[at:])
	out.WriteString(posthog.Comment(id))

	var edits []edit
	if !onSentryLine {
		line, col := position(cur, at)
		e, err := shiftColumns(mapData, members, line, col, len(snippet))
		if err != nil {
			return outcome{}, nil, err
		}
		edits = append(edits, e...)
	}
	edits = append(edits, appendMembers(mapData, members, [][2]string{{"chunk_id", id}}))
	o.newJS, o.chunkID = out.Bytes(), id
	if o.status == StatusAlreadyInjected || o.status == "" {
		o.status = StatusModified
	}
	return o, applyEdits(mapData, edits), nil
}

// chooseChunkID picks the chunk ID (see above): js is the bundle as read,
// cur as Sentry left it.
func chooseChunkID(js, cur []byte, sm *sourceMap, o outcome, sentry bool) string {
	if sentry && !o.id.IsZero() {
		return o.id.String()
	}
	if id, ok := debugid.FindComment(cur); ok {
		return id.String()
	}
	if sm.hasID {
		return sm.id.String()
	}
	return posthog.ChunkIDFromJS(js).String()
}

// postHogSpot is where the snippet goes in js: the start of Sentry's
// snippet line when there is one (onSentryLine: that line maps nothing, so
// the map's columns stay), else the start of the file after a hashbang line
// and a directive prologue.
func postHogSpot(js []byte) (at int, onSentryLine bool) {
	if id, ok := debugid.FindComment(js); ok {
		if i := debugid.SnippetIndex(js, id); i >= 0 && (i == 0 || js[i-1] == '\n') {
			return i, true
		}
	}
	head := headEnd(js)
	i := skipSpaceAndComments(js, head)
	if i < len(js) && (js[i] == '"' || js[i] == '\'') {
		return preludeEnd(js), false
	}
	return head, false
}

// withoutChunkID removes PostHog's injection from js when it is exactly as
// planPostHog writes it, else returns js as it is.
func withoutChunkID(js []byte) []byte {
	id, ok := posthog.FindChunkID(js)
	if !ok {
		return js
	}
	body, ok := bytes.CutSuffix(js, []byte(posthog.Comment(id)))
	if !ok {
		return js
	}
	snippet := []byte(posthog.Snippet(id))
	i := bytes.Index(body, snippet)
	if i < 0 {
		return js
	}
	return append(append([]byte{}, body[:i]...), body[i+len(snippet):]...)
}

// scanMembers locates a map's top-level members.
func scanMembers(data []byte) ([]jsonscan.Member, error) {
	members, _, _, err := jsonscan.Document(data)
	if err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if len(members) == 0 {
		return nil, errors.New("the map is an empty object")
	}
	return members, nil
}

// stringMember returns the first of keys that is a string member.
func stringMember(data []byte, members []jsonscan.Member, keys ...string) (string, bool) {
	for _, k := range keys {
		if mb := find(members, k); mb != nil && data[mb.ValStart] == '"' {
			v := string(data[mb.ValStart+1 : mb.ValEnd-1])
			if !strings.ContainsRune(v, '\\') {
				return v, true
			}
		}
	}
	return "", false
}

// shiftColumns moves the generated columns at or after (line, col) right by
// n UTF-16 units: in a regular map, the first segment of that line starting
// at or after col (columns are deltas, so the others follow); in an index
// map, the sections starting on that line at or after col.
func shiftColumns(data []byte, members []jsonscan.Member, line, col, n int) ([]edit, error) {
	if sec := find(members, "sections"); sec != nil {
		return shiftSectionColumns(data, *sec, line, col, n)
	}
	mb := find(members, "mappings")
	if mb == nil || data[mb.ValStart] != '"' {
		return nil, errors.New(`the map has no "mappings" string`)
	}
	start, s, err := mappingsText(data, *mb)
	if err != nil {
		return nil, err
	}
	gs, ge, ok := lineGroup(s, line)
	if !ok {
		return nil, nil // nothing mapped on or after that line
	}
	for seg, err := range lineSegments(s, gs, ge) {
		if err != nil {
			return nil, err
		}
		if seg.column >= col {
			return []edit{{at: start + seg.at, del: seg.size, ins: string(sourcemap.AppendVLQ(nil, seg.delta+int64(n)))}}, nil
		}
	}
	return nil, nil
}

// shiftSectionColumns moves the sections of an index map that start on line
// at or after col right by n.
func shiftSectionColumns(data []byte, m jsonscan.Member, line, col, n int) ([]edit, error) {
	var edits []edit
	err := eachSectionOffset(data, m, func(i int, offset []jsonscan.Member) error {
		ln, cl := find(offset, "line"), find(offset, "column")
		if ln == nil || cl == nil {
			return fmt.Errorf("section %d offset lacks line or column", i)
		}
		l, lerr := atoiMember(data, ln)
		c, cerr := atoiMember(data, cl)
		if lerr != nil || cerr != nil {
			return fmt.Errorf("section %d offset is not two non-negative integers", i)
		}
		if l == line && c >= col {
			edits = append(edits, edit{at: cl.ValStart, del: cl.ValEnd - cl.ValStart, ins: fmt.Sprint(c + n)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return edits, nil
}
