package stacktrace

import (
	"os"
	"strings"
	"testing"
)

// BenchmarkParseRender parses and renders all 60 fixture traces (with their
// multi-kilobyte minified preamble lines) per iteration.
func BenchmarkParseRender(b *testing.B) {
	var all strings.Builder
	for _, path := range fixtureTraces(b) {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		all.Write(data)
	}
	in := all.String()
	b.SetBytes(int64(len(in)))
	b.ResetTimer()
	for b.Loop() {
		if RenderString(ParseString(in)) != in {
			b.Fatal("round trip")
		}
	}
}
