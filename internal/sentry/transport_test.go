package sentry

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestRequestHeaders(t *testing.T) {
	for _, tc := range []struct {
		name, token string
		extra       http.Header
		want        map[string]string // "" = header absent
	}{
		{
			name: "token and extra header", token: testToken,
			extra: http.Header{"X-Proxy-Auth": {"abc"}},
			want: map[string]string{"Authorization": "Bearer " + testToken, "Accept": "*/*",
				"User-Agent": "mapback/test", "X-Proxy-Auth": "abc", "Expect": ""},
		},
		{
			name:  "no token, extra header replaces User-Agent",
			extra: http.Header{"user-agent": {"mapback/test ci-pipeline"}},
			want:  map[string]string{"Authorization": "", "Accept": "*/*", "User-Agent": "mapback/test ci-pipeline"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got http.Header
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r.Header.Clone()
				jsonHandler(200, `{"state":"ok","missingChunks":[]}`)(w, r)
			}))
			defer srv.Close()
			c, _ := newTestClient(t, srv, func(o *Options) { o.Token, o.Headers = tc.token, tc.extra })
			if _, err := c.AssembleArtifactBundle(context.Background(), "o", AssembleRequest{Projects: []string{"p"}}); err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.want {
				if got.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, got.Get(k), v)
				}
			}
		})
	}
}

// Every reply body is drained and closed, so retries and later requests
// reuse one keep-alive connection instead of opening new ones.
func TestConnectionsAreReused(t *testing.T) {
	var newConns atomic.Int32
	var n atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 3 {
			jsonHandler(502, `{"detail":"`+strings.Repeat("x", 100_000)+`"}`)(w, r)
			return
		}
		jsonHandler(200, `{"state":"ok","missingChunks":[],"padding":"`+strings.Repeat("y", 100_000)+`"}`)(w, r)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			newConns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	// The default client, not srv.Client(): its settings are under test.
	c, _ := newTestClient(t, srv, func(o *Options) { o.HTTPClient = nil })
	for range 3 {
		if _, err := c.AssembleArtifactBundle(context.Background(), "o", AssembleRequest{Projects: []string{"p"}}); err != nil {
			t.Fatal(err)
		}
	}
	if got := newConns.Load(); got != 1 {
		t.Errorf("%d connections for %d requests, want 1", got, n.Load())
	}
}
