package upload

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mapback/mapback/internal/artifactbundle"
	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/inject"
	"github.com/mapback/mapback/internal/sentry"
	"github.com/mapback/mapback/internal/sentrytest"
	"github.com/mapback/mapback/internal/testkit"
	"github.com/mapback/mapback/internal/testkit/testserver"
)

// server is an in-process sentrytest server and a client for it whose retries do not sleep.
type server struct {
	*sentrytest.Server
	url    string
	client *sentry.Client
	sleeps []time.Duration
}

func newServer(t *testing.T, capability sentrytest.Capability) *server {
	t.Helper()
	srv, url := testserver.Sentry(t, sentrytest.Options{Capability: capability})
	s := &server{Server: srv, url: url}
	s.client = s.newClient(t, 5)
	return s
}

func (s *server) newClient(t *testing.T, retries int) *sentry.Client {
	t.Helper()
	c, err := sentry.New(sentry.Options{BaseURL: s.url, Token: "test-token", UserAgent: "mapback/test", MaxRetries: retries,
		Sleep: func(ctx context.Context, d time.Duration) error {
			s.sleeps = append(s.sleeps, d)
			return ctx.Err()
		}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// count returns how many requests the server saw per endpoint.
func (s *server) count() map[string]int {
	n := map[string]int{}
	for _, r := range s.Requests() {
		n[r.Endpoint+" "+r.Method]++
	}
	return n
}

// chunkIDsSent lists the chunk names of every chunk POST, in arrival order.
func (s *server) chunkIDsSent() []string {
	var ids []string
	for _, r := range s.Requests() {
		for _, p := range r.Parts {
			ids = append(ids, p.Filename)
		}
	}
	return ids
}

// injectedTree copies the committed real-bundler builds and injects debug IDs into them.
func injectedTree(t *testing.T) string {
	t.Helper()
	dst := testkit.Fixtures(t)
	if _, err := inject.Run(context.Background(), inject.Options{Scan: dist.Options{Paths: []string{dst}}}); err != nil {
		t.Fatal(err)
	}
	return dst
}

func (s *server) options(paths ...string) Options {
	return Options{Paths: paths, Org: "o", Projects: []string{"p"}, Client: s.client, PollInterval: 10 * time.Millisecond}
}

func TestFirstUploadThenNothingToSend(t *testing.T) {
	s := newServer(t, sentrytest.Capability{})
	dir := injectedTree(t)

	rep, err := Run(context.Background(), s.options(dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Scripts) != 5 || len(rep.Maps) != 5 {
		t.Fatalf("%d scripts, %d maps", len(rep.Scripts), len(rep.Maps))
	}
	for _, sc := range rep.Scripts {
		if sc.DebugID == "" || sc.SourceMap == "" {
			t.Errorf("script %+v lacks its debug ID or sourcemap header", sc)
		}
	}
	if rep.Chunks.Total != 1 || rep.Chunks.Sent != 1 || rep.State == "" {
		t.Fatalf("chunks %+v state %q", rep.Chunks, rep.State)
	}
	got := s.count()
	if got["capability GET"] != 1 || got["assemble POST"] != 2 || got["chunks POST"] != 1 {
		t.Fatalf("requests: %v", got)
	}
	waitForBundles(t, s, 1)
	b := s.Bundles()[0]
	if b.DebugID != rep.BundleDebugID || b.Checksum != rep.Checksum || b.Org != "o" {
		t.Fatalf("stored %+v, report %s %s", b, rep.BundleDebugID, rep.Checksum)
	}
	byURL := map[string]artifactbundle.FileEntry{}
	for _, e := range b.Manifest.Files {
		byURL[e.URL] = e
	}
	for _, sc := range rep.Scripts {
		e, ok := byURL[sc.URL]
		if !ok || e.Type != artifactbundle.TypeMinifiedSource || e.Headers["debug-id"] != sc.DebugID {
			t.Errorf("manifest entry for %s: %+v", sc.URL, e)
		}
	}

	// The same tree again: capability, two assembles, no chunk.
	s.ResetRequests()
	rep2, err := Run(context.Background(), s.options(dir))
	if err != nil {
		t.Fatal(err)
	}
	if rep2.Checksum != rep.Checksum || rep2.BundleDebugID != rep.BundleDebugID {
		t.Fatal("the same tree built a different bundle")
	}
	got = s.count()
	if got["chunks POST"] != 0 || got["assemble POST"] != 2 || got["capability GET"] != 1 || rep2.Chunks.Sent != 0 || rep2.State != "ok" {
		t.Fatalf("second upload: requests %v, report %+v state %q", got, rep2.Chunks, rep2.State)
	}
}

// waitForBundles waits for the server's background assembly.
func waitForBundles(t *testing.T, s *server, n int) {
	t.Helper()
	for i := 0; i < 500 && len(s.Bundles()) < n; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if len(s.Bundles()) < n {
		t.Fatalf("%d bundles stored, want %d", len(s.Bundles()), n)
	}
}

func TestManyChunksBatchesAndConcurrency(t *testing.T) {
	s := newServer(t, sentrytest.Capability{ChunkSize: 4096, ChunksPerRequest: 2, MaxRequestSize: 1 << 20, Concurrency: 2})
	dir := injectedTree(t)
	opts := s.options(dir)
	opts.Wait = true
	rep, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	want := int((rep.BundleSize + 4095) / 4096)
	if rep.Chunks.Total != want || rep.Chunks.Sent != want || rep.Chunks.Requests != (want+1)/2 || rep.State != "ok" {
		t.Fatalf("report %+v state %q, want %d chunks", rep.Chunks, rep.State, want)
	}
	for _, r := range s.Requests() {
		if r.Endpoint == "chunks" && r.Method == "POST" && len(r.Parts) > 2 {
			t.Errorf("a POST carried %d chunks, chunksPerRequest is 2", len(r.Parts))
		}
	}
	if m := s.MaxInFlight("chunks"); m > 2 || m < 1 {
		t.Errorf("%d chunk POSTs in flight, concurrency is 2", m)
	}

	// Lose two chunks on the server: the next upload of the same tree sends exactly those, in file
	// order, in one POST (docs/internals/upload-protocol.md §11), even though the server had assembled the bundle before.
	plan := planChunks(mustRead(t, opts, rep), 4096)
	lost := []string{plan.chunks[1].ID, plan.chunks[len(plan.chunks)-1].ID}
	for _, id := range lost {
		if err := s.DeleteChunk(id); err != nil {
			t.Fatal(err)
		}
	}
	s.ResetRequests()
	rep2, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if sent := s.chunkIDsSent(); strings.Join(sent, ",") != strings.Join(lost, ",") || rep2.Chunks.Requests != 1 {
		t.Fatalf("sent %v in %d request(s); lost %v", sent, rep2.Chunks.Requests, lost)
	}
}

func TestResumeSendsOnlyMissingChunks(t *testing.T) {
	s := newServer(t, sentrytest.Capability{ChunkSize: 2048, ChunksPerRequest: 4})
	dir := injectedTree(t)
	opts := s.options(dir)
	// First attempt: every chunk POST after the first fails for good (500 is not retried).
	s.AddFault(sentrytest.Fault{Endpoint: "chunks", Status: 500, Times: 0})
	if _, err := Run(context.Background(), opts); err == nil {
		t.Fatal("upload succeeded against a failing server")
	} else {
		var he *sentry.HTTPError
		if !errors.As(err, &he) || he.Status != 500 {
			t.Fatalf("error %v, want the server's 500", err)
		}
	}
	s.ClearFaults()
	// Store half of the chunks by hand, as if the first run had got that far.
	data := mustRead(t, opts, &Report{})
	plan := planChunks(data, 2048)
	for i, c := range plan.chunks {
		if i%2 == 0 {
			postChunk(t, s, c.Chunk)
		}
	}
	// The failed run may have stored a few chunks of its own (batches run in parallel): what must
	// be resent is exactly what the server lacks now.
	var want []string
	for _, c := range plan.chunks {
		if !s.HasChunk(c.ID) {
			want = append(want, c.ID)
		}
	}
	if len(want) == 0 || len(want) == len(plan.chunks) {
		t.Fatalf("%d of %d chunks missing: the test needs some, not all", len(want), len(plan.chunks))
	}
	s.ResetRequests()
	rep, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.chunkIDsSent(); !sameSet(got, want) {
		t.Fatalf("resent %d chunks %v, want the %d missing ones %v", len(got), got, len(want), want)
	}
	if rep.Chunks.Sent != len(want) {
		t.Fatalf("report says %d sent", rep.Chunks.Sent)
	}
}

// postChunk stores one chunk on the server through the client, as an earlier run would have.
func postChunk(t *testing.T, s *server, c sentry.Chunk) {
	t.Helper()
	co, err := s.client.ChunkUploadOptions(context.Background(), "o")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.client.UploadChunks(context.Background(), co.URL, []sentry.Chunk{c}, sentry.UploadOptions{Gzip: true}); err != nil {
		t.Fatal(err)
	}
}

// mustRead rebuilds the bundle of a run (the same inputs give the same bytes).
func mustRead(t *testing.T, opts Options, rep *Report) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bundle")
	o := opts
	o.DryRun, o.Client, o.BundleOut = true, nil, out
	again, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if again.Checksum != rep.Checksum && rep.Checksum != "" {
		t.Fatalf("rebuild differs: %s vs %s", again.Checksum, rep.Checksum)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestAssembleStates(t *testing.T) {
	for _, tc := range []struct {
		name, state, detail string
		wait                bool
		wantErr             string
	}{
		{name: "error with detail", state: "error", detail: "Invalid bundle: missing manifest", wantErr: "Invalid bundle: missing manifest"},
		{name: "error without detail", state: "error", wantErr: "unknown error"},
		{name: "not_found after upload", state: "not_found", wantErr: "unknown error"},
		{name: "unknown state", state: "exploded", wantErr: `unknown assemble state "exploded"`},
		{name: "created is success without wait", state: "created"},
		{name: "assembling is success without wait", state: "assembling"},
		{name: "assembling forever with wait", state: "assembling", wait: true, wantErr: "did not finish processing"},
		{name: "error while waiting", state: "error", detail: "boom", wait: true, wantErr: "boom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, sentrytest.Capability{})
			dir := injectedTree(t)
			s.ForceAssembleState(tc.state, tc.detail)
			opts := s.options(dir)
			opts.Wait, opts.WaitFor = tc.wait, 50*time.Millisecond
			rep, err := Run(context.Background(), opts)
			if tc.wantErr == "" {
				if err != nil || rep.State != tc.state {
					t.Fatalf("err %v state %q", err, rep.State)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestWaitPollsUntilOK(t *testing.T) {
	s := newServer(t, sentrytest.Capability{})
	s.SetAssembleDelay(150 * time.Millisecond)
	dir := injectedTree(t)
	opts := s.options(dir)
	opts.Wait = true
	rep, err := Run(context.Background(), opts)
	if err != nil || rep.State != "ok" {
		t.Fatalf("err %v state %q", err, rep.State)
	}
	if n := s.count()["assemble POST"]; n < 3 {
		t.Fatalf("%d assemble calls: expected polling", n)
	}
}

func TestWaitHonoursServerMaxWait(t *testing.T) {
	s := newServer(t, sentrytest.Capability{MaxWait: 1})
	s.ForceAssembleState("assembling", "")
	opts := s.options(injectedTree(t))
	opts.Wait, opts.WaitFor, opts.PollInterval = true, time.Hour, 300*time.Millisecond
	start := time.Now()
	_, err := Run(context.Background(), opts)
	var te *WaitTimeoutError
	if !errors.As(err, &te) || te.Limit != time.Second {
		t.Fatalf("err %v, want a 1 s timeout from maxWait", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("waited %s", d)
	}
}

func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fault   sentrytest.Fault
		wantErr string // "" = the upload succeeds after retries
		status  int
	}{
		{name: "502 burst then success", fault: sentrytest.Fault{Endpoint: "chunks", Status: 502, Times: 3}},
		{name: "503 on assemble then success", fault: sentrytest.Fault{Endpoint: "assemble", Status: 503, Times: 2}},
		{name: "429 with Retry-After", fault: sentrytest.Fault{Endpoint: "chunks", Status: 429, RetryAfter: "2", Times: 1}},
		{name: "connection dropped mid-body", fault: sentrytest.Fault{Endpoint: "chunks", Drop: true, Times: 1}},
		{name: "401", fault: sentrytest.Fault{Endpoint: "capability", Status: 401, Body: `{"detail":"Invalid token"}`}, wantErr: "Invalid token", status: 401},
		{name: "413", fault: sentrytest.Fault{Endpoint: "chunks", Status: 413, Body: "<html>Request Entity Too Large</html>"}, wantErr: "413", status: 413},
		{name: "502 for ever", fault: sentrytest.Fault{Endpoint: "chunks", Status: 502}, wantErr: "502", status: 502},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, sentrytest.Capability{})
			dir := injectedTree(t)
			s.AddFault(tc.fault)
			rep, err := Run(context.Background(), s.options(dir))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("err %v (sleeps %v)", err, s.sleeps)
				}
				waitForBundles(t, s, 1)
				if rep.Chunks.Sent != 1 {
					t.Fatalf("report %+v", rep.Chunks)
				}
				if tc.fault.RetryAfter != "" && (len(s.sleeps) == 0 || s.sleeps[0] < 2*time.Second) {
					t.Fatalf("Retry-After 2 not honoured: sleeps %v", s.sleeps)
				}
				return
			}
			var he *sentry.HTTPError
			if err == nil || !errors.As(err, &he) || he.Status != tc.status || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err %v, want HTTP %d with %q", err, tc.status, tc.wantErr)
			}
			if he.Fix() == "" && tc.status != 502 {
				t.Errorf("no fix for HTTP %d", tc.status)
			}
		})
	}
}

func TestCtrlCThenRerunSendsOnlyMissing(t *testing.T) {
	s := newServer(t, sentrytest.Capability{ChunkSize: 2048, ChunksPerRequest: 1, Concurrency: 1})
	dir := injectedTree(t)
	// A slow server: every chunk POST takes a while, and the user gives up after a few.
	s.AddFault(sentrytest.Fault{Endpoint: "chunks", Delay: 40 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // Ctrl-C after a few chunk POSTs, however long the build took
		for ctx.Err() == nil {
			n := 0
			for _, r := range s.Requests() {
				if r.Endpoint == "chunks" && r.Method == "POST" {
					n++
				}
			}
			if n >= 3 {
				cancel()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	rep, err := Run(ctx, s.options(dir))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want cancellation", err)
	}
	total := rep.Chunks.Total
	stored := 0
	plan := planChunks(mustRead(t, s.options(dir), rep), 2048)
	for _, c := range plan.chunks {
		if s.HasChunk(c.ID) {
			stored++
		}
	}
	if stored == 0 || stored == total {
		t.Fatalf("%d of %d chunks stored before the interruption; the test needs some, not all", stored, total)
	}
	// The report counts only requests that were answered: never more than the server stored.
	if rep.Chunks.Sent > stored || rep.Chunks.Sent >= rep.Chunks.Missing {
		t.Fatalf("report after Ctrl-C: %d of %d sent, server has %d", rep.Chunks.Sent, rep.Chunks.Missing, stored)
	}
	s.ClearFaults()
	s.ResetRequests()
	rep, err = Run(context.Background(), s.options(dir))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(s.chunkIDsSent()); got != total-stored || rep.Chunks.Sent != total-stored {
		t.Fatalf("rerun sent %d chunks (report %d), want the %d missing", got, rep.Chunks.Sent, total-stored)
	}
}

func TestNoReleaseNoDebugIDsStopsBeforeAnyRequest(t *testing.T) {
	s := newServer(t, sentrytest.Capability{})
	dst := testkit.CopyTree(t, filepath.Join(testkit.RepoRoot(t), "testdata", "fixtures", "webpack"))
	_, err := Run(context.Background(), s.options(dst))
	var nd *NoDebugIDsError
	if !errors.As(err, &nd) || !strings.Contains(nd.Fix(), "mapback sourcemaps inject") {
		t.Fatalf("err %v", err)
	}
	if n := len(s.Requests()); n != 0 {
		t.Fatalf("%d requests before the check failed", n)
	}
	// With a release the same tree uploads; its entries carry no debug-id header.
	opts := s.options(dst)
	opts.Release = "1.0"
	if _, err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
}

func TestSettingsRejectedBeforeAnyRequest(t *testing.T) {
	s := newServer(t, sentrytest.Capability{})
	dir := injectedTree(t)
	for _, tc := range []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"no org", func(o *Options) { o.Org = "" }, "no organization"},
		{"no project", func(o *Options) { o.Projects = nil }, "no project"},
		{"slash in release", func(o *Options) { o.Release = "a/b" }, "'/'"},
		{"dist without release", func(o *Options) { o.Dist = "d1" }, "needs a release"},
		{"long dist", func(o *Options) { o.Release, o.Dist = "r", strings.Repeat("d", 65) }, "64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := s.options(dir)
			tc.edit(&o)
			_, err := Run(context.Background(), o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
	if n := len(s.Requests()); n != 0 {
		t.Fatalf("%d requests", n)
	}
}

func TestDryRunAndBundleOut(t *testing.T) {
	dir := injectedTree(t)
	out := filepath.Join(t.TempDir(), "bundle.zip")
	rep, err := Run(context.Background(), Options{Paths: []string{dir}, DryRun: true, BundleOut: out, URLPrefix: "~/static/", URLSuffix: "?v=1"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := artifactbundle.Open(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Check(); err != nil {
		t.Fatal(err)
	}
	m := b.Manifest()
	if m.DebugID != rep.BundleDebugID || len(m.Files) != 10 {
		t.Fatalf("manifest %s with %d files", m.DebugID, len(m.Files))
	}
	e, ok := m.Files["files/_/_/static/webpack/main.js"]
	if !ok || e.URL != "~/static/webpack/main.js?v=1" {
		t.Fatalf("entry %+v (ok %v); files %v", e, ok, b.Files())
	}
	info, err := os.Stat(out)
	if err != nil || info.Mode().Perm() != 0o644 {
		t.Fatalf("bundle-out mode %v %v", info.Mode(), err)
	}
}

// TestManifestMatchesReference builds the bundle for the tree the committed reference bundle was
// made from (sentry-cli 3.8.0, --no-rewrite -o o -p p --release r --dist d1) and compares the
// manifest bytes and the bundle debug ID.
func TestManifestMatchesReference(t *testing.T) {
	const ref = "../artifactbundle/testdata/reference-3.8.0.bundle"
	want, err := artifactbundle.Open(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	defer want.Close()
	wantManifest, err := want.ReadFile(artifactbundle.ManifestName)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "bundle")
	rep, err := Run(context.Background(), Options{Paths: []string{"../artifactbundle/testdata/reference-src"}, DryRun: true,
		BundleOut: out, Org: "o", Projects: []string{"p"}, Release: "r", Dist: "d1"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := artifactbundle.Open(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	gotManifest, err := got.ReadFile(artifactbundle.ManifestName)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gotManifest, wantManifest) {
		t.Fatalf("manifest differs\n got %s\nwant %s", gotManifest, wantManifest)
	}
	if rep.BundleDebugID != want.Manifest().DebugID {
		t.Fatalf("debug_id %s, want %s", rep.BundleDebugID, want.Manifest().DebugID)
	}
}

func TestBatches(t *testing.T) {
	mk := func(sizes ...int) []plannedChunk {
		var cs []plannedChunk
		for i, n := range sizes {
			cs = append(cs, plannedChunk{Chunk: sentry.Chunk{ID: string(rune('a' + i)), Len: int64(n)}})
		}
		return cs
	}
	shape := func(bs [][]plannedChunk) string {
		var parts []string
		for _, b := range bs {
			var ids string
			for _, c := range b {
				ids += c.ID
			}
			parts = append(parts, ids)
		}
		return strings.Join(parts, " ")
	}
	for _, tc := range []struct {
		sizes      []int
		per        int
		max        int64
		want       string
		annotation string
	}{
		{[]int{10, 10, 10, 10, 10, 10, 10}, 2, 1000, "ab cd ef g", "docs/internals/upload-protocol.md §11: chunksPerRequest 2"},
		{[]int{65536, 65536, 65536}, 64, 100000, "a b c", "docs/internals/upload-protocol.md §6: maxRequestSize below two chunks"},
		{[]int{200}, 4, 100, "a", "a chunk larger than maxRequestSize still goes, alone"},
		{[]int{40, 40, 40, 40}, 10, 100, "ab cd", "byte limit"},
		{nil, 4, 100, "", "nothing to send"},
	} {
		if got := shape(batches(mk(tc.sizes...), tc.per, tc.max)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.annotation, got, tc.want)
		}
	}
}

func TestPlanChunks(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 1000) // 10000 bytes
	p := planChunks(data, 4096)
	if len(p.chunks) != 3 || len(p.chunks[2].Data) != 10000-8192 {
		t.Fatalf("%d chunks", len(p.chunks))
	}
	one := planChunks(data[:100], 4096)
	if len(one.chunks) != 1 || one.chunks[0].ID != sha1hex(data[:100]) || p.chunks[1].ID != sha1hex(data[4096:8192]) {
		t.Fatalf("%+v", one.chunks)
	}
}

func containsAll(have, want []string) bool {
	set := map[string]bool{}
	for _, h := range have {
		set[h] = true
	}
	for _, w := range want {
		if !set[w] {
			return false
		}
	}
	return true
}

func sameSet(a, b []string) bool {
	return len(a) == len(b) && containsAll(a, b) && containsAll(b, a)
}

func sha1hex(b []byte) string {
	sum := sha1.Sum(b)
	return hex.EncodeToString(sum[:])
}

func TestSameURLFromTwoPaths(t *testing.T) {
	root := testkit.WriteTree(t, t.TempDir(), map[string]string{"a/main.js": "var a=1;\n", "b/main.js": "var b=1;\n"})
	_, err := Run(context.Background(), Options{Paths: []string{filepath.Join(root, "a"), filepath.Join(root, "b")}, DryRun: true, Release: "r"})
	var se *SettingError
	if !errors.As(err, &se) || !strings.Contains(se.Error(), "would both be uploaded as ~/main.js") || !strings.Contains(se.Fix(), "common parent") {
		t.Fatalf("err %v", err)
	}
}

func TestChunkSizeBounds(t *testing.T) {
	data := make([]byte, 5000)
	if p := planChunks(data, 1<<62); len(p.chunks) != 1 || len(p.chunks[0].Data) != 5000 {
		t.Fatalf("a huge chunk size: %d chunks", len(p.chunks))
	}
	if p := planChunks(nil, 8<<20); len(p.chunks) != 1 {
		t.Fatalf("an empty bundle: %d chunks", len(p.chunks))
	}
	// A server announcing 1-byte chunks would need more than maxChunks requests' worth of chunks:
	// the build stops there, before any chunk request.
	c := newChunker(context.Background(), func() (chunkSettings, error) { return chunkSettings{size: 1}, nil })
	c.max = 1000 // the rule, without 100,000 chunks under the race detector
	_, err := c.Write(make([]byte, c.max+10))
	if err = endChunker(c, err); err == nil || !strings.Contains(err.Error(), "is --url a Sentry server?") {
		t.Fatalf("err %v", err)
	}
}
