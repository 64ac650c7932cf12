package artifactbundle

import (
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mapback/mapback/internal/testkit"
)

// failWriter fails once more than n bytes were written.
type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		return w.n, errors.New("disk full")
	}
	w.n -= len(p)
	return len(p), nil
}

func TestWriteWriterError(t *testing.T) {
	files := fixtureFiles(t)
	full, _ := writeBundle(t, files, WriteOptions{})
	// Fail at the header, inside the entries and in the central directory.
	for _, n := range []int{0, 5, 100, len(full) / 2, len(full) - 30} {
		_, err := Write(context.Background(), &failWriter{n: n}, files, WriteOptions{})
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("fail after %d bytes: %v", n, err)
		}
	}
}

// cancelWriter cancels the context on its first write after the header and counts what it is given.
type cancelWriter struct {
	cancel  context.CancelFunc
	written int
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	w.written += len(p)
	if w.written > HeaderSize {
		w.cancel()
	}
	return len(p), nil
}

func TestWriteCancel(t *testing.T) {
	files := fixtureFiles(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Write(ctx, io.Discard, files, WriteOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before: %v", err)
	}
	// Cancelled while writing: Write stops with the context's error instead of finishing the bundle.
	for _, jobs := range []int{1, 4} {
		ctx, cancel := context.WithCancel(context.Background())
		w := &cancelWriter{cancel: cancel}
		_, err := Write(ctx, w, files, WriteOptions{Jobs: jobs})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("jobs %d: cancelled during: %v", jobs, err)
		}
		full, _ := writeBundle(t, files, WriteOptions{Jobs: jobs})
		if w.written >= len(full) {
			t.Errorf("jobs %d: wrote all %d bytes after cancel", jobs, w.written)
		}
	}
}

// blockWriter blocks its first write after the SYSB header until release is closed.
type blockWriter struct {
	n                int
	once             sync.Once
	blocked, release chan struct{}
}

func (w *blockWriter) Write(p []byte) (int, error) {
	if w.n >= HeaderSize {
		w.once.Do(func() {
			close(w.blocked)
			<-w.release
		})
	}
	w.n += len(p)
	return len(p), nil
}

// TestWriteBoundedInFlight: while w is stuck on the first entry, only the first Jobs files have been read.
// The others are deleted meanwhile, so a writer that read ahead would succeed; a bounded one fails on the
// first file after the window.
func TestWriteBoundedInFlight(t *testing.T) {
	contents := map[string]string{}
	for i := range 8 {
		contents[fmt.Sprintf("f%02d.js", i)] = strings.Repeat("x", 1000)
	}
	for _, jobs := range []int{1, 2, 4} {
		files := tempFiles(t, contents)
		w := &blockWriter{blocked: make(chan struct{}), release: make(chan struct{})}
		done := make(chan error)
		go func() {
			_, err := Write(context.Background(), w, files, WriteOptions{Jobs: jobs})
			done <- err
		}()
		<-w.blocked
		time.Sleep(200 * time.Millisecond) // time enough for a read-ahead to happen if the code allowed it
		for _, f := range files[jobs:] {
			os.Remove(f.Path)
		}
		close(w.release)
		err := <-done
		if want := files[jobs].Path; err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("jobs %d: error %v, want one about %s", jobs, err, want)
		}
	}
}

// countdownCtx is a context whose Err turns to Canceled after n calls, to see where deflate looks.
type countdownCtx struct {
	context.Context
	n, calls int
}

func (c *countdownCtx) Err() error {
	c.calls++
	if c.calls > c.n {
		return context.Canceled
	}
	return nil
}

// TestDeflateCancel: a large file is abandoned between 1 MiB chunks, not after the whole deflate.
func TestDeflateCancel(t *testing.T) {
	data := bytes.Repeat([]byte("function f(){return 1}\n"), 10<<20/23) // ~10 MiB
	ctx := &countdownCtx{Context: context.Background(), n: 3}
	if _, err := deflate(ctx, data, 5, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("deflate = %v", err)
	}
	if ctx.calls != 4 {
		t.Errorf("deflate looked at the context %d times before stopping, want 4 (once per MiB)", ctx.calls)
	}
	// Uncancelled, the same input inflates back.
	comp, err := deflate(context.Background(), data, 5, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(flate.NewReader(bytes.NewReader(comp)))
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("round trip: %v", err)
	}
}

// TestWriteBoundedBytes: the byte budget bounds the read-ahead too. With room for two 1000-byte
// files, the third is read only after the first is written, however many jobs there are.
func TestWriteBoundedBytes(t *testing.T) {
	contents := map[string]string{}
	for i := range 8 {
		contents[fmt.Sprintf("f%02d.js", i)] = strings.Repeat("x", 1000)
	}
	files := tempFiles(t, contents)
	w := &blockWriter{blocked: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error)
	go func() {
		_, err := Write(context.Background(), w, files, WriteOptions{Jobs: 6, WindowBytes: 2500})
		done <- err
	}()
	<-w.blocked
	time.Sleep(200 * time.Millisecond) // time enough for a read-ahead to happen if the code allowed it
	for _, f := range files[2:] {
		os.Remove(f.Path)
	}
	close(w.release)
	err := <-done
	if want := files[2].Path; err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v, want one about %s", err, want)
	}
}

// TestWriteStreamsUTF8AcrossChunks: files are checked for UTF-8 a chunk at a time; sequences cut
// by a chunk boundary are still valid, and invalid bytes anywhere (also at a boundary, or a sequence
// cut by the end of the file) still make the file skipped.
func TestWriteStreamsUTF8AcrossChunks(t *testing.T) {
	valid := strings.Repeat("é€𝄞a", readChunk/3) // > 2 MiB of 2-, 3- and 4-byte sequences
	badAtBoundary := []byte(strings.Repeat("a", readChunk-1) + "€" + strings.Repeat("b", 100))
	badAtBoundary[readChunk] = 0xff // the middle byte of the € that straddles the first boundary
	files := tempFiles(t, map[string]string{
		"valid.js":     valid,
		"boundary.js":  string(badAtBoundary),
		"truncated.js": strings.Repeat("x", readChunk+5) + "\xe2\x82",
	})
	var buf bytes.Buffer
	res, err := Write(context.Background(), &buf, files, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	skipped := map[string]bool{}
	for _, s := range res.Skipped {
		skipped[filepath.Base(s.Path)] = true
	}
	if skipped["valid.js"] || !skipped["boundary.js"] || !skipped["truncated.js"] {
		t.Fatalf("skipped %v", res.Skipped)
	}
	b := readBytes(t, buf.Bytes())
	got, err := b.ReadFile(res.Files[0].ZipPath)
	if err != nil || string(got) != valid {
		t.Fatalf("valid.js round trip: %d bytes, %v", len(got), err)
	}
}

// TestWriteFileChangedMeanwhile: a file that changes between its compression and its turn to be
// hashed fails the bundle, rather than giving it a debug_id that does not match its bytes.
func TestWriteFileChangedMeanwhile(t *testing.T) {
	files := tempFiles(t, map[string]string{"a.js": strings.Repeat("a", 1000), "b.js": strings.Repeat("b", 1000)})
	w := &blockWriter{blocked: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error)
	go func() {
		_, err := Write(context.Background(), w, files, WriteOptions{Jobs: 2})
		done <- err
	}()
	<-w.blocked
	time.Sleep(200 * time.Millisecond) // b.js is compressed by now, waiting for its turn
	testkit.WriteFile(t, files[1].Path, strings.Repeat("c", 1000))
	close(w.release)
	if err := <-done; err == nil || !strings.Contains(err.Error(), "changed while it was being bundled") {
		t.Fatalf("error %v", err)
	}
}

// TestPackKeepsStoredBuffersApart: a small (stored) file never takes a buffer a large (deflated)
// one grew, so the many small files Write keeps in flight hold small buffers; each buffer goes back
// to the pool it came from.
func TestPackKeepsStoredBuffersApart(t *testing.T) {
	dir := t.TempDir()
	small, large := filepath.Join(dir, "small.js"), filepath.Join(dir, "large.js")
	if err := os.WriteFile(small, []byte("var a=1;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(large, bytes.Repeat([]byte("var b=function(c){return c};\n"), 1<<15), 0o644); err != nil {
		t.Fatal(err)
	}
	pools := &bufPools{}
	big := bytes.NewBuffer(make([]byte, 0, 8<<20))
	pools.deflated.Put(big)
	p := pack(context.Background(), SourceFile{URL: "~/small.js", Path: small}, DefaultLevel, 1024, pools)
	if p.err != nil || p.method != methodStore || p.pool != &pools.stored || p.compBuf == big || p.compBuf.Cap() > 1024 {
		t.Fatalf("small file: err %v, method %d, buffer of %d bytes from the deflated pool %v", p.err, p.method, p.compBuf.Cap(), p.pool == &pools.deflated)
	}
	p.release()
	q := pack(context.Background(), SourceFile{URL: "~/large.js", Path: large}, DefaultLevel, 1024, pools)
	if q.err != nil || q.method != methodDeflate || q.pool != &pools.deflated {
		t.Fatalf("large file: err %v, method %d", q.err, q.method)
	}
	q.release()
	if got, _ := pools.stored.Get().(*bytes.Buffer); got == big {
		t.Fatal("the deflated buffer went back to the stored pool")
	}
}
