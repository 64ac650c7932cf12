package resolve

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestJSONLogs: stacks inside JSON strings (NDJSON from Node loggers, a
// wrangler tail --format json stream, a pretty-printed array of Tail Worker
// TraceItems, a log mixing text and JSON lines) are resolved in place, each
// exactly as the same trace as text is, and every other byte is kept.
func TestJSONLogs(t *testing.T) {
	const build = "../../testdata/fixtures/esbuild-cjs"
	root, _ := filepath.Abs("../..")
	raw, err := os.ReadFile(build + "/traces/class-method.txt")
	if err != nil {
		t.Fatal(err)
	}
	// The error and its frames, without Node's crash header.
	stack := string(raw[bytes.Index(raw, []byte("Error: out of stock")):])
	stack = strings.TrimRight(stack[:strings.Index(stack, "\n\nNode.js")], "\n")
	opts := Options{Maps: []string{build}, Root: root}
	resolveText := func(in string) string {
		var out bytes.Buffer
		if _, err := Run(context.Background(), opts, strings.NewReader(in), &out); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	want := resolveText(stack)
	if want == stack || !strings.Contains(want, "cart.js:18:13") {
		t.Fatalf("the text trace does not resolve:\n%s", want)
	}
	enc := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	pino := enc(map[string]any{"level": 50, "time": 1733480000000, "pid": 7, "hostname": "web-1", "err": map[string]any{"type": "Error", "message": "out of stock", "stack": stack}, "msg": "checkout failed"})
	tail := enc(map[string]any{"outcome": "exception", "scriptName": "shop", "exceptions": []any{map[string]any{"name": "Error", "message": "out of stock", "timestamp": 1733480000000, "stack": stack}},
		"logs": []any{map[string]any{"message": []any{"checkout failed:", stack}, "level": "error", "timestamp": 1733480000000}}, "eventTimestamp": 1733480000000})
	pretty, _ := json.MarshalIndent([]any{json.RawMessage(tail), json.RawMessage(tail)}, "", "  ")

	cases := map[string]string{
		"pino NDJSON":          pino + "\n" + `{"level":30,"msg":"ok"}` + "\n" + pino + "\n",
		"wrangler tail stream": tail + "\n" + tail + "\n",
		"TraceItem array":      string(pretty),
		"text and JSON lines":  "server started\n" + pino + "\n" + stack + "\n",
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			got := resolveText(in)
			// Every stack string became the resolved trace; nothing else moved.
			wantOut := strings.ReplaceAll(in, enc(stack), string(encodeJSONString(want)))
			if name == "text and JSON lines" {
				wantOut = strings.Replace(wantOut, stack, want, 1)
			}
			if got != wantOut {
				t.Errorf("got:\n%s\nwant:\n%s", got, wantOut)
			}
		})
	}

	// --json says which input line each trace came from.
	var out bytes.Buffer
	jopts := opts
	jopts.JSON = true
	sum, err := Run(context.Background(), jopts, strings.NewReader(cases["pino NDJSON"]), &out)
	if err != nil {
		t.Fatal(err)
	}
	var rep jsonReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	lines := map[int]int{}
	for _, l := range rep.Lines {
		if l.Frame != nil && l.Frame.Status == StatusResolved {
			lines[l.InputLine]++
		}
	}
	if lines[1] != 6 || lines[3] != 6 || sum.Resolved != 12 {
		t.Errorf("resolved frames by input line: %v, summary %+v", lines, sum)
	}
}
