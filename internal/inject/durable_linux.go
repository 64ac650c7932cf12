package inject

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// On Linux one syncfs(2) per file system makes every file written before it
// durable, data and directory entries, so temporaries are written without
// an fsync each and a batch costs a few syscalls whatever its size. Since
// Linux 5.8 syncfs also reports a writeback error of any file on the file
// system, which fails the batch: mapback then changes nothing.
const syncOnWrite = false

// barrier makes every write so far to files in dirs durable. files are the
// ones written since the last barrier, which a kernel without syncfs (or a
// file system that refuses it) fsyncs one by one instead.
func barrier(dirs, files []string) error {
	seen := map[uint64]bool{}
	statted := map[string]bool{} // dirs lists a directory once per file in it
	for _, dir := range dirs {
		if statted[dir] {
			continue
		}
		statted[dir] = true
		var st unix.Stat_t
		if err := unix.Stat(dir, &st); err != nil {
			return fmt.Errorf("sync %s: %w", dir, err)
		}
		if seen[st.Dev] {
			continue
		}
		seen[st.Dev] = true
		err := syncfs(dir)
		if errors.Is(err, syscall.ENOSYS) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.EOPNOTSUPP) {
			return fsyncEach(dirs, files)
		}
		if err != nil {
			return fmt.Errorf("sync the file system of %s: %w", dir, err)
		}
	}
	return nil
}

func syncfs(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	for {
		err := unix.Syncfs(int(d.Fd()))
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
