package upload

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/inject"
	"github.com/mapback/mapback/internal/sentrytest"
	"github.com/mapback/mapback/internal/testkit"
)

// settle waits past the clock tick of the tree's last write, so a write after it gets other times.
func settle() { time.Sleep(50 * time.Millisecond) }

// TestTreeRecord: a second upload of an unchanged tree reads no file (the tree record) and finds the
// same bundle; a file changed without changing its size, and a file added, are noticed, and the
// record follows the tree again once the change is uploaded.
func TestTreeRecord(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("tree records are kept on Linux only (treecache.go)")
	}
	old := racyMargin
	racyMargin = 0 // the test's files are seconds old; settle() keeps its writes in distinct ticks
	t.Cleanup(func() { racyMargin = old })

	s := newServer(t, sentrytest.Capability{ChunkSize: 8192})
	dir := injectedTree(t)
	if !statTrusted(dir) {
		t.Skipf("%s is not on a file system tree records trust (treestat_linux.go)", dir)
	}
	opts := s.options(dir)
	opts.CacheDir = t.TempDir()
	settle()

	run := func(what string) *Report {
		t.Helper()
		s.ResetRequests()
		rep, err := Run(context.Background(), opts)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return rep
	}
	first := run("first")
	if first.TreeUnchanged {
		t.Fatal("first upload: tree reported unchanged")
	}
	second := run("second")
	if !second.TreeUnchanged || !second.FromCache || second.Checksum != first.Checksum || s.count()["chunks POST"] != 0 {
		t.Fatalf("second upload: unchanged %v, from cache %v, same checksum %v, requests %v",
			second.TreeUnchanged, second.FromCache, second.Checksum == first.Checksum, s.count())
	}
	a, _ := json.Marshal([]any{first.Scripts, first.Maps})
	b, _ := json.Marshal([]any{second.Scripts, second.Maps})
	if string(a) != string(b) {
		t.Fatalf("recalled report differs:\n%s\n%s", a, b)
	}

	// One byte of a map, same size: its change time moves, so the tree is read again.
	mapPath := filepath.Join(dir, "webpack", "main.js.map")
	data, err := os.ReadFile(mapPath)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-3] ^= 1
	testkit.WriteFile(t, mapPath, string(data))
	settle()
	third := run("after an edit")
	if third.TreeUnchanged || third.Checksum == first.Checksum || s.count()["chunks POST"] == 0 {
		t.Fatalf("after an edit: unchanged %v, checksum changed %v, requests %v", third.TreeUnchanged, third.Checksum != first.Checksum, s.count())
	}
	if fourth := run("after the edit's upload"); !fourth.TreeUnchanged || fourth.Checksum != third.Checksum {
		t.Fatalf("after the edit's upload: unchanged %v, same checksum %v", fourth.TreeUnchanged, fourth.Checksum == third.Checksum)
	}

	// A bundle added to a directory: the directory changed.
	testkit.WriteFile(t, filepath.Join(dir, "webpack", "extra.js"), "var extra=1;\n")
	opts.AllowNoMaps = true // extra.js has no map; the rest do
	settle()
	if fifth := run("after an added file"); fifth.TreeUnchanged || len(fifth.Scripts) != len(first.Scripts)+1 {
		t.Fatalf("after an added file: unchanged %v, %d scripts (was %d)", fifth.TreeUnchanged, len(fifth.Scripts), len(first.Scripts))
	}
}

// TestTreeRecordRacy: inputs written within racyMargin of the run are never trusted, so no record
// is written and the next run reads the tree.
func TestTreeRecordRacy(t *testing.T) {
	old := racyMargin
	racyMargin = time.Hour
	t.Cleanup(func() { racyMargin = old })

	s := newServer(t, sentrytest.Capability{ChunkSize: 8192})
	opts := s.options(injectedTree(t))
	opts.CacheDir = t.TempDir()
	for i := range 2 {
		rep, err := Run(context.Background(), opts)
		if err != nil || rep.TreeUnchanged {
			t.Fatalf("run %d: err %v, unchanged %v", i, err, rep.TreeUnchanged)
		}
	}
	if recs, _ := filepath.Glob(filepath.Join(opts.CacheDir, "tree-*.gob")); len(recs) != 0 {
		t.Fatalf("records written for a tree written moments ago: %v", recs)
	}
}

// TestTreeRecordReportsLikeARead: a recalled run's report lists what a full read lists, empty lists
// included ([] and not null in --json: a tree whose only maps are inline has no map files).
func TestTreeRecordReportsLikeARead(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("tree records are kept on Linux only (treecache.go)")
	}
	old := racyMargin
	racyMargin = 0
	t.Cleanup(func() { racyMargin = old })
	s := newServer(t, sentrytest.Capability{ChunkSize: 8192})
	dir := filepath.Join(t.TempDir(), "dist")
	// An inline map (a data: URL of {"version":3,"sources":["a.ts"],"names":[],"mappings":"AAAA"}).
	testkit.WriteFile(t, filepath.Join(dir, "a.js"), "var a=1;\n//# sourceMappingURL=data:application/json;base64,"+
		"eyJ2ZXJzaW9uIjozLCJzb3VyY2VzIjpbImEudHMiXSwibmFtZXMiOltdLCJtYXBwaW5ncyI6IkFBQUEifQ==\n")
	if _, err := inject.Run(context.Background(), inject.Options{Scan: dist.Options{Paths: []string{dir}}}); err != nil {
		t.Fatal(err)
	}
	if !statTrusted(dir) {
		t.Skipf("%s is not on a file system tree records trust", dir)
	}
	opts := s.options(dir)
	opts.CacheDir = t.TempDir()
	settle()
	var reports [2][]byte
	for i := range reports {
		rep, err := Run(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		if rep.TreeUnchanged != (i == 1) {
			t.Fatalf("run %d: tree unchanged %v", i, rep.TreeUnchanged)
		}
		reports[i], _ = json.Marshal(map[string]any{"scripts": rep.Scripts, "maps": rep.Maps})
	}
	if string(reports[0]) != string(reports[1]) || !strings.Contains(string(reports[1]), `"maps":[]`) {
		t.Fatalf("read:     %s\nrecalled: %s", reports[0], reports[1])
	}
}

// TestStatTrusted: a local disk is trusted, procfs (and so any file system not listed) is not.
func TestStatTrusted(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Linux only")
	}
	if statTrusted("/proc") {
		t.Error("procfs trusted")
	}
	if why := trustedDirs([]statEntry{{Path: "/proc/self/status"}}); why == "" {
		t.Error("an input on procfs did not stop the record")
	}
}
