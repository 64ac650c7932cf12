package stacktrace

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// fixtureTraces returns the committed Node traces (testdata/gen/README.md).
func fixtureTraces(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("../../testdata/fixtures/*/traces/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 60 {
		t.Fatalf("found %d fixture traces, want 60", len(files))
	}
	return files
}

func frameCount(lines []Line) int {
	n := 0
	for _, l := range lines {
		if l.Frame != nil {
			n++
		}
	}
	return n
}

// TestFixtureRoundTrip: Parse then Render without replacement is
// byte-identical for every committed trace, with \n and with \r\n endings.
func TestFixtureRoundTrip(t *testing.T) {
	for _, path := range fixtureTraces(t) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := Parse(strings.NewReader(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		if got := RenderString(lines); got != string(b) {
			t.Errorf("%s: round trip differs", path)
		}
		crlf := strings.ReplaceAll(string(b), "\n", "\r\n")
		clines := ParseString(crlf)
		if got := RenderString(clines); got != crlf {
			t.Errorf("%s (CRLF): round trip differs", path)
		}
		if frameCount(clines) != frameCount(lines) {
			t.Errorf("%s: %d frames with CRLF, %d with LF", path, frameCount(clines), frameCount(lines))
		}
	}
}

var (
	v8LineRE      = regexp.MustCompile(`^\s+at `)
	fixtureLocRE  = regexp.MustCompile(`((?:file://)?/fixtures/[^:()\s]+):(\d+):(\d+)\)?(?: \{)?$`)
	fixtureFileRE = regexp.MustCompile(`^(?:file://)?/fixtures/[a-z-]+/app\.(?:js|mjs|cjs)$|^/fixtures/webpack/main\.js$`)
)

// TestFixtureFrames: in every trace exactly the "    at " lines are frames;
// every /fixtures/ bundle frame has the right file, line and column and is
// resolvable; the raw and the Node-resolved trace have the same frame count.
func TestFixtureFrames(t *testing.T) {
	bundleFrames := 0
	for _, path := range fixtureTraces(t) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := ParseString(string(b))
		for i, l := range lines {
			isAt := v8LineRE.MatchString(l.Text)
			if isAt != (l.Frame != nil) {
				t.Errorf("%s:%d: frame=%v for %.80q", path, i+1, l.Frame != nil, l.Text)
				continue
			}
			if !isAt || strings.HasSuffix(path, ".node-resolved.txt") {
				continue
			}
			m := fixtureLocRE.FindStringSubmatch(l.Text)
			if m == nil {
				if l.Frame.Resolvable && !strings.HasPrefix(l.Frame.File, "node:") {
					t.Errorf("%s:%d: unexpected resolvable frame %q", path, i+1, l.Text)
				}
				continue
			}
			bundleFrames++
			line, _ := strconv.Atoi(m[2])
			col, _ := strconv.Atoi(m[3])
			f := l.Frame
			if f.Dialect != V8 || f.File != m[1] || f.Line != line || f.Column != col || !f.Resolvable {
				t.Errorf("%s:%d: got %s %q %d:%d resolvable=%v, want %q %d:%d", path, i+1,
					f.Dialect, f.File, f.Line, f.Column, f.Resolvable, m[1], line, col)
			}
			if !fixtureFileRE.MatchString(f.File) {
				t.Errorf("%s:%d: unexpected bundle file %q", path, i+1, f.File)
			}
			if got := l.Text[f.LocStart:f.LocEnd]; got != m[1]+":"+m[2]+":"+m[3] {
				t.Errorf("%s:%d: location span %q", path, i+1, got)
			}
		}
		if !strings.HasSuffix(path, ".node-resolved.txt") {
			rb, err := os.ReadFile(strings.TrimSuffix(path, ".txt") + ".node-resolved.txt")
			if err != nil {
				t.Fatal(err)
			}
			if a, r := frameCount(lines), frameCount(ParseString(string(rb))); a != r || a == 0 {
				t.Errorf("%s: %d frames, node-resolved has %d", path, a, r)
			}
		}
	}
	// check.mjs counts 164 bundle frames over the 30 raw traces.
	if bundleFrames != 164 {
		t.Errorf("found %d bundle frames in the raw traces, want 164", bundleFrames)
	}
}
