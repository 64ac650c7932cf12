package resolve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/jsonscan"
	"github.com/mapback/mapback/internal/posthog"
)

// A PostHog event: an "$exception" whose properties hold "$exception_list",
// each exception with stacktrace.frames, outermost call first, each frame
// carrying the chunk_id of its bundle (docs/internals/posthog.md). Accepted
// as the event itself, its properties alone, an array of events, or a
// batch ({"batch": [...]}, as the SDK sends them). Frames resolve by chunk
// ID as Sentry's do by debug ID, and the document is written back with the
// frames rewritten in place: filename, function, lineno, colno, in_app,
// and the minified values under the frame's "mapback" member.

// StatusChunkIDMismatch: the frame's chunk ID is not the local bundle's.
const StatusChunkIDMismatch = "chunk_id_mismatch"

// isPostHogEvent reports whether the input holds PostHog exceptions.
func isPostHogEvent(data []byte) bool {
	t := bytes.TrimSpace(data)
	if len(t) == 0 || (t[0] != '{' && t[0] != '[') {
		return false
	}
	return bytes.Contains(t, []byte(`"$exception_list"`)) && json.Valid(t)
}

// runPostHogEvent resolves every exception frame of the document.
func (r *resolver) runPostHogEvent(ctx context.Context, data []byte, out io.Writer) (Summary, error) {
	p := &phRun{eventRun: eventRun{r: r, ctx: ctx}}
	doc, err := p.visit(json.RawMessage(bytes.TrimSpace(data)), 0)
	if err != nil {
		return Summary{}, err
	}
	return p.write(out, "posthog_event", json.RawMessage(doc))
}

type phRun struct {
	eventRun
	nExcept int // exceptions seen so far, numbering them for --json
}

// maxEventDepth bounds how deep the document is searched for events.
const maxEventDepth = 4

// visit rewrites the exceptions found in raw: an event (its properties), a
// properties object, an array of either, or a batch.
func (p *phRun) visit(raw json.RawMessage, depth int) (json.RawMessage, error) {
	if depth > maxEventDepth || len(raw) == 0 {
		return raw, nil
	}
	switch raw[0] {
	case '[':
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return nil, fmt.Errorf("read the event: %s", jsonscan.Explain(err, "the events"))
		}
		for i := range elems {
			v, err := p.visit(elems[i], depth+1)
			if err != nil {
				return nil, err
			}
			elems[i] = v
		}
		return mustJSON(elems), nil
	case '{':
	default:
		return raw, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, fmt.Errorf("read the event: %s", jsonscan.Explain(err, "the event"))
	}
	changed := false
	if list, ok := obj["$exception_list"]; ok {
		v, err := p.exceptions(list)
		if err != nil {
			return nil, err
		}
		obj["$exception_list"], changed = v, true
	}
	for _, key := range []string{"properties", "batch"} {
		if inner, ok := obj[key]; ok {
			v, err := p.visit(inner, depth+1)
			if err != nil {
				return nil, err
			}
			obj[key], changed = v, true
		}
	}
	if !changed {
		return raw, nil
	}
	return mustJSON(obj), nil
}

// exceptions resolves the frames of one $exception_list.
func (p *phRun) exceptions(list json.RawMessage) (json.RawMessage, error) {
	var excs []map[string]json.RawMessage
	if err := json.Unmarshal(list, &excs); err != nil {
		return nil, fmt.Errorf("read the event: %s", jsonscan.Explain(err, "$exception_list"))
	}
	for _, exc := range excs {
		k := p.nExcept
		p.nExcept++
		if err := p.exception(k, exc, p.r.resolveChunkFrame, rewritePostHogFrame); err != nil {
			return nil, err
		}
	}
	return mustJSON(excs), nil
}

// resolveChunkFrame finds the frame's map by chunk ID first, then by path;
// a local bundle of that path with another chunk ID is another build.
func (r *resolver) resolveChunkFrame(f eventFrame) resolved {
	sf := f.traceFrame()
	if f.ChunkID == "" || !sf.Resolvable || f.Lineno <= 0 || f.Colno <= 0 {
		return r.resolveFrame(sf)
	}
	if b := r.idx.byID(chunkIDKind, f.ChunkID); b != nil {
		res := r.lookupIn(sf, b)
		if res.foundBy != "" && res.foundBy != FoundByServer {
			res.foundBy = "chunk_id"
		}
		return res
	}
	serverWhy := ""
	if b, why := r.fromServerByChunkID(f.ChunkID, sf.File); b != nil {
		return r.lookupIn(sf, b)
	} else {
		serverWhy = why
	}
	return r.anotherBuild(sf, chunkIDKind, f.ChunkID, serverWhy)
}

// rewritePostHogFrame writes a resolved frame back: the original file,
// function, line and column, in_app, with --context the context lines, and
// the minified values under "mapback".
func rewritePostHogFrame(f eventFrame, res resolved, c *sourceContext) map[string]json.RawMessage {
	raw := f.raw
	raw["mapback"] = mustJSON(rewriteResolvedFrame(raw, res, res.name, c, "filename", "function", "lineno", "colno"))
	return raw
}

var chunkIDKind = idKind{
	name: "chunk ID", mismatch: StatusChunkIDMismatch, notInjected: "it is not injected for PostHog",
	ids: func(idx *Index) *bundleIDs { return &idx.chunkIDs },
}

// chunkIDOf reads a bundle's chunk ID: its //# chunkId= comment, else its
// map's chunk_id.
func chunkIDOf(src []byte, b *dist.Bundle) string {
	if id, ok := posthog.FindChunkID(src); ok {
		return id
	}
	if b.Map == nil || b.Map.Path == "" {
		return ""
	}
	data, err := readMap(b.Map.Path)
	if err != nil {
		return ""
	}
	members, _, _, err := jsonscan.Document(data)
	if err != nil {
		return ""
	}
	for _, m := range members {
		if (m.Key == "chunk_id" || m.Key == "chunkId") && data[m.ValStart] == '"' {
			return string(data[m.ValStart+1 : m.ValEnd-1])
		}
	}
	return ""
}
