// Package resolve turns minified stack traces back into original files,
// lines, columns and function names, offline, from the bundles and maps on
// disk. Every line it cannot map is written back exactly as it was.
package resolve

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mapback/mapback/internal/artifactbundle"
	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/jsscope"
	"github.com/mapback/mapback/internal/mmapfile"
	"github.com/mapback/mapback/internal/readcap"
	"github.com/mapback/mapback/internal/sourcemap"
	"github.com/mapback/mapback/internal/stacktrace"
)

// Names says how a resolved frame's function is named.
type Names string

const (
	// NamesScope: the original name of the function that encloses the
	// position in the minified bundle (scope analysis), else NamesCallsite.
	NamesScope Names = "scope"
	// NamesCallsite: the name the caller's call site carries in the map (the
	// callee named at the position of the next outer frame), else the
	// minified name.
	NamesCallsite Names = "callsite"
	// NamesMinified keeps the function name from the trace.
	NamesMinified Names = "minified"
)

// Options configure a run.
type Options struct {
	Maps    []string // directories (or files) holding bundles and maps; default "."
	Root    string   // original paths are shown relative to it when under it; default: the working directory
	Names   Names
	JSON    bool // write the JSON report (report.go) instead of the trace
	Context int  // lines of original code shown around each in-app frame
	// Forced pairs a frame URL with a map file (--map URL=FILE), ahead of
	// any lookup: for maps kept apart from their bundles.
	Forced []Forced
	// Bundles are Sentry artifact bundles (--bundle) searched after the
	// files under Maps.
	Bundles []string
	// Dim, when set, marks the lines of resolved library frames in the text
	// output (the command sets it for a terminal: ANSI faint).
	Dim func(string) string
	// OneLevel stops at the first map: an original file that has a map of
	// its own (an earlier build stage) is not followed (chain.go).
	OneLevel bool
	// Server, when set, is asked for what an event's debug or chunk IDs
	// name when no local file has them (--server).
	Server Server
}

// Forced is one --map URL=FILE pairing.
type Forced struct{ URL, File string }

// Summary counts what happened to the frames.
type Summary struct {
	Frames, Resolved, Unresolved int
	// Candidates are the frames that could have resolved: all but native
	// code and runtime internals (status not_resolvable).
	Candidates int
	// Notes explain the candidates that did not resolve, one line per
	// cause, with what to do (summary.go).
	Notes []string
	// Warnings are the problems of the maps used that resolve worked
	// around, one line each, starting with the map's path: the command
	// prints them on stderr, --json in its summary.
	Warnings []string
}

// Run reads a trace from in and writes it to out with every frame it can
// map rewritten.
func Run(ctx context.Context, opts Options, in io.Reader, out io.Writer) (Summary, error) {
	data, err := readcap.Reader(in, readcap.Input, "the input")
	if err != nil {
		return Summary{}, fmt.Errorf("read the trace: %w", err)
	}
	idx, err := NewIndex(ctx, opts.Maps)
	if err != nil {
		return Summary{}, err
	}
	abandoned := false
	defer func() {
		if !abandoned {
			idx.close() // unmaps the files still mapped, after the output is written
		}
	}()
	budget := artifactbundle.NewBudget(artifactBudget)
	idx.budget = budget
	for _, p := range opts.Bundles {
		ab, err := artifactbundle.Open(ctx, p)
		if err != nil {
			return Summary{}, err
		}
		ab.SetBudget(budget)
		defer func() { _ = ab.Close() }() // opened for reading only
		idx.artifacts = append(idx.artifacts, namedBundle{path: p, b: ab})
	}
	fromServer := len(idx.artifacts)
	defer func() { idx.closeArtifacts(fromServer) }()
	r := &resolver{ctx: ctx, idx: idx, opts: opts}
	if r.opts.Root == "" {
		r.opts.Root = "."
	}
	if r.opts.Root, err = filepath.Abs(r.opts.Root); err != nil {
		return Summary{}, err
	}
	// The work runs apart so that Ctrl-C ends the run at once, even in the
	// middle of parsing a large bundle for scope names (a parse cannot be
	// interrupted): the output is written only when the work is complete,
	// and an interrupted run writes none. The abandoned work still reads the
	// mapped files, so they stay mapped: the process is about to exit.
	type outcome struct {
		sum Summary
		err error
	}
	var buf bytes.Buffer
	done := make(chan outcome, 1)
	go func() {
		sum, err := r.run(data, &buf)
		done <- outcome{sum, err}
	}()
	select {
	case o := <-done:
		if o.err == nil {
			o.err = ctx.Err()
		}
		if o.err != nil {
			return o.sum, o.err
		}
		_, err := buf.WriteTo(out)
		return o.sum, err
	case <-ctx.Done():
		abandoned = true
		return Summary{}, ctx.Err()
	}
}

// run resolves one input, whatever its kind, and writes the result to out.
func (r *resolver) run(data []byte, out io.Writer) (Summary, error) {
	if isEvent(data) {
		return r.runEvent(r.ctx, data, out)
	}
	if isPostHogEvent(data) {
		return r.runPostHogEvent(r.ctx, data, out)
	}
	if pieces := jsonPieces(data); pieces != nil {
		return r.runJSONLog(data, pieces, out)
	}
	lines := stacktrace.ParseString(string(data))
	results, sum := r.resolveAll(lines)
	contexts := make([]*sourceContext, len(lines))
	for i := range results {
		contexts[i], _ = r.contextFor(results[i], r.opts.Context)
	}
	if r.opts.JSON {
		return sum, writeJSON(out, lines, results, contexts, sum)
	}
	all, library := withContext(lines, results, contexts)
	return sum, render(out, all, library, r.opts.Dim)
}

// render writes the trace. With dim, the lines of resolved library frames
// (ignore-listed sources, node_modules, runtimes) are passed through it: a
// terminal shows them faint, as browser devtools show ignore-listed frames,
// and the application's frames stand out. Piped output is never marked.
func render(out io.Writer, lines []stacktrace.Line, library []bool, dim func(string) string) error {
	if dim == nil {
		return stacktrace.Render(out, lines)
	}
	var b strings.Builder
	for i := 0; i < len(lines); {
		j := i + 1 // a frame and its continuation lines render together
		for j < len(lines) && lines[j].Cont {
			j++
		}
		text := stacktrace.RenderString(lines[i:j])
		if !library[i] {
			b.WriteString(text)
		} else {
			for text != "" {
				line, rest, cut := strings.Cut(text, "\n")
				body := strings.TrimSuffix(line, "\r")
				b.WriteString(dim(body))
				b.WriteString(line[len(body):])
				if cut {
					b.WriteByte('\n')
				}
				text = rest
			}
		}
		i = j
	}
	_, err := io.WriteString(out, b.String())
	return err
}

// withContext inserts each frame's context block after its line (after the
// location line of a two-line numbered frame). library marks the lines of
// resolved library frames.
func withContext(lines []stacktrace.Line, results []resolved, contexts []*sourceContext) (out []stacktrace.Line, library []bool) {
	out = make([]stacktrace.Line, 0, len(lines))
	library = make([]bool, 0, len(lines))
	var pending []stacktrace.Line
	lib := false
	for i, l := range lines {
		if len(pending) > 0 && !l.Cont {
			out, pending = append(out, pending...), nil
			for len(library) < len(out) {
				library = append(library, false)
			}
		}
		if !l.Cont {
			lib = l.Frame != nil && results[i].ok && !results[i].inApp()
		}
		out = append(out, l)
		library = append(library, lib)
		if c := contexts[i]; c != nil {
			term := l.Term
			if term == "" {
				term = "\n"
			}
			pending = contextLines(l.Text, c, results[i].mapping.Column, term)
		}
	}
	if len(pending) > 0 && out[len(out)-1].Term == "" {
		// The trace ended without a line break after this frame: the block
		// goes on a line of its own, and the missing break moves to its end.
		out[len(out)-1].Term = pending[0].Term
		pending[len(pending)-1].Term = ""
	}
	out = append(out, pending...)
	for len(library) < len(out) {
		library = append(library, false)
	}
	return out, library
}

type resolver struct {
	ctx  context.Context
	idx  *Index
	opts Options
	// frameBases are the base names of the input's frame files: only
	// sources with one of them can be a frame's original (original.go); nil
	// for all.
	frameBases map[string]bool
}

// Status of a frame, as --json reports it (docs/internals/resolve.md §11.2).
const (
	StatusResolved      = "resolved"
	StatusNotResolvable = "not_resolvable" // native, eval body, blob:, data:, no file
	StatusNoFile        = "no_file"        // no local bundle matched
	StatusAmbiguous     = "ambiguous_file" // several bundles matched equally well
	StatusNoMap         = "no_map"         // the bundle has no map
	StatusNoMapping     = "no_mapping"     // nothing mapped at that position on its line
	StatusMapError      = "map_error"      // the map could not be read or parsed
	StatusNoSource      = "no_source"      // the map maps the position to a source it does not name (null)
	// StatusDebugIDMismatch: the input names its build by debug ID and the
	// local bundle of that path is another build.
	StatusDebugIDMismatch = "debug_id_mismatch"
)

// resolved is the outcome for one frame.
type resolved struct {
	ok       bool
	status   string
	reason   string
	mapping  sourcemap.Mapping
	file     string // original source for display
	callName string // the token name at this frame's position: the callee's original name
	name     string // the name given to the frame ("" = kept)
	nameFrom string // "original", "scope", "callsite", "runtime", "minified" (names.go)
	mapPath  string
	mapLabel string // how messages name the map: its path, or "the inline map of …"
	foundBy  string
	// warnings are the problems the map has at this frame's position that
	// resolve worked around (a name index out of range), worded as doctor
	// words them; mapProblems those found when the map was parsed (kept
	// here: the map itself is released once its frames are looked up).
	warnings    []string
	mapProblems []sourcemap.Problem
	// chain lists the positions in intermediate files a frame went through
	// to its original source (chain.go); chainStop says why it went no
	// further when an intermediate file had a map that could not take it on.
	chain     []link
	chainStop string
	// locateNote says how a bundle was chosen when the frame's file did
	// not name it outright (a bare Worker module name); it becomes a warning.
	locateNote string
	// sourceRootIgnored says why the map's sourceRoot was left out
	// (sourceroot.go); "" when it was used.
	sourceRootIgnored string
	contentMap        *sourcemap.Map // the map whose sourcesContent has the frame's source: the last of the chain
	// sourceLine is the original source line, for a Node crash header.
	sourceLine   string
	sourceLineOK bool
	chainBundle  *dist.Bundle // the file whose map that is
	debugID      string
	sourcePath   string // the original source as a local path, for context lines

	bundle         *dist.Bundle // for scope naming
	scoped         string       // scopeName, when scopedSet
	scopedComplete bool         // every part of scoped was mapped (or read from the original source)
	scopedSet      bool
	original       originalScope // the function enclosing the original position (names.go)
	runtime        string        // the function name the runtime printed
	m              *sourcemap.Map
	genLine        int // 0-based generated line
	genColumn      int // 0-based generated column in UTF-16 units
}

func (r *resolver) resolveAll(lines []stacktrace.Line) ([]resolved, Summary) {
	var sum Summary
	r.frameBases = frameBasesOf(lines)
	headers := r.headerPositions(lines)
	results := make([]resolved, len(lines)+len(headers))
	var found []located
	for i := range lines {
		f := lines[i].Frame
		if f == nil {
			continue
		}
		if b, res := r.locate(f); b != nil {
			found = append(found, located{i: i, f: f, b: b, note: res.locateNote})
		} else {
			results[i] = res
		}
	}
	// Crash headers are looked up with the frames, as frames of their own
	// after the lines' results.
	for k, h := range headers {
		found = append(found, located{i: len(lines) + k, f: h.f, b: h.b, header: true})
	}
	r.resolveLocated(found, results)
	probed := false
	for i := range lines {
		if res := &results[i]; lines[i].Frame != nil && res.status == StatusNoFile {
			if !probed {
				r.readSourceSets()
				probed = true
			}
			if src, ok := r.knownOriginal(lines[i].Frame.File); ok {
				res.status, res.reason = StatusOriginal, originalReason(lines[i].Frame.File, src, "a local map")
			}
		}
	}
	r.rewriteNodeHeaders(lines, headers, results[len(lines):])
	results = results[:len(lines)]
	sum.Warnings = mapWarnings(results)
	for i := range lines {
		if lines[i].Frame != nil {
			sum.count(results[i])
		}
	}
	sum.Notes = notes(results, func(i int) bool { return lines[i].Frame != nil })
	// The caller's call site names the callee: in a V8-style trace the
	// caller is the next frame line below (the next outer frame).
	for i := range lines {
		f := lines[i].Frame
		if f == nil || !results[i].ok {
			continue
		}
		var caller *resolved
		if j := nextFrame(lines, i); j >= 0 {
			caller = &results[j]
		}
		name, from := r.chooseName(results[i], caller)
		results[i].name, results[i].nameFrom = name, from
		f.Replace(name, results[i].file, results[i].mapping.Line+1, results[i].mapping.Column+1)
	}
	return results, sum
}

// searched names where bundles were looked for, for messages.
func (r *resolver) searched() string {
	where := r.opts.Maps
	if len(where) == 0 {
		where = []string{"."}
	}
	s := strings.Join(where, ", ")
	if len(r.opts.Bundles) > 0 {
		s += " or in " + strings.Join(r.opts.Bundles, ", ")
	}
	return s
}

// forcedMap returns the --map file whose URL matches the frame's file: the
// same string, or the same path ending (scheme, host, query and hash
// ignored).
func (r *resolver) forcedMap(frameFile string) (string, bool) {
	got := components(normaliseFrameFile(frameFile))
	for _, fm := range r.opts.Forced {
		want := components(normaliseFrameFile(fm.URL))
		if fm.URL == frameFile || (len(want) > 0 && commonSuffix(got, want) == len(want)) {
			return fm.File, true
		}
	}
	return "", false
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

// useful rejects names that say nothing about the code (docs/internals/resolve.md §5).
func useful(name string) bool {
	switch name {
	case "", jsscope.Anonymous, "__webpack_require__", "__webpack_modules__":
		return false
	}
	return true
}

// nextFrame is the index of the next frame line after i in the same block
// of frames, or -1.
func nextFrame(lines []stacktrace.Line, i int) int {
	for j := i + 1; j < len(lines); j++ {
		if lines[j].Frame != nil {
			return j
		}
		if !lines[j].Cont {
			return -1
		}
	}
	return -1
}

func (r *resolver) resolveFrame(f *stacktrace.Frame) resolved {
	b, res := r.locate(f)
	if b == nil {
		return res
	}
	out := r.lookupIn(f, b)
	if res.locateNote != "" {
		out.warnings = append(out.warnings, res.locateNote)
	}
	return out
}

// locate finds the bundle (and map) of a frame; when there is none, the
// frame's final result.
func (r *resolver) locate(f *stacktrace.Frame) (*dist.Bundle, resolved) {
	switch {
	case !f.Resolvable && f.Reason == stacktrace.ReasonNoMapping:
		return nil, resolved{status: StatusNoMapping, reason: "line or column 0"}
	case !f.Resolvable:
		return nil, resolved{status: StatusNotResolvable, reason: f.Reason}
	case f.Column < 1:
		return nil, resolved{status: StatusNoMapping, reason: "no column in the trace"}
	}
	b, ambiguous := r.idx.match(f.File)
	var note string
	if nb := r.namedFile(f.File); nb != nil {
		// The trace names a file on this machine that exists: that is the
		// file that ran, whatever copies --maps holds.
		b, ambiguous = nb, false
	} else if wb, why := r.workerBundle(f.File, b, ambiguous); wb != nil {
		b, ambiguous, note = wb, false, why
	}
	if forced, ok := r.forcedMap(f.File); ok {
		// The bundle, when there is one, still gives scope names.
		if b == nil || ambiguous {
			b = &dist.Bundle{Path: ""}
		}
		fb := *b
		fb.Map = &dist.Map{Path: forced, Rule: "--map"}
		b, ambiguous = &fb, false
	}
	if b == nil && !ambiguous {
		b = r.idx.fromArtifactBundles(f.File)
	}
	switch {
	case ambiguous:
		return nil, resolved{status: StatusAmbiguous, reason: "several local bundles match " + f.File + " equally well"}
	case b == nil:
		if gone := goneDevBundle(f.File); gone != "" {
			return nil, resolved{status: StatusNoFile, reason: gone}
		}
		return nil, resolved{status: StatusNoFile, reason: "no bundle under " + r.searched() + " matches " + f.File}
	}
	return b, resolved{locateNote: note}
}

// genPos is frame f's 0-based generated position in bundle b, the column in
// UTF-16 units.
func (r *resolver) genPos(f *stacktrace.Frame, b *dist.Bundle) (line, col int) {
	col = f.Column - 1
	if f.Dialect == stacktrace.Firefox {
		// SpiderMonkey counts code points; maps count UTF-16 units.
		col = r.idx.utf16Column(b, f.Line-1, col)
	}
	return f.Line - 1, col
}

// lookupIn resolves frame f with bundle b's map.
func (r *resolver) lookupIn(f *stacktrace.Frame, b *dist.Bundle) resolved {
	if b.Map == nil {
		return resolved{status: StatusNoMap, reason: b.Path + " has no source map"}
	}
	res := resolved{foundBy: string(b.Map.Rule), mapPath: b.Map.Path, mapLabel: mapLabel(b)}
	m, mapPath, err := r.idx.mapFor(b)
	if err != nil {
		res.status, res.reason = StatusMapError, res.mapLabel+": "+err.Error()
		return res
	}
	res.debugID, res.m, res.mapProblems = m.DebugID(), m, m.Problems()
	res.runtime = f.Function
	if src, ok := r.originalSourceOf(f.File, b, m, mapPath); ok {
		res.status, res.reason = StatusOriginal, originalReason(f.File, src, res.mapLabel)
		return res
	}
	_, col := r.genPos(f, b)
	mp, ok, err := m.LookupErr(f.Line-1, col)
	switch {
	case err != nil:
		res.status, res.reason = StatusMapError, res.mapLabel+": "+err.Error()
		return res
	case !ok:
		res.status, res.reason = StatusNoMapping, fmt.Sprintf("nothing mapped at line %d, column %d (lookups stay on their line)", f.Line, f.Column)
		return res
	case mp.SourceNull:
		// ECMA-426 allows a null source: generated code with no file. The
		// position is known, the file is not; printing a path would invent one.
		res.status = StatusNoSource
		res.reason = fmt.Sprintf("%s maps line %d, column %d to line %d, column %d of a source it does not name (sources[%d] is null)",
			res.mapLabel, f.Line, f.Column, mp.Line+1, mp.Column+1, mp.SourceIndex)
		return res
	}
	if mp.Problem != "" {
		res.warnings = append(res.warnings, res.mapLabel+": "+mp.Problem)
	}
	res.ok, res.status, res.mapping = true, StatusResolved, mp
	res.bundle, res.m, res.genLine, res.genColumn = b, m, f.Line-1, col
	src, ignored := r.resolveSource(b, m, mapPath, mp.SourceIndex)
	res.file, res.sourcePath, res.sourceRootIgnored = r.display(src), localPath(src), ignored
	if !r.opts.OneLevel && !r.idx.isVirtualMap(b) {
		r.follow(&res, b)
	}
	// The token name at a call site names the callee only when its segment
	// starts at the frame's column (or one before: V8 points at the callee);
	// a segment that began earlier names some other token.
	if mp.Name != "" {
		if prev, ok := m.Lookup(f.Line-1, col-2); !ok || prev != mp {
			res.callName = mp.Name
		}
	}
	return res
}

// maxWarningsPerMap is how many of a map's problems a run lists.
const maxWarningsPerMap = 3

// mapWarnings lists the problems of the maps the frames used (found when
// they were parsed, and at the frames' positions), each map's first few,
// worded as doctor words them.
func mapWarnings(results []resolved) []string {
	var out []string
	perMap := map[string]int{}
	seen := map[string]bool{}
	add := func(label, w string) {
		if seen[w] {
			return
		}
		seen[w] = true
		if perMap[label]++; perMap[label] <= maxWarningsPerMap {
			out = append(out, w)
		}
	}
	for _, res := range results {
		for _, p := range res.mapProblems {
			add(res.mapLabel, res.mapLabel+": "+p.Error())
		}
		for _, w := range res.warnings {
			add(res.mapLabel, w)
		}
	}
	for label, n := range perMap {
		if n > maxWarningsPerMap {
			out = append(out, fmt.Sprintf("%s: and %d more problems (mapback doctor lists them)", label, n-maxWarningsPerMap))
		}
	}
	return out
}

// mapLabel is how messages name bundle b's map.
func mapLabel(b *dist.Bundle) string {
	if b.Map.Path == "" {
		return "the inline map of " + b.Path
	}
	return b.Map.Path
}

// absPath is the resolved source as a full path or URL (Sentry's abs_path):
// the local path when it is absolute, else the source as displayed.
func (res resolved) absPath() string {
	if filepath.IsAbs(res.sourcePath) || strings.Contains(res.sourcePath, "://") {
		return res.sourcePath
	}
	return res.file
}

// localPath turns a resolved source into a file path ("file://" URLs too).
func localPath(src string) string {
	if strings.HasPrefix(src, "file://") {
		if u, err := url.Parse(src); err == nil {
			return u.Path
		}
	}
	return src
}

// display shows a resolved source relative to the root when it is under it.
func (r *resolver) display(src string) string {
	p := localPath(src)
	if filepath.IsAbs(p) && r.opts.Root != "" {
		if rel, err := filepath.Rel(r.opts.Root, p); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel)
		}
	}
	return src
}

// Index knows the local bundles and their maps.
type Index struct {
	bundles []dist.Bundle
	byBase  map[string][]int // base name → bundle indexes

	mu      sync.Mutex
	cache   map[string]*parsedMap
	scopes  map[string]*scopeEntry  // by bundle path and positions; nil index: could not parse
	sources map[string]*sourceEntry // bundle bytes, read once, for scopes and columns
	// scopeKeys caches the scope index key of each positions slice (scopeKey).
	scopeKeys map[sliceKey]string
	roots     map[string]*rootEntry // by map path: whether its sourceRoot is left out
	// sourceSets are each map's resolved sources, to recognise frames that
	// already name one (original.go).
	sourceSets map[string]*sourceIndex

	debugOnce sync.Once
	debugIDs  map[string]int    // debug ID → bundle index (events only)
	idOf      map[string]string // bundle path → its debug ID
	chunkIDs  map[string]int    // PostHog chunk ID → bundle index
	chunkOf   map[string]string // bundle path → its chunk ID

	artifacts []namedBundle          // --bundle, searched after local files
	budget    *artifactbundle.Budget // what artifact bundles may decompress in a run
	virtual   map[string]virtualFile // artifact bundle entries by key
	chained   map[string]*chainEntry // intermediate files of map chains, by path
	absOnce   sync.Once
	byAbs     map[string]int // bundle index by absolute path, for map chains
}

// once returns the entry for key in m, made on first use; the caller fills
// it in with the entry's sync.Once, outside idx.mu, so that the bundles and
// maps of different frames are read and parsed in parallel.
func once[T any](idx *Index, m map[string]*T, key string) *T {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	e, ok := m[key]
	if !ok {
		e = new(T)
		m[key] = e
	}
	return e
}

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

// evictMap drops a source map's pages from memory once its frames are
// looked up; naming reads a few of them again.
func (idx *Index) evictMap(key string) {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	if pm := idx.cache[key]; pm != nil && pm.free != nil && pm.evict != nil {
		pm.evict()
	}
}

// releaseMap unmaps a source map once no frame needs it.
func (idx *Index) releaseMap(key string) {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	if pm := idx.cache[key]; pm != nil && pm.free != nil {
		pm.m = nil
		pm.free()
		pm.free = nil
	}
}

// close unmaps every file still mapped.
func (idx *Index) close() {
	idx.mu.Lock()
	var maps, srcs []string
	for k := range idx.cache {
		maps = append(maps, k)
	}
	for k := range idx.sources {
		srcs = append(srcs, k)
	}
	idx.mu.Unlock()
	for _, k := range maps {
		idx.releaseMap(k)
	}
	for _, k := range srcs {
		idx.releaseSource(k)
	}
}

// artifactBudget is what the --bundle artifact bundles of one run may
// decompress together; a variable so tests can make a bomb small.
var artifactBudget int64 = readcap.ArtifactBundles

// readMap reads a source map whole, within readcap.SourceMap.
func readMap(path string) ([]byte, error) {
	return readcap.JSONFile(path, readcap.SourceMap, "the file")
}

// openMap is readMap with a regular file memory-mapped (mapFile); anything
// else (a pipe from a shell's process substitution, a device) is read
// within the bound.
func openMap(path string) (data []byte, free, evict func(), err error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, nil, err
	}
	if !st.Mode().IsRegular() {
		data, err := readMap(path)
		return data, func() {}, func() {}, err
	}
	if st.Size() > readcap.SourceMap {
		return nil, nil, nil, &readcap.TooLargeError{What: "the file", Limit: readcap.SourceMap}
	}
	return mmapfile.Map(path)
}

// virtualFile is a file inside an artifact bundle, known to the index by a
// key of the form "artifact:<bundle>!<entry>".
type virtualFile struct {
	read func() ([]byte, error)
	base string // the entry's URL, for resolving a map's sources
}

type namedBundle struct {
	path string
	b    *artifactbundle.Bundle
}

// fromArtifactBundles finds the frame's minified file in the --bundle
// artifact bundles (by URL, as the server matches it) and returns it as a
// bundle whose map is the entry's source map.
func (idx *Index) fromArtifactBundles(frameFile string) *dist.Bundle {
	for _, nb := range idx.artifacts {
		if zp, _, ok := nb.b.FindByURL(frameFile); ok {
			return idx.artifactEntry(nb, zp)
		}
	}
	return nil
}

// artifactByDebugID finds the minified file with debug ID id in the --bundle
// artifact bundles.
func (idx *Index) artifactByDebugID(id string) *dist.Bundle {
	for _, nb := range idx.artifacts {
		if zp, ok := nb.b.FindByDebugID(id, "minified_source"); ok {
			return idx.artifactEntry(nb, zp)
		}
	}
	return nil
}

// artifactEntry registers a minified file of an artifact bundle, and its map,
// as virtual files and returns it as a bundle.
func (idx *Index) artifactEntry(nb namedBundle, zp string) *dist.Bundle {
	ab := nb.b
	entry, _ := ab.Entry(zp)
	b := &dist.Bundle{Path: "artifact:" + nb.path + "!" + zp}
	idx.mu.Lock()
	defer idx.mu.Unlock()
	idx.virtual[b.Path] = virtualFile{read: func() ([]byte, error) { return ab.ReadFile(zp) }, base: entry.URL}
	if mz, ok := ab.SourceMapFor(zp); ok {
		key := "artifact:" + nb.path + "!" + mz
		mapURL := entry.URL
		if me, ok := ab.Entry(mz); ok {
			mapURL = me.URL
		}
		idx.virtual[key] = virtualFile{read: func() ([]byte, error) { return ab.ReadFile(mz) }, base: mapURL}
		b.Map = &dist.Map{Path: key, Rule: "bundle"}
	}
	return b
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

type parsedMap struct {
	once  sync.Once
	m     *sourcemap.Map
	err   error
	free  func() // unmaps the map's file (openMap); nil once freed
	evict func() // drops its pages from memory (openMap)
}

// NewIndex scans dirs once for bundles and pairs each with its map, by the
// same rules inject uses.
func NewIndex(ctx context.Context, dirs []string) (*Index, error) {
	if len(dirs) == 0 {
		dirs = []string{"."}
	}
	scan, err := dist.Scan(ctx, dist.Options{Paths: dirs, Quick: true})
	if err != nil {
		return nil, err
	}
	idx := &Index{bundles: scan.Bundles, byBase: map[string][]int{}, cache: map[string]*parsedMap{}, scopes: map[string]*scopeEntry{}, sources: map[string]*sourceEntry{}, roots: map[string]*rootEntry{}, sourceSets: map[string]*sourceIndex{}, virtual: map[string]virtualFile{}, chained: map[string]*chainEntry{}}
	for i, b := range scan.Bundles {
		base := filepath.Base(b.Path)
		idx.byBase[base] = append(idx.byBase[base], i)
	}
	return idx, nil
}

// Match finds the local bundle for a frame's file: the one whose path has the
// longest common suffix with it (whole path components, at least the base
// name); nil when none or when two tie.
func (idx *Index) Match(frameFile string) *dist.Bundle {
	b, _ := idx.match(frameFile)
	return b
}

// match is Match that also says when candidates tie.
func (idx *Index) match(frameFile string) (b *dist.Bundle, ambiguous bool) {
	want := components(normaliseFrameFile(frameFile))
	if len(want) == 0 {
		return nil, false
	}
	best, bestLen, tie := -1, 0, false
	for _, i := range idx.byBase[want[len(want)-1]] {
		abs, err := filepath.Abs(idx.bundles[i].Path)
		if err != nil {
			continue
		}
		n := commonSuffix(components(filepath.ToSlash(abs)), want)
		switch {
		case n > bestLen:
			best, bestLen, tie = i, n, false
		case n == bestLen:
			tie = true
		}
	}
	if best < 0 || tie {
		return nil, tie
	}
	return &idx.bundles[best], false
}

// isVirtualMap reports whether b's map came from an artifact bundle or a
// server, not from a file the user pointed at.
func (idx *Index) isVirtualMap(b *dist.Bundle) bool {
	key := b.Map.Path
	if key == "" {
		key = b.Path
	}
	idx.mu.Lock()
	defer idx.mu.Unlock()
	_, ok := idx.virtual[key]
	return ok
}

// mapFor parses (once) the map paired with bundle b.
func (idx *Index) mapFor(b *dist.Bundle) (*sourcemap.Map, string, error) {
	if b.Map == nil {
		return nil, "", nil
	}
	key, base := b.Map.Path, b.Map.Path
	if key == "" { // inline: sources resolve against the bundle
		key, base = "inline:"+b.Path, b.Path
	}
	idx.mu.Lock()
	v, isVirtual := idx.virtual[key]
	idx.mu.Unlock()
	if isVirtual {
		base = v.base // a map inside an artifact bundle: sources resolve against its URL
	} else {
		base, _ = filepath.Abs(base)
	}
	pm := once(idx, idx.cache, key)
	pm.once.Do(func() {
		data := b.Map.Inline
		var err error
		switch {
		case isVirtual:
			data, err = v.read()
		case data == nil:
			data, pm.free, pm.evict, err = openMap(b.Map.Path)
		}
		if err == nil {
			var load sourcemap.Loader
			if !isVirtual && b.Map.Path != "" {
				load = sectionLoader(b.Map.Path)
			}
			pm.m, err = sourcemap.ParseLazy(data, load)
		}
		pm.err = err
	})
	return pm.m, base, pm.err
}

// sectionLoader reads the maps an index map's "url" sections name, relative
// to the index map's directory. resolve works offline: remote URLs are not
// fetched.
func sectionLoader(indexMap string) sourcemap.Loader {
	return func(u string) ([]byte, error) {
		if parsed, err := url.Parse(u); err == nil && parsed.Scheme != "" && parsed.Scheme != "file" {
			return nil, fmt.Errorf("%s is remote; resolve reads only local files", u)
		}
		p := localPath(u)
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(indexMap), filepath.FromSlash(p))
		}
		return readMap(p)
	}
}

// normaliseFrameFile turns a frame's URL or path into a slash path for
// suffix matching: no scheme and host, query or fragment; percent-decoded.
func normaliseFrameFile(f string) string {
	if i := strings.IndexAny(f, "?#"); i >= 0 {
		f = f[:i]
	}
	if u, err := url.Parse(f); err == nil && u.Scheme != "" && len(u.Scheme) > 1 {
		f = u.Path
	} else if d, err := url.PathUnescape(f); err == nil {
		f = d
	}
	f = strings.ReplaceAll(f, "\\", "/")
	return strings.TrimPrefix(f, "~")
}

func components(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" && c != "." {
			out = append(out, c)
		}
	}
	return out
}

func commonSuffix(a, b []string) int {
	n := 0
	for n < len(a) && n < len(b) && a[len(a)-1-n] == b[len(b)-1-n] {
		n++
	}
	return n
}

// located is a frame whose bundle is known, at index i of the results.
type located struct {
	i int
	f *stacktrace.Frame
	b *dist.Bundle
	// header marks the position of a Node crash header (nodeheader.go):
	// its original source line is read while the map is at hand.
	header bool
	note   string // resolved.locateNote
}

// resolveLocated looks the frames up in their maps and, for scope names,
// parses the scopes around them in their bundles. Frames are grouped by
// bundle and map; reading and parsing a group's map is one task and its
// bundle's scopes another. The tasks run in parallel, as many at a time as
// there are CPUs, the biggest group first and the two tasks of a group side
// by side. When both are done the group's frames get their scope names and,
// when nothing else will read them (no --context), the group's map and
// bundle are unmapped: the files of one group at a time stay in memory, not
// all of them.
func (r *resolver) resolveLocated(frames []located, results []resolved) {
	scopes := r.opts.Names != NamesMinified
	byUnit, keys := groupBy(frames, func(l located) string { return l.b.Path + "\x00" + mapKey(l.b) })
	at := map[string][]jsscope.Pos{} // positions per bundle
	var mu sync.Mutex                // guards the reference counts
	mapRefs, srcRefs := map[string]int{}, map[string]int{}
	for _, key := range keys {
		l := byUnit[key][0]
		mapRefs[mapKey(l.b)]++
		srcRefs[l.b.Path]++
		if scopes && l.b.Path != "" {
			for _, l := range byUnit[key] {
				line, col := r.genPos(l.f, l.b)
				at[l.b.Path] = append(at[l.b.Path], jsscope.Pos{Line: line, Col: col})
			}
		}
	}
	for p, positions := range at {
		at[p] = uniquePositions(positions) // a log repeats the same frames
	}
	release := r.opts.Context <= 0
	var tasks []task
	for _, key := range keys {
		group := byUnit[key]
		b := group[0].b
		parseScopes := scopes && b.Path != ""
		left := new(atomic.Int32)
		left.Store(1)
		if parseScopes {
			left.Store(2)
		}
		// done runs after each of the group's tasks; the last one names
		// the group's frames and releases what is no longer needed.
		done := func() {
			if left.Add(-1) != 0 {
				return
			}
			if scopes {
				var named []*resolved
				for _, l := range group {
					if res := &results[l.i]; res.ok {
						res.scoped, res.scopedComplete = r.scopeName(*res, at[l.b.Path])
						res.scopedSet = true
						r.checkBuild(res, at[l.b.Path])
						named = append(named, res)
					}
				}
				r.nameOriginals(named) // while the group's map is open
			}
			if !release {
				return
			}
			mu.Lock()
			mapRefs[mapKey(b)]--
			srcRefs[b.Path]--
			freeMap, freeSrc := mapRefs[mapKey(b)] == 0, srcRefs[b.Path] == 0
			mu.Unlock()
			if freeMap {
				r.idx.releaseMap(mapKey(b))
				for _, l := range group {
					results[l.i].m = nil // unmapped
				}
			}
			if freeSrc {
				r.idx.releaseSource(b.Path)
			}
		}
		size := fileSize(b.Path)
		if b.Map != nil {
			size += int64(len(b.Map.Inline))
			if b.Map.Path != "" {
				size += fileSize(b.Map.Path)
			}
		}
		tasks = append(tasks, task{size: size, splits: true, run: func() {
			for _, l := range group {
				results[l.i] = r.lookupIn(l.f, l.b)
				if l.note != "" {
					results[l.i].warnings = append(results[l.i].warnings, l.note)
				}
				if l.header && results[l.i].ok {
					results[l.i].sourceLine, results[l.i].sourceLineOK = r.originalLine(results[l.i])
				}
			}
			r.idx.evictMap(mapKey(b))
			done()
		}})
		if parseScopes {
			tasks = append(tasks, task{size: size, run: func() {
				parsingScopes()
				r.idx.scopesFor(b, at[b.Path])
				r.idx.evictSource(b.Path)
				done()
			}})
		}
	}
	runTasks(r.ctx, tasks)
}

// parsingScopes is called as a bundle's scope parse starts: a parse cannot
// be interrupted, and tests hold one here to interrupt the run during it.
var parsingScopes = func() {}

// mapKey is the index's cache key for bundle b's map.
func mapKey(b *dist.Bundle) string {
	switch {
	case b.Map == nil:
		return "\x00nomap:" + b.Path
	case b.Map.Path == "":
		return "inline:" + b.Path
	}
	return b.Map.Path
}

// groupBy groups frames by key, keys in order of first appearance.
func groupBy(frames []located, key func(located) string) (map[string][]located, []string) {
	groups := map[string][]located{}
	var keys []string
	for _, l := range frames {
		k := key(l)
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], l)
	}
	return groups, keys
}

func fileSize(path string) int64 {
	if fi, err := os.Stat(path); err == nil {
		return fi.Size()
	}
	return 0
}

type task struct {
	size int64
	// splits: the task spreads its work over the idle CPUs (a source
	// map's mappings pass, see sourcemap), where a scope parse cannot.
	splits bool
	run    func()
}

// runTasks runs the tasks on as many goroutines as there are CPUs, and
// returns when all are done. The ones that cannot spread their work go
// first, biggest first: run last, a big one leaves the other CPUs idle
// while it finishes, where a task that spreads fills them.
func runTasks(ctx context.Context, tasks []task) {
	sort.SliceStable(tasks, func(i, j int) bool {
		if tasks[i].splits != tasks[j].splits {
			return !tasks[i].splits
		}
		return tasks[i].size > tasks[j].size
	})
	workers := min(runtime.GOMAXPROCS(0), len(tasks))
	if workers <= 1 {
		for _, t := range tasks {
			if ctx.Err() != nil {
				return
			}
			t.run()
		}
		return
	}
	next := make(chan task)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range next {
				if ctx.Err() == nil { // once interrupted, the rest is drained unrun
					t.run()
				}
			}
		}()
	}
	for _, t := range tasks {
		next <- t
	}
	close(next)
	wg.Wait()
}
