// Package testkit holds the helpers the tests of every package share: copies of fixture trees
// (CopyTree, CopyFile, Fixtures), small trees written from a map (WriteTree, WriteFile), and golden
// files with the one update switch, UPDATE_GOLDEN=1 (Golden). The in-process Sentry and PostHog
// servers are started by its subpackage testserver, which imports them; this package imports only
// the standard library, so any package's tests can use it.
//
// Only _test.go files import it (a depguard rule in .ci/golangci.yml says so).
package testkit

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// modulePath is the first line of the repository's go.mod.
const modulePath = "module github.com/mapback/mapback\n"

// RepoRoot is the repository's top directory: the first directory at or above the working
// directory (a test runs in its package's directory) whose go.mod declares this module.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.HasPrefix(data, []byte(modulePath)) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testkit: no go.mod of github.com/mapback/mapback at or above the working directory")
		}
		dir = parent
	}
}

// Fixtures copies testdata/fixtures (the committed builds of five real bundlers, see
// testdata/gen/README.md) into a new temporary directory named dist and returns its path, for tests
// that inject, upload or otherwise change the files.
func Fixtures(t testing.TB) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "dist")
	CopyTreeTo(t, filepath.Join(RepoRoot(t), "testdata", "fixtures"), dst)
	return dst
}
