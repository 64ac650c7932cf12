package resolve

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/stacktrace"
)

// Each frame on its own: which bundle and map it names, and what the map
// says at its position (docs/internals/resolve.md §10, §4).

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
