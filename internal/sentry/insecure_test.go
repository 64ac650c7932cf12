package sentry

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// logTo returns a debug-level logger writing text lines to buf.
func logTo(buf *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// warnings returns the WARN lines of a text log.
func warnings(log string) []string {
	var out []string
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "level=WARN") {
			out = append(out, line)
		}
	}
	return out
}

// redirectAllTo returns an HTTP client that connects to srv whatever host a
// URL names, so a request to a fake non-loopback host reaches the test server.
func redirectAllTo(srv *httptest.Server) *http.Client {
	addr := srv.Listener.Addr().String()
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}}
}

// The base is loopback (an SSH tunnel) and the capability reply hands out a
// plain-http chunk URL on another machine: the token still goes there (the
// region host needs it) but one warning, naming the host, says so; the token
// never appears in the log.
func TestInsecureChunkURLWarnsOncePerHost(t *testing.T) {
	var mu sync.Mutex
	var chunkAuth []string
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/chunk-upload/"):
			port := srv.Listener.Addr().(*net.TCPAddr).Port
			reply := strings.Replace(fullCapability, "https://sentry.example.com",
				"http://192.0.2.2:"+strconv.Itoa(port), 1)
			jsonHandler(200, reply)(w, r)
		case r.Method == http.MethodPost && r.URL.Path == "/api/0/organizations/o/chunk-upload/":
			mu.Lock()
			chunkAuth = append(chunkAuth, r.Host+" "+r.Header.Get("Authorization"))
			mu.Unlock()
		default:
			jsonHandler(200, `{"state":"ok","missingChunks":[]}`)(w, r)
		}
	}))
	defer srv.Close()
	var log syncBuffer
	c, _ := newTestClient(t, srv, func(o *Options) {
		o.HTTPClient = redirectAllTo(srv)
		o.Logger = logTo(&log)
	})
	ctx := context.Background()
	opts, err := c.ChunkUploadOptions(ctx, "o")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(opts.URL, "http://192.0.2.2:") {
		t.Fatalf("chunk URL = %q", opts.URL)
	}
	if w := warnings(log.String()); len(w) != 0 {
		t.Fatalf("warnings before anything went to 192.0.2.2: %q", w)
	}
	for i := 0; i < 3; i++ {
		chunk := []Chunk{{ID: sha1Hex([]byte{byte(i)}), Data: []byte{byte(i)}}}
		if err := c.UploadChunks(ctx, opts.URL, chunk, UploadOptions{Gzip: true}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.AssembleArtifactBundle(ctx, "o", AssembleRequest{Checksum: "x", Projects: []string{"p"}}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(chunkAuth) != 3 || !strings.HasPrefix(chunkAuth[0], "192.0.2.2:") || !strings.HasSuffix(chunkAuth[0], "Bearer "+testToken) {
		t.Errorf("chunk POSTs (host, auth) = %q; want 3 to 192.0.2.2 with the token", chunkAuth)
	}
	mu.Unlock()

	w := warnings(log.String())
	if len(w) != 1 {
		t.Fatalf("want exactly one warning, got %d:\n%s", len(w), log.String())
	}
	for _, want := range []string{"the auth token will be sent unencrypted over http to 192.0.2.2", srv.URL} {
		if !strings.Contains(w[0], want) {
			t.Errorf("warning %q does not contain %q", w[0], want)
		}
	}
	if strings.Contains(log.String(), testToken) || strings.Contains(log.String(), testToken[len("sntryu_"):]) {
		t.Errorf("the log holds the token:\n%s", log.String())
	}
}

// warnInsecure decides by the URL actually requested: plain http to another
// machine warns once per host, whether the base or a server-sent URL;
// loopback, https and a client without a token stay silent.
func TestWarnInsecure(t *testing.T) {
	for _, tc := range []struct {
		name, base, token string
		urls              []string
		want              []string // substrings, one per expected warning, in order
	}{
		{name: "loopback base", base: "http://127.0.0.1:9000", token: testToken,
			urls: []string{"http://127.0.0.1:9000/api/0/x/", "http://localhost:1/y", "http://[::1]:2/z"}},
		{name: "https server URL", base: "http://127.0.0.1:9000", token: testToken,
			urls: []string{"https://us.sentry.io/api/0/x/"}},
		{name: "no token", base: "http://sentry.example.test", token: "",
			urls: []string{"http://sentry.example.test/api/0/x/", "http://192.0.2.2/"}},
		{name: "http base on another host", base: "http://sentry.example.test", token: testToken,
			urls: []string{"http://sentry.example.test/api/0/a/", "http://SENTRY.example.test:80/api/0/b/"},
			want: []string{"the auth token will be sent unencrypted over http to sentry.example.test; use an https:// URL"}},
		{name: "two server-sent hosts", base: "http://127.0.0.1:9000", token: testToken,
			urls: []string{"http://192.0.2.2:1/a", "http://192.0.2.2:2/b", "http://region.example.test/c", "http://192.0.2.2/d"},
			want: []string{"over http to 192.0.2.2, a URL the server at http://127.0.0.1:9000 sent",
				"over http to region.example.test, a URL the server at http://127.0.0.1:9000 sent"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log syncBuffer
			c, err := New(Options{BaseURL: tc.base, Token: tc.token, Logger: logTo(&log)})
			if err != nil {
				t.Fatal(err)
			}
			for _, raw := range tc.urls {
				u, err := c.resolveURL(raw)
				if err != nil {
					t.Fatal(err)
				}
				c.warnInsecure(context.Background(), u)
			}
			got := warnings(log.String())
			if len(got) != len(tc.want) {
				t.Fatalf("got %d warnings, want %d:\n%s", len(got), len(tc.want), log.String())
			}
			for i, want := range tc.want {
				if !strings.Contains(got[i], want) {
					t.Errorf("warning %d = %q, want it to contain %q", i, got[i], want)
				}
			}
			if tc.token != "" && strings.Contains(log.String(), tc.token) {
				t.Error("the log holds the token")
			}
		})
	}
}

// A lookup reply that is not an array says so plainly and names the server.
func TestArtifactLookupMalformedReply(t *testing.T) {
	for _, tc := range []struct{ reply, want string }{
		{`{"detail":"x"}`, "the artifact-lookup reply (GET {base}/api/0/projects/o/p/artifact-lookup/?debug_id=d) is not a JSON array but an object: is {base} a Sentry server?"},
		{`"hello"`, "is not a JSON array but a string: is {base} a Sentry server?"},
		{`<html>proxy</html>`, "the artifact-lookup reply (GET {base}/api/0/projects/o/p/artifact-lookup/?debug_id=d) is not JSON: is {base} a Sentry server?"},
		{`[{"id":1}]`, `has field "id" of the wrong type (number where a string is expected)`},
		{`[{"id":"a","headers":{"sourcemap":[1]}}]`, `of the wrong type (array where a string is expected)`},
	} {
		t.Run(tc.reply, func(t *testing.T) {
			srv := httptest.NewServer(jsonHandler(200, tc.reply))
			defer srv.Close()
			c, _ := newTestClient(t, srv)
			_, err := c.ArtifactLookup(context.Background(), "o", "p", "d")
			want := strings.ReplaceAll(tc.want, "{base}", srv.URL)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("error = %v, want one containing %q", err, want)
			}
			if strings.Contains(err.Error(), "Go ") || strings.Contains(err.Error(), "LookupEntry") {
				t.Errorf("error %q quotes a Go type", err)
			}
		})
	}
}

// The server's URL is named without the password of the base URL.
func TestMalformedReplyHidesPassword(t *testing.T) {
	srv := httptest.NewServer(jsonHandler(200, `[]`))
	defer srv.Close()
	c, _ := newTestClient(t, srv, func(o *Options) { o.BaseURL = strings.Replace(srv.URL, "http://", "http://ci:s3cr3t@", 1) })
	_, err := c.ChunkUploadOptions(context.Background(), "o")
	if err == nil || strings.Contains(err.Error(), "s3cr3t") || !strings.Contains(err.Error(), "not a JSON object") {
		t.Fatalf("error = %v; want a plain message without the password", err)
	}
}
