package testkit

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// UpdateGolden is the one switch that rewrites golden files: UPDATE_GOLDEN=1 in the environment
// (`UPDATE_GOLDEN=1 go test ./...`, docs/development.md). There is no -update flag.
func UpdateGolden() bool { return os.Getenv("UPDATE_GOLDEN") == "1" }

// Golden compares got with the file at path, failing the test (and going on) where they differ
// and saying where. With UPDATE_GOLDEN=1 it writes got to path instead, creating the directory.
func Golden(t testing.TB, path string, got []byte) {
	t.Helper()
	if UpdateGolden() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("UPDATE_GOLDEN=1: wrote %s", path)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (UPDATE_GOLDEN=1 writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (UPDATE_GOLDEN=1 rewrites it): %s", path, firstDifference(got, want))
	}
}

// firstDifference says where got first differs from want: the line, and both versions of it,
// quoted and cut to the bytes around the first difference (a minified bundle is one long line).
func firstDifference(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	line := 1 + bytes.Count(got[:i], []byte("\n"))
	start := bytes.LastIndexByte(got[:i], '\n') + 1
	return fmt.Sprintf("%d bytes, want %d; from line %d, byte %d:\n got: %s\nwant: %s",
		len(got), len(want), line, i-start+1, excerpt(got, start, i), excerpt(want, start, i))
}

// excerpt quotes b's line that starts at start, from up to 40 bytes before offset i to up to 80
// after it.
func excerpt(b []byte, start, i int) string {
	end := start + bytes.IndexByte(b[start:], '\n')
	if end < start {
		end = len(b)
	}
	from, to := max(start, i-40), min(end, i+80)
	if from > to {
		return `""`
	}
	s := fmt.Sprintf("%q", b[from:to])
	if from > start {
		s = "…" + s
	}
	if to < end {
		s += "…"
	}
	return s
}
