package doctor

import (
	"context"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/inject"
	"github.com/mapback/mapback/internal/sentry"
	"github.com/mapback/mapback/internal/sentrytest"
	"github.com/mapback/mapback/internal/testkit"
	"github.com/mapback/mapback/internal/upload"
)

// svInjectedTree copies the committed real-bundler builds (5 bundles with maps) and injects debug IDs.
func svInjectedTree(t *testing.T) string {
	t.Helper()
	dst := testkit.Fixtures(t)
	if _, err := inject.Run(context.Background(), inject.Options{Scan: dist.Options{Paths: []string{dst}}}); err != nil {
		t.Fatal(err)
	}
	return dst
}

// svUpload puts paths on the server as one artifact bundle, waiting until it is stored.
func svUpload(t *testing.T, client *sentry.Client, projects []string, exts []string, paths ...string) {
	t.Helper()
	_, err := upload.Run(context.Background(), upload.Options{Paths: paths, Extensions: exts, Org: "acme", Projects: projects,
		Client: client, Wait: true, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCheckUploaded(t *testing.T) {
	type want struct {
		status Status
		ok     int      // findings that are ok
		fail   int      // findings that fail
		warn   int      // findings that warn
		texts  []string // in every problem finding's detail or fix
		detail string
	}
	cases := []struct {
		name     string
		projects []string // doctor's projects; default web
		// setup prepares the server and returns the tree doctor looks at.
		setup func(t *testing.T, s *svServer, c *sentry.Client) string
		want  want
	}{
		{
			name: "whole tree uploaded",
			setup: func(t *testing.T, s *svServer, c *sentry.Client) string {
				dir := svInjectedTree(t)
				svUpload(t, c, []string{"web"}, nil, dir)
				return dir
			},
			want: want{status: StatusOK, ok: 5, detail: "5 of 5 bundles are on the server with their maps"},
		},
		{
			name: "part of the tree uploaded",
			setup: func(t *testing.T, s *svServer, c *sentry.Client) string {
				dir := svInjectedTree(t)
				svUpload(t, c, []string{"web"}, nil, filepath.Join(dir, "webpack"))
				return dir
			},
			want: want{status: StatusFail, ok: 1, fail: 4, detail: "1 of 5",
				texts: []string{"not on the server", "in project web", "mapback sourcemaps upload --url http://127.0.0.1:", " --org acme --project web "}},
		},
		{
			name: "a tree injected differently was uploaded",
			setup: func(t *testing.T, s *svServer, c *sentry.Client) string {
				other := svInjectedTree(t)
				svUpload(t, c, []string{"web"}, nil, other)
				// The same build with one byte changed per bundle gets other debug IDs.
				dir := testkit.Fixtures(t)
				scan, err := dist.Scan(context.Background(), dist.Options{Paths: []string{dir}})
				if err != nil {
					t.Fatal(err)
				}
				for _, b := range scan.Bundles {
					svAppend(t, b.Path, "\n// rebuilt\n")
				}
				if _, err := inject.Run(context.Background(), inject.Options{Scan: dist.Options{Paths: []string{dir}}}); err != nil {
					t.Fatal(err)
				}
				return dir
			},
			want: want{status: StatusFail, fail: 5, texts: []string{"not on the server", "no uploaded bundle holds debug ID"}},
		},
		{
			name: "scripts uploaded without their maps",
			setup: func(t *testing.T, s *svServer, c *sentry.Client) string {
				dir := svInjectedTree(t)
				svUpload(t, c, []string{"web"}, []string{"js", "mjs", "cjs"}, dir)
				return dir
			},
			want: want{status: StatusFail, fail: 5, texts: []string{"map missing", "--ext map"}},
		},
		{
			name: "maps uploaded without their scripts",
			setup: func(t *testing.T, s *svServer, c *sentry.Client) string {
				dir := svInjectedTree(t)
				svUpload(t, c, []string{"web"}, []string{"map"}, dir)
				return dir
			},
			want: want{status: StatusFail, fail: 5, texts: []string{"script missing", "upload the scripts too"}},
		},
		{
			name: "bundles without debug IDs",
			setup: func(t *testing.T, s *svServer, c *sentry.Client) string {
				return testkit.Fixtures(t)
			},
			want: want{status: StatusWarn, warn: 5, texts: []string{"no debug ID: the server can only match it by URL", "mapback sourcemaps inject"}},
		},
		{
			name:     "several projects: found in one",
			projects: []string{"admin", "web"},
			setup: func(t *testing.T, s *svServer, c *sentry.Client) string {
				dir := svInjectedTree(t)
				svUpload(t, c, []string{"web"}, nil, dir)
				return dir
			},
			want: want{status: StatusOK, ok: 5},
		},
		{
			name: "unknown project: 404 on the lookup",
			setup: func(t *testing.T, s *svServer, c *sentry.Client) string {
				dir := svInjectedTree(t)
				svUpload(t, c, []string{"web"}, nil, dir)
				s.AddFault(sentrytest.Fault{Endpoint: sentrytest.EndpointLookup, Status: http.StatusNotFound,
					Body: `{"detail":"The requested resource does not exist"}`})
				return dir
			},
			want: want{status: StatusFail, fail: 5, texts: []string{"http status: 404", "project slug", `no project "web"`}},
		},
		{
			name: "lookup forbidden: 403",
			setup: func(t *testing.T, s *svServer, c *sentry.Client) string {
				dir := svInjectedTree(t)
				svUpload(t, c, []string{"web"}, nil, dir)
				s.AddFault(sentrytest.Fault{Endpoint: sentrytest.EndpointLookup, Status: http.StatusForbidden})
				return dir
			},
			want: want{status: StatusFail, fail: 5, texts: []string{"http status: 403", "scopes"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := svNewServer(t, sentrytest.Options{Token: svToken})
			c := svClient(t, s.url, svToken, nil, nil)
			dir := tc.setup(t, s, c)
			s.ResetRequests()
			env := &Env{Options: svOptions(s.url, c, tc.projects...)}
			env.Paths = []string{dir}
			res := checkUploaded(context.Background(), env)
			if got := worst(res); got != tc.want.status {
				t.Fatalf("status %s, want %s: %+v", got, tc.want.status, res)
			}
			counts := map[Status]int{}
			for _, f := range res.Findings {
				counts[f.Status]++
				if f.Status == StatusOK {
					continue
				}
				if f.Fix == "" {
					t.Errorf("finding %+v has no fix", f)
				}
				for _, text := range tc.want.texts {
					if !strings.Contains(f.Detail+"\n"+f.Fix, text) {
						t.Errorf("finding %+v lacks %q", f, text)
					}
				}
			}
			if counts[StatusOK] != tc.want.ok || counts[StatusFail] != tc.want.fail || counts[StatusWarn] != tc.want.warn {
				t.Errorf("findings ok/fail/warn = %d/%d/%d, want %d/%d/%d: %+v", counts[StatusOK], counts[StatusFail], counts[StatusWarn],
					tc.want.ok, tc.want.fail, tc.want.warn, res.Findings)
			}
			if !strings.Contains(res.Detail, tc.want.detail) {
				t.Errorf("detail %q lacks %q", res.Detail, tc.want.detail)
			}
			// Findings come in path order, whatever order the lookups finished in.
			for i := 1; i < len(res.Findings); i++ {
				if res.Findings[i-1].Subject >= res.Findings[i].Subject {
					t.Errorf("findings out of path order: %q before %q", res.Findings[i-1].Subject, res.Findings[i].Subject)
				}
			}
		})
	}
}

// TestUploadedInlineMap checks that a script whose map is a data: URL counts as complete: the
// server reads the map from the script itself, so the bundle holds no source_map entry.
func TestUploadedInlineMap(t *testing.T) {
	s := svNewServer(t, sentrytest.Options{})
	c := svClient(t, s.url, svToken, nil, nil)
	dir := filepath.Join(t.TempDir(), "dist")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	m := base64.StdEncoding.EncodeToString([]byte(`{"version":3,"sources":["a.ts"],"names":[],"mappings":"AAAA"}`))
	js := "var a=1;\n//# sourceMappingURL=data:application/json;base64," + m + "\n"
	if err := os.WriteFile(filepath.Join(dir, "a.js"), []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := inject.Run(context.Background(), inject.Options{Scan: dist.Options{Paths: []string{dir}}}); err != nil {
		t.Fatal(err)
	}
	svUpload(t, c, []string{"web"}, nil, dir)
	env := &Env{Options: svOptions(s.url, c)}
	env.Paths = []string{dir}
	res := checkUploaded(context.Background(), env)
	if worst(res) != StatusOK || len(res.Findings) != 1 || !strings.Contains(res.Findings[0].Detail, "inline map") {
		t.Fatalf("%+v, want one ok finding about the inline map", res)
	}
}

// TestUploadedDownloadsEachBundleOnce checks that five local bundles stored in one server bundle
// cost one download, and that with several projects the one that holds them is named.
func TestUploadedDownloadsEachBundleOnce(t *testing.T) {
	s := svNewServer(t, sentrytest.Options{})
	c := svClient(t, s.url, svToken, nil, nil)
	dir := svInjectedTree(t)
	svUpload(t, c, []string{"web"}, nil, dir)
	s.ResetRequests()
	env := &Env{Options: svOptions(s.url, c, "admin", "web")}
	env.Paths = []string{dir}
	res := checkUploaded(context.Background(), env)
	if worst(res) != StatusOK {
		t.Fatalf("status %s: %+v", worst(res), res)
	}
	for _, f := range res.Findings {
		if !strings.Contains(f.Detail, "in project web") {
			t.Errorf("finding %+v does not say which project holds it", f)
		}
	}
	downloads := 0
	for _, r := range s.Requests() {
		if r.Endpoint == sentrytest.EndpointLookup && strings.Contains(r.Query, "download=") {
			downloads++
		}
	}
	if downloads != 1 {
		t.Errorf("%d downloads, want 1", downloads)
	}
}

// TestUploadedLookupErrorNotRepeated checks that a project answering 404 is not asked again for
// every bundle: at most one request per lookup slot goes out before the first answer is known.
func TestUploadedLookupErrorNotRepeated(t *testing.T) {
	s := svNewServer(t, sentrytest.Options{})
	c := svClient(t, s.url, svToken, nil, nil)
	dir := svInjectedTree(t)
	s.AddFault(sentrytest.Fault{Endpoint: sentrytest.EndpointLookup, Status: http.StatusNotFound,
		Delay: 20 * time.Millisecond, Times: uploadLookupJobs})
	// After the faults run out the server answers 200 []: a request beyond them would turn a
	// bundle's finding into "not on the server".
	env := &Env{Options: svOptions(s.url, c)}
	env.Paths = []string{dir}
	res := checkUploaded(context.Background(), env)
	for _, f := range res.Findings {
		if !strings.Contains(f.Detail, "http status: 404") {
			t.Errorf("finding %+v: want the 404", f)
		}
	}
}

func TestUploadedSkipsWhenServerFails(t *testing.T) {
	s := svNewServer(t, sentrytest.Options{Token: "the-right-token"})
	env := &Env{Options: svOptions(s.url, svClient(t, s.url, svToken, nil, nil))}
	env.Paths = []string{svInjectedTree(t)}
	res := checkUploaded(context.Background(), env)
	if res.Status != StatusSkip || !strings.Contains(res.Detail, "server check failed") || !strings.Contains(res.Detail, "401") {
		t.Errorf("%+v, want a skip naming the server's 401", res)
	}
}

func svAppend(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestUploadCommandServer: the upload commands doctor suggests upload where doctor looked: --url
// unless the server is sentry.io (pasted without it, the command would upload there), and the
// --url-prefix doctor was told the upload uses.
func TestUploadCommandServer(t *testing.T) {
	local := uploadLocal{path: "dist/app.js", root: "dist", scriptID: "e6dad720-6263-5dfe-b78b-0993f00fa749", mapKind: "file"}
	for _, tc := range []struct {
		url, prefix string
		copy        uploadCopy
		want        string
	}{
		{"http://127.0.0.1:33321", "~", uploadCopy{}, "mapback sourcemaps upload --url http://127.0.0.1:33321 --org demo --project demo dist (if"},
		{"https://sentry.io/", "~", uploadCopy{}, "mapback sourcemaps upload --org demo --project demo dist (if"},
		{"", "", uploadCopy{}, "mapback sourcemaps upload --org demo --project demo dist (if"},
		{"https://sentry.example.com", "~/static/js", uploadCopy{}, "mapback sourcemaps upload --url https://sentry.example.com --org demo --project demo --url-prefix '~/static/js' dist (if"},
		{"http://127.0.0.1:33321", "~", uploadCopy{script: "artifact_bundle/1"}, "upload the maps too: mapback sourcemaps upload --url http://127.0.0.1:33321 --org demo --project demo dist (if you pass --ext"},
		{"http://127.0.0.1:33321", "~", uploadCopy{sourceMap: "artifact_bundle/1"}, "upload the scripts too: mapback sourcemaps upload --url http://127.0.0.1:33321 --org demo --project demo dist (if you pass --ext"},
	} {
		env := &Env{Options: Options{Org: "demo", Projects: []string{"demo"}, URLPrefix: tc.prefix}}
		if tc.url != "" {
			env.Settings = []Setting{{Name: "url", Value: tc.url, Source: "flag --url", Set: true}}
		}
		if fd := uploadFinding(env, local, tc.copy); !strings.Contains(fd.Fix, tc.want) {
			t.Errorf("url %q, prefix %q: fix %q, want %q", tc.url, tc.prefix, fd.Fix, tc.want)
		}
	}
}

// TestUploadedStaleMap: a fresh bundle beside an injected build's map is not looked up by the map's
// ID, nor told to upload that pair: the fix is to rebuild both (the debug ID check explains).
func TestUploadedStaleMap(t *testing.T) {
	s := svNewServer(t, sentrytest.Options{})
	c := svClient(t, s.url, svToken, nil, nil)
	env := &Env{Options: svOptions(s.url, c)}
	env.Paths = []string{filepath.Join(fixtureDir, "stale-map-id", "dist")}
	res := checkUploaded(context.Background(), env)
	if worst(res) != StatusWarn || len(res.Findings) != 1 || !strings.Contains(res.Findings[0].Detail, "the map is from an earlier, injected build") ||
		!strings.Contains(res.Findings[0].Fix, "rebuild the bundle and its map together") || strings.Contains(res.Findings[0].Fix, "sourcemaps upload") {
		t.Fatalf("%+v", res)
	}
	if !strings.Contains(res.Detail, "1 without a debug ID") {
		t.Errorf("detail %q", res.Detail)
	}
	for _, r := range s.Requests() {
		if r.Endpoint == sentrytest.EndpointLookup {
			t.Errorf("looked up %s", r.Query)
		}
	}
}
