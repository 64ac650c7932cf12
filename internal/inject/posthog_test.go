package inject

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/posthog"
	"github.com/mapback/mapback/internal/sourcemap"
	"github.com/mapback/mapback/internal/testkit"
)

func phRun(t *testing.T, dir string, be Backends) *Report {
	t.Helper()
	r, err := Run(context.Background(), Options{Scan: scanOf(dir), Backends: be, Lock: testLock(t)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func phRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// phSameLookups checks that every segment start of the original map
// resolves the same in the injected map, at the position the injection moved
// it to (move).
func phSameLookups(t *testing.T, before, after string, move func(line, col int) (int, int)) {
	t.Helper()
	a, err := sourcemap.Parse([]byte(before))
	if err != nil {
		t.Fatal(err)
	}
	b, err := sourcemap.Parse([]byte(after))
	if err != nil {
		t.Fatalf("the injected map does not parse: %v\n%s", err, after)
	}
	n := 0
	a.Check(context.Background(), func(s sourcemap.Segment) {
		want, _ := a.Lookup(s.Line, s.Column)
		l, c := move(s.Line, s.Column)
		got, ok := b.Lookup(l, c)
		if !ok || got.Line != want.Line || got.Column != want.Column || got.Source != want.Source {
			t.Errorf("generated %d:%d → %s:%d:%d before; at %d:%d after → %s:%d:%d (found %v)", s.Line, s.Column, want.Source, want.Line, want.Column, l, c, got.Source, got.Line, got.Column, ok)
		}
		n++
	})
	if n == 0 {
		t.Fatal("the map has no segments to compare")
	}
}

const phMap = `{"version":3,"sources":["src/a.ts"],"names":[],"mappings":"MAAO,SAAS;AACA"}`

func TestPostHogAlone(t *testing.T) {
	js := "(()=>{var a=1;\nthrow a})();\n//# sourceMappingURL=app.js.map\n"
	dir := testkit.WriteTree(t, t.TempDir(), map[string]string{"app.js": js, "app.js.map": phMap})
	r := phRun(t, dir, Backends{PostHog: true})
	f := r.Files[0]
	id := posthog.ChunkIDFromJS([]byte(js)).String()
	if f.Status != StatusModified || f.ChunkID != id || f.DebugID != "" {
		t.Fatalf("status %s chunk %q debug %q; want modified with chunk ID %s and no debug ID", f.Status, f.ChunkID, f.DebugID, id)
	}
	snippet := posthog.Snippet(id)
	if got := phRead(t, filepath.Join(dir, "app.js")); got != snippet+js+"\n//# chunkId="+id {
		t.Fatalf("bundle:\n%s", got)
	}
	newMap := phRead(t, filepath.Join(dir, "app.js.map"))
	if !strings.HasSuffix(newMap, `,"chunk_id":"`+id+`"}`) {
		t.Errorf("map lacks chunk_id at its end: %s", newMap)
	}
	phSameLookups(t, phMap, newMap, func(l, c int) (int, int) {
		if l == 0 {
			return l, c + len(snippet)
		}
		return l, c
	})
	if again := phRun(t, dir, Backends{PostHog: true}); again.Files[0].Status != StatusAlreadyInjected {
		t.Errorf("second run: %s", again.Files[0].Status)
	}
}

func TestPostHogWithSentry(t *testing.T) {
	js := "\"use strict\";(()=>{var a=1;\nthrow a})();\n//# sourceMappingURL=app.js.map\n"
	sentryOnly := testkit.WriteTree(t, t.TempDir(), map[string]string{"app.js": js, "app.js.map": phMap})
	both := testkit.WriteTree(t, t.TempDir(), map[string]string{"app.js": js, "app.js.map": phMap})
	phRun(t, sentryOnly, Backends{Sentry: true})
	r := phRun(t, both, Backends{Sentry: true, PostHog: true})
	f := r.Files[0]
	if f.Status != StatusModified || f.ChunkID == "" || f.ChunkID != f.DebugID {
		t.Fatalf("status %s, debug ID %q, chunk ID %q: one ID must serve both", f.Status, f.DebugID, f.ChunkID)
	}
	// The PostHog snippet sits at the start of Sentry's (unmapped) line:
	// the map moves exactly as with Sentry alone, plus chunk_id.
	sj, bj := phRead(t, filepath.Join(sentryOnly, "app.js")), phRead(t, filepath.Join(both, "app.js"))
	snippet := posthog.Snippet(f.ChunkID)
	if want := strings.Replace(sj, "\n!function", "\n"+snippet+"!function", 1) + "\n//# chunkId=" + f.ChunkID; bj != want {
		t.Fatalf("bundle:\n%s\nwant:\n%s", bj, want)
	}
	sm, bm := phRead(t, filepath.Join(sentryOnly, "app.js.map")), phRead(t, filepath.Join(both, "app.js.map"))
	if want := strings.TrimSuffix(sm, "}") + `,"chunk_id":"` + f.ChunkID + `"}`; bm != want {
		t.Fatalf("map:\n%s\nwant:\n%s", bm, want)
	}
	if again := phRun(t, both, Backends{Sentry: true, PostHog: true}); again.Files[0].Status != StatusAlreadyInjected {
		t.Errorf("second run: %s", again.Files[0].Status)
	}

	// A bundle injected for Sentry earlier gets PostHog's part, with its
	// debug ID as the chunk ID.
	r = phRun(t, sentryOnly, Backends{Sentry: true, PostHog: true})
	if f := r.Files[0]; f.Status != StatusModified || f.ChunkID != f.DebugID {
		t.Fatalf("Sentry first, then both: status %s, debug ID %q, chunk ID %q", f.Status, f.DebugID, f.ChunkID)
	}
	if got := phRead(t, filepath.Join(sentryOnly, "app.js")); got != bj {
		t.Errorf("Sentry first, then both, differs from both at once:\n%s\n%s", got, bj)
	}
}

// TestPostHogPlacement: code before a hashbang is a syntax error and code
// before "use strict" turns the directive into a plain string, so the
// snippet goes after them (PostHog's CLI prepends at byte 0 regardless).
func TestPostHogPlacement(t *testing.T) {
	for _, tc := range []struct{ name, head string }{
		{"hashbang", "#!/usr/bin/env node\n"},
		{"directive", `"use strict";`},
		{"hashbang and directive", "#!/usr/bin/env node\n/* banner */'use strict';"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			js := tc.head + "var a=1;throw a\n//# sourceMappingURL=app.js.map\n"
			m := `{"version":3,"sources":["a.ts"],"names":[],"mappings":"` + strings.Repeat(";", strings.Count(tc.head, "\n")) + `AAAA,IAAI"}`
			dir := testkit.WriteTree(t, t.TempDir(), map[string]string{"app.js": js, "app.js.map": m})
			f := phRun(t, dir, Backends{PostHog: true}).Files[0]
			snippet := posthog.Snippet(f.ChunkID)
			if got := phRead(t, filepath.Join(dir, "app.js")); got != tc.head+snippet+js[len(tc.head):]+"\n//# chunkId="+f.ChunkID {
				t.Fatalf("bundle:\n%s", got)
			}
			line := strings.Count(tc.head, "\n")
			col := len(tc.head) - (strings.LastIndex(tc.head, "\n") + 1)
			phSameLookups(t, m, phRead(t, filepath.Join(dir, "app.js.map")), func(l, c int) (int, int) {
				if l == line && c >= col {
					return l, c + len(snippet)
				}
				return l, c
			})
		})
	}
}

func TestPostHogRefusals(t *testing.T) {
	// No map: PostHog alone skips the bundle; with Sentry, Sentry's part is
	// written and the report says why PostHog got none.
	dir := testkit.WriteTree(t, t.TempDir(), map[string]string{"a.js": "var a=1;\n"})
	if f := phRun(t, dir, Backends{PostHog: true}).Files[0]; f.Status != StatusSkipped || !strings.Contains(f.Reason, "no source map") {
		t.Errorf("PostHog, no map: %s %q", f.Status, f.Reason)
	}
	if f := phRun(t, dir, Backends{Sentry: true, PostHog: true}).Files[0]; f.Status != StatusModified || f.ChunkID != "" || !hasWarning(f, "no PostHog chunk ID") {
		t.Errorf("both, no map: %s chunk %q warnings %q", f.Status, f.ChunkID, f.Warnings)
	}
	// A map stamped with another bundle's chunk ID.
	dir = testkit.WriteTree(t, t.TempDir(), map[string]string{
		"b.js":     "var b=1;\n//# sourceMappingURL=b.js.map\n",
		"b.js.map": `{"version":3,"sources":["b.ts"],"names":[],"mappings":"AAAA","chunk_id":"someone-else"}`,
	})
	before := snapshot(t, dir)
	if f := phRun(t, dir, Backends{PostHog: true}).Files[0]; f.Status != StatusFailed || !strings.Contains(f.Reason, "already has chunk_id someone-else") {
		t.Errorf("stamped map: %s %q", f.Status, f.Reason)
	}
	if !equalSnap(before, snapshot(t, dir)) {
		t.Error("a refused bundle was written")
	}
}

func TestPostHogIndexAndInlineMaps(t *testing.T) {
	index := `{"version":3,"sections":[{"offset":{"line":0,"column":0},"map":` + phMap + `},{"offset":{"line":1,"column":4},"map":` + phMap + `}]}`
	js := "var a=1;throw a\nvar b=2;throw b\n//# sourceMappingURL=app.js.map\n"
	dir := testkit.WriteTree(t, t.TempDir(), map[string]string{"app.js": js, "app.js.map": index})
	f := phRun(t, dir, Backends{PostHog: true}).Files[0]
	snippet := posthog.Snippet(f.ChunkID)
	phSameLookups(t, index, phRead(t, filepath.Join(dir, "app.js.map")), func(l, c int) (int, int) {
		if l == 0 {
			return l, c + len(snippet)
		}
		return l, c
	})

	inline := "var a=1;throw a\n//# sourceMappingURL=data:application/json;base64," + base64.StdEncoding.EncodeToString([]byte(phMap)) + "\n"
	dir = testkit.WriteTree(t, t.TempDir(), map[string]string{"app.js": inline})
	f = phRun(t, dir, Backends{PostHog: true}).Files[0]
	got := phRead(t, filepath.Join(dir, "app.js"))
	i := strings.Index(got, "base64,")
	j := strings.Index(got[i:], "\n")
	data, err := base64.StdEncoding.DecodeString(got[i+len("base64,") : i+j])
	if f.Status != StatusModified || err != nil || !strings.Contains(string(data), `"chunk_id":"`+f.ChunkID+`"`) {
		t.Fatalf("inline: %s %v\n%s", f.Status, err, data)
	}
	phSameLookups(t, phMap, string(data), func(l, c int) (int, int) {
		if l == 0 {
			return l, c + len(posthog.Snippet(f.ChunkID))
		}
		return l, c
	})
}
