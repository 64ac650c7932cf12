package doctor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/inject"
	"github.com/mapback/mapback/internal/sourcemap"
	"github.com/mapback/mapback/internal/testkit"
)

// The local checks, by ID.
const (
	idGenerated = "sourcemaps-generated"
	idValid     = "sourcemaps-valid"
	idDebugIDs  = "debug-ids"
)

const fixtureDir = "../../testdata/doctor"

// localCase is one fixture directory of testdata/doctor: the status each local check must report
// and, for the check that does not pass, text its fix and a finding's detail must contain.
type localCase struct {
	dir             string
	gen, valid, ids Status
	fix, detail     string
	fixAlso         string
	// check, when set, is the check whose fix and detail are matched: another local check may
	// report a consequence of the same defect.
	check string
}

var localCases = []localCase{
	{dir: "healthy", gen: StatusOK, valid: StatusOK, ids: StatusOK},
	{dir: "inline-map", gen: StatusOK, valid: StatusOK, ids: StatusOK},
	{dir: "index-map", gen: StatusOK, valid: StatusOK, ids: StatusOK},
	{dir: "plugin-injected", gen: StatusOK, valid: StatusOK, ids: StatusOK},
	{dir: "no-sources-content-on-disk", gen: StatusOK, valid: StatusOK, ids: StatusOK},

	// 1. generated: the map check cannot run without maps, so it skips.
	{dir: "no-map-vite", gen: StatusFail, valid: StatusSkip, ids: StatusOK,
		fix: "set `build: { sourcemap: true }` in", fixAlso: "no-map-vite/vite.config.ts", detail: "has `sourcemap: false`"},
	{dir: "no-map-webpack", gen: StatusFail, valid: StatusSkip, ids: StatusOK,
		fix: "set `devtool: 'source-map'` (or 'hidden-source-map') in", fixAlso: "no-map-webpack/webpack.config.js", detail: "has `devtool: false`"},
	{dir: "no-map-esbuild", gen: StatusFail, valid: StatusSkip, ids: StatusOK,
		fix: "add `--sourcemap` to the esbuild command in", fixAlso: "no-map-esbuild/package.json", detail: "no sourceMappingURL comment and no map beside it"},
	{dir: "no-map-rollup", gen: StatusFail, valid: StatusSkip, ids: StatusOK,
		fix: "set `output.sourcemap: true` in", fixAlso: "no-map-rollup/rollup.config.mjs"},
	{dir: "no-map-next", gen: StatusFail, valid: StatusSkip, ids: StatusOK,
		fix: "set `productionBrowserSourceMaps: true` in", fixAlso: "no-map-next/next.config.js"},
	{dir: "no-map-unknown", gen: StatusFail, valid: StatusSkip, ids: StatusOK, fix: genericMapFix},
	{dir: "remote-map", gen: StatusFail, valid: StatusSkip, ids: StatusOK,
		fix: "keep the .map files in the build output", detail: "https://cdn.example.com/app.js.map is remote"},
	{dir: "no-bundles", gen: StatusFail, valid: StatusSkip, ids: StatusSkip,
		fix: "point doctor at your build output, e.g. mapback doctor ./dist", detail: "no .js/.mjs/.cjs files under"},
	{dir: "moved-map", gen: StatusWarn, valid: StatusOK, ids: StatusOK,
		fix: "make the sourceMappingURL comment name the map", detail: "sourceMappingURL maps/app.js.map does not exist: using co-located"},

	// 2. valid
	{dir: "bad-json", gen: StatusOK, valid: StatusFail, ids: StatusOK,
		fix: "the map is damaged", detail: "not valid JSON: unterminated string at line 1, column 76 (byte 75)"},
	{dir: "wrong-version", gen: StatusOK, valid: StatusFail, ids: StatusOK,
		fix: "only version 3 source maps", detail: "version: is 2; only version 3 source maps exist"},
	{dir: "bad-vlq", gen: StatusOK, valid: StatusFail, ids: StatusOK,
		fix: "rebuild to regenerate the map", detail: "mappings, generated line 3, segment 4 (after column 12): '!' is not a base64 digit (byte 20 of the mappings)"},
	{dir: "source-index", gen: StatusOK, valid: StatusFail, ids: StatusOK,
		fix: "an index out of range", detail: "mappings, generated line 4, column 13: source index 3 is out of range (the map has 1 source)"},
	{dir: "name-index", gen: StatusOK, valid: StatusFail, ids: StatusOK,
		fix: "an index out of range", detail: "mappings, generated line 4, column 13: name index 5 is out of range (the map has 2 names); the segment has no name"},
	{dir: "no-sources-content", gen: StatusOK, valid: StatusWarn, ids: StatusOK,
		fix: "include sourcesContent in the maps", detail: "1 of 1 sources have no sourcesContent and are not on disk"},
	{dir: "map-shorter", gen: StatusOK, valid: StatusWarn, ids: StatusOK,
		fix: "pass the map on", detail: "map covers lines 1–4 of 6: the bundle was changed after the map was written"},
	{dir: "missing-map-file", gen: StatusOK, valid: StatusFail, ids: StatusOK,
		fix: "keep each .map file beside its bundle until it is uploaded", detail: "sourceMappingURL=app.js.map names ../../testdata/doctor/missing-map-file/dist/app.js.map, which does not exist"},
	{dir: "bad-inline-map", gen: StatusOK, valid: StatusFail, ids: StatusSkip,
		fix: "the map is damaged", detail: "inline source map (data: URL): embedded source map is not valid base64"},
	{dir: "map-not-a-map", gen: StatusOK, valid: StatusFail, ids: StatusOK,
		fix: "make the sourceMappingURL comment name the bundle's map", detail: "not a source map: the file is not a JSON object; the sourceMappingURL=app.js of ../../testdata/doctor/map-not-a-map/dist/app.js points at it, and it is the bundle itself"},

	// 3. debug IDs
	{dir: "not-injected", gen: StatusOK, valid: StatusOK, ids: StatusFail,
		fix: "mapback sourcemaps inject ../../testdata/doctor/not-injected/dist", detail: "not injected"},
	{dir: "map-without-id", gen: StatusOK, valid: StatusOK, ids: StatusFail,
		fix: "mapback sourcemaps inject ../../testdata/doctor/map-without-id/dist", detail: "map-without-id/dist/app.js.map has no debug ID"},
	{dir: "shared-id", gen: StatusOK, valid: StatusOK, ids: StatusFail,
		fix: "give each bundle its own ID", detail: "2 different bundles share this debug ID"},
	{dir: "rebuilt-map-id", gen: StatusOK, valid: StatusOK, ids: StatusFail,
		fix: fixRebuilt, detail: "has 4a1b2c3d-0000-5000-8000-00000000cafe"},
	{dir: "rebuilt-snippet", gen: StatusOK, valid: StatusOK, ids: StatusFail,
		fix: fixRebuilt, detail: "the //# debugId comment says 4a1b2c3d-0000-5000-8000-00000000cafe but the snippet registers"},
	// The map of an earlier injected build beside a fresh bundle: injecting would shift the map
	// again, so the fix is to rebuild both (the valid check sees the map not fitting, same fix).
	{dir: "stale-map-id", gen: StatusOK, valid: StatusWarn, ids: StatusFail, check: idDebugIDs,
		fix: "rebuild the bundle and its map together", fixAlso: "then run mapback sourcemaps inject",
		detail: "the map belongs to an earlier, injected build, so bundle and map do not belong together"},
	{dir: "plugin-map-without-id", gen: StatusOK, valid: StatusOK, ids: StatusWarn,
		fix: "upload these files with the Sentry bundler plugin", detail: "injected by a Sentry bundler plugin"},
}

func locRun(t *testing.T, paths ...string) *Report {
	t.Helper()
	rep, err := Run(context.Background(), Options{Paths: paths, Offline: true})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

func locResult(t *testing.T, rep *Report, id string) Result {
	t.Helper()
	r, ok := rep.Result(id)
	if !ok {
		t.Fatalf("no result for %s", id)
	}
	return r
}

// TestLocalFixtures runs doctor on each fixture and requires exactly the expected local check to
// fail or warn, with the expected fix; the server, upload, trace and event checks are not looked at.
func TestLocalFixtures(t *testing.T) {
	for _, tc := range localCases {
		t.Run(tc.dir, func(t *testing.T) {
			rep := locRun(t, filepath.Join(fixtureDir, tc.dir, "dist"))
			var bad *Result
			for _, w := range []struct {
				id   string
				want Status
			}{{idGenerated, tc.gen}, {idValid, tc.valid}, {idDebugIDs, tc.ids}} {
				r := locResult(t, rep, w.id)
				if r.Status != w.want {
					t.Errorf("%s: status %s, want %s\n%s", w.id, r.Status, w.want, locDump(r))
				}
				if r.Status == StatusWarn || r.Status == StatusFail {
					switch {
					case tc.check != "":
						if r.ID == tc.check {
							bad = &r
						}
					case bad != nil:
						t.Errorf("both %s and %s report a problem", bad.ID, r.ID)
					default:
						bad = &r
					}
				}
				if r.Detail == "" {
					t.Errorf("%s: empty detail", w.id)
				}
			}
			if tc.fix == "" {
				if bad != nil {
					t.Fatalf("healthy fixture: %s reports %s\n%s", bad.ID, bad.Status, locDump(*bad))
				}
				return
			}
			if bad == nil {
				t.Fatal("no local check reported a problem")
			}
			fixes := []string{bad.Fix}
			details := []string{bad.Detail}
			for _, f := range bad.Findings {
				if f.Status == StatusWarn || f.Status == StatusFail {
					fixes = append(fixes, f.Fix)
					details = append(details, f.Detail)
					if f.Fix == "" {
						t.Errorf("finding without a fix: %+v", f)
					}
				}
			}
			if !locContains(fixes, tc.fix) || !locContains(fixes, tc.fixAlso) {
				t.Errorf("%s: no fix contains %q and %q\n%s", bad.ID, tc.fix, tc.fixAlso, locDump(*bad))
			}
			if !locContains(details, tc.detail) {
				t.Errorf("%s: no detail contains %q\n%s", bad.ID, tc.detail, locDump(*bad))
			}
			if bad.Status == StatusFail && bad.ID != idGenerated || bad.ID == idGenerated && tc.dir != "no-bundles" {
				// Problems name their file (or debug ID): the user must know where to look.
				for _, f := range bad.Findings {
					if (f.Status == StatusFail || f.Status == StatusWarn) && f.Subject == "" {
						t.Errorf("finding without a subject: %+v", f)
					}
				}
			}
		})
	}
}

func locDump(r Result) string {
	var b strings.Builder
	b.WriteString("  " + string(r.Status) + ": " + r.Detail + "\n  fix: " + r.Fix + "\n")
	for _, f := range r.Findings {
		b.WriteString("    " + string(f.Status) + " " + f.Subject + ": " + f.Detail + " | fix: " + f.Fix + "\n")
	}
	return b.String()
}

// locContains matches with slashes, so the paths in expectations hold on Windows too.
func locContains(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(filepath.ToSlash(s), sub) {
			return true
		}
	}
	return false
}

// TestFixturesListed keeps the fixtures, the table above and testdata/doctor/README.md in step:
// a fixture nobody asserts on, or a README entry without a directory, is a lie. The local checks'
// fixtures are the directories with a dist/ (other checks keep their own files there too).
func TestFixturesListed(t *testing.T) {
	entries, err := os.ReadDir(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(fixtureDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	inTable := map[string]bool{}
	for _, tc := range localCases {
		inTable[tc.dir] = true
		if fi, err := os.Stat(filepath.Join(fixtureDir, tc.dir, "dist")); err != nil || !fi.IsDir() {
			t.Errorf("case %s: no directory %s/dist", tc.dir, tc.dir)
		}
		if !strings.Contains(string(readme), "| `"+tc.dir+"/` |") {
			t.Errorf("case %s is not listed in README.md", tc.dir)
		}
	}
	for _, e := range entries {
		if fi, err := os.Stat(filepath.Join(fixtureDir, e.Name(), "dist")); err == nil && fi.IsDir() && !inTable[e.Name()] {
			t.Errorf("fixture %s is not in localCases", e.Name())
		}
	}
	for _, tc := range traceEventCases { // trace_test.go's fixtures: a trace or an event, no dist/
		inTable[tc.fixture] = true
		if !strings.Contains(string(readme), "| `"+tc.fixture+"/` |") {
			t.Errorf("case %s is not listed in README.md", tc.fixture)
		}
	}
	for _, m := range regexp.MustCompile("(?m)^\\| `([^`]+)/` \\|").FindAllStringSubmatch(string(readme), -1) {
		if !inTable[m[1]] {
			t.Errorf("README.md lists %s, which no case tests", m[1])
		}
	}
}

// TestRealBuildsHealthyAfterInject guards against false alarms: every real bundler output in
// testdata/fixtures (esbuild with trailing legal comments, webpack, rollup, vite) passes all
// three checks once injected, and before injection only the debug ID check fails.
func TestRealBuildsHealthyAfterInject(t *testing.T) {
	for _, name := range []string{"esbuild-cjs", "esbuild-esm", "rollup", "vite", "webpack"} {
		t.Run(name, func(t *testing.T) {
			dir := testkit.CopyTree(t, filepath.Join("../../testdata/fixtures", name))
			rep := locRun(t, dir)
			for id, want := range map[string]Status{idGenerated: StatusOK, idValid: StatusOK, idDebugIDs: StatusFail} {
				if r := locResult(t, rep, id); r.Status != want {
					t.Errorf("before inject: %s is %s, want %s\n%s", id, r.Status, want, locDump(r))
				}
			}
			if _, err := inject.Run(context.Background(), inject.Options{Scan: dist.Options{Paths: []string{dir}}}); err != nil {
				t.Fatal(err)
			}
			rep = locRun(t, dir)
			for _, id := range []string{idGenerated, idValid, idDebugIDs} {
				if r := locResult(t, rep, id); r.Status != StatusOK {
					t.Errorf("after inject: %s is %s\n%s", id, r.Status, locDump(r))
				}
			}
		})
	}
}

// TestIdenticalCopiesShareAnID: a byte-identical copy of a bundle pointing at the same map (a
// .min.js beside its .js) shares its debug ID legitimately.
func TestIdenticalCopiesShareAnID(t *testing.T) {
	dir := testkit.CopyTree(t, filepath.Join(fixtureDir, "healthy", "dist"))
	data, err := os.ReadFile(filepath.Join(dir, "app.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	testkit.WriteFile(t, filepath.Join(dir, "app.copy.mjs"), string(data))
	rep := locRun(t, dir)
	for _, id := range []string{idGenerated, idValid, idDebugIDs} {
		if r := locResult(t, rep, id); r.Status != StatusOK {
			t.Errorf("%s is %s\n%s", id, r.Status, locDump(r))
		}
	}
	// The same copy with one byte changed is a different bundle with a borrowed ID.
	testkit.WriteFile(t, filepath.Join(dir, "app.copy.mjs"), strings.Replace(string(data), "usage", "Usage", 1))
	rep = locRun(t, dir)
	r := locResult(t, rep, idDebugIDs)
	if r.Status != StatusFail || !locContains([]string{locDump(r)}, "different bundles share this debug ID") {
		t.Errorf("changed copy: want a shared-ID failure\n%s", locDump(r))
	}
}

// TestBundlerDetection: the config is found in an ancestor of the PATH, the walk stops at the
// first package.json (a monorepo's root config is not this package's), and at .git.
func TestBundlerDetection(t *testing.T) {
	root := t.TempDir()
	js := "var a=1;\n"
	cases := []struct {
		name  string
		files map[string]string
		path  string
		fix   string
	}{
		{"vite config two levels up", map[string]string{"p/vite.config.mjs": "export default {}\n", "p/dist/assets/a.js": js}, "p/dist/assets", "`build: { sourcemap: true }` in "},
		{"vite from scripts only", map[string]string{"p/package.json": `{"scripts":{"build":"vite build"}}`, "p/dist/a.js": js}, "p/dist", "create vite.config.ts"},
		{"webpack from scripts only", map[string]string{"p/package.json": `{"scripts":{"build":"webpack --mode production"}}`, "p/dist/a.js": js}, "p/dist", "--devtool source-map"},
		{"esbuild build script", map[string]string{"p/build.mjs": "import * as esbuild from 'esbuild'\n", "p/dist/a.js": js}, "p/dist", "`sourcemap: true` in the esbuild options in"},
		{"stops at package.json", map[string]string{"m/webpack.config.js": "module.exports={}\n", "m/app/package.json": `{"scripts":{"build":"make"}}`, "m/app/dist/a.js": js}, "m/app/dist", genericMapFix},
		{"stops at .git", map[string]string{"g/rollup.config.js": "export default {}\n", "g/repo/.git/HEAD": "ref: x\n", "g/repo/dist/a.js": js}, "g/repo/dist", genericMapFix},
		{"next before webpack", map[string]string{"n/next.config.mjs": "export default {}\n", "n/webpack.config.js": "module.exports={}\n", "n/out/a.js": js}, "n/out", "productionBrowserSourceMaps"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := filepath.Join(root, strings.ReplaceAll(tc.name, " ", "-"))
			testkit.WriteTree(t, base, tc.files)
			r := locResult(t, locRun(t, filepath.Join(base, tc.path)), idGenerated)
			if r.Status != StatusFail || !strings.Contains(r.Fix, tc.fix) {
				t.Errorf("want a failure with fix %q\n%s", tc.fix, locDump(r))
			}
		})
	}
}

// TestMapClaimedByTwoBundles: two different bundles naming one map get no map from dist; the fix
// is about the references, not the bundler setting, and no check calls the map missing.
func TestMapClaimedByTwoBundles(t *testing.T) {
	dir := t.TempDir()
	testkit.WriteFile(t, filepath.Join(dir, "a.js"), "var a=1;\n//# sourceMappingURL=x.js.map\n")
	testkit.WriteFile(t, filepath.Join(dir, "b.js"), "var b=2;\n//# sourceMappingURL=x.js.map\n")
	testkit.WriteFile(t, filepath.Join(dir, "x.js.map"), `{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA"}`)
	rep := locRun(t, dir)
	r := locResult(t, rep, idGenerated)
	if r.Status != StatusFail || !strings.Contains(r.Fix, "give each bundle its own map") || !strings.Contains(locDump(r), "is claimed by 2 bundles") {
		t.Errorf("generated:\n%s", locDump(r))
	}
	if r := locResult(t, rep, idValid); r.Status != StatusSkip {
		t.Errorf("valid: want skip (no bundle has a map)\n%s", locDump(r))
	}
}

// TestProjectRootAsPath: pointed at the project instead of its build, the fix says so first.
func TestProjectRootAsPath(t *testing.T) {
	dir := t.TempDir()
	testkit.WriteFile(t, filepath.Join(dir, "package.json"), `{"scripts":{"build":"vite build"}}`)
	testkit.WriteFile(t, filepath.Join(dir, "eslint.config.js"), "export default [];\n")
	r := locResult(t, locRun(t, dir), idGenerated)
	if r.Status != StatusFail || !strings.Contains(r.Fix, "point doctor at your build output, not the project root") || !strings.Contains(r.Fix, "vite.config.ts") {
		t.Errorf("generated:\n%s", locDump(r))
	}
}

// TestMapNotAMap: an absolute sourceMappingURL naming a file that exists but is not a map is
// named as such, with a note on absolute URLs, and the file's content is not quoted.
func TestMapNotAMap(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "etc", "passwd")
	testkit.WriteFile(t, secret, "root:x:0:0:root:/root:/bin/bash\n")
	abs := filepath.ToSlash(secret)
	if !strings.HasPrefix(abs, "/") {
		t.Skip("an absolute path that is also an absolute URL path needs a POSIX file system")
	}
	testkit.WriteFile(t, filepath.Join(dir, "dist", "app.js"), "var a=1;\n//# sourceMappingURL="+abs+"\n")
	r := locResult(t, locRun(t, filepath.Join(dir, "dist")), idValid)
	dump := locDump(r)
	if r.Status != StatusFail || !strings.Contains(dump, secret+": not a source map: the file is not a JSON object; the sourceMappingURL="+abs+" of ") ||
		!strings.Contains(dump, "URL path on the server") || !strings.Contains(r.Fix, "name the bundle's map") {
		t.Errorf("want a failure naming the file as not a map\n%s", dump)
	}
	for _, bad := range []string{"root:x", "damaged", "truncated"} {
		if strings.Contains(dump, bad) {
			t.Errorf("the finding says %q\n%s", bad, dump)
		}
	}
}

// TestInjectedTwice: mapback's snippet and a bundler plugin's with different IDs in one bundle.
func TestInjectedTwice(t *testing.T) {
	dir := testkit.CopyTree(t, filepath.Join(fixtureDir, "healthy", "dist"))
	p := filepath.Join(dir, "app.mjs")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	plugin := `!function(){try{var e=globalThis;e._sentryDebugIdIdentifier="sentry-dbid-7f3d3a8e-2b7c-4e55-9a51-0d9c6d5e4a11"}catch(e){}}();` + "\n"
	testkit.WriteFile(t, p, plugin+string(data))
	r := locResult(t, locRun(t, dir), idDebugIDs)
	if r.Status != StatusFail || !strings.Contains(locDump(r), "injected twice") {
		t.Errorf("debug IDs:\n%s", locDump(r))
	}
}

// TestUnreadableBundle: a .js file that is not UTF-8 is named, with a way to leave it out.
func TestUnreadableBundle(t *testing.T) {
	dir := t.TempDir()
	testkit.WriteFile(t, filepath.Join(dir, "legacy.js"), "var s=\"\xff\xfe\";\n")
	rep := locRun(t, dir)
	r := locResult(t, rep, idGenerated)
	if r.Status != StatusFail || !strings.Contains(locDump(r), "not valid UTF-8") || !strings.Contains(r.Fix, "--ignore legacy.js") {
		t.Errorf("generated:\n%s", locDump(r))
	}
	for _, id := range []string{idValid, idDebugIDs} {
		if r := locResult(t, rep, id); r.Status != StatusSkip {
			t.Errorf("%s: want skip\n%s", id, locDump(r))
		}
	}
}

// TestNoBundlesAndBadPath: both stop the checks that need bundles, with a reason.
func TestNoBundlesAndBadPath(t *testing.T) {
	rep := locRun(t, filepath.Join(t.TempDir(), "missing"))
	if r := locResult(t, rep, idGenerated); r.Status != StatusFail || !strings.Contains(r.Detail, "does not exist") {
		t.Errorf("missing path:\n%s", locDump(r))
	}
	for _, id := range []string{idValid, idDebugIDs} {
		if r := locResult(t, rep, id); r.Status != StatusSkip || r.Detail == "" {
			t.Errorf("%s: want skip with a reason\n%s", id, locDump(r))
		}
	}
}

// TestMapExtent covers what the fixtures do not: a map reaching past the bundle's last line, a
// mapping past the end of its line, and index-map sections whose mappings run into the next one.
func TestMapExtent(t *testing.T) {
	const bundle = "function g(n){return\"hello \"+n}\nconsole.log(g(\"world\"));\n//# sourceMappingURL=app.js.map\n"
	mapWith := func(mappings string) string {
		return `{"version":3,"sources":["a.js"],"sourcesContent":["x"],"names":["g"],"mappings":"` + mappings + `"}`
	}
	cases := []struct{ name, js, m, detail string }{
		{"beyond the last line", bundle, mapWith("AAAA;AACA;;;AACA"), "map has mappings on line 5 but the bundle has 4 lines"},
		{"past the end of a line", bundle, mapWith("AAAA;AACA,8BAAA"), "map has a mapping at 2:31 but line 2 of the bundle is 24 columns long"},
		{"no mappings", bundle, mapWith(""), "the map has no mappings"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			testkit.WriteFile(t, filepath.Join(dir, "app.js"), tc.js)
			testkit.WriteFile(t, filepath.Join(dir, "app.js.map"), tc.m)
			r := locResult(t, locRun(t, dir), idValid)
			if r.Status != StatusWarn || !locContains([]string{locDump(r)}, tc.detail) {
				t.Errorf("want a warning %q\n%s", tc.detail, locDump(r))
			}
		})
	}
}

// TestIndexMapSections: sections are compared by line and column. Two sections on one line are
// fine when the first one's mappings end before the second starts; a section that starts at or
// before the previous one's last mapping fails, naming both positions.
func TestIndexMapSections(t *testing.T) {
	const bundle = "function g(n){return\"hello \"+n}console.log(g(\"world\"));\n//# sourceMappingURL=app.js.map\n"
	sec := func(line, col int, mappings string) string {
		return fmt.Sprintf(`{"offset":{"line":%d,"column":%d},"map":{"version":3,"sources":["a.js"],"sourcesContent":["x"],"names":[],"mappings":"%s"}}`, line, col, mappings)
	}
	index := func(secs ...string) string { return `{"version":3,"sections":[` + strings.Join(secs, ",") + `]}` }
	cases := []struct {
		name, m string
		want    Status
		detail  string
	}{
		{"two sections on one line", index(sec(0, 0, "AAAA,SAAS"), sec(0, 32, "AAAA,IAAI")), StatusOK, "1 map parsed"},
		{"second starts before the first's last mapping", index(sec(0, 0, "AAAA,kCAAS"), sec(0, 10, "AAAA")), StatusFail,
			"sections[1].offset: (line 1, column 11) is not after sections[0]'s last mapping (line 1, column 35)"},
		{"sections on later lines", index(sec(0, 0, "AAAA;AACA"), sec(1, 0, "AAAA")), StatusFail,
			"sections[1].offset: (line 2, column 1) is not after sections[0]'s last mapping (line 2, column 1)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			testkit.WriteFile(t, filepath.Join(dir, "app.js"), bundle)
			testkit.WriteFile(t, filepath.Join(dir, "app.js.map"), tc.m)
			r := locResult(t, locRun(t, dir), idValid)
			if r.Status != tc.want || !locContains([]string{locDump(r)}, tc.detail) {
				t.Errorf("want %s with %q\n%s", tc.want, tc.detail, locDump(r))
			}
		})
	}
}

// TestBundleLines: lines split as V8 splits them, lengths in UTF-16, trailing comments ignored.
func TestBundleLines(t *testing.T) {
	cases := []struct {
		js       string
		lens     []int
		lastCode int
	}{
		{"a\nbb\r\nccc\rdddd", []int{1, 2, 3, 4}, 3},
		{"x\u2028y\u2029z", []int{1, 1, 1}, 2},
		{"\"🎉é\"\n", []int{5, 0}, 0},
		{"code();\n/*! legal\n * comment */\n//# sourceMappingURL=a.js.map\n\n//# debugId=x\n", []int{7, 9, 13, 29, 0, 13, 0}, 0},
		{"a();\n/* one */ /* two */\n// c\nb();//# sourceMappingURL=x\n", []int{4, 19, 4, 26, 0}, 3},
		{"", []int{0}, 0},
	}
	for _, tc := range cases {
		lens, last := bundleLines([]byte(tc.js))
		if !locEqualInts(lens, tc.lens) || last != tc.lastCode {
			t.Errorf("bundleLines(%q) = %v, %d; want %v, %d", tc.js, lens, last, tc.lens, tc.lastCode)
		}
	}
}

func locEqualInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestDebugIDMapKeys: a map whose two ID keys disagree, or hold something that is not an ID.
func TestDebugIDMapKeys(t *testing.T) {
	src := filepath.Join(fixtureDir, "healthy", "dist")
	data, err := os.ReadFile(filepath.Join(src, "app.mjs.map"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, from, to, detail string }{
		{"keys disagree", `"debug_id":"`, `"debug_id":"00000000-0000-5000-8000-00000000000`, "differs from debug_id 00000000-0000-5000-8000-000000000000"},
		{"not an ID", `"debugId":"`, `"debugId":"nope`, `debugId: "nope" is not a debug ID`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := testkit.CopyTree(t, src)
			s := string(data)
			i := strings.Index(s, tc.from)
			if i < 0 {
				t.Fatalf("%s not in the map", tc.from)
			}
			// Replace the key's value with the new text, keeping the string's length where it matters.
			end := strings.IndexByte(s[i+len(tc.from):], '"') + i + len(tc.from)
			val := s[i+len(tc.from) : end]
			newVal := strings.TrimPrefix(tc.to, tc.from)
			if strings.HasPrefix(newVal, "0000") {
				newVal += val[len(newVal):]
			}
			testkit.WriteFile(t, filepath.Join(dir, "app.mjs.map"), s[:i]+tc.from+newVal+s[end:])
			r := locResult(t, locRun(t, dir), idDebugIDs)
			if r.Status != StatusFail || !locContains([]string{locDump(r)}, tc.detail) {
				t.Errorf("want %q\n%s", tc.detail, locDump(r))
			}
		})
	}
}

// FuzzLocalMapWalk: the map check and the bundle line split read untrusted files; they must not
// panic or hang, and the split must agree with itself.
func FuzzLocalMapWalk(f *testing.F) {
	f.Add([]byte(`{"version":3,"sources":["a"],"names":["n"],"mappings":"AAAAA;;gBAAC,D"}`), []byte("a\r\nb\u2028c/* x */\n//# debugId=1\n"))
	f.Add([]byte(`{"version":3,"sections":[{"offset":{"line":0,"column":5},"map":{"mappings":"AAAA;A","sources":[]}}]}`), []byte("/*/"))
	f.Add([]byte(`{"mappings":"////////g"}`), []byte("*/*/"))
	f.Fuzz(func(t *testing.T, m, js []byte) {
		lens, last := bundleLines(js)
		if len(lens) == 0 || last < 0 || last >= len(lens) {
			t.Fatalf("bundleLines(%q) = %v, %d", js, lens, last)
		}
		w := &extent{lens: lens, lastLine: -1, overCol: -1}
		if sm, err := sourcemap.Parse(m); err == nil {
			sm.Check(context.Background(), w.visit)
			_ = w.coverage("m", len(lens), last)
		}
	})
}

// TestMapMemberProblems: a malformed sourcesContent is reported as malformed, never as missing
// with the advice to turn it on; a debugId that is not a UUID is named by the debug ID check,
// whose fix is to correct it (inject would refuse the map), not to run inject.
func TestMapMemberProblems(t *testing.T) {
	const js = "var a=1;\n//# sourceMappingURL=app.js.map\n"
	dir := t.TempDir()
	testkit.WriteFile(t, filepath.Join(dir, "app.js"), js)
	testkit.WriteFile(t, filepath.Join(dir, "app.js.map"), `{"version":3,"sources":["../src/a.js"],"sourcesContent":{"a.js":"var a"},"names":[],"mappings":"AAAA"}`)
	r := locResult(t, locRun(t, dir), idValid)
	dump := locDump(r)
	if r.Status != StatusFail || !strings.Contains(dump, "sourcesContent: is an object, not a list; read as absent") ||
		strings.Contains(dump, "have no sourcesContent") || strings.Contains(dump, "include sourcesContent") {
		t.Errorf("malformed sourcesContent:\n%s", dump)
	}

	dir = t.TempDir()
	testkit.WriteFile(t, filepath.Join(dir, "app.js"), js)
	testkit.WriteFile(t, filepath.Join(dir, "app.js.map"), `{"version":3,"sources":["a.js"],"sourcesContent":["var a=1"],"names":[],"mappings":"AAAA","debugId":"not-a-uuid"}`)
	rep := locRun(t, dir)
	r = locResult(t, rep, idDebugIDs)
	dump = locDump(r)
	if r.Status != StatusFail || !strings.Contains(dump, `debugId: "not-a-uuid" is not a debug ID`) ||
		!strings.Contains(dump, "fix: correct or remove the map's debugId/debug_id member") {
		t.Errorf("invalid debugId, debug ID check:\n%s", dump)
	}
	if v := locResult(t, rep, idValid); v.Status != StatusFail || !strings.Contains(locDump(v), `debugId: "not-a-uuid" is not a debug ID`) {
		t.Errorf("invalid debugId, valid check:\n%s", locDump(v))
	}
}
