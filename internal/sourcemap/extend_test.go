package sourcemap

import (
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

// randomMappings writes a mappings string of a few lines with ordinary,
// empty, unsorted and (sometimes) malformed lines.
func randomMappings(rng *rand.Rand) string {
	var b strings.Builder
	lines := 1 + rng.Intn(200)
	for line := 0; line < lines; line++ {
		if line > 0 {
			b.WriteByte(';')
		}
		segs := rng.Intn(4) * rng.Intn(300)
		for k := 0; k < segs; k++ {
			if k > 0 {
				b.WriteByte(',')
			}
			d := rng.Intn(40)
			if rng.Intn(500) == 0 {
				d = -5 // unsorted
			}
			b.WriteString(vlq(d))
			if rng.Intn(8) > 0 {
				b.WriteString(vlq(rng.Intn(3)) + vlq(rng.Intn(700)-350) + vlq(rng.Intn(40)-20))
				if rng.Intn(2) == 0 {
					b.WriteString(vlq(rng.Intn(9) - 4))
				}
			}
			if rng.Intn(20000) == 0 {
				b.WriteString("AA") // a segment of 3 fields: an error
			}
		}
	}
	return b.String()
}

// checkExtend extends an index through the given lines in turn and checks,
// after each step, that every decoded line is indexed as in the whole pass,
// and at the end that the index is the whole pass's.
func checkExtend(t *testing.T, s string, steps []int) {
	t.Helper()
	full := buildIndex(s)
	ix := newLineIndex()
	for _, k := range steps {
		ix.extend(s, k)
		if !ix.has(k) {
			t.Fatalf("extend(%d): line not decoded (%d lines)", k, ix.nLines)
		}
		if ix.done {
			continue
		}
		// Every checkpoint of a decoded line is the whole pass's.
		for j, cp := range ix.cps {
			if cp.line < ix.nLines && (j >= len(full.cps) || full.cps[j] != cp) {
				t.Fatalf("extend(%d): checkpoint %d is %+v, whole pass %+v", k, j, cp, full.cps[j])
			}
		}
	}
	ix.extend(s, int(^uint(0)>>1))
	if !reflect.DeepEqual(ix.cps, full.cps) || ix.nLines != full.nLines || ix.errLine != full.errLine || !ix.done ||
		(ix.err == nil) != (full.err == nil) || ix.err != nil && ix.err.Error() != full.err.Error() {
		t.Fatalf("resumed index differs from the whole pass: %d lines err %v, want %d lines err %v", ix.nLines, ix.err, full.nLines, full.err)
	}
}

func TestExtendMatchesWholePass(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for n := 0; n < 150; n++ {
		s := randomMappings(rng)
		var steps []int
		for k := rng.Intn(5); k < 250; k += rng.Intn(60) {
			steps = append(steps, k)
		}
		checkExtend(t, s, steps)
	}
}

// Lookups in any order on a map whose index grows as they go agree with a
// map indexed whole before the first.
func TestLookupsAsTheIndexGrows(t *testing.T) {
	rng := rand.New(rand.NewSource(8))
	for n := 0; n < 100; n++ {
		doc := `{"version":3,"sources":["a","b","c"],"names":["x","y","z","w","v"],"mappings":"` + randomMappings(rng) + `"}`
		lazy, whole := mustParse(t, doc), mustParse(t, doc)
		_ = whole.Err()
		for q := 0; q < 300; q++ {
			line, col := rng.Intn(220), rng.Intn(3000)
			g, gok, gerr := lazy.LookupErr(line, col)
			w, wok, werr := whole.LookupErr(line, col)
			if g != w || gok != wok || (gerr == nil) != (werr == nil) {
				t.Fatalf("%d:%d: %+v %v %v, whole index %+v %v %v", line, col, g, gok, gerr, w, wok, werr)
			}
		}
	}
}

func FuzzExtend(f *testing.F) {
	f.Add("AAAA,CAAC;;AACA,gBAAgB;A", uint64(0x0102))
	f.Add("AAAA;AA;AAAA", uint64(1))
	f.Fuzz(func(t *testing.T, s string, steps uint64) {
		var ks []int
		for k := 0; steps != 0; steps >>= 4 {
			k += int(steps & 15)
			ks = append(ks, k)
		}
		checkExtend(t, s, ks)
	})
}

// splitting makes every stretch of more than a few bytes split into up to
// five pieces, for the length of a test.
func splitting(t testing.TB) {
	oldMin, oldPiece, oldMax := parallelMin, pieceMin, maxPieces
	parallelMin, pieceMin, maxPieces = 64, 16, func() int { return 5 }
	t.Cleanup(func() { parallelMin, pieceMin, maxPieces = oldMin, oldPiece, oldMax })
}

// A pass split into pieces decoded in parallel answers every lookup as the
// single pass does, reports the same error on the same line, and counts the
// same lines: only its choice of checkpoints may differ.
func TestSplitPassAgrees(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	docs := make([]string, 0, 120)
	for n := 0; n < 120; n++ {
		docs = append(docs, `{"version":3,"sources":["a","b","c"],"names":["x","y","z","w","v"],"mappings":"`+randomMappings(rng)+`"}`)
	}
	whole := make([]*Map, len(docs))
	for i, d := range docs {
		whole[i] = mustParse(t, d)
		_ = whole[i].Err()
	}
	splitting(t)
	for i, d := range docs {
		m := mustParse(t, d)
		for q := 0; q < 300; q++ {
			line, col := rng.Intn(220), rng.Intn(40000)
			if q%50 == 0 {
				line = rng.Intn(5) // early lines after later ones: resumed passes
			}
			g, gok, gerr := m.LookupErr(line, col)
			w, wok, werr := whole[i].LookupErr(line, col)
			if g != w || gok != wok || (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() {
				t.Fatalf("doc %d %d:%d: %+v %v %v, single pass %+v %v %v", i, line, col, g, gok, gerr, w, wok, werr)
			}
		}
		err, werr := m.Err(), whole[i].Err()
		if (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() || m.ix.nLines != whole[i].ix.nLines || m.ix.errLine != whole[i].ix.errLine {
			t.Fatalf("doc %d: %d lines, error %v; single pass %d lines, error %v", i, m.ix.nLines, err, whole[i].ix.nLines, werr)
		}
	}
}

// On any mappings, a pass split into pieces answers lookups as the single
// pass does.
func FuzzSplitPass(f *testing.F) {
	f.Add("AAAA,CAAC;;AACA,gBAAgB;A", uint16(3))
	f.Add("AAAA,CAAC,CAAC,CAAC,CAAC,CAAC,CAAC,CAAC,CAAC,CAAC,CAAC,CAAC,CAAC,CAAC,CAAC", uint16(70))
	f.Fuzz(func(t *testing.T, s string, through uint16) {
		doc := `{"version":3,"sources":["a","b","c"],"names":["x","y"],"mappings":"` + strings.NewReplacer(`"`, "", `\`, "").Replace(s) + `"}`
		whole, err := Parse([]byte(doc))
		if err != nil {
			return
		}
		_ = whole.Err()
		splitting(t)
		m, _ := Parse([]byte(doc))
		for _, line := range []int{int(through % 8), int(through), 0, 3} {
			for col := 0; col < 100; col += 7 {
				g, gok, gerr := m.LookupErr(line, col)
				w, wok, werr := whole.LookupErr(line, col)
				if g != w || gok != wok || fmt.Sprint(gerr) != fmt.Sprint(werr) {
					t.Fatalf("%d:%d: %+v %v %v, single pass %+v %v %v", line, col, g, gok, gerr, w, wok, werr)
				}
			}
		}
	})
}

// A long sorted line split into pieces keeps its column checkpoints from
// every piece, so lookups on it stay short scans.
func TestSplitPassKeepsColumnCheckpoints(t *testing.T) {
	var b strings.Builder
	b.WriteString("AAAA")
	for k := 0; k < 100000; k++ {
		b.WriteString(",CAAC")
	}
	doc := `{"version":3,"sources":["a"],"mappings":"` + b.String() + `"}`
	splitting(t)
	m := mustParse(t, doc)
	if mp, ok := m.Lookup(0, 75000); !ok || mp.Column != 75000 {
		t.Fatalf("lookup: %+v %v", mp, ok)
	}
	a, e := m.ix.lineCheckpoints(0)
	if want := len(m.mappings)/cpEveryBytes - 5; e-a < want {
		t.Errorf("%d column checkpoints, want at least %d", e-a, want)
	}
}
