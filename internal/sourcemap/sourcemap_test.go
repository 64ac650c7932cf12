package sourcemap

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func mustParse(t testing.TB, s string) *Map {
	t.Helper()
	m, err := Parse([]byte(s))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

// fmtLookup renders a lookup result the way the spec table prints it.
func fmtLookup(m *Map, line, col int) string {
	mp, ok := m.Lookup(line, col)
	if !ok {
		return "none"
	}
	s := fmt.Sprintf("%s:%d:%d", mp.Source, mp.Line+1, mp.Column+1)
	if mp.Name != "" {
		s += " " + mp.Name
	}
	return s
}

// docs/internals/resolve.md §4 test vector table, exactly.
//
// NOTE: the mappings string printed in the spec, "KAAA,KACIA,U;GASJ;;AAAUE",
// does not encode the positions the spec describes (it decodes to orig 0:0,
// 1:4, 10:0 and 10:10 with name index 2; checked with an independent JS
// decoder and go-sourcemap, see TestSpecVectorLiteral). The string below
// encodes exactly the described segments (line 0: col 5 → 10:0, col 10 →
// 11:4 theName, col 20 1-field; line 1: col 3 → 20:0; line 2 empty; line 3:
// col 0 → 30:2), and the table is checked against it verbatim.
const specVectorMappings = "KAUA,KACIA,U;GASJ;;AAUE"

func TestSpecVector(t *testing.T) {
	m := mustParse(t, `{"version":3,"sources":["orig.js"],"names":["theName"],"mappings":"`+specVectorMappings+`"}`)
	cases := []struct {
		line, col int
		want      string
	}{
		{0, 2, "none"},
		{0, 7, "orig.js:11:1"},
		{0, 15, "orig.js:12:5 theName"},
		{0, 25, "none"},
		{1, 0, "none"},
		{1, 100, "orig.js:21:1"},
		{2, 0, "none"},
		{5, 0, "none"},
		// the segments themselves
		{0, 5, "orig.js:11:1"},
		{0, 10, "orig.js:12:5 theName"},
		{0, 20, "none"},
		{1, 3, "orig.js:21:1"},
		{3, 0, "orig.js:31:3"},
		{3, 99, "orig.js:31:3"},
		{4, 0, "none"},
	}
	for _, c := range cases {
		if got := fmtLookup(m, c.line, c.col); got != c.want {
			t.Errorf("Lookup(%d,%d) = %q, want %q", c.line, c.col, got, c.want)
		}
	}
}

// The literal string printed in the spec, with what it really encodes.
func TestSpecVectorLiteral(t *testing.T) {
	m := mustParse(t, `{"version":3,"sources":["orig.js"],"names":["theName"],"mappings":"KAAA,KACIA,U;GASJ;;AAAUE"}`)
	cases := []struct {
		line, col int
		want      string
	}{
		{0, 2, "none"},
		{0, 7, "orig.js:1:1"},
		{0, 15, "orig.js:2:5 theName"},
		{0, 25, "none"},
		{1, 0, "none"},
		{1, 100, "orig.js:11:1"},
		{2, 0, "none"},
		{3, 0, "orig.js:11:11"}, // name index 2 out of range: ignored
		{5, 0, "none"},
	}
	for _, c := range cases {
		if got := fmtLookup(m, c.line, c.col); got != c.want {
			t.Errorf("Lookup(%d,%d) = %q, want %q", c.line, c.col, got, c.want)
		}
	}
}

func TestTiesTakeFirst(t *testing.T) {
	// two segments at column 0 of line 0: orig 0:0 then 5:0 (AAAA,AAKA)
	m := mustParse(t, `{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA,AAKA,EAAA"}`)
	if got := fmtLookup(m, 0, 1); got != "a.js:1:1" {
		t.Fatalf("tie: got %q, want first segment a.js:1:1", got)
	}
	if got := fmtLookup(m, 0, 2); got != "a.js:6:1" {
		t.Fatalf("after tie: got %q", got)
	}
}

func TestUnsortedLine(t *testing.T) {
	// columns 10 then 2 (delta -8): lookups must still be GLB by column.
	m := mustParse(t, `{"version":3,"sources":["a.js"],"mappings":"UAAA,RAEA"}`)
	if got := fmtLookup(m, 0, 5); got != "a.js:3:1" {
		t.Fatalf("got %q", got)
	}
	if got := fmtLookup(m, 0, 10); got != "a.js:1:1" {
		t.Fatalf("got %q", got)
	}
}

// Index map with a non-zero column offset on a section.
func TestIndexMapSectionColumnOffset(t *testing.T) {
	// section 0 at (0,0): line 0 col 0 → a.js 0:0; line 1 col 0 → a.js 1:0
	// section 1 at (1,10): its line 0 col 0 → b.js 0:0, col 5 → b.js 0:5 (name "n");
	//                      its line 1 col 0 → b.js 3:0
	m := mustParse(t, `{"version":3,"sections":[
	 {"offset":{"line":0,"column":0},"map":{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA;AACA"}},
	 {"offset":{"line":1,"column":10},"map":{"version":3,"sources":["b.js"],"names":["n"],"mappings":"AAAA,KAAKA;AAGL","ignoreList":[0]}}
	],"debugId":"8cf3d888-fc9e-457d-a999-6ffef384b736"}`)
	if !m.IsIndexMap() || m.DebugID() != "8cf3d888-fc9e-457d-a999-6ffef384b736" {
		t.Fatal("not an index map / debug id")
	}
	if got := strings.Join(m.Sources(), ","); got != "a.js,b.js" {
		t.Fatalf("Sources = %q", got)
	}
	cases := []struct {
		line, col int
		want      string
	}{
		{0, 0, "a.js:1:1"},
		{0, 50, "a.js:1:1"},
		{1, 0, "a.js:2:1"}, // before the section's start column: previous section
		{1, 9, "a.js:2:1"},
		{1, 10, "b.js:1:1"},
		{1, 14, "b.js:1:1"},
		{1, 15, "b.js:1:6 n"},
		{2, 0, "b.js:4:1"}, // column offset only on the first line
		{2, 3, "b.js:4:1"},
		{3, 0, "none"},
	}
	for _, c := range cases {
		if got := fmtLookup(m, c.line, c.col); got != c.want {
			t.Errorf("Lookup(%d,%d) = %q, want %q", c.line, c.col, got, c.want)
		}
	}
	mp, _ := m.Lookup(1, 15)
	if mp.SourceIndex != 1 || !mp.Ignored {
		t.Errorf("section source index/ignored: %+v", mp)
	}
	mp, _ = m.Lookup(1, 0)
	if mp.SourceIndex != 0 || mp.Ignored {
		t.Errorf("section 0: %+v", mp)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{`nope`, "not a source map: the file is not a JSON object"},
		{``, "not a source map: the file is empty"},
		{`{"version":2,"sources":[],"mappings":""}`, "version: is 2; only version 3"},
		{`{"sources":[],"mappings":""}`, `version: missing`},
		{`{"version":3,"sources":[]}`, `mappings: missing`},
		{`{"version":3,"sources":5,"mappings":""}`, "sources: is a number, not a list"},
		{`{"version":3,"mappings":""}`, "sources: missing"},
		{`{"version":3,"sources":[],"mappings":""`, "not valid JSON"},
		{`{"version":3,"sources":[],"sourceRoot":1,"mappings":""}`, "sourceRoot: is a number, not a string"},
		{`{"version":3,"sections":[{"offset":{"line":1,"column":0},"map":{"version":3,"sources":[],"mappings":""}},{"offset":{"line":0,"column":0},"map":{"version":3,"sources":[],"mappings":""}}]}`, "sections[1].offset: (line 1, column 1) comes before sections[0] (line 2, column 1)"},
		{`{"version":3,"sections":[{"offset":{"line":1,"column":3},"map":{"version":3,"sources":[],"mappings":""}},{"offset":{"line":1,"column":2},"map":{"version":3,"sources":[],"mappings":""}}]}`, "must be in order"},
		{`{"version":3,"sections":[{"offset":{"line":0,"column":0},"map":{"version":3,"sources":[],"sections":[]}}]}`, "sections[0].map: sections: a section's map is itself an index map"},
		{`{"version":3,"sections":[{"offset":{"line":0,"column":0},"url":"x.map"}]}`, "sections[0].url: names a map to load"},
		{`{"version":3,"sections":[{"offset":{"line":-1,"column":0},"map":{"version":3,"sources":[],"mappings":""}}]}`, "sections[0].offset.line: is -1, not a non-negative integer"},
		{`{"version":3,"sections":[{"offset":{"line":"1","column":0},"map":{"version":3,"sources":[],"mappings":""}}]}`, "sections[0].offset.line: is a string"},
		{`{"version":3,"sections":[{"offset":{"line":1.5,"column":0},"map":{"version":3,"sources":[],"mappings":""}}]}`, "is 1.5, not a non-negative integer"},
		{`{"version":3,"sections":[{"map":{"version":3,"sources":[],"mappings":""}}]}`, "sections[0].offset: missing"},
		{`{"version":3,"sections":[{"offset":{"line":0,"column":0}}]}`, "sections[0].map: missing"},
		{`{"version":3,"sections":[{"offset":{"line":0,"column":0},"map":"x"}]}`, "sections[0].map: is a string, not a source map object"},
		{`{"version":3,"sections":[3]}`, "sections[0]: is a number, not an object"},
		{`{"version":3,"sections":{}}`, "sections: is an object, not a list"},
		{`{"version":3,"mappings":"AAAA","sections":[]}`, `an index map has "sections" and no "mappings"`},
		{`{"version":3,"sections":[{"offset":{"line":0,"column":0},"map":{"version":3,"sources":[],"mappings":5}}]}`, "sections[0].map: mappings: is a number, not a string"},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%s) err = %v, want containing %q", c.in, err, c.want)
		}
	}
}

func TestPrefixes(t *testing.T) {
	body := `{"version":3,"sources":["a.js"],"mappings":"AAAA"}`
	for _, in := range []string{"\xEF\xBB\xBF" + body, ")]}'\n" + body, "\xEF\xBB\xBF)]}'\n" + body} {
		m := mustParse(t, in)
		if got := fmtLookup(m, 0, 0); got != "a.js:1:1" {
			t.Errorf("%q: got %q", in[:6], got)
		}
	}
}

func TestHostileMappings(t *testing.T) {
	cases := []struct {
		name, mappings string
		line, col      int
		wantErr        string
	}{
		{"past 32 bits", "AAAA;ggggggE", 1, 0, "line 2, segment 1: a VLQ value does not fit in 32 bits (byte 5 of the mappings)"},
		{"bad char", "AAAA;AA!A", 1, 0, "line 2, segment 1: '!' is not a base64 digit (byte 7 of the mappings)"},
		{"truncated", "AAAA;AAAg", 1, 0, "line 2, segment 1: a VLQ value is cut short"},
		{"truncated before a comma", "AAAA,Cg,A", 0, 0, "line 1, segment 2 (after column 1): a VLQ value is cut short"},
		{"two fields", "AA", 0, 0, "line 1, segment 1: a segment has 2 fields (a segment has 1, 4 or 5)"},
		{"six fields", "AAAA,CAAAAA", 0, 0, "line 1, segment 2 (after column 1): a segment has 6 fields"},
		{"source out of range", "AEAA", 0, 0, "line 1, column 1: source index 2 is out of range (the map has 1 source)"},
		{"negative source", "ADAA", 0, 0, "source index -1 is out of range"},
		{"negative line", "AADA", 0, 0, "original position (line -1, column 0) is out of range"},
	}
	for _, c := range cases {
		m := mustParse(t, `{"version":3,"sources":["a.js"],"names":[],"mappings":"`+c.mappings+`"}`)
		_, ok, err := m.LookupErr(c.line, c.col)
		if ok || err == nil || !strings.Contains(err.Error(), c.wantErr) {
			t.Errorf("%s: ok=%v err=%v, want %q", c.name, ok, err, c.wantErr)
		}
		if _, ok := m.Lookup(c.line, c.col); ok {
			t.Errorf("%s: Lookup ok", c.name)
		}
		if ps := m.Check(context.Background(), nil); len(ps.List) == 0 || ps.List[0].Error() != err.Error() {
			t.Errorf("%s: Check says %v, lookup %v", c.name, ps.List, err)
		}
	}
	// Lines before a malformed line still resolve.
	m := mustParse(t, `{"version":3,"sources":["a.js"],"mappings":"AAAA;AA!A"}`)
	if got := fmtLookup(m, 0, 0); got != "a.js:1:1" {
		t.Errorf("line before error: %q", got)
	}
	if m.Err() == nil {
		t.Error("Err() = nil for malformed mappings")
	}
	// A name index out of range costs the segment its name, and says so.
	m = mustParse(t, `{"version":3,"sources":["a.js"],"names":["x"],"mappings":"AAAAC"}`)
	mp, ok, err := m.LookupErr(0, 0)
	if !ok || err != nil || mp.Name != "" || mp.Problem != "mappings, generated line 1, column 1: name index 1 is out of range (the map has 1 name); the segment has no name" {
		t.Errorf("name out of range: %+v %v %v", mp, ok, err)
	}
	// A negative generated column drops the segment (and only it).
	m = mustParse(t, `{"version":3,"sources":["a.js"],"names":[],"mappings":"KAAA,PAAC,SAAC"}`)
	if got := fmtLookup(m, 0, 4); got != "none" {
		t.Errorf("negative column: %q", got)
	}
	if got := fmtLookup(m, 0, 6); got != "a.js:1:1" {
		t.Errorf("before a dropped segment: %q", got)
	}
	if got := fmtLookup(m, 0, 7); got != "a.js:1:3" {
		t.Errorf("after a dropped segment: %q", got)
	}
	ps := m.Check(context.Background(), nil)
	if len(ps.List) != 1 || ps.List[0].Error() != "mappings, generated line 1: a segment's generated column is -2, below 0; the segment is left out" {
		t.Errorf("negative column problems: %v", ps.List)
	}
}

func TestManyLinesCheckpoints(t *testing.T) {
	// 5000 lines, line k maps to orig line k, col k%7, with varied line
	// lengths so checkpoints are taken by both rules.
	var b strings.Builder
	for k := 0; k < 5000; k++ {
		if k > 0 {
			b.WriteByte(';')
		}
		// first segment: col 0, orig line +1 (except line 0), orig col set
		if k == 0 {
			b.WriteString("AAAA")
		} else {
			b.WriteString("AACA")
		}
		for j := 0; j < k%40; j++ {
			b.WriteString(",CAAA") // +1 col, same orig
		}
	}
	m := mustParse(t, `{"version":3,"sources":["a.js"],"mappings":"`+b.String()+`"}`)
	for _, k := range []int{4999, 0, 63, 64, 65, 1000, 2047, 3333, 1} {
		mp, ok := m.Lookup(k, 1000)
		if !ok || mp.Line != k || mp.Column != 0 {
			t.Fatalf("line %d: %+v %v", k, mp, ok)
		}
	}
	if _, ok := m.Lookup(5000, 0); ok {
		t.Fatal("line beyond map mapped")
	}
}

func TestSourceContentAndIgnore(t *testing.T) {
	m := mustParse(t, `{"version":3,"sources":["a.js","b.js","c.js","d.js"],
	 "sourcesContent":["a\n\"q\" \u00e9", null , "[x]{y},z"],
	 "x_google_ignoreList":[1,99,-1],"debug_id":"a938a92f307441f7bfdb1038430a983c",
	 "mappings":"AAAA,CCAA"}`)
	if s, ok := m.SourceContent(0); !ok || s != "a\n\"q\" é" {
		t.Errorf("content 0 = %q %v", s, ok)
	}
	if _, ok := m.SourceContent(1); ok {
		t.Error("null content reported ok")
	}
	if s, ok := m.SourceContent(2); !ok || s != "[x]{y},z" {
		t.Errorf("content 2 = %q %v", s, ok)
	}
	if _, ok := m.SourceContent(3); ok {
		t.Error("missing content reported ok")
	}
	if _, ok := m.SourceContent(-1); ok {
		t.Error("negative index ok")
	}
	for i, want := range []bool{true, false, true, false} {
		if m.HasSourceContent(i) != want {
			t.Errorf("HasSourceContent(%d) = %v", i, !want)
		}
	}
	// An entry that is not a valid JSON string has no content, for both.
	bad := mustParse(t, `{"version":3,"sources":["a.js"],"sourcesContent":["\q"],"mappings":"AAAA"}`)
	if _, ok := bad.SourceContent(0); ok || bad.HasSourceContent(0) {
		t.Error("an invalid escape counted as content")
	}
	if m.DebugID() != "a938a92f307441f7bfdb1038430a983c" {
		t.Errorf("debug_id = %q", m.DebugID())
	}
	mp, _ := m.Lookup(0, 1)
	if mp.Source != "b.js" || !mp.Ignored {
		t.Errorf("x_google_ignoreList: %+v", mp)
	}
	// ignoreList preferred over x_google_ignoreList
	m = mustParse(t, `{"version":3,"sources":["a.js","b.js"],"ignoreList":[0],"x_google_ignoreList":[1],"mappings":"AAAA,CCAA"}`)
	if mp, _ := m.Lookup(0, 0); !mp.Ignored {
		t.Error("ignoreList not applied")
	}
	if mp, _ := m.Lookup(0, 1); mp.Ignored {
		t.Error("x_google_ignoreList used although ignoreList present")
	}
}

func TestReadContent(t *testing.T) {
	raw := ` [ "a,b" , null,{"x":[1,2]},[3,"]"], 12 ,"\\\""] `
	m := &Map{content: []byte(raw)}
	// Element 1 reads no further than element 1.
	if err := m.readContent(1); err != nil || len(m.contOffs) != 2 || m.contDone {
		t.Fatalf("readContent(1): %v, %d elements, done %v", err, len(m.contOffs), m.contDone)
	}
	if err := m.readContent(-1); err != nil || !m.contDone {
		t.Fatal(err, m.contDone)
	}
	var got []string
	for _, o := range m.contOffs {
		got = append(got, raw[o[0]:o[1]])
	}
	want := []string{`"a,b"`, `null`, `{"x":[1,2]}`, `[3,"]"]`, `12`, `"\\\""`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q want %q", got, want)
	}
	// ParseLazy's guess of where the value ends is checked at the end.
	for _, bad := range []string{`["a"], "names": ["b"]`, `"a"`, `["a" "b"]`} {
		m := &Map{content: []byte(bad)}
		if err := m.readContent(-1); err == nil {
			t.Errorf("readContent(%s): no error", bad)
		}
	}
}

// What the member scan reads must agree with encoding/json: file, sources,
// names, sourcesContent, debugId and ignoreList.
func TestMembersAgreeWithEncodingJSON(t *testing.T) {
	docs := []string{
		`{"version":3,"file":"a\"b","sources":["x\\\"y",null],"sourcesContent":["q\"]\\",null],"names":["n"],"mappings":"AA\u0041A","x":{"y":[1,"}"]},"ignoreList":[1],"debugId":"8cf3d888-fc9e-457d-a999-6ffef384b736"}`,
		` { "version" : 3 , "sources" : [ ] , "mappings" : "" } `,
	}
	if files, _ := filepath.Glob(filepath.Join(fixturesDir, "*", "*.map")); len(files) > 0 {
		for _, f := range files {
			b, _ := os.ReadFile(f)
			docs = append(docs, string(b))
		}
	}
	for _, d := range docs {
		m, err := Parse([]byte(d))
		if err != nil {
			t.Errorf("Parse(%.60q): %v", d, err)
			continue
		}
		var raw struct {
			File           string    `json:"file"`
			Sources        []*string `json:"sources"`
			SourcesContent []*string `json:"sourcesContent"`
			Names          []string  `json:"names"`
			DebugID        string    `json:"debugId"`
			IgnoreList     []int     `json:"ignoreList"`
			Mappings       string    `json:"mappings"`
		}
		if err := json.Unmarshal([]byte(d), &raw); err != nil {
			t.Fatal(err)
		}
		if m.File() != raw.File || m.DebugID() != raw.DebugID || m.mappings != raw.Mappings {
			t.Errorf("file/debugId/mappings differ for %.60q", d)
		}
		if got, want := m.Sources(), deref(raw.Sources); !reflect.DeepEqual(got, want) {
			t.Errorf("sources %q, want %q", got, want)
		}
		if got := m.names.all(); !reflect.DeepEqual(got, raw.Names) && (len(got) > 0 || len(raw.Names) > 0) {
			t.Errorf("names %q, want %q", got, raw.Names)
		}
		for i, c := range raw.SourcesContent {
			got, ok := m.SourceContent(i)
			if ok != (c != nil) || c != nil && got != *c {
				t.Errorf("sourcesContent[%d] = %q %v", i, got, ok)
			}
		}
		for _, i := range raw.IgnoreList {
			if !m.ignored[i] {
				t.Errorf("ignoreList %d not read", i)
			}
		}
		if len(m.Problems()) != 0 {
			t.Errorf("problems in a valid map: %v", m.Problems())
		}
	}
	for _, bad := range []string{`{"version":3,"mappings":"A"`, `{"version":3,}`, `[1]`, `{"version":3} x`, `{"a":"\"}`,
		`{"version":3,"names":["\x"],"sources":[],"mappings":""}`, `{"version":3,"names":["a	b"],"sources":[],"mappings":""}`} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("Parse accepted %q", bad)
		}
	}
}

// A 10^5-segment line and 2·10^5 empty lines: correct lookups and a small
// checkpoint index.
func TestHugeLineAndManyEmptyLines(t *testing.T) {
	var b strings.Builder
	b.WriteString("AAAA")
	for i := 1; i < 100000; i++ {
		b.WriteString(",CAAC") // +1 gen col, +1 orig col
	}
	b.WriteString(strings.Repeat(";", 200000))
	b.WriteString("AACA")
	m := mustParse(t, `{"version":3,"sources":["a.js"],"mappings":"`+b.String()+`"}`)
	for _, c := range []int{0, 1, 5000, 99998, 99999, 1 << 20} {
		mp, ok := m.Lookup(0, c)
		want := min(c, 99999)
		if !ok || mp.Line != 0 || mp.Column != want {
			t.Fatalf("col %d: %+v %v", c, mp, ok)
		}
	}
	if _, ok := m.Lookup(100000, 0); ok {
		t.Fatal("empty line mapped")
	}
	if mp, ok := m.Lookup(200000, 7); !ok || mp.Line != 1 || mp.Column != 99999 {
		t.Fatalf("last line: %+v %v", mp, ok)
	}
	if n, lim := len(m.ix.cps), 200001/cpEveryLines+len(m.mappings)/cpEveryBytes+2; n > lim {
		t.Fatalf("%d checkpoints, want <= %d", n, lim)
	}
}

func TestURLSections(t *testing.T) {
	idx := []byte(`{"version":3,"sections":[{"offset":{"line":1,"column":4},"url":"b.js.map"}]}`)
	if _, err := Parse(idx); err == nil || !strings.Contains(err.Error(), `names a map to load (b.js.map), which only works for a map read from a file`) {
		t.Errorf("Parse without a loader: %v", err)
	}
	loaded := ""
	m, err := ParseWith(idx, func(u string) ([]byte, error) {
		loaded = u
		return []byte(`{"version":3,"sources":["b.ts"],"names":[],"mappings":"AAAA"}`), nil
	})
	if err != nil || loaded != "b.js.map" {
		t.Fatalf("err %v, loaded %q", err, loaded)
	}
	if _, ok := m.Lookup(1, 3); ok {
		t.Error("a position before the section's start column belongs to no section")
	}
	if mp, ok := m.Lookup(1, 4); !ok || mp.Source != "b.ts" {
		t.Errorf("Lookup(1,4) = %+v %v", mp, ok)
	}
	if got := m.ResolveSource("/maps/app.js.map", 0); got != "/maps/b.ts" {
		t.Errorf("ResolveSource = %q", got)
	}
	both := []byte(`{"version":3,"sections":[{"offset":{"line":0,"column":0},"url":"x","map":{"version":3,"sources":[],"names":[],"mappings":""}}]}`)
	if _, err := ParseWith(both, func(string) ([]byte, error) { return nil, nil }); err == nil || !strings.Contains(err.Error(), `both "url" and "map"`) {
		t.Errorf("url and map: %v", err)
	}
}

// Escaped, non-ASCII and invalid UTF-8 names decode as encoding/json does.
func TestLazyNamesAgree(t *testing.T) {
	doc := `{"version":3,"sources":["a\u00e9.js","b.js",null],"names":["plain","\u0041\n","é","\ud83d\ude00","ÿþ"],"mappings":""}`
	m, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Sources []*string `json:"sources"`
		Names   []string  `json:"names"`
	}
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		t.Fatal(err)
	}
	if got := m.names.all(); !reflect.DeepEqual(got, raw.Names) {
		t.Errorf("names %q, want %q", got, raw.Names)
	}
	if got, want := m.Sources(), deref(raw.Sources); !reflect.DeepEqual(got, want) {
		t.Errorf("sources %q, want %q", got, want)
	}
	if !m.sources.Null(2) || m.sources.Null(0) {
		t.Error("Null() wrong")
	}
}

func deref(p []*string) []string {
	out := make([]string, len(p))
	for i, s := range p {
		if s != nil {
			out[i] = *s
		} else {
			out[i] = ""
		}
	}
	return out
}

// vlq encodes one mappings value.
func vlq(v int) string { return string(AppendVLQ(nil, int64(v))) }

// Long lines get column checkpoints; lookups through them must give what
// decoding the whole line gives, ties and 1-field segments included, and a
// line whose columns decrease must not use them.
func TestColumnCheckpointsAgree(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	var b strings.Builder
	for line := 0; line < 4; line++ {
		if line > 0 {
			b.WriteString(";")
		}
		for k := 0; k < 6000; k++ {
			if k > 0 {
				b.WriteString(",")
			}
			d := rng.Intn(4) // 0: a tie with the previous segment
			if line == 2 && k == 5000 {
				d = -3 // this line is unsorted
			}
			b.WriteString(vlq(d))
			if rng.Intn(10) > 0 {
				b.WriteString(vlq(0) + vlq(rng.Intn(3)-1) + vlq(rng.Intn(5)-2))
				if rng.Intn(2) == 0 {
					b.WriteString(vlq(rng.Intn(3) - 1))
				}
			}
		}
	}
	m := mustParse(t, `{"version":3,"sources":["a.js"],"names":["x","y","z"],"mappings":"`+b.String()+`"}`)
	if err := m.Err(); err != nil {
		t.Fatal(err)
	}
	for line := 0; line < 4; line++ {
		a, e := m.ix.lineCheckpoints(line)
		if line == 2 && a != e {
			t.Fatalf("unsorted line 2 has %d column checkpoints", e-a)
		}
		if line != 2 && e-a < 5 {
			t.Fatalf("line %d has %d column checkpoints", line, e-a)
		}
		segs, err := decodeLine(m.mappings, m.ix, line, m.limits())
		if err != nil {
			t.Fatal(err)
		}
		for q := 0; q < 3000; q++ {
			col := rng.Intn(int(segs[len(segs)-1].genCol) + 10)
			got, found, err := m.find(line, col)
			if err != nil {
				t.Fatal(err)
			}
			j := glb(segs, col)
			if found != (j >= 0) || found && got != segs[j] {
				t.Fatalf("line %d col %d: find %+v %v, decoded line %d", line, col, got, found, j)
			}
		}
	}
}
