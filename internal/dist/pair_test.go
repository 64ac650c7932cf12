package dist

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/mapback/mapback/internal/testkit"
)

func TestScanPairing(t *testing.T) {
	runScanCases(t, []scanCase{
		{
			name:  "relative reference",
			files: map[string]string{"a.js": js("maps/a.js.map"), "maps/a.js.map": "{}"},
			want:  map[string]string{"a.js": "sourceMappingURL maps/a.js.map"},
			maps:  []string{"maps/a.js.map"},
		},
		{
			name:  "legacy //@ comment and crlf",
			files: map[string]string{"a.js": "x\r\n//@ sourceMappingURL=a.js.map\r\n", "a.js.map": "{}"},
			want:  map[string]string{"a.js": "sourceMappingURL a.js.map"},
		},
		{
			name:  "last comment wins",
			files: map[string]string{"a.js": "//# sourceMappingURL=first.map\nx\n//# sourceMappingURL=last.map\n", "first.map": "{}", "last.map": "{}"},
			want:  map[string]string{"a.js": "sourceMappingURL last.map"},
		},
		{
			name:  "query and fragment removed",
			files: map[string]string{"a.js": js("a.js.map?v=3#x"), "a.js.map": "{}"},
			want:  map[string]string{"a.js": "sourceMappingURL a.js.map"},
		},
		{
			name: "unrelated names and a map not named .js.map",
			files: map[string]string{
				"2v8dj2uej4-bc.js": js("0_w15_3anbpw3.js.map"), "0_w15_3anbpw3.js.map": "{}",
				"x.js": js("x.compiled.map"), "x.compiled.map": "{}",
			},
			want: map[string]string{"2v8dj2uej4-bc.js": "sourceMappingURL 0_w15_3anbpw3.js.map", "x.js": "sourceMappingURL x.compiled.map"},
		},
		{
			name:  "any existing local file, even outside the PATHs",
			files: map[string]string{"dist/a.js": js("../maps/a.json"), "maps/a.json": "{}", "dist/b.js": js("../../b.map")},
			setup: func(t *testing.T, dir string) {
				// ../../b.map from dist is one level above the temp dir
				testkit.WriteTree(t, filepath.Dir(dir), map[string]string{"b.map": "{}"})
				t.Cleanup(func() { os.Remove(filepath.Join(filepath.Dir(dir), "b.map")) })
			},
			opts: Options{Paths: []string{"dist"}},
			want: map[string]string{"dist/a.js": "sourceMappingURL maps/a.json (outside)", "dist/b.js": "sourceMappingURL ../b.map (outside)"},
			maps: []string{},
		},
		{
			name:  "absolute path missing falls back to co-located",
			files: map[string]string{"a.js": js("/nonexistent/dir/a.js.map"), "a.js.map": "{}"},
			want:  map[string]string{"a.js": "co-located a.js.map"},
			warn:  map[string]string{"a.js": "sourceMappingURL /nonexistent/dir/a.js.map does not exist: using co-located a.js.map"},
		},
		{
			name: "remote URL falls back to co-located",
			files: map[string]string{
				"r.js": js("https://cdn/r.js.map"), "r.js.map": "{}",
				"p.js": js("//cdn.example.com/p.js.map"), "p.js.map": "{}",
				"n.js": js("https://cdn/n.js.map"),
			},
			want: map[string]string{"r.js": "co-located r.js.map", "p.js": "co-located p.js.map", "n.js": "none"},
			warn: map[string]string{
				"r.js": "sourceMappingURL https://cdn/r.js.map is remote: using co-located r.js.map",
				"p.js": "is remote: using co-located p.js.map",
				"n.js": "sourceMappingURL https://cdn/n.js.map is remote and no co-located map was found",
			},
		},
		{
			name:  "missing relative reference falls back to co-located",
			files: map[string]string{"a.js": js("missing.js.map"), "a.js.map": "{}", "b.js": js("missing.js.map")},
			want:  map[string]string{"a.js": "co-located a.js.map", "b.js": "none"},
			warn: map[string]string{
				"a.js": "sourceMappingURL missing.js.map does not exist: using co-located a.js.map",
				"b.js": "sourceMappingURL missing.js.map does not exist and no co-located map was found",
			},
		},
		{
			name:  "empty reference falls back to co-located",
			files: map[string]string{"a.js": js(""), "a.js.map": "{}"},
			want:  map[string]string{"a.js": "co-located a.js.map"},
			warn:  map[string]string{"a.js": "is empty: using co-located a.js.map"},
		},
		{
			name:  "one directory segment differs",
			files: map[string]string{"js/a.js": js("../maps/v1/a.js.map"), "maps/v2/a.js.map": "{}"},
			want:  map[string]string{"js/a.js": "sourceMappingURL maps/v2/a.js.map"},
			warn:  map[string]string{"js/a.js": "sourceMappingURL ../maps/v1/a.js.map does not exist: using maps/v2/a.js.map (differs in one directory)"},
		},
		{
			name:  "one directory segment differs, ambiguous",
			files: map[string]string{"js/a.js": js("../maps/v1/a.js.map"), "maps/v2/a.js.map": "{}", "maps/v3/a.js.map": "{}"},
			want:  map[string]string{"js/a.js": "none"},
			warn:  map[string]string{"js/a.js": "does not exist and no co-located map was found"},
		},
		{
			name:  "one segment rule never changes the file name or depth",
			files: map[string]string{"js/a.js": js("../maps/b.js.map"), "maps/a.js.map": "{}", "c.js": js("x/y/c.js.map"), "x/c.js.map": "{}"},
			want:  map[string]string{"js/a.js": "none", "c.js": "none"},
			warn:  map[string]string{"js/a.js": "does not exist", "c.js": "does not exist"},
		},
		{
			name: "percent-encoded reference",
			files: map[string]string{
				"a.js": js("my%20app.js.map"), "my app.js.map": "{}",
				"b.js": js("b%2Bc.map"), "b%2Bc.map": "{}", "b+c.map": "{}",
			},
			want: map[string]string{"a.js": "sourceMappingURL my app.js.map", "b.js": "sourceMappingURL b%2Bc.map"},
		},
		{
			name:  "map referenced by two bundles",
			files: map[string]string{"a.js": js("shared.js.map"), "b.js": js("./shared.js.map"), "shared.js.map": "{}"},
			want:  map[string]string{"a.js": "none", "b.js": "none"},
			warn: map[string]string{
				"a.js": "map shared.js.map is claimed by 2 bundles (a.js, b.js): treated as having no map",
				"b.js": "map shared.js.map is claimed by 2 bundles (a.js, b.js)",
			},
		},
		{
			name:  "guess claimed by two bundles",
			files: map[string]string{"app.js": noRef, "app.min.js": noRef, "app.map": "{}"},
			want:  map[string]string{"app.js": "none", "app.min.js": "none"},
			warn: map[string]string{
				"app.js":     "could not determine a source map reference: map app.map is claimed by 2 bundles (app.js, app.min.js)",
				"app.min.js": "could not determine a source map reference",
			},
		},
		{
			name:  "reference beats a guess of the same map",
			files: map[string]string{"a.js": js("a.js.map"), "a.min.js": noRef, "a.js.map": "{}"},
			want:  map[string]string{"a.js": "sourceMappingURL a.js.map", "a.min.js": "none"},
			warn:  map[string]string{"a.min.js": "could not determine a source map reference: co-located map a.js.map is referenced by a.js"},
		},
		{
			name: "comment that is not on its own line is ignored",
			files: map[string]string{
				"a.js": "var s=\"//# sourceMappingURL=x.map\";\n", "x.map": "{}", "a.js.map": "{}",
			},
			want: map[string]string{"a.js": "co-located a.js.map"},
		},
		{
			name: "data URLs",
			files: map[string]string{
				"b64.js":     js("data:application/json;base64,e30="),
				"charset.js": js("data:application/json;charset=utf-8;base64,eyJ2ZXJzaW9uIjozfQ=="),
				"pct.js":     js("data:application/json,%7B%22version%22%3A3%7D"),
				"bad.js":     js("data:application/json;base64,e30*"),
				"bad.js.map": "{}",
			},
			want: map[string]string{
				"b64.js":     "inline {}",
				"charset.js": `inline {"version":3}`,
				"pct.js":     `inline {"version":3}`,
				"bad.js":     "ERR: embedded source map is not valid base64: illegal base64 data at input byte 3",
			},
		},
		{
			name:  "reference to a directory",
			files: map[string]string{"a.js": js("maps"), "maps/x.map": "{}", "b.js": js("maps/"), "a.js.map": "{}"},
			want: map[string]string{
				"a.js": "ERR: sourceMappingURL points to a directory: maps",
				"b.js": "ERR: sourceMappingURL points to a directory: maps",
			},
		},
		{
			name: "binary and invalid UTF-8 do not stop other files",
			files: map[string]string{
				"bin.js":    "PK\x03\x04\x00\x00junk",
				"utf.js":    "var \xff=1;\n",
				"ok.js":     js("ok.js.map"),
				"ok.js.map": "{}",
				"late.js":   strings.Repeat("a", 9000) + "\x00",
			},
			want: map[string]string{
				"bin.js":  "ERR: not a JavaScript file (binary data)",
				"utf.js":  "ERR: not valid UTF-8 (at byte 4)",
				"ok.js":   "sourceMappingURL ok.js.map",
				"late.js": "none",
			},
		},
	})
}

func TestScanPairingAbsolutePaths(t *testing.T) {
	// The "absolute" cases above use ABS as a placeholder: check them here with the real directory.
	dir := t.TempDir()
	testkit.WriteTree(t, dir, map[string]string{"m/a.map": "{}", "m/b.map": "{}"})
	absA, absB := filepath.Join(dir, "m", "a.map"), filepath.Join(dir, "m", "b.map")
	testkit.WriteTree(t, dir, map[string]string{"a.js": js(absA), "b.js": js("file://" + filepath.ToSlash(absB))})
	res, err := Scan(context.Background(), Options{Paths: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range res.Bundles {
		want := absA
		if filepath.Base(b.Path) == "b.js" {
			want = absB
		}
		if b.Map == nil || b.Map.Path != want || b.Map.Rule != RuleComment || b.Map.Outside || len(b.Warnings) > 0 {
			t.Errorf("%s: %s %v", b.Path, describe(b), b.Warnings)
		}
	}
	if len(res.Bundles) != 2 {
		t.Errorf("bundles = %d", len(res.Bundles))
	}
}

func TestGuessOrder(t *testing.T) {
	all := []string{"foo.map", "foo.min.js.map", "foo.js.map", "foo.min.map"}
	for k := range all {
		present := all[k:]
		t.Run(strings.Join(present, ","), func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{"foo.min.js": noRef}
			for _, m := range present {
				files[m] = "{}"
			}
			testkit.WriteTree(t, dir, files)
			t.Chdir(dir)
			res, err := Scan(context.Background(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Bundles) != 1 {
				t.Fatalf("bundles: %v", res.Bundles)
			}
			if got, want := describe(res.Bundles[0]), "co-located "+present[0]; got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
	if got, want := guessNames("foo.min.js"), all; !reflect.DeepEqual(got, want) {
		t.Errorf("guessNames(foo.min.js) = %v, want %v", got, want)
	}
	for name, want := range map[string][]string{
		"app.js":        {"app.map", "app.js.map"},
		"foo.bundle.js": {"foo.map", "foo.bundle.js.map", "foo.bundle.map"},
		"a.min.mjs":     {"a.map", "a.min.mjs.map", "a.mjs.map", "a.min.map"},
		".hidden.js":    {".hidden.js.map", ".hidden.map"},
	} {
		if got := guessNames(name); !reflect.DeepEqual(got, want) {
			t.Errorf("guessNames(%s) = %v, want %v", name, got, want)
		}
	}
	// foo.js.map is only guessed for a "min." infix.
	runScanCases(t, []scanCase{{
		name:  "no min infix",
		files: map[string]string{"foo.bundle.js": noRef, "foo.js.map": "{}"},
		want:  map[string]string{"foo.bundle.js": "none"},
	}})
}

func TestScanLargeBundle(t *testing.T) {
	if testing.Short() {
		t.Skip("50 MB file")
	}
	dir := t.TempDir()
	body := strings.Repeat("var a=function(b){return b+1};", 50<<20/30)
	testkit.WriteTree(t, dir, map[string]string{"big.js": body + "\n//# sourceMappingURL=big.js.map\n", "big.js.map": "{}"})
	res, err := Scan(context.Background(), Options{Paths: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Bundles) != 1 || describe(res.Bundles[0]) != "sourceMappingURL "+filepath.Join(dir, "big.js.map") {
		t.Errorf("got %v", res.Bundles)
	}
}

// Byte-identical copies of a bundle (babylon.js and babylon.max.js in the
// babylonjs package) share their map; a different bundle naming the same map
// still makes it unclaimable.
func TestIdenticalBundlesShareTheirMap(t *testing.T) {
	dir := t.TempDir()
	same := "var a=1;\n//# sourceMappingURL=lib.js.map\n"
	testkit.WriteTree(t, dir, map[string]string{"lib.js": same, "lib.max.js": same, "lib.js.map": "{}"})
	res, err := Scan(context.Background(), Options{Paths: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range res.Bundles {
		other := res.Bundles[1-i].Path
		if b.Map == nil || b.Map.Path != filepath.Join(dir, "lib.js.map") || len(b.SharedWith) != 1 || b.SharedWith[0] != other {
			t.Errorf("%s: map %+v, shared with %q", b.Path, b.Map, b.SharedWith)
		}
	}

	testkit.WriteTree(t, dir, map[string]string{"lib.max.js": same + "// changed\n"})
	res, err = Scan(context.Background(), Options{Paths: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range res.Bundles {
		if b.Map != nil || len(b.SharedWith) != 0 {
			t.Errorf("%s: different bundles must not share a map: %+v", b.Path, b.Map)
		}
	}
}

// TestOnRead: every bundle the scan reads whole is handed to OnRead once with its exact bytes,
// also one that fails the UTF-8 check; maps are not.
func TestOnRead(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a.js":     "var a=1;\n//# sourceMappingURL=a.js.map\n",
		"a.js.map": "{}",
		"sub/b.js": "var b=2;\n",
		"bad.js":   "var c=\"\xff\";\n",
	}
	testkit.WriteTree(t, dir, files)
	for _, quick := range []bool{false, true} {
		var mu sync.Mutex
		got := map[string]string{}
		_, err := Scan(context.Background(), Options{Paths: []string{dir}, Quick: quick, OnRead: func(path string, data []byte) {
			mu.Lock()
			defer mu.Unlock()
			if _, twice := got[path]; twice {
				t.Errorf("%s read twice", path)
			}
			got[path] = string(data)
		}})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{}
		for _, name := range []string{"a.js", "sub/b.js", "bad.js"} {
			want[filepath.Join(dir, filepath.FromSlash(name))] = files[name]
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("quick %v: OnRead got %q, want %q", quick, got, want)
		}
	}
}
