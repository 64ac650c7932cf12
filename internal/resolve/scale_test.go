package resolve

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// framesLog is a log of n frames: the class-method trace's frames (only its
// "    at" lines, under one header per trace), repeated.
func framesLog(tb testing.TB, n int) []byte {
	tb.Helper()
	data, err := os.ReadFile("../../testdata/fixtures/esbuild-cjs/traces/class-method.txt")
	if err != nil {
		tb.Fatal(err)
	}
	var frames []string
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "    at ") {
			frames = append(frames, l)
		}
	}
	var b bytes.Buffer
	for written := 0; written < n; {
		b.WriteString("Error: out of stock\n")
		for _, f := range frames {
			if written == n {
				break
			}
			b.WriteString(f + "\n")
			written++
		}
	}
	return b.Bytes()
}

// BenchmarkResolveFrames measures resolving logs of 10, 1,000 and 100,000
// frames over one build, and fails when the cost per frame at 100,000 is
// more than twice the cost at 1,000: resolving must grow linearly with the
// log (it once built a key of every position for every frame: N²).
//
//	go test -run '^$' -bench ResolveFrames -benchtime 1x ./internal/resolve
func BenchmarkResolveFrames(b *testing.B) {
	perFrame := map[int]float64{}
	for _, n := range []int{10, 1000, 100000} {
		trace := framesLog(b, n)
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := Run(context.Background(), Options{Maps: []string{"../../testdata/fixtures/esbuild-cjs"}}, bytes.NewReader(trace), io.Discard); err != nil {
					b.Fatal(err)
				}
			}
			perFrame[n] = float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(n)
			b.ReportMetric(perFrame[n], "ns/frame")
		})
	}
	if perFrame[1000] > 0 && perFrame[100000] > 2*perFrame[1000] {
		b.Fatalf("%.0f ns per frame at 100,000 frames, %.0f at 1,000: not linear", perFrame[100000], perFrame[1000])
	}
}

// TestLogResolvesLikeEachTrace: a log of many traces resolves exactly as
// each trace does on its own: the names, positions and every unresolved
// line. Sharing work across the frames of a log (one scope analysis per
// bundle) must never change an answer. Every real trace of every fixture
// build, concatenated, three times over.
func TestLogResolvesLikeEachTrace(t *testing.T) {
	builds, err := filepath.Glob("../../testdata/fixtures/*/traces")
	if err != nil || len(builds) == 0 {
		t.Fatalf("no fixture builds: %v", err)
	}
	for _, tracesDir := range builds {
		build := filepath.Dir(tracesDir)
		t.Run(filepath.Base(build), func(t *testing.T) {
			traces, _ := filepath.Glob(filepath.Join(tracesDir, "*.txt"))
			var log, want bytes.Buffer
			n := 0
			for round := 0; round < 3; round++ {
				for _, p := range traces {
					if strings.HasSuffix(p, ".node-resolved.txt") {
						continue
					}
					data, err := os.ReadFile(p)
					if err != nil {
						t.Fatal(err)
					}
					var alone bytes.Buffer
					if _, err := Run(context.Background(), Options{Maps: []string{build}}, bytes.NewReader(data), &alone); err != nil {
						t.Fatalf("%s: %v", p, err)
					}
					log.Write(data)
					want.Write(alone.Bytes())
					n++
				}
			}
			var got bytes.Buffer
			if _, err := Run(context.Background(), Options{Maps: []string{build}}, &log, &got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				gl, wl := strings.Split(got.String(), "\n"), strings.Split(want.String(), "\n")
				for i := range min(len(gl), len(wl)) {
					if gl[i] != wl[i] {
						t.Fatalf("a log of %d traces differs from the traces resolved one by one at line %d:\n log:  %.200s\n alone: %.200s", n, i+1, gl[i], wl[i])
					}
				}
				t.Fatalf("a log of %d traces: %d lines, one by one: %d", n, len(gl), len(wl))
			}
			if !strings.Contains(got.String(), "src/") {
				t.Fatal("nothing resolved: the comparison proves nothing")
			}
		})
	}
}
