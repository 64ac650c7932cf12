package sentrytest

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/artifactbundle"
)

// TestHappyPath walks the reference client's sequence (§4) by hand: capability, assemble (everything
// missing), chunk POSTs, assemble (created), poll to ok, then finds the bundle by debug ID and downloads it.
func TestHappyPath(t *testing.T) {
	const chunkSize = 1024
	h := newHarness(t, Options{Capability: Capability{ChunkSize: chunkSize, ChunksPerRequest: 4}})
	bundle := buildBundle(t, testFiles(), idBundle)
	chunks, body := split(bundle, chunkSize, "r")
	if len(chunks) < 3 {
		t.Fatalf("test bundle has %d chunks; want several", len(chunks))
	}

	st, _, capa := h.do("GET", chunkURL(testOrg), "tok", "", nil)
	if st != http.StatusOK {
		t.Fatalf("capability: %d %s", st, capa)
	}
	var c struct {
		URL              string `json:"url"`
		ChunkSize        int    `json:"chunkSize"`
		ChunksPerRequest int    `json:"chunksPerRequest"`
	}
	if err := json.Unmarshal(capa, &c); err != nil {
		t.Fatal(err)
	}
	if c.URL != h.url(chunkURL(testOrg)) || c.ChunkSize != chunkSize || c.ChunksPerRequest != 4 {
		t.Fatalf("capability = %s", capa)
	}

	r := h.assemble(testOrg, body)
	if r.State != StateNotFound || !reflect.DeepEqual(r.MissingChunks, body.Chunks) {
		t.Fatalf("first assemble = %+v; want not_found with all %d chunks", r, len(body.Chunks))
	}
	for i := 0; i < len(chunks); i += 4 {
		// Post to the advertised URL, as a client must.
		pb, ct := multipartBody(t, gzParts(chunks[i:min(i+4, len(chunks))]))
		resp, err := http.Post(c.URL, ct, bytes.NewReader(pb))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("chunk POST: %d", resp.StatusCode)
		}
	}
	for _, id := range body.Chunks {
		if !h.srv.HasChunk(id) {
			t.Fatalf("chunk %s not stored", id)
		}
	}
	r = h.assemble(testOrg, body)
	if r.State != StateCreated || len(r.MissingChunks) != 0 || r.Detail != nil {
		t.Fatalf("second assemble = %+v; want created, [] and null detail", r)
	}
	r = h.waitState(testOrg, body)
	if r.State != StateOK || r.Detail != nil {
		t.Fatalf("final state = %+v (%s)", r, r.detail())
	}

	for _, id := range []string{idMain, strings.ToUpper(idMain), idBundle} {
		es := h.lookup(testOrg, testProject, "debug_id="+id)
		if len(es) != 1 || es[0].Type != "bundle" || es[0].ResolvedWith != "debug-id" || !strings.HasPrefix(es[0].ID, "artifact_bundle/") {
			t.Fatalf("lookup %s = %+v", id, es)
		}
		want := h.url(lookupURL(testOrg, testProject)) + "?download=" + strings.Replace(es[0].ID, "/", "%2F", 1)
		if es[0].URL != want {
			t.Fatalf("lookup url = %s; want %s", es[0].URL, want)
		}
		st, hdr, got := h.do("GET", strings.TrimPrefix(es[0].URL, h.ts.URL), "tok", "", nil)
		if st != http.StatusOK || hdr.Get("Content-Type") != "application/octet-stream" || !bytes.Equal(got, bundle) {
			t.Fatalf("download: status %d, type %q, %d bytes (want %d identical)", st, hdr.Get("Content-Type"), len(got), len(bundle))
		}
	}

	bs := h.srv.Bundles()
	if len(bs) != 1 {
		t.Fatalf("Bundles() = %d", len(bs))
	}
	b := bs[0]
	if b.DebugID != idBundle || b.Checksum != body.Checksum || b.Org != testOrg || b.Release != "r" ||
		!reflect.DeepEqual(b.Projects, []string{testProject}) || b.Manifest.Files["files/_/_/main.js"].DebugID() != idMain ||
		!bytes.HasPrefix(b.ManifestJSON, []byte(`{"files":`)) {
		t.Fatalf("stored bundle = %+v", b)
	}

	// A repeat upload of the same bundle: ok at once, nothing missing (§11 "A repeat run").
	for i := 0; i < 2; i++ {
		r = h.assemble(testOrg, body)
		if r.State != StateOK || len(r.MissingChunks) != 0 || r.Detail != nil {
			t.Fatalf("repeat assemble = %+v", r)
		}
	}

	// The gzip parts were recorded with their header.
	var sawPart bool
	for _, req := range h.srv.Requests() {
		for _, p := range req.Parts {
			sawPart = true
			if p.Name != "file_gzip" || len(p.GzipHeader) != 10 || p.GzipHeader[0] != 0x1f || p.GzipHeader[9] != 0xff ||
				p.ContentType != "application/octet-stream" || p.Size > chunkSize {
				t.Fatalf("recorded part = %+v", p)
			}
		}
	}
	if !sawPart {
		t.Fatal("no chunk parts recorded")
	}
}

// TestCapability checks the defaults against Sentry's reply in §11 and each option.
func TestCapability(t *testing.T) {
	get := func(t *testing.T, c Capability) (map[string]any, *harness) {
		h := newHarness(t, Options{Capability: c})
		st, hdr, out := h.do("GET", "/api/0/organizations/my-org/chunk-upload", "", "", nil)
		if st != http.StatusOK || hdr.Get("Content-Type") != "application/json" {
			t.Fatalf("status %d type %q", st, hdr.Get("Content-Type"))
		}
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatal(err)
		}
		return m, h
	}
	t.Run("defaults", func(t *testing.T) {
		m, h := get(t, Capability{})
		var want map[string]any
		ref := `{"accept":["debug_files","release_files","pdbs","sources","bcsymbolmaps","il2cpp","portablepdbs","artifact_bundles","proguard"],"chunkSize":8388608,"chunksPerRequest":64,"compression":["gzip"],"concurrency":8,"hashAlgorithm":"sha1","maxFileSize":2147483648,"maxRequestSize":33554432,"url":"` +
			h.url("/api/0/organizations/my-org/chunk-upload/") + `"}`
		if err := json.Unmarshal([]byte(ref), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(m, want) {
			t.Fatalf("capability = %v\nwant %v", m, want)
		}
	})
	t.Run("options", func(t *testing.T) {
		m, _ := get(t, Capability{RelativeURL: true, NoCompression: true, MaxWait: 7, Concurrency: 2, Omit: []string{"hashAlgorithm", "accept"}})
		if m["url"] != "/api/0/organizations/my-org/chunk-upload/" {
			t.Errorf("url = %v", m["url"])
		}
		if c, ok := m["compression"].([]any); !ok || len(c) != 0 {
			t.Errorf("compression = %#v; want []", m["compression"])
		}
		if m["maxWait"] != 7.0 || m["concurrency"] != 2.0 {
			t.Errorf("maxWait, concurrency = %v, %v", m["maxWait"], m["concurrency"])
		}
		if _, ok := m["hashAlgorithm"]; ok {
			t.Error("hashAlgorithm not omitted")
		}
		if _, ok := m["accept"]; ok {
			t.Error("accept not omitted")
		}
	})
	t.Run("zstd only", func(t *testing.T) {
		m, _ := get(t, Capability{Compression: []string{"gzip", "zstd"}})
		if !reflect.DeepEqual(m["compression"], []any{"gzip", "zstd"}) {
			t.Errorf("compression = %v", m["compression"])
		}
	})
}

func TestUnknownPathsAndMethods(t *testing.T) {
	h := newHarness(t, Options{})
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/api/0/organizations/o/", http.StatusNotFound},
		{"GET", "/api/0/organizations/o/chunk-upload/extra/", http.StatusNotFound},
		{"GET", "/api/0/organizations//chunk-upload/", http.StatusNotFound},
		{"GET", "/chunk-upload/", http.StatusNotFound},
		{"GET", "/api/0/organizations/o/artifactbundle/assemble/", http.StatusMethodNotAllowed},
		{"POST", "/api/0/projects/o/p/artifact-lookup/", http.StatusMethodNotAllowed},
		{"GET", "/api/0/projects/o/p/artifact-lookup/?download=artifact_bundle/1", http.StatusNotFound},
		{"GET", "/api/0/projects/o/p/artifact-lookup/?download=release_file/1", http.StatusNotFound},
	} {
		st, hdr, out := h.do(tc.method, tc.path, "", "", nil)
		if st != tc.status || hdr.Get("Content-Type") != "application/json" || detailOf(out) == "" {
			t.Errorf("%s %s = %d %s; want %d with a JSON detail", tc.method, tc.path, st, out, tc.status)
		}
	}
	// Lookup without matches is an empty array, not null.
	if st, _, out := h.do("GET", lookupURL("o", "p")+"?debug_id="+idMain, "", "", nil); st != 200 || string(out) != "[]" {
		t.Errorf("empty lookup = %d %s", st, out)
	}
	var unknown int
	for _, r := range h.srv.Requests() {
		if r.Endpoint == EndpointUnknown {
			unknown++
		}
	}
	if unknown != 4 {
		t.Errorf("%d requests recorded as unknown; want 4", unknown)
	}
}

// TestLookupScope: a bundle is found only in its own org and projects.
func TestLookupScope(t *testing.T) {
	h := newHarness(t, Options{Capability: Capability{ChunkSize: 1024, ChunksPerRequest: 8}})
	bundle := buildBundle(t, testFiles(), idBundle)
	if _, r := h.upload(bundle, 1024, ""); r.State != StateOK {
		t.Fatalf("upload: %+v %s", r, r.detail())
	}
	if es := h.lookup(testOrg, "other", "debug_id="+idMain); len(es) != 0 {
		t.Errorf("other project sees %+v", es)
	}
	if es := h.lookup("other", testProject, "debug_id="+idMain); len(es) != 0 {
		t.Errorf("other org sees %+v", es)
	}
	if es := h.lookup(testOrg, testProject, "debug_id="+idAdmin+"&debug_id="+idMain+"&release=x&dist=y&url=~/main.js"); len(es) != 1 {
		t.Errorf("repeated debug_id = %+v; want the one bundle once", es)
	}
	es := h.lookup(testOrg, testProject, "debug_id="+idMain)
	dl := strings.TrimPrefix(es[0].URL, h.ts.URL)
	if st, _, _ := h.do("GET", strings.Replace(dl, "/p/", "/other/", 1), "", "", nil); st != http.StatusNotFound {
		t.Errorf("download through another project = %d; want 404", st)
	}
}

// TestBundleReplacedBySameDebugID: a new bundle with the same bundle debug_id in the same org replaces the
// old one (§10.5); in another org both stay.
func TestBundleReplacedBySameDebugID(t *testing.T) {
	h := newHarness(t, Options{Capability: Capability{ChunkSize: 1024, ChunksPerRequest: 8}})
	first := buildBundle(t, testFiles(), idBundle)
	if _, r := h.upload(first, 1024, "r1"); r.State != StateOK {
		t.Fatalf("first: %+v %s", r, r.detail())
	}
	old := h.srv.Bundles()[0]
	files := testFiles()
	files[0].data = append(files[0].data, "// changed\n"...)
	second := buildBundle(t, files, idBundle)
	if _, r := h.upload(second, 1024, "r2"); r.State != StateOK {
		t.Fatalf("second: %+v %s", r, r.detail())
	}
	bs := h.srv.Bundles()
	if len(bs) != 1 || bs[0].Release != "r2" || bs[0].Checksum != sha1hex(second) {
		t.Fatalf("after replacement Bundles() = %+v", bs)
	}
	if _, err := os.Stat(old.Path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("replaced bundle file %s still there (%v)", old.Path, err)
	}
	es := h.lookup(testOrg, testProject, "debug_id="+idMain)
	if len(es) != 1 {
		t.Fatalf("lookup after replacement = %+v", es)
	}
	_, _, got := h.do("GET", strings.TrimPrefix(es[0].URL, h.ts.URL), "", "", nil)
	if !bytes.Equal(got, second) {
		t.Fatal("download after replacement is not the new bundle")
	}

	// A different bundle id adds a bundle; both hold idMain, newest first.
	third := buildBundle(t, files, idAdmin)
	if _, r := h.upload(third, 1024, "r3"); r.State != StateOK {
		t.Fatalf("third: %+v %s", r, r.detail())
	}
	es = h.lookup(testOrg, testProject, "debug_id="+idMain)
	if len(es) != 2 || es[0].ID <= es[1].ID {
		t.Fatalf("two bundles, newest first: %+v", es)
	}
}

// TestBundleWithoutManifestDebugID: the bundle id then derives from the checksum, and lookup by the entries'
// debug ids still works.
func TestBundleWithoutManifestDebugID(t *testing.T) {
	h := newHarness(t, Options{Capability: Capability{ChunkSize: 1024, ChunksPerRequest: 8}})
	bundle := buildBundle(t, testFiles(), "")
	if _, r := h.upload(bundle, 1024, ""); r.State != StateOK {
		t.Fatalf("upload: %+v %s", r, r.detail())
	}
	b := h.srv.Bundles()[0]
	if want := artifactbundle.NormalizeDebugID(sha1hex(bundle)[:32]); b.DebugID != want {
		t.Errorf("bundle id = %q; want %q", b.DebugID, want)
	}
	if es := h.lookup(testOrg, testProject, "debug_id="+idMain); len(es) != 1 {
		t.Errorf("lookup = %+v", es)
	}
}
