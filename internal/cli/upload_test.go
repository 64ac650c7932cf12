package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mapback/mapback/internal/linksim"
	"github.com/mapback/mapback/internal/sentrytest"
	"github.com/mapback/mapback/internal/term"
	"github.com/mapback/mapback/internal/testkit"
	"github.com/mapback/mapback/internal/testkit/testserver"
)

// injectedFixtures is the committed builds, injected.
func injectedFixtures(t *testing.T, f *fakeEnv) string {
	t.Helper()
	dir := testkit.Fixtures(t)
	if r := run(t, f, "inject", "-q", dir); r.code != ExitOK {
		t.Fatalf("inject: %d %s", r.code, r.err)
	}
	return dir
}

func TestUploadCommand(t *testing.T) {
	f := newFakeEnv(t)
	dir := injectedFixtures(t, f)
	srv, url := testserver.Sentry(t, sentrytest.Options{})

	const token = "sntryu_" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	r := run(t, f, "--log-level", "debug", "--url", url, "--auth-token", token, "-o", "acme", "-p", "web", "-p", "admin",
		"sourcemaps", "upload", "--release", "1.2.3", "--wait", "--json", dir)
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	if strings.Contains(r.stdout+r.err, token) || strings.Contains(r.stdout+r.err, token[:20]) {
		t.Fatalf("token leaked:\n%s%s", r.stdout, r.err)
	}
	var rep struct {
		BundleDebugID string `json:"bundle_debug_id"`
		State         string
		Projects      []string
		Scripts       []struct{ URL, DebugID string }
		Chunks        struct{ Total, Sent int }
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, r.stdout)
	}
	if rep.State != "ok" || len(rep.Scripts) != 5 || rep.Chunks.Sent != 1 || strings.Join(rep.Projects, ",") != "web,admin" {
		t.Fatalf("report %+v", rep)
	}
	if !strings.Contains(r.err, "Uploaded 1 of 1 chunk(s)") || !strings.Contains(r.err, "has processed the bundle") {
		t.Errorf("stderr report:\n%s", r.err)
	}
	b := srv.Bundles()
	if len(b) != 1 || strings.Join(b[0].Projects, ",") != "web,admin" || b[0].Release != "1.2.3" || b[0].Org != "acme" {
		t.Fatalf("stored %+v", b)
	}
	for _, req := range srv.Requests() {
		if ua := req.Header.Get("User-Agent"); !strings.HasPrefix(ua, "mapback/") {
			t.Errorf("User-Agent %q", ua)
		}
	}

	// The same again: nothing to send.
	r = run(t, f, "--url", url, "--auth-token", token, "-o", "acme", "-p", "web", "-p", "admin", "upload", "--release", "1.2.3", dir)
	if r.code != ExitOK || !strings.Contains(r.err, "Nothing to upload") {
		t.Fatalf("second upload: exit %d\n%s", r.code, r.err)
	}
}

func TestUploadErrorsCarryTheFix(t *testing.T) {
	f := newFakeEnv(t)
	dir := injectedFixtures(t, f)
	srv, url := testserver.Sentry(t, sentrytest.Options{Token: "right"})
	_ = srv
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"wrong token", []string{"--url", url, "--auth-token", "wrong", "-o", "o", "-p", "p", "upload", dir}, ExitFailure,
			[]string{"Invalid token (http status: 401)", "fix:", "SENTRY_AUTH_TOKEN"}},
		{"no org", []string{"--url", url, "--auth-token", "right", "-p", "p", "upload", dir}, ExitFailure,
			[]string{"no organization given", "fix: pass --org"}},
		{"no token for a remote server", []string{"--url", "https://sentry.example.com", "-o", "o", "-p", "p", "upload", dir}, ExitFailure,
			[]string{"no auth token", "fix:"}},
		{"bad header", []string{"--url", url, "--auth-token", "right", "-o", "o", "-p", "p", "upload", "--header", "nocolon", dir}, ExitUsage,
			[]string{"--header"}},
		{"negative wait", []string{"--url", url, "-o", "o", "-p", "p", "upload", "--wait-for", "-1", dir}, ExitUsage,
			[]string{"--wait-for"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, f, tc.args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", r.code, tc.code, r.err)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.err, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.err)
				}
			}
		})
	}
}

// TestUploadJSONOnFailure: a failed upload still prints its JSON report, with the error.
func TestUploadJSONOnFailure(t *testing.T) {
	f := newFakeEnv(t)
	dir := injectedFixtures(t, f)
	srv, url := testserver.Sentry(t, sentrytest.Options{})
	srv.AddFault(sentrytest.Fault{Endpoint: "chunks", Status: 500, Body: `{"detail":"disk full"}`})
	r := run(t, f, "--url", url, "-o", "o", "-p", "p", "upload", "--json", "--no-cache", dir)
	if r.code != ExitFailure {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	var rep struct {
		Error  string
		Chunks struct{ Missing, Sent int }
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, r.stdout)
	}
	if !strings.Contains(rep.Error, "disk full") || rep.Chunks.Missing != 1 || rep.Chunks.Sent != 0 {
		t.Fatalf("report %+v", rep)
	}
	if strings.Contains(r.err, "Done:") || !strings.Contains(r.err, "Sent 0 of the 1 missing chunk(s)") {
		t.Fatalf("stderr:\n%s", r.err)
	}
}

func TestDialableAddr(t *testing.T) {
	for _, tc := range []struct {
		addr *net.TCPAddr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4zero, Port: 80}, "127.0.0.1:80"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 81}, "[::1]:81"},
		{&net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 82}, "192.0.2.1:82"},
	} {
		if got := dialableAddr(tc.addr); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.addr, got, tc.want)
		}
	}
}

func TestUploadDryRunNeedsNoServer(t *testing.T) {
	f := newFakeEnv(t)
	dir := injectedFixtures(t, f)
	out := filepath.Join(t.TempDir(), "bundle.zip")
	r := run(t, f, "upload", "--dry-run", "--bundle-out", out, "--json", dir)
	if r.code != ExitOK || !strings.Contains(r.err, "Dry run: nothing was sent") || !strings.Contains(r.stdout, `"dry_run": true`) {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.err, r.stdout)
	}
	// A bad --header fails a dry run too: the real run would.
	if r := run(t, f, "upload", "--dry-run", "--header", "nocolon", dir); r.code != ExitUsage {
		t.Fatalf("dry run with a bad header: exit %d\n%s", r.code, r.err)
	}
}

// TestDevServerCommand starts `mapback dev-server` on a free port, uploads to it with `mapback
// upload`, and stops it with a cancelled context, as Ctrl-C would.
func TestDevServerCommand(t *testing.T) {
	f := newFakeEnv(t)
	dir := injectedFixtures(t, f)
	store := t.TempDir()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	streams, _, _, errOut := term.Test()
	streams.Out = pw
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"dev-server", "--addr", "127.0.0.1:0", "--dir", store, "--throttle", "2gbit"}, streams, f.env())
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url := strings.TrimSpace(line)
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("first line %q", line)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()

	r := run(t, f, "--url", url, "-o", "demo", "-p", "demo", "upload", "--wait-for", "10", dir)
	if r.code != ExitOK || !strings.Contains(r.err, "has processed the bundle") {
		t.Fatalf("upload to dev-server: exit %d\n%s", r.code, r.err)
	}
	resp, err := http.Get(url + "/api/0/organizations/demo/chunk-upload/")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("capability: %v %v", err, resp)
	}
	resp.Body.Close()
	// The link counted what the upload sent: at least the bundle's chunks.
	resp, err = http.Get(url + linksim.StatsPath)
	if err != nil {
		t.Fatal(err)
	}
	var st linksim.Stats
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if err != nil || st.RequestBodyBytes < 1000 || st.Requests < 3 || st.RateBytesPerSec != 2e9/8 {
		t.Errorf("link stats %+v (%v)", st, err)
	}

	cancel()
	select {
	case code := <-done:
		if code != ExitOK { // Ctrl-C is how a dev-server is meant to stop
			t.Errorf("dev-server exit %d\n%s", code, errOut)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("dev-server did not stop")
	}
	if !strings.Contains(errOut.String(), "storing in "+store) || !strings.Contains(errOut.String(), "limited to 2gbit") {
		t.Errorf("stderr:\n%s", errOut)
	}
}

func TestDevServerRefusesABadThrottle(t *testing.T) {
	f := newFakeEnv(t)
	r := run(t, f, "dev-server", "--addr", "127.0.0.1:0", "--dir", t.TempDir(), "--throttle", "fast")
	if r.code == ExitOK || !strings.Contains(r.err, "--throttle") || strings.Count(strings.TrimSpace(r.err), "\n") > 0 {
		t.Errorf("exit %d, stderr %q: want one line naming --throttle", r.code, r.err)
	}
}

// TestLoopbackInAnyCaseNeedsNoToken: upload and doctor apply one rule for servers on this machine
// (sentry.IsLoopbackURL). They once disagreed on http://LOCALHOST:…: doctor called the missing token
// fine, upload refused to run without one.
func TestLoopbackInAnyCaseNeedsNoToken(t *testing.T) {
	f := newFakeEnv(t)
	dir := injectedFixtures(t, f)
	_, url := testserver.Sentry(t, sentrytest.Options{})
	upper := strings.Replace(url, "127.0.0.1", "LOCALHOST", 1)
	if upper == url {
		t.Fatalf("dev server URL %s is not on 127.0.0.1", url)
	}
	r := run(t, f, "--url", upper, "-o", "o", "-p", "p", "upload", dir)
	if r.code != ExitOK {
		t.Fatalf("upload to %s without a token: exit %d\n%s", upper, r.code, r.err)
	}
	r = run(t, f, "--url", upper, "-o", "o", "-p", "p", "doctor", "--json", dir)
	if r.code != ExitOK || !strings.Contains(r.stdout, `"server"`) || strings.Contains(r.stdout, `"fail"`) {
		t.Errorf("doctor on %s without a token: exit %d\n%s%s", upper, r.code, r.stdout, r.err)
	}
}
