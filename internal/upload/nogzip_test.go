package upload

import (
	"archive/zip"
	"context"
	"io"
	"os"
	"testing"

	"github.com/mapback/mapback/internal/sentrytest"
)

// TestServerWithoutGzip: for a server that does not take gzip chunks, the first build stops at its
// first chunk and the bundle is built again with every entry deflated, and sent as raw parts.
func TestServerWithoutGzip(t *testing.T) {
	s := newServer(t, sentrytest.Capability{NoCompression: true, ChunkSize: 4096})
	rep, err := Run(context.Background(), s.options(injectedTree(t)))
	if err != nil || rep.Chunks.Sent != rep.Chunks.Total || rep.Chunks.Total < 2 {
		t.Fatalf("err %v, chunks %+v", err, rep.Chunks)
	}
	for _, r := range s.Requests() {
		for _, p := range r.Parts {
			if p.Name != "file" {
				t.Fatalf("a %q part sent to a server without gzip", p.Name)
			}
		}
	}
	waitForBundles(t, s, 1)
	f, err := os.Open(s.Bundles()[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(io.NewSectionReader(f, 8, fi.Size()-8), fi.Size()-8) // after the SYSB header
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range zr.File {
		if e.Method != zip.Deflate && e.UncompressedSize64 > 0 {
			t.Errorf("%s stored, not deflated, for a server without gzip", e.Name)
		}
	}
}
