// Package sentry is the HTTP client for Sentry's chunk-upload protocol
// (docs/internals/upload-protocol.md): the capability request, chunk POSTs,
// artifact bundle assembly, and the artifact lookup used to find bundles.
//
// Every request carries the Bearer token, is retried for what can succeed on
// retry (network errors, 429, 502, 503, 504, 507, 524) with the reference
// client's backoff, and fails with a typed *HTTPError that says how to fix it.
// Bodies are built in memory before sending, so a retry resends the same
// bytes. Redirects are never followed.
//
// A bare section number (§5.1) in this package's comments is one of docs/internals/upload-protocol.md.
package sentry

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/mapback/mapback/internal/httpclient"
)

// Options configure a Client.
type Options struct {
	// BaseURL is the server, scheme and host only: https://sentry.io or
	// http://127.0.0.1:8080. Trailing slashes are trimmed.
	BaseURL   string
	Token     string
	UserAgent string // e.g. "mapback/1.2.3"
	// Headers are sent on every request after the standard ones (--header K:V);
	// a name given here replaces the standard header of that name.
	Headers http.Header
	// MaxRetries is how many times a failed request is sent again; <0 is 0.
	MaxRetries int
	// IdleTimeout bounds how long a connection may make no progress, sending
	// or receiving, and how long a JSON reply may take to arrive whole once
	// its headers have; 0 is DefaultIdleTimeout. It applies to the default
	// HTTP client (a caller's own HTTPClient keeps its own settings, but the
	// JSON reply bound still applies).
	IdleTimeout time.Duration
	// HTTPClient sends the requests; nil is a client made for uploads (see
	// defaultHTTPClient). Its redirect policy is replaced: redirects are never
	// followed.
	HTTPClient *http.Client
	// Logger gets a debug line per request, and a warning, once per host,
	// when the token goes over plain http to a host that is not loopback
	// (see InsecureTokenWarning); nil discards.
	Logger *slog.Logger
	// Sleep waits between attempts; nil waits on a timer, returning early
	// with ctx.Err() when ctx is done. Tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client talks to one Sentry server. It is safe for concurrent use.
type Client struct {
	base       *url.URL // validated; no trailing slash, no path
	baseStr    string   // base.String(); may hold user info, so never shown
	token      string
	userAgent  string
	headers    http.Header
	maxRetries int
	hc         *http.Client
	idle       time.Duration
	log        *slog.Logger
	sleep      func(ctx context.Context, d time.Duration) error
	now        func() time.Time

	warnMu sync.Mutex
	warned map[string]bool // hosts already warned about by warnInsecure
}

// New checks the options and returns a Client.
func New(opts Options) (*Client, error) {
	base, err := parseBaseURL(opts.BaseURL)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:       base,
		baseStr:    base.String(),
		token:      opts.Token,
		userAgent:  opts.UserAgent,
		headers:    opts.Headers.Clone(),
		maxRetries: max(opts.MaxRetries, 0),
		log:        opts.Logger,
		sleep:      opts.Sleep,
		now:        time.Now,
	}
	c.idle = opts.IdleTimeout
	if c.idle <= 0 {
		c.idle = DefaultIdleTimeout
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = defaultHTTPClient(c.idle)
	} else {
		copied := *hc
		hc = &copied
	}
	// A redirect is reported, not followed: Sentry answers a chunk POST for
	// an unknown project with 302 (docs/internals/upload-protocol.md §5), and following a
	// redirect would turn a POST into a GET and could carry the token to an
	// address nobody configured.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.hc = hc
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	return c, nil
}

// DefaultIdleTimeout is how long a connection may go without progress
// (httpclient).
const DefaultIdleTimeout = httpclient.DefaultIdleTimeout

// defaultHTTPClient keeps idle connections for the 32 parallel requests an
// upload may send to one host.
func defaultHTTPClient(idle time.Duration) *http.Client { return httpclient.New(idle, 32) }

// parseBaseURL applies docs/internals/upload-protocol.md §1: scheme and host (with an
// optional port) only, after trimming trailing slashes.
func parseBaseURL(raw string) (*url.URL, error) {
	trimmed := strings.TrimRight(strings.TrimSpace(raw), "/")
	bad := func(why string) error {
		return fmt.Errorf("invalid Sentry URL %q: %s; use the server's root, such as https://sentry.io or http://127.0.0.1:8080",
			redactURLString(raw), why)
	}
	if trimmed == "" {
		return nil, bad("it is empty")
	}
	u, err := url.Parse(trimmed)
	switch {
	case err != nil:
		return nil, bad("it does not parse")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, bad("it must start with https:// or http://")
	case u.Host == "" || u.Opaque != "":
		return nil, bad("it has no host")
	case u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return nil, bad("it must not have a path, query or fragment (the API path is added by mapback)")
	}
	return u, nil
}

// Server is the server's base URL (scheme and host), which identifies it for what a client
// remembers about it, such as how fast uploads reached it.
func (c *Client) Server() string { return c.base.String() }

// apiURL is {base}/api/0/<path>; the path parts are escaped.
func (c *Client) apiURL(format string, parts ...string) string {
	esc := make([]any, len(parts))
	for i, p := range parts {
		esc[i] = url.PathEscape(p)
	}
	return c.baseStr + "/api/0/" + fmt.Sprintf(format, esc...)
}

// resolveURL turns a URL the server handed out (the capability url, a lookup
// download url) into an absolute one. Relative values resolve against
// {base}/api/0/ with an optional leading "api/0/" (§1, §3). An absolute URL
// may point at another host (Sentry's region hosts), but never at plain http
// when the base is https: the token would travel unencrypted.
func (c *Client) resolveURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("server sent an invalid URL %q: %w", sanitise(raw, maxExcerpt), err)
	}
	if !u.IsAbs() {
		if u.Host != "" { // "//host/path"
			return nil, fmt.Errorf("server sent a URL without a scheme: %q", redactURL(u))
		}
		rel := strings.TrimPrefix(strings.TrimLeft(raw, "/"), "api/0/")
		return url.Parse(c.baseStr + "/api/0/" + rel)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("server sent a URL that is not http(s): %q", redactURL(u))
	}
	if c.base.Scheme == "https" && u.Scheme == "http" {
		return nil, fmt.Errorf("server sent a plain http URL %q while %s uses https; refusing to send the auth token unencrypted",
			redactURL(u), redactURL(c.base))
	}
	return u, nil
}

// warnInsecure logs a warning, once per host, when u would carry the token
// unencrypted: plain http to a host that is not loopback. resolveURL already
// refuses plain http when the base is https; this covers an http base on
// another machine and an http URL from the server (a capability or lookup
// URL naming another host while --url is a loopback tunnel). The token itself
// is never logged.
func (c *Client) warnInsecure(ctx context.Context, u *url.URL) {
	if c.token == "" || u == nil || u.Scheme != "http" {
		return
	}
	host := strings.ToLower(u.Hostname())
	if host == "" || isLoopback(host) {
		return
	}
	c.warnMu.Lock()
	if c.warned[host] {
		c.warnMu.Unlock()
		return
	}
	if c.warned == nil {
		c.warned = map[string]bool{}
	}
	c.warned[host] = true
	c.warnMu.Unlock()
	msg := insecureTokenMessage(host)
	if !strings.EqualFold(u.Hostname(), c.base.Hostname()) {
		// The server named this host, so --url cannot fix it.
		msg = fmt.Sprintf("the auth token will be sent unencrypted over http to %s, a URL the server at %s sent; "+
			"serve Sentry over https", sanitise(host, maxExcerpt), redactURL(c.base))
	}
	c.log.WarnContext(ctx, msg)
}
