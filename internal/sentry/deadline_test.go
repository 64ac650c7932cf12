package sentry

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestSilentServer: a server that accepts the connection and never answers
// once held an upload for about 18 minutes (a 3-minute header timeout per
// attempt). The idle bound fails each attempt once nothing has moved for it.
func TestSilentServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close() // read nothing, answer nothing
		}
	}()
	rec := &sleepRecorder{}
	c, err := New(Options{BaseURL: "http://" + ln.Addr().String(), Token: testToken, MaxRetries: 2,
		IdleTimeout: 200 * time.Millisecond, Sleep: rec.sleep})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.ChunkUploadOptions(context.Background(), "org")
	took := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "timeout") || !strings.Contains(err.Error(), "gave up after 3 attempts") {
		t.Fatalf("err = %v, want a timeout after 3 attempts", err)
	}
	if took > 5*time.Second {
		t.Errorf("took %v for three 200 ms idle timeouts", took)
	}
}

// TestTricklingReply: a reply that sends a byte now and then is never idle;
// a JSON reply must still arrive whole within the idle bound.
func TestTricklingReply(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		body := `{"url":"` + strings.Repeat("x", 200) + `"}`
		for i := range len(body) {
			if _, err := w.Write([]byte{body[i]}); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv, func(o *Options) { o.MaxRetries = 1; o.IdleTimeout = 300 * time.Millisecond })
	start := time.Now()
	_, err := c.ChunkUploadOptions(context.Background(), "org")
	if err == nil || !strings.Contains(err.Error(), "the reply did not arrive whole within 300ms") {
		t.Fatalf("err = %v, want the trickling reply cut off", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %v; each attempt should end after 300 ms", took)
	}
}
