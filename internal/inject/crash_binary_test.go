package inject_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// ---------------------------------------------------------------------------
// The binary

func buildMapback(t *testing.T) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("building mapback: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "mapback")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	cmd := exec.Command(goTool, "build", "-o", bin, "./cmd/mapback")
	cmd.Dir = root
	// The binary under test is a normal build even when the tests run with -race.
	var flags []string
	for _, f := range strings.Fields(os.Getenv("GOFLAGS")) {
		if f != "-race" && f != "--race" {
			flags = append(flags, f)
		}
	}
	cmd.Env = append(os.Environ(), "GOFLAGS="+strings.Join(flags, " "))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building mapback: %v\n%s", err, out)
	}
	return bin
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.HasPrefix(data, []byte("module github.com/mapback/mapback\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("module root (go.mod of github.com/mapback/mapback) not found above the working directory")
		}
		dir = parent
	}
}

type runResult struct {
	err         error // from Wait
	killed      bool  // ended by the kill (not: exited before it arrived)
	elapsed     time.Duration
	out, errOut bytes.Buffer
}

// runMapback runs `mapback sourcemaps inject -q dir` (plus extra flags) and,
// when kill >= 0, SIGKILLs it after that delay.
func runMapback(bin, dir string, kill time.Duration, extra ...string) *runResult {
	return runArgv(injectArgv(bin, dir, extra...), kill)
}

func injectArgv(bin, dir string, extra ...string) []string {
	return append(append([]string{bin, "sourcemaps", "inject", "-q"}, extra...), dir)
}

func runArgv(argv []string, kill time.Duration) *runResult {
	return runArgvKill(argv, nil, kill)
}

// runArgvEnv runs argv to completion with extra environment variables.
func runArgvEnv(argv, env []string) *runResult { return runArgvKill(argv, env, -1) }

func runArgvKill(argv, env []string, kill time.Duration) *runResult {
	cmd := exec.Command(argv[0], argv[1:]...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	r := &runResult{}
	cmd.Stdout, cmd.Stderr = &r.out, &r.errOut
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		r.err = err
		return r
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	if kill < 0 {
		r.err = <-waited
	} else {
		timer := time.NewTimer(kill)
		select {
		case r.err = <-waited:
			timer.Stop()
		case <-timer.C:
			_ = cmd.Process.Kill() // SIGKILL
			r.err = <-waited
			// A kill that arrives after a clean exit is no kill.
			r.killed = r.err != nil
		}
	}
	r.elapsed = time.Since(t0)
	if r.err != nil && cmd.ProcessState != nil && !cmd.ProcessState.Exited() {
		r.killed = true // by a signal of its own, e.g. strace's SIGKILL
	}
	return r
}

func (r *runResult) describe() string {
	return fmt.Sprintf("%v; stderr: %s", r.err, abbrev(r.errOut.Bytes(), 600))
}

// exitedCleanly reports whether the process ran to completion with status 0.
func (r *runResult) exitedCleanly() bool { return r.err == nil }
