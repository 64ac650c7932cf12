package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mapback/mapback/internal/treelock"
)

// TestInjectWaitsForTheTreeLock: a second inject on a tree another run is
// writing waits with a message, and gives up with a clear error after
// --lock-timeout.
func TestInjectWaitsForTheTreeLock(t *testing.T) {
	f := newFakeEnv(t)
	f.write(t, "home/proj/dist/app.js", "var a=1;\n//# sourceMappingURL=app.js.map\n")
	f.write(t, "home/proj/dist/app.js.map", `{"version":3,"sources":["a.ts"],"names":[],"mappings":"AAAA"}`)
	dist := filepath.Join(f.dir, "home/proj/dist")
	lockOpts := treelock.Options{Dir: filepath.Join(f.dir, "home/.cache/mapback/locks")}

	held, err := treelock.Acquire(context.Background(), []string{dist}, treelock.Exclusive, lockOpts)
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, f, "inject", "--lock-timeout", "0", dist)
	if r.code != ExitFailure || !strings.Contains(r.err, "another mapback run is writing "+dist) {
		t.Fatalf("with the tree locked: exit %d, stderr %q; want exit 1 naming the tree", r.code, r.err)
	}
	if data, _ := os.ReadFile(filepath.Join(dist, "app.js")); strings.Contains(string(data), "debugId") {
		t.Fatal("the refused run wrote the bundle")
	}

	go func() { time.Sleep(300 * time.Millisecond); held.Release() }()
	r = run(t, f, "inject", "--lock-timeout", "1m", dist)
	if r.code != ExitOK || !strings.Contains(r.err, "waiting for another mapback run that is writing "+dist) {
		t.Fatalf("after the other run ends: exit %d, stderr %q; want a wait message, then success", r.code, r.err)
	}
	if data, _ := os.ReadFile(filepath.Join(dist, "app.js")); !strings.Contains(string(data), "debugId") {
		t.Fatal("the waiting run did not inject")
	}
}
