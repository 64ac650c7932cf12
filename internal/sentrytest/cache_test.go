package sentrytest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mapback/mapback/internal/artifactbundle"
)

// fakeClock is a settable Server.now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// projectBundle is what `upload -p <project>` makes of testFiles(): the manifest names the project, so the
// bytes (and the checksum) differ per project while the bundle debug_id stays the same (§10.4, §10.5).
func projectBundle(t *testing.T, project string) []byte {
	t.Helper()
	m := artifactbundle.Manifest{Files: map[string]artifactbundle.FileEntry{}, DebugID: idBundle, Org: testOrg, Project: project}
	for _, f := range testFiles() {
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
	return rawBundle(t, testFiles(), manifest)
}

// uploadAs runs the client's sequence for bundle with -p project through the HTTP API: assemble, the
// missing chunks, assemble until final. It returns the first assemble reply and the final one.
func (h *harness) uploadAs(bundle []byte, project string) (first, final reply) {
	h.t.Helper()
	chunks, body := split(bundle, 1024, "")
	body.Projects = []string{project}
	first = h.assemble(testOrg, body)
	var missing [][]byte
	for _, c := range chunks {
		if slices.Contains(first.MissingChunks, sha1hex(c)) {
			missing = append(missing, c)
		}
	}
	for i := 0; i < len(missing); i += 4 {
		if st, d := h.postParts(gzParts(missing[i:min(i+4, len(missing))])); st != http.StatusOK {
			h.t.Fatalf("chunk POST: %d %s", st, d)
		}
	}
	return first, h.waitState(testOrg, body)
}

// TestReuploadAfterReplacement: -p web, then the same files with -p admin (same bundle debug_id, so the web
// bundle is replaced), then -p web again. The third upload must assemble and store the bundle for web
// again, not be answered "ok" from the state cached by the first.
func TestReuploadAfterReplacement(t *testing.T) {
	h := newHarness(t, Options{Capability: Capability{ChunkSize: 1024, ChunksPerRequest: 8}})
	web, admin := projectBundle(t, "web"), projectBundle(t, "admin")
	if sha1hex(web) == sha1hex(admin) {
		t.Fatal("test setup: the web and admin bundles have the same checksum")
	}
	stored := func(step, project string) {
		t.Helper()
		bs := h.srv.Bundles()
		if len(bs) != 1 || !slices.Equal(bs[0].Projects, []string{project}) {
			t.Fatalf("%s: Bundles() = %+v; want one bundle for %s", step, bs, project)
		}
		for _, p := range []string{"web", "admin"} {
			es := h.lookup(testOrg, p, "debug_id="+idMain)
			if want := map[bool]int{true: 1, false: 0}[p == project]; len(es) != want {
				t.Errorf("%s: lookup in project %s = %+v; want %d entries", step, p, es, want)
			}
		}
	}

	if _, r := h.uploadAs(web, "web"); r.State != StateOK {
		t.Fatalf("web: %+v %s", r, r.detail())
	}
	stored("web", "web")
	if _, r := h.uploadAs(admin, "admin"); r.State != StateOK {
		t.Fatalf("admin: %+v %s", r, r.detail())
	}
	stored("admin", "admin")
	first, r := h.uploadAs(web, "web")
	if first.State == StateOK {
		t.Fatalf("web again: the first assemble answered %q from the cache although the web bundle was replaced", first.State)
	}
	if first.State != StateCreated || len(first.MissingChunks) != 0 {
		t.Errorf("web again: first reply %+v; want created with no missing chunks (they are still stored)", first)
	}
	if r.State != StateOK {
		t.Fatalf("web again: %+v %s", r, r.detail())
	}
	stored("web again", "web")

	// An unchanged re-upload right away is still answered from the cache.
	if first, _ := h.uploadAs(web, "web"); first.State != StateOK {
		t.Errorf("unchanged re-upload: first reply %+v; want ok from the cache", first)
	}
}

// TestAssembleStateExpires: a finished state is answered from the cache until the TTL has passed; then the
// same assemble request assembles (and stores) the bundle again.
func TestAssembleStateExpires(t *testing.T) {
	h := newHarness(t, Options{Capability: Capability{ChunkSize: 1024, ChunksPerRequest: 8}, AssembleStateTTL: time.Minute})
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	h.srv.mu.Lock()
	h.srv.now = clock.now
	h.srv.mu.Unlock()

	bundle := buildBundle(t, testFiles(), idBundle)
	body, r := h.upload(bundle, 1024, "")
	if r.State != StateOK {
		t.Fatalf("upload: %+v %s", r, r.detail())
	}
	path := h.srv.Bundles()[0].Path

	clock.advance(59 * time.Second)
	if r := h.assemble(testOrg, body); r.State != StateOK {
		t.Fatalf("before the TTL: %+v; want ok from the cache", r)
	}
	if got := h.srv.Bundles()[0].Path; got != path {
		t.Fatalf("before the TTL the bundle was stored again (%s → %s)", path, got)
	}

	clock.advance(time.Second)
	if r := h.assemble(testOrg, body); r.State != StateCreated {
		t.Fatalf("after the TTL: %+v; want created (assembled again)", r)
	}
	if r := h.waitState(testOrg, body); r.State != StateOK {
		t.Fatalf("after the TTL, final: %+v %s", r, r.detail())
	}
	bs := h.srv.Bundles()
	if len(bs) != 1 || bs[0].Path == path {
		t.Fatalf("after the TTL Bundles() = %+v; want the bundle stored again, replacing %s", bs, path)
	}

	// An error expires too, and a sweep drops expired states of other checksums.
	h.srv.mu.Lock()
	h.srv.states[stateKey{testOrg, "other"}] = assembleState{state: StateError, detail: "x", at: clock.now()}
	h.srv.states[stateKey{testOrg, "running"}] = assembleState{state: StateAssembling, at: clock.now()}
	h.srv.mu.Unlock()
	clock.advance(2 * time.Minute)
	h.assemble(testOrg, body)
	h.srv.mu.Lock()
	_, other := h.srv.states[stateKey{testOrg, "other"}]
	_, running := h.srv.states[stateKey{testOrg, "running"}]
	h.srv.mu.Unlock()
	if other || !running {
		t.Errorf("after a sweep: expired error kept = %v, running assembly kept = %v; want false, true", other, running)
	}
}

func TestOptionDefaults(t *testing.T) {
	s, err := New(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.stateTTL != 600*time.Second || s.requests.max != 10000 {
		t.Errorf("defaults: state TTL %v, request log %d; want 600s, 10000", s.stateTTL, s.requests.max)
	}
}

// TestRequestLogCap: Requests keeps only the most recent MaxRequests, oldest first; MaxInFlight and
// ResetRequests keep working.
func TestRequestLogCap(t *testing.T) {
	h := newHarness(t, Options{MaxRequests: 3})
	for i := 0; i < 7; i++ {
		h.do("GET", chunkURL(testOrg)+fmt.Sprintf("?n=%d", i), h.tok, "", nil)
	}
	var got []string
	for _, r := range h.srv.Requests() {
		got = append(got, r.Query)
	}
	if want := []string{"n=4", "n=5", "n=6"}; !slices.Equal(got, want) {
		t.Errorf("Requests() = %q; want %q", got, want)
	}
	if reqs := h.srv.Requests(); reqs[2].Status != http.StatusOK {
		t.Errorf("last request status = %d", reqs[2].Status)
	}
	if n := h.srv.MaxInFlight(EndpointCapability); n != 1 {
		t.Errorf("MaxInFlight = %d; want 1", n)
	}
	h.srv.ResetRequests()
	h.do("GET", chunkURL(testOrg)+"?n=after", h.tok, "", nil)
	if reqs := h.srv.Requests(); len(reqs) != 1 || reqs[0].Query != "n=after" {
		t.Errorf("after ResetRequests: %+v", reqs)
	}

	var unlimited requestLog
	unlimited.max = -1
	for i := 0; i < 20; i++ {
		unlimited.add(&Request{Query: fmt.Sprint(i)})
	}
	if all := unlimited.all(); len(all) != 20 || all[0].Query != "0" || all[19].Query != "19" {
		t.Errorf("negative MaxRequests keeps %d requests", len(all))
	}
}
