package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUploadFailsWhereCIMust: each situation docs/upload.md lists as failing a CI step (an upload
// that would pass while leaving every trace minified) exits 1 with its message and fix, and the
// documented opt-out, where there is one, makes it pass. (No bundle with a map:
// TestUploadWithoutMapsFails.)
func TestUploadFailsWhereCIMust(t *testing.T) {
	f := newFakeEnv(t)
	mapped := "var a=1;\n//# sourceMappingURL=app.js.map\n"
	appMap := `{"version":3,"sources":["app.ts"],"names":[],"mappings":"AAAA"}`

	// Nothing to upload at all.
	f.write(t, "empty/README.md", "no build here\n")
	empty := filepath.Join(f.dir, "empty")
	if r := run(t, f, "sourcemaps", "upload", "--dry-run", empty); r.code != ExitFailure ||
		!strings.Contains(r.err, "no files to upload under "+empty+" (looked for js, cjs, mjs, map)") {
		t.Errorf("no files: exit %d\n%s", r.code, r.err)
	}

	// Bundles and maps, but no debug IDs and no release: Sentry could never match an event.
	f.write(t, "plain/app.js", mapped)
	f.write(t, "plain/app.js.map", appMap)
	plain := filepath.Join(f.dir, "plain")
	if r := run(t, f, "sourcemaps", "upload", "--dry-run", plain); r.code != ExitFailure ||
		!strings.Contains(r.err, "no bundle has a debug ID and no release was given") || !strings.Contains(r.err, "mapback sourcemaps inject") {
		t.Errorf("no debug IDs: exit %d\n%s", r.code, r.err)
	}
	if r := run(t, f, "sourcemaps", "upload", "--dry-run", "--release", "1.0", plain); r.code != ExitOK {
		t.Errorf("no debug IDs, --release: exit %d\n%s", r.code, r.err)
	}

	// A file under the PATHs that cannot be read (a symlink loop here, as an unreadable directory
	// would be for a user without root): what lies behind it was never seen, so nothing is sent.
	f.write(t, "looped/app.js", mapped)
	f.write(t, "looped/app.js.map", appMap)
	looped := filepath.Join(f.dir, "looped")
	if err := os.Symlink("loop.js", filepath.Join(looped, "loop.js")); err != nil {
		t.Fatal(err)
	}
	if r := run(t, f, "inject", "-q", plain, looped); r.code != ExitFailure {
		t.Errorf("inject over a symlink loop: exit %d\n%s", r.code, r.err)
	}
	if r := run(t, f, "sourcemaps", "upload", "--dry-run", looped); r.code != ExitFailure ||
		!strings.Contains(r.err, filepath.Join(looped, "loop.js")) || !strings.Contains(r.err, "symlink to loop.js") || !strings.Contains(r.err, "nothing was uploaded") {
		t.Errorf("unreadable file: exit %d\n%s", r.code, r.err)
	}
	if r := run(t, f, "sourcemaps", "upload", "--dry-run", "--ignore", "loop.js", looped); r.code != ExitOK {
		t.Errorf("unreadable file, --ignore: exit %d\n%s", r.code, r.err)
	}

	// PostHog among the backends, a tree injected for Sentry only: no symbol set could be matched.
	if r := run(t, f, "--backends", "posthog", "--posthog-host", "http://127.0.0.1:1", "--posthog-project-id", "7",
		"--posthog-api-key", "phx_0123456789abcdefghij0123456789", "sourcemaps", "upload", plain); r.code != ExitFailure ||
		!strings.Contains(r.err, "has a PostHog chunk ID and a map") || !strings.Contains(r.err, "inject --backends") {
		t.Errorf("no chunk IDs: exit %d\n%s", r.code, r.err)
	}
}
