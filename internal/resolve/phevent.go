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
	p := &phRun{r: r, ctx: ctx}
	doc, err := p.visit(json.RawMessage(bytes.TrimSpace(data)), 0)
	if err != nil {
		return Summary{}, err
	}
	p.sum.Warnings = mapWarnings(p.all)
	p.sum.Notes = notes(p.all, func(int) bool { return true })
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if r.opts.JSON {
		if p.report == nil {
			p.report = []jsonEventFrame{}
		}
		return p.sum, enc.Encode(jsonEventReport{Version: 1, Input: "posthog_event", Frames: p.report, Summary: summaryJSON(p.sum, p.all)})
	}
	return p.sum, enc.Encode(json.RawMessage(doc))
}

type phRun struct {
	r       *resolver
	ctx     context.Context
	sum     Summary
	all     []resolved
	report  []jsonEventFrame
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
	r := p.r
	for _, exc := range excs {
		k := p.nExcept
		p.nExcept++
		var st map[string]json.RawMessage
		if json.Unmarshal(exc["stacktrace"], &st) != nil {
			continue
		}
		var raws []map[string]json.RawMessage
		if json.Unmarshal(st["frames"], &raws) != nil {
			continue
		}
		frames := make([]eventFrame, len(raws))
		results := make([]resolved, len(raws))
		for i, raw := range raws {
			if err := p.ctx.Err(); err != nil {
				return nil, err
			}
			frames[i] = parseEventFrame(raw)
			_ = json.Unmarshal(raw["chunk_id"], &frames[i].ChunkID)
			results[i] = r.resolveChunkFrame(frames[i])
			p.sum.count(results[i])
		}
		r.nameScopes(results)
		p.all = append(p.all, results...)
		for i := range raws {
			var c *sourceContext
			if results[i].ok {
				var caller *resolved
				if i > 0 {
					caller = &results[i-1] // outermost first: the caller comes before
				}
				results[i].name, results[i].nameFrom = r.chooseName(results[i], caller)
				c, _ = r.contextFor(results[i], r.opts.Context)
				raws[i] = rewritePostHogFrame(frames[i], results[i], c)
			}
			if r.opts.JSON {
				p.report = append(p.report, jsonEventFrame{Exception: k, Index: i, jsonFrame: frameReport(frames[i].traceFrame(), results[i], c)})
			}
		}
		st["frames"] = mustJSON(raws)
		exc["stacktrace"] = mustJSON(st)
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
	if b := r.idx.byChunkID(f.ChunkID); b != nil {
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
	pb, res := r.locate(sf)
	if pb == nil {
		res.reason += "; and no bundle has the event's chunk ID " + f.ChunkID
		if serverWhy != "" {
			res.reason += "; " + serverWhy
		}
		return res
	}
	other := "no chunk ID (it is not injected for PostHog)"
	if got := r.idx.bundleChunkID(pb); got != "" {
		other = "chunk ID " + got
	}
	return resolved{status: StatusChunkIDMismatch, reason: fmt.Sprintf(
		"the event's frame of %s is from the build with chunk ID %s, and the local %s has %s: another build, whose positions would be wrong (pass --maps with the build that ran)",
		sf.File, f.ChunkID, pb.Path, other)}
}

// rewritePostHogFrame writes a resolved frame back: the original file,
// function, line and column, in_app, with --context the context lines, and
// the minified values under "mapback".
func rewritePostHogFrame(f eventFrame, res resolved, c *sourceContext) map[string]json.RawMessage {
	raw := f.raw
	raw["mapback"] = mustJSON(rewriteResolvedFrame(raw, res, res.name, c, "filename", "function", "lineno", "colno"))
	return raw
}

// byChunkID finds the local bundle with a PostHog chunk ID.
func (idx *Index) byChunkID(id string) *dist.Bundle {
	idx.indexDebugIDs()
	if i, ok := idx.chunkIDs[id]; ok {
		return &idx.bundles[i]
	}
	return nil
}

// bundleChunkID is local bundle b's chunk ID ("" when it has none).
func (idx *Index) bundleChunkID(b *dist.Bundle) string {
	idx.indexDebugIDs()
	return idx.chunkOf[b.Path]
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
