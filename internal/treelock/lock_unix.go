//go:build unix

package treelock

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// lockFile is an open lock file; flock locks belong to the open file, so two
// opens in one process conflict like two processes do.
type lockFile struct{ f *os.File }

func openLockFile(path string) (*lockFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	return &lockFile{f}, nil
}

func (l *lockFile) try(exclusive bool) error {
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	for {
		err := unix.Flock(int(l.f.Fd()), how|unix.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EWOULDBLOCK):
			return errBusy
		}
		return err
	}
}

func (l *lockFile) close() { l.f.Close() } // closing releases the lock
