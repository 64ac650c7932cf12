package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mapback/mapback/internal/sentrytest"
	"github.com/mapback/mapback/internal/testkit/testserver"
	"github.com/mapback/mapback/internal/treelock"
)

// TestInjectWaitsForTheTreeLock: a second inject on a tree another run is
// writing waits with a message, and gives up with a clear error after
// --lock-timeout.
func TestInjectWaitsForTheTreeLock(t *testing.T) {
	f := newFakeEnv(t)
	f.write(t, "home/proj/dist/app.js", "var a=1;\n//# sourceMappingURL=app.js.map\n")
	f.write(t, "home/proj/dist/app.js.map", `{"version":3,"sources":["a.ts"],"names":[],"mappings":"AAAA"}`)
	dist := filepath.Join(f.dir, "home/proj/dist")
	lockOpts := treelock.Options{Dir: filepath.Join(f.dir, "home/.cache/mapback/locks")}

	held, err := treelock.Acquire(context.Background(), []string{dist}, treelock.Exclusive, lockOpts)
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, f, "inject", "--lock-timeout", "0", dist)
	if r.code != ExitFailure || !strings.Contains(r.err, "another mapback run is writing "+dist) {
		t.Fatalf("with the tree locked: exit %d, stderr %q; want exit 1 naming the tree", r.code, r.err)
	}
	if data, _ := os.ReadFile(filepath.Join(dist, "app.js")); strings.Contains(string(data), "debugId") {
		t.Fatal("the refused run wrote the bundle")
	}

	go func() { time.Sleep(300 * time.Millisecond); held.Release() }()
	r = run(t, f, "inject", "--lock-timeout", "1m", dist)
	if r.code != ExitOK || !strings.Contains(r.err, "waiting for another mapback run that is writing "+dist) {
		t.Fatalf("after the other run ends: exit %d, stderr %q; want a wait message, then success", r.code, r.err)
	}
	if data, _ := os.ReadFile(filepath.Join(dist, "app.js")); !strings.Contains(string(data), "debugId") {
		t.Fatal("the waiting run did not inject")
	}
}

// TestResolveReadsOnlyWhatItWasPointedAt: a map from an artifact bundle
// names sources on the resolving machine (an absolute path, and ../ far
// enough to climb out of any directory) and carries no sourcesContent. A
// crafted bundle once printed /etc/passwd through --context, into output
// users paste into tickets. Now nothing outside the bundle is read for it;
// the same map on disk may read its sources only under --root or its own
// project.
func TestResolveReadsOnlyWhatItWasPointedAt(t *testing.T) {
	f := newFakeEnv(t)
	secretDir := t.TempDir()
	secret := filepath.Join(secretDir, "passwd")
	const secretText = "root:x:0:0:the-secret-line:/root:/bin/bash"
	var lines []string
	for range 40 {
		lines = append(lines, secretText)
	}
	if err := os.WriteFile(secret, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	climb := strings.Repeat("../", 40) + strings.TrimPrefix(filepath.ToSlash(secret), "/")
	m := `{"version":3,"sources":[` + strconvQuote(secret) + `,` + strconvQuote(climb) + `],"names":[],"mappings":"AAKA,UCLA"}`
	f.write(t, "build/app.js", "throw new Error('x');throw 1\n//# sourceMappingURL=app.js.map\n")
	f.write(t, "build/app.js.map", m)
	build := filepath.Join(f.dir, "build")
	if r := run(t, f, "inject", build); r.code != ExitOK {
		t.Fatalf("inject: %d %s", r.code, r.err)
	}
	zip := filepath.Join(t.TempDir(), "bundle.zip")
	if r := run(t, f, "upload", "--dry-run", "--bundle-out", zip, build); r.code != ExitOK {
		t.Fatalf("upload --bundle-out: %d %s", r.code, r.err)
	}
	trace := filepath.Join(f.dir, "trace.txt")
	// The trace's lines are 1-based and the bundle's first line is the
	// injected snippet's: find the frames on the code's line.
	data, _ := os.ReadFile(filepath.Join(build, "app.js"))
	codeLine := 1 + strings.Count(string(data[:strings.Index(string(data), "throw new")]), "\n")
	f.write(t, "trace.txt", fmt.Sprintf("Error: x\n    at a (https://example.com/app.js:%d:1)\n    at b (https://example.com/app.js:%d:11)\n", codeLine, codeLine))

	for _, args := range [][]string{
		{"resolve", "--context", "3", "--bundle", zip, trace},
		{"resolve", "--context", "3", "--json", "--bundle", zip, trace},
		// On disk, without --root: the sources are outside the map's project.
		{"resolve", "--context", "3", "--json", "--maps", build, trace},
	} {
		r := run(t, f, args...)
		if strings.Contains(r.stdout+r.err, "the-secret-line") {
			t.Errorf("%s printed a file it was never pointed at:\n%s%s", strings.Join(args, " "), r.stdout, r.err)
		}
		if !strings.Contains(r.stdout, "passwd:1:1") {
			t.Errorf("%s did not resolve the frame:\n%s%s", strings.Join(args, " "), r.stdout, r.err)
		}
	}
	// Pointed at with --root, it is read: the rule is about consent, not paths.
	r := run(t, f, "resolve", "--context", "3", "--json", "--maps", build, "--root", secretDir, trace)
	if !strings.Contains(r.stdout, "the-secret-line") {
		t.Errorf("with --root %s the source was not read:\n%s%s", secretDir, r.stdout, r.err)
	}
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

// TestSecretsStayOutOfOutput: an argument shaped like a token is refused
// without being repeated; a token too short to hide is warned about and
// never garbles results; a config file that others may read and that holds
// the token is warned about.
func TestSecretsStayOutOfOutput(t *testing.T) {
	f := newFakeEnv(t)
	const tok = "sntrys_eyJpYXQiOjE3MDAwMDAwMDB9_abcdefghijklmnopqrstuvwxyz123456"
	for _, args := range [][]string{
		{"inject", tok},
		{"resolve", tok},
		{"doctor", "--json", tok},
		{"resolve", "--maps=" + tok},
		{"sourcemaps", "upload", "--org", "o", "--project", "p", "--dry-run", tok},
		{"resolve", strings.Repeat("ab12", 16)}, // a legacy 64-hex user token
	} {
		r := run(t, f, args...)
		if r.code != ExitUsage || strings.Contains(r.stdout+r.err, "abcdefghijklmnop") || strings.Contains(r.stdout+r.err, "ab12ab12ab12") ||
			!strings.Contains(r.err, "has the shape of an API token") {
			t.Errorf("%q: exit %d\nstdout %q\nstderr %q", args, r.code, r.stdout, r.err)
		}
	}
	// Where a token belongs it is taken, and shown redacted.
	r := run(t, f, "config", "--auth-token", tok)
	if r.code != ExitOK || !strings.Contains(r.stdout, "****3456") || strings.Contains(r.stdout+r.err, "abcdefghijklmnop") {
		t.Errorf("--auth-token: exit %d\n%s%s", r.code, r.stdout, r.err)
	}

	// A dev-server token such as "test": warned about, and results are
	// printed exactly (it once turned "testdata" into "****data").
	const build = "../../testdata/fixtures/esbuild-cjs"
	r = run(t, f, "--auth-token", "test", "resolve", "--json", "--maps", build, "--root", "../..", build+"/traces/class-method.txt")
	if r.code != ExitOK || !strings.Contains(r.stdout, `"file": "testdata/gen/app/src/models/cart.js"`) || strings.Contains(r.stdout, "****") {
		t.Errorf("short token: exit %d, stdout garbled or wrong:\n%.500s", r.code, r.stdout)
	}
	if !strings.Contains(r.err, "auth_token from flag --auth-token is only 4 characters long") {
		t.Errorf("short token: no warning on stderr: %q", r.err)
	}

	// A config file holding the token, readable by others.
	f.write(t, "home/proj/.mapback.yaml", "auth_token: "+tok+"\n")
	cfgPath := filepath.Join(f.dir, "home/proj/.mapback.yaml")
	if err := os.Chmod(cfgPath, 0o644); err != nil {
		t.Fatal(err)
	}
	r = run(t, f, "config")
	if !strings.Contains(r.err, "config file "+cfgPath+" holds auth_token and others may read it (mode 0644): chmod 600") {
		t.Errorf("0644 config with a token: stderr %q", r.err)
	}
	if err := os.Chmod(cfgPath, 0o600); err != nil {
		t.Fatal(err)
	}
	if r = run(t, f, "config"); strings.Contains(r.err, "others may read it") {
		t.Errorf("0600 config: stderr %q", r.err)
	}
}

// TestEndlessInputsAreBounded: /dev/zero as a trace, a map, an event or a
// config costs a bounded read and one clear error naming what was refused.
func TestEndlessInputsAreBounded(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero here")
	}
	f := newFakeEnv(t)
	f.write(t, "trace.txt", "Error: x\n    at f (https://x.example/a.js:1:1)\n")
	trace := filepath.Join(f.dir, "trace.txt")
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"resolve", "/dev/zero"}, ExitFailure, "the input is larger than 256 MiB"},
		{[]string{"resolve", "--map", "https://x.example/a.js=/dev/zero", trace}, ExitFailure, "/dev/zero: the file is not JSON (it starts with byte 0x00)"},
		{[]string{"--config", "/dev/zero", "config"}, ExitFailure, "config file /dev/zero: larger than 1 MiB"},
	}
	for _, c := range cases {
		r := run(t, f, c.args...)
		if r.code != c.code || !strings.Contains(r.err, c.msg) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", c.args, r.code, r.err, c.code, c.msg)
		}
	}
}

// silentServer accepts connections and never answers.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	return "http://" + ln.Addr().String()
}

// TestTimeouts: upload and doctor's server checks stop at --timeout (or
// MAPBACK_TIMEOUT) against a server that never answers, with a message
// saying so, exit 1 (not 130: nobody pressed Ctrl-C).
func TestTimeouts(t *testing.T) {
	f := newFakeEnv(t)
	dir := injectedFixtures(t, f)
	url := silentServer(t)
	const token = "sntryu_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

	start := time.Now()
	r := run(t, f, "--url", url, "--auth-token", token, "-o", "acme", "-p", "web", "sourcemaps", "upload", "--timeout", "1s", dir)
	if r.code != ExitFailure || !strings.Contains(r.err, "the upload did not finish within 1s (--timeout)") || !strings.Contains(r.err, "run it again") {
		t.Errorf("upload --timeout 1s: exit %d, stderr %q", r.code, r.err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("upload --timeout 1s took %v", took)
	}

	f.vars["MAPBACK_TIMEOUT"] = "700ms"
	r = run(t, f, "--url", url, "--auth-token", token, "-o", "acme", "-p", "web", "doctor", dir)
	if r.code != ExitFailure || !strings.Contains(r.err, "no answer within 700ms (--timeout)") {
		t.Errorf("doctor with MAPBACK_TIMEOUT=700ms: exit %d, stderr %q", r.code, r.err)
	}
	if r := run(t, f, "sourcemaps", "upload", "--timeout", "soon", dir); r.code != ExitUsage || !strings.Contains(r.err, `--timeout "soon": use a duration`) {
		t.Errorf("--timeout soon: exit %d, stderr %q", r.code, r.err)
	}
}

// TestGarbageAssembleReply: when the server's first assemble reply cannot be
// read, upload says nothing was sent, never that every chunk was already on
// the server.
func TestGarbageAssembleReply(t *testing.T) {
	f := newFakeEnv(t)
	dir := injectedFixtures(t, f)
	srv, url := testserver.Sentry(t, sentrytest.Options{})
	srv.AddFault(sentrytest.Fault{Endpoint: sentrytest.EndpointAssemble, Status: 200, Body: "<html>maintenance</html>"})
	const token = "sntryu_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	r := run(t, f, "--url", url, "--auth-token", token, "-o", "acme", "-p", "web", "sourcemaps", "upload", "--no-cache", dir)
	if r.code != ExitFailure || !strings.Contains(r.err, "Nothing was sent: the server never said which chunks it lacks.") ||
		strings.Contains(r.err, "already on the server") || !strings.Contains(r.err, "is not JSON") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.err)
	}
}

// TestUploadWithoutMapsFails: an upload in which no bundle has a source map
// (every map missing, or none built) resolves nothing, so a CI step must not
// pass on it: exit 1 with the fix, unless --allow-no-maps.
func TestUploadWithoutMapsFails(t *testing.T) {
	f := newFakeEnv(t)
	f.write(t, "dist/app.js", "var a=1;\n//# sourceMappingURL=app.js.map\n")
	f.write(t, "dist/vendor.js", "var b=2;\n")
	dir := filepath.Join(f.dir, "dist")
	if r := run(t, f, "inject", "-q", dir); r.code != ExitOK {
		t.Fatal(r.err)
	}
	r := run(t, f, "sourcemaps", "upload", "--dry-run", dir)
	if r.code != ExitFailure || !strings.Contains(r.err, "none of the 2 bundle(s) under "+dir+" has a source map") || !strings.Contains(r.err, "--allow-no-maps") {
		t.Errorf("no maps: exit %d\n%s", r.code, r.err)
	}
	if r := run(t, f, "sourcemaps", "upload", "--dry-run", "--allow-no-maps", dir); r.code != ExitOK {
		t.Errorf("--allow-no-maps: exit %d\n%s", r.code, r.err)
	}
}
