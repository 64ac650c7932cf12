package upload

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/mapback/mapback/internal/sentrytest"
	"github.com/mapback/mapback/internal/testkit"
)

// TestBuildCache: a second upload of an unchanged tree is answered from the cache (no build, no
// chunk), a changed file or a server without the chunks builds and uploads as usual, and a corrupt
// entry is ignored.
func TestBuildCache(t *testing.T) {
	s := newServer(t, sentrytest.Capability{ChunkSize: 8192})
	dir := injectedTree(t)
	cacheDir := t.TempDir()
	opts := s.options(dir)
	opts.CacheDir = cacheDir

	first, err := Run(context.Background(), opts)
	if err != nil || first.FromCache {
		t.Fatalf("first: err %v, from cache %v", err, first.FromCache)
	}
	entries, _ := filepath.Glob(filepath.Join(cacheDir, "*.json"))
	if len(entries) != 1 {
		t.Fatalf("%d cache entries after the first upload", len(entries))
	}

	s.ResetRequests()
	second, err := Run(context.Background(), opts)
	if err != nil || !second.FromCache || second.Checksum != first.Checksum || second.BundleDebugID != first.BundleDebugID {
		t.Fatalf("second: err %v, from cache %v, %s vs %s", err, second.FromCache, second.Checksum, first.Checksum)
	}
	if got := s.count(); got["chunks POST"] != 0 || got["assemble POST"] != 2 || got["capability GET"] != 1 {
		t.Fatalf("second upload requests %v", got)
	}
	if second.Chunks.Total != first.Chunks.Total || second.BundleSize != first.BundleSize {
		t.Fatalf("report from cache %+v vs %+v", second.Chunks, first.Chunks)
	}

	// A server that never saw the bundle: the cache entry is found, the server lacks the chunks, so
	// mapback builds and uploads everything.
	other := newServer(t, sentrytest.Capability{ChunkSize: 8192})
	o2 := other.options(dir)
	o2.CacheDir = cacheDir
	third, err := Run(context.Background(), o2)
	if err != nil || third.FromCache || third.Chunks.Sent != third.Chunks.Total {
		t.Fatalf("new server: err %v, from cache %v, chunks %+v", err, third.FromCache, third.Chunks)
	}
	waitForBundles(t, other, 1)

	// Change one byte of a map without changing its size: a different key, a fresh build.
	mapPath := filepath.Join(dir, "webpack", "main.js.map")
	data, err := os.ReadFile(mapPath)
	if err != nil {
		t.Fatal(err)
	}
	i := len(data) - 3
	data[i] ^= 1 // inside the last string or number; still the same length
	testkit.WriteFile(t, mapPath, string(data))
	s.ResetRequests()
	fourth, err := Run(context.Background(), opts)
	if err != nil || fourth.FromCache || fourth.Checksum == first.Checksum {
		t.Fatalf("changed file: err %v, from cache %v, checksum unchanged %v", err, fourth.FromCache, fourth.Checksum == first.Checksum)
	}
	if s.count()["chunks POST"] == 0 {
		t.Fatal("changed file: no chunk sent")
	}

	// A corrupt entry is a miss, not an error.
	entries, _ = filepath.Glob(filepath.Join(cacheDir, "*.json"))
	for _, e := range entries {
		testkit.WriteFile(t, e, "{not json")
	}
	fifth, err := Run(context.Background(), opts)
	if err != nil || fifth.FromCache {
		t.Fatalf("corrupt cache: err %v, from cache %v", err, fifth.FromCache)
	}

	// Another chunk size on the server: the cached chunk names do not apply.
	resized := newServer(t, sentrytest.Capability{ChunkSize: 4096})
	o3 := resized.options(dir)
	o3.CacheDir = cacheDir
	if _, err := Run(context.Background(), o3); err != nil {
		t.Fatal(err)
	}
	resized.ResetRequests()
	sixth, err := Run(context.Background(), o3)
	if err != nil || !sixth.FromCache || sixth.Chunks.Size != 4096 {
		t.Fatalf("resized: err %v, from cache %v, chunk size %d", err, sixth.FromCache, sixth.Chunks.Size)
	}
}

// TestInputKey: every input of the bundle changes the key; nothing else does.
func TestInputKey(t *testing.T) {
	dir := injectedTree(t)
	base := Options{Paths: []string{dir}, Org: "o", Projects: []string{"p"}}
	c, err := collect(context.Background(), &base)
	if err != nil {
		t.Fatal(err)
	}
	k := inputKey(c, &base)
	if again := inputKey(c, &base); again != k {
		t.Fatal("key is not stable")
	}
	for name, edit := range map[string]func(o *Options){
		"org":      func(o *Options) { o.Org = "o2" },
		"projects": func(o *Options) { o.Projects = []string{"p", "q"} },
		"release":  func(o *Options) { o.Release = "r" },
		"dist":     func(o *Options) { o.Release, o.Dist = "r", "d" },
		"note":     func(o *Options) { o.Note = "n" },
	} {
		o := base
		edit(&o)
		if inputKey(c, &o) == k {
			t.Errorf("%s does not change the key", name)
		}
	}
	o := base
	o.Wait, o.Jobs = true, 7 // not part of the bundle
	if inputKey(c, &o) != k {
		t.Error("wait/jobs change the key")
	}
	c.files[0].URL += "x"
	if inputKey(c, &base) == k {
		t.Error("a URL does not change the key")
	}
}
