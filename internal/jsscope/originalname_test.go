package jsscope

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/sourcemap"
)

// vlq encodes one base64 VLQ value.
func vlq(v int) string { return string(sourcemap.AppendVLQ(nil, int64(v))) }

// seg is one absolute segment on generated line 0: generated column,
// original line and column, name index (-1: none).
type seg struct{ gen, line, col, name int }

func buildMap(t *testing.T, content string, names []string, segs []seg) *sourcemap.Map {
	t.Helper()
	var parts []string
	pg, pl, pc, pn := 0, 0, 0, 0
	for _, s := range segs {
		f := vlq(s.gen-pg) + vlq(0) + vlq(s.line-pl) + vlq(s.col-pc)
		if s.name >= 0 {
			f += vlq(s.name - pn)
			pn = s.name
		}
		pg, pl, pc = s.gen, s.line, s.col
		parts = append(parts, f)
	}
	data, err := json.Marshal(map[string]any{
		"version": 3, "sources": []string{"orig.js"}, "sourcesContent": []string{content},
		"names": names, "mappings": strings.Join(parts, ","),
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := sourcemap.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestOriginalName(t *testing.T) {
	const orig = "function realName(){ x() }\nconst arrowName = (a) => { y() }\n"
	tests := []struct {
		name, gen string
		segs      []seg
		want      string
	}{
		{"name segment at the part", `function a(){x()}`,
			[]seg{{0, 0, 0, -1}, {9, 0, 9, 0}, {10, 0, 17, -1}}, "realName"},
		{"name segment one column before", `function a(){x()}`,
			[]seg{{0, 0, 0, -1}, {8, 0, 9, 0}, {10, 0, 17, -1}}, "realName"},
		{"name segment two columns before is not accepted", `function  a(){x()}`,
			[]seg{{0, 0, 0, -1}, {8, 0, 9, 0}, {11, 0, 17, -1}}, "a"},
		{"segment without name keeps the minified part", `function a(){x()}`,
			[]seg{{0, 0, 0, -1}, {9, 0, 9, -1}}, "a"},
		{"class method parts mapped one by one", `class C{m(){x()}}`,
			[]seg{{0, 0, 0, -1}, {6, 0, 9, 0}, {8, 0, 12, 1}}, "realName.arrowName"},
		{"inlined IIFE takes the original function's name", `!function(){x()}()`,
			[]seg{{0, 0, 0, -1}, {1, 0, 0, -1}, {12, 0, 21, -1}}, "realName"},
		{"context name loses to the original function's own name", `var q=function(){x()}`,
			[]seg{{0, 0, 0, -1}, {4, 0, 9, -1}, {6, 0, 0, -1}}, "realName"},
		{"inlined arrow at the declaration start", `f(()=>{y()})`,
			[]seg{{0, 0, 0, -1}, {2, 1, 0, -1}}, "arrowName"},
		{"inlined arrow at its parenthesis", `f(()=>{y()})`,
			[]seg{{0, 0, 0, -1}, {2, 1, 18, -1}}, "arrowName"},
		{"inlined arrow at its first parameter", `f(a=>{y()})`,
			[]seg{{0, 0, 0, -1}, {2, 1, 19, -1}}, "arrowName"},
		{"arrow mapped elsewhere stays anonymous", `f(a=>{y()})`,
			[]seg{{0, 0, 0, -1}, {2, 1, 27, -1}}, Anonymous},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := buildMap(t, orig, []string{"realName", "arrowName"}, tt.segs)
			ix, err := Parse([]byte(tt.gen))
			if err != nil {
				t.Fatal(err)
			}
			marker := "x()"
			if strings.Contains(tt.gen, "y()") {
				marker = "y()"
			}
			line, col := at(t, tt.gen, marker)
			s, ok := ix.Enclosing(line, col)
			if !ok {
				t.Fatal("top level")
			}
			if got, _ := s.OriginalName(m); got != tt.want {
				t.Errorf("OriginalName = %q, want %q (minified %q)", got, tt.want, s.Name)
			}
		})
	}
	// Without a map the minified name stays.
	ix, _ := Parse([]byte(`class C{m(){x()}}`))
	s, _ := ix.Enclosing(0, 12)
	if got, ok := s.OriginalName(nil); got != "C.m" || ok {
		t.Errorf("OriginalName(nil) = %q, %v", got, ok)
	}
}

func TestOriginalSourceColumns(t *testing.T) {
	// Original line with an astral character before the function: the map's
	// UTF-16 column must be converted, not used as a byte index.
	content := "a\r\nb\u2028var s=\"🧾\";function realName(){}\n"
	line, ok := sourceLine(content, 2)
	if !ok || line != "var s=\"🧾\";function realName(){}" {
		t.Fatalf("sourceLine = %q, %v", line, ok)
	}
	if _, ok := sourceLine(content, 4); ok {
		t.Errorf("sourceLine past the end succeeded")
	}
	// `function` is at UTF-16 column 11 (🧾 counts 2), byte 13.
	if i := utf16ToByte(line, 11); i != 13 {
		t.Errorf("utf16ToByte(11) = %d, want 13", i)
	}
	if i := utf16ToByte(line, 99); i != -1 {
		t.Errorf("utf16ToByte(99) = %d, want -1", i)
	}
	ix, err := Parse([]byte(`!function(){x()}()`))
	if err != nil {
		t.Fatal(err)
	}
	// The IIFE's `function` maps to original line 2 column 11.
	data := buildMapLines(t, content, seg{1, 2, 11, -1})
	s, _ := ix.Enclosing(0, 12)
	if got, _ := s.OriginalName(data); got != "realName" {
		t.Errorf("OriginalName = %q, want realName", got)
	}
}

func buildMapLines(t *testing.T, content string, s seg) *sourcemap.Map {
	t.Helper()
	return buildMap(t, content, nil, []seg{{0, 0, 0, -1}, s})
}
