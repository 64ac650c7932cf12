package sentry

import (
	"net/url"
	"regexp"
	"strings"
	"sync"
)

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
