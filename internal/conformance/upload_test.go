//go:build conformance

package conformance

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/artifactbundle"
	"github.com/mapback/mapback/internal/testkit"
)

// startDevServer runs `mapback dev-server` (with args after its own flags) on a free loopback port
// with its own store and returns its URL and store directory. The server is stopped when the test
// ends.
func startDevServer(t *testing.T, mapback string, args ...string) (url, store string) {
	t.Helper()
	store = t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, mapback, append([]string{"dev-server", "--addr", "127.0.0.1:0", "--dir", store}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("dev-server stderr:\n%s", stderr.String())
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("dev-server printed no URL: %v\n%s", err, stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return strings.TrimSpace(line), store
}

// storedBundles opens every artifact bundle the dev-server kept under store.
func storedBundles(t *testing.T, store string) []*artifactbundle.Bundle {
	t.Helper()
	var out []*artifactbundle.Bundle
	err := filepath.Walk(filepath.Join(store, "bundles"), func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := artifactbundle.Open(context.Background(), p)
		if err != nil {
			return nil // a sidecar, not a bundle
		}
		t.Cleanup(func() { _ = b.Close() })
		out = append(out, b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// injectedCopy copies the committed fixture builds and injects them with mapback (whose bundle
// bytes equal the reference client's, see inject_test.go).
func injectedCopy(t *testing.T, mapback string) string {
	t.Helper()
	dir := testkit.Fixtures(t)
	if _, stderr, code := run(t, dir, mapback, "sourcemaps", "inject", "-q", "."); code != 0 {
		t.Fatalf("inject: %s", stderr)
	}
	return dir
}

// TestUploadParity proves the dev server against the real reference client (it uploads and waits
// successfully), and that mapback builds the same artifact bundle as the reference client's
// --no-rewrite upload of the same injected tree: identical manifest.json bytes and bundle debug_id,
// both captured by the dev server. It runs for the plain case and for every manifest option.
func TestUploadParity(t *testing.T) {
	dir := injectedCopy(t, binary(t, "MAPBACK_BIN"))
	for _, tc := range []struct {
		name  string
		flags []string // the same for both clients, after `sourcemaps upload`
	}{
		{"one project and a release", []string{"-o", "o", "-p", "p", "--release", "r"}},
		{"debug IDs only, no release", []string{"-o", "o", "-p", "p"}},
		{"two projects, dist, note, prefix and suffix", []string{"-o", "o", "-p", "p1", "-p", "p2", "--release", "r", "--dist", "d1", "--note", "hello", "--url-prefix", "~/static/", "--url-suffix", "?v=1"}},
		{"scheme prefix", []string{"-o", "o", "-p", "p", "--release", "r", "--url-prefix", "app:///"}},
	} {
		t.Run(tc.name, func(t *testing.T) { uploadBoth(t, dir, tc.flags...) })
	}
}

// uploadBoth uploads dir with the reference client (--no-rewrite --wait) and with mapback, each to
// its own mapback dev-server, and checks that the two stored bundles have byte-identical
// manifest.json, the same bundle debug_id and the same files. flags follow `sourcemaps upload`.
func uploadBoth(t *testing.T, dir string, flags ...string) {
	t.Helper()
	ref := binary(t, "MAPBACK_REFERENCE_CLI")
	mapback := binary(t, "MAPBACK_BIN")
	refURL, refStore := startDevServer(t, mapback)
	args := append([]string{"--url", refURL, "--auth-token", "conformance-token", "sourcemaps", "upload", "--no-rewrite", "--wait"}, flags...)
	stdout, stderr, code := run(t, dir, ref, append(args, ".")...)
	if code != 0 {
		t.Fatalf("reference upload to mapback dev-server failed (exit %d):\n%s\n%s", code, stdout, stderr)
	}
	mbURL, mbStore := startDevServer(t, mapback)
	args = append([]string{"--url", mbURL, "--auth-token", "conformance-token", "sourcemaps", "upload", "--wait", "--no-cache"}, flags...)
	_, stderr, code = run(t, dir, mapback, append(args, ".")...)
	if code != 0 {
		t.Fatalf("mapback upload failed (exit %d):\n%s", code, stderr)
	}

	refBundles, mbBundles := storedBundles(t, refStore), storedBundles(t, mbStore)
	if len(refBundles) != 1 || len(mbBundles) != 1 {
		t.Fatalf("%d reference and %d mapback bundles stored", len(refBundles), len(mbBundles))
	}
	want, err := refBundles[0].ReadFile(artifactbundle.ManifestName)
	if err != nil {
		t.Fatal(err)
	}
	got, err := mbBundles[0].ReadFile(artifactbundle.ManifestName)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("manifest.json differs\nmapback:   %s\nreference: %s", got, want)
	}
	if g, w := mbBundles[0].Manifest().DebugID, refBundles[0].Manifest().DebugID; g != w || g == "" {
		t.Fatalf("bundle debug_id %q, reference %q", g, w)
	}
	// Every file's bytes are the same too (both upload files as they are on disk).
	for _, name := range refBundles[0].Files() {
		a, _ := refBundles[0].ReadFile(name)
		b, err := mbBundles[0].ReadFile(name)
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs (%v)", name, err)
		}
	}
	t.Logf("manifest identical (%d bytes), bundle debug_id %s", len(got), mbBundles[0].Manifest().DebugID)
}

// TestReferenceAgainstDevServerToken checks that the dev server's error replies are ones the real
// client understands: a wrong token is reported as the server's detail with status 401.
func TestReferenceAgainstDevServerToken(t *testing.T) {
	ref := binary(t, "MAPBACK_REFERENCE_CLI")
	mapback := binary(t, "MAPBACK_BIN")
	dir := injectedCopy(t, mapback)
	url, _ := startDevServer(t, mapback, "--token", "right-token")
	_, stderr, code := run(t, dir, ref, "--url", url, "--auth-token", "wrong-token", "sourcemaps", "upload", "-o", "o", "-p", "p", ".")
	if code == 0 || !strings.Contains(stderr, "Invalid token") || !strings.Contains(stderr, "401") {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	_, stderr, code = run(t, dir, ref, "--url", url, "--auth-token", "right-token", "sourcemaps", "upload", "-o", "o", "-p", "p", "--wait", ".")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
}

// TestUploadParityEdgeCases compares manifests on a tree of the shapes that decide URLs, types and
// headers: an inline data: map, a co-located map without a comment, a sourceMappingURL with a
// query, a remote sourceMappingURL, a .map that is not JSON, a map in another directory, a file
// that is not UTF-8, a hidden directory, and a debug ID on only one bundle. (node_modules is left
// out on purpose: mapback skips it below a PATH, as inject does; the reference uploads it.)
func TestUploadParityEdgeCases(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "edge")
	const smap = `{"version":3,"sources":["a.ts"],"names":[],"mappings":"AAAA"}`
	files := map[string]string{
		"inline.js":      "var a=1;\n//# sourceMappingURL=data:application/json;base64,eyJ2ZXJzaW9uIjozLCJzb3VyY2VzIjpbImEudHMiXSwibmFtZXMiOltdLCJtYXBwaW5ncyI6IkFBQUEifQ==\n",
		"guess.js":       "var b=1;\n",
		"guess.js.map":   smap,
		"query.js":       "var c=1;\n//# sourceMappingURL=query.js.map?v=2\n",
		"query.js.map":   smap,
		"remote.js":      "var d=1;\n//# sourceMappingURL=https://cdn.example.com/remote.js.map\n",
		"broken.map":     "not json at all",
		"sub/deep/x.js":  "var e=1;\n//# sourceMappingURL=../../maps/x.js.map\n",
		"maps/x.js.map":  smap,
		"id.js":          "var f=1;\n//# sourceMappingURL=id.js.map\n//# debugId=3b5e1c7a-8f8e-4f5a-9a3c-2d1e0f9a8b7c\n",
		"id.js.map":      `{"version":3,"sources":["a.ts"],"names":[],"mappings":"AAAA","debugId":"3b5e1c7a-8f8e-4f5a-9a3c-2d1e0f9a8b7c"}`,
		"latin1.js":      "var g='caf\xe9';\n",
		".hidden/h.js":   "var h=1;\n",
		"app.cjs":        "var i=1;\n",
		"app.mjs":        "var j=1;\n",
		"snake.js.map":   `{"version":3,"sources":[],"names":[],"mappings":"","debug_id":"3B5E1C7A8F8E4F5A9A3C2D1E0F9A8B7C"}`,
		"README.md":      "not uploaded",
		"abs.js":         "var k=1;\n//# sourceMappingURL=/static/abs.js.map\n",
		"missing.js":     "var l=1;\n//# sourceMappingURL=missing.js.map\n",
		"fileurl.js":     "var n=1;\n//# sourceMappingURL=file:///tmp/nowhere.js.map\n",
		"frag.js":        "var o=1;\n//# sourceMappingURL=frag.js.map#x\n",
		"frag.js.map":    smap,
		"legacy.js":      "var q=1;\n//@ sourceMappingURL=legacy.js.map\n",
		"legacy.js.map":  smap,
		"relremote.js":   "var r=1;\n//# sourceMappingURL=//cdn.example.com/r.js.map\n",
		"arr.map":        "[1,2]",
		"remote2.js":     "var s=1;\n//# sourceMappingURL=https://cdn.example.com/remote2.js.map\n",
		"remote2.js.map": smap,
		"abs2.js":        "var u=1;\n//# sourceMappingURL=/abs2.js.map\n",
		"abs2.js.map":    smap,
		"other.js":       "var v=1;\n",
		"other.map":      smap,
	}
	testkit.WriteTree(t, dir, files)
	uploadBoth(t, dir, "-o", "o", "-p", "p", "--release", "r")
}
