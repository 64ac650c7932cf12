package doctor

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/inject"
	"github.com/mapback/mapback/internal/testkit"
)

// esbuildTree copies the committed esbuild build (app.js and its map, a real bundle whose Node
// traces are under testdata/fixtures/esbuild-cjs/traces) into a temp dir, injected or not.
func esbuildTree(t *testing.T, injected bool) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "dist")
	for _, name := range []string{"app.js", "app.js.map"} {
		testkit.CopyFile(t, filepath.Join("..", "..", "testdata", "fixtures", "esbuild-cjs", name), filepath.Join(dir, name))
	}
	if injected {
		if _, err := inject.Run(context.Background(), inject.Options{Scan: dist.Options{Paths: []string{dir}}}); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// traceEventCases are the trace and event fixtures: one defect per directory under testdata/doctor.
var traceEventCases = []struct {
	fixture  string // testdata/doctor/<fixture>, holding trace.txt or event.json
	injected bool   // the esbuild build is injected first
	check    string
	status   Status
	want     []string // substrings of the rendered check (details and fixes)
}{
	{"trace-ok", false, "trace", StatusOK, []string{"4 of 4 frames resolve"}},
	{"trace-url-prefix", false, "trace", StatusFail, []string{
		"looks this file up as ~/static/js/app.js but it is uploaded as ~/app.js",
		"mapback sourcemaps upload --url-prefix '~/static/js' "}},
	// With a debug ID the server matches the bundle without its URL: only a warning. (The trace is
	// of the injected bundle, whose code starts on line 3.)
	{"trace-url-prefix-injected", true, "trace", StatusWarn, []string{"4 of 4 frames resolve", "matched by debug ID first", "--url-prefix '~/static/js'"}},
	{"trace-no-bundle", false, "trace", StatusFail, []string{"no bundle under the PATHs matches this file",
		"none of the 4 frames resolves: no frame's file matches a bundle", "wrong PATH"}},
	// The trace was recorded before injection moved the code down: no frame resolves, which fails
	// the check even though one position without a mapping is only a warning.
	{"trace-rebuilt", true, "trace", StatusFail, []string{"none of the 4 frames resolves: every frame lands where its map has no mapping",
		"the deployed bundle is not the one here", "no mapping at this position", "byte for byte the one that ran"}},
	{"event-old-sdk", false, "event", StatusFail, []string{"no debug IDs", "7.30.0 predates debug IDs", "7.47.0 or newer"}},
	{"event-not-injected", false, "event", StatusFail, []string{"no debug IDs", "run mapback sourcemaps inject"}},
	{"event-unknown-id", true, "event", StatusFail, []string{"00000000-1111-4222-8333-444444444444 matches no bundle"}},
	{"event-ok", true, "event", StatusOK, []string{"1 debug ID(s) in the event, 1 match a local bundle"}},
	// The issue page's JSON (the API form): entries of type exception and debugmeta.
	{"event-api-format", true, "event", StatusOK, []string{"1 debug ID(s) in the event, 1 match a local bundle",
		"debug ID e6dad720-6263-5dfe-b78b-0993f00fa749 is "}},
	// A source map (carrying the bundle's debug ID) passed as --event is not an event.
	{"event-not-an-event", true, "event", StatusFail, []string{"event.json is not a Sentry event: it is a source map",
		"the issue page's ⋯ → JSON link"}},
}

// TestTraceAndEventChecks runs doctor on one defect per fixture directory under testdata/doctor
// and checks that the trace or event check reports exactly that defect, with its fix.
func TestTraceAndEventChecks(t *testing.T) {
	for _, tc := range traceEventCases {
		t.Run(tc.fixture+map[bool]string{true: "/injected", false: ""}[tc.injected], func(t *testing.T) {
			dir := esbuildTree(t, tc.injected)
			opts := Options{Paths: []string{dir}, Offline: true, URLPrefix: "~"}
			fixture := filepath.Join("..", "..", "testdata", "doctor", tc.fixture)
			if tc.check == "trace" {
				opts.TraceFile = filepath.Join(fixture, "trace.txt")
			} else {
				opts.EventFile = filepath.Join(fixture, "event.json")
			}
			rep, err := Run(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			res, ok := rep.Result(tc.check)
			if !ok {
				t.Fatalf("no %s result", tc.check)
			}
			text := renderOne(res)
			if res.Status != tc.status {
				t.Fatalf("status %s, want %s\n%s", res.Status, tc.status, text)
			}
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("missing %q in\n%s", w, text)
				}
			}
			// The other of the two checks did not run.
			other := map[string]string{"trace": "event", "event": "trace"}[tc.check]
			if r, _ := rep.Result(other); r.Status != StatusSkip {
				t.Errorf("%s: %s, want skip", other, r.Status)
			}
		})
	}
}

// renderOne is a result as text, details and fixes included, for assertions.
func renderOne(r Result) string {
	var b strings.Builder
	b.WriteString(string(r.Status) + " " + r.Detail + "\n" + r.Fix + "\n")
	for _, f := range r.Findings {
		b.WriteString(string(f.Status) + " " + f.Subject + ": " + f.Detail + "\n  " + f.Fix + "\n")
	}
	return b.String()
}

func TestPrefixFix(t *testing.T) {
	for _, tc := range []struct{ framePath, rel, root, server, want string }{
		{"/static/js/app.js", "app.js", "dist", "", "upload with: mapback sourcemaps upload --url-prefix '~/static/js' dist"},
		{"/assets/chunk-5GF.js", "chunk-5GF.js", "dist/assets", "", "upload with: mapback sourcemaps upload --url-prefix '~/assets' dist/assets"},
		// The local path is longer than the URL's: upload from the deeper directory.
		{"/assets/app.js", "build/assets/app.js", ".", "", "upload with: mapback sourcemaps upload build"},
		// Both differ.
		{"/cdn/v2/app.js", "out/app.js", "web", "", "upload with: mapback sourcemaps upload --url-prefix '~/cdn/v2' web/out"},
		{"/other.js", "app.js", "dist", "", "the file names differ: upload the file that was served as /other.js"},
		// The server is not sentry.io: the command names it.
		{"/static/js/app.js", "app.js", "dist", " --url http://127.0.0.1:33321", "upload with: mapback sourcemaps upload --url http://127.0.0.1:33321 --url-prefix '~/static/js' dist"},
	} {
		if got := prefixFix(tc.framePath, tc.rel, tc.root, tc.server); got != tc.want {
			t.Errorf("prefixFix(%q, %q, %q, %q) = %q, want %q", tc.framePath, tc.rel, tc.root, tc.server, got, tc.want)
		}
	}
}

func TestVersionLess(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"7.46.0", "7.47.0", true}, {"7.47.0", "7.47.0", false}, {"10.1.0", "7.47.0", false},
		{"7.100.0", "7.47.0", false}, {"7.47.0-beta.1", "7.47.0", false}, {"6", "7.47.0", true},
	} {
		if got := versionLess(tc.a, tc.b); got != tc.want {
			t.Errorf("versionLess(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}

// TestTraceFixNamesServer: the trace check's upload command names a server that is not sentry.io.
func TestTraceFixNamesServer(t *testing.T) {
	dir := esbuildTree(t, false)
	rep, err := Run(context.Background(), Options{Paths: []string{dir}, Offline: true, URLPrefix: "~",
		TraceFile: filepath.Join("..", "..", "testdata", "doctor", "trace-url-prefix", "trace.txt"),
		Settings:  []Setting{{Name: "url", Value: "http://127.0.0.1:33321", Source: "flag --url", Set: true}}})
	if err != nil {
		t.Fatal(err)
	}
	res, _ := rep.Result("trace")
	if text := renderOne(res); !strings.Contains(text, "upload with: mapback sourcemaps upload --url http://127.0.0.1:33321 --url-prefix '~/static/js' ") {
		t.Errorf("no --url in the fix:\n%s", text)
	}
}

// TestNoFrameResolves: the failure of a trace of which nothing resolves says what the frames have
// in common, or counts them by reason.
func TestNoFrameResolves(t *testing.T) {
	for _, tc := range []struct {
		frames      int
		why         map[string]int
		detail, fix string
	}{
		{4, map[string]int{"no_mapping": 4}, "none of the 4 frames resolves: every frame lands where its map has no mapping", "the deployed bundle is not the one here"},
		{3, map[string]int{"no_file": 3}, "none of the 3 frames resolves: no frame's file matches a bundle under the PATHs", "wrong PATH"},
		{1, map[string]int{"no_map": 1}, "the trace's only frame does not resolve: the bundles the frames run in have no source map", "generate source maps"},
		{2, map[string]int{"map_error": 2}, "none of the 2 frames resolves: the maps of the bundles the frames run in are broken", "see the second check"},
		{5, map[string]int{"no_file": 2, "no_mapping": 2, "map_error": 1}, "none of the 5 frames resolves (2 without a matching bundle, 2 without a mapping at their position, 1 with a broken map)", "fix each frame's problem"},
	} {
		detail, fix := noFrameResolves(tc.frames, tc.why)
		if detail != tc.detail || !strings.Contains(fix, tc.fix) {
			t.Errorf("%v: got %q / %q, want %q / …%q…", tc.why, detail, fix, tc.detail, tc.fix)
		}
	}
}

// TestReadEvent: both event forms give the same frames and images; JSON that is no event fails.
func TestReadEvent(t *testing.T) {
	const stored = `{"event_id":"1","exception":{"values":[{"stacktrace":{"frames":[{"abs_path":"https://h/a.js","lineno":1}]}}]},` +
		`"debug_meta":{"images":[{"type":"sourcemap","code_file":"https://h/b.js","debug_id":"x"}]}}`
	const api = `{"eventID":"1","entries":[{"type":"exception","data":{"values":[{"stacktrace":{"frames":[{"absPath":"https://h/a.js","lineNo":1}]}}]}},` +
		`{"type":"debugmeta","data":{"images":[{"type":"sourcemap","codeFile":"https://h/b.js","debugId":"x"}]}}]}`
	for name, doc := range map[string]string{"stored": stored, "api": api, "wrapped": `{"event":` + api + `}`} {
		ev, bad := readEvent("e.json", []byte(doc))
		if bad != nil {
			t.Fatalf("%s: %+v", name, bad)
		}
		if len(ev.Exception.Values) != 1 || ev.Exception.Values[0].Stacktrace == nil || len(ev.Exception.Values[0].Stacktrace.Frames) != 1 {
			t.Fatalf("%s: frames %+v", name, ev.Exception)
		}
		if f := ev.Exception.Values[0].Stacktrace.Frames[0]; f.absPath() != "https://h/a.js" || f.Lineno != 1 {
			t.Errorf("%s: frame %+v", name, f)
		}
		if ev.DebugMeta == nil || len(ev.DebugMeta.Images) != 1 {
			t.Fatalf("%s: images %+v", name, ev.DebugMeta)
		}
	}
	for doc, want := range map[string]string{
		`{"name":"shop","scripts":{}}`: "e.json is not a Sentry event: it has none of exception, debug_meta, entries, event_id, eventID",
		`{"version":3,"sections":[]}`:  "e.json is not a Sentry event: it is a source map",
		`[1,2]`:                        "e.json is not a Sentry event: the file is a list, not an object",
	} {
		if _, bad := readEvent("e.json", []byte(doc)); bad == nil || bad.Status != StatusFail || !strings.Contains(bad.Detail, want) || bad.Fix == "" {
			t.Errorf("%s: %+v, want a failure %q", doc, bad, want)
		}
	}
}
