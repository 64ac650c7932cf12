package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testdata/results is laid out as run.sh leaves .cache/bench/results: startup.json is a real
// hyperfine 1.15 export (a stand-in mapback vs sentry-cli --version); inject-corpus.json is
// hand-made in the same layout, with the reference listed first.
const resultsDir = "testdata/results"

func TestParseHyperfine(t *testing.T) {
	tests := []struct {
		name                 string
		json                 string
		wantMapback, wantRef float64 // medians
		wantErr              bool
	}{
		{"named, mapback first", `{"results":[{"command":"mapback","median":1},{"command":"reference","median":2}]}`, 1, 2, false},
		{"named, reference first", `{"results":[{"command":"reference","median":2},{"command":"mapback","median":1}]}`, 1, 2, false},
		{"unnamed falls back to order", `{"results":[{"command":"./a","median":3},{"command":"./b","median":4}]}`, 3, 4, false},
		{"one result", `{"results":[{"command":"mapback","median":1}]}`, 0, 0, true},
		{"not JSON", `Benchmark 1: mapback`, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, r, err := parseHyperfine(strings.NewReader(tt.json))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && (m.Median != tt.wantMapback || r.Median != tt.wantRef) {
				t.Errorf("medians = %v, %v; want %v, %v", m.Median, r.Median, tt.wantMapback, tt.wantRef)
			}
		})
	}
}

func TestRender(t *testing.T) {
	m, err := readMeta(filepath.Join(resultsDir, "meta.txt"))
	if err != nil {
		t.Fatal(err)
	}
	cases, err := readCases(resultsDir)
	if err != nil {
		t.Fatal(err)
	}
	out := render(m, cases)
	// Each line must appear verbatim: medians in ms, ratio mapback/reference, RSS KiB -> decimal MB.
	wantLines := []string{
		"Produced by `make bench` on 2026-11-21 05:05 UTC.",
		"Machine: x86_64, 2 CPUs (nproc), AMD EPYC. mapback commit 1a2b3c4; reference sentry-cli 3.8.0; hyperfine 1.15.0; go1.26.8.",
		"| case | data | mapback median (ms) | reference median (ms) | ratio (mapback/reference) | mapback peak RSS (MB) | reference peak RSS (MB) | runs |",
		"| startup | none | 1.06 | 2.80 | 0.38 | 1.9 | 8.2 | 30 |",
		"| inject-corpus | whole corpus (6 packages) | 415 | 1903 | 0.22 | 191.8 | 1073.7 | 5 |",
		"- **startup**: Process start-up: print the version and exit. Measures binary start-up only, no source map work. mapback: `$MAPBACK version`; reference: `$SENTRY_CLI --version`.",
	}
	lines := strings.Split(out, "\n")
	for _, want := range wantLines {
		found := false
		for _, l := range lines {
			found = found || l == want
		}
		if !found {
			t.Errorf("rendered output lacks line\n%s\ngot:\n%s", want, out)
		}
	}
	// Rows keep manifest order.
	if strings.Index(out, "| startup |") > strings.Index(out, "| inject-corpus |") {
		t.Errorf("rows out of manifest order:\n%s", out)
	}
}

func TestRenderWire(t *testing.T) {
	dir := t.TempDir()
	if rows, err := readWire(filepath.Join(dir, "wire.tsv")); err != nil || rows != nil {
		t.Fatalf("missing wire.tsv: %v, %v", rows, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "wire.tsv"), []byte("corpus bundles + maps\t12\t85000000\t23000000\t24500000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rows, err := readWire(filepath.Join(dir, "wire.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	out := renderWire(rows)
	if want := "| corpus bundles + maps | 12 | 85.00 | 23.00 | 24.50 | 0.94 |"; !strings.Contains(out, want) {
		t.Errorf("renderWire lacks %q:\n%s", want, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "wire.tsv"), []byte("x\t1\t2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readWire(filepath.Join(dir, "wire.tsv")); err == nil {
		t.Error("a short row was accepted")
	}
}

func TestFormatting(t *testing.T) {
	tests := []struct{ got, want string }{
		{ms(0.0010647), "1.06"},
		{ms(0.04567), "45.7"},
		{ms(1.90349), "1903"},
		{ratio(1, 4), "0.25"},
		{ratio(1, 0), "n/a"},
		{mb(1048576), "1073.7"},
		{mb(0), "n/a"},
		{runs(10, 10), "10"},
		{runs(10, 9), "10/9"},
		{escapeCell("a|b"), `a\|b`},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%d: got %q, want %q", i, tt.got, tt.want)
		}
	}
}

func TestReplaceBlock(t *testing.T) {
	const block = "| table |\n"
	tests := []struct {
		name, doc, want string
		wantErr         bool
	}{
		{"placeholder replaced, rest kept",
			"# T\n\nintro\n<!-- bench:begin -->\nNo results yet.\n<!-- bench:end -->\n\n## Corpus\n",
			"# T\n\nintro\n<!-- bench:begin -->\n| table |\n<!-- bench:end -->\n\n## Corpus\n", false},
		{"empty block between markers",
			"<!-- bench:begin --><!-- bench:end -->",
			"<!-- bench:begin -->\n| table |\n<!-- bench:end -->", false},
		{"old table replaced",
			"a\n<!-- bench:begin -->\n| old |\n| old |\n<!-- bench:end -->\nb\n",
			"a\n<!-- bench:begin -->\n| table |\n<!-- bench:end -->\nb\n", false},
		{"no begin marker", "a\n<!-- bench:end -->\n", "", true},
		{"no end marker", "<!-- bench:begin -->\n", "", true},
		{"markers reversed", "<!-- bench:end -->\n<!-- bench:begin -->\n", "", true},
		{"duplicate markers", "<!-- bench:begin --><!-- bench:end --><!-- bench:begin --><!-- bench:end -->", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := replaceBlock(tt.doc, block)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// TestRunIdempotent rewrites a document twice from the same results: the second run must not
// change it, or every `make bench` would pile up tables.
func TestRunIdempotent(t *testing.T) {
	doc := filepath.Join(t.TempDir(), "benchmarks.md")
	orig := "# Benchmarks\n\n<!-- bench:begin -->\nNo results yet.\n<!-- bench:end -->\n\n## Corpus\nkept\n"
	if err := os.WriteFile(doc, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	var outs [2]string
	for i := range outs {
		if err := run(resultsDir, doc); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		outs[i] = string(b)
	}
	if outs[0] != outs[1] {
		t.Errorf("second run changed the document:\n%s\n---\n%s", outs[0], outs[1])
	}
	if !strings.HasPrefix(outs[0], "# Benchmarks\n\n<!-- bench:begin -->\nProduced by") ||
		!strings.HasSuffix(outs[0], "<!-- bench:end -->\n\n## Corpus\nkept\n") ||
		strings.Contains(outs[0], "No results yet") {
		t.Errorf("unexpected document:\n%s", outs[0])
	}
}
