package phupload

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/inject"
	"github.com/mapback/mapback/internal/posthog"
	"github.com/mapback/mapback/internal/posthogtest"
	"github.com/mapback/mapback/internal/testkit"
	"github.com/mapback/mapback/internal/testkit/testserver"
)

// injected copies the fixtures and injects them for PostHog.
func injected(t *testing.T) string {
	t.Helper()
	dst := testkit.Fixtures(t)
	r, err := inject.Run(context.Background(), inject.Options{Scan: dist.Options{Paths: []string{dst}}, Backends: inject.Backends{PostHog: true}})
	if err != nil || r.Count(inject.StatusModified) != 5 {
		t.Fatalf("inject: %v", err)
	}
	return dst
}

func newServer(t *testing.T, o posthogtest.Options) (*posthogtest.Server, *posthog.Client) {
	t.Helper()
	srv, url := testserver.PostHog(t, o)
	c, err := posthog.NewClient(posthog.ClientOptions{Host: url, ProjectID: "2", Token: "phx_test_token_0123456789abcdef",
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func count(reqs []posthogtest.Request, endpoint string) int {
	n := 0
	for _, r := range reqs {
		if r.Endpoint == endpoint {
			n++
		}
	}
	return n
}

func TestUploadFlow(t *testing.T) {
	dir := injected(t)
	srv, c := newServer(t, posthogtest.Options{Token: "phx_test_token_0123456789abcdef"})
	rep, err := Run(context.Background(), Options{Paths: []string{dir}, Client: c, BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count(StatusUploaded) != 5 || len(srv.ChunkIDs()) != 5 {
		t.Fatalf("%d uploaded, server holds %v", rep.Count(StatusUploaded), srv.ChunkIDs())
	}
	// The stored object is the injected bundle and its map, byte for byte.
	for _, ch := range rep.Chunks {
		data, ok := srv.Stored(ch.ChunkID)
		if !ok {
			t.Fatalf("%s not stored", ch.ChunkID)
		}
		src, m, err := posthog.DecodeSymbolData(data, 64<<20)
		wantSrc, _ := os.ReadFile(ch.Bundle)
		wantMap, _ := os.ReadFile(ch.Map)
		if err != nil || !bytes.Equal(src, wantSrc) || !bytes.Equal(m, wantMap) {
			t.Errorf("%s: stored object differs from the bundle and map (%v)", ch.Bundle, err)
		}
	}
	reqs := srv.Requests()
	if count(reqs, posthogtest.EndpointStart) != 3 || count(reqs, posthogtest.EndpointFinish) != 3 || count(reqs, posthogtest.EndpointObject) != 5 {
		t.Errorf("requests: %d start, %d object, %d finish; want 3, 5, 3 (batches of 2)", count(reqs, posthogtest.EndpointStart), count(reqs, posthogtest.EndpointObject), count(reqs, posthogtest.EndpointFinish))
	}

	// Again: the check says nothing is missing, nothing is sent.
	before := len(srv.Requests())
	rep, err = Run(context.Background(), Options{Paths: []string{dir}, Client: c})
	if err != nil || rep.Count(StatusPresent) != 5 {
		t.Fatalf("again: %v, %d present", err, rep.Count(StatusPresent))
	}
	if after := srv.Requests()[before:]; len(after) != 1 || after[0].Endpoint != posthogtest.EndpointCheck {
		t.Errorf("again sent %d requests, want only the check", len(after))
	}

	// A dry run sends nothing.
	before = len(srv.Requests())
	if rep, err := Run(context.Background(), Options{Paths: []string{dir}, DryRun: true}); err != nil || rep.Count(StatusWouldUpload) != 5 || len(srv.Requests()) != before {
		t.Errorf("dry run: %v", err)
	}
}

func TestUploadFailures(t *testing.T) {
	dir := injected(t)
	cases := []struct {
		name   string
		opts   posthogtest.Options
		faults []posthogtest.Fault
		errMsg string // "" : the upload succeeds
		check  func(t *testing.T, srv *posthogtest.Server, rep *Report)
	}{
		{name: "no check endpoint: everything sent", opts: posthogtest.Options{NoCheck: true}},
		{name: "check fails with 400: warned, everything sent",
			faults: []posthogtest.Fault{{Endpoint: posthogtest.EndpointCheck, Status: 400}},
			check: func(t *testing.T, _ *posthogtest.Server, rep *Report) {
				if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "sending every chunk") {
					t.Errorf("warnings %q", rep.Warnings)
				}
			}},
		{name: "429 then 503 on start: retried",
			faults: []posthogtest.Fault{{Endpoint: posthogtest.EndpointStart, Status: 429, Times: 1}, {Endpoint: posthogtest.EndpointStart, Status: 503, Times: 1}}},
		{name: "401: not retried", opts: posthogtest.Options{Token: "phx_the_right_token_0123456789ab"},
			errMsg: "HTTP 401",
			check: func(t *testing.T, srv *posthogtest.Server, _ *Report) {
				if n := count(srv.Requests(), posthogtest.EndpointCheck); n != 1 {
					t.Errorf("the check was sent %d times", n)
				}
			}},
		{name: "content hash mismatch", faults: []posthogtest.Fault{{Endpoint: posthogtest.EndpointStart, Status: 400,
			Body: `{"type":"validation_error","code":"content_hash_mismatch","detail":"Content hash mismatch","attr":null}`}},
			errMsg: "the server holds other content for a chunk ID"},
		{name: "release mismatch", faults: []posthogtest.Fault{{Endpoint: posthogtest.EndpointStart, Status: 400,
			Body: `{"type":"validation_error","code":"release_id_mismatch","detail":"Symbol set has already been uploaded for a different release","attr":null}`}},
			errMsg: "the server holds these chunks under another release"},
		{name: "an answer for a chunk not sent", faults: []posthogtest.Fault{{Endpoint: posthogtest.EndpointStart, Status: 201,
			Body: `{"id_map":{"not-ours":{"presigned_url":{"url":"http://127.0.0.1:1/x","fields":{}},"symbol_set_id":"x"}}}`}},
			errMsg: "which this upload did not send",
			check: func(t *testing.T, srv *posthogtest.Server, _ *Report) {
				if n := count(srv.Requests(), posthogtest.EndpointObject); n != 0 {
					t.Errorf("%d objects sent after a wrong answer", n)
				}
			}},
		{name: "object store refuses: the batch is not finished",
			faults: []posthogtest.Fault{{Endpoint: posthogtest.EndpointObject, Status: 403, Body: "<Error>AccessDenied</Error>"}},
			errMsg: "nothing of this batch was recorded",
			check: func(t *testing.T, srv *posthogtest.Server, _ *Report) {
				if n := count(srv.Requests(), posthogtest.EndpointFinish); n != 0 {
					t.Errorf("finish sent %d times", n)
				}
			}},
		{name: "object store drops connections: the fallback URL takes over",
			faults: []posthogtest.Fault{{Endpoint: posthogtest.EndpointObject, Drop: true}},
			check: func(t *testing.T, srv *posthogtest.Server, _ *Report) {
				if n := count(srv.Requests(), posthogtest.EndpointFallback); n != 5 {
					t.Errorf("%d objects went to the fallback URL, want 5", n)
				}
			}},
		{name: "finish fails", faults: []posthogtest.Fault{{Endpoint: posthogtest.EndpointFinish, Status: 400,
			Body: `{"type":"validation_error","code":"file_not_found","detail":"Object not found","attr":null}`}},
			errMsg: "did not record the uploaded symbol sets"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, c := newServer(t, tc.opts)
			for _, f := range tc.faults {
				srv.AddFault(f)
			}
			rep, err := Run(context.Background(), Options{Paths: []string{dir}, Client: c})
			switch {
			case tc.errMsg == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tc.errMsg == "" && len(srv.ChunkIDs()) != 5:
				t.Fatalf("server holds %d chunks", len(srv.ChunkIDs()))
			case tc.errMsg != "" && (err == nil || !strings.Contains(err.Error(), tc.errMsg)):
				t.Fatalf("err = %v, want %q", err, tc.errMsg)
			}
			if tc.check != nil {
				tc.check(t, srv, rep)
			}
		})
	}
}

// TestInterruptedUploadResumes: a run stopped after its first batch leaves
// the rest for the next run, which sends only that.
func TestInterruptedUploadResumes(t *testing.T) {
	dir := injected(t)
	srv, c := newServer(t, posthogtest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	srv.AddFault(posthogtest.Fault{Endpoint: posthogtest.EndpointStart, Delay: 200 * time.Millisecond})
	go func() {
		for count(srv.Requests(), posthogtest.EndpointFinish) < 1 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	_, err := Run(ctx, Options{Paths: []string{dir}, Client: c, BatchSize: 2})
	if !errors.Is(err, context.Canceled) && (err == nil || !strings.Contains(err.Error(), "canceled")) {
		t.Fatalf("interrupted run: %v", err)
	}
	stored := len(srv.ChunkIDs())
	if stored == 0 || stored == 5 {
		t.Fatalf("after the interruption the server holds %d chunks; want some, not all", stored)
	}
	srv2Before := count(srv.Requests(), posthogtest.EndpointObject)
	rep, err := Run(context.Background(), Options{Paths: []string{dir}, Client: c})
	if err != nil || len(srv.ChunkIDs()) != 5 {
		t.Fatalf("rerun: %v, %d stored", err, len(srv.ChunkIDs()))
	}
	if sent := count(srv.Requests(), posthogtest.EndpointObject) - srv2Before; sent != 5-stored || rep.Count(StatusPresent) != stored {
		t.Errorf("the rerun sent %d objects and found %d present; want %d and %d", sent, rep.Count(StatusPresent), 5-stored, stored)
	}
}
