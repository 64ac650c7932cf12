package dist

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/testkit"
)

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("symlinks not supported: %v", err)
	}
}

// describe renders a bundle as "rule path", "inline <bytes>", "none" or "ERR: message"; " (outside)"
// marks maps outside the PATHs.
func describe(b Bundle) string {
	switch {
	case b.Err != nil:
		return "ERR: " + b.Err.Error()
	case b.Map == nil:
		return "none"
	case b.Map.Rule == RuleDataURL:
		return "inline " + string(b.Map.Inline)
	}
	s := string(b.Map.Rule) + " " + filepath.ToSlash(b.Map.Path)
	if b.Map.Outside {
		s += " (outside)"
	}
	return s
}

func js(ref string) string {
	return "var a=1;\n//# sourceMappingURL=" + ref + "\n"
}

const noRef = "var a=1;\n"

type scanCase struct {
	name    string
	files   map[string]string
	setup   func(t *testing.T, dir string) // after files are written; cwd is dir
	opts    Options
	want    map[string]string // bundle path → describe(); exactly these bundles
	warn    map[string]string // bundle path → substring of its warnings; other bundles must have none
	skipped map[string]string // skipped path → substring of the reason; exactly these
	maps    []string          // when non-nil: Result.Maps
}

func runScanCases(t *testing.T, cases []scanCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			testkit.WriteTree(t, dir, tc.files)
			t.Chdir(dir)
			if tc.setup != nil {
				tc.setup(t, dir)
			}
			res, err := Scan(context.Background(), tc.opts)
			if err != nil {
				t.Fatalf("Scan: %v", err)
			}
			checkResult(t, res, tc)
		})
	}
}

func checkResult(t *testing.T, res *Result, tc scanCase) {
	t.Helper()
	got := map[string]string{}
	var order []string
	for _, b := range res.Bundles {
		p := filepath.ToSlash(b.Path)
		got[p] = describe(b)
		order = append(order, b.Path)
		want := tc.warn[p]
		all := strings.Join(b.Warnings, " | ")
		switch {
		case want == "" && len(b.Warnings) > 0:
			t.Errorf("%s: unexpected warnings: %s", p, all)
		case want != "" && !strings.Contains(all, want):
			t.Errorf("%s: warnings %q do not contain %q", p, all, want)
		}
		if b.Err != nil && b.Map != nil {
			t.Errorf("%s: Err and Map both set", p)
		}
	}
	if !sort.StringsAreSorted(order) {
		t.Errorf("bundles not sorted: %v", order)
	}
	want := tc.want
	if want == nil {
		want = map[string]string{}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("bundles:\n got  %s\n want %s", dump(got), dump(want))
	}
	gotSkip := map[string]string{}
	for _, s := range res.Skipped {
		gotSkip[filepath.ToSlash(s.Path)] = s.Reason
	}
	if len(gotSkip) != len(tc.skipped) {
		t.Errorf("skipped:\n got  %s\n want %s", dump(gotSkip), dump(tc.skipped))
	}
	for p, sub := range tc.skipped {
		if r, ok := gotSkip[p]; !ok || !strings.Contains(r, sub) {
			t.Errorf("skipped %s: reason %q, want containing %q", p, r, sub)
		}
	}
	if tc.maps != nil {
		var gotMaps []string
		for _, m := range res.Maps {
			gotMaps = append(gotMaps, filepath.ToSlash(m))
		}
		if len(gotMaps) != len(tc.maps) || (len(gotMaps) > 0 && !reflect.DeepEqual(gotMaps, tc.maps)) {
			t.Errorf("maps = %v, want %v", gotMaps, tc.maps)
		}
	}
}

func dump(m map[string]string) string {
	b, _ := json.MarshalIndent(m, "  ", "  ")
	return string(b)
}

func TestScanWalk(t *testing.T) {
	runScanCases(t, []scanCase{
		{
			name: "hidden dirs and node_modules skipped below a PATH, hidden files processed",
			files: map[string]string{
				"a.js": noRef, ".hidden.js": noRef, ".cache/x.js": noRef, "node_modules/lib/i.js": noRef,
				"sub/node_modules/y.js": noRef, "sub/.git/z.js": noRef, ".maps/a.js.map": "{}",
				"notes.txt": "x", "app.jsx": noRef,
			},
			want: map[string]string{"a.js": "none", ".hidden.js": "none"},
			maps: []string{},
		},
		{
			name:  "node_modules and hidden dirs are walked when given as PATH",
			files: map[string]string{"dist/a.js": noRef, "dist/node_modules/b.js": noRef, ".out/c.js": noRef, ".out/.deep/d.js": noRef},
			opts:  Options{Paths: []string{"dist", "dist/node_modules", ".out"}},
			want:  map[string]string{"dist/a.js": "none", "dist/node_modules/b.js": "none", ".out/c.js": "none"},
		},
		{
			name: "gitignore: negation, dir-only, anchoring, **, nesting",
			files: map[string]string{
				".gitignore": strings.Join([]string{
					"# comment", "", "*.min.js", "!keep.min.js", "bundle.js/", "gen/", "!gen/inside.js",
					"/top.js", "sub/anch.js", "**/tmp/*.js", "lib/**", "!lib/keep.js", "trailing.js   ", `\#hash.js`,
				}, "\n"),
				"a.min.js": noRef, "keep.min.js": noRef,
				"bundle.js": noRef, "old/bundle.js/inner.js": noRef,
				"gen/x.js": noRef, "gen/inside.js": noRef, "deep/gen/y.js": noRef,
				"top.js": noRef, "deep/top.js": noRef,
				"sub/anch.js": noRef, "other/sub/anch.js": noRef,
				"a/tmp/x.js": noRef, "tmp/y.js": noRef,
				"lib/x.js": noRef, "lib/keep.js": noRef,
				"trailing.js": noRef, "#hash.js": noRef,
				"nested/.gitignore": "!a.min.js\nlocal.js\n",
				"nested/a.min.js":   noRef, "nested/local.js": noRef, "local.js": noRef,
			},
			want: map[string]string{
				"keep.min.js": "none", "bundle.js": "none", "deep/top.js": "none", "other/sub/anch.js": "none",
				"lib/keep.js": "none", "nested/a.min.js": "none", "local.js": "none",
			},
		},
		{
			name: ".ignore overrides .gitignore in the same directory",
			files: map[string]string{
				".gitignore": "over.js\nboth.js\n", ".ignore": "!over.js\nextra.js\n",
				"over.js": noRef, "both.js": noRef, "extra.js": noRef, "plain.js": noRef,
			},
			want: map[string]string{"over.js": "none", "plain.js": "none"},
		},
		{
			name: "ignore files above a PATH do not apply; the PATH is always walked",
			files: map[string]string{
				".gitignore": "dist/\n*.js\n", "dist/a.js": noRef, "dist/.gitignore": "b.js\n", "dist/b.js": noRef,
			},
			opts: Options{Paths: []string{"dist"}},
			want: map[string]string{"dist/a.js": "none"},
		},
		{
			name: "--ignore globs: relative path, base name, directory pruning",
			files: map[string]string{
				"dist/a.js": noRef, "dist/a.test.js": noRef, "dist/deep/b.test.js": noRef,
				"dist/legacy/x.js": noRef, "dist/sub/skip.js": noRef, "dist/other/sub/skip.js": noRef,
				"dist/vendor/v.js": noRef, "dist/legacy.map": "{}",
			},
			opts: Options{Paths: []string{"dist"}, Ignore: []string{"*.test.js", "legacy", "sub/skip.js", "./vendor/**", "{nomatch,alsonot}.js"}},
			want: map[string]string{"dist/a.js": "none", "dist/other/sub/skip.js": "none"},
			maps: []string{"dist/legacy.map"},
		},
		{
			name: "--ignore-file is relative to its own directory",
			files: map[string]string{
				"ignore.txt": "/dist/old/\n*.tmp.js\n!keep.tmp.js\n",
				"dist/a.js":  noRef, "dist/old/x.js": noRef, "dist/new/old/y.js": noRef,
				"dist/a.tmp.js": noRef, "dist/keep.tmp.js": noRef,
			},
			opts: Options{Paths: []string{"dist"}, IgnoreFile: "ignore.txt"},
			want: map[string]string{"dist/a.js": "none", "dist/new/old/y.js": "none", "dist/keep.tmp.js": "none"},
		},
		{
			name: "--ignore-file outside the tree applies relative to the PATH",
			files: map[string]string{
				"conf/ign": "/old/\n", "dist/a.js": noRef, "dist/old/x.js": noRef,
			},
			opts: Options{Paths: []string{"dist"}, IgnoreFile: "conf/ign"},
			want: map[string]string{"dist/a.js": "none"},
		},
		{
			name:  "--ext replaces the default, with and without dots",
			files: map[string]string{"a.js": noRef, "b.jsx": noRef, "c.es6": noRef, "d.mjs": noRef, "b.jsx.map": "{}"},
			opts:  Options{Extensions: []string{"jsx", ".es6"}},
			want:  map[string]string{"b.jsx": "co-located b.jsx.map", "c.es6": "none"},
		},
		{
			name:  "default extensions",
			files: map[string]string{"a.js": noRef, "b.mjs": noRef, "c.cjs": noRef, "d.ts": noRef, "e.json": "{}"},
			want:  map[string]string{"a.js": "none", "b.mjs": "none", "c.cjs": "none"},
		},
		{
			name:  "a file given as PATH",
			files: map[string]string{"dist/a.js": js("a.js.map"), "dist/a.js.map": "{}", "readme.md": "x"},
			opts:  Options{Paths: []string{"dist/a.js", "dist/a.js.map", "readme.md"}},
			want:  map[string]string{"dist/a.js": "sourceMappingURL dist/a.js.map"},
			skipped: map[string]string{
				"readme.md": "not a JavaScript file",
			},
			maps: []string{"dist/a.js.map"},
		},
		{
			name:  "overlapping PATHs give each file once",
			files: map[string]string{"a.js": noRef, "sub/b.js": noRef},
			opts:  Options{Paths: []string{".", "sub", "./sub/"}},
			want:  map[string]string{"a.js": "none", "sub/b.js": "none"},
		},
		{
			name:  "many bundles, deterministic",
			files: manyBundles(150),
			want:  manyWant(150),
		},
	})
}

func manyBundles(n int) map[string]string {
	m := map[string]string{}
	for i := range n {
		m[fmt.Sprintf("d%d/b%03d.js", i%7, i)] = js(fmt.Sprintf("b%03d.js.map", i))
		m[fmt.Sprintf("d%d/b%03d.js.map", i%7, i)] = "{}"
	}
	return m
}

func manyWant(n int) map[string]string {
	m := map[string]string{}
	for i := range n {
		m[fmt.Sprintf("d%d/b%03d.js", i%7, i)] = fmt.Sprintf("sourceMappingURL d%d/b%03d.js.map", i%7, i)
	}
	return m
}

func TestScanSymlinks(t *testing.T) {
	runScanCases(t, []scanCase{
		{
			name:  "inside the PATH: followed",
			files: map[string]string{"dist/.store/pkg/x.js": js("x.js.map"), "dist/.store/pkg/x.js.map": "{}", "dist/.store/b.js": noRef},
			setup: func(t *testing.T, dir string) {
				symlink(t, ".store/pkg", "dist/linked")
				symlink(t, ".store/b.js", "dist/b.js")
			},
			opts: Options{Paths: []string{"dist"}},
			want: map[string]string{"dist/linked/x.js": "sourceMappingURL dist/linked/x.js.map", "dist/b.js": "none"},
			maps: []string{"dist/linked/x.js.map"},
		},
		{
			name:  "second path to the same file or directory",
			files: map[string]string{"dist/v2/a.js": noRef, "dist/real.js": noRef},
			setup: func(t *testing.T, dir string) {
				symlink(t, "v2", "dist/latest")
				symlink(t, "real.js", "dist/alias.js")
			},
			opts: Options{Paths: []string{"dist"}},
			want: map[string]string{"dist/v2/a.js": "none", "dist/real.js": "none"},
			skipped: map[string]string{
				"dist/latest":   "directory already walked as dist/v2",
				"dist/alias.js": "same file as dist/real.js",
			},
		},
		{
			name:  "outside the PATH: skipped",
			files: map[string]string{"dist/a.js": noRef, "outside/o.js": noRef, "outside/o.js.map": "{}"},
			setup: func(t *testing.T, dir string) {
				symlink(t, "../outside", "dist/ext")
				symlink(t, "../outside/o.js", "dist/o.js")
			},
			opts: Options{Paths: []string{"dist"}},
			want: map[string]string{"dist/a.js": "none"},
			skipped: map[string]string{
				"dist/ext":  "outside dist: not followed",
				"dist/o.js": "outside dist: not followed",
			},
		},
		{
			name:  "dangling: skipped with reason",
			files: map[string]string{"a.js": noRef},
			setup: func(t *testing.T, dir string) {
				symlink(t, "nope.js", "gone.js")
				symlink(t, "nowhere", "gonedir")
			},
			want:    map[string]string{"a.js": "none"},
			skipped: map[string]string{"gone.js": "dangling symlink to nope.js", "gonedir": "dangling symlink to nowhere"},
		},
		{
			name:  "loops terminate",
			files: map[string]string{"a/x.js": noRef, "b/y.js": noRef},
			setup: func(t *testing.T, dir string) {
				symlink(t, "..", "a/up")
				symlink(t, "../b", "a/tob")
				symlink(t, "../a", "b/toa")
				symlink(t, "self.js", "self.js")
			},
			want: map[string]string{"a/x.js": "none", "b/y.js": "none"},
			skipped: map[string]string{
				"a/up":    "symlink loop",
				"a/tob":   "directory already walked as b",
				"b/toa":   "directory already walked as a",
				"self.js": "symlink to self.js",
			},
		},
		{
			name:  "a PATH that is a symlink",
			files: map[string]string{"real/a.js": js("a.js.map"), "real/a.js.map": "{}"},
			setup: func(t *testing.T, dir string) { symlink(t, "real", "link") },
			opts:  Options{Paths: []string{"link"}},
			want:  map[string]string{"link/a.js": "sourceMappingURL link/a.js.map"},
		},
		{
			name:  "ignored symlinks are not reported",
			files: map[string]string{"a.js": noRef, ".gitignore": "gone.js\n"},
			setup: func(t *testing.T, dir string) { symlink(t, "nope.js", "gone.js") },
			want:  map[string]string{"a.js": "none"},
		},
	})
}

func TestScanUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: permission bits do not stop root from reading, so unreadable files cannot be made")
	}
	runScanCases(t, []scanCase{{
		name:  "unreadable file and directory",
		files: map[string]string{"a.js": noRef, "locked.js": noRef, "closed/x.js": noRef},
		setup: func(t *testing.T, dir string) {
			if err := os.Chmod("locked.js", 0); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod("closed", 0); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(filepath.Join(dir, "closed"), 0o755) })
		},
		want:    map[string]string{"a.js": "none", "locked.js": "ERR: cannot read: permission denied"},
		skipped: map[string]string{"closed": "cannot read directory: permission denied"},
	}})
}

func TestScanErrors(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	ctx := context.Background()
	if _, err := Scan(ctx, Options{Paths: []string{"does-not-exist"}}); err == nil || !strings.Contains(err.Error(), "does-not-exist") {
		t.Errorf("missing PATH: err = %v", err)
	}
	if _, err := Scan(ctx, Options{Ignore: []string{"[unclosed"}}); err == nil || !strings.Contains(err.Error(), "[unclosed") {
		t.Errorf("bad glob: err = %v", err)
	}
	if _, err := Scan(ctx, Options{IgnoreFile: "nope"}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("missing ignore file: err = %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Scan(cctx, Options{}); err != context.Canceled {
		t.Errorf("cancelled: err = %v", err)
	}
}

func TestScanFixtures(t *testing.T) {
	root := filepath.Join("..", "..", "testdata", "fixtures")
	data, err := os.ReadFile(filepath.Join(root, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Builds []struct{ Name, Bundle, Map string }
	}
	if err := json.Unmarshal(data, &manifest); err != nil {
		t.Fatal(err)
	}
	if len(manifest.Builds) != 5 {
		t.Fatalf("manifest has %d builds, want 5", len(manifest.Builds))
	}
	res, err := Scan(context.Background(), Options{Paths: []string{root}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Bundle{}
	for _, b := range res.Bundles {
		got[b.Path] = b
	}
	if len(got) != len(manifest.Builds) {
		t.Errorf("found %d bundles, want %d: %v", len(got), len(manifest.Builds), res.Bundles)
	}
	for _, build := range manifest.Builds {
		p := filepath.Join(root, build.Name, build.Bundle)
		b, ok := got[p]
		if !ok {
			t.Errorf("%s: not found", p)
			continue
		}
		want := filepath.Join(root, build.Name, build.Map)
		if b.Err != nil || b.Map == nil || b.Map.Rule != RuleComment || b.Map.Path != want || b.Map.URL != build.Map || b.Map.Outside || len(b.Warnings) > 0 {
			t.Errorf("%s: %s %+v, want sourceMappingURL %s", p, describe(b), b.Map, want)
		}
	}
	if len(res.Maps) != 5 || len(res.Skipped) != 0 {
		t.Errorf("maps %v, skipped %v", res.Maps, res.Skipped)
	}
}
