package doctor

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mapback/mapback/internal/sentry"
	"github.com/mapback/mapback/internal/sentrytest"
	"github.com/mapback/mapback/internal/term"
	"github.com/mapback/mapback/internal/testkit/testserver"
)

// svToken is long enough that config would redact it to its last four characters.
const svToken = "sntryu_0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"

// svServer is an in-process Sentry-compatible server.
type svServer struct {
	*sentrytest.Server
	url string
}

func svNewServer(t *testing.T, opts sentrytest.Options) *svServer {
	t.Helper()
	srv, url := testserver.Sentry(t, opts)
	return &svServer{Server: srv, url: url}
}

// svClient talks to baseURL without retries (a test of a failure should not wait) and logs at
// debug level into log, when given.
func svClient(t *testing.T, baseURL, token string, hc *http.Client, log *slog.Logger) *sentry.Client {
	t.Helper()
	c, err := sentry.New(sentry.Options{BaseURL: baseURL, Token: token, UserAgent: "mapback/test", HTTPClient: hc, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// options are what the cli would pass for a complete configuration: the settings with sources
// (the token redacted, as config displays it) and the client.
func svOptions(baseURL string, client *sentry.Client, projects ...string) Options {
	if len(projects) == 0 {
		projects = []string{"web"}
	}
	return Options{
		Settings: []Setting{
			{Name: "url", Value: baseURL, Source: "flag --url", Set: true},
			{Name: "org", Value: "acme", Source: "env SENTRY_ORG", Set: true},
			{Name: "project", Value: strings.Join(projects, ","), Source: "flag --project", Set: true},
			{Name: "auth_token", Value: term.Redact(svToken), Source: "env SENTRY_AUTH_TOKEN", Set: true},
		},
		Org:      "acme",
		Projects: projects,
		Client:   client,
	}
}

// svWithout drops a setting, as config reports one that nothing sets.
func svWithout(opts Options, name string) Options {
	var kept []Setting
	for _, s := range opts.Settings {
		if s.Name == name {
			s = Setting{Name: name, Source: "not set"}
		}
		kept = append(kept, s)
	}
	opts.Settings = kept
	return opts
}

func svFinding(res Result, status Status, subject string) (Finding, bool) {
	for _, f := range res.Findings {
		if f.Status == status && (subject == "" || f.Subject == subject) {
			return f, true
		}
	}
	return Finding{}, false
}

func TestCheckServer(t *testing.T) {
	// A port nothing listens on: bind one, then close it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + ln.Addr().String()
	_ = ln.Close()

	type want struct {
		status  Status
		detail  string   // in the result's detail
		finding Status   // a finding with this status …
		subject string   // … about this subject (any when "")
		texts   []string // … whose detail and fix contain these
	}
	cases := []struct {
		name  string
		setup func(t *testing.T) Options
		want  want
	}{
		{
			name: "configured and reachable",
			setup: func(t *testing.T) Options {
				s := svNewServer(t, sentrytest.Options{Token: svToken})
				return svOptions(s.url, svClient(t, s.url, svToken, nil, nil))
			},
			want: want{status: StatusOK, detail: "chunk size 8 MiB, gzip, concurrency 8",
				finding: StatusOK, subject: "org", texts: []string{"acme (from env SENTRY_ORG)"}},
		},
		{
			name: "missing token on a remote server",
			setup: func(t *testing.T) Options {
				return svWithout(svOptions("https://sentry.example.com", nil), "auth_token")
			},
			want: want{status: StatusFail, detail: "not contacted", finding: StatusFail, subject: "auth token",
				texts: []string{"--auth-token", "SENTRY_AUTH_TOKEN", "Settings → Auth Tokens"}},
		},
		{
			name: "missing token is fine for a local dev-server",
			setup: func(t *testing.T) Options {
				s := svNewServer(t, sentrytest.Options{})
				return svWithout(svOptions(s.url, svClient(t, s.url, "", nil, nil)), "auth_token")
			},
			want: want{status: StatusOK, detail: "answers: ", finding: StatusOK, subject: "auth token", texts: []string{"dev-server"}},
		},
		{
			name: "missing org",
			setup: func(t *testing.T) Options {
				o := svWithout(svOptions("https://sentry.example.com", nil), "org")
				o.Org = ""
				return o
			},
			want: want{status: StatusFail, finding: StatusFail, subject: "org", texts: []string{"--org", "SENTRY_ORG"}},
		},
		{
			name: "missing project",
			setup: func(t *testing.T) Options {
				o := svWithout(svOptions("https://sentry.example.com", nil), "project")
				o.Projects = nil
				return o
			},
			want: want{status: StatusFail, finding: StatusFail, subject: "project", texts: []string{"--project", "SENTRY_PROJECT"}},
		},
		{
			name: "bad URL",
			setup: func(t *testing.T) Options {
				raw := "https://sentry.example.com/organizations/acme/"
				_, err := sentry.New(sentry.Options{BaseURL: raw})
				if err == nil {
					t.Fatal("sentry.New accepted a URL with a path")
				}
				o := svOptions(raw, nil)
				o.ClientErr = err
				return o
			},
			want: want{status: StatusFail, finding: StatusFail, subject: "url", texts: []string{"invalid Sentry URL", "--url"}},
		},
		{
			name: "unreachable server",
			setup: func(t *testing.T) Options {
				return svOptions(closedURL, svClient(t, closedURL, svToken, nil, nil))
			},
			want: want{status: StatusFail, detail: "cannot reach " + closedURL, finding: StatusFail, subject: "server",
				texts: []string{"refused", "--url / SENTRY_URL", "proxy", "DNS"}},
		},
		{
			name: "server that does not answer",
			setup: func(t *testing.T) Options {
				s := svNewServer(t, sentrytest.Options{})
				s.AddFault(sentrytest.Fault{Endpoint: sentrytest.EndpointCapability, Delay: 5 * time.Second})
				o := svOptions(s.url, svClient(t, s.url, svToken, nil, nil))
				o.ServerTimeout = 100 * time.Millisecond
				return o
			},
			want: want{status: StatusFail, detail: "cannot reach", finding: StatusFail, subject: "server",
				texts: []string{"no answer within 100ms (--timeout)", "--url / SENTRY_URL"}},
		},
		{
			name: "wrong token: 401",
			setup: func(t *testing.T) Options {
				s := svNewServer(t, sentrytest.Options{Token: "the-right-token"})
				return svOptions(s.url, svClient(t, s.url, svToken, nil, nil))
			},
			want: want{status: StatusFail, detail: "Invalid token", finding: StatusFail, subject: "server",
				texts: []string{"http status: 401", "--auth-token", "SENTRY_AUTH_TOKEN",
					"the token from env SENTRY_AUTH_TOKEN (" + term.Redact(svToken) + ") was refused",
					"replace the token in the environment variable SENTRY_AUTH_TOKEN, or unset it"}},
		},
		{
			name: "token without the scope: 403",
			setup: func(t *testing.T) Options {
				s := svNewServer(t, sentrytest.Options{})
				s.AddFault(sentrytest.Fault{Endpoint: sentrytest.EndpointCapability, Status: http.StatusForbidden,
					Body: `{"detail":"You do not have permission to perform this action."}`})
				return svOptions(s.url, svClient(t, s.url, svToken, nil, nil))
			},
			want: want{status: StatusFail, detail: "http status: 403", finding: StatusFail, subject: "server",
				texts: []string{"permission", "scope"}},
		},
		{
			name: "unknown organization: 404",
			setup: func(t *testing.T) Options {
				s := svNewServer(t, sentrytest.Options{})
				s.AddFault(sentrytest.Fault{Endpoint: sentrytest.EndpointCapability, Status: http.StatusNotFound,
					Body: `{"detail":"The requested resource does not exist"}`})
				return svOptions(s.url, svClient(t, s.url, svToken, nil, nil))
			},
			want: want{status: StatusFail, detail: "http status: 404", finding: StatusFail, subject: "server",
				texts: []string{"organization slug (--org / SENTRY_ORG)"}},
		},
		{
			name: "server without artifact bundles",
			setup: func(t *testing.T) Options {
				s := svNewServer(t, sentrytest.Options{})
				s.AddFault(sentrytest.Fault{Endpoint: sentrytest.EndpointCapability, Status: http.StatusOK,
					Body: `{"url":"/api/0/organizations/acme/chunk-upload/","chunkSize":8388608,"chunksPerRequest":64,` +
						`"maxRequestSize":33554432,"concurrency":8,"hashAlgorithm":"sha1","compression":["gzip"],` +
						`"accept":["debug_files","release_files","pdbs","sources"]}`})
				return svOptions(s.url, svClient(t, s.url, svToken, nil, nil))
			},
			want: want{status: StatusWarn, detail: "does not announce artifact bundles", finding: StatusWarn, subject: "server",
				texts: []string{"uploads may be rejected", "23.x"}},
		},
		{
			// A capability without "accept" says nothing about the server's age: no warning.
			name: "server that leaves accept out",
			setup: func(t *testing.T) Options {
				s := svNewServer(t, sentrytest.Options{Capability: sentrytest.Capability{Omit: []string{"accept"}, NoCompression: true, ChunkSize: 1 << 20, Concurrency: 2}})
				return svOptions(s.url, svClient(t, s.url, svToken, nil, nil))
			},
			want: want{status: StatusOK, detail: "chunk size 1 MiB, no compression, concurrency 2", finding: StatusOK, subject: "server"},
		},
		{
			name: "token over plain http to another host",
			setup: func(t *testing.T) Options {
				s := svNewServer(t, sentrytest.Options{})
				// Every connection goes to the test server, whatever the host name: the client
				// believes it talks to sentry.example.test over the network.
				addr := strings.TrimPrefix(s.url, "http://")
				hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
					return (&net.Dialer{}).DialContext(ctx, network, addr)
				}}}
				const remote = "http://sentry.example.test"
				return svOptions(remote, svClient(t, remote, svToken, hc, nil))
			},
			want: want{status: StatusWarn, detail: "answers: ", finding: StatusWarn, subject: "auth token",
				texts: []string{"unencrypted", "sentry.example.test", "https://"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := &Env{Options: tc.setup(t)}
			res := checkServer(context.Background(), env)
			if got := worst(res); got != tc.want.status {
				t.Fatalf("status %s, want %s: %+v", got, tc.want.status, res)
			}
			if !strings.Contains(res.Detail, tc.want.detail) {
				t.Errorf("detail %q lacks %q", res.Detail, tc.want.detail)
			}
			f, ok := svFinding(res, tc.want.finding, tc.want.subject)
			if !ok {
				t.Fatalf("no %s finding about %q: %+v", tc.want.finding, tc.want.subject, res.Findings)
			}
			for _, text := range tc.want.texts {
				if !strings.Contains(f.Detail+"\n"+f.Fix, text) {
					t.Errorf("finding %+v lacks %q", f, text)
				}
			}
			if (f.Status == StatusFail || f.Status == StatusWarn) && f.Fix == "" {
				t.Errorf("finding %+v has no fix", f)
			}
		})
	}
}

// TestServerContactedOnce checks that the server and upload checks share one capability request.
func TestServerContactedOnce(t *testing.T) {
	s := svNewServer(t, sentrytest.Options{})
	env := &Env{Options: svOptions(s.url, svClient(t, s.url, svToken, nil, nil))}
	env.Paths = []string{t.TempDir()} // no bundles: the upload check skips after the server facts
	checkServer(context.Background(), env)
	checkUploaded(context.Background(), env)
	n := 0
	for _, r := range s.Requests() {
		if r.Endpoint == sentrytest.EndpointCapability {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d capability requests, want 1", n)
	}
}

func TestServerChecksOffline(t *testing.T) {
	s := svNewServer(t, sentrytest.Options{})
	opts := svOptions(s.url, svClient(t, s.url, svToken, nil, nil))
	opts.Offline = true
	opts.Paths = []string{svInjectedTree(t)}
	env := &Env{Options: opts}
	for _, check := range []func(context.Context, *Env) Result{checkServer, checkUploaded} {
		res := check(context.Background(), env)
		if res.Status != StatusSkip || !strings.Contains(res.Detail, "--offline") {
			t.Errorf("offline: %+v, want a skip naming --offline", res)
		}
	}
	if n := len(s.Requests()); n != 0 {
		t.Errorf("%d requests while offline", n)
	}
}

// TestTokenNeverShown runs the whole checklist with debug logging, in a passing and a failing
// configuration, and looks for the token in the text report, the JSON report and the log.
func TestTokenNeverShown(t *testing.T) {
	for _, serverToken := range []string{svToken, "another-token"} {
		s := svNewServer(t, sentrytest.Options{Token: serverToken})
		var logs bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c := svClient(t, s.url, svToken, nil, log)
		dir := svInjectedTree(t)
		if serverToken == svToken {
			svUpload(t, c, []string{"web"}, nil, dir)
		}
		opts := svOptions(s.url, c)
		opts.Paths = []string{dir}
		opts.Logger = log
		rep, err := Run(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		var text, js bytes.Buffer
		WriteText(&text, rep, term.ColorScheme{})
		if err := WriteJSON(&js, rep); err != nil {
			t.Fatal(err)
		}
		for name, out := range map[string]string{"text": text.String(), "json": js.String(), "log": logs.String()} {
			if strings.Contains(out, svToken) {
				t.Errorf("server token %s: the token appears in the %s output:\n%s", serverToken, name, out)
			}
		}
		if logs.Len() == 0 {
			t.Error("nothing was logged: the log was not checked")
		}
		up, _ := rep.Result("upload")
		if serverToken == svToken && up.Status != StatusOK || serverToken != svToken && up.Status != StatusSkip {
			t.Errorf("server token %s: upload check %+v", serverToken, up)
		}
	}
}

// TestServerSettingsShown: the text checklist shows the server settings with their sources under
// the server check whether it passes or fails (a 401 must be read next to where the token came
// from), never when it is skipped; --json marks them as context.
func TestServerSettingsShown(t *testing.T) {
	settings := []string{
		"✓ org: acme (from env SENTRY_ORG)",
		"✓ project: web (from flag --project)",
		"✓ auth token: " + term.Redact(svToken) + " (from env SENTRY_AUTH_TOKEN)",
	}
	for _, tc := range []struct {
		name        string
		serverToken string
		offline     bool
		want        []string
	}{
		{"reachable", svToken, false, []string{"✓ The server is configured and reachable"}},
		{"401", "the-right-token", false, []string{"✗ The server is configured and reachable: the token from env SENTRY_AUTH_TOKEN (" + term.Redact(svToken) + ") was refused"}},
		{"offline", svToken, true, []string{"- The server is configured and reachable — skipped: --offline"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := svNewServer(t, sentrytest.Options{Token: tc.serverToken})
			opts := svOptions(s.url, svClient(t, s.url, svToken, nil, nil))
			opts.Paths = []string{t.TempDir()}
			opts.Offline = tc.offline
			rep, err := Run(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			var text, js bytes.Buffer
			WriteText(&text, rep, term.ColorScheme{})
			if err := WriteJSON(&js, rep); err != nil {
				t.Fatal(err)
			}
			want := append([]string{"✓ url: " + s.url + " (from flag --url)"}, settings...)
			for _, w := range want {
				if got := strings.Contains(text.String(), w); got == tc.offline {
					t.Errorf("%q shown: %v, want %v\n%s", w, got, !tc.offline, text.String())
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(text.String(), w) {
					t.Errorf("missing %q\n%s", w, text.String())
				}
			}
			if got := strings.Contains(js.String(), `"context": true`); got == tc.offline {
				t.Errorf("context in --json: %v\n%s", got, js.String())
			}
		})
	}
}
