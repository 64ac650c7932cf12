package mmapfile

import "syscall"

// dropPages drops the pages of a read-only file mapping from the process;
// touched again, they are read back from the page cache. Advice only: a
// refusal leaves them in place.
func dropPages(data []byte) { _ = syscall.Madvise(data, syscall.MADV_DONTNEED) }
