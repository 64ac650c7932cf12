//go:build unix

package rawfile

import (
	"io"
	"os"
	"syscall"
)

// Open opens path for reading as os.Open does, but without registering the descriptor with the
// runtime's poller (see the package comment). For a regular file that registration always fails, after four fcntl calls and
// an epoll_ctl (Go 1.26 on Linux): seven of the nine system calls of opening a file, and most of
// the cost of reading a code-split build's ten thousand small files three times over (strace -c of
// an upload of the scale bench build: 140,598 fcntl for 35,155 opens). Reads of the returned file
// block their thread, as reads of regular files always do.
func Open(path string) (*os.File, error) { return OpenFile(path, os.O_RDONLY, 0) }

// OpenFile is os.OpenFile without the poller registration. perm goes through the umask, as there.
func OpenFile(path string, flag int, perm os.FileMode) (*os.File, error) {
	for {
		fd, err := syscall.Open(path, flag|syscall.O_CLOEXEC, uint32(perm.Perm()))
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: path, Err: err}
		}
		return os.NewFile(uintptr(fd), path), nil
	}
}

// ReadFile is os.ReadFile through Open.
func ReadFile(path string) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	size := 0
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && int64(int(fi.Size())) == fi.Size() {
		size = int(fi.Size())
	}
	// One byte more than the size, so the read that finds the end needs no larger buffer.
	data := make([]byte, 0, size+1)
	for {
		n, err := f.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return data, err
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)] // the file grew: let append pick a larger buffer
		}
	}
}
