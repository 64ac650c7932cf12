package sourcemap

import (
	"encoding/json"
	"math/rand"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	gosm "github.com/go-sourcemap/sourcemap"
)

// refSeg is a segment from the naive reference decoder below.
type refSeg struct {
	gen, fields, src, line, col, name int
}

// refDecode is a straightforward whole-map decoder (like
// testdata/gen/check.mjs), independent of the lazy engine's line index and
// segment walk; it reads each segment's values with the package's one VLQ
// decoder (ScanSegment), which TestVLQVectors holds to ECMA-426.
func refDecode(mappings string) [][]refSeg {
	var lines [][]refSeg
	src, ol, oc, nm := 0, 0, 0, 0
	for _, line := range strings.Split(mappings, ";") {
		var segs []refSeg
		gen := 0
		for _, seg := range strings.Split(line, ",") {
			if seg == "" {
				continue
			}
			n, f, _, err := ScanSegment(seg, 0)
			if err != nil {
				n = 0 // callers compare only well-formed mappings
			}
			gen += int(f[0])
			s := refSeg{gen: gen, fields: n, name: -1}
			if n >= 4 {
				src += int(f[1])
				ol += int(f[2])
				oc += int(f[3])
				s.src, s.line, s.col = src, ol, oc
				if n >= 5 {
					nm += int(f[4])
					s.name = nm
				}
			}
			segs = append(segs, s)
		}
		lines = append(lines, segs)
	}
	return lines
}

type diffStats struct {
	positions     int // sampled
	refAgree      int // engine == naive same-line GLB (all positions)
	gsCompared    int // positions where go-sourcemap is expected right
	gsAgree       int
	gsCrossLine   int // go-sourcemap answered across lines (engine: none)
	gsOneField    int // go-sourcemap mapped a 1-field segment (engine: none)
	gsOtherDiffer int // compared positions where they disagree
}

func diffMap(t *testing.T, name string, data []byte, samples int) diffStats {
	t.Helper()
	var st diffStats
	m, err := Parse(data)
	if err != nil {
		t.Fatalf("%s: Parse: %v", name, err)
	}
	if m.IsIndexMap() {
		t.Logf("%s: index map, skipped", name)
		return st
	}
	gs, err := gosm.Parse("", data)
	if err != nil {
		t.Fatalf("%s: go-sourcemap Parse: %v", name, err)
	}
	var raw struct {
		SourceRoot string   `json:"sourceRoot"`
		Mappings   string   `json:"mappings"`
		Names      []string `json:"names"`
		Sources    []string `json:"sources"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	lines := refDecode(raw.Mappings)
	rng := rand.New(rand.NewSource(int64(len(data))))
	// Lines with segments, to bias sampling towards mapped positions.
	var mapped []int
	for i, l := range lines {
		if len(l) > 0 {
			mapped = append(mapped, i)
		}
	}
	for n := 0; n < samples; n++ {
		var line, col int
		switch r := rng.Intn(10); {
		case r == 0 || len(mapped) == 0:
			line = rng.Intn(len(lines) + 3)
			col = rng.Intn(200)
		default:
			line = mapped[rng.Intn(len(mapped))]
			segs := lines[line]
			s := segs[rng.Intn(len(segs))]
			col = s.gen + rng.Intn(5) - 2
			if r == 9 {
				col = s.gen + rng.Intn(200)
			}
			if col < 0 {
				col = 0
			}
		}
		st.positions++
		// Acceptable answers: all segments sharing the GLB column.
		var cands []refSeg
		if line < len(lines) {
			best := -1
			for _, s := range lines[line] {
				if s.gen <= col && s.gen > best {
					best = s.gen
				}
			}
			for _, s := range lines[line] {
				if s.gen == best {
					cands = append(cands, s)
				}
			}
		}
		got, ok := m.Lookup(line, col)
		// Engine vs naive reference, everywhere.
		refOK := len(cands) > 0 && cands[0].fields >= 4
		match := func(s refSeg, src string, ln, c int, nm string) bool {
			wantName := ""
			if s.name >= 0 && s.name < len(raw.Names) {
				wantName = raw.Names[s.name]
			}
			return s.fields >= 4 && s.line == ln && s.col == c && nm == wantName &&
				(src == raw.Sources[s.src] || raw.SourceRoot != "" && path.Base(src) == path.Base(raw.Sources[s.src]))
		}
		if !refOK {
			if !ok {
				st.refAgree++
			} else {
				t.Errorf("%s (%d,%d): engine %+v, reference: none", name, line, col, got)
			}
		} else if ok && match(cands[0], got.Source, got.Line, got.Column, got.Name) {
			st.refAgree++
		} else {
			t.Errorf("%s (%d,%d): engine %+v ok=%v, reference first tie %+v", name, line, col, got, ok, cands[0])
		}
		// go-sourcemap (1-based lines, 0-based columns).
		gSrc, gName, gLine, gCol, gOK := gs.Source(line+1, col)
		if len(cands) == 0 {
			if gOK {
				st.gsCrossLine++
			}
			continue
		}
		if cands[0].fields < 4 {
			if gOK {
				st.gsOneField++
			}
			continue
		}
		st.gsCompared++
		agree := false
		if gOK {
			for _, s := range cands {
				if match(s, gSrc, gLine-1, gCol, gName) {
					agree = true
					break
				}
			}
		}
		if agree {
			st.gsAgree++
		} else {
			st.gsOtherDiffer++
			if st.gsOtherDiffer <= 5 {
				t.Errorf("%s (%d,%d): engine %+v, go-sourcemap %q %q %d:%d ok=%v", name, line, col, got, gSrc, gName, gLine, gCol, gOK)
			}
		}
	}
	t.Logf("%s: %d positions, engine=reference %d; go-sourcemap compared %d, agree %d, differ %d; excluded: cross-line answers %d, 1-field answers %d",
		name, st.positions, st.refAgree, st.gsCompared, st.gsAgree, st.gsOtherDiffer, st.gsCrossLine, st.gsOneField)
	return st
}

func TestDifferentialFixtures(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(fixturesDir, "*", "*.map"))
	if len(files) == 0 {
		t.Fatal("no fixture maps")
	}
	total := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		st := diffMap(t, f, data, 2000)
		total += st.gsCompared
	}
	if total == 0 {
		t.Fatal("no position compared with go-sourcemap")
	}
}

const corpusDir = "../../.cache/bench/corpus"

var corpusMaps = []string{
	"babylonjs@9.34.0/babylon.js.map",
	"monaco-editor@0.52.2/min-maps/vs/editor/editor.main.js.map",
	"@tensorflow/tfjs@4.22.0/dist/tf.min.js.map",
	"maplibre-gl@6.17.0/dist/maplibre-gl.mjs.map",
	"shaka-player@5.2.12/dist/shaka-player.compiled.map",
	"@microsoft/signalr@10.0.11/dist/webworker/signalr.min.js.map",
}

// TestDifferentialCorpus runs in `make conformance`, which fetches the corpus
// and sets MAPBACK_CORPUS_DIFF=1 (parsing 60 MB of maps with go-sourcemap
// under the race detector would add minutes to `make test`). There, a
// missing corpus is a failure.
func TestDifferentialCorpus(t *testing.T) {
	if os.Getenv("MAPBACK_CORPUS_DIFF") != "1" {
		t.Skip("runs in make conformance (MAPBACK_CORPUS_DIFF=1), which fetches the corpus")
	}
	if _, err := os.Stat(corpusDir); err != nil {
		t.Fatalf("published-bundle corpus %s absent (testdata/bench/fetch-corpus.sh fetches it): %v", corpusDir, err)
	}
	n := 0
	for _, rel := range corpusMaps {
		data, err := os.ReadFile(filepath.Join(corpusDir, filepath.FromSlash(rel)))
		if err != nil {
			t.Logf("%s: %v (skipped)", rel, err)
			continue
		}
		diffMap(t, rel, data, 2000)
		n++
	}
	if n == 0 {
		t.Skip("none of the selected corpus maps is present")
	}
}
