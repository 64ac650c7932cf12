package sentry

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHTTPErrorMessage(t *testing.T) {
	long := strings.Repeat("x", 5000)
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"Sentry detail", 500, `{"detail":"Internal Error"}`, "sentry reported an error: Internal Error (http status: 500)"},
		{"detail object", 400, `{"detail":{"message":"Chunk size too large","code":"x"}}`, "sentry reported an error: Chunk size too large (http status: 400)"},
		{"detail null", 502, `{"detail":null}`, "sentry reported an error: Bad Gateway (http status: 502)"},
		{"proxy HTML page", 502, "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
			"sentry reported an error: 502 Bad Gateway (http status: 502)"},
		{"HTML without title", 413, "<html><body><h1>Request Entity\nToo Large</h1></body></html>",
			"sentry reported an error: Request Entity Too Large (http status: 413)"},
		{"plain text with escapes", 503, "upstream \x1b[31mdown\x1b[0m\r\n\tretry later", "sentry reported an error: upstream [31mdown[0m retry later (http status: 503)"},
		{"empty body", 504, "", "sentry reported an error: Gateway Timeout (http status: 504)"},
		{"long body cut", 500, long, "sentry reported an error: " + long[:maxExcerpt] + "… (http status: 500)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			c, _ := newTestClient(t, srv, func(o *Options) { o.MaxRetries = 0 })
			_, err := c.ChunkUploadOptions(context.Background(), "o")
			var he *HTTPError
			if !errors.As(err, &he) {
				t.Fatalf("error %v is not an *HTTPError", err)
			}
			if err.Error() != tc.want {
				t.Errorf("Error()\n got %q\nwant %q", err.Error(), tc.want)
			}
		})
	}
}

func TestHTTPErrorFix(t *testing.T) {
	for _, tc := range []struct {
		err  HTTPError
		want string // a word the fix must contain; "" = no fix
	}{
		{HTTPError{Method: "GET", URL: "https://sentry.io/api/0/organizations/o/chunk-upload/", Status: 401}, "--auth-token"},
		{HTTPError{Method: "GET", Status: 403}, "project:releases"},
		{HTTPError{Method: "GET", Status: 403}, "org:ci"},
		{HTTPError{Method: "GET", URL: "https://sentry.io/api/0/organizations/o/chunk-upload/", Status: 404}, "--org"},
		{HTTPError{Method: "GET", URL: "https://sentry.io/api/0/projects/o/p/artifact-lookup/", Status: 404}, "--project"},
		{HTTPError{Method: "POST", Status: 413}, "proxy"},
		{HTTPError{Method: "POST", Status: 302}, "project is not found"},
		{HTTPError{Method: "POST", Status: 301}, "project is not found"},
		{HTTPError{Method: "GET", Status: 308}, "--url"},
		{HTTPError{Method: "GET", Status: 500}, ""},
		{HTTPError{Method: "GET", Status: 429}, ""},
	} {
		got := tc.err.Fix()
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("status %d (%s): Fix() = %q, want it to contain %q", tc.err.Status, tc.err.URL, got, tc.want)
		}
	}
}
