// Package resolve turns minified stack traces back into original files,
// lines, columns and function names, offline, from the bundles and maps on
// disk. Every line it cannot map is written back exactly as it was.
package resolve

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/mapback/mapback/internal/artifactbundle"
	"github.com/mapback/mapback/internal/dist"
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
