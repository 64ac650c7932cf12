package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/sentrytest"
	"github.com/mapback/mapback/internal/term"
	"github.com/mapback/mapback/internal/testkit"
	"github.com/mapback/mapback/internal/testkit/testserver"
)

// TestDoctorGolden pins the checklist as a person sees it, on a terminal (colour) and in CI (none),
// for a run with a failure, a skip and a fix. UPDATE_GOLDEN=1 rewrites the files.
func TestDoctorGolden(t *testing.T) {
	args := []string{"doctor", "--offline", "--trace", "../../testdata/doctor/trace-url-prefix/trace.txt", "../../testdata/fixtures/esbuild-cjs"}
	for _, tc := range []struct {
		name string
		tty  bool
	}{{"doctor-tty.golden", true}, {"doctor-notty.golden", false}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeEnv(t)
			streams, _, out, errOut := term.Test()
			streams.SetTTY(tc.tty, tc.tty)
			code := Run(context.Background(), args, streams, f.env())
			if code != ExitFailure {
				t.Fatalf("exit %d, want 1 (a check fails)\n%s", code, errOut)
			}
			if out.Len() != 0 {
				t.Fatalf("stdout without --json: %q", out)
			}
			testkit.Golden(t, filepath.Join("testdata", tc.name), errOut.Bytes())
			if hasANSI := strings.Contains(errOut.String(), "\x1b["); hasANSI != tc.tty {
				t.Fatalf("colour on a TTY: %v, want %v", hasANSI, tc.tty)
			}
		})
	}
}

// TestDoctorCommand: exit codes, --json on stdout, and the server checks against a dev server
// that holds an upload of the tree.
func TestDoctorCommand(t *testing.T) {
	f := newFakeEnv(t)
	dir := injectedFixtures(t, f)

	// All local checks pass on an injected build: exit 0.
	r := run(t, f, "doctor", "--offline", dir)
	if r.code != ExitOK || !strings.Contains(r.err, "All checks passed.") {
		t.Fatalf("healthy offline: exit %d\n%s", r.code, r.err)
	}

	// With a server that has not seen the upload: the upload check fails, exit 1.
	srv, url := testserver.Sentry(t, sentrytest.Options{})
	r = run(t, f, "--url", url, "-o", "acme", "-p", "web", "doctor", "--json", dir)
	if r.code != ExitFailure {
		t.Fatalf("before the upload: exit %d\n%s", r.code, r.err)
	}
	var rep struct {
		Checks []struct {
			ID, Status, Detail string
			Findings           []struct{ Status, Subject, Detail, Fix string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
	}
	status := map[string]string{}
	for _, c := range rep.Checks {
		status[c.ID] = c.Status
	}
	if status["server"] != "ok" || status["upload"] != "fail" || status["trace"] != "skip" {
		t.Fatalf("statuses %v\n%s", status, r.err)
	}
	if !strings.Contains(r.err, "mapback sourcemaps upload") {
		t.Errorf("no upload fix:\n%s", r.err)
	}

	// Upload, then the same doctor run passes.
	if r := run(t, f, "--url", url, "-o", "acme", "-p", "web", "upload", "--wait", dir); r.code != ExitOK {
		t.Fatalf("upload: exit %d\n%s", r.code, r.err)
	}
	r = run(t, f, "--url", url, "-o", "acme", "-p", "web", "doctor", dir)
	if r.code != ExitOK || !strings.Contains(r.err, "✓ The upload arrived") {
		t.Fatalf("after the upload: exit %d\n%s", r.code, r.err)
	}
	if len(srv.Bundles()) != 1 {
		t.Fatalf("%d bundles on the server", len(srv.Bundles()))
	}

	// A trace from a site that serves the files under /static/js/: the trace check compares the
	// frame's URL with the URL the server really holds (learnt by the upload check).
	r = run(t, f, "--url", url, "-o", "acme", "-p", "web", "doctor", "--trace", "../../testdata/doctor/trace-url-prefix/trace.txt", dir)
	if !strings.Contains(r.err, "looks this file up as ~/static/js/app.js but holds it as ~/esbuild-cjs/app.js") {
		t.Fatalf("trace against the server's URL: exit %d\n%s", r.code, r.err)
	}

	// A wrong token: the server check fails with the token fix.
	_, tokURL := testserver.Sentry(t, sentrytest.Options{Token: "right"})
	r = run(t, f, "--url", tokURL, "--auth-token", "wrong-token-value", "-o", "acme", "-p", "web", "doctor", dir)
	if r.code != ExitFailure || !strings.Contains(r.err, "401") || strings.Contains(r.err, "wrong-token-value") {
		t.Fatalf("401: exit %d\n%s", r.code, r.err)
	}
}
