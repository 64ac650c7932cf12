package sentrytest

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/testkit"
)

// TestChunkPOST covers the part encodings and each §5 limit. A rejected request stores none of its chunks.
func TestChunkPOST(t *testing.T) {
	const chunkSize = 100
	a := bytes.Repeat([]byte("a"), chunkSize)
	b := bytes.Repeat([]byte("b"), 60)
	big := bytes.Repeat([]byte("c"), chunkSize+1)
	twoMembers := append(gzipBytes(t, a), gzipBytes(t, b)...)
	for _, tc := range []struct {
		name   string
		parts  []part
		status int
		detail string   // substring of the error detail
		stored []string // chunk ids that must be stored afterwards
	}{
		{name: "gzip parts", parts: gzParts([][]byte{a, b}), status: 200, stored: []string{sha1hex(a), sha1hex(b)}},
		{name: "raw parts", parts: []part{{name: "file", filename: sha1hex(a), data: a}}, status: 200, stored: []string{sha1hex(a)}},
		{name: "no parts", parts: nil, status: 200},
		{name: "other fields ignored", parts: []part{{name: "note", filename: "x", data: []byte("hi")}}, status: 200},
		{name: "too many chunks", parts: gzParts([][]byte{a, b, []byte("x"), []byte("y")}), status: 400, detail: "Too many chunks"},
		{name: "chunk too large", parts: gzParts([][]byte{a, big}), status: 400, detail: "Chunk size too large"},
		{name: "chunk too large raw", parts: []part{{name: "file", filename: sha1hex(big), data: big}}, status: 400, detail: "Chunk size too large"},
		{name: "request too large", parts: gzParts([][]byte{a, a, b}), status: 400, detail: "Request too large"},
		// Sentry checks every part's size before the request size and the count.
		{name: "size beats count", parts: gzParts([][]byte{a, b, []byte("x"), big}), status: 400, detail: "Chunk size too large"},
		{name: "request size beats count", parts: gzParts([][]byte{a, a, a, []byte("x")}), status: 400, detail: "Request too large"},
		{name: "sha1 mismatch", parts: []part{{name: "file_gzip", filename: sha1hex(a), data: a}, {name: "file_gzip", filename: sha1hex(a), data: b}},
			status: 400, detail: `chunk "` + sha1hex(a) + `" has SHA-1 ` + sha1hex(b)},
		{name: "filename not a sha1", parts: []part{{name: "file", filename: "../../etc/passwd", data: a}}, status: 400, detail: "Checksum mismatch"},
		{name: "bad gzip", parts: []part{{name: "file_gzip", filename: sha1hex(a), data: a, raw: true}}, status: 400, detail: "gzip"},
		{name: "truncated gzip", parts: []part{{name: "file_gzip", filename: sha1hex(a), data: gzipBytes(t, a)[:15], raw: true}}, status: 400, detail: "gzip"},
		{name: "two gzip members", parts: []part{{name: "file_gzip", filename: sha1hex(a), data: twoMembers, raw: true}}, status: 400, detail: "after the first member"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{Capability: Capability{ChunkSize: chunkSize, ChunksPerRequest: 3, MaxRequestSize: 250}})
			st, detail := h.postParts(tc.parts)
			if st != tc.status || (tc.detail != "" && !strings.Contains(detail, tc.detail)) {
				t.Fatalf("status %d detail %q; want %d containing %q", st, detail, tc.status, tc.detail)
			}
			ents, err := os.ReadDir(filepath.Join(h.srv.dir, "chunks"))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			if len(names) != len(tc.stored) {
				t.Fatalf("chunks dir holds %v; want %v (no temp files, nothing from a rejected request)", names, tc.stored)
			}
			for _, id := range tc.stored {
				if !h.srv.HasChunk(id) {
					t.Fatalf("chunk %s not stored", id)
				}
				got, err := os.ReadFile(filepath.Join(h.srv.dir, "chunks", id))
				if err != nil || sha1hex(got) != id {
					t.Fatalf("stored chunk %s has wrong content (%v)", id, err)
				}
			}
			reqs := h.srv.Requests()
			if len(reqs) != 1 || reqs[0].Endpoint != EndpointChunks || reqs[0].Status != tc.status || len(reqs[0].Parts) != len(tc.parts) {
				t.Fatalf("recorded %+v", reqs)
			}
		})
	}
}

func TestChunkPOSTNotMultipart(t *testing.T) {
	h := newHarness(t, Options{})
	st, _, out := h.do("POST", chunkURL(testOrg), "", "application/json", []byte(`{}`))
	if st != http.StatusBadRequest || !strings.Contains(detailOf(out), "multipart") {
		t.Fatalf("non-multipart POST = %d %s", st, out)
	}
}

// TestChunkStoredAtomically: chunks are written under a temporary name and renamed, so a half-written
// chunk is never visible; New removes temporaries left by a crash.
func TestChunkStoredAtomically(t *testing.T) {
	dir := t.TempDir()
	left := filepath.Join(dir, "chunks", tempPrefix+"chunk-123")
	testkit.WriteFile(t, left, "half")
	h := newHarness(t, Options{Dir: dir})
	if _, err := os.Stat(left); !os.IsNotExist(err) {
		t.Fatalf("leftover temp file survived New: %v", err)
	}
	if st, d := h.postParts(gzParts([][]byte{[]byte("hello")})); st != 200 {
		t.Fatalf("%d %s", st, d)
	}
	if !h.srv.HasChunk(sha1hex([]byte("hello"))) {
		t.Fatal("chunk not stored")
	}
	if h.srv.HasChunk("../chunks/" + sha1hex([]byte("hello"))) {
		t.Fatal("HasChunk accepted a path")
	}
	if err := h.srv.DeleteChunk("nope"); err == nil {
		t.Fatal("DeleteChunk accepted a non-id")
	}
}
