package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/mapback/mapback/internal/dist"
)

// checkGenerated answers "does every bundle have a map?". A bundle without one can never be
// un-minified, so each is a failure naming the file, and the fix names the setting of the bundler
// that built it (found by walking up from the PATH to the project root).
//
// A bundle whose sourceMappingURL names a local file that is missing counts as generated: the
// bundler did write a map reference, and the missing file is the valid check's failure (so the
// user gets one problem with the path that was looked for, not two).
func checkGenerated(ctx context.Context, env *Env) Result {
	scan, err := env.Scan(ctx)
	if err != nil {
		return Result{Status: StatusFail, Detail: err.Error(), Fix: "point doctor at your build output, e.g. mapback doctor ./dist"}
	}
	if len(scan.Bundles) == 0 {
		return Result{Status: StatusFail,
			Detail: fmt.Sprintf("no %s files under %s", extList(env.Extensions), pathList(env.Paths)),
			Fix:    "point doctor at your build output, e.g. mapback doctor ./dist (or pass --ext for other extensions)"}
	}
	var res Result
	hints := map[string]bundlerHint{}
	hintFor := func(root string) bundlerHint {
		h, ok := hints[root]
		if !ok {
			h = detectBundler(root)
			hints[root] = h
		}
		return h
	}
	var inline, missingRef, mapless, unreadable int
	for _, b := range scan.Bundles {
		if b.Err != nil {
			if isEmbeddedMapErr(b.Err) {
				// An undecodable data: URL is a map that exists but is broken: the valid check's.
				continue
			}
			unreadable++
			res.Findings = append(res.Findings, Finding{Status: StatusFail, Subject: b.Path, Detail: b.Err.Error(),
				Fix: "fix or remove the file, or leave it out with --ignore " + shellArg(filepath.ToSlash(filepath.Base(b.Path)))})
			continue
		}
		if b.Map != nil {
			if b.Map.Rule == dist.RuleDataURL {
				inline++
			}
			for _, w := range b.Warnings {
				res.Findings = append(res.Findings, Finding{Status: StatusWarn, Subject: b.Path, Detail: w,
					Fix: "make the sourceMappingURL comment name the map as deployed beside the bundle (a build step moved or renamed it)"})
			}
			continue
		}
		ref := readRef(b.Path)
		if ref.kind == refLocal && !ref.found {
			missingRef++
			continue
		}
		mapless++
		h := hintFor(b.Root)
		f := Finding{Status: StatusFail, Subject: b.Path, Detail: "no source map: no sourceMappingURL comment and no map beside it", Fix: h.fix()}
		if isProjectRoot(b.Root) {
			// Pointed at the project, doctor sees config files and scripts as bundles, and not
			// the build output, which is usually gitignored (ignore files below a PATH apply).
			f.Fix = fmt.Sprintf("point doctor at your build output, not the project root %s (e.g. mapback doctor ./dist); if its bundles lack maps too: %s", b.Root, f.Fix)
		}
		if h.current != "" {
			f.Detail += fmt.Sprintf(" (%s has `%s`)", h.config, h.current)
		}
		if ref.kind == refRemote {
			f.Detail = fmt.Sprintf("sourceMappingURL %s is remote and no map is beside the bundle: the map must be uploaded from a local file", ref.value)
			f.Fix = "keep the .map files in the build output (next to each bundle) until they are uploaded"
		} else {
			if len(b.Warnings) > 0 {
				// dist's explanation says more than "no map".
				f.Detail = "no usable source map: " + strings.Join(b.Warnings, "; ")
			}
			for _, w := range b.Warnings {
				// The map exists but cannot be told apart: the bundler setting is not the fix.
				if strings.Contains(w, "claimed by") || strings.Contains(w, "referenced by") {
					f.Fix = "give each bundle its own map: make each bundle's sourceMappingURL name its map (different bundles point at, or guess, the same one)"
				}
			}
		}
		res.Findings = append(res.Findings, f)
	}
	n := len(scan.Bundles)
	switch mapless + unreadable {
	case 0:
		res.Detail = fmt.Sprintf("%d bundles, each with a map", n)
		if n == 1 {
			res.Detail = "1 bundle, with a map"
		}
		if inline > 0 {
			res.Detail += fmt.Sprintf(" (%d inline)", inline)
		}
		if missingRef > 0 {
			res.Detail = fmt.Sprintf("%s: %d with a map, %d naming a map that is missing (see the next check)", plural(n, "bundle", "bundles"), n-missingRef, missingRef)
		}
	default:
		parts := []string{}
		if mapless > 0 {
			parts = append(parts, fmt.Sprintf("%d of %d bundles have no map", mapless, n))
		}
		if unreadable > 0 {
			parts = append(parts, fmt.Sprintf("%d cannot be read", unreadable))
		}
		res.Detail = strings.Join(parts, ", ")
	}
	res.Fix = commonFix(res.Findings)
	return res
}

// isProjectRoot reports whether a PATH is a directory holding package.json: a project, not its
// build output.
func isProjectRoot(root string) bool {
	_, err := os.Stat(filepath.Join(root, "package.json"))
	return err == nil
}

// isEmbeddedMapErr recognises dist's error for a data: URL that does not decode.
func isEmbeddedMapErr(err error) bool {
	var e *dist.EmbeddedMapError
	return errors.As(err, &e)
}

// commonFix is the fix every warn/fail finding shares, or "" when they differ (each finding's fix
// is then printed under it).
func commonFix(fs []Finding) string {
	fix := ""
	for _, f := range fs {
		if f.Status != StatusWarn && f.Status != StatusFail {
			continue
		}
		if fix == "" {
			fix = f.Fix
		} else if f.Fix != fix {
			return ""
		}
	}
	return fix
}

func extList(exts []string) string {
	if len(exts) == 0 {
		exts = dist.DefaultExtensions
	}
	out := make([]string, len(exts))
	for i, e := range exts {
		out[i] = "." + strings.TrimPrefix(strings.TrimSpace(e), ".")
	}
	return strings.Join(out, "/")
}

func pathList(paths []string) string {
	if len(paths) == 0 {
		return "."
	}
	return strings.Join(paths, ", ")
}

// refKind is what a bundle's last sourceMappingURL comment names.
type refKind int

const (
	refNone   refKind = iota
	refData           // a data: URL
	refRemote         // http(s)://… : nothing local to read
	refLocal          // a file path, relative to the bundle or absolute
)

type mapRef struct {
	kind  refKind
	value string // as written (data: URLs shortened)
	path  string // refLocal: the file it names, as doctor looked for it
	found bool   // refLocal: that file exists (dist then declined it, e.g. two bundles claim it)
}

// readRef reads the bundle's sourceMappingURL comment and classifies it.
func readRef(bundle string) mapRef {
	js, err := os.ReadFile(bundle)
	if err != nil {
		return mapRef{}
	}
	return refOf(bundle, js)
}

func refOf(bundle string, js []byte) mapRef {
	v, _, _, ok := dist.SourceMappingURL(js)
	if !ok || v == "" {
		return mapRef{}
	}
	if len(v) >= 5 && strings.EqualFold(v[:5], "data:") {
		if k := strings.IndexByte(v, ','); k >= 0 {
			v = v[:k+1] + "…"
		}
		return mapRef{kind: refData, value: v}
	}
	if i := strings.Index(v, "://"); i > 0 && !strings.EqualFold(v[:i], "file") {
		return mapRef{kind: refRemote, value: v}
	}
	p := strings.TrimPrefix(strings.TrimPrefix(v, "file://"), "localhost")
	if !filepath.IsAbs(filepath.FromSlash(p)) {
		p = filepath.Join(filepath.Dir(bundle), filepath.FromSlash(p))
	}
	p = filepath.Clean(p)
	_, err := os.Stat(p)
	return mapRef{kind: refLocal, value: v, path: p, found: err == nil}
}

// bundlerHint is the bundler that built a PATH, as far as its project's files tell.
type bundlerHint struct {
	name    string // vite, webpack, esbuild, rollup, next; "" when unknown
	config  string // the file that told (a config file or package.json), for display
	current string // what the config says now about source maps, e.g. "devtool: 'eval'"
}

// configNames are the config files per bundler, in the order they are tried: Next.js runs
// webpack and vite runs rollup, so their own configs come first.
var configNames = []struct{ name, prefix string }{
	{"next", "next.config."},
	{"vite", "vite.config."},
	{"webpack", "webpack.config."},
	{"rollup", "rollup.config."},
	{"esbuild", "esbuild.config."},
}

var configExts = map[string]bool{".js": true, ".ts": true, ".mjs": true, ".cjs": true, ".mts": true, ".cts": true}

// currentSetting finds what a config file already says about maps (the first uncommented match).
// currentSetting is compiled on first use (sync.OnceValue): package initialisation runs on every
// mapback command, and these patterns are needed only when a bundle has no map.
var currentSetting = sync.OnceValue(func() map[string]*regexp.Regexp {
	return map[string]*regexp.Regexp{
		"next":    regexp.MustCompile(`(?m)^[^/\n]*?(productionBrowserSourceMaps\s*:\s*[^,\n}]+)`),
		"vite":    regexp.MustCompile(`(?m)^[^/\n]*?(sourcemap\s*:\s*[^,\n}]+)`),
		"webpack": regexp.MustCompile(`(?m)^[^/\n]*?(devtool\s*:\s*[^,\n}]+)`),
		"rollup":  regexp.MustCompile(`(?m)^[^/\n]*?(sourcemap\s*:\s*[^,\n}]+)`),
		"esbuild": regexp.MustCompile(`(?m)^[^/\n]*?(sourcemap\s*:\s*[^,\n}]+)`),
	}
})

// detectBundler walks up from root (a PATH) to the filesystem root, stopping at the first directory
// holding package.json or .git, and returns the first bundler config it finds on the way.
func detectBundler(root string) bundlerHint {
	abs, err := filepath.Abs(root)
	if err != nil {
		return bundlerHint{}
	}
	if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
		abs = filepath.Dir(abs)
	}
	for dir := abs; ; {
		entries, _ := os.ReadDir(dir)
		names := map[string]bool{}
		for _, e := range entries {
			names[e.Name()] = true
		}
		for _, c := range configNames {
			for _, e := range entries { // sorted: the same file wins every run
				n := e.Name()
				if strings.HasPrefix(n, c.prefix) && configExts[filepath.Ext(n)] && len(n) == len(c.prefix)+len(filepath.Ext(n))-1 {
					return newHint(c.name, filepath.Join(dir, n))
				}
			}
		}
		for _, n := range []string{"build.mjs", "build.js", "build.cjs", "build.ts"} {
			if names[n] {
				if data, err := os.ReadFile(filepath.Join(dir, n)); err == nil && strings.Contains(string(data), "esbuild") {
					return newHint("esbuild", filepath.Join(dir, n))
				}
			}
		}
		if names["package.json"] {
			return fromPackageJSON(filepath.Join(dir, "package.json"))
		}
		if names[".git"] {
			return bundlerHint{}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return bundlerHint{}
		}
		dir = parent
	}
}

func newHint(name, file string) bundlerHint {
	h := bundlerHint{name: name, config: displayPath(file)}
	if re := currentSetting()[name]; re != nil {
		if data, err := os.ReadFile(file); err == nil && len(data) < 1<<20 {
			if m := re.FindSubmatch(data); m != nil {
				h.current = strings.TrimSpace(string(m[1]))
			}
		}
	}
	return h
}

// fromPackageJSON recognises a bundler run by the package's scripts (vite, next and webpack work
// without a config file; esbuild usually has none).
func fromPackageJSON(file string) bundlerHint {
	data, err := os.ReadFile(file)
	if err != nil {
		return bundlerHint{}
	}
	var pkg struct {
		Scripts map[string]string `json:"scripts"`
	}
	if json.Unmarshal(data, &pkg) != nil {
		return bundlerHint{}
	}
	var all []string
	for _, s := range pkg.Scripts {
		all = append(all, s)
	}
	text := " " + strings.Join(all, " ; ") + " "
	for _, b := range []struct{ name, re string }{
		{"next", `\bnext\s+build\b`},
		{"vite", `\bvite(\s+build)?\b`},
		{"webpack", `\bwebpack\b`},
		{"rollup", `\brollup\b`},
		{"esbuild", `\besbuild\b`},
	} {
		if regexp.MustCompile(b.re).MatchString(text) {
			return bundlerHint{name: b.name, config: displayPath(file)}
		}
	}
	return bundlerHint{}
}

// displayPath shows p relative to the working directory when that is shorter.
func displayPath(p string) string {
	if wd, err := os.Getwd(); err == nil {
		if r, err := filepath.Rel(wd, p); err == nil && len(r) < len(p) {
			return r
		}
	}
	return p
}

const genericMapFix = "enable source maps in your bundler: vite `build: { sourcemap: true }`, webpack `devtool: 'source-map'`, esbuild `--sourcemap`, rollup `output.sourcemap: true`, Next.js `productionBrowserSourceMaps: true`"

// fix is the one-line fix for bundles without a map built by this bundler.
func (h bundlerHint) fix() string {
	switch h.name {
	case "vite":
		if strings.HasSuffix(h.config, "package.json") {
			return "create vite.config.ts with `export default { build: { sourcemap: true } }` (or 'hidden' to not reference the map from the bundle)"
		}
		return fmt.Sprintf("set `build: { sourcemap: true }` in %s (or 'hidden' to not reference the map from the bundle)", h.config)
	case "webpack":
		if strings.HasSuffix(h.config, "package.json") {
			return "set `devtool: 'source-map'` (or 'hidden-source-map') in webpack.config.js, or pass --devtool source-map to webpack in package.json"
		}
		return fmt.Sprintf("set `devtool: 'source-map'` (or 'hidden-source-map') in %s", h.config)
	case "esbuild":
		if strings.HasSuffix(h.config, "package.json") {
			return fmt.Sprintf("add `--sourcemap` to the esbuild command in %s (or `sourcemap: true` in its build script)", h.config)
		}
		return fmt.Sprintf("set `sourcemap: true` in the esbuild options in %s (CLI: `--sourcemap`)", h.config)
	case "rollup":
		if strings.HasSuffix(h.config, "package.json") {
			return fmt.Sprintf("add `--sourcemap` to the rollup command in %s (or `output.sourcemap: true` in rollup.config.mjs)", h.config)
		}
		return fmt.Sprintf("set `output.sourcemap: true` in %s", h.config)
	case "next":
		if strings.HasSuffix(h.config, "package.json") {
			return "create next.config.js with `module.exports = { productionBrowserSourceMaps: true }`"
		}
		return fmt.Sprintf("set `productionBrowserSourceMaps: true` in %s", h.config)
	}
	return genericMapFix
}
