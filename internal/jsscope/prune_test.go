package jsscope

import (
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// samePositions compares ParseFor against Parse at the given positions, in
// groups of a few positions per ParseFor as resolve uses it. It returns how
// many ParseFor calls fell back to parsing the whole file.
func samePositions(t *testing.T, name string, src []byte, full *Index, pos []Pos, group int) (fallbacks int) {
	t.Helper()
	for g := 0; g < len(pos); g += group {
		at := pos[g:min(g+group, len(pos))]
		ix, err := ParseFor(src, at)
		if err != nil {
			t.Fatalf("%s: ParseFor: %v", name, err)
		}
		if ix.cuts == nil {
			fallbacks++
		}
		for _, p := range at {
			want, wok := full.Enclosing(p.Line, p.Col)
			got, gok := ix.Enclosing(p.Line, p.Col)
			if wok != gok || want.Name != got.Name || want.Start != got.Start || want.End != got.End ||
				want.kind != got.kind || !sameParts(want.Parts, got.Parts) {
				t.Errorf("%s at %d:%d: ParseFor gives %+v (%v), Parse %+v (%v)", name, p.Line, p.Col, got, gok, want, wok)
			}
		}
	}
	return fallbacks
}

func sameParts(a, b []NamePart) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// positionsOf returns n random positions of src plus, for every scope, its
// start, the position just inside it and its last character.
func positionsOf(ix *Index, n int, rng *rand.Rand) []Pos {
	var pos []Pos
	for _, s := range ix.Scopes() {
		pos = append(pos, s.Start, Pos{s.Start.Line, s.Start.Col + 1})
		if s.End.Col > 0 {
			pos = append(pos, Pos{s.End.Line, s.End.Col - 1})
		}
	}
	rng.Shuffle(len(pos), func(i, j int) { pos[i], pos[j] = pos[j], pos[i] })
	for k := 0; k < n; k++ {
		off := rng.Intn(len(ix.src))
		for off > 0 && ix.src[off]&0xC0 == 0x80 {
			off--
		}
		pos = append(pos, ix.pos(off))
	}
	return pos
}

// TestParseForAgreesOnFixtures: on every committed bundle, every scope
// boundary and random positions get the same answer from ParseFor as from
// Parse, without falling back to the whole file.
func TestParseForAgreesOnFixtures(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(fixtures, "*", "*.*js"))
	rng := rand.New(rand.NewSource(1))
	for _, p := range paths {
		if strings.HasSuffix(p, ".map") {
			continue
		}
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		full, err := Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		if fb := samePositions(t, p, src, full, positionsOf(full, 300, rng), 3); fb > 0 {
			t.Errorf("%s: %d ParseFor calls parsed the whole file", p, fb)
		}
	}
}

// TestParseForAgreesOnCorpus does the same on the benchmark corpus's bundles
// when the local cache has them (testdata/bench/fetch-corpus.sh).
func TestParseForAgreesOnCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	root := "../../.cache/bench/corpus"
	var paths []string
	_ = filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && (strings.HasSuffix(p, ".js") || strings.HasSuffix(p, ".mjs")) && fi.Size() > 200<<10 {
			paths = append(paths, p)
		}
		return nil
	})
	if len(paths) == 0 {
		t.Skip("no corpus under " + root)
	}
	rng := rand.New(rand.NewSource(2))
	rng.Shuffle(len(paths), func(i, j int) { paths[i], paths[j] = paths[j], paths[i] })
	for _, p := range paths[:min(len(paths), 12)] {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		full, err := Parse(src)
		if err != nil {
			continue // the whole-file parser rejects it; nothing to compare
		}
		pos := positionsOf(full, 40, rng)
		pos = pos[:min(len(pos), 120)]
		if fb := samePositions(t, p, src, full, pos, 4); fb > 0 {
			t.Logf("%s: %d of %d ParseFor calls parsed the whole file", p, fb, (len(pos)+3)/4)
		}
	}
}

func TestPruneLexing(t *testing.T) {
	tests := []struct{ name, src, marker string }{
		{"regex with brace", `var r = /[{]}/g; function f(){ HERE }`, "HERE"},
		{"division", `var a = b / c; function f(){ var x = {a:1}; HERE }`, "HERE"},
		{"regex after return", `function f(){ return /}/.test(x) } function g(){ HERE }`, "HERE"},
		{"template nesting", "var t = `a${ {b: `c${ {d:1} }`} }e`; function f(){ HERE }", "HERE"},
		{"position in template", "function f(){ return `x${ HERE }` }", "HERE"},
		{"comments", "/* { */ // {\nfunction f(){ HERE }", "HERE"},
		{"strings", `var s = "{\"" + '}\''; function f(){ HERE }`, "HERE"},
		{"regex after if paren", `function f(){ if (a) /x}/.test(b); HERE }`, "HERE"},
		{"division after paren", `function f(){ var q = (a) / 2 / (b); HERE }`, "HERE"},
		{"object then division", `function f(){ x = {}.a / 2 / 1; HERE }`, "HERE"},
		{"keyword property", `function f(){ x = a.return / 2 / 1; HERE }`, "HERE"},
		{"class", `class A { m(){ return {a(){}} } n(){ HERE } }`, "HERE"},
		{"long string key", `var o = {"` + strings.Repeat("k", 300) + `": function(){ HERE }}`, "HERE"},
		{"long string member", `a["` + strings.Repeat("k", 300) + `"] = function(){ HERE }`, "HERE"},
		{"long string method", `var o = {"` + strings.Repeat("k", 300) + `"(){ HERE }}`, "HERE"},
		{"statements removed", `a(); b = 1; var c = function(){ HERE }; d();`, "HERE"},
		{"switch body kept", `function f(x){ switch (x) { case 0: g(); break; case 1: var h = () => { HERE }; } }`, "HERE"},
		{"if else", `function f(x){ if (x) a(); else b(); if (x) c(); else var d = () => { HERE }; }`, "HERE"},
		{"else branch kept", `function f(x){ if (x) var d = () => { HERE }; else b(); e(); }`, "HERE"},
		{"do while", `function f(x){ do a(); while (x); var d = () => { HERE }; }`, "HERE"},
		{"class fields", `class A { a = 1; b = () => { HERE }; c = 2; }`, "HERE"},
		{"call arguments removed", `f(a, b, function(){ return 1 }, [1, 2, 3], {x: 1}); var g = () => { HERE }`, "HERE"},
		{"new keeps its arguments", `var g = () => new F(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, HERE)`, "HERE"},
		{"new ends the arrow", `var g = x => new F(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbb); h()`, ")"},
		{"setter keeps its parameter", `var o = { set x(vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv){}, m(){ HERE } }`, "HERE"},
		{"word in a comment is no callee", "// end\n(function(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa){})(function f(){ HERE })", "HERE"},
		{"long string emptied", `var s = "` + strings.Repeat("{", 300) + `"; function f(){ HERE }`, "HERE"},
	}
	for _, tt := range tests {
		line, col := at(t, tt.src, tt.marker)
		full, err := Parse([]byte(tt.src))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if fb := samePositions(t, tt.name, []byte(tt.src), full, []Pos{{line, col}}, 1); fb > 0 {
			t.Errorf("%s: fell back to the whole file", tt.name)
		}
	}
}
