package sourcemap

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// bigLayout writes a map document with its members in the given order and
// every sourcesContent entry padded at its end, so that the document is
// over the megabyte from which ParseLazy leaves sourcesContent unread.
func bigLayout(t *testing.T, raw map[string]json.RawMessage, order []string) []byte {
	t.Helper()
	var content []*string
	if c, ok := raw["sourcesContent"]; ok {
		if err := json.Unmarshal(c, &content); err != nil {
			t.Fatal(err)
		}
	}
	pad := strings.Repeat("// padding \"quoted\" \\ text\n", (1<<20)/27/max(1, len(content))+200)
	for _, c := range content {
		if c != nil {
			*c += "\n" + pad
		}
	}
	enc, _ := json.Marshal(content)
	var b strings.Builder
	b.WriteString("{")
	for i, k := range order {
		if _, ok := raw[k]; !ok {
			continue
		}
		if i > 0 && b.Len() > 1 {
			b.WriteString(",")
		}
		v := raw[k]
		if k == "sourcesContent" {
			v = enc
		}
		fmt.Fprintf(&b, "%q:%s", k, v)
	}
	b.WriteString("}")
	return []byte(b.String())
}

// ParseLazy answers every lookup and every SourceContent as ParseWith does,
// on the fixture maps laid out with sourcesContent first, in the middle and
// last.
func TestParseLazyAgrees(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(fixturesDir, "*", "*.map"))
	more, _ := filepath.Glob(filepath.Join(fixturesDir, "*", "*", "*.map"))
	files = append(files, more...)
	if len(files) == 0 {
		t.Fatal("no fixture maps")
	}
	orders := [][]string{
		{"version", "file", "sources", "sourcesContent", "names", "mappings", "x_google_ignoreList", "ignoreList", "sourceRoot", "debugId"},
		{"sourcesContent", "version", "sources", "names", "mappings", "ignoreList", "debugId", "sourceRoot"},
		{"version", "sourceRoot", "sources", "names", "mappings", "debugId", "ignoreList", "sourcesContent"},
	}
	checked := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var raw map[string]json.RawMessage
		if json.Unmarshal(data, &raw) != nil || raw["sections"] != nil || raw["sourcesContent"] == nil {
			continue
		}
		for _, order := range orders {
			doc := bigLayout(t, raw, order)
			want, err := Parse(doc)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseLazy(doc, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got.content == nil || got.contDone {
				t.Fatalf("%s: sourcesContent was read", f)
			}
			if !reflect.DeepEqual(got.Sources(), want.Sources()) || got.DebugID() != want.DebugID() || got.sourceRoot != want.sourceRoot || !reflect.DeepEqual(got.ignored, want.ignored) {
				t.Fatalf("%s %v: members differ", f, order)
			}
			for line := 0; line < 120; line++ {
				for col := 0; col < 4000; col += 31 {
					g, gok := got.Lookup(line, col)
					w, wok := want.Lookup(line, col)
					if g != w || gok != wok {
						t.Fatalf("%s %d:%d: %+v, want %+v", f, line, col, g, w)
					}
				}
			}
			// An entry reads no further than itself; one past the end
			// reads all and checks where the value ends.
			n := len(want.Sources())
			for _, i := range []int{n / 2, 0, n - 1} {
				g, gok := got.SourceContent(i)
				w, wok := want.SourceContent(i)
				if g != w || gok != wok {
					t.Fatalf("%s: SourceContent(%d) differs", f, i)
				}
			}
			if _, ok := got.content1(n); ok || !got.contDone || got.contErr != nil {
				t.Fatalf("%s: sourcesContent not read to its end: %v", f, got.contErr)
			}
			checked++
		}
	}
	t.Logf("%d layouts checked", checked)
}

// A names array with a long element makes the backward scan stop early and
// miss "names"; ParseLazy then scans the whole document.
func TestParseLazyFallsBack(t *testing.T) {
	long := strings.Repeat("n", 5000)
	raw := map[string]json.RawMessage{
		"version":        json.RawMessage(`3`),
		"sources":        json.RawMessage(`["a.js"]`),
		"sourcesContent": json.RawMessage(`["function f() {}"]`),
		"names":          json.RawMessage(`["f","` + long + `"]`),
		"mappings":       json.RawMessage(`"AAAAA,CAACC"`),
	}
	doc := bigLayout(t, raw, []string{"version", "sources", "sourcesContent", "names", "mappings"})
	m, err := ParseLazy(doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if mp, _ := m.Lookup(0, 1); mp.Name != long {
		t.Errorf("name %.10q…, want the long one", mp.Name)
	}
	if m.contDone == false {
		t.Error("sourcesContent not read: the fallback did not scan the document")
	}
}
