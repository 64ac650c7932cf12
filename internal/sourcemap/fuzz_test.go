package sourcemap

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// parseSeeds are FuzzParse's seeds; TestLenientAndStrictAgree reads them too.
var parseSeeds = []string{
	`{"version":3,"sources":["orig.js"],"names":["theName"],"mappings":"KAUA,KACIA,U;GASJ;;AAUE"}`,
	`{"version":3,"sections":[{"offset":{"line":0,"column":0},"map":{"version":3,"sources":["a.js"],"mappings":"AAAA;AACA"}},{"offset":{"line":1,"column":10},"map":{"version":3,"sources":["b.js"],"names":["n"],"mappings":"AAAA,KAAKA;AAGL","ignoreList":[0]}}]}`,
	")]}'\n{\"version\":3,\"sources\":[null,\"webpack://x/./a.js\"],\"sourcesContent\":[null,\"x\\\"y\"],\"mappings\":\"AAAA,CCAA;;gggggggggA\"}",
	"\xEF\xBB\xBF{\"version\":3,\"sources\":[],\"mappings\":\"AEAA,D\"}",
	`{"version":3,"sources":["a.js",1],"sourcesContent":[2,null],"names":["n",null],"ignoreList":[5,"x"],"debugId":"nope","mappings":"AAAAC,,PCAA,AAAAD;AEAA;AADA,AAAAA,"}`,
	`{"version":3,"sources":["a.js"],"names":"x","mappings":"AAAA;B;ggggggE"}`,
}

// lookupSeeds are FuzzLookup's seeds; TestLenientAndStrictAgree reads them too.
var lookupSeeds = []string{specVectorMappings, "KAAA,KACIA,U;GASJ;;AAAUE", "AAAA,AAKA,EAAA", "UAAA,RAEA", ";;;AAAA,C,CACA;E", "gggggggggA", "AA!A", "D", ",,;AAAA,;,", "AAAAE,EAAAE,GCAAG", "AAAA,Cg,A"}

func FuzzParse(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s))
	}
	if files, _ := filepath.Glob(filepath.Join(fixturesDir, "*", "*.map")); len(files) > 0 {
		if b, err := os.ReadFile(files[0]); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			if m != nil {
				t.Fatal("map returned with error")
			}
			return
		}
		_ = m.Err()
		_ = m.DebugID()
		src := m.Sources()
		for i := -1; i <= len(src) && i < 50; i++ {
			if _, ok := m.SourceContent(i); ok != m.HasSourceContent(i) {
				t.Fatalf("source %d: SourceContent says %v, HasSourceContent %v", i, ok, !ok)
			}
			m.ResolveSource("/p/d/x.map", i)
			m.ResolveSource("https://h/a/x.map", i)
		}
		for line := 0; line < 5; line++ {
			for _, col := range []int{0, 1, 5, 20, 1 << 30} {
				if mp, ok := m.Lookup(line, col); ok {
					if mp.SourceIndex < 0 || mp.SourceIndex >= len(src) || src[mp.SourceIndex] != mp.Source || mp.Line < 0 || mp.Column < 0 {
						t.Fatalf("bad mapping %+v (sources %q)", mp, src)
					}
				}
			}
		}
	})
}

// FuzzLookup checks the engine against the naive reference decoder on
// random mappings strings: never a panic; wherever the engine reports no
// error, its answer is the same-line greatest lower bound (first of ties),
// none for 1-field segments, empty lines and lines beyond the map.
func FuzzLookup(f *testing.F) {
	for _, s := range lookupSeeds {
		f.Add(s, uint16(0), uint16(3))
	}
	sources := []string{"a.js", "b.js", "c.js"}
	names := []string{"x", "y"}
	f.Fuzz(func(t *testing.T, mappings string, line, col uint16) {
		doc, _ := json.Marshal(map[string]any{"version": 3, "sources": sources, "names": names, "mappings": mappings})
		m, err := Parse(doc)
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		agreeOn(t, mappings, m)
		l, c := int(line%64), int(col)
		mp, ok, lerr := m.LookupErr(l, c)
		if ok && lerr != nil {
			t.Fatal("ok with error")
		}
		if m.Err() != nil || lerr != nil {
			return
		}
		// The whole string is well-formed: compare with the reference.
		ref := refDecode(mappings)
		var best *refSeg
		if l < len(ref) {
			for i := range ref[l] {
				s := &ref[l][i]
				if s.gen >= 0 && s.gen <= math.MaxInt32 && s.gen <= c && (best == nil || s.gen > best.gen) {
					best = s
				}
			}
		}
		switch {
		case best == nil || best.fields < 4:
			if ok {
				t.Fatalf("(%d,%d): engine %+v, reference none", l, c, mp)
			}
		case !ok:
			t.Fatalf("(%d,%d): engine none, reference %+v", l, c, *best)
		default:
			wantName := ""
			if best.name >= 0 && best.name < len(names) {
				wantName = names[best.name]
			}
			if mp.SourceIndex != best.src || mp.Line != best.line || mp.Column != best.col || mp.Name != wantName {
				t.Fatalf("(%d,%d): engine %+v, reference %+v", l, c, mp, *best)
			}
		}
		// Past the last segment of a mapped line: same answer as that segment.
		if l < len(ref) && len(ref[l]) > 0 && !strings.Contains(mappings, "!") {
			maxGen := 0
			for _, s := range ref[l] {
				maxGen = max(maxGen, s.gen)
			}
			a, aok := m.Lookup(l, maxGen)
			b, bok := m.Lookup(l, maxGen+1000)
			if a != b || aok != bok {
				t.Fatalf("line %d: past-the-end lookup differs: %+v %v vs %+v %v", l, a, aok, b, bok)
			}
		}
	})
}
