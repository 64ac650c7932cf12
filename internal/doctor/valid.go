package doctor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"github.com/mapback/mapback/internal/debugid"
	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/rawfile"
	"github.com/mapback/mapback/internal/readcap"
	"github.com/mapback/mapback/internal/sourcemap"
)

// checkValid answers "is each map one that Sentry and mapback can use for its bundle?": it parses
// with the same engine resolve uses, walks every segment (a bad VLQ or an index out of range
// anywhere, not only where a lookup happens to land), checks sourcesContent, and compares the map's
// extent with its bundle's lines, which catches a bundle changed after its map was written.
func checkValid(ctx context.Context, env *Env) Result {
	scan, err := env.Scan(ctx)
	if err != nil || len(scan.Bundles) == 0 {
		return skip("no bundles to check (see the first check)")
	}
	var res Result
	seen := map[string]bool{}
	hints := map[string]bundlerHint{}
	var maps, bad int
	// findings[i] are bundle i's; the maps are validated in parallel (each is parsed and walked
	// whole, a build can have thousands) and reported in bundle order.
	findings := make([][]Finding, len(scan.Bundles))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, b := range scan.Bundles {
		if ctx.Err() != nil {
			break
		}
		switch {
		case b.Err != nil && isEmbeddedMapErr(b.Err):
			maps++
			findings[i] = []Finding{{Status: StatusFail, Subject: b.Path,
				Detail: "inline source map (data: URL): " + b.Err.Error(), Fix: fixCorrupt}}
		case b.Err != nil:
			// Unreadable bundles are the first check's.
		case b.Map == nil:
			if ref := readRef(b.Path); ref.kind == refLocal && !ref.found {
				maps++
				findings[i] = []Finding{{Status: StatusFail, Subject: b.Path,
					Detail: fmt.Sprintf("sourceMappingURL=%s names %s, which does not exist (and no map is beside the bundle)", ref.value, ref.path),
					Fix:    "keep each .map file beside its bundle until it is uploaded (delete maps after `mapback sourcemaps upload`, not before), or make the sourceMappingURL name the map"}}
			}
		default:
			key := b.Map.Path
			if b.Map.Rule == dist.RuleDataURL {
				key = b.Path + "\x00inline"
			}
			if seen[key] {
				continue // an identical copy of a bundle already checked with this map
			}
			seen[key] = true
			maps++
			h, ok := hints[b.Root]
			if !ok {
				h = detectBundler(b.Root)
				hints[b.Root] = h
			}
			g.Go(func() error {
				findings[i] = validateMap(gctx, b, h)
				return nil
			})
		}
	}
	_ = g.Wait() // validateMap reports its own failures as findings
	for _, fs := range findings {
		res.Findings = append(res.Findings, fs...)
		for _, f := range fs {
			if f.Status == StatusFail || f.Status == StatusWarn {
				bad++
				break
			}
		}
	}
	switch {
	case maps == 0:
		return skip("no bundle has a map (see the first check)")
	case bad == 0:
		res.Detail = fmt.Sprintf("%d maps parsed, complete and covering their bundles", maps)
		if maps == 1 {
			res.Detail = "1 map parsed, complete and covering its bundle"
		}
	default:
		res.Detail = fmt.Sprintf("%d of %s with problems", bad, plural(maps, "map", "maps"))
		if maps == 1 {
			res.Detail = "the map has problems"
		}
	}
	res.Fix = commonFix(res.Findings)
	return res
}

const fixCorrupt = "the map is damaged (a truncated copy, or a build step that wrote over it): rebuild to regenerate it, and copy maps with the bundles as they are"

// validateMap checks one bundle's map and returns its findings (none when all is well, apart
// from informative ok findings).
func validateMap(ctx context.Context, b dist.Bundle, h bundlerHint) []Finding {
	subject, base := b.Map.Path, b.Map.Path
	data := b.Map.Inline
	if b.Map.Rule == dist.RuleDataURL {
		subject, base = b.Path+" (inline map)", b.Path
	} else {
		var err error
		if data, err = readcap.File(b.Map.Path, readcap.SourceMap, "source map "+b.Map.Path); err != nil {
			return []Finding{{Status: StatusFail, Subject: subject, Detail: "cannot read the map: " + errText(err), Fix: "make the map readable by the user running the upload"}}
		}
	}
	fail := func(detail, fix string) []Finding {
		return []Finding{{Status: StatusFail, Subject: subject, Detail: detail, Fix: fix}}
	}
	if b.Map.Rule != dist.RuleDataURL && (sameFile(b.Map.Path, b.Path) || !jsonish(data)) {
		return []Finding{notAMap(b, data)}
	}
	var load sourcemap.Loader
	if b.Map.Rule != dist.RuleDataURL {
		dir := filepath.Dir(b.Map.Path)
		load = func(u string) ([]byte, error) { return rawfile.ReadFile(filepath.Join(dir, filepath.FromSlash(u))) }
	}
	// The same decoder resolve uses, in its strict form: a map refused here
	// is one resolve refuses, with the same words, and every other problem
	// is one resolve works around and says so.
	m, err := sourcemap.ParseWith(data, load)
	if err != nil {
		var p *sourcemap.Problem
		if !errors.As(err, &p) {
			return fail("not a usable source map: "+err.Error(), fixCorrupt)
		}
		return []Finding{problemFinding(*p, subject)}
	}
	js, err := rawfile.ReadFile(b.Path)
	if err != nil {
		js = nil
	}
	lens, lastCode := bundleLines(js)
	cov := &extent{lens: lens, lastLine: -1, overCol: -1}
	probs := m.Check(ctx, cov.visit)
	var out []Finding
	for _, p := range probs.List[:min(len(probs.List), maxProblemFindings)] {
		out = append(out, problemFinding(p, subject))
	}
	if more := probs.Total - min(len(probs.List), maxProblemFindings); more > 0 {
		out = append(out, Finding{Status: StatusFail, Subject: subject,
			Detail: fmt.Sprintf("and %s more", plural(more, "problem", "problems")), Fix: out[len(out)-1].Fix})
	}
	if !hasContentProblem(probs) {
		out = append(out, checkSourcesContent(m, subject, base, b.Root, h)...)
	}
	if js != nil && probs.Fatal() == nil {
		c := cov.coverage(subject, len(lens), lastCode)
		if len(c) > 0 && staleInjectedMap(b, js) {
			// The map does not fit because it was shifted by an earlier injection that this
			// bundle never had: the debug ID check says so, with the fix (never inject this pair).
			c = []Finding{{Status: StatusWarn, Subject: subject,
				Detail: "the map does not fit the bundle: it already has a debug ID while the bundle is not injected, so it belongs to an earlier, injected build",
				Fix:    fixStaleMap(b)}}
		}
		out = append(out, c...)
	}
	return out
}

// maxProblemFindings is how many of a map's problems doctor lists one by one.
const maxProblemFindings = 5

// problemFinding is the finding for one problem the decoder found: every problem breaks
// ECMA-426 and fails the check; the fix depends on what kind of problem it is.
func problemFinding(p sourcemap.Problem, subject string) Finding {
	return Finding{Status: StatusFail, Subject: subject, Detail: p.Error(), Fix: problemFix(p.Kind)}
}

func problemFix(k sourcemap.ProblemKind) string {
	const rewritten = "rebuild to regenerate the map; if it comes back, a post-build step (banner, minifier, custom plugin) writes broken maps"
	switch k {
	case sourcemap.ProblemJSON:
		return fixCorrupt
	case sourcemap.ProblemVersion:
		return "regenerate the map with a current bundler: Sentry and mapback read only version 3 source maps"
	case sourcemap.ProblemSource, sourcemap.ProblemOriginal, sourcemap.ProblemName:
		return "rebuild to regenerate the map: an index out of range means the map was merged or edited incorrectly (a post-build step that rewrites maps)"
	case sourcemap.ProblemOverlap:
		return "rebuild: the tool that concatenated the chunks wrote section offsets that do not match the bundle"
	case sourcemap.ProblemDebugID:
		return "correct or remove the map's debugId/debug_id member (a debug ID is a UUID such as 8cf3d888-fc9e-457d-a999-6ffef384b736); the tool that wrote it is not following the format. Then run mapback sourcemaps inject"
	}
	return rewritten
}

// hasContentProblem reports whether sourcesContent is malformed: then its entries are not
// "missing", and doctor does not ask for them to be turned on.
func hasContentProblem(ps sourcemap.Problems) bool {
	for _, p := range ps.List {
		if strings.HasPrefix(p.Member, "sourcesContent") {
			return true
		}
	}
	return false
}

// staleInjectedMap reports a map that carries a debug ID paired with a bundle that carries none:
// the map was written (and shifted) by an earlier injected build.
func staleInjectedMap(b dist.Bundle, js []byte) bool {
	if _, ok := debugid.FindComment(js); ok {
		return false
	}
	if _, ok := findSnippetID(js); ok {
		return false
	}
	if _, ok := pluginID(js); ok {
		return false
	}
	_, has, _, _ := mapDebugID(b)
	return has
}

// notAMap is the finding for a bundle whose map file is not a source map at all: the bundle
// itself, or a file such as /etc/passwd named by an absolute sourceMappingURL. Its content is not
// quoted: it is not a map, and may be anything. The detail starts with the decoder's words (what
// resolve says of the file) and then says how the file came to be taken for the map.
func notAMap(b dist.Bundle, data []byte) Finding {
	what := "not a source map: the file is not a JSON object"
	if _, err := sourcemap.Parse(data); err != nil {
		what = err.Error()
	}
	fd := Finding{Status: StatusFail, Subject: b.Map.Path,
		Fix: "make the sourceMappingURL comment name the bundle's map, relative to the bundle (e.g. //# sourceMappingURL=" + filepath.Base(b.Path) + ".map), or remove the comment and keep the map beside the bundle"}
	if b.Map.Rule != dist.RuleComment {
		fd.Detail = fmt.Sprintf("%s; it is the file beside %s where its map belongs", what, b.Path)
		fd.Fix = "keep the bundle's real map beside it (" + filepath.Base(b.Path) + ".map), and no other file under that name"
		return fd
	}
	ref := readRef(b.Path)
	fd.Detail = fmt.Sprintf("%s; the sourceMappingURL=%s of %s points at it", what, ref.value, b.Path)
	if sameFile(b.Map.Path, b.Path) {
		fd.Detail += ", and it is the bundle itself"
	}
	if strings.HasPrefix(ref.value, "/") {
		fd.Detail += "; an absolute sourceMappingURL is a URL path on the server to browsers and Sentry, not a file on this machine"
	}
	return fd
}

// jsonish reports whether data could be a JSON source map: after a BOM, the XSSI prefix and
// whitespace, it starts with '{'. Anything else is some other file, never quoted back.
func jsonish(data []byte) bool {
	data = bytes.TrimLeft(data[prefixLen(data):], " \t\r\n")
	return len(data) == 0 || data[0] == '{' // an empty file is a damaged map
}

// sameFile reports whether two paths name the same file.
func sameFile(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// checkSourcesContent warns when sources have no sourcesContent and are not on disk either:
// frames then resolve to a file and line, but no source code is shown around them.
func checkSourcesContent(m *sourcemap.Map, subject, base, root string, h bundlerHint) []Finding {
	srcs := m.Sources()
	project := dist.ProjectDir(root)
	var missing []string
	onDisk, without := 0, 0
	for i := range srcs {
		if m.HasSourceContent(i) {
			continue
		}
		p := m.ResolveSource(base, i)
		if p == "" {
			continue // a null source names no file: there is nothing to look for
		}
		without++
		if localFile(p, project) {
			onDisk++
			continue
		}
		missing = append(missing, p)
	}
	switch {
	case len(missing) > 0:
		list := strings.Join(missing[:min(3, len(missing))], ", ")
		if len(missing) > 3 {
			list += fmt.Sprintf(", … (%d more)", len(missing)-3)
		}
		return []Finding{{Status: StatusWarn, Subject: subject,
			Detail: fmt.Sprintf("%d of %d sources have no sourcesContent and are not on disk (%s): traces resolve, but without source code around the lines", len(missing), len(srcs), list),
			Fix:    sourcesContentFix(h, srcs)}}
	case without > 0:
		return []Finding{{Status: StatusOK, Subject: subject,
			Detail: fmt.Sprintf("%d of %d sources have no sourcesContent but are on disk: mapback resolve shows their code, Sentry does not", onDisk, len(srcs))}}
	}
	return nil
}

func sourcesContentFix(h bundlerHint, srcs []string) string {
	name := h.name
	if name == "" {
		for _, s := range srcs {
			if strings.HasPrefix(s, "webpack://") {
				name = "webpack"
				break
			}
		}
	}
	switch name {
	case "esbuild":
		return "include sourcesContent: remove `--sources-content=false` (or `sourcesContent: false`) from the esbuild options"
	case "webpack", "next":
		return "include sourcesContent: use a webpack devtool without `nosources-` (e.g. 'source-map' or 'hidden-source-map')"
	case "vite", "rollup":
		return "include sourcesContent: remove `sourcemapExcludeSources: true` from the rollup output options (on by default)"
	}
	return "include sourcesContent in the maps: esbuild `--sources-content=true`, webpack devtool without `nosources-`, rollup/vite `sourcemapExcludeSources: false` (the default), TypeScript `inlineSources: true`"
}

// localFile reports whether a resolved source is a file on disk: as resolved (relative to the
// working directory) or, for bundler paths such as webpack://app/./src/x.js, under the project.
func localFile(p, project string) bool {
	if p == "" || strings.Contains(p, "://") {
		return false
	}
	p = filepath.FromSlash(p)
	if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
		return true
	}
	if project != "" && !filepath.IsAbs(p) {
		if fi, err := os.Stat(filepath.Join(project, p)); err == nil && fi.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// prefixLen mirrors what sourcemap.Parse strips before decoding, so its offsets can be turned back
// into offsets in the file.
func prefixLen(b []byte) int {
	n := 0
	if bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		n = 3
	}
	if bytes.HasPrefix(b[n:], []byte(")]}")) {
		if nl := bytes.IndexByte(b[n:], '\n'); nl >= 0 {
			n += nl + 1
		}
	}
	return n
}

func errText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// bundleLines returns the UTF-16 length of each line of js, split where V8 splits (\n, \r\n, \r,
// U+2028, U+2029), and the 0-based index of the last line holding code: trailing empty lines, line
// comments (//# sourceMappingURL, //# debugId) and block comments (esbuild's legal comments) have
// no mappings in any bundler's output.
func bundleLines(js []byte) (lens []int, lastCode int) {
	n := 0
	for i := 0; i < len(js); {
		c := js[i]
		switch {
		case c == '\n':
			lens = append(lens, n)
			n = 0
			i++
		case c == '\r':
			lens = append(lens, n)
			n = 0
			i++
			if i < len(js) && js[i] == '\n' {
				i++
			}
		case c < utf8.RuneSelf:
			n++
			i++
		default:
			r, size := utf8.DecodeRune(js[i:])
			i += size
			switch {
			case r == '\u2028' || r == '\u2029':
				lens = append(lens, n)
				n = 0
			case r >= 0x10000:
				n += 2
			default:
				n++
			}
		}
	}
	lens = append(lens, n)
	code := trimTrailingComments(js)
	lastCode = 0
	for i := 0; i < len(code); {
		c := code[i]
		switch {
		case c == '\n':
			lastCode++
		case c == '\r':
			lastCode++
			if i+1 < len(code) && code[i+1] == '\n' {
				i++
			}
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(code[i:])
			if r == '\u2028' || r == '\u2029' {
				lastCode++
			}
			i += size
			continue
		}
		i++
	}
	return lens, lastCode
}

// trimTrailingComments removes trailing whitespace, line comments and block comments from js.
func trimTrailingComments(js []byte) []byte {
	for {
		js = bytes.TrimRight(js, " \t\r\n\u2028\u2029\ufeff")
		switch {
		case bytes.HasSuffix(js, []byte("*/")):
			body := js[:len(js)-2]
			from := bytes.LastIndex(body, []byte("*/")) + 2
			if from < 2 {
				from = 0
			}
			k := bytes.Index(body[from:], []byte("/*"))
			if k < 0 {
				return js
			}
			js = js[:from+k]
		default:
			ls := bytes.LastIndexAny(js, "\r\n") + 1
			if !bytes.HasPrefix(bytes.TrimLeft(js[ls:], " \t"), []byte("//")) {
				return js
			}
			js = js[:ls]
		}
	}
}

// extent records where a map's segments are, as Check visits them, for comparing the map with
// its bundle's lines.
type extent struct {
	lens     []int // the bundle's line lengths (UTF-16)
	lastLine int   // last generated line with a segment (0-based, bundle coordinates)
	overCol  int   // first line with a segment past its end, -1 when none
	overAt   int   // that segment's column
}

func (w *extent) visit(sg sourcemap.Segment) {
	w.lastLine = max(w.lastLine, sg.Line)
	if w.overCol < 0 && sg.Line < len(w.lens) && sg.Column > w.lens[sg.Line] {
		w.overCol, w.overAt = sg.Line, sg.Column
	}
}

// coverage compares the map's extent with the bundle's lines.
func (w *extent) coverage(subject string, lines, lastCode int) []Finding {
	const rebuilt = "the bundle was changed after the map was written (a minifier or banner step without map chaining)"
	const fix = "make every step after the bundler pass the map on (e.g. terser `sourceMap: { content: 'inline' }` / `--source-map content=…`), or move the step into the bundler"
	switch {
	case w.lastLine < 0:
		return []Finding{{Status: StatusWarn, Subject: subject, Detail: "the map has no mappings: no position of the bundle resolves", Fix: "rebuild with source maps enabled; an empty mappings string means the bundler did not map this output"}}
	case w.lastLine < lastCode:
		return []Finding{{Status: StatusWarn, Subject: subject,
			Detail: fmt.Sprintf("map covers lines 1–%d of %d: %s", w.lastLine+1, lastCode+1, rebuilt), Fix: fix}}
	case w.lastLine >= lines:
		return []Finding{{Status: StatusWarn, Subject: subject,
			Detail: fmt.Sprintf("map has mappings on line %d but the bundle has %d lines: the map belongs to another build of this bundle", w.lastLine+1, lines),
			Fix:    "ship the map the bundler wrote with this bundle: rebuild both together, and do not copy maps between builds"}}
	case w.overCol >= 0:
		return []Finding{{Status: StatusWarn, Subject: subject,
			Detail: fmt.Sprintf("map has a mapping at %d:%d but line %d of the bundle is %d columns long: %s", w.overCol+1, w.overAt+1, w.overCol+1, w.lens[w.overCol], rebuilt), Fix: fix}}
	}
	return nil
}
