package testkit

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// CopyTree copies the directory src into a new temporary directory and returns that directory
// (CopyTreeTo says what is kept).
func CopyTree(t testing.TB, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "tree")
	CopyTreeTo(t, src, dst)
	return dst
}

// CopyTreeTo copies the directory src to dst, which must not exist (its parent is created). Files
// and directories keep their permission bits, directories getting theirs once they are filled, so a
// read-only one is copied too; a symbolic link is copied as a link with the same target text (never
// followed, so a link out of the tree or a dangling one stays what it was); any other kind of file
// fails the test. Files are copied on GOMAXPROCS goroutines: the conformance corpus is large.
func CopyTreeTo(t testing.TB, src, dst string) {
	t.Helper()
	if err := copyTree(src, dst); err != nil {
		t.Fatalf("testkit: copy %s to %s: %v", src, dst, err)
	}
}

// CopyFile copies the file src to dst (following a link at src), creating dst's parent directories
// and replacing dst if it exists; dst gets src's permission bits.
func CopyFile(t testing.TB, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := copyFile(src, dst, os.O_TRUNC); err != nil {
		t.Fatalf("testkit: %v", err)
	}
}

// WriteFile writes content to path with mode 0o644, creating the parent directories.
func WriteFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// WriteTree writes files (a slash-separated path below dir → its content) under dir with
// WriteFile; a path ending in "/" makes an empty directory. It returns dir.
func WriteTree(t testing.TB, dir string, files map[string]string) string {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		WriteFile(t, p, content)
	}
	return dir
}

func copyTree(src, dst string) error {
	if _, err := os.Lstat(dst); err == nil {
		return errors.New("the destination exists")
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	type dir struct {
		path string
		mode fs.FileMode
	}
	var dirs []dir
	var files []string
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			dirs = append(dirs, dir{target, info.Mode().Perm()})
			return os.Mkdir(target, 0o700)
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case info.Mode().IsRegular():
			files = append(files, rel)
			return nil
		}
		return fmt.Errorf("%s: cannot copy a file of type %v", p, info.Mode().Type())
	})
	if err != nil {
		return err
	}
	if err := parallel(files, func(rel string) error {
		return copyFile(filepath.Join(src, rel), filepath.Join(dst, rel), os.O_EXCL)
	}); err != nil {
		return err
	}
	for i := len(dirs) - 1; i >= 0; i-- { // children first: a read-only parent is set last
		if err := os.Chmod(dirs[i].path, dirs[i].mode); err != nil {
			return err
		}
	}
	return nil
}

// copyFile copies src's bytes and permission bits to dst; flag is os.O_EXCL or os.O_TRUNC.
func copyFile(src, dst string, flag int) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|flag, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, info.Mode().Perm())
}

// parallel calls f for every item on GOMAXPROCS goroutines and returns the first error.
func parallel(items []string, f func(string) error) error {
	ch := make(chan string)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range ch {
				if err := f(it); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, it := range items {
		ch <- it
	}
	close(ch)
	wg.Wait()
	return firstErr
}
