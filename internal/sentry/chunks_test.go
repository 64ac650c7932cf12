package sentry

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"
)

// postedRequest is what the fake server saw of one chunk POST.
type postedRequest struct {
	header           http.Header
	contentLength    int64
	transferEncoding []string
	body             []byte
}

// chunkServer records every request and answers with the statuses in order
// (200 once they run out).
func chunkServer(t *testing.T, statuses ...int) (*httptest.Server, func() []postedRequest) {
	t.Helper()
	var (
		mu   sync.Mutex
		seen []postedRequest
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading the request body: %v", err)
		}
		mu.Lock()
		n := len(seen)
		seen = append(seen, postedRequest{r.Header.Clone(), r.ContentLength, r.TransferEncoding, body})
		mu.Unlock()
		status := 200
		if n < len(statuses) {
			status = statuses[n]
		}
		w.WriteHeader(status)
		if status != 200 {
			fmt.Fprintf(w, `{"detail":"attempt %d"}`, n+1)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, func() []postedRequest {
		mu.Lock()
		defer mu.Unlock()
		return append([]postedRequest(nil), seen...)
	}
}

// part is one multipart part as parsed back by mime/multipart.
type part struct {
	name, filename, contentType string
	data                        []byte
}

func parseMultipart(t *testing.T, req postedRequest) []part {
	t.Helper()
	mt, params, err := mime.ParseMediaType(req.header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		t.Fatalf("Content-Type %q: %v", req.header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(bytes.NewReader(req.body), params["boundary"])
	var parts []part
	for {
		p, err := mr.NextRawPart() // raw: no quoted-printable decoding
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, part{p.FormName(), p.FileName(), p.Header.Get("Content-Type"), data})
	}
	return parts
}

func TestUploadChunksMultipart(t *testing.T) {
	data := deflatedZip(t, 200_000)
	chunks := splitChunks(data, 65536) // 4 chunks, the last 3392 bytes
	for _, tc := range []struct {
		name     string
		opts     UploadOptions
		partName string
	}{
		{"gzip default level", UploadOptions{Gzip: true}, "file_gzip"},
		{"gzip level 1 (writer sets XFL 4)", UploadOptions{Gzip: true, Level: 1}, "file_gzip"},
		{"gzip level 9 (writer sets XFL 2)", UploadOptions{Gzip: true, Level: 9}, "file_gzip"},
		{"gzip stateless", UploadOptions{Gzip: true, Level: kgzip.StatelessCompression}, "file_gzip"},
		{"raw", UploadOptions{}, "file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, seen := chunkServer(t)
			c, _ := newTestClient(t, srv)
			var progress []int64
			tc.opts.OnProgress = func(n int64) { progress = append(progress, n) }
			if err := c.UploadChunks(context.Background(), srv.URL+"/api/0/organizations/o/chunk-upload/", chunks, tc.opts); err != nil {
				t.Fatal(err)
			}
			reqs := seen()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			req := reqs[0]
			if req.contentLength != int64(len(req.body)) || len(req.transferEncoding) != 0 || req.header.Get("Expect") != "" {
				t.Errorf("Content-Length %d for %d bytes, Transfer-Encoding %v, Expect %q",
					req.contentLength, len(req.body), req.transferEncoding, req.header.Get("Expect"))
			}
			if req.header.Get("Authorization") != "Bearer "+testToken || req.header.Get("Content-Encoding") != "" {
				t.Errorf("Authorization %q, Content-Encoding %q", req.header.Get("Authorization"), req.header.Get("Content-Encoding"))
			}
			parts := parseMultipart(t, req)
			if len(parts) != len(chunks) {
				t.Fatalf("%d parts, want %d", len(parts), len(chunks))
			}
			for i, p := range parts {
				if p.name != tc.partName || p.filename != sha1Hex(chunks[i].Data) || p.contentType != "application/octet-stream" {
					t.Errorf("part %d: name %q filename %q content type %q", i, p.name, p.filename, p.contentType)
				}
				got := p.data
				if tc.opts.Gzip {
					if want := []byte{0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff}; !bytes.Equal(p.data[:10], want) {
						t.Errorf("part %d gzip header % x, want % x", i, p.data[:10], want)
					}
					got = gunzipOneMember(t, p.data)
				}
				if !bytes.Equal(got, chunks[i].Data) {
					t.Errorf("part %d: %d bytes do not match the %d-byte chunk", i, len(got), len(chunks[i].Data))
				}
			}
			var sum int64
			for _, n := range progress {
				if n <= 0 {
					t.Errorf("OnProgress(%d)", n)
				}
				sum += n
			}
			if sum != int64(len(data)) || len(progress) < 2 {
				t.Errorf("OnProgress calls %v sum to %d in %d calls, want %d in several (bytes as they go out)", progress, sum, len(progress), len(data))
			}
		})
	}
}

// The framing matches the reference byte for byte apart from the boundary
// (docs/internals/upload-protocol.md §5).
func TestUploadChunksFraming(t *testing.T) {
	srv, seen := chunkServer(t)
	c, _ := newTestClient(t, srv)
	chunks := splitChunks([]byte("hello world"), 6)
	if err := c.UploadChunks(context.Background(), srv.URL+"/up/", chunks, UploadOptions{}); err != nil {
		t.Fatal(err)
	}
	req := seen()[0]
	_, params, _ := mime.ParseMediaType(req.header.Get("Content-Type"))
	b := params["boundary"]
	if len(b) != 46 || !strings.HasPrefix(b, strings.Repeat("-", 24)) {
		t.Errorf("boundary %q is not 24 dashes and 22 alphanumerics", b)
	}
	want := "--" + b + "\r\n" +
		`Content-Disposition: form-data; name="file"; filename="` + sha1Hex([]byte("hello ")) + "\"\r\n" +
		"Content-Type: application/octet-stream\r\n\r\nhello \r\n" +
		"--" + b + "\r\n" +
		`Content-Disposition: form-data; name="file"; filename="` + sha1Hex([]byte("world")) + "\"\r\n" +
		"Content-Type: application/octet-stream\r\n\r\nworld\r\n" +
		"--" + b + "--\r\n"
	if string(req.body) != want {
		t.Errorf("body\n%q\nwant\n%q", req.body, want)
	}
}

func TestUploadChunksRejectsBadInput(t *testing.T) {
	srv, seen := chunkServer(t)
	c, _ := newTestClient(t, srv)
	ctx := context.Background()
	if err := c.UploadChunks(ctx, srv.URL, []Chunk{{ID: "ABC", Data: []byte("x")}}, UploadOptions{}); err == nil ||
		!strings.Contains(err.Error(), "chunk 0") {
		t.Errorf("bad chunk id: %v", err)
	}
	ok := splitChunks([]byte("x"), 1)
	if err := c.UploadChunks(ctx, srv.URL, ok, UploadOptions{Gzip: true, Level: 12}); err == nil {
		t.Error("gzip level 12 accepted")
	}
	if err := c.UploadChunks(ctx, srv.URL, nil, UploadOptions{}); err != nil {
		t.Errorf("no chunks: %v", err)
	}
	if n := len(seen()); n != 0 {
		t.Errorf("%d requests sent for bad or empty input", n)
	}
}

// A 302 on the chunk POST is Sentry's "project not found" (§5): an error
// with a fix, not a redirect to follow.
func TestUploadChunksRedirectIsAnError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			t.Error("the redirect was followed")
		}
		http.Redirect(w, r, "/elsewhere?token=abc", http.StatusFound)
	}))
	defer srv.Close()
	c, rec := newTestClient(t, srv)
	err := c.UploadChunks(context.Background(), srv.URL+"/up/", splitChunks([]byte("x"), 1), UploadOptions{Gzip: true})
	he, ok := err.(*HTTPError)
	if !ok || he.Status != 302 || !strings.Contains(he.Fix(), "project is not found") {
		t.Fatalf("error = %#v", err)
	}
	if want := "redirected to " + srv.URL + "/elsewhere?token=REDACTED"; he.Detail != want {
		t.Errorf("Detail = %q, want %q", he.Detail, want)
	}
	if len(rec.got()) != 0 {
		t.Error("a redirect was retried")
	}
}

// A connection that breaks after the server read the body is retried, and
// the second attempt carries exactly the same bytes (boundary included).
func TestUploadChunksRetryResendsSameBody(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reset bool // RST (ECONNRESET at the client) instead of FIN (EOF)
	}{{"closed", false}, {"reset", true}} {
		t.Run(tc.name, func(t *testing.T) {
			var (
				mu     sync.Mutex
				bodies [][]byte
			)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				mu.Lock()
				bodies = append(bodies, body)
				n := len(bodies)
				mu.Unlock()
				if n == 1 {
					conn, _, err := w.(http.Hijacker).Hijack()
					if err != nil {
						t.Error(err)
						return
					}
					if tc.reset {
						_ = conn.(*net.TCPConn).SetLinger(0)
					}
					_ = conn.Close() // before any reply byte
				}
			}))
			defer srv.Close()
			c, rec := newTestClient(t, srv)
			chunks := splitChunks(deflatedZip(t, 300_000), 100_000)
			var progress int64 // the whole body went out twice: progress must still count it once
			onProgress := func(n int64) { progress += n }
			if err := c.UploadChunks(context.Background(), srv.URL+"/up/", chunks, UploadOptions{Gzip: true, OnProgress: onProgress}); err != nil {
				t.Fatal(err)
			}
			if progress != 300_000 {
				t.Errorf("progress counted %d bytes of 300000", progress)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(bodies) != 2 {
				t.Fatalf("%d requests, want 2", len(bodies))
			}
			if !bytes.Equal(bodies[0], bodies[1]) || len(bodies[0]) < 300_000 {
				t.Errorf("the retry sent different bytes (%d vs %d)", len(bodies[0]), len(bodies[1]))
			}
			if d := rec.got(); len(d) != 1 {
				t.Errorf("backoff sleeps %v, want 1", d)
			}
		})
	}
}

// gunzipOneMember checks that b is exactly one gzip member and returns its
// content.
func gunzipOneMember(t *testing.T, b []byte) []byte {
	t.Helper()
	br := bufio.NewReader(bytes.NewReader(b))
	zr, err := gzip.NewReader(br)
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false)
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if rest, _ := io.ReadAll(br); len(rest) != 0 {
		t.Errorf("%d bytes after the gzip member", len(rest))
	}
	return out
}

// BenchmarkBuildMultipart builds the body of a full-size POST: 8 chunks of
// 8 MiB of deflated zip data (Sentry's chunkSize and 64 MiB, twice its
// maxRequestSize, to show the parallel compression).
func BenchmarkBuildMultipart(b *testing.B) {
	chunks := splitChunks(deflatedZip(b, 8*8<<20), 8<<20)
	for _, gz := range []bool{true, false} {
		b.Run(fmt.Sprintf("gzip=%v", gz), func(b *testing.B) {
			b.SetBytes(8 * 8 << 20)
			for b.Loop() {
				if _, _, err := buildMultipart(context.Background(), chunks, UploadOptions{Gzip: gz}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGzipLevels measures each level on one 8 MiB chunk of deflated zip
// data, serially; "B/MiB" is how many bytes the output has more (+) or
// fewer (-) than the input per MiB. The figures are recorded at
// DefaultGzipLevel.
func BenchmarkGzipLevels(b *testing.B) {
	chunk := deflatedZip(b, 8<<20)
	for _, lv := range []struct {
		name  string
		level int
	}{
		{"NoCompression", kgzip.NoCompression},
		{"StatelessCompression", kgzip.StatelessCompression},
		{"HuffmanOnly", kgzip.HuffmanOnly},
		{"BestSpeed", kgzip.BestSpeed},
		{"DefaultCompression", kgzip.DefaultCompression},
		{"BestCompression", kgzip.BestCompression},
	} {
		b.Run(lv.name, func(b *testing.B) {
			b.SetBytes(int64(len(chunk)))
			var out []byte
			for b.Loop() {
				var err error
				if out, err = GzipMember(chunk, lv.level); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(out)-len(chunk))/float64(len(chunk))*(1<<20), "B/MiB")
		})
	}
	for _, lv := range []struct {
		name  string
		level int
	}{{"stdlib-NoCompression", gzip.NoCompression}, {"stdlib-BestSpeed", gzip.BestSpeed}} {
		b.Run(lv.name, func(b *testing.B) {
			b.SetBytes(int64(len(chunk)))
			var buf *bytes.Buffer
			for b.Loop() {
				// A fresh buffer each time, as GzipMember does.
				buf = bytes.NewBuffer(make([]byte, 0, len(chunk)+len(chunk)/1024+64))
				zw, _ := gzip.NewWriterLevel(buf, lv.level)
				_, _ = zw.Write(chunk)
				_ = zw.Close()
			}
			b.ReportMetric(float64(buf.Len()-len(chunk))/float64(len(chunk))*(1<<20), "B/MiB")
		})
	}
}

// TestMemberWriterPieces: a member written in pieces is byte for byte the member of the whole, at
// every level the upload uses, and decompresses to the input.
func TestMemberWriterPieces(t *testing.T) {
	data := bytes.Repeat([]byte("function f(a,b){return a+b}\n//# sourceMappingURL=f.js.map\n"), 40000)
	for _, level := range []int{kgzip.BestSpeed, 5, kgzip.BestCompression} {
		whole, err := GzipMember(data, level)
		if err != nil {
			t.Fatal(err)
		}
		m, err := NewMemberWriter(level, 1<<10)
		if err != nil {
			t.Fatal(err)
		}
		for rest := data; len(rest) > 0; rest = rest[min(len(rest), 1<<20):] {
			if _, err := m.Write(rest[:min(len(rest), 1<<20)]); err != nil {
				t.Fatal(err)
			}
		}
		pieces, err := m.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(pieces, whole) || !bytes.Equal(pieces[:10], gzipHeader) {
			t.Fatalf("level %d: %d bytes in pieces, %d whole, header % x", level, len(pieces), len(whole), pieces[:10])
		}
		zr, err := gzip.NewReader(bytes.NewReader(pieces))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := io.ReadAll(zr); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("level %d: does not decompress to the input: %v", level, err)
		}
	}
}
