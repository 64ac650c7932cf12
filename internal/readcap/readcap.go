// Package readcap reads inputs whole, within a stated bound. Every input
// mapback holds in memory (a trace, a log, an event, a source map, a config
// file, an original source) is read through it, so a path such as /dev/zero,
// a named pipe that never ends or a log with no newline costs at most the
// bound, never the machine's memory. docs/resolve.md states the bounds.
package readcap

import (
	"bufio"
	"fmt"
	"io"
	"os"
)

// The bounds, one per kind of input.
const (
	// Input is a trace, a log of JSON lines or a Sentry event: logs of
	// thousands of traces are tens of megabytes.
	Input = 256 << 20
	// SourceMap is one source map: the largest published are tens of
	// megabytes, and a map is held whole.
	SourceMap = 1 << 30
	// Source is an original source file read for context lines or names.
	Source = 64 << 20
	// ArtifactBundles is what all the artifact bundles of one run may
	// decompress together (each entry is also bounded on its own).
	ArtifactBundles = 1 << 30
)

// TooLargeError says an input went past its bound.
type TooLargeError struct {
	What  string // "the trace", "source map dist/app.js.map"
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than %s; mapback reads at most that", e.What, Size(e.Limit))
}

// Size words a byte count as the docs do.
func Size(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Reader reads r to its end, failing once more than limit bytes come.
func Reader(r io.Reader, limit int64, what string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{What: what, Limit: limit}
	}
	return data, nil
}

// JSONFile is File for a file that must hold a JSON object or array: a
// stream that starts with anything else (/dev/zero, /dev/urandom) is refused
// at its first bytes rather than read to the bound.
func JSONFile(path string, limit int64, what string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > limit {
		return nil, &TooLargeError{What: what, Limit: limit}
	}
	br := bufio.NewReader(f)
	for {
		c, err := br.ReadByte()
		if err == io.EOF {
			return nil, fmt.Errorf("%s is empty", what)
		}
		if err != nil {
			return nil, err
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{', '[':
			_ = br.UnreadByte() // the byte just read: cannot fail
			return Reader(br, limit, what)
		}
		return nil, fmt.Errorf("%s is not JSON (it starts with byte 0x%02x)", what, c)
	}
}

// File reads the file at path, regular or not, failing once more than
// limit bytes come; a regular file is refused by its size before reading.
func File(path string, limit int64, what string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		if st.Size() > limit {
			return nil, &TooLargeError{What: what, Limit: limit}
		}
		// One allocation of the size the file has (one byte more, to see it
		// grow), instead of ReadAll's growing and zeroing.
		buf := make([]byte, st.Size()+1)
		n, err := io.ReadFull(f, buf)
		switch {
		case err == io.ErrUnexpectedEOF || err == io.EOF:
			return buf[:n], nil
		case err != nil:
			return nil, err
		}
		rest, err := Reader(f, limit-int64(n), what) // it grew while being read
		if err != nil {
			return nil, err
		}
		return append(buf, rest...), nil
	}
	return Reader(f, limit, what)
}
