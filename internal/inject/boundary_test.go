package inject

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/treelock"
)

// TestWritesStayInside: inject edits no file outside the given paths unless
// AllowOutside says so, and a symlinked map is either written through (the
// link stays a link) or refused, with the report saying which.
func TestWritesStayInside(t *testing.T) {
	const mapJSON = `{"version":3,"sources":["a.ts"],"names":[],"mappings":"AAAA"}`
	type tree struct {
		dir, outside string
		absRef       string // bundle whose sourceMappingURL is an absolute path outside
		linkIn       string // map symlink to a file inside the tree
		linkOut      string // map symlink to a file outside the tree
	}
	build := func(t *testing.T) tree {
		base := t.TempDir()
		tr := tree{dir: filepath.Join(base, "dist"), outside: filepath.Join(base, "elsewhere")}
		for _, d := range []string{tr.dir, filepath.Join(tr.dir, "real"), tr.outside} {
			must(t, os.MkdirAll(d, 0o755))
		}
		write := func(p, s string) { must(t, os.WriteFile(p, []byte(s), 0o644)) }
		// An absolute sourceMappingURL naming a map outside the tree.
		write(filepath.Join(tr.outside, "abs.js.map"), mapJSON)
		write(filepath.Join(tr.dir, "abs.js"), "var a=1;\n//# sourceMappingURL="+filepath.Join(tr.outside, "abs.js.map")+"\n")
		// A map that is a symlink to a file inside the tree.
		write(filepath.Join(tr.dir, "real", "in.js.map.data"), mapJSON)
		must(t, os.Symlink(filepath.Join("real", "in.js.map.data"), filepath.Join(tr.dir, "in.js.map")))
		write(filepath.Join(tr.dir, "in.js"), "var b=1;\n//# sourceMappingURL=in.js.map\n")
		// A map that is a symlink to a file outside the tree.
		write(filepath.Join(tr.outside, "out.js.map"), mapJSON)
		must(t, os.Symlink(filepath.Join(tr.outside, "out.js.map"), filepath.Join(tr.dir, "out.js.map")))
		write(filepath.Join(tr.dir, "out.js"), "var c=1;\n//# sourceMappingURL=out.js.map\n")
		tr.absRef = filepath.Join(tr.dir, "abs.js")
		tr.linkIn = filepath.Join(tr.dir, "in.js.map")
		tr.linkOut = filepath.Join(tr.dir, "out.js.map")
		return tr
	}
	byPath := func(r *Report) map[string]FileReport {
		m := map[string]FileReport{}
		for _, f := range r.Files {
			m[filepath.Base(f.Path)] = f
		}
		return m
	}
	isLink := func(t *testing.T, p string) {
		t.Helper()
		if info, err := os.Lstat(p); err != nil || info.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s is no longer a symlink (%v)", p, err)
		}
	}
	hasID := func(t *testing.T, p string, want bool) {
		t.Helper()
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(string(data), "debugId"); got != want {
			t.Errorf("%s has a debug ID: %v, want %v", p, got, want)
		}
	}

	t.Run("refused by default", func(t *testing.T) {
		tr := build(t)
		outsideBefore := snapshot(t, tr.outside)
		wd, _ := os.Getwd()
		must(t, os.Chdir(filepath.Dir(tr.dir)))
		defer os.Chdir(wd)
		r, err := Run(context.Background(), Options{Scan: scanOf("dist"), Lock: testLock(t)})
		if err != nil {
			t.Fatal(err)
		}
		files := byPath(r)
		for _, name := range []string{"abs.js", "out.js"} {
			f := files[name]
			if f.Status != StatusFailed || !strings.Contains(f.Reason, "outside the given paths, so neither it nor the bundle was changed") || !strings.Contains(f.Reason, "--allow-outside") {
				t.Errorf("%s: %s %q, want a failure naming --allow-outside", name, f.Status, f.Reason)
			}
		}
		if f := files["out.js"]; !strings.Contains(f.Reason, "a symlink to "+filepath.Join(tr.outside, "out.js.map")) {
			t.Errorf("out.js: reason %q does not say the map is a symlink", f.Reason)
		}
		if got := snapshot(t, tr.outside); !equalSnap(got, outsideBefore) {
			t.Errorf("files outside the PATH changed")
		}
		hasID(t, filepath.Join(tr.dir, "abs.js"), false)
		hasID(t, filepath.Join(tr.dir, "out.js"), false)
		isLink(t, tr.linkOut)
		// The symlink inside the tree is written through.
		if f := files["in.js"]; f.Status != StatusModified || !hasWarning(f, "is a symlink: wrote through it to") {
			t.Errorf("in.js: %s %q %q, want modified with a write-through note", f.Status, f.Reason, f.Warnings)
		}
		isLink(t, tr.linkIn)
		hasID(t, filepath.Join(tr.dir, "real", "in.js.map.data"), true)
	})

	t.Run("allowed", func(t *testing.T) {
		tr := build(t)
		// Relative PATH, absolute sourceMappingURL: the journal once failed
		// with "Rel: can't make … relative to …".
		wd, _ := os.Getwd()
		must(t, os.Chdir(filepath.Dir(tr.dir)))
		defer os.Chdir(wd)
		r, err := Run(context.Background(), Options{Scan: scanOf("dist"), AllowOutside: true, Lock: testLock(t)})
		if err != nil {
			t.Fatal(err)
		}
		files := byPath(r)
		for _, name := range []string{"abs.js", "out.js", "in.js"} {
			if f := files[name]; f.Status != StatusModified {
				t.Errorf("%s: %s %q, want modified", name, f.Status, f.Reason)
			}
		}
		hasID(t, filepath.Join(tr.outside, "abs.js.map"), true)
		hasID(t, filepath.Join(tr.outside, "out.js.map"), true)
		isLink(t, tr.linkOut)
		isLink(t, tr.linkIn)
		if !hasWarning(files["out.js"], "wrote through it to "+filepath.Join(tr.outside, "out.js.map")) {
			t.Errorf("out.js: warnings %q do not say where the write went", files["out.js"].Warnings)
		}
	})
}

func hasWarning(f FileReport, frag string) bool {
	for _, w := range f.Warnings {
		if strings.Contains(w, frag) {
			return true
		}
	}
	return false
}

func equalSnap(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if string(b[k]) != string(v) {
			return false
		}
	}
	return true
}

// testLock keeps a test's lock files in its own directory.
func testLock(t *testing.T) treelock.Options {
	return treelock.Options{Dir: filepath.Join(t.TempDir(), "locks")}
}
