// Package httpclient builds the HTTP clients mapback's backends talk to
// their servers with: connections reused, connecting bounded, and every read
// and write on a connection bounded by an idle timeout, so a server that
// stops answering, or a network that stops carrying, fails the request
// (which the caller may retry) instead of holding the run. The caller's
// context bounds the whole operation (--timeout).
package httpclient

import (
	"context"
	"net"
	"net/http"
	"time"
)

// DefaultIdleTimeout is how long a connection may go without progress.
const DefaultIdleTimeout = 60 * time.Second

// New returns a client for uploads: HTTP/1.1 (parallel uploads then use
// parallel TCP connections rather than sharing one HTTP/2 window), proxies
// from the environment, idle connections kept for perHost parallel
// requests, and idle (0: DefaultIdleTimeout) as the bound on silence.
func New(idle time.Duration, perHost int) *http.Client {
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{Transport: &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &idleConn{Conn: conn, idle: idle}, nil
		},
		TLSHandshakeTimeout: 15 * time.Second,
		// Counted from the end of the request body: a server stores what it
		// received before it answers. The idle bound ends it sooner when no
		// byte comes at all.
		ResponseHeaderTimeout: 3 * time.Minute,
		MaxIdleConns:          2 * perHost,
		MaxIdleConnsPerHost:   perHost,
		IdleConnTimeout:       90 * time.Second,
	}}
}

// idleConn fails a read or write that makes no progress for idle: the
// deadline moves forward as the connection is used, so only silence counts,
// not slowness. It is moved at most every idle/8, not on every call: an
// upload makes many small writes.
type idleConn struct {
	net.Conn
	idle            time.Duration
	readAt, writeAt time.Time // when each deadline was last moved
}

func (c *idleConn) Read(p []byte) (int, error) {
	if now := time.Now(); now.Sub(c.readAt) > c.idle/8 {
		c.readAt = now
		_ = c.SetReadDeadline(now.Add(c.idle)) // a closed conn fails the Read itself
	}
	return c.Conn.Read(p)
}

func (c *idleConn) Write(p []byte) (int, error) {
	if now := time.Now(); now.Sub(c.writeAt) > c.idle/8 {
		c.writeAt = now
		_ = c.SetWriteDeadline(now.Add(c.idle))
	}
	return c.Conn.Write(p)
}

// Sleep waits for d, or until ctx is done (then its error): the wait
// between two tries of a request.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
