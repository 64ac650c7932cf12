//go:build conformance

package conformance

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

type injResult struct {
	stdout, stderr string
	code           int
	err            error
}

// injExec runs a binary with a clean environment: no real HOME, no .env.
func injExec(dir, home, bin string, args ...string) injResult {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "SENTRY_LOAD_DOTENV=0"}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	r := injResult{stdout: out.String(), stderr: errOut.String()}
	if ctx.Err() != nil {
		r.err = fmt.Errorf("%s %v: timed out", bin, args)
	} else if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		r.err = err
	}
	return r
}

// injListFiles maps every path below root (relative, slash-separated) to its
// mode; directories are included so their modes are compared too.
func injListFiles(root string) (map[string]fs.FileMode, error) {
	out := map[string]fs.FileMode{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = info.Mode()
		return nil
	})
	return out, err
}

func injCompareListings(t *testing.T, name string, want, got map[string]fs.FileMode) {
	t.Helper()
	var diffs []string
	for p, m := range want {
		g, ok := got[p]
		switch {
		case !ok:
			diffs = append(diffs, "missing "+p)
		case g != m:
			diffs = append(diffs, fmt.Sprintf("%s mode %v, was %v", p, g, m))
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			diffs = append(diffs, "new file "+p)
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("%s: the tree's files changed: %s", name, strings.Join(diffs[:min(10, len(diffs))], "; "))
	}
}

// injParallel calls f for every item on GOMAXPROCS goroutines.
func injParallel(items []string, f func(string)) {
	ch := make(chan string)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range ch {
				f(it)
			}
		}()
	}
	for _, it := range items {
		ch <- it
	}
	close(ch)
	wg.Wait()
}
