package upload

import (
	"testing"

	"github.com/mapback/mapback/internal/dist"
)

// TestSourcemapHeader pins the sourcemap header rules observed from the reference client (the
// conformance test TestUploadParityEdgeCases checks them against the real binary).
func TestSourcemapHeader(t *testing.T) {
	guess := &dist.Map{Path: "dist/app.js.map", Rule: dist.RuleGuess}
	comment := &dist.Map{Path: "dist/maps/app.js.map", Rule: dist.RuleComment}
	for _, tc := range []struct {
		name string
		js   string
		m    *dist.Map
		want string
	}{
		{"relative", "x\n//# sourceMappingURL=app.js.map\n", comment, "app.js.map"},
		{"relative up", "x\n//# sourceMappingURL=../maps/app.js.map", comment, "../maps/app.js.map"},
		{"query and fragment dropped", "x\n//# sourceMappingURL=app.js.map?v=2#frag\n", comment, "app.js.map"},
		{"relative but missing", "x\n//# sourceMappingURL=missing.js.map\n", nil, "missing.js.map"},
		{"legacy //@", "x\n//@ sourceMappingURL=app.js.map\n", comment, "app.js.map"},
		{"data URL whole", "x\n//# sourceMappingURL=data:application/json;base64,e30=\n", &dist.Map{Rule: dist.RuleDataURL, Inline: []byte("{}")}, "data:application/json;base64,e30="},
		{"remote, nothing beside", "x\n//# sourceMappingURL=https://cdn.example.com/app.js.map\n", nil, ""},
		{"remote, map beside", "x\n//# sourceMappingURL=https://cdn.example.com/app.js.map\n", guess, "app.js.map"},
		{"protocol-relative", "x\n//# sourceMappingURL=//cdn.example.com/app.js.map\n", nil, ""},
		{"absolute path, map beside", "x\n//# sourceMappingURL=/static/app.js.map\n", guess, "app.js.map"},
		{"file URL", "x\n//# sourceMappingURL=file:///tmp/app.js.map\n", nil, ""},
		{"no comment, map beside", "x\n", guess, "app.js.map"},
		{"no comment, no map", "x\n", nil, ""},
	} {
		v, _, _, ok := dist.SourceMappingURL([]byte(tc.js))
		if got := sourcemapHeader(v, ok, tc.m); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestURLMaker(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		prefix, suffix, path, want string
	}{
		{"", "", dir + "/a/b.js", "~/a/b.js"},
		{"~/", "", dir + "/b.js", "~/b.js"},
		{"~/static", "?v=1", dir + "/a/b.js", "~/static/a/b.js?v=1"},
		{"app:///", "", dir + "/b.js", "app:///b.js"},
		{"https://cdn.example.com/assets/", "", dir + "/x/y.js.map", "https://cdn.example.com/assets/x/y.js.map"},
	} {
		m, err := newURLMaker([]string{dir}, tc.prefix, tc.suffix)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.url(tc.path); got != tc.want {
			t.Errorf("prefix %q suffix %q %s: %q, want %q", tc.prefix, tc.suffix, tc.path, got, tc.want)
		}
	}
}

func TestSplitExtensions(t *testing.T) {
	js, maps := splitExtensions(nil)
	if len(js) != 3 || !maps {
		t.Fatalf("default: %v %v", js, maps)
	}
	js, maps = splitExtensions([]string{".js", "map", "bundle"})
	if len(js) != 2 || js[0] != "js" || js[1] != "bundle" || !maps {
		t.Fatalf("%v %v", js, maps)
	}
	if _, maps = splitExtensions([]string{"js"}); maps {
		t.Fatal("--ext js uploads maps")
	}
}
