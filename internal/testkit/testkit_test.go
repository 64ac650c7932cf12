package testkit

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestCopyTreeKeepsModesAndLinks(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("permission bits and symbolic links are POSIX")
	}
	src := WriteTree(t, t.TempDir(), map[string]string{"a.js": "a", "sub/b.js": "b", "sub/ro/c.js": "c", "empty/": ""})
	must(t, os.Chmod(filepath.Join(src, "a.js"), 0o755))
	must(t, os.Symlink("../a.js", filepath.Join(src, "sub", "link.js")))
	must(t, os.Symlink("missing.js", filepath.Join(src, "dangling.js")))
	must(t, os.Chmod(filepath.Join(src, "sub", "ro"), 0o555))
	t.Cleanup(func() { _ = os.Chmod(filepath.Join(src, "sub", "ro"), 0o755) })

	dst := CopyTree(t, src)
	t.Cleanup(func() { _ = os.Chmod(filepath.Join(dst, "sub", "ro"), 0o755) })
	for rel, want := range map[string]os.FileMode{"a.js": 0o755, "sub/b.js": 0o644, "sub/ro": 0o555 | os.ModeDir, "empty": 0o755 | os.ModeDir} {
		st, err := os.Lstat(filepath.Join(dst, rel))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode() != want {
			t.Errorf("%s: mode %v, want %v", rel, st.Mode(), want)
		}
	}
	for rel, want := range map[string]string{"sub/link.js": "../a.js", "dangling.js": "missing.js"} {
		if got, err := os.Readlink(filepath.Join(dst, rel)); err != nil || got != want {
			t.Errorf("%s: link to %q (%v), want %q", rel, got, err, want)
		}
	}
	if data, err := os.ReadFile(filepath.Join(dst, "sub", "ro", "c.js")); err != nil || string(data) != "c" {
		t.Errorf("sub/ro/c.js: %q %v", data, err)
	}
}

func TestCopyFile(t *testing.T) {
	dir := t.TempDir()
	WriteFile(t, filepath.Join(dir, "in.txt"), "new")
	must(t, os.Chmod(filepath.Join(dir, "in.txt"), 0o600))
	out := filepath.Join(dir, "deep", "out.txt")
	WriteFile(t, out, "old and longer")
	CopyFile(t, filepath.Join(dir, "in.txt"), out)
	st, err := os.Stat(out)
	if data, _ := os.ReadFile(out); err != nil || string(data) != "new" || (runtime.GOOS != "windows" && st.Mode().Perm() != 0o600) {
		t.Fatalf("%q %v %v", data, st.Mode(), err)
	}
}

func TestFixtures(t *testing.T) {
	dir := Fixtures(t)
	if filepath.Base(dir) != "dist" {
		t.Errorf("copied into %s", dir)
	}
	for _, rel := range []string{"manifest.json", "webpack/main.js", "esbuild-cjs/app.js.map"} {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(rel))); err != nil {
			t.Error(err)
		}
	}
}

func TestGoldenUpdateThenCompare(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new", "out.golden")
	t.Setenv("UPDATE_GOLDEN", "1")
	Golden(t, path, []byte("line one\nline two\n"))
	t.Setenv("UPDATE_GOLDEN", "")
	Golden(t, path, []byte("line one\nline two\n"))
}

func TestFirstDifference(t *testing.T) {
	for _, tc := range []struct{ got, want, says string }{
		{"a\nbXc\n", "a\nbYc\n", `6 bytes, want 6; from line 2, byte 2:
 got: "bXc"
want: "bYc"`},
		{"a\nb", "a\n", `3 bytes, want 2; from line 2, byte 1:
 got: "b"
want: ""`},
		{strings.Repeat("x", 100) + "1" + strings.Repeat("y", 100), strings.Repeat("x", 100) + "2" + strings.Repeat("y", 100),
			`201 bytes, want 201; from line 1, byte 101:
 got: …"` + strings.Repeat("x", 40) + "1" + strings.Repeat("y", 79) + `"…
want: …"` + strings.Repeat("x", 40) + "2" + strings.Repeat("y", 79) + `"…`},
	} {
		if got := firstDifference([]byte(tc.got), []byte(tc.want)); got != tc.says {
			t.Errorf("firstDifference(%q, %q):\n%s\nwant\n%s", tc.got, tc.want, got, tc.says)
		}
	}
}

func TestRepoRoot(t *testing.T) {
	if _, err := os.Stat(filepath.Join(RepoRoot(t), "cmd", "mapback")); err != nil {
		t.Fatal(err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
