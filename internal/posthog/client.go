package posthog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mapback/mapback/internal/httpclient"
)

// DefaultHost is PostHog's US cloud, where its CLI points by default.
const DefaultHost = "https://us.posthog.com"

// ClientOptions configure a Client.
type ClientOptions struct {
	Host      string // e.g. https://eu.posthog.com or a self-hosted instance; "" is DefaultHost
	ProjectID string // the project (environment) ID, a number
	Token     string // a personal API key, phx_…
	UserAgent string
	// Attempts is how many times a request that may succeed again (a
	// transport error, 429, 5xx) is sent; 0 is 3, PostHog CLI's number.
	Attempts int
	// HTTPClient sends the API requests and object POSTs; nil is one made
	// by httpclient with IdleTimeout.
	HTTPClient  *http.Client
	IdleTimeout time.Duration
	Logger      *slog.Logger
	// Sleep waits between attempts; tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client talks to PostHog's symbol-set API and the object store its
// presigned POSTs name. It is safe for concurrent use.
type Client struct {
	base     *url.URL // …/api/projects/{id}/
	opts     ClientOptions
	hc       *http.Client
	log      *slog.Logger
	attempts int
	sleep    func(ctx context.Context, d time.Duration) error
}

// NewClient checks the options.
func NewClient(o ClientOptions) (*Client, error) {
	host := strings.TrimSpace(o.Host)
	if host == "" {
		host = DefaultHost
	}
	u, err := url.Parse(host)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid PostHog host %q: use the instance's URL, such as https://eu.posthog.com", host)
	}
	if _, err := strconv.ParseUint(strings.TrimSpace(o.ProjectID), 10, 32); err != nil {
		return nil, fmt.Errorf("invalid PostHog project ID %q: it is the number in your project's URL (…/project/12345)", o.ProjectID)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/api/projects/" + strings.TrimSpace(o.ProjectID) + "/"
	u.RawQuery, u.Fragment = "", ""
	c := &Client{base: u, opts: o, hc: o.HTTPClient, log: o.Logger, attempts: o.Attempts, sleep: o.Sleep}
	if c.hc == nil {
		c.hc = httpclient.New(o.IdleTimeout, 16)
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.attempts <= 0 {
		c.attempts = 3
	}
	if c.sleep == nil {
		c.sleep = httpclient.Sleep
	}
	return c, nil
}

// Host is the server, for messages (no credentials in it).
func (c *Client) Host() string { return c.base.Scheme + "://" + c.base.Host }

// APIError is a non-2xx answer. Code is the error body's "code" when it is
// PostHog's (Django REST framework's) error format.
type APIError struct {
	Method, URL string
	Status      int
	Code        string
	Detail      string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("%s %s: HTTP %d", e.Method, e.URL, e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Fix says what to do about the common answers.
func (e *APIError) Fix() string {
	switch {
	case e.Status == http.StatusUnauthorized:
		return "the personal API key is missing, wrong or revoked: create one in PostHog (Settings → Personal API keys) with error tracking write access, and set POSTHOG_CLI_API_KEY"
	case e.Status == http.StatusForbidden:
		return "the personal API key lacks error tracking write access to this project, or the project ID (POSTHOG_CLI_PROJECT_ID) is another team's"
	case e.Status == http.StatusNotFound:
		return "check the project ID (POSTHOG_CLI_PROJECT_ID) and the host (POSTHOG_CLI_HOST, e.g. https://eu.posthog.com)"
	case e.Code == "content_hash_mismatch":
		return "the server holds other content for this chunk ID; rebuild and inject again"
	}
	return ""
}

// retryable reports whether the same request may succeed later.
func retryable(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status == http.StatusTooManyRequests || ae.Status >= 500
	}
	return err != nil
}

// UploadEntry is one chunk in a check or start request.
type UploadEntry struct {
	ChunkID     string  `json:"chunk_id"`
	ReleaseID   *string `json:"release_id"`
	ContentHash string  `json:"content_hash"`
}

type uploadRequest struct {
	SymbolSets     []UploadEntry `json:"symbol_sets"`
	Force          bool          `json:"force"`
	SkipOnConflict bool          `json:"skip_on_conflict"`
}

// CheckUpload asks which chunks the server lacks. supported is false when
// the server has no such endpoint (403, 404, 405): then every chunk is sent.
func (c *Client) CheckUpload(ctx context.Context, entries []UploadEntry, force bool) (need []string, supported bool, err error) {
	var out struct {
		ChunkIDs []string `json:"chunk_ids_to_upload"`
	}
	err = c.doJSON(ctx, "error_tracking/symbol_sets/bulk_check_upload", uploadRequest{SymbolSets: entries, Force: force}, &out)
	var ae *APIError
	if errors.As(err, &ae) && (ae.Status == 403 || ae.Status == 404 || ae.Status == 405) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	return out.ChunkIDs, true, nil
}

// PresignedPost is an object-store POST: the URL and the form fields to
// send before the file.
type PresignedPost struct {
	URL    string            `json:"url"`
	Fields map[string]string `json:"fields"`
}

// StartedUpload is where one chunk goes.
type StartedUpload struct {
	Presigned   PresignedPost  `json:"presigned_url"`
	Fallback    *PresignedPost `json:"fallback_presigned_url"`
	SymbolSetID string         `json:"symbol_set_id"`
}

// StartUpload creates (or reopens) the symbol sets and returns where to POST
// each chunk; chunks the server already holds are left out.
func (c *Client) StartUpload(ctx context.Context, entries []UploadEntry, force bool) (map[string]StartedUpload, error) {
	var out struct {
		IDMap map[string]StartedUpload `json:"id_map"`
	}
	if err := c.doJSON(ctx, "error_tracking/symbol_sets/bulk_start_upload", uploadRequest{SymbolSets: entries, Force: force}, &out); err != nil {
		return nil, err
	}
	return out.IDMap, nil
}

// FinishUpload records the content hashes of the uploaded objects, by
// symbol set ID.
func (c *Client) FinishUpload(ctx context.Context, hashes map[string]string) error {
	return c.doJSON(ctx, "error_tracking/symbol_sets/bulk_finish_upload", map[string]any{"content_hashes": hashes}, nil)
}

// PostObject sends data to a presigned POST: the fields as text parts (in
// sorted order), then the file, named "file" with a file name (which some
// S3-compatible stores require). It is tried once: the caller decides about
// retries and the fallback URL.
func (c *Client) PostObject(ctx context.Context, p PresignedPost, data []byte) error {
	// The parts before the file and the closing boundary are built apart,
	// so the object itself is sent from where it is, not copied.
	var head, tail bytes.Buffer
	mw := multipart.NewWriter(&head)
	keys := make([]string, 0, len(p.Fields))
	for k := range p.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		_ = mw.WriteField(k, p.Fields[k]) // writes to a bytes.Buffer do not fail
	}
	_, _ = mw.CreateFormFile("file", "file")
	fmt.Fprintf(&tail, "\r\n--%s--\r\n", mw.Boundary())
	body := io.MultiReader(bytes.NewReader(head.Bytes()), bytes.NewReader(data), bytes.NewReader(tail.Bytes()))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL, body)
	if err != nil {
		return err
	}
	req.ContentLength = int64(head.Len() + len(data) + tail.Len())
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }() // read-only: nothing to act on
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		return &APIError{Method: "POST", URL: objectURL(p.URL), Status: resp.StatusCode, Detail: strings.TrimSpace(string(msg))}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	return nil
}

// FindSymbolSet returns the ID of the finished symbol set stored under a
// chunk ID; found is false when there is none.
func (c *Client) FindSymbolSet(ctx context.Context, chunkID string) (id string, found bool, err error) {
	var out struct {
		Results []struct {
			ID            string  `json:"id"`
			Ref           string  `json:"ref"`
			FailureReason *string `json:"failure_reason"`
		} `json:"results"`
	}
	q := url.Values{"ref": {chunkID}}.Encode()
	if err := c.getJSON(ctx, "error_tracking/symbol_sets/?"+q, &out); err != nil {
		return "", false, err
	}
	for _, r := range out.Results {
		if r.Ref == chunkID && r.FailureReason == nil {
			return r.ID, true, nil
		}
	}
	return "", false, nil
}

// DownloadSymbolSet fetches a stored symbol set's object: the server gives
// a presigned URL, which is fetched without the API key.
func (c *Client) DownloadSymbolSet(ctx context.Context, id string) ([]byte, error) {
	var out struct {
		URL string `json:"url"`
	}
	if err := c.getJSON(ctx, "error_tracking/symbol_sets/"+url.PathEscape(id)+"/download", &out); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, out.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("the server's download URL for symbol set %s is not a URL", id)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.scrub(err)
	}
	defer func() { _ = resp.Body.Close() }() // read-only: nothing to act on
	if resp.StatusCode/100 != 2 {
		return nil, &APIError{Method: "GET", URL: objectURL(out.URL), Status: resp.StatusCode}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxSymbolData+1))
	if err != nil {
		return nil, c.scrub(err)
	}
	if len(data) > MaxSymbolData {
		return nil, fmt.Errorf("symbol set %s is over 100 MiB", id)
	}
	return data, nil
}

// objectURL shows an object-store URL without its query (a signature).
func objectURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the object store"
	}
	u.RawQuery, u.User = "", nil
	return u.String()
}

// Backoff waits before try number tries+1 of a request: 500 ms, doubling.
func (c *Client) Backoff(ctx context.Context, tries int) error {
	return c.sleep(ctx, 500*time.Millisecond<<(max(tries, 1)-1))
}

// maxReply bounds a JSON answer.
const maxReply = 32 << 20

// getJSON GETs path (which may carry a query) under the project.
func (c *Client) getJSON(ctx context.Context, path string, out any) error {
	ref, err := url.Parse(path)
	if err != nil {
		return err
	}
	return c.retry(ctx, c.base.ResolveReference(ref).String(), http.MethodGet, nil, out)
}

// doJSON POSTs body to path under the project and decodes the answer into
// out (nil: ignore it), retrying transport errors, 429 and 5xx.
func (c *Client) doJSON(ctx context.Context, path string, body, out any) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return err
	}
	return c.retry(ctx, c.base.JoinPath(path).String(), http.MethodPost, payload, out)
}

// retry sends one API request, again after failures that may pass.
func (c *Client) retry(ctx context.Context, u, method string, payload []byte, out any) error {
	var last error
	for attempt := 0; attempt < c.attempts; attempt++ {
		if attempt > 0 {
			delay := 500 * time.Millisecond << (attempt - 1)
			var ae *APIError
			if errors.As(last, &ae) && ae.Status == http.StatusTooManyRequests {
				delay = max(delay, 2*time.Second)
			}
			c.log.DebugContext(ctx, "posthog: retrying", "url", u, "error", last.Error(), "delay", delay)
			if err := c.sleep(ctx, delay); err != nil {
				return err
			}
		}
		last = c.once(ctx, u, method, payload, out)
		if last == nil || !retryable(last) || ctx.Err() != nil {
			break
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return last
}

func (c *Client) once(ctx context.Context, u, method string, payload []byte, out any) error {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+c.opts.Token)
	if c.opts.UserAgent != "" {
		req.Header.Set("User-Agent", c.opts.UserAgent)
	}
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return c.scrub(err)
	}
	defer func() { _ = resp.Body.Close() }() // read-only: nothing to act on
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	c.log.DebugContext(ctx, "posthog request", "url", u, "status", resp.StatusCode, "duration", time.Since(start))
	if err != nil {
		return c.scrub(err)
	}
	if resp.StatusCode/100 != 2 {
		ae := &APIError{Method: method, URL: u, Status: resp.StatusCode}
		var e struct{ Code, Detail string }
		if json.Unmarshal(data, &e) == nil {
			ae.Code, ae.Detail = e.Code, e.Detail
		} else {
			ae.Detail = strings.TrimSpace(string(data[:min(len(data), 200)]))
		}
		ae.Detail = strings.ReplaceAll(ae.Detail, c.opts.Token, "[redacted]")
		return ae
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: the reply is not the JSON PostHog sends: is %s a PostHog instance?", method, u, c.Host())
	}
	return nil
}

// scrub keeps the token out of a transport error's text.
func (c *Client) scrub(err error) error {
	if c.opts.Token == "" || !strings.Contains(err.Error(), c.opts.Token) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), c.opts.Token, "[redacted]"))
}
