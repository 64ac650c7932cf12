package resolve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/inject"
	"github.com/mapback/mapback/internal/stacktrace"
	"github.com/mapback/mapback/internal/testkit"
)

// esbuildBundle copies the esbuild-cjs fixture's bundle and its map into a new directory, for a
// test that injects into them.
func esbuildBundle(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"app.js", "app.js.map"} {
		testkit.CopyFile(t, filepath.Join(testkit.RepoRoot(t), "testdata", "fixtures", "esbuild-cjs", name), filepath.Join(dir, name))
	}
	return dir
}

// TestEventByDebugID: an event whose frames name a CDN URL that matches no
// local path is resolved through debug_meta.images and the bundle's injected
// debug ID, to the positions node --enable-source-maps gave.
func TestEventByDebugID(t *testing.T) {
	dir := esbuildBundle(t)
	rep, err := inject.Run(context.Background(), inject.Options{Scan: dist.Options{Paths: []string{dir}}})
	if err != nil || len(rep.Files) != 1 {
		t.Fatalf("inject: %v %+v", err, rep)
	}
	id := rep.Files[0].DebugID

	raw, _ := os.ReadFile("../../testdata/fixtures/esbuild-cjs/traces/class-method.txt")
	node, _ := os.ReadFile("../../testdata/fixtures/esbuild-cjs/traces/class-method.node-resolved.txt")
	rawFrames, nodeFrames := frames(stacktrace.ParseString(string(raw))), frames(stacktrace.ParseString(string(node)))
	const url = "https://cdn.example.com/static/bundle-3f2a.js"
	var evFrames []map[string]any
	var want []*stacktrace.Frame
	// Sentry lists frames oldest first; the trace lists them newest first.
	for i := len(rawFrames) - 1; i >= 0; i-- {
		f := rawFrames[i]
		if !strings.Contains(f.File, "/fixtures/") {
			continue
		}
		evFrames = append(evFrames, map[string]any{
			"abs_path": url, "filename": "/static/bundle-3f2a.js", "function": f.Function,
			"lineno": f.Line + 2, "colno": f.Column, // injection added two lines at the top
			"in_app": true, "vars": map[string]any{"kept": true},
		})
		want = append(want, nodeFrames[i])
	}
	event := map[string]any{
		"event_id":   "0123456789abcdef0123456789abcdef",
		"exception":  map[string]any{"values": []any{map[string]any{"type": "Error", "value": "out of stock", "stacktrace": map[string]any{"frames": evFrames}}}},
		"debug_meta": map[string]any{"images": []any{map[string]any{"type": "sourcemap", "code_file": url, "debug_id": id}}},
	}
	in, _ := json.Marshal(event)

	var out bytes.Buffer
	sum, err := Run(context.Background(), Options{Maps: []string{t.TempDir(), dir}, Names: NamesScope, Root: "../.."}, bytes.NewReader(in), &out)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Resolved != len(want) || sum.Frames != len(want) {
		t.Fatalf("summary %+v, want %d resolved", sum, len(want))
	}
	var got struct {
		EventID   string `json:"event_id"`
		Exception struct {
			Values []struct {
				Stacktrace struct {
					Frames []struct {
						AbsPath, Filename, Function string
						Lineno, Colno               int
						Vars                        map[string]any
						Data                        struct {
							Mapback struct {
								FoundBy string `json:"found_by"`
							}
						}
					}
				}
			}
		}
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("output is not the event: %v", err)
	}
	if got.EventID == "" {
		t.Error("other event fields were lost")
	}
	names := []string{}
	for i, f := range got.Exception.Values[0].Stacktrace.Frames {
		w := want[i]
		if filepath.Base(f.Filename) != filepath.Base(w.File) || f.Lineno != w.Line || f.Colno != w.Column {
			t.Errorf("frame %d: %s:%d:%d, node says %s:%d:%d", i, f.Filename, f.Lineno, f.Colno, w.File, w.Line, w.Column)
		}
		if f.Data.Mapback.FoundBy != "debug_id" || f.Vars["kept"] != true {
			t.Errorf("frame %d: found by %q, vars %v", i, f.Data.Mapback.FoundBy, f.Vars)
		}
		names = append(names, f.Function)
	}
	// The event's frame of the anonymous arrow has no function: it keeps none.
	if fmt.Sprint(names) != "[Object.<anonymous> main class-method Cart.checkout  LineItem.assertInStock]" {
		t.Errorf("names %v", names)
	}
}

// TestEventJSONAndContext: --json on an event reports every frame's status
// and reason, as for traces; --context fills Sentry's pre_context,
// context_line and post_context; abs_path is the original's full path.
func TestEventJSONAndContext(t *testing.T) {
	const dir = "../../testdata/fixtures/esbuild-cjs"
	raw, _ := os.ReadFile("../../testdata/fixtures/esbuild-cjs/traces/class-method.txt")
	var frames []map[string]any
	for _, l := range stacktrace.ParseString(string(raw)) {
		if f := l.Frame; f != nil && f.File != "" {
			frames = append([]map[string]any{{"abs_path": f.File, "filename": filepath.Base(f.File), "function": f.Function, "lineno": f.Line, "colno": f.Column}}, frames...)
		}
	}
	in, _ := json.Marshal(map[string]any{"exception": map[string]any{"values": []any{map[string]any{"type": "Error", "stacktrace": map[string]any{"frames": frames}}}}})

	var out bytes.Buffer
	if _, err := Run(context.Background(), Options{Maps: []string{dir}, JSON: true}, bytes.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Input  string
		Frames []struct {
			Exception, Index int
			Status, Reason   string
		}
		Summary jsonSum
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("not the JSON report: %v\n%s", err, out.String())
	}
	statuses := map[string]int{}
	for _, f := range rep.Frames {
		statuses[f.Status]++
		if f.Status != StatusResolved && f.Reason == "" {
			t.Errorf("frame %d: %s without a reason", f.Index, f.Status)
		}
	}
	if rep.Input != "sentry_event" || len(rep.Frames) != len(frames) || statuses[StatusResolved] != 6 || statuses[StatusNotResolvable] != 4 || rep.Summary.Resolved != 6 {
		t.Errorf("report: input %q, %d frames, statuses %v, summary %+v", rep.Input, len(rep.Frames), statuses, rep.Summary)
	}

	out.Reset()
	if _, err := Run(context.Background(), Options{Maps: []string{dir}, Context: 1, Root: "../.."}, bytes.NewReader(in), &out); err != nil {
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
	found := false
	for _, f := range ev.Exception.Values[0].Stacktrace.Frames {
		if f["filename"] != "testdata/gen/app/src/models/cart.js" || f["lineno"] != 18.0 {
			continue
		}
		found = true
		abs, _ := filepath.Abs("../../testdata/gen/app/src/models/cart.js")
		if f["abs_path"] != abs || !strings.Contains(f["context_line"].(string), "throw new Error(`out of stock") ||
			len(f["pre_context"].([]any)) != 1 || len(f["post_context"].([]any)) != 1 {
			t.Errorf("frame: %v", f)
		}
	}
	if !found {
		t.Errorf("no frame at cart.js:18:\n%s", out.String())
	}
}
