package resolve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/mapback/mapback/internal/debugid"
	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/jsonscan"
	"github.com/mapback/mapback/internal/jsscope"
	"github.com/mapback/mapback/internal/sourcemap"
	"github.com/mapback/mapback/internal/stacktrace"
)

// A Sentry event (docs/internals/resolve.md §10, docs/internals/upload-protocol.md §12): exception
// frames, oldest call first, and debug_meta.images tying each minified file
// (code_file) to a debug ID. Only the fields resolve reads or writes are
// typed; everything else is kept as it was.
type eventFrame struct {
	raw      map[string]json.RawMessage
	Filename string
	AbsPath  string
	Function string
	Lineno   int
	Colno    int
	DebugID  string // the frame's own debug_id, normalised; "" when none
	ChunkID  string // a PostHog frame's chunk_id; "" when none
}

// isEvent reports whether the input is a Sentry event rather than trace text.
func isEvent(data []byte) bool {
	t := bytes.TrimSpace(data)
	if len(t) == 0 || t[0] != '{' {
		return false
	}
	var probe struct {
		Exception json.RawMessage `json:"exception"`
	}
	return json.Unmarshal(t, &probe) == nil && len(probe.Exception) > 0
}

// runEvent resolves every exception frame of an event and writes the event
// back with resolved frames rewritten: function, filename, abs_path, lineno,
// colno; the minified values and how the map was found go to
// data.mapback.
func (r *resolver) runEvent(ctx context.Context, data []byte, out io.Writer) (Summary, error) {
	var ev map[string]json.RawMessage
	if err := json.Unmarshal(data, &ev); err != nil {
		return Summary{}, fmt.Errorf("read the event: %s", jsonscan.Explain(err, "the event"))
	}
	images := debugImages(ev["debug_meta"])
	var exc struct {
		Values []map[string]json.RawMessage `json:"values"`
	}
	if err := json.Unmarshal(ev["exception"], &exc); err != nil {
		return Summary{}, fmt.Errorf("read the event: %s", jsonscan.Explain(err, "exception"))
	}
	e := &eventRun{r: r, ctx: ctx}
	resolve := func(f eventFrame) resolved { return r.resolveEventFrame(f, images) }
	for k, v := range exc.Values {
		if err := e.exception(k, v, resolve, rewriteEventFrame); err != nil {
			return e.sum, err
		}
	}
	ev["exception"] = mustJSON(exc)
	return e.write(out, "sentry_event", ev)
}

// eventRun is what resolving the exceptions of an event gathers, Sentry's or
// PostHog's: the summary, every frame's result and, with --json, the report.
type eventRun struct {
	r      *resolver
	ctx    context.Context
	sum    Summary
	all    []resolved
	report []jsonEventFrame
}

// exception resolves the frames of exception k's stacktrace and writes the
// resolved ones back into exc: resolve finds a frame's map, rewrite writes
// the frame back. An exception without a readable stacktrace is left as it
// is.
func (e *eventRun) exception(k int, exc map[string]json.RawMessage, resolve func(eventFrame) resolved,
	rewrite func(eventFrame, resolved, *sourceContext) map[string]json.RawMessage) error {
	r := e.r
	var st map[string]json.RawMessage
	if json.Unmarshal(exc["stacktrace"], &st) != nil {
		return nil
	}
	var raws []map[string]json.RawMessage
	if json.Unmarshal(st["frames"], &raws) != nil {
		return nil
	}
	frames := make([]eventFrame, len(raws))
	results := make([]resolved, len(raws))
	for i, raw := range raws {
		if err := e.ctx.Err(); err != nil {
			return err
		}
		frames[i] = parseEventFrame(raw)
		results[i] = resolve(frames[i])
		e.sum.count(results[i])
	}
	r.nameScopes(results)
	e.all = append(e.all, results...)
	for i := range raws {
		var c *sourceContext
		if results[i].ok {
			// Oldest call first (Sentry's frames and PostHog's alike): the
			// caller of frame i is frame i-1.
			var caller *resolved
			if i > 0 {
				caller = &results[i-1]
			}
			results[i].name, results[i].nameFrom = r.chooseName(results[i], caller)
			c, _ = r.contextFor(results[i], r.opts.Context)
			raws[i] = rewrite(frames[i], results[i], c)
		}
		if r.opts.JSON {
			e.report = append(e.report, jsonEventFrame{Exception: k, Index: i, jsonFrame: frameReport(frames[i].traceFrame(), results[i], c)})
		}
	}
	st["frames"] = mustJSON(raws)
	exc["stacktrace"] = mustJSON(st)
	return nil
}

// write finishes the run: the summary's warnings and notes, and the event
// document written back or, with --json, the report of its frames (input
// names the kind of event).
func (e *eventRun) write(out io.Writer, input string, doc any) (Summary, error) {
	e.sum.Warnings = mapWarnings(e.all)
	e.sum.Notes = notes(e.all, func(int) bool { return true })
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if e.r.opts.JSON {
		if e.report == nil {
			e.report = []jsonEventFrame{}
		}
		return e.sum, enc.Encode(jsonEventReport{Version: 1, Input: input, Frames: e.report, Summary: summaryJSON(e.sum, e.all)})
	}
	return e.sum, enc.Encode(doc)
}

// parseEventFrame reads the fields resolve uses. Each is optional: one that
// is absent or of another type stays empty, and the frame is then reported
// as it is (no location, no column).
func parseEventFrame(raw map[string]json.RawMessage) eventFrame {
	f := eventFrame{raw: raw}
	_ = json.Unmarshal(raw["filename"], &f.Filename)
	_ = json.Unmarshal(raw["abs_path"], &f.AbsPath)
	_ = json.Unmarshal(raw["function"], &f.Function)
	_ = json.Unmarshal(raw["lineno"], &f.Lineno)
	_ = json.Unmarshal(raw["colno"], &f.Colno)
	_ = json.Unmarshal(raw["chunk_id"], &f.ChunkID)
	var id string
	if json.Unmarshal(raw["debug_id"], &id) == nil {
		if parsed, err := debugid.Parse(id); err == nil {
			f.DebugID = parsed.String()
		}
	}
	return f
}

// debugImages maps each code_file of debug_meta.images to its debug ID.
func debugImages(raw json.RawMessage) map[string]string {
	var meta struct {
		Images []struct {
			Type     string `json:"type"`
			CodeFile string `json:"code_file"`
			DebugID  string `json:"debug_id"`
		} `json:"images"`
	}
	out := map[string]string{}
	if json.Unmarshal(raw, &meta) != nil {
		return out
	}
	for _, img := range meta.Images {
		if id, err := debugid.Parse(img.DebugID); err == nil && img.CodeFile != "" {
			out[img.CodeFile] = id.String()
		}
	}
	return out
}

// traceFrame is the event frame as resolve sees a frame of a trace: its
// abs_path (else filename), line and column.
func (f eventFrame) traceFrame() *stacktrace.Frame {
	file := f.AbsPath
	if file == "" {
		file = f.Filename
	}
	return stacktrace.NewFrame("event", f.Function, file, f.Lineno, f.Colno)
}

// resolveEventFrame finds the frame's map by debug ID first, then by path
// like a trace frame.
func (r *resolver) resolveEventFrame(f eventFrame, images map[string]string) resolved {
	sf := f.traceFrame()
	id := f.DebugID // the frame's own, else the image of its file
	if id == "" {
		id = images[f.AbsPath]
	}
	if id == "" {
		id = images[f.Filename]
	}
	if id == "" || !sf.Resolvable || f.Lineno <= 0 || f.Colno <= 0 {
		return r.resolveFrame(sf)
	}
	b := r.idx.byID(debugIDKind, id)
	if b == nil {
		b = r.idx.artifactByDebugID(id)
	}
	if b != nil {
		res := r.lookupIn(sf, b)
		if res.foundBy != "" {
			res.foundBy = "debug_id"
		}
		return res
	}
	serverWhy := ""
	if b, serverWhy = r.fromServerByDebugID(id); b != nil {
		res := r.lookupIn(sf, b)
		if res.foundBy != "" {
			res.foundBy = FoundByServer
		}
		return res
	}
	return r.anotherBuild(sf, debugIDKind, id, serverWhy)
}

// anotherBuild answers a frame whose event names the build that ran by an ID
// of kind k that no bundle at hand has (serverWhy: what the server said). A
// local bundle of the frame's path with another ID (or none) is another
// build, whose positions would be answered confidently and wrongly: the
// frame is a mismatch. Without such a bundle, it is what the path lookup
// says, and why the ID found nothing.
func (r *resolver) anotherBuild(sf *stacktrace.Frame, k idKind, id, serverWhy string) resolved {
	pb, res := r.locate(sf)
	if pb == nil {
		res.reason += "; and no bundle has the event's " + k.name + " " + id
		if serverWhy != "" {
			res.reason += "; " + serverWhy
		}
		return res
	}
	other := "no " + k.name + " (" + k.notInjected + ")"
	if got := r.idx.bundleID(k, pb); got != "" {
		other = k.name + " " + got
	}
	return resolved{status: k.mismatch, reason: fmt.Sprintf(
		"the event's frame of %s is from the build with %s %s, and the local %s has %s: another build, whose positions would be wrong (pass --maps with the build that ran%s)",
		sf.File, k.name, id, pb.Path, other, k.orPass)}
}

// rewriteEventFrame writes a resolved frame back into the event: function,
// filename (as displayed), abs_path (the original's full path or URL),
// lineno, colno, in_app, and with --context Sentry's pre_context,
// context_line and post_context; the minified values go to data.mapback.
func rewriteEventFrame(f eventFrame, res resolved, c *sourceContext) map[string]json.RawMessage {
	raw := f.raw
	mb := rewriteResolvedFrame(raw, res, res.name, c, "abs_path", "filename", "function", "lineno", "colno")
	raw["abs_path"] = mustJSON(res.absPath())
	raw["data"] = mergeMapbackData(raw["data"], mb)
	return raw
}

// rewriteResolvedFrame writes what Sentry's and PostHog's frames share: the
// function (when named), filename, lineno, colno, in_app and, with --context,
// pre_context, context_line and post_context. It returns the record mapback
// keeps beside them: the minified values of keys (fields the frame lacked stay
// absent), the map and how it was found, and the map chain.
func rewriteResolvedFrame(raw map[string]json.RawMessage, res resolved, name string, c *sourceContext, keys ...string) map[string]any {
	minified := map[string]json.RawMessage{}
	for _, k := range keys {
		if v, ok := raw[k]; ok {
			minified[k] = v
		}
	}
	mb := map[string]any{"minified": minified, "map": res.mapPath, "found_by": res.foundBy}
	if len(res.chain) > 0 {
		mb["chain"] = res.chain
	}
	if name != "" {
		raw["function"] = mustJSON(name)
	}
	raw["filename"] = mustJSON(res.file)
	raw["lineno"] = mustJSON(res.mapping.Line + 1)
	raw["colno"] = mustJSON(res.mapping.Column + 1)
	raw["in_app"] = mustJSON(res.inApp())
	if c != nil {
		raw["pre_context"] = mustJSON(append([]string{}, c.Pre...))
		raw["context_line"] = mustJSON(c.Line)
		raw["post_context"] = mustJSON(append([]string{}, c.Post...))
	}
	return mb
}

func mergeMapbackData(data json.RawMessage, mb map[string]any) json.RawMessage {
	m := map[string]json.RawMessage{}
	_ = json.Unmarshal(data, &m) // no data, or not an object: start a new one
	m["mapback"] = mustJSON(mb)
	return mustJSON(m)
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only values built here, which always marshal
	}
	return b
}

// idKind is one way an event names the build that ran: Sentry's debug IDs
// (debugIDKind), PostHog's chunk IDs (chunkIDKind).
type idKind struct {
	name        string                  // "debug ID"
	mismatch    string                  // the status of a frame whose local bundle has another
	notInjected string                  // why a local bundle may have none
	orPass      string                  // what else to pass, after --maps, to resolve a mismatch
	ids         func(*Index) *bundleIDs // the local bundles' IDs of this kind
}

var debugIDKind = idKind{
	name: "debug ID", mismatch: StatusDebugIDMismatch, notInjected: "it is not injected",
	orPass: ", or its artifact bundle with --bundle",
	ids:    func(idx *Index) *bundleIDs { return &idx.debugIDs },
}

// bundleIDs ties the local bundles to their IDs of one kind, both ways.
type bundleIDs struct {
	bundle map[string]int    // ID → bundle index
	of     map[string]string // bundle path → its ID
}

func newBundleIDs() bundleIDs {
	return bundleIDs{bundle: map[string]int{}, of: map[string]string{}}
}

// add records that bundle i, at path, has ID id.
func (t bundleIDs) add(id string, i int, path string) {
	t.bundle[id], t.of[path] = i, id
}

// byID finds the local bundle with ID id of kind k: its //# debugId= (or
// chunkId=) comment, else its map's. The IDs are read on first use: only
// events need them.
func (idx *Index) byID(k idKind, id string) *dist.Bundle {
	idx.indexIDs()
	if i, ok := k.ids(idx).bundle[id]; ok {
		return &idx.bundles[i]
	}
	return nil
}

// bundleID is local bundle b's ID of kind k ("" when it has none).
func (idx *Index) bundleID(k idKind, b *dist.Bundle) string {
	idx.indexIDs()
	return k.ids(idx).of[b.Path]
}

// indexIDs reads every local bundle's debug ID and chunk ID, once.
func (idx *Index) indexIDs() {
	idx.debugOnce.Do(func() {
		idx.debugIDs, idx.chunkIDs = newBundleIDs(), newBundleIDs()
		for i := range idx.bundles {
			b := &idx.bundles[i]
			id := ""
			if src, err := os.ReadFile(b.Path); err == nil {
				if got, ok := debugid.FindComment(src); ok {
					id = got.String()
				}
				if chunk := chunkIDOf(src, b); chunk != "" {
					idx.chunkIDs.add(chunk, i, b.Path)
				}
			}
			if id == "" && b.Map != nil && b.Map.Path != "" {
				if data, err := readMap(b.Map.Path); err == nil {
					if m, err := sourcemap.Parse(data); err == nil && m.DebugID() != "" {
						if got, err := debugid.Parse(m.DebugID()); err == nil {
							id = got.String()
						}
					}
				}
			}
			if id != "" {
				idx.debugIDs.add(id, i, b.Path)
			}
		}
	})
}

// nameScopes works out the scope names of the resolved frames, parsing each
// bundle once for the positions of all its frames.
func (r *resolver) nameScopes(results []resolved) {
	if r.opts.Names == NamesMinified {
		return
	}
	at := map[string][]jsscope.Pos{}
	for _, res := range results {
		if res.ok && res.bundle != nil && res.bundle.Path != "" {
			at[res.bundle.Path] = append(at[res.bundle.Path], jsscope.Pos{Line: res.genLine, Col: res.genColumn})
		}
	}
	for p, positions := range at {
		at[p] = uniquePositions(positions)
	}
	var named []*resolved
	for i := range results {
		if res := &results[i]; res.ok {
			var pos []jsscope.Pos
			if res.bundle != nil {
				pos = at[res.bundle.Path]
			}
			res.scoped, res.scopedComplete = r.scopeName(*res, pos)
			res.scopedSet = true
			r.checkBuild(res, pos)
			named = append(named, res)
		}
	}
	r.nameOriginals(named)
}
