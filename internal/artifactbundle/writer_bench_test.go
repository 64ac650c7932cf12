package artifactbundle

import (
	"context"
	"fmt"
	"io"
	"os"
	"testing"
)

// benchFiles is the realistic input: a slice of the published-bundle corpus when present (make bench
// fetches it), else the committed fixtures.
func benchFiles(b *testing.B) []SourceFile {
	const corpus = "../../.cache/bench/corpus"
	if _, err := os.Stat(corpus); err == nil {
		return dirFiles(b, corpus, "~/", 64<<20)
	}
	return fixtureFiles(b)
}

func BenchmarkWrite(b *testing.B) {
	files := benchFiles(b)
	var total int64
	for _, f := range files {
		st, err := os.Stat(f.Path)
		if err != nil {
			b.Fatal(err)
		}
		total += st.Size()
	}
	b.SetBytes(total)
	b.ResetTimer()
	for range b.N {
		if _, err := Write(context.Background(), io.Discard, files, WriteOptions{Org: "o"}); err != nil {
			b.Fatal(err)
		}
	}
}

// countWriter counts bytes.
type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// BenchmarkLevels measures speed and size per deflate level on one core, reporting the output as a
// percentage of the input; DefaultLevel's comment quotes its figures. Run it on the whole corpus with
// MAPBACK_LEVELS_ALL=1 (slow).
func BenchmarkLevels(b *testing.B) {
	var files []SourceFile
	if os.Getenv("MAPBACK_LEVELS_ALL") != "" {
		files = dirFiles(b, "../../.cache/bench/corpus", "~/", 0)
	} else {
		files = benchFiles(b)
	}
	var total int64
	for _, f := range files {
		st, _ := os.Stat(f.Path)
		total += st.Size()
	}
	for level := 1; level <= 9; level++ {
		b.Run(fmt.Sprintf("level=%d", level), func(b *testing.B) {
			b.SetBytes(total)
			var w countWriter
			for range b.N {
				w.n = 0
				if _, err := Write(context.Background(), &w, files, WriteOptions{Org: "o", Jobs: 1, Level: level}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(100*float64(w.n)/float64(total), "%size")
		})
	}
}
