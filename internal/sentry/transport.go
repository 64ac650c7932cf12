package sentry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

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
