package resolve

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/stacktrace"
	"github.com/mapback/mapback/internal/testkit"
)

// TestFixtureTracesMatchNode resolves every committed real Node trace with
// the bundle's map and requires, for every bundle frame, exactly the source,
// line and column that `node --enable-source-maps` printed; every other line
// must come back byte-identical.
func TestFixtureTracesMatchNode(t *testing.T) {
	raws, _ := filepath.Glob("../../testdata/fixtures/*/traces/*.txt")
	compared := 0
	for _, raw := range raws {
		if strings.HasSuffix(raw, ".node-resolved.txt") {
			continue
		}
		build := filepath.Dir(filepath.Dir(raw))
		in, err := os.ReadFile(raw)
		if err != nil {
			t.Fatal(err)
		}
		node, err := os.ReadFile(strings.TrimSuffix(raw, ".txt") + ".node-resolved.txt")
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if _, err := Run(context.Background(), Options{Maps: []string{build}, Names: NamesMinified}, bytes.NewReader(in), &out); err != nil {
			t.Fatal(err)
		}
		inLines, outLines := stacktrace.ParseString(string(in)), stacktrace.ParseString(out.String())
		nodeFrames := frames(stacktrace.ParseString(string(node)))
		// A Node crash header is rewritten as Node rewrites it, with one
		// more blank line (TestNodeHeaderMatchesNode compares it); every
		// other line must come back as it was.
		if hs := findNodeHeaders(inLines); len(hs) == 1 && hs[0].at == 0 && len(outLines) == len(inLines)+1 {
			inLines, outLines = inLines[4:], outLines[5:]
		}
		if len(inLines) != len(outLines) {
			t.Fatalf("%s: %d lines in, %d out", raw, len(inLines), len(outLines))
		}
		k := 0
		for i, l := range inLines {
			o := outLines[i]
			if l.Frame == nil {
				if l.Text != o.Text || l.Term != o.Term {
					t.Errorf("%s line %d changed: %q -> %q", raw, i+1, l.Text, o.Text)
				}
				continue
			}
			want := nodeFrames[k]
			k++
			if !strings.Contains(l.Frame.File, "/fixtures/") {
				if l.Text != o.Text {
					t.Errorf("%s line %d: a frame outside the bundle changed: %q -> %q", raw, i+1, l.Text, o.Text)
				}
				continue
			}
			got := o.Frame
			if filepath.Base(got.File) != filepath.Base(want.File) || got.Line != want.Line || got.Column != want.Column {
				t.Errorf("%s line %d: %s:%d:%d, node says %s:%d:%d", raw, i+1, got.File, got.Line, got.Column, want.File, want.Line, want.Column)
			}
			compared++
		}
	}
	if compared < 150 {
		t.Fatalf("only %d bundle frames compared", compared)
	}
	t.Logf("%d bundle frames resolved exactly where node --enable-source-maps puts them", compared)
}

func frames(lines []stacktrace.Line) []*stacktrace.Frame {
	var out []*stacktrace.Frame
	for _, l := range lines {
		if l.Frame != nil {
			out = append(out, l.Frame)
		}
	}
	return out
}

func TestMatchFrameFiles(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"dist/assets/app.js", "dist/assets/app.js.map", "other/app.js", "dist/index.js", "dist/chunk-5GF.js"} {
		testkit.WriteFile(t, filepath.Join(dir, p), "var a;")
	}
	idx, err := NewIndex(context.Background(), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]string{ // frame file → matched bundle ("" = none)
		"https://cdn.example.com/assets/app.js?v=42#x":                   "dist/assets/app.js",
		"app:///dist/assets/app.js":                                      "dist/assets/app.js",
		"file://" + filepath.ToSlash(filepath.Join(dir, "other/app.js")): "other/app.js",
		"webpack-internal:///./dist/index.js":                            "dist/index.js",
		"index.js":                                                       "dist/index.js", // Workers: a bare, unique basename
		"app.js":                                                         "",              // two candidates tie
		"~/chunk-5GF.js":                                                 "dist/chunk-5GF.js",
		"https://example.com/missing.js":                                 "",
		`C:\build\dist\index.js`:                                         "dist/index.js",
	}
	for frame, want := range tests {
		b := idx.Match(frame)
		got := ""
		if b != nil {
			got, _ = filepath.Rel(dir, b.Path)
			got = filepath.ToSlash(got)
		}
		if got != want {
			t.Errorf("Match(%q) = %q, want %q", frame, got, want)
		}
	}
}

func TestJSONReport(t *testing.T) {
	build := "../../testdata/fixtures/webpack"
	in, err := os.ReadFile(build + "/traces/cause.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	sum, err := Run(context.Background(), Options{Maps: []string{build}, Names: NamesCallsite, JSON: true, Root: "../.."}, bytes.NewReader(in), &out)
	if err != nil {
		t.Fatal(err)
	}
	var rep jsonReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if len(rep.Lines) != len(stacktrace.ParseString(string(in))) || rep.Summary.Frames != sum.Frames || rep.Summary.Resolved == 0 {
		t.Fatalf("summary %+v, %d lines", rep.Summary, len(rep.Lines))
	}
	statuses := map[string]int{}
	for _, l := range rep.Lines {
		if l.Kind != "frame" {
			continue
		}
		statuses[l.Frame.Status]++
		switch l.Frame.Status {
		case StatusResolved:
			o := l.Frame.Original
			// webpack://<namespace>/./src/x.js is shown as src/x.js (docs/internals/resolve.md §6).
			if o == nil || !strings.HasPrefix(o.File, "src/") || o.Line < 1 || l.Frame.Map == nil || l.Frame.Map.FoundBy != "sourceMappingURL" || l.Frame.Output == "" {
				t.Errorf("resolved frame %d: %+v %+v", l.N, o, l.Frame.Map)
			}
		case StatusNotResolvable:
			if l.Frame.Reason == "" {
				t.Errorf("frame %d: no reason", l.N)
			}
		default:
			t.Errorf("frame %d: unexpected status %s (%s)", l.N, l.Frame.Status, l.Frame.Reason)
		}
	}
	if statuses[StatusResolved] != sum.Resolved || statuses[StatusNotResolvable] == 0 {
		t.Errorf("statuses %v, summary %+v", statuses, sum)
	}
	if rep.Summary.MapsUsed[0] != build+"/main.js.map" {
		t.Errorf("maps used %v", rep.Summary.MapsUsed)
	}
}

func TestUnresolvedStatuses(t *testing.T) {
	dir := testkit.WriteTree(t, t.TempDir(), map[string]string{
		"nomap.js":      "var a=1;\n",
		"mapped.js":     "var a=1;\n//# sourceMappingURL=mapped.js.map\n",
		"mapped.js.map": `{"version":3,"sources":["a.js"],"names":[],"mappings":";EAAA"}`,
		"broken.js":     "var a=1;\n//# sourceMappingURL=broken.js.map\n",
		"broken.js.map": `{"version":3,`,
	})
	trace := strings.Join([]string{
		"Error: x",
		"    at f (https://cdn.example.com/nomap.js:1:5)",
		"    at g (https://cdn.example.com/missing.js:1:5)",
		"    at h (https://cdn.example.com/mapped.js:1:5)",
		"    at i (https://cdn.example.com/mapped.js:2:3)",
		"    at j (https://cdn.example.com/broken.js:1:1)",
		"    at Array.map (<anonymous>)",
		"",
	}, "\n")
	var out bytes.Buffer
	if _, err := Run(context.Background(), Options{Maps: []string{dir}, JSON: true}, strings.NewReader(trace), &out); err != nil {
		t.Fatal(err)
	}
	var rep jsonReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	want := []string{StatusNoMap, StatusNoFile, StatusNoMapping, StatusResolved, StatusMapError, StatusNotResolvable}
	var got []string
	for _, l := range rep.Lines {
		if l.Frame != nil {
			got = append(got, l.Frame.Status)
			if l.Frame.Status != StatusResolved && l.Frame.Reason == "" {
				t.Errorf("line %d: status %s without a reason", l.N, l.Frame.Status)
			}
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("statuses %v, want %v", got, want)
	}
	if rep.Lines[0].Kind != "header" {
		t.Errorf("first line kind %s", rep.Lines[0].Kind)
	}
}

// TestScopeNames: the function names of a real trace, as scope analysis and
// the call-site fallback give them, for three bundlers.
func TestScopeNames(t *testing.T) {
	// The anonymous arrow stays bare, as V8 printed it; webpack's map
	// records only the start of its line, a position inside checkout.
	want := map[string][]string{
		"esbuild-cjs": {"LineItem.assertInStock", "", "Array.map", "Cart.checkout", "class-method", "main", "Object.<anonymous>"},
		"rollup":      {"LineItem.assertInStock", "", "Array.map", "Cart.checkout", "class-method", "main", "Object.<anonymous>"},
		"webpack":     {"LineItem.assertInStock", "Cart.checkout", "Array.map", "Cart.checkout", "class-method", "main"},
	}
	for build, names := range want {
		dir := "../../testdata/fixtures/" + build
		in, err := os.ReadFile(dir + "/traces/class-method.txt")
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if _, err := Run(context.Background(), Options{Maps: []string{dir}, Names: NamesScope}, bytes.NewReader(in), &out); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range frames(stacktrace.ParseString(out.String())) {
			got = append(got, f.Function)
		}
		if len(got) < len(names) || strings.Join(got[:len(names)], ",") != strings.Join(names, ",") {
			t.Errorf("%s: names %q, want %q", build, got, names)
		}
	}
}

func TestCaretPad(t *testing.T) {
	tests := []struct {
		line string
		col0 int
		want string
	}{
		{"throw x", 6, "      "},
		{"\tthrow x", 7, "\t      "},
		{`const t = "🛒"; throw`, 16, `           ` + "  " + `   `}, // the emoji: 2 units, 2 cells
		{"a = '日本'; b", 10, "     " + "    " + "   "},              // CJK: 1 unit, 2 cells each
	}
	for _, tt := range tests {
		if got := caretPad(tt.line, tt.col0); got != tt.want {
			t.Errorf("caretPad(%q, %d) = %q, want %q", tt.line, tt.col0, got, tt.want)
		}
	}
}

func TestContext(t *testing.T) {
	dir := "../../testdata/fixtures/esbuild-cjs"
	in, err := os.ReadFile(dir + "/traces/class-method.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := Run(context.Background(), Options{Maps: []string{dir}, Names: NamesScope, Context: 1, Root: "../.."}, bytes.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	want := "    at LineItem.assertInStock (testdata/gen/app/src/models/cart.js:18:13)\n" +
		"      17 |     if (left < this.qty) {\n" +
		"      18 |       throw new Error(`out of stock: ${describe(this)} (only ${left} left)`);\n" +
		"         |             ^\n" + // V8 points at "new"
		"      19 |     }\n" +
		"    at testdata/gen/app/src/models/cart.js:50:53\n" // an anonymous arrow stays bare, as V8 printed it
	if !strings.Contains(out.String(), want) {
		t.Errorf("context block missing:\n%s", out.String())
	}
	// Frames outside the app (node: internals) get no context.
	if strings.Contains(out.String(), "Module._compile (node:internal/modules/cjs/loader:1521:14)\n      ") {
		t.Error("a node: frame got context")
	}
}

// A Firefox frame's column counts code points: after an astral character on
// the same generated line it is one less than V8's, and mapback converts it.
func TestFirefoxColumnsAreCodePoints(t *testing.T) {
	dir := t.TempDir()
	// Generated line 0: `var s="🎉";throw x` — "throw" starts at UTF-16 column
	// 11 (the emoji takes two units) but at code-point column 10.
	js := "var s=\"🎉\";throw x\n//# sourceMappingURL=a.js.map\n"
	m := `{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA,WACA"}` // col 0 → 0:0, col 11 → 1:0
	testkit.WriteTree(t, dir, map[string]string{"a.js": js, "a.js.map": m})
	trace := "f@https://example.com/a.js:1:11\n    at f (https://example.com/a.js:1:12)\n"
	var out bytes.Buffer
	if _, err := Run(context.Background(), Options{Maps: []string{dir}, Names: NamesMinified, Root: dir}, strings.NewReader(trace), &out); err != nil {
		t.Fatal(err)
	}
	want := "f@a.js:2:1\n    at f (a.js:2:1)\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

func TestForcedMap(t *testing.T) {
	dir := t.TempDir()
	m := filepath.Join(dir, "elsewhere", "v42.map")
	testkit.WriteFile(t, m, `{"version":3,"sources":["src/a.ts"],"names":[],"mappings":"AAAA,IACA"}`)
	trace := "    at f (https://cdn.example.com/assets/app.min.js?v=42:1:5)\n    at g (https://cdn.example.com/assets/other.js:1:5)\n"
	var out bytes.Buffer
	opts := Options{Maps: []string{t.TempDir()}, Names: NamesMinified, Root: dir, JSON: true,
		Forced: []Forced{{URL: "https://cdn.example.com/assets/app.min.js", File: m}}}
	if _, err := Run(context.Background(), opts, strings.NewReader(trace), &out); err != nil {
		t.Fatal(err)
	}
	var rep jsonReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	f0, f1 := rep.Lines[0].Frame, rep.Lines[1].Frame
	if f0.Status != StatusResolved || f0.Map.FoundBy != "--map" || f0.Original.File != "elsewhere/src/a.ts" || f0.Original.Line != 2 {
		t.Errorf("forced frame: %+v %+v %+v", f0, f0.Map, f0.Original)
	}
	if f1.Status != StatusNoFile {
		t.Errorf("other frame: %s", f1.Status)
	}
}

// A trace whose last line is a frame without a final newline keeps its shape
// with --context: the block gets its own lines, no newline is added at the end.
func TestContextAfterLastLineWithoutNewline(t *testing.T) {
	dir := testkit.WriteTree(t, t.TempDir(), map[string]string{
		"a.js":     "x()\n//# sourceMappingURL=a.js.map\n",
		"a.js.map": `{"version":3,"sources":["a.ts"],"sourcesContent":["one\ntwo\nthree"],"names":[],"mappings":"AACA"}`,
	})
	var out bytes.Buffer
	trace := "Error: e\n    at f (https://x.example/a.js:1:1)"
	if _, err := Run(context.Background(), Options{Maps: []string{dir}, Names: NamesMinified, Context: 1, Root: dir}, strings.NewReader(trace), &out); err != nil {
		t.Fatal(err)
	}
	want := "Error: e\n    at f (a.ts:2:1)\n      1 | one\n      2 | two\n        | ^\n      3 | three"
	if out.String() != want {
		t.Errorf("got %q\nwant %q", out.String(), want)
	}
}

// TestArtifactBundle resolves through a real artifact bundle made by
// sentry-cli 3.8.0 (internal/artifactbundle/testdata): main.js finds its map
// by debug-id header, plain.js through its sourcemap header.
func TestArtifactBundle(t *testing.T) {
	trace := "Error: x\n" +
		"    at hello (https://app.example.com/main.js:3:20)\n" +
		"    at https://app.example.com/plain.js:1:1\n" +
		"    at https://app.example.com/absent.js:1:1\n"
	var out bytes.Buffer
	opts := Options{Maps: []string{t.TempDir()}, Names: NamesScope, JSON: true,
		Bundles: []string{"../artifactbundle/testdata/reference-3.8.0.bundle"}}
	if _, err := Run(context.Background(), opts, strings.NewReader(trace), &out); err != nil {
		t.Fatal(err)
	}
	var rep jsonReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	main, plain, absent := rep.Lines[1].Frame, rep.Lines[2].Frame, rep.Lines[3].Frame
	if main.Status != StatusResolved || filepath.Base(main.Original.File) != "main.ts" || main.Original.Line != 2 || main.Original.Column != 3 || main.Map.FoundBy != "bundle" {
		t.Errorf("main.js: %+v %+v %+v", main, main.Original, main.Map)
	}
	if main.Original.Function != "hello" {
		t.Errorf("main.js: function %q, want hello (scope analysis of the bundled minified file)", main.Original.Function)
	}
	if plain.Status != StatusResolved || filepath.Base(plain.Original.File) != "plain.ts" || plain.Original.Line != 1 {
		t.Errorf("plain.js: %+v %+v", plain, plain.Original)
	}
	if absent.Status != StatusNoFile {
		t.Errorf("absent.js: %s", absent.Status)
	}

	// A file that is not an artifact bundle is an error naming it.
	opts.Bundles = []string{"../../testdata/fixtures/manifest.json"}
	if _, err := Run(context.Background(), opts, strings.NewReader(trace), &out); err == nil || !strings.Contains(err.Error(), "manifest.json") {
		t.Errorf("bad --bundle: %v", err)
	}
}

func TestEventFromArtifactBundleByDebugID(t *testing.T) {
	event := `{"exception":{"values":[{"stacktrace":{"frames":[
		{"abs_path":"https://cdn.example.com/x/entry-9f.js","function":"n","lineno":3,"colno":20}]}}]},
	  "debug_meta":{"images":[{"type":"sourcemap","code_file":"https://cdn.example.com/x/entry-9f.js","debug_id":"646f9421-8f7e-518a-9b10-073842e20271"}]}}`
	var out bytes.Buffer
	opts := Options{Maps: []string{t.TempDir()}, Names: NamesScope, Bundles: []string{"../artifactbundle/testdata/reference-3.8.0.bundle"}}
	sum, err := Run(context.Background(), opts, strings.NewReader(event), &out)
	if err != nil || sum.Resolved != 1 {
		t.Fatalf("err %v, summary %+v\n%s", err, sum, out.String())
	}
	if !strings.Contains(out.String(), `"function": "hello"`) || !strings.Contains(out.String(), `"found_by": "debug_id"`) || !strings.Contains(out.String(), `"lineno": 2`) {
		t.Errorf("event:\n%s", out.String())
	}
}

// TestGrammarGoldens resolves one trace per grammar (V8 with Node's cause
// decorations, Firefox, Safari/JSC, the Sentry numbered list, Workers with
// bare names, CRLF and no final newline) against the esbuild-cjs fixture,
// whose positions they use. want/<name> holds the expected output;
// UPDATE_GOLDEN=1 rewrites it.
func TestGrammarGoldens(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/grammars/*.txt")
	if len(inputs) < 5 {
		t.Fatalf("only %d grammar inputs", len(inputs))
	}
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			opts := Options{Maps: []string{"../../testdata/fixtures/esbuild-cjs"}, Names: NamesScope, Root: "../.."}
			sum, err := Run(context.Background(), opts, bytes.NewReader(data), &out)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Resolved == 0 {
				t.Errorf("nothing resolved: %+v", sum)
			}
			testkit.Golden(t, filepath.Join("testdata/grammars/want", filepath.Base(in)), out.Bytes())
		})
	}
}

// An index map whose sections name their maps by "url": each is loaded from
// beside the index map, its column offset applies on its first line only,
// and its sources resolve against its own location.
func TestIndexMapURLSections(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) { testkit.WriteFile(t, filepath.Join(dir, name), content) }
	write("app.js", "var a=1;var b=2;\nvar c=3;\n//# sourceMappingURL=app.js.map\n")
	write("app.js.map", `{"version":3,"sections":[
	  {"offset":{"line":0,"column":0},"url":"parts/a.js.map"},
	  {"offset":{"line":0,"column":8},"url":"parts/b.js.map"}]}`)
	write("parts/a.js.map", `{"version":3,"sources":["../src/a.ts"],"names":[],"mappings":"AAAA"}`)
	write("parts/b.js.map", `{"version":3,"sources":["../src/b.ts"],"names":[],"mappings":"AAAA;AACA"}`)
	trace := "    at f (https://x.example/app.js:1:3)\n    at g (https://x.example/app.js:1:10)\n    at h (https://x.example/app.js:2:1)\n"
	var out bytes.Buffer
	if _, err := Run(context.Background(), Options{Maps: []string{dir}, Names: NamesMinified, Root: dir}, strings.NewReader(trace), &out); err != nil {
		t.Fatal(err)
	}
	want := "    at f (src/a.ts:1:1)\n    at g (src/b.ts:1:1)\n    at h (src/b.ts:2:1)\n"
	if out.String() != want {
		t.Errorf("got\n%swant\n%s", out.String(), want)
	}

	// A remote section is not fetched: the frames stay as they were.
	write("app.js.map", `{"version":3,"sections":[{"offset":{"line":0,"column":0},"url":"https://cdn.example.com/a.js.map"}]}`)
	out.Reset()
	if _, err := Run(context.Background(), Options{Maps: []string{dir}, Names: NamesMinified, Root: dir}, strings.NewReader(trace), &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != trace {
		t.Errorf("remote section: got %q", out.String())
	}
}
