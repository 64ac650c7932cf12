package inject

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/mapback/mapback/internal/debugid"
	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/sourcemap"
)

// Status is what happened to a bundle.
type Status string

const (
	StatusModified        Status = "modified"         // snippet and comment added (map edited if any)
	StatusRepaired        Status = "repaired"         // bundle already injected; its map got the ID
	StatusAlreadyInjected Status = "already-injected" // nothing to do
	StatusSkipped         Status = "skipped"          // deliberately left alone (reason says why)
	StatusFailed          Status = "failed"           // an error; the files are untouched
)

// mapInput is the map paired with a bundle: a file's bytes or the decoded
// bytes of an inline data: URL.
type mapInput struct {
	data   []byte
	inline bool
	load   sourcemap.Loader // reads the maps an index map's "url" sections name
}

// outcome is the plan for one bundle: new bytes to write and what to report.
type outcome struct {
	id      debugid.ID
	chunkID string // PostHog's, when that backend is on
	status  Status
	layout  Layout
	newJS   []byte // nil: leave the bundle as it is
	newMap  []byte // nil: leave the map file as it is (inline maps travel in newJS)
	reason  string
	// warnings are the map's problems injection leaves as they are.
	warnings []string
}

// planBundle decides what injection does to js and its map (nil when the
// bundle has none). It writes nothing, and reads only the maps an index
// map's "url" sections name.
func planBundle(ctx context.Context, js []byte, m *mapInput, be Backends) (outcome, error) {
	var sm *sourceMap
	if m != nil {
		var err error
		if sm, err = parseMap(ctx, m.data, m.load); err != nil {
			return outcome{}, err
		}
	}
	o, err := plan(js, m, sm, be)
	if sm != nil {
		o.warnings = append(sm.warnings, o.warnings...)
	}
	return o, err
}

// plan is planBundle once the map (sm, nil when none) is read: Sentry's
// injection first, then PostHog's on top of it (posthog.go), then the map
// put where it belongs.
func plan(js []byte, m *mapInput, sm *sourceMap, be Backends) (outcome, error) {
	var (
		o      outcome
		newMap []byte
		err    error
	)
	if be.Sentry {
		if o, newMap, err = planSentry(js, m, sm); err != nil {
			return outcome{}, err
		}
	}
	if be.PostHog && o.status != StatusSkipped {
		if o, newMap, err = planPostHog(js, m, sm, o, newMap, be.Sentry); err != nil {
			return outcome{}, err
		}
	}
	if newMap == nil {
		return o, nil
	}
	return o.withMap(js, m, newMap)
}

// planSentry plans Sentry's injection; newMap is the edited map (nil when
// the map does not change).
func planSentry(js []byte, m *mapInput, sm *sourceMap) (o outcome, newMap []byte, err error) {
	if id, ok := debugid.FindComment(js); ok {
		return planInjected(m, sm, id, js)
	}
	if debugid.HasPluginSnippet(js) {
		return outcome{status: StatusSkipped, reason: "has a Sentry bundler-plugin snippet but no //# debugId= comment; not injecting a second one"}, nil, nil
	}

	if sm == nil {
		id := debugid.FromJS(js)
		return outcome{id: id, status: StatusModified, layout: LayoutEnd, newJS: injectEnd(js, id)}, nil, nil
	}
	id := sm.id
	if !sm.hasID {
		id = debugid.FromPair(js, m.data)
	}
	o = outcome{id: id, status: StatusModified}
	var line, col int
	if sm.sections != nil {
		o.layout, o.newJS = LayoutIndex, injectIndex(js, id)
	} else {
		var at int
		o.newJS, at = injectTop(js, id)
		o.layout = LayoutTop
		line, col = position(js, at)
	}
	if newMap, err = editMap(sm, o.layout, line, col, id, m.inline); err != nil {
		return outcome{}, nil, err
	}
	return o, newMap, nil
}

// withMap puts the edited map where it belongs: its own file, or back into
// the data: URL of the bundle (o.newJS when the bundle changes, else js).
func (o outcome) withMap(js []byte, m *mapInput, newMap []byte) (outcome, error) {
	if !m.inline {
		o.newMap = newMap
		return o, nil
	}
	if o.newJS != nil {
		js = o.newJS
	}
	var err error
	if o.newJS, err = replaceInlineMap(js, newMap); err != nil {
		return outcome{}, err
	}
	return o, nil
}

// planInjected handles a bundle that already has a //# debugId= comment
// (docs/internals/inject.md §7); newMap is the repaired map, nil when it does not change.
func planInjected(m *mapInput, sm *sourceMap, id debugid.ID, js []byte) (outcome, []byte, error) {
	o := outcome{id: id, status: StatusAlreadyInjected}
	switch {
	case sm == nil:
		return o, nil, nil
	case sm.hasID && sm.id == id:
		if !m.inline && sm.hasCamel != sm.hasSnake {
			// Injected by a tool that writes one key: add the other, nothing
			// else moves.
			newMap, err := editMap(sm, LayoutEnd, 0, 0, id, false)
			if err != nil {
				return outcome{}, nil, err
			}
			o.status, o.reason = StatusRepaired, "added the missing debug ID key to the map"
			return o, newMap, nil
		}
		return o, nil, nil
	case sm.hasID:
		return outcome{}, nil, fmt.Errorf("bundle has debug ID %s but its map has %s: the bundle was rebuilt or the files were mixed up; rebuild and inject again", id, sm.id)
	}

	// The map lacks the ID. Repair only when the injection can be undone
	// exactly and the recomputed ID proves the map is the one the bundle was
	// injected with; otherwise the map may already be shifted, or belong to
	// another build.
	orig, layout, at, ok := uninject(withoutChunkID(js), id)
	if ok {
		var want debugid.ID
		if layout == LayoutEnd {
			want = debugid.FromJS(orig)
		} else {
			want = debugid.FromPair(orig, m.data)
		}
		if want == id {
			line, col := 0, 0
			if layout == LayoutTop {
				line, col = position(orig, at)
			}
			newMap, err := editMap(sm, layout, line, col, id, m.inline)
			if err != nil {
				return outcome{}, nil, err
			}
			o.status, o.layout = StatusRepaired, layout
			o.reason = "the bundle was injected but its map lacked the debug ID; added it"
			return o, newMap, nil
		}
	}
	return outcome{}, nil, errors.New("bundle is already injected but its map has no debug ID, and mapback cannot prove the map is unshifted; rebuild and inject again")
}

// uninject removes what injection added, giving the bundle as it was before,
// the layout used and (for LayoutTop) where the snippet went.
func uninject(js []byte, id debugid.ID) (orig []byte, layout Layout, at int, ok bool) {
	comment := []byte("\n" + debugid.Comment(id) + "\n")
	snippet := debugid.Snippet(id)

	// End layout: body, snippet line, [moved sourceMappingURL line], comment.
	endTail := []byte(snippet + "\n")
	if i := bytes.LastIndex(js, endTail); i >= 0 {
		rest := js[i+len(endTail):]
		if bytes.HasSuffix(rest, []byte(debugid.Comment(id)+"\n")) {
			urlLine := bytes.TrimSuffix(rest, []byte(debugid.Comment(id)+"\n"))
			body := js[:i]
			for _, c := range endCandidates(body, urlLine) {
				if debugid.FromJS(c) == id {
					return c, LayoutEnd, 0, true
				}
			}
		}
	}
	if !bytes.HasSuffix(js, comment) {
		return nil, "", 0, false
	}
	body := js[:len(js)-len(comment)]

	// Top layout: "\n" + snippet + "\n" at the prelude end.
	if i := bytes.Index(body, []byte("\n"+snippet+"\n")); i >= 0 {
		c := append(append([]byte{}, body[:i]...), body[i+len(snippet)+2:]...)
		if preludeEnd(c) == i {
			return c, LayoutTop, i, true
		}
	}
	// Index layout: [hashbang] [directive;] snippet "\n" original.
	if i := bytes.Index(body, []byte(snippet+"\n")); i >= 0 {
		head := body[:i]
		rest := body[i+len(snippet)+1:]
		if d := leadingDirective(rest); d != nil && bytes.HasSuffix(head, append(append([]byte{}, d...), ';')) {
			head = head[:len(head)-len(d)-1]
		}
		return append(append([]byte{}, head...), rest...), LayoutIndex, 0, true
	}
	return nil, "", 0, false
}

// endCandidates lists the originals an end-layout injection can have come
// from: the moved sourceMappingURL line was the last line, with or without
// a final line break, and a missing final line break was added.
func endCandidates(body, urlLine []byte) [][]byte {
	var out [][]byte
	if len(urlLine) > 0 {
		line := bytes.TrimSuffix(urlLine, []byte("\n"))
		out = append(out, concat(body, line, []byte("\n")), concat(body, line))
		if trimmed, ok := bytes.CutSuffix(body, []byte("\n")); ok {
			out = append(out, concat(trimmed, []byte("\n"), line, []byte("\n")))
		}
		return out
	}
	out = append(out, body)
	if trimmed, ok := bytes.CutSuffix(body, []byte("\n")); ok {
		out = append(out, trimmed)
	}
	return out
}

func concat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// replaceInlineMap re-encodes newMap into the last sourceMappingURL data:
// URL of js (standard base64 with padding, as the reference client writes).
func replaceInlineMap(js, newMap []byte) ([]byte, error) {
	value, lineStart, lineEnd, ok := dist.SourceMappingURL(js)
	if !ok || !strings.HasPrefix(value, "data:") {
		return nil, errors.New("inline source map comment not found after injection")
	}
	rel := bytes.Index(js[lineStart:lineEnd], []byte(value))
	comma := strings.IndexByte(value, ',')
	if rel < 0 || comma < 0 {
		return nil, errors.New("malformed data: URL")
	}
	header := value[:comma]
	if !strings.HasSuffix(header, ";base64") {
		header += ";base64"
	}
	start := lineStart + rel
	var out bytes.Buffer
	out.Grow(len(js) + len(newMap)/3)
	out.Write(js[:start])
	out.WriteString(header + ",")
	out.WriteString(base64.StdEncoding.EncodeToString(newMap))
	out.Write(js[start+len(value):])
	return out.Bytes(), nil
}
