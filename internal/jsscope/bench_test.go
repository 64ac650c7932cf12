package jsscope

import (
	"os"
	"path/filepath"
	"testing"
)

func benchParse(b *testing.B, path string) {
	src, err := os.ReadFile(path)
	if err != nil {
		b.Skipf("%s absent (%v): the benchmark corpus is a local cache, not committed", path, err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	var n int
	for b.Loop() {
		ix, err := Parse(src)
		if err != nil {
			b.Fatal(err)
		}
		n = len(ix.roots)
	}
	_ = n
}

// BenchmarkParseFixture parses the biggest committed fixture bundle.
func BenchmarkParseFixture(b *testing.B) {
	paths, _ := filepath.Glob(filepath.Join(fixtures, "*", "*.*js"))
	biggest, size := "", int64(-1)
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil && filepath.Ext(p) != ".map" && fi.Size() > size {
			biggest, size = p, fi.Size()
		}
	}
	if biggest == "" {
		b.Skip("no fixture bundles")
	}
	benchParse(b, biggest)
}

// BenchmarkParseBabylon parses babylon.js (8.9 MB on one line) from the local
// benchmark cache, and then answers a lookup near its end.
func BenchmarkParseBabylon(b *testing.B) {
	benchParse(b, "../../.cache/bench/corpus/babylonjs@9.34.0/babylon.js")
}

func BenchmarkEnclosingBabylon(b *testing.B) {
	path := "../../.cache/bench/corpus/babylonjs@9.34.0/babylon.js"
	src, err := os.ReadFile(path)
	if err != nil {
		b.Skipf("%s absent (%v)", path, err)
	}
	ix, err := Parse(src)
	if err != nil {
		b.Fatal(err)
	}
	last := len(ix.lines) - 1
	col := ix.pos(len(src)-1).Col / 2
	b.ResetTimer()
	for b.Loop() {
		ix.Enclosing(last, col)
	}
}

// BenchmarkParseForBabylon indexes babylon.js for the four positions the
// resolve-3maps benchmark trace has in it (testdata/bench/resolve-trace.txt).
func BenchmarkParseForBabylon(b *testing.B) {
	path := "../../.cache/bench/corpus/babylonjs@9.34.0/babylon.js"
	src, err := os.ReadFile(path)
	if err != nil {
		b.Skipf("%s absent (%v)", path, err)
	}
	at := []Pos{{0, 1259083}, {0, 2614412}, {0, 4156395}, {0, 6656983}}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		ix, err := ParseFor(src, at)
		if err != nil {
			b.Fatal(err)
		}
		if ix.cuts == nil {
			b.Fatal("fell back to the whole file")
		}
	}
}

// BenchmarkParseForMonaco indexes monaco's editor.main.js (3.8 MB, 700+
// lines) for the three positions of the resolve-3maps trace.
func BenchmarkParseForMonaco(b *testing.B) {
	path := "../../.cache/bench/corpus/monaco-editor@0.52.2/min/vs/editor/editor.main.js"
	src, err := os.ReadFile(path)
	if err != nil {
		b.Skipf("%s absent (%v)", path, err)
	}
	at := []Pos{{119, 26712}, {626, 642}, {672, 24150}}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		ix, err := ParseFor(src, at)
		if err != nil {
			b.Fatal(err)
		}
		if ix.cuts == nil {
			b.Fatal("fell back to the whole file")
		}
	}
}
