package sentry

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

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
