package sentrytest

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestRestart: a new Server on the same Dir knows the stored chunks and answers lookups and downloads for
// the bundles of the previous one, with new bundle numbers continuing after the old ones.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	first := newHarness(t, Options{Dir: dir, Capability: Capability{ChunkSize: 1024, ChunksPerRequest: 8}})
	bundle := buildBundle(t, testFiles(), idBundle)
	body, r := first.upload(bundle, 1024, "r")
	if r.State != StateOK {
		t.Fatalf("upload: %+v %s", r, r.detail())
	}
	before := first.srv.Bundles()
	beforeLookup := first.lookup(testOrg, testProject, "debug_id="+idMain)
	if err := first.srv.Close(); err != nil {
		t.Fatal(err)
	}
	first.ts.Close()

	second := newHarness(t, Options{Dir: dir, Capability: Capability{ChunkSize: 1024, ChunksPerRequest: 8}})
	after := second.srv.Bundles()
	if len(after) != 1 || !reflect.DeepEqual(after[0], before[0]) {
		t.Fatalf("re-indexed %+v\nwant %+v", after, before)
	}
	es := second.lookup(testOrg, testProject, "debug_id="+idMain)
	if len(es) != 1 || es[0].ID != beforeLookup[0].ID {
		t.Fatalf("lookup after restart = %+v; want id %s", es, beforeLookup[0].ID)
	}
	_, _, got := second.do("GET", strings.TrimPrefix(es[0].URL, second.ts.URL), "", "", nil)
	if !bytes.Equal(got, bundle) {
		t.Fatal("download after restart differs")
	}
	for _, id := range body.Chunks {
		if !second.srv.HasChunk(id) {
			t.Fatalf("chunk %s forgotten", id)
		}
	}
	// Nothing is missing; the state cache is gone (as Sentry's expires), so the bundle assembles again and
	// replaces itself rather than adding a duplicate.
	if r := second.assemble(testOrg, body); r.State != StateCreated || len(r.MissingChunks) != 0 {
		t.Fatalf("assemble after restart = %+v", r)
	}
	if r := second.waitState(testOrg, body); r.State != StateOK {
		t.Fatalf("re-assembly: %+v %s", r, r.detail())
	}
	bs := second.srv.Bundles()
	if len(bs) != 1 || bs[0].Path == before[0].Path {
		t.Fatalf("after re-assembly: %+v", bs)
	}
}

// TestReindexSkipsDebris: an interrupted store (bundle without sidecar) is removed, a damaged bundle is
// skipped, and New still succeeds.
func TestReindexSkipsDebris(t *testing.T) {
	dir := t.TempDir()
	first := newHarness(t, Options{Dir: dir, Capability: Capability{ChunkSize: 1024, ChunksPerRequest: 8}})
	bundle := buildBundle(t, testFiles(), idBundle)
	if _, r := first.upload(bundle, 1024, ""); r.State != StateOK {
		t.Fatalf("upload: %+v", r)
	}
	_ = first.srv.Close()
	bdir := filepath.Join(dir, "bundles")
	mustWrite := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(bdir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite("7.bundle", bundle)                                 // no sidecar: interrupted
	mustWrite("8.bundle", []byte("garbage"))                      // damaged
	mustWrite("8.json", []byte(`{"org":"o","projects":["p"]}`))   // …with its sidecar
	mustWrite(tempPrefix+"bundle-1", []byte("half"))              // temp file
	mustWrite("notes.txt", []byte("a user's file is left alone")) // unrelated

	srv, err := New(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if bs := srv.Bundles(); len(bs) != 1 || bs[0].Checksum != sha1hex(bundle) {
		t.Fatalf("Bundles() = %+v", bs)
	}
	for name, want := range map[string]bool{"7.bundle": false, tempPrefix + "bundle-1": false, "8.bundle": true, "notes.txt": true} {
		_, err := os.Stat(filepath.Join(bdir, name))
		if (err == nil) != want {
			t.Errorf("%s exists = %v; want %v", name, err == nil, want)
		}
	}
	// Numbering continues after the highest number seen, damaged files included.
	ts := httptest.NewServer(srv)
	defer ts.Close()
	h := &harness{t: t, srv: srv, ts: ts}
	files := testFiles()
	files[0].data = append(files[0].data, ';')
	if _, r := h.upload(buildBundle(t, files, idAdmin), 1024, ""); r.State != StateOK {
		t.Fatalf("upload: %+v %s", r, r.detail())
	}
	if bs := srv.Bundles(); len(bs) != 2 || filepath.Base(bs[1].Path) != "9.bundle" {
		t.Fatalf("new bundle stored as %+v", bs)
	}
}
