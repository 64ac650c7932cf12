package cli

import (
	"context"
	"os"
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
