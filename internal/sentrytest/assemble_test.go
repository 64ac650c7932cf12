package sentrytest

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

const chk = "5a1b82877d12aa1179825559f4c416f18d587bbe"

// TestAssembleValidation: bodies Sentry's schema and release rules reject are 400 with a detail (§7.1).
func TestAssembleValidation(t *testing.T) {
	h := newHarness(t, Options{})
	for _, tc := range []struct{ body, detail string }{
		{`not json`, "Invalid json body"},
		{`[]`, "Invalid json body"},
		{`{"checksum":"` + chk + `","chunks":[],"projects":["p"],"extra":1}`, `Additional properties are not allowed ("extra" was unexpected)`},
		{`{"chunks":[],"projects":["p"]}`, `"checksum" is a required property`},
		{`{"checksum":"` + chk + `","projects":["p"]}`, `"chunks" is a required property`},
		{`{"checksum":"` + chk + `","chunks":[]}`, `"projects" is a required property`},
		{`{"checksum":"ABC","chunks":[],"projects":["p"]}`, `does not match "^[0-9a-f]{40}$"`},
		{`{"checksum":"` + strings.ToUpper(chk) + `","chunks":[],"projects":["p"]}`, `does not match`},
		{`{"checksum":1,"chunks":[],"projects":["p"]}`, `is not of type 'string'`},
		{`{"checksum":"` + chk + `","chunks":["x"],"projects":["p"]}`, `"x" does not match`},
		{`{"checksum":"` + chk + `","chunks":null,"projects":["p"]}`, `is not of type 'array'`},
		{`{"checksum":"` + chk + `","chunks":[],"projects":"p"}`, `is not of type 'array'`},
		{`{"checksum":"` + chk + `","chunks":[],"projects":[]}`, "You need to specify at least one project"},
		{`{"checksum":"` + chk + `","chunks":[],"projects":["p"],"dist":"d"}`, "You need to specify a release together with a dist"},
		{`{"checksum":"` + chk + `","chunks":[],"projects":["p"],"version":"a/b"}`, `"a/b" does not match '^[^/]+$'`},
		{`{"checksum":"` + chk + `","chunks":[],"projects":["p"],"version":""}`, `does not match '^[^/]+$'`},
		{`{"checksum":"` + chk + `","chunks":[],"projects":["p"],"version":null}`, `is not of type 'string'`},
		{`{"checksum":"` + chk + `","chunks":[],"projects":["p"],"version":" r"}`, "leading or trailing spaces"},
		{`{"checksum":"` + chk + `","chunks":[],"projects":["p"],"version":".."}`, `Invalid release ".."`},
		{`{"checksum":"` + chk + `","chunks":[],"projects":["p"],"version":"a\tb"}`, "tab"},
		{`{"checksum":"` + chk + `","chunks":[],"projects":["p"],"version":"r","dist":"` + strings.Repeat("d", 65) + `"}`, "Invalid dist"},
	} {
		st, hdr, out := h.do("POST", assembleURL(testOrg), "", "application/json", []byte(tc.body))
		if st != http.StatusBadRequest || hdr.Get("Content-Type") != "application/json" || !strings.Contains(detailOf(out), tc.detail) {
			t.Errorf("%s\n  = %d %s; want 400 with detail containing %q", tc.body, st, out, tc.detail)
		}
	}
	// Valid bodies in the reference client's shapes (§11) are accepted.
	for _, body := range []string{
		`{"checksum":"` + chk + `","chunks":["` + chk + `"],"projects":["p"],"version":"r"}`,
		`{"checksum":"` + chk + `","chunks":["` + chk + `"],"projects":["p1","p2"],"version":"r","dist":"d1"}`,
		`{"checksum":"` + chk + `","chunks":["` + chk + `"],"projects":["p"]}`,
	} {
		st, _, out := h.do("POST", assembleURL(testOrg), "", "application/json", []byte(body))
		if st != http.StatusOK || !strings.Contains(string(out), `"state":"not_found"`) {
			t.Errorf("%s = %d %s", body, st, out)
		}
	}
	// The recorded body is the exact bytes sent.
	reqs := h.srv.Requests()
	if last := reqs[len(reqs)-1]; last.Endpoint != EndpointAssemble || !strings.HasPrefix(string(last.Body), `{"checksum":"`+chk+`","chunks"`) {
		t.Errorf("recorded %+v", last)
	}
}

// TestAssembleOrder follows Sentry's order of checks (§7.3): missing chunks first (even for a bundle whose
// ok is cached), then the cached state, then the empty chunk list.
func TestAssembleOrder(t *testing.T) {
	h := newHarness(t, Options{Capability: Capability{ChunkSize: 1024, ChunksPerRequest: 8}})
	bundle := buildBundle(t, testFiles(), idBundle)

	chunks, body := split(bundle, 1024, "")
	// Duplicates in the request are listed once, in request order.
	dup := body
	dup.Chunks = append([]string{body.Chunks[1]}, body.Chunks...)
	if r := h.assemble(testOrg, dup); r.State != StateNotFound || strings.Join(r.MissingChunks, ",") != strings.Join(body.Chunks[1:2], ",")+","+body.Chunks[0]+","+strings.Join(body.Chunks[2:], ",") {
		t.Fatalf("missing = %v; want request order without duplicates", r.MissingChunks)
	}
	if st, d := h.postParts(gzParts(chunks[1:])); st != 200 {
		t.Fatalf("%d %s", st, d)
	}
	if r := h.assemble(testOrg, body); r.State != StateNotFound || len(r.MissingChunks) != 1 || r.MissingChunks[0] != body.Chunks[0] {
		t.Fatalf("after a partial upload: %+v", r)
	}
	if st, d := h.postParts(gzParts(chunks[:1])); st != 200 {
		t.Fatalf("%d %s", st, d)
	}
	if r := h.waitState(testOrg, body); r.State != StateOK {
		t.Fatalf("state %+v %s", r, r.detail())
	}

	// Deleting a chunk of an ok bundle: the next assemble lists it, before the cached ok.
	if err := h.srv.DeleteChunk(body.Chunks[2]); err != nil {
		t.Fatal(err)
	}
	if h.srv.HasChunk(body.Chunks[2]) {
		t.Fatal("chunk still there")
	}
	if r := h.assemble(testOrg, body); r.State != StateNotFound || len(r.MissingChunks) != 1 || r.MissingChunks[0] != body.Chunks[2] {
		t.Fatalf("after DeleteChunk: %+v", r)
	}
	if st, d := h.postParts(gzParts(chunks[2:3])); st != 200 {
		t.Fatalf("%d %s", st, d)
	}
	if r := h.assemble(testOrg, body); r.State != StateOK || r.Detail != nil {
		t.Fatalf("cached ok after re-upload: %+v", r)
	}
	// The cache is per org: the same checksum in another org assembles anew.
	if r := h.assemble("other", body); r.State != StateCreated {
		t.Fatalf("other org: %+v", r)
	}

	// No chunks: not_found with [] (never cached, never assembled).
	empty := uploadBody{Checksum: chk, Chunks: []string{}, Projects: []string{testProject}}
	for i := 0; i < 2; i++ {
		if r := h.assemble(testOrg, empty); r.State != StateNotFound || len(r.MissingChunks) != 0 {
			t.Fatalf("empty chunks: %+v", r)
		}
	}
}

// TestAssemblyErrors: what the assemble task rejects ends in state error with Sentry's detail, and the error
// is cached for the checksum like any state.
func TestAssemblyErrors(t *testing.T) {
	good := func(t *testing.T) []byte { return buildBundle(t, testFiles(), idBundle) }
	noIDs := func(t *testing.T) []byte {
		fs := testFiles()
		for i := range fs {
			fs[i].debugID = ""
		}
		return buildBundle(t, fs, idBundle)
	}
	for _, tc := range []struct {
		name    string
		bundle  func(t *testing.T) []byte
		version string
		capa    Capability
		// mutate the assemble body after splitting
		mutate func(b *uploadBody)
		detail string // "" = must succeed
	}{
		{name: "ok with debug ids, no release", bundle: good},
		{name: "no debug ids, no release", bundle: noIDs, detail: "uploading a bundle without debug ids or release is prohibited"},
		{name: "no debug ids, with release", bundle: noIDs, version: "r"},
		{name: "checksum mismatch", bundle: good, mutate: func(b *uploadBody) { b.Checksum = chk }, detail: "Checksum mismatch"},
		{name: "chunks out of order", bundle: good, mutate: func(b *uploadBody) {
			b.Chunks[0], b.Chunks[1] = b.Chunks[1], b.Chunks[0]
		}, detail: "Checksum mismatch"},
		{name: "not a bundle", bundle: func(t *testing.T) []byte { return []byte(strings.Repeat("PK not a bundle ", 100)) },
			version: "r", detail: "Invalid bundle: missing SYSB header"},
		{name: "wrong version", bundle: func(t *testing.T) []byte {
			b := good(t)
			b[4] = 3
			return b
		}, detail: "Invalid bundle: unsupported format version 3"},
		{name: "invalid zip", bundle: func(t *testing.T) []byte { return append([]byte("SYSB\x02\x00\x00\x00"), strings.Repeat("x", 3000)...) },
			version: "r", detail: "Invalid bundle: invalid zip (zip: not a valid zip file)"},
		{name: "missing manifest", bundle: func(t *testing.T) []byte { return rawBundle(t, testFiles(), nil) },
			version: "r", detail: "Invalid bundle: missing manifest"},
		{name: "manifest not json", bundle: func(t *testing.T) []byte { return rawBundle(t, testFiles(), []byte("{")) },
			version: "r", detail: "Invalid bundle: invalid manifest"},
		{name: "manifest lists a missing file", bundle: func(t *testing.T) []byte {
			return rawBundle(t, testFiles()[:1], []byte(`{"files":{"files/_/_/gone.js":{"type":"minified_source","url":"~/gone.js"}}}`))
		}, version: "r", detail: "Invalid bundle: files/_/_/gone.js"},
		{name: "too large", bundle: good, capa: Capability{MaxFileSize: 2000}, detail: "exceeds maximum size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			capa := tc.capa
			capa.ChunkSize, capa.ChunksPerRequest = 1024, 8
			h := newHarness(t, Options{Capability: capa})
			data := tc.bundle(t)
			chunks, body := split(data, 1024, tc.version)
			if tc.mutate != nil {
				tc.mutate(&body)
			}
			if st, d := h.postParts(gzParts(chunks)); st != 200 {
				t.Fatalf("%d %s", st, d)
			}
			r := h.waitState(testOrg, body)
			if tc.detail == "" {
				if r.State != StateOK || len(h.srv.Bundles()) != 1 {
					t.Fatalf("state %s (%s), %d bundles; want ok and 1", r.State, r.detail(), len(h.srv.Bundles()))
				}
				return
			}
			if r.State != StateError || !strings.Contains(r.detail(), tc.detail) || len(r.MissingChunks) != 0 {
				t.Fatalf("reply %+v (%s); want error containing %q", r, r.detail(), tc.detail)
			}
			t.Logf("detail: %s", r.detail())
			if again := h.assemble(testOrg, body); again.State != StateError || again.detail() != r.detail() {
				t.Fatalf("error not cached: %+v", again)
			}
			if n := len(h.srv.Bundles()); n != 0 {
				t.Fatalf("%d bundles stored after a rejected assembly", n)
			}
		})
	}
}

// TestForceAssembleState: forced states replace the normal reply after the missing-chunk check only, and
// start no assembly.
func TestForceAssembleState(t *testing.T) {
	h := newHarness(t, Options{Capability: Capability{ChunkSize: 1024, ChunksPerRequest: 8}})
	chunks, body := split(buildBundle(t, testFiles(), idBundle), 1024, "")
	h.srv.ForceAssembleState(StateAssembling, "")
	if r := h.assemble(testOrg, body); r.State != StateNotFound || len(r.MissingChunks) != len(chunks) {
		t.Fatalf("forced state hid missing chunks: %+v", r)
	}
	if st, d := h.postParts(gzParts(chunks)); st != 200 {
		t.Fatalf("%d %s", st, d)
	}
	for i := 0; i < 3; i++ {
		if r := h.assemble(testOrg, body); r.State != StateAssembling || r.Detail != nil || len(r.MissingChunks) != 0 {
			t.Fatalf("forced assembling: %+v", r)
		}
	}
	h.srv.ForceAssembleState(StateError, "Invalid bundle: missing manifest")
	if r := h.assemble(testOrg, body); r.State != StateError || r.detail() != "Invalid bundle: missing manifest" {
		t.Fatalf("forced error: %+v", r)
	}
	h.srv.ForceAssembleState("weird", "")
	if r := h.assemble(testOrg, body); r.State != "weird" {
		t.Fatalf("forced unknown state: %+v", r)
	}
	if n := len(h.srv.Bundles()); n != 0 {
		t.Fatalf("forced states assembled %d bundles", n)
	}
	h.srv.ForceAssembleState("", "")
	if r := h.assemble(testOrg, body); r.State != StateCreated {
		t.Fatalf("after reset: %+v", r)
	}
	if r := h.waitState(testOrg, body); r.State != StateOK {
		t.Fatalf("after reset: %+v %s", r, r.detail())
	}
}

// TestAssembleDelay: the assembly stays "assembling" for the delay, then ends ok; Close during the delay
// returns promptly.
func TestAssembleDelay(t *testing.T) {
	h := newHarness(t, Options{Capability: Capability{ChunkSize: 1024, ChunksPerRequest: 8}})
	chunks, body := split(buildBundle(t, testFiles(), idBundle), 1024, "")
	if st, d := h.postParts(gzParts(chunks)); st != 200 {
		t.Fatalf("%d %s", st, d)
	}
	const delay = 300 * time.Millisecond
	h.srv.SetAssembleDelay(delay)
	start := time.Now()
	if r := h.assemble(testOrg, body); r.State != StateCreated {
		t.Fatalf("first: %+v", r)
	}
	time.Sleep(50 * time.Millisecond)
	if r := h.assemble(testOrg, body); r.State != StateAssembling {
		t.Fatalf("during the delay: %+v", r)
	}
	r := h.waitState(testOrg, body)
	if r.State != StateOK || time.Since(start) < delay {
		t.Fatalf("state %s after %v; want ok after at least %v", r.State, time.Since(start), delay)
	}

	// Close interrupts a pending assembly instead of waiting for it.
	h.srv.SetAssembleDelay(time.Hour)
	other := body
	other.Projects = []string{"q"}
	if r := h.assemble("org2", other); r.State != StateCreated {
		t.Fatalf("org2: %+v", r)
	}
	done := make(chan struct{})
	go func() { _ = h.srv.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for the assembly delay")
	}
}
