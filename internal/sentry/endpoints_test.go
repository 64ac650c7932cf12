package sentry

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// The capability reply of docs/internals/upload-protocol.md §11, with the url made
// relative or absolute per test case.
const fullCapability = `{"accept":["debug_files","release_files","pdbs","sources","bcsymbolmaps","il2cpp","portablepdbs","artifact_bundles","proguard"],"chunkSize":8388608,"chunksPerRequest":64,"compression":["gzip"],"concurrency":8,"hashAlgorithm":"sha1","maxFileSize":2147483648,"maxRequestSize":33554432,"url":"https://sentry.example.com/api/0/organizations/o/chunk-upload/"}`

func TestChunkUploadOptions(t *testing.T) {
	// minimal has every required field and no optional one; URL is filled in.
	minimal := func(url string) string {
		return `{"url":"` + url + `","chunkSize":1000,"chunksPerRequest":2,"maxRequestSize":5000,"concurrency":3,"hashAlgorithm":"sha1"}`
	}
	for _, tc := range []struct {
		name    string
		reply   string
		want    *ChunkOptions // URL "{base}" is replaced by the server URL
		wantErr string
	}{
		{
			name:  "full Sentry reply",
			reply: fullCapability,
			want: &ChunkOptions{
				URL: "https://sentry.example.com/api/0/organizations/o/chunk-upload/", ChunkSize: 8388608,
				ChunksPerRequest: 64, MaxRequestSize: 33554432, Concurrency: 8, HashAlgorithm: "sha1",
				Compression: []string{"gzip"}, MaxFileSize: 2147483648,
				Accept: []string{"debug_files", "release_files", "pdbs", "sources", "bcsymbolmaps", "il2cpp", "portablepdbs", "artifact_bundles", "proguard"},
			},
		},
		{
			name:  "optional fields absent take defaults",
			reply: minimal("https://r.example.com/x/"),
			want: &ChunkOptions{URL: "https://r.example.com/x/", ChunkSize: 1000, ChunksPerRequest: 2,
				MaxRequestSize: 5000, Concurrency: 3, HashAlgorithm: "sha1"},
		},
		{
			name:  "relative url with /api/0/",
			reply: minimal("/api/0/organizations/o/chunk-upload/"),
			want: &ChunkOptions{URL: "{base}/api/0/organizations/o/chunk-upload/", ChunkSize: 1000, ChunksPerRequest: 2,
				MaxRequestSize: 5000, Concurrency: 3, HashAlgorithm: "sha1"},
		},
		{
			name:  "relative url without api/0",
			reply: minimal("organizations/o/chunk-upload/"),
			want: &ChunkOptions{URL: "{base}/api/0/organizations/o/chunk-upload/", ChunkSize: 1000, ChunksPerRequest: 2,
				MaxRequestSize: 5000, Concurrency: 3, HashAlgorithm: "sha1"},
		},
		{
			name:  "concurrency 0 becomes 1, maxWait and zstd kept",
			reply: `{"url":"https://r.example.com/","chunkSize":8,"chunksPerRequest":1,"maxRequestSize":8,"concurrency":0,"hashAlgorithm":"sha1","compression":["zstd"],"maxWait":30}`,
			want: &ChunkOptions{URL: "https://r.example.com/", ChunkSize: 8, ChunksPerRequest: 1, MaxRequestSize: 8,
				Concurrency: 1, HashAlgorithm: "sha1", Compression: []string{"zstd"}, MaxWait: 30},
		},
		{
			name:  "unknown fields ignored",
			reply: `{"future":{"a":[1,2]},"url":"https://r.example.com/","chunkSize":8,"chunksPerRequest":1,"maxRequestSize":8,"concurrency":1,"hashAlgorithm":"sha1","x":null}`,
			want: &ChunkOptions{URL: "https://r.example.com/", ChunkSize: 8, ChunksPerRequest: 1, MaxRequestSize: 8,
				Concurrency: 1, HashAlgorithm: "sha1"},
		},
		{name: "md5", reply: strings.Replace(fullCapability, `"sha1"`, `"md5"`, 1), wantErr: `hashAlgorithm "md5" is not supported`},
		{name: "chunkSize 0", reply: strings.Replace(fullCapability, `"chunkSize":8388608`, `"chunkSize":0`, 1), wantErr: "chunkSize 0 must be positive"},
		{name: "concurrency 256", reply: strings.Replace(fullCapability, `"concurrency":8`, `"concurrency":256`, 1), wantErr: "concurrency 256"},
		{name: "wrong type", reply: strings.Replace(fullCapability, `8388608`, `"8388608"`, 1), wantErr: `has field "chunkSize" of the wrong type (string where a number is expected)`},
		{name: "not JSON", reply: `<html>hello</html>`, wantErr: "the chunk-upload reply (GET {base}/api/0/organizations/o/chunk-upload/) is not JSON: is {base} a Sentry server?"},
		{name: "array", reply: `[]`, wantErr: "the chunk-upload reply (GET {base}/api/0/organizations/o/chunk-upload/) is not a JSON object but an array: is {base} a Sentry server?"},
		{name: "string", reply: `"hello"`, wantErr: "is not a JSON object but a string: is {base} a Sentry server?"},
		{name: "null", reply: `null`, wantErr: "is not a JSON object but null"},
		{name: "ftp url", reply: minimal("ftp://r.example.com/"), wantErr: "not http(s)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var gotPath string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotPath = r.Method + " " + r.URL.Path
				jsonHandler(200, tc.reply)(w, r)
			}))
			defer srv.Close()
			c, _ := newTestClient(t, srv)
			got, err := c.ChunkUploadOptions(context.Background(), "o")
			if gotPath != "GET /api/0/organizations/o/chunk-upload/" {
				t.Errorf("request = %q", gotPath)
			}
			if tc.wantErr != "" {
				want := strings.ReplaceAll(tc.wantErr, "{base}", srv.URL)
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("error = %v, want one containing %q", err, want)
				}
				if strings.Contains(err.Error(), "Go value") || strings.Contains(err.Error(), "struct") {
					t.Errorf("error %q quotes a Go type", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.want.URL = strings.Replace(tc.want.URL, "{base}", srv.URL, 1)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestChunkUploadOptionsRequiredFields(t *testing.T) {
	for _, field := range []string{"url", "chunkSize", "chunksPerRequest", "maxRequestSize", "concurrency", "hashAlgorithm"} {
		t.Run(field, func(t *testing.T) {
			var m map[string]any
			if err := jsonUnmarshal(fullCapability, &m); err != nil {
				t.Fatal(err)
			}
			delete(m, field)
			srv := httptest.NewServer(jsonHandler(200, jsonMarshal(t, m)))
			defer srv.Close()
			c, _ := newTestClient(t, srv)
			_, err := c.ChunkUploadOptions(context.Background(), "o")
			if err == nil || !strings.Contains(err.Error(), `required field "`+field+`" is missing`) {
				t.Fatalf("error = %v, want one naming %q", err, field)
			}
		})
	}
}

// An https server handing out a plain-http chunk URL must not get the token
// sent there.
func TestChunkUploadOptionsRefusesHTTPDowngrade(t *testing.T) {
	srv := httptest.NewTLSServer(jsonHandler(200, strings.Replace(fullCapability, "https://sentry.example.com", "http://sentry.example.com", 1)))
	defer srv.Close()
	c, _ := newTestClient(t, srv)
	_, err := c.ChunkUploadOptions(context.Background(), "o")
	if err == nil || !strings.Contains(err.Error(), "refusing to send the auth token unencrypted") {
		t.Fatalf("error = %v", err)
	}
	// A password in the base URL stays out of the message.
	withPass, _ := newTestClient(t, srv, func(o *Options) { o.BaseURL = strings.Replace(srv.URL, "https://", "https://ci:s3cr3t@", 1) })
	_, err = withPass.ChunkUploadOptions(context.Background(), "o")
	if err == nil || strings.Contains(err.Error(), "s3cr3t") || !strings.Contains(err.Error(), "https://ci:xxxxx@") {
		t.Errorf("error = %v; want the base URL named with its password hidden", err)
	}
	// UploadChunks and Download apply the same rule to URLs they are given.
	chunk := []Chunk{{ID: sha1Hex([]byte("x")), Data: []byte("x")}}
	if err := c.UploadChunks(context.Background(), "http://sentry.example.com/up/", chunk, UploadOptions{}); err == nil {
		t.Error("UploadChunks sent to a plain http URL from an https client")
	}
	if err := c.Download(context.Background(), "http://sentry.example.com/dl/", io.Discard); err == nil {
		t.Error("Download fetched a plain http URL from an https client")
	}
}

func TestChunkUploadOptions404(t *testing.T) {
	srv := httptest.NewServer(jsonHandler(404, `{"detail":"The requested resource does not exist"}`))
	defer srv.Close()
	c, rec := newTestClient(t, srv)
	_, err := c.ChunkUploadOptions(context.Background(), "nope")
	var he *HTTPError
	if !errors.As(err, &he) {
		t.Fatalf("error %v is not an *HTTPError", err)
	}
	if he.Status != 404 || he.Method != "GET" || he.URL != srv.URL+"/api/0/organizations/nope/chunk-upload/" {
		t.Errorf("HTTPError = %+v", he)
	}
	if got, want := err.Error(), "sentry reported an error: The requested resource does not exist (http status: 404)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !strings.Contains(he.Fix(), "--org") {
		t.Errorf("Fix() = %q, want it to name --org", he.Fix())
	}
	if len(rec.got()) != 0 {
		t.Errorf("404 was retried: %v", rec.got())
	}
}

func TestAssembleRequestBody(t *testing.T) {
	const sum = "5a1b82877d12aa1179825559f4c416f18d587bbe"
	for _, tc := range []struct {
		name string
		req  AssembleRequest
		want string
	}{
		{
			name: "release only (§11)",
			req:  AssembleRequest{Checksum: sum, Chunks: []string{sum}, Projects: []string{"p"}, Version: "r"},
			want: `{"checksum":"5a1b82877d12aa1179825559f4c416f18d587bbe","chunks":["5a1b82877d12aa1179825559f4c416f18d587bbe"],"projects":["p"],"version":"r"}`,
		},
		{
			name: "two projects, release and dist (§11)",
			req:  AssembleRequest{Checksum: sum, Chunks: []string{sum}, Projects: []string{"p1", "p2"}, Version: "r", Dist: "d1"},
			want: `{"checksum":"5a1b82877d12aa1179825559f4c416f18d587bbe","chunks":["5a1b82877d12aa1179825559f4c416f18d587bbe"],"projects":["p1","p2"],"version":"r","dist":"d1"}`,
		},
		{
			name: "no release, no chunks",
			req:  AssembleRequest{Checksum: sum, Projects: []string{"p"}},
			want: `{"checksum":"5a1b82877d12aa1179825559f4c416f18d587bbe","chunks":[],"projects":["p"]}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body []byte
			var r0 *http.Request
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ = io.ReadAll(r.Body)
				r0 = r
				jsonHandler(200, `{"state":"created","missingChunks":[]}`)(w, r)
			}))
			defer srv.Close()
			c, _ := newTestClient(t, srv)
			if _, err := c.AssembleArtifactBundle(context.Background(), "o", tc.req); err != nil {
				t.Fatal(err)
			}
			if string(body) != tc.want {
				t.Errorf("body\n got %s\nwant %s", body, tc.want)
			}
			if r0.Method != "POST" || r0.URL.Path != "/api/0/organizations/o/artifactbundle/assemble/" {
				t.Errorf("request = %s %s", r0.Method, r0.URL.Path)
			}
			if r0.Header.Get("Content-Type") != "application/json" || r0.ContentLength != int64(len(tc.want)) ||
				len(r0.TransferEncoding) != 0 {
				t.Errorf("Content-Type %q, Content-Length %d, Transfer-Encoding %v", r0.Header.Get("Content-Type"),
					r0.ContentLength, r0.TransferEncoding)
			}
		})
	}
}

func TestAssembleResponse(t *testing.T) {
	for _, tc := range []struct {
		reply   string
		want    AssembleResponse
		wantErr string
	}{
		{reply: `{"state":"not_found","missingChunks":["5a1b82877d12aa1179825559f4c416f18d587bbe"]}`,
			want: AssembleResponse{State: "not_found", MissingChunks: []string{"5a1b82877d12aa1179825559f4c416f18d587bbe"}}},
		{reply: `{"state":"created","missingChunks":[]}`, want: AssembleResponse{State: "created", MissingChunks: []string{}}},
		{reply: `{"missingChunks":[],"state":"assembling","detail":null}`, want: AssembleResponse{State: "assembling", MissingChunks: []string{}}},
		{reply: `{"detail":null,"missingChunks":[],"state":"ok"}`, want: AssembleResponse{State: "ok", MissingChunks: []string{}}},
		{reply: `{"state":"error","detail":"Invalid bundle: missing manifest","missingChunks":[]}`,
			want: AssembleResponse{State: "error", MissingChunks: []string{}, Detail: "Invalid bundle: missing manifest"}},
		{reply: `{"state":"weird","missingChunks":[]}`, want: AssembleResponse{State: "weird", MissingChunks: []string{}}},
		{reply: `{"state":"ok","detail":null}`, wantErr: `no "missingChunks"`},
		{reply: `{"state":"ok","missingChunks":null}`, wantErr: `no "missingChunks"`},
		{reply: `{"missingChunks":[]}`, wantErr: `no "state"`},
		{reply: `[]`, wantErr: `the assemble reply (POST {base}/api/0/organizations/o/artifactbundle/assemble/) is not a JSON object but an array: is {base} a Sentry server?`},
		{reply: `"ok"`, wantErr: `is not a JSON object but a string`},
		{reply: `<html></html>`, wantErr: `the assemble reply (POST {base}/api/0/organizations/o/artifactbundle/assemble/) is not JSON`},
		{reply: `{"state":1,"missingChunks":[]}`, wantErr: `has field "state" of the wrong type (number where a string is expected)`},
		{reply: `{"state":"ok","missingChunks":"none"}`, wantErr: `has field "missingChunks" of the wrong type (string where an array is expected)`},
	} {
		t.Run(tc.reply, func(t *testing.T) {
			srv := httptest.NewServer(jsonHandler(200, tc.reply))
			defer srv.Close()
			c, _ := newTestClient(t, srv)
			got, err := c.AssembleArtifactBundle(context.Background(), "o", AssembleRequest{Checksum: "x", Projects: []string{"p"}})
			if tc.wantErr != "" {
				want := strings.ReplaceAll(tc.wantErr, "{base}", srv.URL)
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("error = %v, want one containing %q", err, want)
				}
				if strings.Contains(err.Error(), "Go value") || strings.Contains(err.Error(), "struct") {
					t.Errorf("error %q quotes a Go type", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("got %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func TestArtifactLookupAndDownload(t *testing.T) {
	bundle := bytes.Repeat([]byte("SYSB\x02\x00\x00\x00zip…"), 1000)
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			jsonHandler(401, `{"detail":"Invalid token"}`)(w, r)
			return
		}
		switch q := r.URL.Query(); {
		case r.URL.EscapedPath() != "/api/0/projects/o/my%20p/artifact-lookup/":
			jsonHandler(404, `{"detail":"not found"}`)(w, r)
		case q.Get("download") == "abc":
			_, _ = w.Write(bundle)
		case q.Get("debug_id") == "85ff4393-24a9-566b-9f04-4f4ba55e7b68":
			dl := srv.URL + "/api/0/projects/o/my%20p/artifact-lookup/?download="
			jsonHandler(200, `[{"id":"artifact_bundle/abc","type":"bundle","url":"`+dl+`abc","resolved_with":"debug-id"},`+
				`{"id":"release_file/7","type":"file","url":"`+dl+`7","resolved_with":"release","abs_path":"~/main.js","headers":{"sourcemap":"main.js.map"},"extra":1}]`)(w, r)
		default:
			jsonHandler(200, `[]`)(w, r)
		}
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv)
	ctx := context.Background()

	got, err := c.ArtifactLookup(ctx, "o", "my p", "85ff4393-24a9-566b-9f04-4f4ba55e7b68")
	if err != nil {
		t.Fatal(err)
	}
	dl := srv.URL + "/api/0/projects/o/my%20p/artifact-lookup/?download="
	want := []LookupEntry{
		{ID: "artifact_bundle/abc", Type: "bundle", URL: dl + "abc", ResolvedWith: "debug-id"},
		{ID: "release_file/7", Type: "file", URL: dl + "7", ResolvedWith: "release", AbsPath: "~/main.js",
			Headers: map[string]string{"sourcemap": "main.js.map"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("lookup\n got %+v\nwant %+v", got, want)
	}
	none, err := c.ArtifactLookup(ctx, "o", "my p", "00000000-0000-0000-0000-000000000000")
	if err != nil || len(none) != 0 {
		t.Errorf("unknown debug ID: %v, %v", none, err)
	}

	var buf bytes.Buffer
	if err := c.Download(ctx, got[0].URL, &buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), bundle) {
		t.Errorf("downloaded %d bytes, want the %d-byte bundle", buf.Len(), len(bundle))
	}
	// A relative download URL resolves against the base like the
	// capability url.
	buf.Reset()
	if err := c.Download(ctx, "projects/o/my%20p/artifact-lookup/?download=abc", &buf); err != nil || buf.Len() != len(bundle) {
		t.Errorf("relative download: %d bytes, %v", buf.Len(), err)
	}
}
