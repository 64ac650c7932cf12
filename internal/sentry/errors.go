package sentry

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"unicode"
)

// HTTPError is a reply the server gave with a status that is not 2xx: an
// error status, or a redirect (redirects are never followed, so that the
// token is not carried to an address the user did not configure).
type HTTPError struct {
	Method string
	URL    string // without user info or query secrets
	Status int
	// Detail is the server's "detail" text, or a short sanitised excerpt of a
	// body that is not Sentry's JSON error shape; for a redirect, where it
	// points.
	Detail string
}

// Error reads like the reference client's message (docs/internals/upload-protocol.md §8) so
// that logs and scripts written for sentry-cli keep matching.
func (e *HTTPError) Error() string {
	return fmt.Sprintf("sentry reported an error: %s (http status: %d)", e.Detail, e.Status)
}

// Fix says what the user can do about the error, or "" when there is nothing
// specific to say.
func (e *HTTPError) Fix() string {
	switch e.Status {
	case http.StatusUnauthorized:
		return "The auth token is missing, invalid or expired. Create a token in Sentry " +
			"(Settings → Auth Tokens, or an organization token) and pass it with --auth-token " +
			"or the SENTRY_AUTH_TOKEN environment variable."
	case http.StatusForbidden:
		return "The auth token lacks the scopes this needs: use an organization token (scope org:ci) " +
			"or a user token with the project:releases scope, for this organization."
	case http.StatusNotFound:
		if strings.Contains(e.URL, "/api/0/projects/") {
			return "Check the organization slug (--org / SENTRY_ORG), the project slug (--project / " +
				"SENTRY_PROJECT) and the server URL (--url / SENTRY_URL)."
		}
		return "Check the organization slug (--org / SENTRY_ORG) and the server URL (--url / SENTRY_URL): " +
			"the server answers 404 when the organization does not exist there."
	case http.StatusRequestEntityTooLarge:
		return "The request was larger than a proxy in front of the server accepts. Raise the proxy's " +
			"request body limit to at least the server's maxRequestSize (32 MiB on sentry.io), " +
			"e.g. nginx client_max_body_size 40m."
	case http.StatusMovedPermanently, http.StatusFound:
		if e.Method == http.MethodPost {
			return "The server redirected the upload: Sentry does this when the project is not found, " +
				"or --url points at the wrong address (http instead of https, a missing path prefix)."
		}
		return "The server redirected the request: check --url (http instead of https, a missing path prefix)."
	}
	if e.Status >= 300 && e.Status < 400 {
		return "The server redirected the request: check --url."
	}
	return ""
}

// maxExcerpt bounds how much of a non-JSON error body goes into a message:
// enough to recognise a proxy's error page, not a screenful of HTML.
const maxExcerpt = 200

// The patterns compile on first use: package initialisation runs on every mapback command.
var (
	htmlTitle = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`) })
	htmlTag   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?s)<[^>]*>`) })
)

// errorDetail turns an error body into the text shown to the user. Sentry
// sends {"detail": "…"}; some endpoints send {"detail": {"message": …}};
// proxies send HTML or plain text, of which a short, single-line excerpt is
// kept. The result never contains control characters (no terminal escapes
// from a hostile server).
func errorDetail(status int, body []byte) string {
	var v struct {
		Detail json.RawMessage `json:"detail"`
	}
	jsonErr := json.Unmarshal(body, &v)
	if jsonErr == nil && string(v.Detail) == "null" {
		body = nil // {"detail": null} says nothing: use the status text
	}
	if jsonErr == nil && len(v.Detail) > 0 && string(v.Detail) != "null" {
		var s string
		if json.Unmarshal(v.Detail, &s) == nil {
			return sanitise(s, 1000)
		}
		var m struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(v.Detail, &m) == nil && m.Message != "" {
			return sanitise(m.Message, 1000)
		}
		return sanitise(string(v.Detail), maxExcerpt)
	}
	text := string(body)
	if t := htmlTitle().FindStringSubmatch(text); t != nil {
		text = t[1]
	} else if strings.Contains(text, "<") {
		text = htmlTag().ReplaceAllString(text, " ")
	}
	if s := sanitise(text, maxExcerpt); s != "" {
		return s
	}
	if s := http.StatusText(status); s != "" {
		return s
	}
	return "no details"
}

// sanitise collapses whitespace, drops control and invalid characters and
// cuts the text to max runes with an ellipsis.
func sanitise(s string, max int) string {
	var b strings.Builder
	n, space := 0, false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case r == unicode.ReplacementChar || !unicode.IsPrint(r):
			continue
		}
		if n >= max {
			b.WriteString("…")
			break
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
			n++
		}
		space = false
		b.WriteRune(r)
		n++
	}
	return b.String()
}
