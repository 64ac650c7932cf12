// Command make-resolve-trace writes testdata/bench/resolve-trace.txt: one V8
// trace with 10 frames spread over the three largest maps of the bench corpus
// (babylon.js 31 MB, tf.min.js 17 MB, editor.main.js 13 MB), at real segment
// positions picked deterministically. Run from the repository root after
// testdata/bench/fetch-corpus.sh:
//
//	go run ./testdata/bench/make-resolve-trace
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mapback/mapback/internal/sourcemap"
)

const corpus = ".cache/bench/corpus"

var targets = []struct {
	url, mapFile string
	frames       int
}{
	{"babylonjs@9.34.0/babylon.js", "babylonjs@9.34.0/babylon.js.map", 4},
	{"@tensorflow/tfjs@4.22.0/dist/tf.min.js", "@tensorflow/tfjs@4.22.0/dist/tf.min.js.map", 3},
	{"monaco-editor@0.52.2/min/vs/editor/editor.main.js", "monaco-editor@0.52.2/min-maps/vs/editor/editor.main.js.map", 3},
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "make-resolve-trace:", err)
		os.Exit(1)
	}
}

func run() error {
	var frames []string
	for _, t := range targets {
		data, err := os.ReadFile(filepath.Join(corpus, t.mapFile))
		if err != nil {
			return err
		}
		m, err := sourcemap.Parse(data)
		if err != nil {
			return fmt.Errorf("%s: %w", t.mapFile, err)
		}
		// Every segment with a source, in mappings order.
		var segs [][2]int
		m.Check(context.Background(), func(s sourcemap.Segment) {
			if s.Fields >= 4 {
				segs = append(segs, [2]int{s.Line, s.Column})
			}
		})
		for k := range t.frames {
			s := segs[(k+1)*len(segs)/(t.frames+1)]
			frames = append(frames, fmt.Sprintf("    at f%d (https://cdn.example.com/%s:%d:%d)", len(frames), t.url, s[0]+1, s[1]+1))
		}
	}
	out := "Error: benchmark trace\n" + strings.Join(frames, "\n") + "\n"
	return os.WriteFile("testdata/bench/resolve-trace.txt", []byte(out), 0o644)
}
