package resolve

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/inject"
	"github.com/mapback/mapback/internal/stacktrace"
)

// An event names the build that ran by debug ID. When the local bundle of
// the frame's path is another build (another ID, or none), the frame is
// refused with debug_id_mismatch naming both, never resolved by path
// against code that is not the code that ran.
func TestEventDebugIDMismatch(t *testing.T) {
	dir := esbuildBundle(t)
	raw, _ := os.ReadFile("../../testdata/fixtures/esbuild-cjs/traces/class-method.txt")
	var evFrames []map[string]any
	for _, l := range stacktrace.ParseString(string(raw)) {
		if f := l.Frame; f != nil && strings.Contains(f.File, "/fixtures/") {
			evFrames = append([]map[string]any{{"abs_path": "https://cdn.example.com/app.js", "filename": "/app.js", "function": f.Function, "lineno": f.Line, "colno": f.Column}}, evFrames...)
		}
	}
	const ranID = "0d9c6d5e-4a11-4e55-9a51-7f3d3a8e2b7c"
	event := func(frameID bool) []byte {
		frames := evFrames
		if frameID {
			frames = nil
			for _, f := range evFrames {
				g := map[string]any{"debug_id": ranID}
				for k, v := range f {
					g[k] = v
				}
				frames = append(frames, g)
			}
		}
		ev := map[string]any{"exception": map[string]any{"values": []any{map[string]any{"type": "Error", "stacktrace": map[string]any{"frames": frames}}}}}
		if !frameID {
			ev["debug_meta"] = map[string]any{"images": []any{map[string]any{"type": "sourcemap", "code_file": "https://cdn.example.com/app.js", "debug_id": ranID}}}
		}
		b, _ := json.Marshal(ev)
		return b
	}
	check := func(name, localID string, in []byte) {
		t.Helper()
		var out bytes.Buffer
		opts := Options{Maps: []string{dir}}
		sum, err := Run(context.Background(), opts, bytes.NewReader(in), &out)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Resolved != 0 || sum.Candidates != len(evFrames) || len(sum.Notes) != 1 || !strings.Contains(sum.Notes[0], StatusDebugIDMismatch) {
			t.Errorf("%s: summary %+v", name, sum)
		}
		if !strings.Contains(out.String(), `"filename": "/app.js"`) || strings.Contains(out.String(), "cart.js") {
			t.Errorf("%s: a frame was rewritten:\n%s", name, out.String())
		}
		want := "is from the build with debug ID " + ranID + ", and the local " + dir + "/app.js has " + localID
		if !strings.Contains(sum.Notes[0], want) {
			t.Errorf("%s: note %q, want %q", name, sum.Notes[0], want)
		}
	}
	check("not injected, debug_meta", "no debug ID (it is not injected)", event(false))
	check("not injected, frame debug_id", "no debug ID (it is not injected)", event(true))

	rep, err := inject.Run(context.Background(), inject.Options{Scan: dist.Options{Paths: []string{dir}}})
	if err != nil || len(rep.Files) != 1 {
		t.Fatalf("inject: %v", err)
	}
	check("another build", "debug ID "+rep.Files[0].DebugID, event(false))
}

// A plain trace carries no debug ID; where the bundle itself shows that the
// trace is from another build (a line past its last, a column past the end
// of the line), the frame says so.
func TestTraceFromAnotherBuild(t *testing.T) {
	const build = "../../testdata/fixtures/esbuild-cjs"
	trace := "Error: x\n    at f (/fixtures/esbuild-cjs/app.js:1:99999999)\n    at g (/fixtures/esbuild-cjs/app.js:4000:1)\n    at h (/fixtures/esbuild-cjs/app.js:2:10)\n"
	var out bytes.Buffer
	sum, err := Run(context.Background(), Options{Maps: []string{build}, Names: NamesScope, JSON: true}, strings.NewReader(trace), &out)
	if err != nil {
		t.Fatal(err)
	}
	var rep jsonReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	w := strings.Join(sum.Warnings, "\n")
	for _, want := range []string{
		"line 1 of " + build + "/app.js is ",
		"columns long and the frame is at column 99999999: the trace comes from another build of it",
	} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings:\n%s\nlack %q", w, want)
		}
	}
	if f := frameAt(rep, 4); len(f.Warnings) != 0 {
		t.Errorf("a frame inside the bundle is warned about: %v", f.Warnings)
	}
	if f := frameAt(rep, 3); f.Status == StatusResolved && len(f.Warnings) == 0 {
		t.Errorf("a line past the end resolved without a warning: %+v", f)
	}
}
