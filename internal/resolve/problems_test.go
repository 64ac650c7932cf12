package resolve

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/sourcemap"
	"github.com/mapback/mapback/internal/testkit"
)

// resolveJSON resolves trace against the files (name → content) in a new
// directory and returns the --json report.
func resolveJSON(t *testing.T, files map[string]string, trace string, opts Options) (jsonReport, string) {
	t.Helper()
	dir := testkit.WriteTree(t, t.TempDir(), files)
	opts.Maps, opts.JSON = []string{dir}, true
	var out bytes.Buffer
	if _, err := Run(context.Background(), opts, strings.NewReader(trace), &out); err != nil {
		t.Fatal(err)
	}
	var rep jsonReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	return rep, dir
}

func frameAt(rep jsonReport, n int) *jsonFrame {
	for _, l := range rep.Lines {
		if l.N == n {
			return l.Frame
		}
	}
	return nil
}

// A map's problems reach the user as doctor words them: a null source is not
// printed as a path, a name index out of range is a warning on the frame, a
// member read as absent is a warning of the run, and every map error names
// the map file.
func TestMapProblemsInResolve(t *testing.T) {
	const js = "var a=1;\n//# sourceMappingURL=app.js.map\n"
	files := map[string]string{
		"app.js": js,
		// line 1: col 0 → null source; col 4 → a.js 1:1 with name #7 of 1.
		"app.js.map": `{"version":3,"sources":[null,"a.js"],"names":["n"],"file":5,"mappings":"AAAA,ICAAO"}`,
		"bad.js":     "var a=1;\n//# sourceMappingURL=bad.js.map\n",
		"bad.js.map": `{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA,IAAA;AA!A"}`,
	}
	trace := "Error: x\n    at f (https://cdn.example.com/app.js:1:1)\n    at g (https://cdn.example.com/app.js:1:5)\n    at h (https://cdn.example.com/bad.js:2:1)\n"
	rep, dir := resolveJSON(t, files, trace, Options{})
	mapPath := filepath.Join(dir, "app.js.map")

	f := frameAt(rep, 2)
	if f.Status != StatusNoSource || f.Original != nil || !strings.Contains(f.Reason, "to line 1, column 1 of a source it does not name (sources[0] is null)") {
		t.Errorf("null source: %+v", f)
	}
	f = frameAt(rep, 3)
	want := mapPath + ": mappings, generated line 1, column 5: name index 7 is out of range (the map has 1 name); the segment has no name"
	if f.Status != StatusResolved || len(f.Warnings) != 1 || f.Warnings[0] != want {
		t.Errorf("name index: %+v", f)
	}
	f = frameAt(rep, 4)
	wantErr := filepath.Join(dir, "bad.js.map") + ": mappings, generated line 2, segment 1: '!' is not a base64 digit (byte 12 of the mappings); nothing from here on can be read"
	if f.Status != StatusMapError || f.Reason != wantErr {
		t.Errorf("syntax error: %+v\nwant reason %q", f, wantErr)
	}
	sum := strings.Join(rep.Summary.Warnings, "\n")
	if !strings.Contains(sum, mapPath+": file: is a number, not a string; read as absent") || !strings.Contains(sum, want) {
		t.Errorf("summary warnings:\n%s", sum)
	}

	// Doctor's words are the engine's: Check says the same of these maps.
	for _, name := range []string{"app.js.map", "bad.js.map"} {
		m, err := sourcemap.Parse([]byte(files[name]))
		if err != nil {
			t.Fatal(err)
		}
		ps := m.Check(context.Background(), nil)
		for _, w := range append(append([]string{}, rep.Summary.Warnings...), f.Reason) {
			if !strings.HasPrefix(w, filepath.Join(dir, name)+": ") {
				continue
			}
			found := false
			for _, p := range ps.List {
				found = found || strings.TrimPrefix(w, filepath.Join(dir, name)+": ") == p.Error()
			}
			if !found {
				t.Errorf("%q is not among Check's problems %v", w, ps.List)
			}
		}
	}
}

// Frames in ignore-listed sources are library frames: in_app false in --json
// and no context lines, like node_modules frames.
func TestIgnoreListIsNotInApp(t *testing.T) {
	files := map[string]string{
		"app.js":     "var a=1;\n//# sourceMappingURL=app.js.map\n",
		"app.js.map": `{"version":3,"sources":["src/a.js","vendor/lib.js"],"sourcesContent":["x\ny\n","z\n"],"names":[],"ignoreList":[1],"mappings":"AAAA,ICAA"}`,
	}
	trace := "Error: x\n    at f (https://cdn.example.com/app.js:1:1)\n    at g (https://cdn.example.com/app.js:1:5)\n"
	rep, _ := resolveJSON(t, files, trace, Options{Context: 1})
	app, lib := frameAt(rep, 2), frameAt(rep, 3)
	if app.Original == nil || !app.Original.InApp || app.Original.Ignored || app.Original.Context == nil {
		t.Errorf("app frame: %+v", app.Original)
	}
	if lib.Original == nil || lib.Original.InApp || !lib.Original.Ignored || lib.Original.Context != nil {
		t.Errorf("ignore-listed frame: %+v", lib.Original)
	}
}

// In text output, a terminal gets library frames marked (faint); the lines
// are otherwise the same, and piped output (no Dim) is not marked.
func TestLibraryFramesMarked(t *testing.T) {
	dir := testkit.WriteTree(t, t.TempDir(), map[string]string{
		"app.js":     "var a=1;\n//# sourceMappingURL=app.js.map\n",
		"app.js.map": `{"version":3,"sources":["src/a.js","vendor/lib.js","node_modules/x/y.js"],"names":[],"ignoreList":[1],"mappings":"AAAA,ICAA,ICAA"}`,
	})
	trace := "Error: x\r\n    at f (https://cdn.example.com/app.js:1:1)\r\n    at g (https://cdn.example.com/app.js:1:5)\r\n    at h (https://cdn.example.com/app.js:1:9)\r\n"
	run := func(dim func(string) string) string {
		var out bytes.Buffer
		if _, err := Run(context.Background(), Options{Maps: []string{dir}, Names: NamesMinified, Dim: dim}, strings.NewReader(trace), &out); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	plain := run(nil)
	marked := run(func(s string) string { return "<" + s + ">" })
	lines := strings.Split(plain, "\r\n")
	lines[2], lines[3] = "<"+lines[2]+">", "<"+lines[3]+">" // vendor/lib.js (ignore-listed), node_modules
	want := strings.Join(lines, "\r\n")
	if marked != want || strings.Contains(plain, "<") {
		t.Errorf("marked:\n%q\nwant:\n%q", marked, want)
	}
}

// An event frame the map maps to a null source is left as it was: no
// filename or abs_path of "." (the map's directory) as there once was.
func TestEventNullSource(t *testing.T) {
	dir := testkit.WriteTree(t, t.TempDir(), map[string]string{
		"app.js":     "var a=1;\n//# sourceMappingURL=app.js.map\n",
		"app.js.map": `{"version":3,"sources":[null,"a.js"],"names":[],"mappings":"AAAA,ICAA"}`,
	})
	frame := func(col int) map[string]any {
		return map[string]any{"abs_path": "https://cdn.example.com/app.js", "filename": "/app.js", "function": "f", "lineno": 1, "colno": col}
	}
	in, _ := json.Marshal(map[string]any{"exception": map[string]any{"values": []any{map[string]any{"type": "Error",
		"stacktrace": map[string]any{"frames": []any{frame(1), frame(5)}}}}}})
	var out bytes.Buffer
	sum, err := Run(context.Background(), Options{Maps: []string{dir}}, bytes.NewReader(in), &out)
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Exception struct {
			Values []struct {
				Stacktrace struct{ Frames []map[string]any }
			}
		}
	}
	if err := json.Unmarshal(out.Bytes(), &ev); err != nil {
		t.Fatal(err)
	}
	frames := ev.Exception.Values[0].Stacktrace.Frames
	if frames[0]["filename"] != "/app.js" || frames[0]["abs_path"] != "https://cdn.example.com/app.js" || frames[0]["lineno"] != 1.0 {
		t.Errorf("null-source frame rewritten: %v", frames[0])
	}
	if !strings.HasSuffix(frames[1]["filename"].(string), "a.js") || sum.Resolved != 1 || sum.Unresolved != 1 {
		t.Errorf("second frame %v, summary %+v", frames[1], sum)
	}
}
