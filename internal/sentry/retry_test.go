package sentry

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestBackoffSchedule(t *testing.T) {
	want := []time.Duration{time.Second, 1500 * time.Millisecond, 2250 * time.Millisecond,
		3375 * time.Millisecond, 5 * time.Second, 5 * time.Second, 5 * time.Second}
	for i, w := range want {
		if got := backoff(i); got != w {
			t.Errorf("backoff(%d) = %v, want %v", i, got, w)
		}
		for range 100 {
			if j := withJitter(w); j < w || j > w+w/4 {
				t.Fatalf("withJitter(%v) = %v, outside [d, 1.25 d]", w, j)
			}
		}
	}
}

// checkSchedule asserts that delays follow backoff with at most 25 % jitter.
func checkSchedule(t *testing.T, delays []time.Duration) {
	t.Helper()
	for i, d := range delays {
		if base := backoff(i); d < base || d > base+base/4 {
			t.Errorf("delay %d = %v, want %v plus 0–25 %%", i, d, base)
		}
	}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestRetryableNetError(t *testing.T) {
	wrap := func(err error) error { return &url.Error{Op: "Post", URL: "https://sentry.io/x", Err: err} }
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{wrap(io.EOF), true},
		{wrap(io.ErrUnexpectedEOF), true},
		{wrap(&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), true},
		{wrap(&net.OpError{Op: "dial", Net: "tcp", Err: syscall.EHOSTUNREACH}), true},
		{wrap(&net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}), true},
		{wrap(&net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.EPIPE)}), true},
		{wrap(timeoutError{}), true},
		{wrap(&net.DNSError{Err: "server misbehaving", Name: "sentry.io", IsTemporary: true}), true},
		{wrap(&net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "sentri.io", IsNotFound: true}}), false},
		{wrap(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), false},
		{wrap(x509.HostnameError{Host: "sentry.io", Certificate: &x509.Certificate{}}), false},
		{wrap(errors.New("http: server gave HTTP response to HTTPS client")), false},
		{wrap(&net.OpError{Op: "read", Net: "tcp", Err: errors.New("unknown")}), false},
		// The server closed the connection while the body was being written (seen with a
		// dropped connection mid-upload in internal/upload's fault tests).
		{wrap(&net.OpError{Op: "readfrom", Net: "tcp", Err: &net.OpError{Op: "write", Net: "tcp", Err: net.ErrClosed}}), true},
	} {
		if got := retryableNetError(tc.err); got != tc.want {
			t.Errorf("retryableNetError(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestRetryStatuses(t *testing.T) {
	for _, tc := range []struct {
		name         string
		statuses     []int // the server's answers in order, then 200
		maxRetries   int
		wantRequests int
		wantStatus   int // 0: success
	}{
		{"502 503 then success", []int{502, 503}, 5, 3, 0},
		{"504 507 524 then success", []int{504, 507, 524}, 5, 4, 0},
		{"502 burst exhausts 5 retries", []int{502, 502, 502, 502, 502, 503, 502}, 5, 6, 503},
		{"1 retry means 2 requests", []int{502, 502}, 1, 2, 502},
		{"negative retries means none", []int{503}, -1, 1, 503},
		{"500 is not retried", []int{500}, 5, 1, 500},
		{"401 is not retried", []int{401}, 5, 1, 401},
		{"400 is not retried", []int{400}, 5, 1, 400},
		{"413 is not retried", []int{413}, 5, 1, 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, seen := chunkServer(t, tc.statuses...)
			c, rec := newTestClient(t, srv, func(o *Options) { o.MaxRetries = tc.maxRetries })
			err := c.UploadChunks(context.Background(), srv.URL+"/up/", splitChunks([]byte("chunk"), 5), UploadOptions{Gzip: true})
			reqs := seen()
			if len(reqs) != tc.wantRequests {
				t.Errorf("%d requests, want %d", len(reqs), tc.wantRequests)
			}
			for i := 1; i < len(reqs); i++ {
				if !bytes.Equal(reqs[i].body, reqs[0].body) {
					t.Errorf("attempt %d sent a different body", i+1)
				}
			}
			if tc.wantStatus == 0 {
				if err != nil {
					t.Fatal(err)
				}
			} else {
				var he *HTTPError
				if !errors.As(err, &he) || he.Status != tc.wantStatus {
					t.Fatalf("error = %v, want HTTP %d", err, tc.wantStatus)
				}
				// The last reply is the one reported.
				if want := fmt.Sprintf("attempt %d", tc.wantRequests); he.Detail != want {
					t.Errorf("Detail = %q, want %q (the last reply)", he.Detail, want)
				}
			}
			delays := rec.got()
			if len(delays) != tc.wantRequests-1 {
				t.Errorf("%d sleeps, want %d", len(delays), tc.wantRequests-1)
			}
			checkSchedule(t, delays)
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		header string
		want   time.Duration // 0: back off normally
	}{
		{"2", 2 * time.Second},
		{"0", 0},
		{"3600", 60 * time.Second},
		{now.Add(7 * time.Second).Format(http.TimeFormat), 7 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"soon", 0},
		{"-5", 0},
		{"", 0},
	} {
		t.Run(tc.header, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) == 1 {
					if tc.header != "" {
						w.Header().Set("Retry-After", tc.header)
					}
					jsonHandler(429, `{"detail":"slow down"}`)(w, r)
					return
				}
				jsonHandler(200, `{"state":"ok","missingChunks":[]}`)(w, r)
			}))
			defer srv.Close()
			c, rec := newTestClient(t, srv)
			c.now = func() time.Time { return now }
			if _, err := c.AssembleArtifactBundle(context.Background(), "o", AssembleRequest{Projects: []string{"p"}}); err != nil {
				t.Fatal(err)
			}
			delays := rec.got()
			if len(delays) != 1 || n.Load() != 2 {
				t.Fatalf("sleeps %v over %d requests, want 1 sleep and 2 requests", delays, n.Load())
			}
			if tc.want == 0 {
				checkSchedule(t, delays)
			} else if delays[0] != tc.want {
				t.Errorf("slept %v, want %v", delays[0], tc.want)
			}
		})
	}
}

func TestUnauthorizedErrorText(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		jsonHandler(401, `{"detail":"Invalid token"}`)(w, r)
	}))
	defer srv.Close()
	c, rec := newTestClient(t, srv)
	_, err := c.ChunkUploadOptions(context.Background(), "o")
	if got, want := fmt.Sprint(err), "sentry reported an error: Invalid token (http status: 401)"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	var he *HTTPError
	if !errors.As(err, &he) || !strings.Contains(he.Fix(), "SENTRY_AUTH_TOKEN") {
		t.Errorf("Fix() does not say how to set the token: %v", err)
	}
	if len(rec.got()) != 0 || n.Load() != 1 {
		t.Errorf("401 was retried: %d requests", n.Load())
	}
}

// Connection refused: a network error, retried up to MaxRetries, then
// reported with the attempt count.
func TestRetryConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // nothing listens there now
	rec := &sleepRecorder{}
	c, err := New(Options{BaseURL: "http://" + addr, Token: testToken, MaxRetries: 2, Sleep: rec.sleep})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ChunkUploadOptions(context.Background(), "o")
	if err == nil || !strings.Contains(err.Error(), "gave up after 3 attempts") || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("error = %v", err)
	}
	if d := rec.got(); len(d) != 2 {
		t.Errorf("sleeps %v, want 2", d)
	}
	checkSchedule(t, rec.got())
}

// A reply that breaks off mid-body is retried for JSON replies (the buffer
// is rewound) and gives the complete reply in the end.
func TestRetryTruncatedReply(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"state\":\"o")
			_ = buf.Flush()
			_ = conn.Close()
			return
		}
		jsonHandler(200, `{"state":"ok","missingChunks":[]}`)(w, r)
	}))
	defer srv.Close()
	c, rec := newTestClient(t, srv)
	got, err := c.AssembleArtifactBundle(context.Background(), "o", AssembleRequest{Projects: []string{"p"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.State != "ok" || n.Load() != 2 || len(rec.got()) != 1 {
		t.Errorf("state %q after %d requests and sleeps %v", got.State, n.Load(), rec.got())
	}
}

// A download that breaks off after bytes reached the caller's writer is
// not retried: the writer cannot be rewound.
func TestDownloadTruncatedNotRetriedAfterWriting(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		conn, buf, _ := w.(http.Hijacker).Hijack()
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
		_ = buf.Flush()
		_ = conn.Close()
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv)
	var out bytes.Buffer
	err := c.Download(context.Background(), srv.URL+"/dl", &out)
	if err == nil || n.Load() != 1 || out.String() != "partial" {
		t.Errorf("error %v after %d requests, wrote %q", err, n.Load(), out.String())
	}
}

// Cancelling during the backoff returns at once with context.Canceled and
// sends nothing more. This uses the real timer, not the seam.
func TestCancelDuringBackoff(t *testing.T) {
	srv, seen := chunkServer(t, 503, 503, 503)
	c, _ := newTestClient(t, srv, func(o *Options) { o.Sleep = nil })
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for len(seen()) == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond) // well inside the ≥1 s backoff
		cancel()
	}()
	start := time.Now()
	_, err := c.ChunkUploadOptions(ctx, "o")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	if el := time.Since(start); el > 900*time.Millisecond {
		t.Errorf("returned after %v, want well before the 1 s backoff ends", el)
	}
	time.Sleep(100 * time.Millisecond)
	if n := len(seen()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestCancelledBeforeStart(t *testing.T) {
	srv, seen := chunkServer(t)
	c, _ := newTestClient(t, srv)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := c.UploadChunks(ctx, srv.URL+"/up/", splitChunks([]byte("abc"), 3), UploadOptions{Gzip: true})
	if !errors.Is(err, context.Canceled) || len(seen()) != 0 {
		t.Errorf("error %v, %d requests", err, len(seen()))
	}
}

// The token appears in no error text and no log line, even when the server
// echoes it back in its error body, across retries.
func TestTokenNeverLeaks(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		jsonHandler(502, `{"detail":"bad gateway, you sent `+r.Header.Get("Authorization")+`"}`)(w, r)
	}))
	defer srv.Close()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, _ := newTestClient(t, srv, func(o *Options) { o.Logger, o.MaxRetries = logger, 2 })
	ctx := context.Background()
	var errs []error
	_, err := c.ChunkUploadOptions(ctx, "o")
	errs = append(errs, err)
	errs = append(errs, c.UploadChunks(ctx, srv.URL+"/up/?signature="+testToken, splitChunks([]byte("abc"), 3), UploadOptions{}))
	_, err = c.ArtifactLookup(ctx, "o", "p", "d")
	errs = append(errs, err)
	for _, err := range errs {
		if err == nil {
			t.Fatal("no error from a server answering 502")
		}
		if strings.Contains(err.Error(), testToken) {
			t.Errorf("error leaks the token: %v", err)
		}
		var he *HTTPError
		if errors.As(err, &he) && !strings.Contains(he.Detail, "[redacted]") {
			t.Errorf("Detail %q: the echoed token was not replaced", he.Detail)
		}
	}
	out := logs.String()
	if strings.Contains(out, testToken) || strings.Contains(out, testToken[len(testToken)-12:]) {
		t.Errorf("log leaks the token:\n%s", out)
	}
	for _, want := range []string{"method=GET", "status=502", "attempt=3", "duration=", "url=" + srv.URL + "/api/0/organizations/o/chunk-upload/",
		"signature=REDACTED"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}
