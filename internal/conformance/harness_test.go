//go:build conformance

package conformance

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/mapback/mapback/internal/testkit"
)

// binary returns the path in env var name, failing (never skipping) when it
// is missing: a conformance run without its binaries proves nothing.
func binary(t *testing.T, name string) string {
	t.Helper()
	p := os.Getenv(name)
	if p == "" {
		t.Fatalf("%s is not set; run the tests with `make conformance`", name)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s=%s: %v", name, p, err)
	}
	return p
}

// run executes a binary with a time limit and returns stdout, stderr and the
// exit code.
func run(t *testing.T, dir, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	// Neither tool may read the developer's real configuration or token.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "SENTRY_LOAD_DOTENV=0"}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %v: timed out", bin, args)
	}
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s %v: %v", bin, args, err)
	}
	return out.String(), errOut.String(), code
}

// fetchCorpus makes sure the published-bundle corpus is present (the script
// is idempotent: on a machine that has it, it only checks it) and returns its
// directory. A conformance run without its inputs proves nothing, so a
// failure fails the test.
func fetchCorpus(t *testing.T) string {
	t.Helper()
	root := testkit.RepoRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "testdata", "bench", "fetch-corpus.sh"))
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("testdata/bench/fetch-corpus.sh: %v\n%s", err, out)
	}
	return filepath.Join(root, ".cache", "bench", "corpus")
}
