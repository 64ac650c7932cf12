//go:build unix

package inject

import (
	"io/fs"
	"syscall"
)

// umask is the process's file mode creation mask, read once before any
// goroutine creates files (reading it means setting it), so that a temporary
// is chmod-ed only when the mask took bits its original has.
var umask = func() fs.FileMode {
	m := syscall.Umask(0)
	syscall.Umask(m)
	return fs.FileMode(m)
}()
