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

// parseBoth parses doc with ParseLazy and with Parse.
func parseBoth(t *testing.T, doc []byte) (lazy, whole *Map) {
	t.Helper()
	whole, err := Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	if lazy, err = ParseLazy(doc, nil); err != nil {
		t.Fatal(err)
	}
	return lazy, whole
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
			got, want := parseBoth(t, bigLayout(t, raw, order))
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

// A names array with a long element is read to its key when it is short.
// When it is over a megabyte the backward scan takes it for sourcesContent
// and misses "names", and ParseLazy scans the whole document instead.
func TestParseLazyLongNames(t *testing.T) {
	long := strings.Repeat("n", 5000)
	for _, tt := range []struct {
		name     string
		names    string
		fellBack bool
	}{
		{"short", `["f","` + long + `"]`, false},
		{"over a megabyte", `["f","` + long + `"` + strings.Repeat(`,"`+long+`"`, 250) + `]`, true},
	} {
		raw := map[string]json.RawMessage{
			"version":        json.RawMessage(`3`),
			"sources":        json.RawMessage(`["a.js"]`),
			"sourcesContent": json.RawMessage(`["function f() {}"]`),
			"names":          json.RawMessage(tt.names),
			"mappings":       json.RawMessage(`"AAAAA,CAACC"`),
		}
		doc := bigLayout(t, raw, []string{"version", "sources", "sourcesContent", "names", "mappings"})
		m, err := ParseLazy(doc, nil)
		if err != nil {
			t.Fatal(err)
		}
		if mp, _ := m.Lookup(0, 1); mp.Name != long {
			t.Errorf("%s: name %.10q…, want the long one", tt.name, mp.Name)
		}
		// The whole-document scan finds every sourcesContent entry.
		if m.contDone != tt.fellBack {
			t.Errorf("%s: scanned whole: %v, want %v", tt.name, m.contDone, tt.fellBack)
		}
	}
}

// Members after sourcesContent and before a small unknown array with a long
// string are still seen (found by review: ignoreList and sourceRoot were
// lost when the scan stopped at the first long string).
func TestParseLazyUnknownArrayAfterContent(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	long := strings.Repeat("y", 5000)
	doc := []byte(`{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA",` +
		`"sourcesContent":["` + big + `"],"ignoreList":[0],"sourceRoot":"/src/","x_meta":["` + long + `"]}`)
	got, want := parseBoth(t, doc)
	g, _ := got.Lookup(0, 0)
	w, _ := want.Lookup(0, 0)
	if g != w || !g.Ignored || got.sourceRoot != "/src/" || got.contDone {
		t.Errorf("lazy %+v root %q (content read: %v), want %+v root %q", g, got.sourceRoot, got.contDone, w, want.sourceRoot)
	}
}
