package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/mapback/mapback/internal/debugid"
	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/jsonscan"
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
	for _, b := range scan.Bundles {
		if ctx.Err() != nil {
			break
		}
		before := len(res.Findings)
		switch {
		case b.Err != nil && isEmbeddedMapErr(b.Err):
			maps++
			res.Findings = append(res.Findings, Finding{Status: StatusFail, Subject: b.Path,
				Detail: "inline source map (data: URL): " + b.Err.Error(), Fix: fixCorrupt})
		case b.Err != nil:
			// Unreadable bundles are the first check's.
		case b.Map == nil:
			if ref := readRef(b.Path); ref.kind == refLocal && !ref.found {
				maps++
				res.Findings = append(res.Findings, Finding{Status: StatusFail, Subject: b.Path,
					Detail: fmt.Sprintf("sourceMappingURL=%s names %s, which does not exist (and no map is beside the bundle)", ref.value, ref.path),
					Fix:    "keep each .map file beside its bundle until it is uploaded (delete maps after `mapback sourcemaps upload`, not before), or make the sourceMappingURL name the map"})
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
			res.Findings = append(res.Findings, validateMap(b, h)...)
		}
		for _, f := range res.Findings[before:] {
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
func validateMap(b dist.Bundle, h bundlerHint) []Finding {
	subject, base := b.Map.Path, b.Map.Path
	data := b.Map.Inline
	if b.Map.Rule == dist.RuleDataURL {
		subject, base = b.Path+" (inline map)", b.Path
	} else {
		var err error
		if data, err = os.ReadFile(b.Map.Path); err != nil {
			return []Finding{{Status: StatusFail, Subject: subject, Detail: "cannot read the map: " + errText(err), Fix: "make the map readable by the user running the upload"}}
		}
	}
	fail := func(detail, fix string) []Finding {
		return []Finding{{Status: StatusFail, Subject: subject, Detail: detail, Fix: fix}}
	}
	if b.Map.Rule != dist.RuleDataURL && (sameFile(b.Map.Path, b.Path) || !jsonish(data)) {
		return []Finding{notAMap(b)}
	}
	if _, _, _, err := jsonscan.Document(data); err != nil {
		var se *jsonscan.SyntaxError
		if errors.As(err, &se) {
			return fail("not valid JSON: "+se.Msg+" "+jsonPos(data, se.Offset), fixCorrupt)
		}
		return fail("not valid JSON: "+err.Error(), fixCorrupt)
	}
	var load sourcemap.Loader
	if b.Map.Rule != dist.RuleDataURL {
		dir := filepath.Dir(b.Map.Path)
		load = func(u string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, filepath.FromSlash(u))) }
	}
	m, err := sourcemap.ParseWith(data, load)
	if err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return fail("not valid JSON: "+se.Error()+" "+jsonPos(data, int(se.Offset)+prefixLen(data)), fixCorrupt)
		case strings.Contains(err.Error(), "version"):
			return fail(err.Error(), "regenerate the map with a current bundler: Sentry and mapback read only version 3 source maps")
		}
		return fail("not a usable source map: "+err.Error(), fixCorrupt)
	}
	if err := m.Err(); err != nil {
		return fail(err.Error(), "rebuild to regenerate the map; if it comes back, a post-build step (banner, minifier, custom plugin) writes broken mappings")
	}

	js, err := os.ReadFile(b.Path)
	if err != nil {
		js = nil
	}
	lens, lastCode := bundleLines(js)
	w := &mapWalk{lens: lens, lastLine: -1, overCol: -1}
	if err := w.walkDoc(data); err != nil {
		return fail("invalid mappings: "+err.Error(), fixCorrupt)
	}
	var out []Finding
	if w.badIndex != "" {
		out = append(out, Finding{Status: StatusFail, Subject: subject, Detail: w.badIndex,
			Fix: "rebuild to regenerate the map: an index out of range means the map was merged or edited incorrectly (a post-build step that rewrites maps)"})
	}
	if w.overlap != "" {
		out = append(out, Finding{Status: StatusWarn, Subject: subject, Detail: w.overlap,
			Fix: "rebuild: the tool that concatenated the chunks wrote section offsets that do not match the bundle"})
	}
	out = append(out, checkSourcesContent(m, subject, base, b.Root, h)...)
	if js != nil {
		cov := w.coverage(subject, len(lens), lastCode)
		if len(cov) > 0 && staleInjectedMap(b, js) {
			// The map does not fit because it was shifted by an earlier injection that this
			// bundle never had: the debug ID check says so, with the fix (never inject this pair).
			cov = []Finding{{Status: StatusWarn, Subject: subject,
				Detail: "the map does not fit the bundle: it already has a debug ID while the bundle is not injected, so it belongs to an earlier, injected build",
				Fix:    fixStaleMap(b)}}
		}
		out = append(out, cov...)
	}
	return out
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
// quoted: it is not a map, and may be anything.
func notAMap(b dist.Bundle) Finding {
	what := "which is not a source map (not JSON)"
	if sameFile(b.Map.Path, b.Path) {
		what = "which is the bundle itself, not a source map"
	}
	fd := Finding{Status: StatusFail, Subject: b.Path,
		Fix: "make the sourceMappingURL comment name the bundle's map, relative to the bundle (e.g. //# sourceMappingURL=" + filepath.Base(b.Path) + ".map), or remove the comment and keep the map beside the bundle"}
	if b.Map.Rule != dist.RuleComment {
		fd.Detail = fmt.Sprintf("the map found beside the bundle, %s, is not a source map (not JSON)", b.Map.Path)
		fd.Fix = "keep the bundle's real map beside it (" + filepath.Base(b.Path) + ".map), and no other file under that name"
		return fd
	}
	ref := readRef(b.Path)
	fd.Detail = fmt.Sprintf("sourceMappingURL=%s points at %s, %s", ref.value, b.Map.Path, what)
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
	project := projectDir(root)
	var missing []string
	onDisk, without := 0, 0
	for i := range srcs {
		if _, ok := m.SourceContent(i); ok {
			continue
		}
		without++
		p := m.ResolveSource(base, i)
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

// projectDir is the first directory at or above root holding package.json or .git, or "".
func projectDir(root string) string {
	abs, err := filepath.Abs(root)
	if err != nil {
		return ""
	}
	for dir := abs; ; {
		for _, n := range []string{"package.json", ".git"} {
			if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
				return dir
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// jsonPos formats a byte offset as "at line L, column C (byte N) near `…`".
func jsonPos(data []byte, off int) string {
	off = max(0, min(off, len(data)))
	line := bytes.Count(data[:off], []byte("\n")) + 1
	col := off - (bytes.LastIndexByte(data[:off], '\n') + 1) + 1
	a, z := max(0, off-20), min(len(data), off+20)
	for a > 0 && !utf8.RuneStart(data[a]) {
		a--
	}
	for z < len(data) && !utf8.RuneStart(data[z]) {
		z++
	}
	near := strings.Join(strings.Fields(string(data[a:z])), " ")
	if off >= len(data) {
		return fmt.Sprintf("at the end of the file (byte %d, line %d): the file is truncated", off, line)
	}
	return fmt.Sprintf("at line %d, column %d (byte %d), near `%s`", line, col, off, near)
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

// mapWalk decodes every segment of a map (all sections of an index map) and records what the
// lookups of resolve would trip over later.
type mapWalk struct {
	lens     []int // the bundle's line lengths (UTF-16)
	lastLine int   // last generated line with a segment (0-based, bundle coordinates)
	overCol  int   // first line with a segment past its end, -1 when none
	overAt   int   // that segment's column
	badIndex string
	overlap  string
	prevEnd  int // last generated line of the previous section, for the overlap check
}

func (w *mapWalk) walkDoc(data []byte) error {
	members, _, _, err := jsonscan.Document(data)
	if err != nil {
		return err
	}
	for _, mb := range members {
		if mb.Key != "sections" {
			continue
		}
		elems, _, err := jsonscan.Array(data, mb.ValStart)
		if err != nil {
			return err
		}
		w.prevEnd = -1
		for i, e := range elems {
			sec := data[e[0]:e[1]]
			sm, _, err := jsonscan.Object(sec, 0)
			if err != nil {
				return fmt.Errorf("section %d: %w", i, err)
			}
			var off struct{ Line, Column int }
			var body []byte
			for _, f := range sm {
				switch f.Key {
				case "offset":
					_ = json.Unmarshal(sec[f.ValStart:f.ValEnd], &off)
				case "map":
					body = sec[f.ValStart:f.ValEnd]
				}
			}
			if body == nil {
				continue // a "url" section: the engine loaded and checked it; its extent is not walked
			}
			if w.prevEnd >= off.Line && w.overlap == "" && i > 0 {
				w.overlap = fmt.Sprintf("section %d has mappings on line %d, past section %d's start (line %d): those positions resolve through section %d", i-1, w.prevEnd+1, i, off.Line+1, i)
			}
			if err := w.walkMap(body, off.Line, off.Column, fmt.Sprintf("section %d: ", i)); err != nil {
				return fmt.Errorf("section %d: %w", i, err)
			}
		}
		return nil
	}
	return w.walkMap(data, 0, 0, "")
}

// walkMap walks one regular map (a document, or a section's "map" object).
func (w *mapWalk) walkMap(obj []byte, lineOff, colOff int, prefix string) error {
	members, _, err := jsonscan.Object(obj, jsonscan.SkipPrefix(obj))
	if err != nil {
		return err
	}
	var mappings string
	nSrc, nNames := 0, 0
	for _, mb := range members {
		v := obj[mb.ValStart:mb.ValEnd]
		switch mb.Key {
		case "mappings":
			if err := json.Unmarshal(v, &mappings); err != nil {
				return fmt.Errorf("mappings: %w", err)
			}
		case "sources", "names":
			if len(v) == 0 || v[0] != '[' {
				continue
			}
			elems, _, err := jsonscan.Array(v, 0)
			if err != nil {
				return err
			}
			if mb.Key == "sources" {
				nSrc = len(elems)
			} else {
				nNames = len(elems)
			}
		}
	}
	sectionEnd := -1
	var acc [5]int64
	line := 0
	for i := 0; i < len(mappings); {
		switch mappings[i] {
		case ';':
			line++
			acc[0] = 0
			i++
			continue
		case ',':
			i++
			continue
		}
		nf := 0
		for i < len(mappings) && mappings[i] != ',' && mappings[i] != ';' {
			v, next, err := decodeVLQ(mappings, i)
			if err != nil {
				return fmt.Errorf("generated line %d: %w", line+1, err)
			}
			i = next
			if nf < 5 {
				acc[nf] += v
			}
			nf++
		}
		if nf != 1 && nf != 4 && nf != 5 {
			return fmt.Errorf("generated line %d: segment with %d fields (want 1, 4 or 5)", line+1, nf)
		}
		gl, gc := line+lineOff, int(acc[0])
		if line == 0 {
			gc += colOff
		}
		sectionEnd = line + lineOff
		w.lastLine = max(w.lastLine, gl)
		if w.overCol < 0 && gl < len(w.lens) && gc > w.lens[gl] {
			w.overCol, w.overAt = gl, gc
		}
		if nf >= 4 && w.badIndex == "" {
			switch {
			case acc[1] < 0 || acc[1] >= int64(nSrc):
				w.badIndex = fmt.Sprintf("%sthe mapping at generated %d:%d names source #%d, but the map lists %s", prefix, gl+1, gc+1, acc[1], plural(nSrc, "source", "sources"))
			case acc[2] < 0 || acc[3] < 0:
				w.badIndex = fmt.Sprintf("%sthe mapping at generated %d:%d has a negative original position (%d, %d)", prefix, gl+1, gc+1, acc[2], acc[3])
			case nf == 5 && (acc[4] < 0 || acc[4] >= int64(nNames)):
				w.badIndex = fmt.Sprintf("%sthe mapping at generated %d:%d names name #%d, but the map lists %s", prefix, gl+1, gc+1, acc[4], plural(nNames, "name", "names"))
			}
		}
	}
	w.prevEnd = sectionEnd
	return nil
}

// decodeVLQ decodes one base64 VLQ value at s[i].
func decodeVLQ(s string, i int) (int64, int, error) {
	var v uint64
	for shift := uint(0); ; shift += 5 {
		if i >= len(s) {
			return 0, i, fmt.Errorf("truncated VLQ value at byte %d", i)
		}
		d := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", s[i])
		if d < 0 {
			return 0, i, fmt.Errorf("invalid character %q in mappings at byte %d", s[i], i)
		}
		if shift > 30 {
			return 0, i, fmt.Errorf("VLQ value too large at byte %d", i)
		}
		i++
		v |= uint64(d&31) << shift
		if d&32 == 0 {
			break
		}
	}
	if v&1 != 0 {
		return -int64(v >> 1), i, nil
	}
	return int64(v >> 1), i, nil
}

// coverage compares the map's extent with the bundle's lines.
func (w *mapWalk) coverage(subject string, lines, lastCode int) []Finding {
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
