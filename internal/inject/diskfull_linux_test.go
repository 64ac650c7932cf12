package inject

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDiskFull runs inject on a real 64 KiB tmpfs the files nearly fill: the
// temporaries cannot be written. The bundle fails with one line naming the
// file and the cause once, and the tree is left exactly as it was. Mounting
// needs root; CI runs as root and must run it.
func TestDiskFull(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir).CombinedOutput(); err != nil {
		if os.Getenv("CI") != "" && os.Geteuid() == 0 {
			t.Fatalf("CI runs as root and must mount a small tmpfs: %v: %s", err, out)
		}
		t.Skipf("NOT RUN: cannot mount a tmpfs here (%v)", err)
	}
	defer exec.Command("umount", dir).Run()
	js := "var a=1;" + strings.Repeat("/* padding */", 1500) + "\n//# sourceMappingURL=app.js.map\n"
	must(t, os.WriteFile(filepath.Join(dir, "app.js"), []byte(js), 0o644))
	m := `{"version":3,"sources":["a.ts"],"names":[],"mappings":"AAAA","x":"` + strings.Repeat("p", 30000) + `"}`
	must(t, os.WriteFile(filepath.Join(dir, "app.js.map"), []byte(m), 0o644))
	before := snapshot(t, dir)

	r, err := Run(context.Background(), Options{Scan: scanOf(dir), Lock: testLock(t)})
	if err != nil {
		t.Fatal(err)
	}
	f := r.Files[0]
	if f.Status != StatusFailed || !strings.Contains(f.Reason, "no space left on device") {
		t.Fatalf("%s %q, want a failure saying the disk is full", f.Status, f.Reason)
	}
	if n := strings.Count(f.Reason, "no space left on device"); n != 1 {
		t.Errorf("the cause appears %d times in %q", n, f.Reason)
	}
	if n := strings.Count(f.Reason, dir); n != 1 {
		t.Errorf("the path appears %d times in %q", n, f.Reason)
	}
	if after := snapshot(t, dir); !equalSnap(after, before) {
		t.Errorf("the tree changed: %d files before, %d after", len(before), len(after))
	}
}
