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
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
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

// apiURL is {base}/api/0/<path>; the path parts are escaped.
// Server is the server's base URL (scheme and host), which identifies it for what a client
// remembers about it, such as how fast uploads reached it.
func (c *Client) Server() string { return c.base.String() }

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

// request is one logical call; do sends it until it succeeds or retrying is
// pointless.
type request struct {
	method      string
	url         *url.URL
	body        [][]byte // segments sent back to back; nil for GET
	contentType string
	// sink receives a 2xx body. nil discards it.
	sink io.Writer
	// restartSink empties sink before another attempt. nil means the sink
	// cannot be rewound, so a body that breaks off after bytes reached the
	// sink is not retried.
	restartSink func()
	// onSent, when set, is called with the body bytes the current attempt
	// has handed to the transport so far (for progress).
	onSent func(n int64)
	// small marks a reply that must arrive whole within the idle timeout
	// (JSON replies; not downloads).
	small bool
}

// errSlowReply is a reply that trickled in too slowly: a timeout, so it is
// retried like one.
var errSlowReply = slowReplyError{}

type slowReplyError struct{}

func (slowReplyError) Error() string   { return "reply too slow" }
func (slowReplyError) Timeout() bool   { return true }
func (slowReplyError) Temporary() bool { return true }

// do sends r, retrying per retry.go. It returns nil after a 2xx reply whose
// body reached the sink, an *HTTPError for another status, or a transport
// error. Every response body is drained and closed.
func (c *Client) do(ctx context.Context, r request) error {
	c.warnInsecure(ctx, r.url)
	var bodyLen int64
	for _, seg := range r.body {
		bodyLen += int64(len(seg))
	}
	logURL := redactURL(r.url)
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s %s: %w", r.method, logURL, err)
		}
		req, err := c.newRequest(ctx, r, bodyLen)
		if err != nil {
			return err
		}
		start := time.Now()
		resp, err := c.hc.Do(req)
		var (
			delay     time.Duration
			retryable bool
		)
		if err != nil {
			c.log.DebugContext(ctx, "http request", "method", r.method, "url", logURL, "error", c.scrub(err.Error()),
				"duration", time.Since(start), "attempt", attempt)
			if ctx.Err() != nil {
				return fmt.Errorf("%s %s: %w", r.method, logURL, ctx.Err())
			}
			retryable = retryableNetError(err)
			err = c.scrubErr(err)
		} else {
			var written int64
			written, err = c.readResponse(resp, r, logURL)
			c.log.DebugContext(ctx, "http request", "method", r.method, "url", logURL, "status", resp.StatusCode,
				"duration", time.Since(start), "attempt", attempt)
			if err == nil {
				return nil
			}
			var he *HTTPError
			switch {
			case errors.As(err, &he):
				retryable = retryableStatus(he.Status)
				delay, _ = retryAfter(resp.Header, c.now())
			case ctx.Err() != nil:
				return fmt.Errorf("%s %s: %w", r.method, logURL, ctx.Err())
			case written == 0 || r.restartSink != nil:
				// The reply broke off mid-body: the connection is the
				// problem, not the request.
				retryable = retryableNetError(err)
			}
		}
		if !retryable || attempt > c.maxRetries {
			// The last HTTPError goes back as it is, so its message matches
			// the reference client's; a transport error says it was retried.
			var he *HTTPError
			if retryable && attempt > 1 && !errors.As(err, &he) {
				return fmt.Errorf("%w (gave up after %d attempts)", err, attempt)
			}
			return err
		}
		if delay == 0 {
			delay = withJitter(backoff(attempt - 1))
		}
		c.log.DebugContext(ctx, "retrying http request", "method", r.method, "url", logURL, "error", c.scrub(err.Error()),
			"delay", delay, "attempt", attempt)
		if serr := c.sleep(ctx, delay); serr != nil {
			if ctx.Err() != nil {
				serr = ctx.Err()
			}
			return fmt.Errorf("%s %s: %w (while waiting to retry: %v)", r.method, logURL, serr, err)
		}
		if r.restartSink != nil {
			r.restartSink()
		}
	}
}

func (c *Client) newRequest(ctx context.Context, r request, bodyLen int64) (*http.Request, error) {
	var body io.Reader
	if r.body != nil {
		body = countSent(segmentsReader(r.body), r.onSent)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url.String(), body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.method, redactURL(r.url), err)
	}
	if r.body != nil {
		// Content-Length always, never chunked (§2); GetBody lets the
		// transport resend on its own reconnects.
		req.ContentLength = bodyLen
		segs := r.body
		req.GetBody = func() (io.ReadCloser, error) {
			return io.NopCloser(countSent(segmentsReader(segs), r.onSent)), nil
		}
		if bodyLen == 0 {
			req.Body = http.NoBody
		}
		req.Header.Set("Content-Type", r.contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("Accept", "*/*")
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	for k, vs := range c.headers {
		if http.CanonicalHeaderKey(k) == "Host" && len(vs) > 0 {
			req.Host = vs[0]
			continue
		}
		req.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	return req, nil
}

// countSent wraps a request body so that onSent sees the running count of bytes read from it;
// without onSent it returns r itself.
func countSent(r io.Reader, onSent func(int64)) io.Reader {
	if onSent == nil {
		return r
	}
	return &sentCounter{r: r, onSent: onSent}
}

type sentCounter struct {
	r      io.Reader
	n      int64
	onSent func(int64)
}

func (c *sentCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.n += int64(n)
		c.onSent(c.n)
	}
	return n, err
}

func segmentsReader(segs [][]byte) io.Reader {
	b := make(net.Buffers, len(segs))
	copy(b, segs)
	return &b
}

// maxErrorBody bounds what is read of an error reply; maxDrain bounds what
// is read past a reply's end to keep the connection reusable.
const (
	maxErrorBody = 64 << 10
	maxDrain     = 256 << 10
)

// readResponse consumes resp: a 2xx body goes to r.sink, anything else
// becomes an *HTTPError. written counts bytes that reached the sink.
func (c *Client) readResponse(resp *http.Response, r request, logURL string) (written int64, err error) {
	defer func() {
		_, _ = io.CopyN(io.Discard, resp.Body, maxDrain)
		_ = resp.Body.Close()
	}()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		sink := r.sink
		if sink == nil {
			sink = io.Discard
		}
		var slow *time.Timer
		if r.small {
			// A JSON reply is a few kilobytes: one that trickles in (a byte a
			// second keeps a connection from ever being idle) is cut off.
			slow = time.AfterFunc(c.idle, func() { _ = resp.Body.Close() })
		}
		written, err = io.Copy(sink, resp.Body)
		if slow != nil && !slow.Stop() && err != nil {
			return written, fmt.Errorf("%s %s: the reply did not arrive whole within %s: %w", r.method, logURL, c.idle, errSlowReply)
		}
		if err != nil {
			return written, fmt.Errorf("%s %s: reading the reply: %w", r.method, logURL, c.scrubErr(err))
		}
		return written, nil
	}
	he := &HTTPError{Method: r.method, URL: logURL, Status: resp.StatusCode}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		he.Detail = "redirected"
		if loc := resp.Header.Get("Location"); loc != "" {
			if lu, perr := r.url.Parse(loc); perr == nil {
				he.Detail = "redirected to " + redactURL(lu)
			}
		}
	} else {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		he.Detail = c.scrub(errorDetail(resp.StatusCode, body))
	}
	return 0, he
}

// scrub removes the token from text that came from the network or from
// errors that may quote the request (a proxy echoing headers).
func (c *Client) scrub(s string) string {
	if c.token == "" {
		return s
	}
	return strings.ReplaceAll(s, c.token, "[redacted]")
}

// scrubErr keeps err (for errors.Is) unless its text would leak the token.
func (c *Client) scrubErr(err error) error {
	if c.token == "" || !strings.Contains(err.Error(), c.token) {
		return err
	}
	return &scrubbedError{msg: c.scrub(err.Error()), err: err}
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// safeQueryKeys are query parameters that carry no secret and help when
// reading a log; any other value is replaced.
var safeQueryKeys = map[string]bool{"debug_id": true, "download": true, "release": true, "dist": true, "url": true}

// redactURL renders u for logs and errors: no password, and query values
// other than the known harmless ones replaced (a presigned URL's signature,
// a token someone put in a query).
func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	cp := *u
	if cp.RawQuery != "" {
		q := cp.Query()
		for k, vs := range q {
			if !safeQueryKeys[k] {
				for i := range vs {
					vs[i] = "REDACTED"
				}
			}
		}
		cp.RawQuery = q.Encode()
	}
	return cp.Redacted()
}

// redactURLString is redactURL for a URL as the user typed it; it is shown
// as typed unless it carries a password or a query.
func redactURLString(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return sanitise(userPassword().ReplaceAllString(raw, "${1}xxxxx@"), maxExcerpt)
	}
	if u.User == nil && u.RawQuery == "" {
		return sanitise(raw, maxExcerpt)
	}
	return redactURL(u)
}

// userPassword finds the password of a URL that url.Parse rejects.
var userPassword = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(://[^/@]*:)[^/@]*@`) })

// maxJSONReply bounds a JSON reply held in memory; the largest legitimate
// one (an artifact lookup listing many bundles) is far smaller.
const maxJSONReply = 32 << 20

// doJSON sends r and decodes a 2xx JSON reply into out. what names the
// reply in errors ("chunk-upload", "assemble", "artifact-lookup"); array says
// whether the reply must be a JSON array rather than an object. A reply of
// the wrong shape fails with a plain message that names the request and
// the server, never a Go type.
func (c *Client) doJSON(ctx context.Context, r request, what string, array bool, out any) error {
	var buf bytes.Buffer
	r.sink = &limitedWriter{w: &buf, n: maxJSONReply}
	r.restartSink = buf.Reset
	r.small = true
	if err := c.do(ctx, r); err != nil {
		return err
	}
	return c.decodeJSON(buf.Bytes(), r, what, array, out)
}

// decodeJSON is doJSON's decoding half.
func (c *Client) decodeJSON(data []byte, r request, what string, array bool, out any) error {
	want, open := "object", byte('{')
	if array {
		want, open = "array", '['
	}
	notSentry := fmt.Sprintf("is %s a Sentry server?", redactURL(c.base))
	trimmed := bytes.TrimSpace(data)
	if !json.Valid(trimmed) {
		return fmt.Errorf("the %s reply (%s %s) is not JSON: %s", what, r.method, redactURL(r.url), notSentry)
	}
	if trimmed[0] != open {
		return fmt.Errorf("the %s reply (%s %s) is not a JSON %s but %s: %s",
			what, r.method, redactURL(r.url), want, jsonKind(trimmed[0]), notSentry)
	}
	err := json.Unmarshal(trimmed, out)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "an element"
		} else {
			field = fmt.Sprintf("field %q", sanitise(field, 80))
		}
		return fmt.Errorf("the %s reply (%s %s) has %s of the wrong type (%s where %s is expected): %s",
			what, r.method, redactURL(r.url), field, sanitise(te.Value, 40), goKind(te.Type.Kind()), notSentry)
	}
	return fmt.Errorf("the %s reply (%s %s) could not be read: %s: %s",
		what, r.method, redactURL(r.url), c.scrub(sanitise(err.Error(), maxExcerpt)), notSentry)
}

// jsonKind names the JSON value that starts with b (valid JSON assumed).
func jsonKind(b byte) string {
	switch b {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// goKind names, in JSON terms, what a Go type decodes from.
func goKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "another type"
}

type limitedWriter struct {
	w io.Writer
	n int64
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.n {
		return 0, fmt.Errorf("reply larger than %d bytes", maxJSONReply)
	}
	l.n -= int64(len(p))
	return l.w.Write(p)
}

// ChunkOptions is the server's capability reply (docs/internals/upload-protocol.md §3).
type ChunkOptions struct {
	URL              string   // absolute chunk POST URL, resolved against the base
	ChunkSize        int64    // bytes per chunk, > 0
	ChunksPerRequest int      // most chunks per POST
	MaxRequestSize   int64    // most uncompressed chunk bytes per POST
	Concurrency      int      // POSTs in flight; 0 from the server becomes 1
	HashAlgorithm    string   // always "sha1"
	Compression      []string // e.g. ["gzip"]; empty: raw parts
	MaxFileSize      int64    // 0 when absent
	MaxWait          int      // seconds; 0 when absent
	Accept           []string // informational; 3.x clients ignore it
}

// Gzip says whether chunks are sent as gzip parts (file_gzip).
func (o *ChunkOptions) Gzip() bool {
	for _, c := range o.Compression {
		if c == "gzip" {
			return true
		}
	}
	return false
}

// ChunkUploadOptions asks the server how to upload (GET …/chunk-upload/).
func (c *Client) ChunkUploadOptions(ctx context.Context, org string) (*ChunkOptions, error) {
	u, err := url.Parse(c.apiURL("organizations/%s/chunk-upload/", org))
	if err != nil {
		return nil, err
	}
	// Pointers tell a missing required field from a zero value.
	var raw struct {
		URL              *string  `json:"url"`
		ChunkSize        *int64   `json:"chunkSize"`
		ChunksPerRequest *int     `json:"chunksPerRequest"`
		MaxRequestSize   *int64   `json:"maxRequestSize"`
		Concurrency      *int     `json:"concurrency"`
		HashAlgorithm    *string  `json:"hashAlgorithm"`
		Compression      []string `json:"compression"`
		MaxFileSize      int64    `json:"maxFileSize"`
		MaxWait          int      `json:"maxWait"`
		Accept           []string `json:"accept"`
	}
	if err := c.doJSON(ctx, request{method: http.MethodGet, url: u}, "chunk-upload", false, &raw); err != nil {
		return nil, err
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("the server's chunk-upload options (%s) are unusable: %s", redactURL(u), fmt.Sprintf(format, args...))
	}
	for _, f := range []struct {
		name    string
		missing bool
	}{
		{"url", raw.URL == nil},
		{"chunkSize", raw.ChunkSize == nil},
		{"chunksPerRequest", raw.ChunksPerRequest == nil},
		{"maxRequestSize", raw.MaxRequestSize == nil},
		{"concurrency", raw.Concurrency == nil},
		{"hashAlgorithm", raw.HashAlgorithm == nil},
	} {
		if f.missing {
			return nil, bad("required field %q is missing (is this a Sentry server?)", f.name)
		}
	}
	switch {
	case *raw.HashAlgorithm != "sha1":
		return nil, bad("hashAlgorithm %q is not supported, only \"sha1\"", sanitise(*raw.HashAlgorithm, 40))
	case *raw.ChunkSize <= 0:
		return nil, bad("chunkSize %d must be positive", *raw.ChunkSize)
	case *raw.ChunksPerRequest < 0:
		return nil, bad("chunksPerRequest %d is negative", *raw.ChunksPerRequest)
	case *raw.MaxRequestSize < 0:
		return nil, bad("maxRequestSize %d is negative", *raw.MaxRequestSize)
	case *raw.Concurrency < 0 || *raw.Concurrency > 255:
		return nil, bad("concurrency %d is not in 0–255", *raw.Concurrency)
	}
	chunkURL, err := c.resolveURL(*raw.URL)
	if err != nil {
		return nil, bad("%v", err)
	}
	return &ChunkOptions{
		URL:              chunkURL.String(),
		ChunkSize:        *raw.ChunkSize,
		ChunksPerRequest: *raw.ChunksPerRequest,
		MaxRequestSize:   *raw.MaxRequestSize,
		Concurrency:      max(*raw.Concurrency, 1), // §3: mapback treats 0 as 1
		HashAlgorithm:    *raw.HashAlgorithm,
		Compression:      raw.Compression,
		MaxFileSize:      raw.MaxFileSize,
		MaxWait:          raw.MaxWait,
		Accept:           raw.Accept,
	}, nil
}

// AssembleRequest is the assemble body (§7.1); the field order is the wire
// key order.
type AssembleRequest struct {
	Checksum string   `json:"checksum"`
	Chunks   []string `json:"chunks"`
	Projects []string `json:"projects"`
	Version  string   `json:"version,omitempty"`
	Dist     string   `json:"dist,omitempty"`
}

// AssembleResponse is the assemble reply (§7.2). State is passed on as the
// server sent it; what each state means for the upload is the caller's call.
type AssembleResponse struct {
	State         string   `json:"state"`
	MissingChunks []string `json:"missingChunks"`
	Detail        string   `json:"detail"` // "" when absent or null
}

// AssembleArtifactBundle asks the server to assemble a bundle from chunks
// (POST …/artifactbundle/assemble/); the reply lists the chunks it lacks.
func (c *Client) AssembleArtifactBundle(ctx context.Context, org string, req AssembleRequest) (*AssembleResponse, error) {
	u, err := url.Parse(c.apiURL("organizations/%s/artifactbundle/assemble/", org))
	if err != nil {
		return nil, err
	}
	// The server rejects null for these arrays; send [] instead.
	if req.Chunks == nil {
		req.Chunks = []string{}
	}
	if req.Projects == nil {
		req.Projects = []string{}
	}
	body, err := json.Marshal(req) // compact, struct field order
	if err != nil {
		return nil, err
	}
	var raw struct {
		State         *string   `json:"state"`
		MissingChunks *[]string `json:"missingChunks"`
		Detail        *string   `json:"detail"`
	}
	r := request{method: http.MethodPost, url: u, body: [][]byte{body}, contentType: "application/json"}
	if err := c.doJSON(ctx, r, "assemble", false, &raw); err != nil {
		return nil, err
	}
	switch {
	case raw.State == nil:
		return nil, fmt.Errorf("the server's assemble reply (%s) has no \"state\"", redactURL(u))
	case raw.MissingChunks == nil:
		return nil, fmt.Errorf("the server's assemble reply (%s) has no \"missingChunks\" list (is this a Sentry server?)", redactURL(u))
	}
	resp := &AssembleResponse{State: *raw.State, MissingChunks: *raw.MissingChunks}
	if raw.Detail != nil {
		resp.Detail = *raw.Detail
	}
	return resp, nil
}

// LookupEntry is one artifact the server knows for a debug ID (§12).
type LookupEntry struct {
	ID           string            `json:"id"`   // artifact_bundle/<id> or release_file/<id>
	Type         string            `json:"type"` // bundle or file
	URL          string            `json:"url"`  // download URL (Bearer-authenticated)
	ResolvedWith string            `json:"resolved_with"`
	AbsPath      string            `json:"abs_path"` // file entries only
	Headers      map[string]string `json:"headers"`  // file entries only
}

// ArtifactLookup lists the artifacts that hold files for debugID
// (GET /api/0/projects/{org}/{project}/artifact-lookup/?debug_id=…).
func (c *Client) ArtifactLookup(ctx context.Context, org, project, debugID string) ([]LookupEntry, error) {
	u, err := url.Parse(c.apiURL("projects/%s/%s/artifact-lookup/", org, project))
	if err != nil {
		return nil, err
	}
	u.RawQuery = url.Values{"debug_id": {debugID}}.Encode()
	var entries []LookupEntry
	if err := c.doJSON(ctx, request{method: http.MethodGet, url: u}, "artifact-lookup", true, &entries); err != nil {
		return nil, err
	}
	return entries, nil
}

// Download writes the artifact at url (a LookupEntry.URL) to w. A reply that
// breaks off is retried only while nothing has been written to w.
func (c *Client) Download(ctx context.Context, rawURL string, w io.Writer) error {
	u, err := c.resolveURL(rawURL)
	if err != nil {
		return err
	}
	return c.do(ctx, request{method: http.MethodGet, url: u, sink: w})
}
