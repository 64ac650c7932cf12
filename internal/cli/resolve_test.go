package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/term"
)

func TestResolveCommand(t *testing.T) {
	f := newFakeEnv(t)
	const maps = "../../testdata/fixtures/esbuild-cjs"
	const trace = maps + "/traces/class-method.txt"

	r := run(t, f, "resolve", "--maps", maps, "--root", "../..", trace)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	for _, want := range []string{
		"    at LineItem.assertInStock (testdata/gen/app/src/models/cart.js:18:13)\n", // scope names by default
		"    at Cart.checkout (testdata/gen/app/src/models/cart.js:50:34)\n",
		"    at Array.map (<anonymous>)\n", // not resolvable: unchanged
		"Node.js v20.20.2",                 // other lines: unchanged
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}

	// stdin, and --names minified keeps the trace's names.
	in, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	streams, stdin, out, _ := term.Test()
	stdin.Write(in)
	code := Run(context.Background(), []string{"resolve", "--names", "minified", "--maps", maps, "--root", "../.."}, streams, f.env())
	if code != ExitOK || !strings.Contains(out.String(), "    at l.checkout (testdata/gen/app/src/models/cart.js:50:34)\n") {
		t.Errorf("stdin: exit %d\n%s", code, out)
	}

	if r := run(t, f, "resolve", "--names", "nope", trace); r.code != ExitUsage || !strings.Contains(r.err, "scope, callsite or minified") {
		t.Errorf("--names nope: exit %d %s", r.code, r.err)
	}
	if r := run(t, f, "resolve", trace, trace); r.code != ExitUsage {
		t.Errorf("two files: exit %d", r.code)
	}
	if r := run(t, f, "resolve", "no-such-trace.txt"); r.code != ExitFailure || !strings.Contains(r.err, "no-such-trace.txt") {
		t.Errorf("missing file: exit %d %s", r.code, r.err)
	}
}

// TestResolveMapChain: the real tsc → terser build of testdata/chain resolves
// to the TypeScript sources through both maps, stops at tsc's output with
// --transitive=false, and --json shows the position in between.
func TestResolveMapChain(t *testing.T) {
	f := newFakeEnv(t)
	const dir = "../../testdata/chain"
	trace := dir + "/traces/method.txt"

	r := run(t, f, "resolve", "--maps", dir+"/dist", "--root", dir, trace)
	if r.code != ExitOK || !strings.Contains(r.stdout, "    at Cart.total (src/app.ts:22:23)\n") ||
		!strings.Contains(r.stdout, "    at checkout (src/app.ts:39:22)\n") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.err)
	}
	r = run(t, f, "resolve", "--transitive=false", "--maps", dir+"/dist", "--root", dir, trace)
	if r.code != ExitOK || !strings.Contains(r.stdout, "    at Cart.total (out/app.js:15:27)\n") {
		t.Fatalf("--transitive=false: exit %d\n%s%s", r.code, r.stdout, r.err)
	}
	r = run(t, f, "resolve", "--json", "--maps", dir+"/dist", "--root", dir, trace)
	if r.code != ExitOK || !strings.Contains(r.stdout, `"chain": [`) || !strings.Contains(r.stdout, `"file": "out/app.js",`) {
		t.Fatalf("--json: exit %d\n%s%s", r.code, r.stdout, r.err)
	}
}

// TestResolveNeverSilent: when frames stay as they were, stderr says how many
// and why, with the fix; the exit status is 1 when none of the frames that
// could resolve did, and with --strict when any did not; -q silences stderr,
// not the status.
func TestResolveNeverSilent(t *testing.T) {
	f := newFakeEnv(t)
	const build = "../../testdata/fixtures/esbuild-cjs"
	trace, err := os.ReadFile(build + "/traces/class-method.txt")
	if err != nil {
		t.Fatal(err)
	}
	f.write(t, "trace.txt", string(trace))
	f.write(t, "partial.txt", string(trace)+"    at vendor (https://cdn.example.com/vendor.js:1:10)\n")
	f.write(t, "native.txt", "Error: x\n    at Array.map (<anonymous>)\n    at node:internal/main:1:1\n")
	js, _ := os.ReadFile(build + "/app.js")
	m, _ := os.ReadFile(build + "/app.js.map")
	for _, d := range []string{"twice/a", "twice/b"} {
		f.write(t, d+"/app.js", string(js))
		f.write(t, d+"/app.js.map", string(m))
	}
	f.write(t, "empty/README", "no bundles here\n")
	f.write(t, "nomap/app.js", strings.TrimSuffix(string(js), "//# sourceMappingURL=app.js.map\n"))
	p := func(rel string) string { return filepath.Join(f.dir, rel) }

	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string // "" : stderr must be empty
	}{
		{"all resolved", []string{"--maps", build, p("trace.txt")}, ExitOK, ""},
		{"native frames only", []string{"--maps", build, p("native.txt")}, ExitOK, ""},
		{"maps deleted", []string{"--maps", p("nomap"), p("trace.txt")}, ExitFailure,
			"resolved 0 of 6 frames; 6 stayed as they were:\n  6 × no_map, e.g. " + p("nomap/app.js") + " has no source map — build with source maps"},
		{"two builds", []string{"--maps", p("twice"), p("trace.txt")}, ExitFailure,
			"6 × ambiguous_file, e.g. several local bundles match /fixtures/esbuild-cjs/app.js equally well — pass --maps with one build's directory only"},
		{"wrong directory", []string{"--maps", p("empty"), p("trace.txt")}, ExitFailure,
			"6 × no_file, e.g. no bundle under " + p("empty") + " matches /fixtures/esbuild-cjs/app.js — pass --maps with the directory of the build that ran"},
		{"partly", []string{"--maps", build, p("partial.txt")}, ExitOK,
			"resolved 6 of 7 frames; 1 stayed as they were:\n  1 × no_file: no bundle under " + build + " matches https://cdn.example.com/vendor.js — pass --maps"},
		{"partly, --strict", []string{"--strict", "--maps", build, p("partial.txt")}, ExitFailure, "resolved 6 of 7 frames"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, f, append([]string{"resolve"}, c.args...)...)
			if r.code != c.code || (c.stderr == "") != (r.err == "") || !strings.Contains(r.err, c.stderr) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", r.code, r.err, c.code, c.stderr)
			}
			if !strings.Contains(r.stdout, "Error: out of stock") && !strings.Contains(r.stdout, "Error: x") {
				t.Errorf("the trace was not written:\n%s", r.stdout)
			}
			q := run(t, f, append([]string{"-q", "resolve"}, c.args...)...)
			if q.code != c.code || q.err != "" {
				t.Errorf("-q: exit %d, stderr %q", q.code, q.err)
			}
		})
	}
}
