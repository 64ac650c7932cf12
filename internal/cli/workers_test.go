package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/testkit"
)

// The traces, logs and tail events of testdata/workers come from a real
// Worker built by wrangler 4 and run in workerd, under wrangler dev and
// alone (see its README). wrangler dev source-maps errors itself: its
// resolution of each trace (traces/<s>.wrangler-resolved.txt) is the oracle.

const workersDir = "../../testdata/workers"

var workerScenarios = []string{"class-method", "handler-table", "keep-names", "async", "map-callback"}

// wranglerFrame is one frame of wrangler's own resolution, in the Worker's
// sources: name and src/…:line:column.
var wranglerFrame = regexp.MustCompile(`^    at (?:async )?(?:(\S+) \()?file:///workers/worker/(src/[a-z]+\.js:\d+:\d+)\)?$`)

func wranglerOracle(t *testing.T, scenario string) [][2]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(workersDir, "traces", scenario+".wrangler-resolved.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out [][2]string
	for _, line := range strings.Split(string(data), "\n") {
		if m := wranglerFrame.FindStringSubmatch(line); m != nil {
			out = append(out, [2]string{m[1], m[2]})
		}
	}
	if len(out) < 3 {
		t.Fatalf("%s: only %d frames in wrangler's resolution", scenario, len(out))
	}
	return out
}

// checkAgainstWrangler: every frame wrangler resolved into the Worker's
// sources appears in mapback's output, same position, same name (wrangler
// prints "null.<anonymous>" for an arrow, where mapback keeps the runtime's
// bare location).
func checkAgainstWrangler(t *testing.T, scenario, out string) {
	t.Helper()
	for _, w := range wranglerOracle(t, scenario) {
		name, site := w[0], w[1]
		if name == "null.<anonymous>" {
			name = ""
		}
		at := regexp.MustCompile(`^    at (?:async )?(?:(\S+) \()?(?:\S*/)?` + regexp.QuoteMeta(site) + `\)?$`)
		found := false
		for _, line := range strings.Split(out, "\n") {
			if m := at.FindStringSubmatch(line); m != nil && m[1] == name {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: wrangler resolved a frame to %q at %s; mapback's output lacks it:\n%s", scenario, name, site, out)
		}
	}
}

func TestWorkersAgainstWrangler(t *testing.T) {
	f := newFakeEnv(t)
	project := filepath.Join(workersDir, "worker")
	for _, s := range workerScenarios {
		t.Run(s+"/wrangler-dev", func(t *testing.T) {
			// file:///…/.wrangler/tmp/dev-XXXXXX/index.js frames, with a copy
			// of the dev bundle.
			r := run(t, f, "resolve", "--maps", filepath.Join(workersDir, "dev"), filepath.Join(workersDir, "traces", s+".txt"))
			if r.code != ExitOK || r.err != "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.err)
			}
			checkAgainstWrangler(t, s, r.stdout)
		})
		t.Run(s+"/workerd", func(t *testing.T) {
			// Bare "index.js" frames, resolved from the Worker project
			// (src/*.js and dist/index.js match the name; the project's one
			// bundle with a map is the Worker), whose map's sourceRoot is
			// wrangler's project-relative "dist".
			r := run(t, f, "resolve", "--maps", project, "--root", project, filepath.Join(workersDir, "traces", s+".workerd.txt"))
			if r.code != ExitOK {
				t.Fatalf("exit %d, stderr %q", r.code, r.err)
			}
			if !strings.Contains(r.err, "index.js is the module name workerd gives a Worker's bundle: taken as "+filepath.Join(project, "dist", "index.js")) {
				t.Errorf("stderr does not say which bundle a bare index.js was taken as: %q", r.err)
			}
			if strings.Contains(r.stdout, "dist/src/") {
				t.Errorf("the project-relative sourceRoot was applied to the map:\n%s", r.stdout)
			}
			checkAgainstWrangler(t, s, r.stdout)
		})
	}
}

func TestWorkersSourceRootAndLogs(t *testing.T) {
	f := newFakeEnv(t)
	project := filepath.Join(workersDir, "worker")
	trace := filepath.Join(workersDir, "traces", "class-method.workerd.txt")

	r := run(t, f, "resolve", "--json", "--maps", filepath.Join(project, "dist"), "--root", project, trace)
	if r.code != ExitOK || !strings.Contains(r.stdout, `"file": "src/cart.js"`) ||
		!strings.Contains(r.stdout, `"source_root_ignored": "sourceRoot \"dist\" is wrangler's --outdir, relative to the Worker project`) {
		t.Errorf("worker/dist: exit %d\n%.1500s", r.code, r.stdout)
	}
	// The same bundle built with --outdir ../dist has "sourceRoot": "../dist",
	// which is right read literally: kept.
	r = run(t, f, "resolve", "--json", "--maps", filepath.Join(workersDir, "dist"), "--root", workersDir, trace)
	if r.code != ExitOK || !strings.Contains(r.stdout, `"file": "worker/src/cart.js"`) || strings.Contains(r.stdout, "source_root_ignored") {
		t.Errorf("dist: exit %d\n%.1500s", r.code, r.stdout)
	}

	// Tail events: the stacks inside the TraceItems are rewritten in place.
	for _, name := range []string{"class-method.uncaught.json", "async.logged.json", "map-callback.waituntil.json"} {
		p := filepath.Join(workersDir, "tail-events", "workerd", name)
		in, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		r = run(t, f, "resolve", "--maps", project, "--root", project, p)
		if r.code != ExitOK || !strings.Contains(r.stdout, "(src/") || strings.Contains(r.stdout, "(index.js:") {
			t.Errorf("%s: exit %d, stderr %q\n%.800s", name, r.code, r.err, r.stdout)
		}
		if strings.Count(r.stdout, "\n") != strings.Count(string(in), "\n") {
			t.Errorf("%s: the document changed shape", name)
		}
	}

	// wrangler dev's own log already holds resolved traces: nothing in it
	// is looked up again (its src/index.js frames would otherwise match the
	// dev bundle's name, index.js), and the run says why, exit 0.
	logPath := filepath.Join(workersDir, "logs", "wrangler-dev.txt")
	log, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	r = run(t, f, "resolve", "--maps", filepath.Join(workersDir, "dev"), logPath)
	if r.code != ExitOK || r.stdout != string(log) {
		t.Errorf("wrangler dev's log: exit %d, stderr %q; output differs from the input", r.code, r.err)
	}
	r = run(t, f, "resolve", "--json", "--maps", filepath.Join(workersDir, "dev"), logPath)
	if !strings.Contains(r.stdout, `"status": "original"`) || strings.Contains(r.stdout, `"status": "resolved"`) {
		t.Errorf("wrangler dev's log, --json: %.1000s", r.stdout)
	}
}

// TestWorkersDevBundle: a wrangler dev frame names its bundle by absolute
// file:// URL under the project's hidden .wrangler/tmp/dev-*/: used where it
// is while it exists, whatever --maps says; once wrangler dev has stopped and
// deleted it, the reason says so.
func TestWorkersDevBundle(t *testing.T) {
	f := newFakeEnv(t)
	trace, err := os.ReadFile(filepath.Join(workersDir, "traces", "class-method.txt"))
	if err != nil {
		t.Fatal(err)
	}
	proj := t.TempDir()
	devDir := filepath.Join(proj, ".wrangler", "tmp", "dev-a1b2c3")
	live := strings.ReplaceAll(string(trace), "file:///workers/worker/.wrangler/tmp/dev-XXXXXX", "file://"+filepath.ToSlash(devDir))
	f.write(t, "live.txt", live)
	empty := t.TempDir()

	r := run(t, f, "resolve", "--maps", empty, filepath.Join(f.dir, "live.txt"))
	if r.code != ExitFailure || !strings.Contains(r.err, filepath.Join(devDir, "index.js")+" is gone: wrangler deletes its .wrangler/tmp/dev-* bundles when wrangler dev stops") {
		t.Errorf("gone: exit %d, stderr %q", r.code, r.err)
	}

	for _, n := range []string{"index.js", "index.js.map"} {
		testkit.CopyFile(t, filepath.Join(workersDir, "dev", n), filepath.Join(devDir, n))
	}
	r = run(t, f, "resolve", "--maps", empty, filepath.Join(f.dir, "live.txt"))
	if r.code != ExitOK || !strings.Contains(r.stdout, "    at Cart.priceOf (/workers/worker/src/cart.js:25:13)\n") {
		t.Errorf("live: exit %d, stderr %q\n%s", r.code, r.err, r.stdout)
	}
}
