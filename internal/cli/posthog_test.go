package cli

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/posthogtest"
	"github.com/mapback/mapback/internal/sentrytest"
	"github.com/mapback/mapback/internal/testkit"
	"github.com/mapback/mapback/internal/testkit/testserver"
)

// TestDoctorChunkIDs: with PostHog among the backends doctor checks chunk
// IDs (and, with PostHog alone, not Sentry's debug IDs): not injected, then
// consistent after inject, then a map whose chunk_id was changed.
func TestDoctorChunkIDs(t *testing.T) {
	f := newFakeEnv(t)
	dir := testkit.Fixtures(t)
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

// TestRealPostHogEvents: the $exception events the real posthog-js SDK sent
// from headless Chromium (testdata/browser-posthog) resolve by chunk ID, each
// innermost frame to the throw site the app's own map lookup found; the
// same event from another build resolves nothing (chunk_id_mismatch, exit 1).
func TestRealPostHogEvents(t *testing.T) {
	const dir = "../../testdata/browser-posthog"
	var manifest struct {
		Build struct {
			ChunkID string `json:"chunkId"`
		} `json:"build"`
		Scenarios map[string]struct {
			Event struct {
				File      string `json:"file"`
				Innermost struct {
					MapsTo string `json:"mapsTo"`
				} `json:"innermostFrame"`
			} `json:"event"`
		} `json:"scenarios"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &manifest); err != nil || len(manifest.Scenarios) < 5 || manifest.Build.ChunkID == "" {
		t.Fatalf("manifest: %v, %d scenarios, chunk ID %q", err, len(manifest.Scenarios), manifest.Build.ChunkID)
	}
	f := newFakeEnv(t)
	for name, sc := range manifest.Scenarios {
		t.Run(name, func(t *testing.T) {
			event, err := os.ReadFile(filepath.Join(dir, sc.Event.File))
			if err != nil {
				t.Fatal(err)
			}
			f.write(t, "event.json", string(event))
			r := run(t, f, "resolve", "--json", "--maps", filepath.Join(dir, "dist"), "--root", dir, filepath.Join(f.dir, "event.json"))
			if r.code != ExitOK || r.err != "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.err)
			}
			var out struct {
				Input  string          `json:"input"`
				Frames []resolvedFrame `json:"frames"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.Input != "posthog_event" {
				t.Fatalf("report: %v, input %q", err, out.Input)
			}
			var inner *resolvedFrame
			for i, fr := range out.Frames {
				if !strings.HasSuffix(fr.File, "/dist/app.js") {
					continue
				}
				if fr.Status != "resolved" || fr.Map == nil || fr.Map.FoundBy != "chunk_id" {
					t.Errorf("frame %d: %s (%s), want resolved by chunk ID", fr.Index, fr.Status, fr.Reason)
				}
				if fr.Exception == 0 {
					inner = &out.Frames[i] // outermost first: the last one is the innermost
				}
			}
			if inner == nil || inner.site() != sc.Event.Innermost.MapsTo {
				t.Fatalf("innermost frame: %v, want %s", inner, sc.Event.Innermost.MapsTo)
			}

			other := strings.ReplaceAll(string(event), manifest.Build.ChunkID, "0c9f3a58-6f1c-4b5e-9d1a-2f7e8b6c4d3a")
			f.write(t, "other.json", other)
			r = run(t, f, "resolve", "--json", "--maps", filepath.Join(dir, "dist"), filepath.Join(f.dir, "other.json"))
			if r.code != ExitFailure || !strings.Contains(r.stdout, `"status": "chunk_id_mismatch"`) || strings.Contains(r.stdout, `"status": "resolved"`) {
				t.Errorf("another build: exit %d\n%.800s", r.code, r.stdout)
			}
		})
	}
}

// TestBothBackendsEndToEnd: one injection for both backends, one upload to
// a dev-server speaking both, then a Sentry event and a PostHog event from
// that build resolve locally.
func TestBothBackendsEndToEnd(t *testing.T) {
	f := newFakeEnv(t)
	dir := testkit.Fixtures(t)
	sentrySrv, err := sentrytest.New(sentrytest.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	phSrv, err := posthogtest.New(posthogtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(devMux(sentrySrv, phSrv))
	t.Cleanup(func() { ts.Close(); _ = sentrySrv.Close() })

	f.vars["MAPBACK_BACKENDS"] = "sentry,posthog"
	if r := run(t, f, "inject", dir); r.code != ExitOK || !strings.Contains(r.err, "PostHog chunk ID: the same") {
		t.Fatalf("inject: %d %s", r.code, r.err)
	}
	const token = "sntryu_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	r := run(t, f, "--url", ts.URL, "--auth-token", token, "-o", "acme", "-p", "web",
		"--posthog-host", ts.URL, "--posthog-project-id", "7", "--posthog-api-key", "phx_0123456789abcdefghij0123456789",
		"sourcemaps", "upload", "--wait", "--json", dir) // --wait: Sentry assembles in the background
	if r.code != ExitOK {
		t.Fatalf("upload: exit %d\n%s", r.code, r.err)
	}
	var rep struct {
		Sentry struct {
			BundleDebugID string `json:"bundle_debug_id"`
		} `json:"sentry"`
		PostHog struct {
			Chunks []struct {
				ChunkID, Status string
			} `json:"chunks"`
		} `json:"posthog"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.PostHog.Chunks) != 5 {
		t.Fatalf("report: %v\n%s", err, r.stdout)
	}
	if len(phSrv.ChunkIDs()) != 5 || !strings.Contains(r.err, "5 uploaded, 0 already on the server") {
		t.Errorf("PostHog holds %d symbol sets; stderr:\n%s", len(phSrv.ChunkIDs()), r.err)
	}

	// The bundle's one ID, in a Sentry event and a PostHog event.
	js, err := os.ReadFile(filepath.Join(dir, "esbuild-cjs", "app.js"))
	if err != nil {
		t.Fatal(err)
	}
	id := regexp.MustCompile(`//# debugId=(\S+)`).FindSubmatch(js)[1]
	if !phSrv.Has(string(id)) {
		t.Fatalf("PostHog has no symbol set for %s", id)
	}
	trace, _ := os.ReadFile("../../testdata/fixtures/esbuild-cjs/traces/class-method.txt")
	m := regexp.MustCompile(`app\.js:(\d+):(\d+)`).FindSubmatch(trace)
	line := atoi(t, string(m[1])) + 2 // the Sentry snippet added two lines above the code
	col := atoi(t, string(m[2]))
	sentryEvent := fmt.Sprintf(`{"exception":{"values":[{"type":"Error","stacktrace":{"frames":[{"filename":"app:///app.js","lineno":%d,"colno":%d}]}}]},"debug_meta":{"images":[{"type":"sourcemap","code_file":"app:///app.js","debug_id":%q}]}}`, line, col, id)
	phEvent := fmt.Sprintf(`{"event":"$exception","properties":{"$exception_list":[{"type":"Error","stacktrace":{"type":"raw","frames":[{"platform":"web:javascript","filename":"https://x/app.js","lineno":%d,"colno":%d,"chunk_id":%q}]}}]}}`, line, col, id)
	for name, ev := range map[string]string{"sentry": sentryEvent, "posthog": phEvent} {
		f.write(t, name+".json", ev)
		r := run(t, f, "resolve", "--maps", dir, "--root", "../..", filepath.Join(f.dir, name+".json"))
		if r.code != ExitOK || !strings.Contains(r.stdout, `gen/app/src/models/cart.js"`) || !strings.Contains(r.stdout, `"lineno": 18`) {
			t.Errorf("%s event: exit %d %s\n%s", name, r.code, r.err, r.stdout)
		}
	}

	// With --server, from an empty cache and no local build: what the servers
	// hold for the IDs is fetched, and a second run needs no server.
	empty := t.TempDir()
	server := []string{"--url", ts.URL, "--auth-token", token, "-o", "acme", "-p", "web",
		"--posthog-host", ts.URL, "--posthog-project-id", "7", "--posthog-api-key", "phx_0123456789abcdefghij0123456789"}
	for name := range map[string]bool{"sentry": true, "posthog": true} {
		args := append(append([]string{}, server...), "resolve", "--json", "--server", "--maps", empty, filepath.Join(f.dir, name+".json"))
		r := run(t, f, args...)
		if r.code != ExitOK || !strings.Contains(r.stdout, `"found_by": "server"`) || !strings.Contains(r.stdout, `"line": 18`) {
			t.Errorf("%s event, --server: exit %d %s\n%s", name, r.code, r.err, r.stdout)
		}
	}
	ts.Close() // from now on the cache alone
	for name := range map[string]bool{"sentry": true, "posthog": true} {
		args := append(append([]string{}, server...), "resolve", "--json", "--server", "--maps", empty, filepath.Join(f.dir, name+".json"))
		r := run(t, f, args...)
		if r.code != ExitOK || !strings.Contains(r.stdout, `"line": 18`) {
			t.Errorf("%s event, --server, offline from the cache: exit %d %s\n%.600s", name, r.code, r.err, r.stdout)
		}
	}
	// Without --server and without the build, nothing resolves, and the reason says so.
	if r := run(t, f, "resolve", "--maps", empty, filepath.Join(f.dir, "posthog.json")); r.code != ExitFailure {
		t.Errorf("no build, no --server: exit %d", r.code)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDoctorPostHogServer: doctor asks PostHog about each local chunk ID
// (missing before the upload, present after; a refused key is said with
// its fix), and reads a real posthog-js event's chunk IDs.
func TestDoctorPostHogServer(t *testing.T) {
	f := newFakeEnv(t)
	dir := testkit.Fixtures(t)
	_, phURL := testserver.PostHog(t, posthogtest.Options{Token: "phx_right0123456789abcdefghijklmn"})
	f.vars["MAPBACK_BACKENDS"] = "posthog"
	f.vars["POSTHOG_CLI_HOST"] = phURL
	f.vars["POSTHOG_CLI_PROJECT_ID"] = "3"
	f.vars["POSTHOG_CLI_API_KEY"] = "phx_right0123456789abcdefghijklmn"
	if r := run(t, f, "inject", "-q", dir); r.code != ExitOK {
		t.Fatalf("inject: %s", r.err)
	}
	const title = "PostHog holds the symbol sets"
	r := run(t, f, "doctor", dir)
	if r.code != ExitFailure || !strings.Contains(r.err, "✗ "+title+": 0 of 5 chunk IDs have a symbol set") || !strings.Contains(r.err, "mapback sourcemaps upload --backends posthog") {
		t.Fatalf("before upload: exit %d\n%s", r.code, r.err)
	}
	if r := run(t, f, "sourcemaps", "upload", "-q", dir); r.code != ExitOK {
		t.Fatalf("upload: %s", r.err)
	}
	if r := run(t, f, "doctor", dir); !strings.Contains(r.err, "✓ "+title+": 5 of 5 chunk IDs have a symbol set") {
		t.Fatalf("after upload: exit %d\n%s", r.code, r.err)
	}
	f.vars["POSTHOG_CLI_API_KEY"] = "phx_wrong0123456789abcdefghijklmn"
	if r := run(t, f, "doctor", dir); !strings.Contains(r.err, "HTTP 401") || !strings.Contains(r.err, "Personal API keys") {
		t.Errorf("wrong key: exit %d\n%s", r.code, r.err)
	}

	// The event check reads a real posthog-js event.
	const browser = "../../testdata/browser-posthog"
	r = run(t, f, "doctor", "--offline", "--event", browser+"/events/method.json", browser+"/dist")
	if !strings.Contains(r.err, "1 chunk ID(s) in the PostHog event, 1 match a local bundle") {
		t.Errorf("event: exit %d\n%s", r.code, r.err)
	}
}
