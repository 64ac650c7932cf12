package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDoctorChunkIDs: with PostHog among the backends doctor checks chunk
// IDs (and, with PostHog alone, not Sentry's debug IDs): not injected, then
// consistent after inject, then a map whose chunk_id was changed.
func TestDoctorChunkIDs(t *testing.T) {
	f := newFakeEnv(t)
	dir := copyFixtures(t)
	const title = "PostHog chunk IDs are injected and consistent"

	r := run(t, f, "--backends", "posthog", "doctor", "--offline", dir)
	if r.code != ExitFailure || !strings.Contains(r.err, "✗ "+title) || !strings.Contains(r.err, "not injected for PostHog") ||
		!strings.Contains(r.err, "mapback sourcemaps inject --backends posthog") || strings.Contains(r.err, "Debug IDs are injected") {
		t.Fatalf("before inject: exit %d\n%s", r.code, r.err)
	}
	if r := run(t, f, "--backends", "posthog", "inject", "-q", dir); r.code != ExitOK {
		t.Fatalf("inject: %d %s", r.code, r.err)
	}
	r = run(t, f, "--backends", "posthog", "doctor", "--offline", dir)
	if !strings.Contains(r.err, "✓ "+title+": 5 bundles with a map injected, each chunk ID matching its map") {
		t.Fatalf("after inject: exit %d\n%s", r.code, r.err)
	}
	// Sentry alone: the check is not listed at all.
	if r := run(t, f, "doctor", "--offline", dir); strings.Contains(r.err, title) {
		t.Errorf("listed for Sentry alone:\n%s", r.err)
	}

	mapPath := filepath.Join(dir, "esbuild-cjs", "app.js.map")
	data, err := os.ReadFile(mapPath)
	if err != nil {
		t.Fatal(err)
	}
	loc := regexp.MustCompile(`"chunk_id"\s*:\s*"`).FindIndex(data)
	if loc == nil {
		t.Fatalf("no chunk_id in %s", mapPath)
	}
	changed := string(data[:loc[1]]) + "00000000" + string(data[loc[1]+8:])
	if err := os.WriteFile(mapPath, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	r = run(t, f, "--backends", "sentry,posthog", "doctor", "--offline", dir)
	if r.code != ExitFailure || !strings.Contains(r.err, "but its map has chunk_id 00000000") {
		t.Errorf("changed chunk_id: exit %d\n%s", r.code, r.err)
	}
}
