package sentry

import (
	"net/http"
	"strings"
	"testing"
)

func TestNewValidatesBaseURL(t *testing.T) {
	for _, tc := range []struct {
		in, want, wantErr string
	}{
		{in: "https://sentry.io", want: "https://sentry.io"},
		{in: "https://sentry.io/", want: "https://sentry.io"},
		{in: "https://sentry.io//", want: "https://sentry.io"},
		{in: "http://127.0.0.1:8080", want: "http://127.0.0.1:8080"},
		{in: "http://[::1]:9000/", want: "http://[::1]:9000"},
		{in: "https://sentry.example.com/sentry", wantErr: "must not have a path"},
		{in: "https://sentry.io/?x=1", wantErr: "must not have a path, query"},
		{in: "https://sentry.io#x", wantErr: "must not have a path, query or fragment"},
		{in: "sentry.example.com", wantErr: "must start with https:// or http://"},
		{in: "ftp://sentry.io", wantErr: "must start with https:// or http://"},
		{in: "https://", wantErr: "has no host"},
		{in: "", wantErr: "empty"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			c, err := New(Options{BaseURL: tc.in})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("New(%q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
				}
				// The URL is named, query values redacted (they may be secrets).
				if named, _, _ := strings.Cut(tc.in, "?"); !strings.Contains(err.Error(), `"`+named) {
					t.Errorf("error %q does not name the URL %q", err, tc.in)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.baseStr != tc.want {
				t.Errorf("base = %q, want %q", c.baseStr, tc.want)
			}
		})
	}
}

func TestBaseURLErrorHidesPassword(t *testing.T) {
	for _, in := range []string{"https://ci:s3cr3t@sentry.example.com/path", "https://ci:s3cr3t@sentry example.com"} {
		_, err := New(Options{BaseURL: in})
		if err == nil || strings.Contains(err.Error(), "s3cr3t") || !strings.Contains(err.Error(), "sentry") {
			t.Errorf("New(%q) error = %v; want an error naming the URL without the password", in, err)
		}
	}
}

func TestDefaultHTTPClient(t *testing.T) {
	c, err := New(Options{BaseURL: "https://sentry.io"})
	if err != nil {
		t.Fatal(err)
	}
	tr, ok := c.hc.Transport.(*http.Transport)
	switch {
	case !ok:
		t.Fatalf("transport %T", c.hc.Transport)
	case c.hc.Timeout != 0:
		t.Errorf("overall timeout %v would cut long uploads", c.hc.Timeout)
	case tr.MaxIdleConnsPerHost < 16 || tr.ResponseHeaderTimeout == 0 || tr.TLSHandshakeTimeout == 0:
		t.Errorf("transport %+v", tr)
	case c.hc.CheckRedirect == nil:
		t.Error("redirects would be followed")
	}
	// A caller's client is copied, not modified.
	mine := &http.Client{}
	if _, err := New(Options{BaseURL: "https://sentry.io", HTTPClient: mine}); err != nil || mine.CheckRedirect != nil {
		t.Errorf("the caller's client was modified: %v", err)
	}
}
