package posthogtest

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"testing"
)

type harness struct {
	t   *testing.T
	srv *Server
	url string
}

func newHarness(t *testing.T) *harness {
	srv, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &harness{t: t, srv: srv, url: ts.URL}
}

func (h *harness) post(path string, body any) (int, map[string]any) {
	h.t.Helper()
	data, _ := json.Marshal(body)
	resp, err := http.Post(h.url+"/api/projects/1/error_tracking/symbol_sets/"+path, "application/json", bytes.NewReader(data))
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// upload opens, stores and finishes one chunk with a content hash.
func (h *harness) upload(chunk, hash string, data []byte) (int, map[string]any) {
	h.t.Helper()
	code, out := h.post("bulk_start_upload", map[string]any{"symbol_sets": []any{map[string]any{"chunk_id": chunk, "release_id": nil, "content_hash": hash}}})
	if code != 201 {
		return code, out
	}
	entry, ok := out["id_map"].(map[string]any)[chunk].(map[string]any)
	if !ok {
		return code, out // already there
	}
	pre := entry["presigned_url"].(map[string]any)
	if c := h.postObject(pre, data, "file"); c != 204 {
		h.t.Fatalf("object POST: %d", c)
	}
	return h.post("bulk_finish_upload", map[string]any{"content_hashes": map[string]string{entry["symbol_set_id"].(string): hash}})
}

func (h *harness) postObject(pre map[string]any, data []byte, filename string) int {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range pre["fields"].(map[string]any) {
		_ = mw.WriteField(k, v.(string))
	}
	fw, _ := mw.CreateFormFile("file", filename)
	_, _ = fw.Write(data)
	_ = mw.Close()
	resp, err := http.Post(pre["url"].(string), mw.FormDataContentType(), &body)
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func code(out map[string]any) string { s, _ := out["code"].(string); return s }

// TestValidationTable: the outcomes of PostHog's server the fake follows.
func TestValidationTable(t *testing.T) {
	h := newHarness(t)
	if c, _ := h.upload("chunk-a", "h1", []byte("data")); c != 201 || !h.srv.Has("chunk-a") {
		t.Fatalf("first upload: %d", c)
	}
	// Same content: left out of id_map.
	if c, out := h.post("bulk_start_upload", map[string]any{"symbol_sets": []any{map[string]any{"chunk_id": "chunk-a", "release_id": nil, "content_hash": "h1"}}}); c != 201 || len(out["id_map"].(map[string]any)) != 0 {
		t.Errorf("same content: %d %v", c, out)
	}
	// Other content: a conflict, unless forced or skipped.
	other := map[string]any{"chunk_id": "chunk-a", "release_id": nil, "content_hash": "h2"}
	if c, out := h.post("bulk_start_upload", map[string]any{"symbol_sets": []any{other}}); c != 400 || code(out) != "content_hash_mismatch" {
		t.Errorf("conflict: %d %v", c, out)
	}
	if c, out := h.post("bulk_start_upload", map[string]any{"symbol_sets": []any{other}, "skip_on_conflict": true}); c != 201 || len(out["id_map"].(map[string]any)) != 0 {
		t.Errorf("skip on conflict: %d %v", c, out)
	}
	if c, out := h.post("bulk_start_upload", map[string]any{"symbol_sets": []any{other}, "force": true}); c != 201 || len(out["id_map"].(map[string]any)) != 1 {
		t.Errorf("force: %d %v", c, out)
	}
	// Duplicates and unknown releases.
	dup := map[string]any{"chunk_id": "chunk-b", "release_id": nil, "content_hash": "h"}
	if c, out := h.post("bulk_start_upload", map[string]any{"symbol_sets": []any{dup, dup}}); c != 400 || code(out) != "invalid_chunk_ids" {
		t.Errorf("duplicates: %d %v", c, out)
	}
	rel := "0190a3b2-0000-7000-8000-000000000001"
	if c, out := h.post("bulk_start_upload", map[string]any{"symbol_sets": []any{map[string]any{"chunk_id": "chunk-c", "release_id": rel, "content_hash": "h"}}}); c != 400 || code(out) != "invalid_release_id" {
		t.Errorf("unknown release: %d %v", c, out)
	}
	h.srv.AddRelease(rel)
	if c, _ := h.upload("chunk-r", "h", []byte("x")); c != 201 {
		t.Fatal(c)
	}
	// chunk-r has no release; a release for it now is a mismatch only when it had one.
	h.srv.AddRelease("0190a3b2-0000-7000-8000-000000000002")
	if c, _ := h.post("bulk_start_upload", map[string]any{"symbol_sets": []any{map[string]any{"chunk_id": "chunk-rel", "release_id": rel, "content_hash": "h"}}}); c != 201 {
		t.Fatalf("with a release: %d", c)
	}
	if c, out := h.post("bulk_start_upload", map[string]any{"symbol_sets": []any{map[string]any{"chunk_id": "chunk-rel", "release_id": "0190a3b2-0000-7000-8000-000000000002", "content_hash": "h"}}}); c != 400 || code(out) != "release_id_mismatch" {
		t.Errorf("release mismatch: %d %v", c, out)
	}

	// Finish without the object: file_not_found, and the set is gone.
	_, out := h.post("bulk_start_upload", map[string]any{"symbol_sets": []any{map[string]any{"chunk_id": "chunk-d", "release_id": nil, "content_hash": "h"}}})
	id := out["id_map"].(map[string]any)["chunk-d"].(map[string]any)["symbol_set_id"].(string)
	if c, out := h.post("bulk_finish_upload", map[string]any{"content_hashes": map[string]string{id: "h"}}); c != 400 || code(out) != "file_not_found" {
		t.Errorf("no object: %d %v", c, out)
	}
	// An empty object: file_too_large.
	if c, out := h.upload("chunk-e", "h", nil); c != 400 || code(out) != "file_too_large" || h.srv.Has("chunk-e") {
		t.Errorf("empty object: %d %v", c, out)
	}
	// The object store wants a file name, and a policy is good once.
	_, out = h.post("bulk_start_upload", map[string]any{"symbol_sets": []any{map[string]any{"chunk_id": "chunk-f", "release_id": nil, "content_hash": "h"}}})
	pre := out["id_map"].(map[string]any)["chunk-f"].(map[string]any)["presigned_url"].(map[string]any)
	if c := h.postObject(pre, []byte("x"), ""); c != 400 {
		t.Errorf("no file name: %d", c)
	}
	if c := h.postObject(pre, []byte("x"), "file"); c != 204 {
		t.Errorf("with a file name: %d", c)
	}
	if c := h.postObject(pre, []byte("x"), "file"); c != 403 {
		t.Errorf("a policy used twice: %d", c)
	}
	// The list finds a stored set by chunk ID, and download gives its bytes.
	resp, err := http.Get(h.url + "/api/projects/1/error_tracking/symbol_sets/?ref=chunk-r")
	if err != nil {
		t.Fatal(err)
	}
	var list struct{ Results []struct{ ID, Ref string } }
	_ = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if len(list.Results) != 1 || list.Results[0].Ref != "chunk-r" {
		t.Fatalf("list: %+v", list)
	}
	resp, _ = http.Get(h.url + "/api/projects/1/error_tracking/symbol_sets/" + list.Results[0].ID + "/download")
	var dl struct{ URL string }
	_ = json.NewDecoder(resp.Body).Decode(&dl)
	resp.Body.Close()
	resp, _ = http.Get(dl.URL)
	var got bytes.Buffer
	_, _ = got.ReadFrom(resp.Body)
	resp.Body.Close()
	if got.String() != "x" {
		t.Errorf("download: %q", got.String())
	}
}
