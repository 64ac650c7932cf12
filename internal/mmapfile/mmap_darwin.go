package mmapfile

// dropPages does nothing on macOS (the syscall package has no madvise
// there); the pages go when the file is unmapped.
func dropPages([]byte) {}
