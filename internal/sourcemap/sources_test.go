package sourcemap

import (
	"encoding/json"
	"testing"
)

func TestResolveSource(t *testing.T) {
	const mapPath = "/proj/dist/app.js.map"
	cases := []struct {
		name, mapURL, root, src, want string
	}{
		{"map-relative", mapPath, "", "../src/a.js", "/proj/src/a.js"},
		{"map-relative plain", mapPath, "", "a.js", "/proj/dist/a.js"},
		{"map-relative windows path", `C:\proj\dist\app.js.map`, "", "../src/a.js", "C:/proj/src/a.js"},
		{"map URL", "https://cdn.example.com/assets/app.js.map?v=1", "", "../src/a.js", "https://cdn.example.com/src/a.js"},
		{"map URL absolute source path", "https://cdn.example.com/assets/app.js.map", "", "/src/a.js", "https://cdn.example.com/src/a.js"},
		{"file map URL", "file:///proj/dist/app.js.map", "", "../src/a.js", "/proj/src/a.js"},
		{"no map location", "", "", "./src/../lib/a.js", "lib/a.js"},
		{"data: map", "data:application/json;base64,xxx", "", "./a.js", "a.js"},
		{"sourceRoot relative", mapPath, "src", "a.js", "/proj/dist/src/a.js"},
		{"sourceRoot trailing slash", mapPath, "src/", "a.js", "/proj/dist/src/a.js"},
		{"sourceRoot absolute path", mapPath, "/abs", "a.js", "/abs/a.js"},
		{"sourceRoot URL", mapPath, "https://example.com/src/", "a.js", "https://example.com/src/a.js"},
		{"sourceRoot URL no slash", mapPath, "https://example.com/src", "./x/../a.js", "https://example.com/src/a.js"},
		{"sourceRoot ignored for absolute path", mapPath, "src", "/abs/a.js", "/abs/a.js"},
		{"sourceRoot ignored for URL", mapPath, "https://example.com/src/", "https://other/a.js", "https://other/a.js"},
		{"empty sourceRoot", mapPath, "", "b.js", "/proj/dist/b.js"},
		{"sourceRoot webpack", mapPath, "webpack:///", "./src/a.js", "src/a.js"},
		{"webpack namespace ./", mapPath, "", "webpack://ns/./src/a.js", "src/a.js"},
		{"webpack namespace", mapPath, "", "webpack://my-app/src/a.js", "src/a.js"},
		{"webpack empty namespace", mapPath, "", "webpack:///./x", "x"},
		{"webpack parent", mapPath, "", "webpack://my-app/../node_modules/lodash-es/negate.js", "../node_modules/lodash-es/negate.js"},
		{"webpack runtime", mapPath, "", "webpack://my-app/webpack/runtime/define property getters", "webpack/runtime/define property getters"},
		{"webpack-internal query", mapPath, "", "webpack-internal:///./x.jsx?abc", "x.jsx"},
		{"turbopack", mapPath, "", "turbopack:///[project]/src/a.ts", "src/a.ts"},
		{"file windows", mapPath, "", "file:///C:/x", "C:/x"},
		{"file posix", mapPath, "", "file:///home/u/a%20b.js", "/home/u/a b.js"},
		{"https dot segments", mapPath, "", "https://h/a/./b/../c.js", "https://h/a/c.js"},
		{"windows absolute source", mapPath, "src", `C:\x\a.js`, "C:/x/a.js"},
	}
	for _, c := range cases {
		got := resolveSource(c.mapURL, c.root, c.src)
		if got != c.want {
			t.Errorf("%s: resolveSource(%q, %q, %q) = %q, want %q", c.name, c.mapURL, c.root, c.src, got, c.want)
		}
	}
}

func TestResolveSourceMethod(t *testing.T) {
	type sec struct {
		Offset map[string]int `json:"offset"`
		Map    map[string]any `json:"map"`
	}
	doc := map[string]any{"version": 3, "sections": []sec{
		{map[string]int{"line": 0, "column": 0}, map[string]any{"version": 3, "sourceRoot": "r1", "sources": []string{"a.js"}, "mappings": ""}},
		{map[string]int{"line": 1, "column": 0}, map[string]any{"version": 3, "sources": []string{}, "mappings": ""}},
		{map[string]int{"line": 2, "column": 0}, map[string]any{"version": 3, "sources": []string{"../b.js", "webpack://x/./c.js"}, "mappings": ""}},
	}}
	b, _ := json.Marshal(doc)
	m := mustParse(t, string(b))
	want := []string{"/p/d/r1/a.js", "/p/b.js", "c.js", ""}
	for i, w := range want {
		if got := m.ResolveSource("/p/d/x.map", i); got != w {
			t.Errorf("ResolveSource(%d) = %q, want %q", i, got, w)
		}
	}
}
