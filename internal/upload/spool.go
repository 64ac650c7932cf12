package upload

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
)

// spool holds the bundle's bytes between the build and the send, in an unnamed file under the
// temporary directory ($TMPDIR), so that only the chunks the server says it lacks are ever read
// back and compressed. An upload of a build the server already holds (a rebuild on a fresh CI
// runner, a rerun without the cache) then compresses nothing, and one that sends every chunk
// compresses each while the requests go out. The bytes sit in the page cache, not in the process's
// memory (a server without gzip, whose chunks go raw, used to cost the whole bundle in memory), at
// the cost of writing them once: about 20 ms for the 108 MB of the scale bench build. Where
// $TMPDIR is a tmpfs, or under a memory cgroup, they still count as memory, though not the
// process's.
type spool struct {
	f *os.File
}

// newSpool creates the spool. On Unix its name is removed at once, so nothing is left behind even
// when mapback is killed; elsewhere close removes it.
func newSpool(ctx context.Context) (*spool, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp("", ".mapback-bundle-*")
	if err != nil {
		return nil, fmt.Errorf("a temporary file for the bundle: %w (set TMPDIR to a writable directory)", err)
	}
	if runtime.GOOS != "windows" {
		_ = os.Remove(f.Name()) // open files outlive their name on Unix
	}
	return &spool{f: f}, nil
}

func (s *spool) writeAt(p []byte, off int64) error {
	if _, err := s.f.WriteAt(p, off); err != nil {
		return fmt.Errorf("writing the bundle to a temporary file: %w (is $TMPDIR full?)", err)
	}
	return nil
}

// read returns n bytes from off.
func (s *spool) read(ctx context.Context, off, n int64) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	buf := make([]byte, n)
	if _, err := s.f.ReadAt(buf, off); err != nil {
		return nil, fmt.Errorf("reading the bundle back from its temporary file: %w", err)
	}
	return buf, nil
}

// copyTo writes n bytes from off to w, a block at a time.
func (s *spool) copyTo(ctx context.Context, w io.Writer, off, n int64) error {
	bp := blockBufs.Get().(*[]byte)
	defer blockBufs.Put(bp)
	buf := (*bp)[:cap(*bp)]
	for n > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		k := min(n, int64(len(buf)))
		if _, err := s.f.ReadAt(buf[:k], off); err != nil {
			return fmt.Errorf("reading the bundle back from its temporary file: %w", err)
		}
		if _, err := w.Write(buf[:k]); err != nil {
			return err
		}
		off += k
		n -= k
	}
	return nil
}

func (s *spool) close() {
	_ = s.f.Close()
	if runtime.GOOS == "windows" {
		_ = os.Remove(s.f.Name())
	}
}
