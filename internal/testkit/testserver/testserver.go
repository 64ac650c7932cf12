// Package testserver starts the faithful in-process test servers, internal/sentrytest and
// internal/posthogtest, on a loopback port for the length of a test. It is apart from testkit
// because it imports them: the packages they are built on can still use testkit in their own tests.
//
// Only _test.go files import it (a depguard rule in .ci/golangci.yml says so).
package testserver

import (
	"net/http/httptest"
	"testing"

	"github.com/mapback/mapback/internal/posthogtest"
	"github.com/mapback/mapback/internal/sentrytest"
)

// Sentry starts a sentrytest server with opts (its store in a new temporary directory when
// opts.Dir is empty) and returns it and its base URL. Both stop when the test ends.
func Sentry(t testing.TB, opts sentrytest.Options) (*sentrytest.Server, string) {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	srv, err := sentrytest.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	// Cleanups run last-in first-out: the server closes first (which ends pending fault delays),
	// then the listener, which waits for the handlers.
	t.Cleanup(ts.Close)
	t.Cleanup(func() { _ = srv.Close() })
	return srv, ts.URL
}

// PostHog starts a posthogtest server with opts and returns it and its base URL. It stops when the
// test ends.
func PostHog(t testing.TB, opts posthogtest.Options) (*posthogtest.Server, string) {
	t.Helper()
	srv, err := posthogtest.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return srv, ts.URL
}
