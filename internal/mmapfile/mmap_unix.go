//go:build linux || darwin

package mmapfile

import (
	"errors"
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

// Load is Map for a caller that reads many files (upload's collect, PostHog's upload): files under
// mapAtLeast are read into a buffer of their size instead of mapped. A caller that keeps thousands
// of files open at once (resolve) should Map them: their pages then stay out of the heap.
func Load(path string) (data []byte, free, evict func(), err error) {
	return load(path, false)
}

// Borrow is Load for a caller that gives each file back right after looking at it: small files are
// read into pooled buffers, which giveBack returns (once; later calls do nothing), so reading
// thousands of them one after another makes no garbage. Nothing read from data may be kept.
func Borrow(path string) (data []byte, giveBack func(), err error) {
	data, giveBack, _, err = load(path, true)
	return data, giveBack, err
}

func load(path string, pooled bool) (data []byte, free, evict func(), err error) {
	f, err := rawfile.Open(path)
	if err != nil {
		return nil, nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() >= mapAtLeast {
		_ = f.Close()
		return Map(path)
	}
	data, free, err = readSmall(f, fi.Size(), pooled)
	_ = f.Close()
	if err == errGrew {
		return Map(path)
	}
	return data, free, func() {}, err
}

// Read reads a file without mapping it, into a pooled buffer when it is small (see Borrow); free
// gives the buffer back. For a caller that must not fault if the file shrinks while it reads.
func Read(path string) (data []byte, free func(), err error) {
	f, err := rawfile.Open(path)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err == nil && fi.Mode().IsRegular() && fi.Size() < mapAtLeast {
		data, free, err = readSmall(f, fi.Size(), true)
		_ = f.Close()
		if err != errGrew {
			return data, free, err
		}
	} else {
		_ = f.Close()
	}
	data, err = rawfile.ReadFile(path)
	return data, func() {}, err
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

// smallBufs recycles readSmall's pooled buffers: a collect over a code-split build reads thousands
// of small files one after another, and a fresh buffer for each was most of its garbage. One byte
// more than mapAtLeast, to tell a file that grew since its stat.
var smallBufs = sync.Pool{New: func() any { b := make([]byte, mapAtLeast+1); return &b }}

// errGrew is readSmall's answer for a file that grew past its stat size while it was read: the
// caller reads it again as a large file.
var errGrew = errors.New("file grew while read")

// readSmall reads a file of size bytes (under mapAtLeast), as a read to its end would: a file that
// shrank since its stat gives what is left, one that grew gives errGrew. The buffer is pooled
// when pooled is set (free gives it back, once), else of the file's size.
func readSmall(f *os.File, size int64, pooled bool) (data []byte, free func(), err error) {
	var bp *[]byte
	if pooled {
		bp = smallBufs.Get().(*[]byte)
		data = (*bp)[:size+1]
	} else {
		data = make([]byte, size+1)
	}
	giveBack := func() {
		if bp != nil {
			smallBufs.Put(bp)
			bp = nil
		}
	}
	n, err := io.ReadFull(f, data)
	switch err {
	case io.EOF, io.ErrUnexpectedEOF: // ReadFull returns them bare
		return data[:n:n], giveBack, nil
	case nil:
		giveBack()
		return nil, nil, errGrew
	default:
		giveBack()
		return nil, nil, err
	}
}
