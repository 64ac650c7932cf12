//go:build linux || darwin

package mmapfile

import (
	"io"
	"os"
	"sync"
	"syscall"

	"github.com/mapback/mapback/internal/rawfile"
)

// mapAtLeast is the size from which Load maps a file rather than reading it. Mapping costs two
// system calls and, at unmap time, a TLB flush on every core the process runs on: for the thousands
// of small chunks of a code-split build that was most of upload's CPU time (munmap alone 29% of a
// collect over 10,042 files), while reading a small file costs less than mapping it.
const mapAtLeast = 256 << 10

// Load is Map for a caller that releases each file right after reading it (upload's collect):
// files under mapAtLeast are read into a pooled buffer instead of mapped (free gives it back). A caller that
// keeps thousands of files open at once (resolve) should Map them: their pages then stay out of
// the heap.
func Load(path string) (data []byte, free, evict func(), err error) {
	f, err := rawfile.Open(path)
	if err != nil {
		return nil, nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() >= mapAtLeast {
		_ = f.Close()
		return Map(path)
	}
	defer func() { _ = f.Close() }()
	return readSmall(f, fi.Size())
}

// Read reads a file without mapping it, into a pooled buffer when it is small (see Load); free
// gives the buffer back. For a caller that must not fault if the file shrinks while it reads.
func Read(path string) (data []byte, free func(), err error) {
	f, err := rawfile.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() >= mapAtLeast {
		data, err := rawfile.ReadFile(path)
		return data, func() {}, err
	}
	data, free, _, err = readSmall(f, fi.Size())
	return data, free, err
}

// Map maps a file read-only into memory. The maps and bundles resolve
// reads are tens of megabytes of which a lookup reads much once and keeps
// little: mapping them costs neither a copy nor freshly zeroed heap pages,
// and unmapping gives the memory back at once (a freed heap buffer stays in
// the process until the runtime returns it). free unmaps; nothing read from
// data may be used after it. A file that shrinks while mapped makes reads
// past its new end fault, which resolve accepts for its inputs. Empty and
// non-regular files are read instead.
//
// evict gives the pages back without unmapping: they are read again from the
// page cache if touched. It is for a file whose bulk has been read and of
// which only a few pages will be looked at again.
func Map(path string) (data []byte, free, evict func(), err error) {
	f, err := rawfile.Open(path)
	if err != nil {
		return nil, nil, nil, err
	}
	defer func() { _ = f.Close() }() // read-only; the mapping outlives the descriptor
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() == 0 || fi.Size() != int64(int(fi.Size())) {
		data, err := rawfile.ReadFile(path)
		return data, func() {}, func() {}, err
	}
	data, err = syscall.Mmap(int(f.Fd()), 0, int(fi.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		data, err := rawfile.ReadFile(path)
		return data, func() {}, func() {}, err
	}
	free = func() { _ = syscall.Munmap(data) } // unmapping a live mapping does not fail
	evict = func() { dropPages(data) }
	return data, free, evict, nil
}

// smallBufs recycles readSmall's buffers: a collect over a code-split build reads thousands of
// small files one after another, and a fresh buffer for each was most of its garbage.
var smallBufs = sync.Pool{New: func() any { b := make([]byte, mapAtLeast); return &b }}

// readSmall reads a file of size bytes (under mapAtLeast) into a pooled buffer, which free gives
// back (once; later calls do nothing).
func readSmall(f *os.File, size int64) (data []byte, free, evict func(), err error) {
	bp := smallBufs.Get().(*[]byte)
	buf := (*bp)[:size]
	if _, err := io.ReadFull(f, buf); err != nil {
		smallBufs.Put(bp)
		return nil, nil, nil, err
	}
	freed := false
	free = func() {
		if !freed {
			freed = true
			smallBufs.Put(bp)
		}
	}
	return buf, free, func() {}, nil
}
