package resolve

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/stacktrace"
)

// samePlace writes a path the way both Node and mapback name the same file:
// Node prints the fixtures' placeholder root ("/gen/…", see
// testdata/fixtures/manifest.json) and webpack:// URLs whole, resolved as
// URLs (webpack://app/../node_modules/x becomes webpack://app/node_modules/x);
// mapback prints paths relative to --root and drops webpack's scheme and
// namespace, keeping the "../" of a file outside webpack's context.
var webpackURL = regexp.MustCompile(`webpack://[^/]*/`)

func samePlace(s string) string {
	s = webpackURL.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, "(/gen/", "(gen/")
	s = strings.ReplaceAll(s, "(../node_modules/", "(node_modules/")
	if strings.HasPrefix(s, "../node_modules/") {
		s = s[len("../"):]
	}
	if strings.HasPrefix(s, "/gen/") {
		s = s[1:]
	}
	return s
}

// TestNodeHeaderMatchesNode resolves every committed Node crash and holds
// the whole output to what node --enable-source-maps printed for the same
// crash: the header (the original file:line, the original source line, the
// caret under the original column, the extra blank line) and every other
// line the same, frames at the same places. Function names are mapback's
// own (scope names): they are compared by the name tests, not here.
func TestNodeHeaderMatchesNode(t *testing.T) {
	raws, _ := filepath.Glob("../../testdata/fixtures/*/traces/*.txt")
	root, _ := filepath.Abs("../../testdata")
	headers := 0
	for _, raw := range raws {
		if strings.HasSuffix(raw, ".node-resolved.txt") {
			continue
		}
		in, _ := os.ReadFile(raw)
		want, err := os.ReadFile(strings.TrimSuffix(raw, ".txt") + ".node-resolved.txt")
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		opts := Options{Maps: []string{filepath.Dir(filepath.Dir(raw))}, Root: root, Names: NamesScope}
		if _, err := Run(context.Background(), opts, bytes.NewReader(in), &out); err != nil {
			t.Fatal(err)
		}
		got, exp := stacktrace.ParseString(out.String()), stacktrace.ParseString(string(want))
		if len(got) != len(exp) {
			t.Errorf("%s: %d lines, node printed %d\n%s", raw, len(got), len(exp), out.String())
			continue
		}
		for i := range got {
			g, e := got[i], exp[i]
			switch {
			case e.Frame != nil && g.Frame != nil:
				if samePlace(g.Frame.File) != samePlace(e.Frame.File) || g.Frame.Line != e.Frame.Line || g.Frame.Column != e.Frame.Column {
					t.Errorf("%s line %d: %q, node %q", raw, i+1, g.Text, e.Text)
				}
			case samePlace(g.Text) != samePlace(e.Text) || g.Term != e.Term:
				t.Errorf("%s line %d: %q, node %q", raw, i+1, g.Text, e.Text)
			}
		}
		if strings.HasSuffix(exp[0].Text, ":1") {
			t.Errorf("%s: node's header is not source-mapped: the test compares nothing", raw)
		}
		headers++
	}
	if headers < 30 {
		t.Fatalf("only %d crash headers compared", headers)
	}
}
