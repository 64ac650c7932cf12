package sentrytest

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"sort"
	"testing"
	"time"

	"github.com/mapback/mapback/internal/artifactbundle"
)

const (
	testOrg     = "o"
	testProject = "p"
	idMain      = "85ff4393-24a9-566b-9f04-4f4ba55e7b68"
	idAdmin     = "5fdf19d9-8e36-5e65-97a6-df283094317b"
	idBundle    = "a39a84d3-b6b0-56ca-85a3-c47f694f620d"
)

// harness is a Server behind a real HTTP listener.
type harness struct {
	t   *testing.T
	srv *Server
	ts  *httptest.Server
	tok string // sent by the helpers: Options.Token, or any token when the server accepts all
}

func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	// Cleanups run last-in first-out: Close the server first (it ends pending fault delays), then the
	// listener, which waits for handlers.
	t.Cleanup(ts.Close)
	t.Cleanup(func() { _ = srv.Close() })
	tok := opts.Token
	if tok == "" {
		tok = "tok"
	}
	return &harness{t: t, srv: srv, ts: ts, tok: tok}
}

func (h *harness) url(path string) string { return h.ts.URL + path }

func chunkURL(org string) string { return "/api/0/organizations/" + org + "/chunk-upload/" }
func assembleURL(org string) string {
	return "/api/0/organizations/" + org + "/artifactbundle/assemble/"
}
func lookupURL(org, project string) string {
	return "/api/0/projects/" + org + "/" + project + "/artifact-lookup/"
}

// do sends a request with the given token ("" = no Authorization header) and returns status, headers, body.
func (h *harness) do(method, path, token, contentType string, body []byte) (int, http.Header, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.url(path), bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, data
}

type reply struct {
	State         string   `json:"state"`
	MissingChunks []string `json:"missingChunks"`
	Detail        *string  `json:"detail"`
}

func (r reply) detail() string {
	if r.Detail == nil {
		return "<nil>"
	}
	return *r.Detail
}

// assemble posts a body and decodes a 200 reply, checking the keys every reply must carry.
func (h *harness) assemble(org string, body any) reply {
	h.t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		h.t.Fatal(err)
	}
	st, _, out := h.do("POST", assembleURL(org), h.tok, "application/json", data)
	if st != http.StatusOK {
		h.t.Fatalf("assemble: status %d: %s", st, out)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(out, &keys); err != nil {
		h.t.Fatalf("assemble reply %s: %v", out, err)
	}
	for _, k := range []string{"state", "missingChunks", "detail"} {
		if _, ok := keys[k]; !ok {
			h.t.Fatalf("assemble reply %s lacks %q", out, k)
		}
	}
	var r reply
	if err := json.Unmarshal(out, &r); err != nil {
		h.t.Fatal(err)
	}
	if r.MissingChunks == nil {
		h.t.Fatalf("assemble reply %s: missingChunks is null", out)
	}
	return r
}

// waitState polls assemble until the state is final (ok or error).
func (h *harness) waitState(org string, body any) reply {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := h.assemble(org, body)
		if r.State == StateOK || r.State == StateError || time.Now().After(deadline) {
			return r
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// uploadBody is an assemble body in the reference client's key order.
type uploadBody struct {
	Checksum string   `json:"checksum"`
	Chunks   []string `json:"chunks"`
	Projects []string `json:"projects"`
	Version  string   `json:"version,omitempty"`
	Dist     string   `json:"dist,omitempty"`
}

func sha1hex(b []byte) string {
	s := sha1.Sum(b)
	return hex.EncodeToString(s[:])
}

// split cuts data into chunkSize slices and returns them with their ids and the assemble body.
func split(data []byte, chunkSize int, version string) ([][]byte, uploadBody) {
	var chunks [][]byte
	body := uploadBody{Checksum: sha1hex(data), Chunks: []string{}, Projects: []string{testProject}, Version: version}
	for off := 0; off < len(data); off += chunkSize {
		c := data[off:min(off+chunkSize, len(data))]
		chunks = append(chunks, c)
		body.Chunks = append(body.Chunks, sha1hex(c))
	}
	return chunks, body
}

// part is one multipart part to send; name "file_gzip" gzips data unless raw is set.
type part struct {
	name, filename string
	data           []byte
	raw            bool // send data as is even for file_gzip
}

func multipartBody(t *testing.T, parts []part) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		hdr := textproto.MIMEHeader{}
		hdr.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.name, p.filename))
		hdr.Set("Content-Type", "application/octet-stream")
		w, err := mw.CreatePart(hdr)
		if err != nil {
			t.Fatal(err)
		}
		data := p.data
		if p.name == "file_gzip" && !p.raw {
			data = gzipBytes(t, p.data)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), mw.FormDataContentType()
}

// gzipBytes makes one gzip member with the reference client's header (MTIME 0, OS 255).
func gzipBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.OS = 255
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (h *harness) postParts(parts []part) (int, string) {
	h.t.Helper()
	body, ct := multipartBody(h.t, parts)
	st, _, out := h.do("POST", chunkURL(testOrg), h.tok, ct, body)
	return st, detailOf(out)
}

func detailOf(body []byte) string {
	var e struct {
		Detail string `json:"detail"`
	}
	if json.Unmarshal(body, &e) != nil {
		return string(body)
	}
	return e.Detail
}

func gzParts(chunks [][]byte) []part {
	var ps []part
	for _, c := range chunks {
		ps = append(ps, part{name: "file_gzip", filename: sha1hex(c), data: c})
	}
	return ps
}

// bundleFile is one entry of a test bundle.
type bundleFile struct {
	path, url, typ, debugID string
	data                    []byte
}

// testFiles is a minified file and its map, injected with idMain, plus an incompressible blob so the
// bundle spans several small chunks.
func testFiles() []bundleFile {
	rnd := rand.New(rand.NewSource(1))
	blob := make([]byte, 6000)
	rnd.Read(blob)
	return []bundleFile{
		{path: "files/_/_/main.js", url: "~/main.js", typ: artifactbundle.TypeMinifiedSource, debugID: idMain,
			data: []byte("function a(){throw new Error(\"x\")}a();\n//# debugId=" + idMain + "\n//# sourceMappingURL=main.js.map\n")},
		{path: "files/_/_/main.js.map", url: "~/main.js.map", typ: artifactbundle.TypeSourceMap, debugID: idMain,
			data: []byte(`{"version":3,"sources":["main.ts"],"names":[],"mappings":"AAAA","debugId":"` + idMain + `"}`)},
		{path: "files/_/_/blob.js", url: "~/blob.js", typ: artifactbundle.TypeMinifiedSource, data: []byte(hex.EncodeToString(blob))},
	}
}

// buildBundle writes the SYSB header and a zip whose offsets count it (§10.1), manifest last.
func buildBundle(t *testing.T, files []bundleFile, bundleDebugID string) []byte {
	t.Helper()
	m := artifactbundle.Manifest{Files: map[string]artifactbundle.FileEntry{}, DebugID: bundleDebugID, Org: testOrg, Project: testProject}
	for _, f := range files {
		e := artifactbundle.FileEntry{Type: f.typ, URL: f.url}
		if f.debugID != "" {
			e.Headers = map[string]string{artifactbundle.HeaderDebugID: f.debugID}
		}
		m.Files[f.path] = e
	}
	manifest, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return rawBundle(t, files, manifest)
}

// rawBundle is buildBundle with a given manifest.json (nil: no manifest entry at all).
func rawBundle(t *testing.T, files []bundleFile, manifest []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString("SYSB\x02\x00\x00\x00")
	zw := zip.NewWriter(&buf)
	zw.SetOffset(8)
	sorted := append([]bundleFile(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].url < sorted[j].url })
	write := func(name string, data []byte) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range sorted {
		write(f.path, f.data)
	}
	if manifest != nil {
		write(artifactbundle.ManifestName, manifest)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// upload sends every chunk (gzip parts, one POST) and waits for the final assemble state.
func (h *harness) upload(bundle []byte, chunkSize int, version string) (uploadBody, reply) {
	h.t.Helper()
	chunks, body := split(bundle, chunkSize, version)
	for i := 0; i < len(chunks); i += 4 { // stay under the default test chunksPerRequest
		if st, d := h.postParts(gzParts(chunks[i:min(i+4, len(chunks))])); st != http.StatusOK {
			h.t.Fatalf("chunk POST: %d %s", st, d)
		}
	}
	return body, h.waitState(testOrg, body)
}

// lookup returns the artifact-lookup reply for the given query.
func (h *harness) lookup(org, project, query string) []lookupEntry {
	h.t.Helper()
	st, _, out := h.do("GET", lookupURL(org, project)+"?"+query, h.tok, "", nil)
	if st != http.StatusOK {
		h.t.Fatalf("lookup: %d %s", st, out)
	}
	var es []lookupEntry
	if err := json.Unmarshal(out, &es); err != nil {
		h.t.Fatalf("lookup %s: %v", out, err)
	}
	return es
}

// ctxGet sends a GET that the caller can cancel.
func ctxGet(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}
