//go:build conformance

package sentrytest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mapback/mapback/internal/testkit"
)

// These tests run the reference client (sentry-cli 3.8.0, path in MAPBACK_REFERENCE_CLI as `make
// conformance` provides it) against the server: if the real client uploads, waits and fails exactly as
// docs/internals/upload-protocol.md records against Sentry, the server is faithful enough for mapback's tests.

func referenceCLI(t *testing.T) string {
	t.Helper()
	p := os.Getenv("MAPBACK_REFERENCE_CLI")
	if p == "" {
		t.Fatal("MAPBACK_REFERENCE_CLI is not set; a conformance run without the reference client proves nothing")
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// refRun runs the reference client with a clean environment (no real configuration or token).
func refRun(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, referenceCLI(t), args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "SENTRY_LOAD_DOTENV=0"}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("sentry-cli %v: timed out\n%s\n%s", args, out.String(), errOut.String())
	}
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

// refDist writes a small app (two bundles with maps plus incompressible padding, so several chunks
// are needed at a small chunk size) and injects debug IDs with the reference client.
func refDist(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	dist := filepath.Join(dir, "dist")
	pad := strings.Repeat("x", 10)
	for i := 0; i < 400; i++ {
		pad += sha1hex([]byte{byte(i), byte(i >> 8)})
	}
	write := func(name, data string) { testkit.WriteFile(t, filepath.Join(dist, name), data) }
	for _, name := range []string{"main", "admin"} {
		write(name+".js", "function "+name+"(){throw new Error('"+name+"')}var pad='"+pad+"';"+name+"();\n//# sourceMappingURL="+name+".js.map\n")
		write(name+".js.map", `{"version":3,"file":"`+name+`.js","sources":["`+name+`.ts"],"sourcesContent":["function `+name+`() { throw new Error('`+name+`') }"],"names":[],"mappings":"AAAA"}`)
	}
	if _, errOut, code := refRun(t, dir, "sourcemaps", "inject", "dist"); code != 0 {
		t.Fatalf("inject: exit %d\n%s", code, errOut)
	}
	return dir
}

var debugIDComment = regexp.MustCompile(`//# debugId=([0-9a-f-]{36})`)

func TestReferenceClientUpload(t *testing.T) {
	dir := refDist(t)
	js, err := os.ReadFile(filepath.Join(dir, "dist", "main.js"))
	if err != nil {
		t.Fatal(err)
	}
	m := debugIDComment.FindSubmatch(js)
	if m == nil {
		t.Fatalf("no debug ID injected:\n%s", js)
	}
	debugID := string(m[1])

	const token = "sntryu_0000000000000000000000000000000000000000000000000000000000000000"
	h := newHarness(t, Options{Token: token, Capability: Capability{ChunkSize: 4096, ChunksPerRequest: 2, Concurrency: 2}})
	upload := func(extra ...string) (string, string, int) {
		args := append([]string{"--url", h.ts.URL, "sourcemaps", "upload", "--auth-token", token, "--org", testOrg,
			"--project", testProject, "--release", "r"}, extra...)
		return refRun(t, dir, append(args, "dist")...)
	}

	out, errOut, code := upload("--wait")
	if code != 0 || !strings.Contains(out+errOut, "File processing complete") {
		t.Fatalf("upload --wait: exit %d\n%s\n%s", code, out, errOut)
	}
	bs := h.srv.Bundles()
	if len(bs) != 1 || bs[0].Release != "r" || bs[0].Manifest.Org != testOrg {
		t.Fatalf("Bundles() = %+v", bs)
	}
	if es := h.lookup(testOrg, testProject, "debug_id="+debugID); len(es) != 1 {
		t.Fatalf("lookup of %s = %+v", debugID, es)
	}
	var chunkPOSTs, parts int
	for _, r := range h.srv.Requests() {
		if r.Endpoint == EndpointLookup { // the test's own request
			continue
		}
		if r.Header.Get("Authorization") != "" || !strings.HasPrefix(r.Header.Get("User-Agent"), "sentry-cli/3.8.0") {
			t.Fatalf("recorded headers %v", r.Header)
		}
		if r.Endpoint == EndpointChunks {
			chunkPOSTs++
			if r.Status != http.StatusOK || len(r.Parts) == 0 || len(r.Parts) > 2 {
				t.Fatalf("chunk POST %+v", r)
			}
			for _, p := range r.Parts {
				parts++
				if p.Name != "file_gzip" || !bytes.Equal(p.GzipHeader, []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}) {
					t.Fatalf("part %+v", p)
				}
			}
		}
	}
	if parts < 3 || chunkPOSTs < 2 {
		t.Fatalf("%d parts in %d POSTs; the bundle should need several of each", parts, chunkPOSTs)
	}
	if got := h.srv.MaxInFlight(EndpointChunks); got < 1 || got > 2 {
		t.Fatalf("MaxInFlight(chunks) = %d with concurrency 2", got)
	}

	// A repeat upload sends no chunk: capability and two assembles, both ok (§4, §11).
	h.srv.ResetRequests()
	if out, errOut, code := upload(); code != 0 {
		t.Fatalf("repeat upload: exit %d\n%s\n%s", code, out, errOut)
	}
	var eps []string
	for _, r := range h.srv.Requests() {
		eps = append(eps, r.Endpoint)
	}
	if strings.Join(eps, ",") != "capability,assemble,assemble" {
		t.Fatalf("repeat upload requests: %v", eps)
	}

	// Deleting a chunk makes the next upload send just that one (§11 "Many chunks").
	var body uploadBody
	for _, r := range h.srv.Requests() {
		if r.Endpoint == EndpointAssemble {
			if err := json.Unmarshal(r.Body, &body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(body.Chunks) < 3 {
		t.Fatalf("assemble body lists %d chunks", len(body.Chunks))
	}
	if err := h.srv.DeleteChunk(body.Chunks[1]); err != nil {
		t.Fatal(err)
	}
	h.srv.ResetRequests()
	if out, errOut, code := upload(); code != 0 {
		t.Fatalf("upload after DeleteChunk: exit %d\n%s\n%s", code, out, errOut)
	}
	var sent []string
	for _, r := range h.srv.Requests() {
		for _, p := range r.Parts {
			sent = append(sent, p.Filename)
		}
	}
	if len(sent) != 1 || sent[0] != body.Chunks[1] {
		t.Fatalf("re-sent %v; want just %s", sent, body.Chunks[1])
	}
}

// TestReferenceClientErrors: the reference client reports the server's failures as §8 records.
func TestReferenceClientErrors(t *testing.T) {
	dir := refDist(t)
	run := func(h *harness, token string, extra ...string) (string, int) {
		args := append([]string{"--url", h.ts.URL, "sourcemaps", "upload", "--auth-token", token, "--org", testOrg,
			"--project", testProject, "--release", "r"}, extra...)
		out, errOut, code := refRun(t, dir, append(args, "dist")...)
		return out + errOut, code
	}

	t.Run("invalid token", func(t *testing.T) {
		h := newHarness(t, Options{Token: "right"})
		out, code := run(h, "wrong")
		if code != 1 || !strings.Contains(out, "Invalid token (http status: 401)") || len(h.srv.Requests()) != 1 {
			t.Fatalf("exit %d, %d requests\n%s", code, len(h.srv.Requests()), out)
		}
	})
	t.Run("assembly error", func(t *testing.T) {
		h := newHarness(t, Options{})
		h.srv.ForceAssembleState(StateError, "Invalid bundle: missing manifest")
		out, code := run(h, "t")
		if code != 1 || !strings.Contains(out, "Failed to process uploaded files: Invalid bundle: missing manifest") {
			t.Fatalf("exit %d\n%s", code, out)
		}
	})
	t.Run("wait times out", func(t *testing.T) {
		h := newHarness(t, Options{})
		h.srv.ForceAssembleState(StateAssembling, "")
		out, code := run(h, "t", "--wait-for", "2")
		if code != 1 || !strings.Contains(out, "Failed to process files in 2s") {
			t.Fatalf("exit %d\n%s", code, out)
		}
	})
	t.Run("500 on chunks is not retried", func(t *testing.T) {
		h := newHarness(t, Options{})
		h.srv.AddFault(Fault{Endpoint: EndpointChunks, Status: 500, Body: `{"detail":"disk full"}`})
		out, code := run(h, "t")
		var posts int
		for _, r := range h.srv.Requests() {
			if r.Endpoint == EndpointChunks {
				posts++
			}
		}
		if code != 1 || !strings.Contains(out, "disk full (http status: 500)") || posts != 1 {
			t.Fatalf("exit %d, %d chunk POSTs\n%s", code, posts, out)
		}
	})
	t.Run("503 then success is retried", func(t *testing.T) {
		h := newHarness(t, Options{})
		h.srv.AddFault(Fault{Endpoint: EndpointChunks, Status: 503, Times: 1})
		out, code := run(h, "t", "--wait")
		if code != 0 || len(h.srv.Bundles()) != 1 {
			t.Fatalf("exit %d, %d bundles\n%s", code, len(h.srv.Bundles()), out)
		}
	})
	t.Run("no release, no debug ids", func(t *testing.T) {
		// The server-side rule (§9): a bundle of un-injected files without a release fails assembly. The
		// reference client checks this itself only for JS files that reference a map, so plain files
		// reach the server.
		plain := t.TempDir()
		testkit.WriteFile(t, filepath.Join(plain, "dist", "plain.js"), "console.log(1)\n")
		h := newHarness(t, Options{})
		out, errOut, code := refRun(t, plain, "--url", h.ts.URL, "sourcemaps", "upload", "--auth-token", "t", "--org", testOrg,
			"--project", testProject, "--wait", "dist")
		if code != 1 || !strings.Contains(out+errOut, "uploading a bundle without debug ids or release is prohibited") {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
	})
}

// TestReferenceClientCapabilityVariants: a relative chunk URL and disabled compression, both of which
// Sentry sends to some clients or orgs (§2, §3), still give a complete upload.
func TestReferenceClientCapabilityVariants(t *testing.T) {
	dir := refDist(t)
	for _, tc := range []struct {
		name     string
		capa     Capability
		partName string
	}{
		{"relative url", Capability{RelativeURL: true}, "file_gzip"},
		{"no compression", Capability{NoCompression: true}, "file"},
		{"zstd only", Capability{Compression: []string{"zstd"}}, "file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{Capability: tc.capa})
			out, errOut, code := refRun(t, dir, "--url", h.ts.URL, "sourcemaps", "upload", "--auth-token", "t", "--org", testOrg,
				"--project", testProject, "--release", "r", "--wait", "dist")
			if code != 0 || len(h.srv.Bundles()) != 1 {
				t.Fatalf("exit %d, %d bundles\n%s\n%s", code, len(h.srv.Bundles()), out, errOut)
			}
			for _, r := range h.srv.Requests() {
				for _, p := range r.Parts {
					if p.Name != tc.partName {
						t.Fatalf("part %+v; want name %s", p, tc.partName)
					}
				}
			}
		})
	}
}
