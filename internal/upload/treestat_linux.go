package upload

import "syscall"

// statOf is the status a tree record compares (treecache.go), following symlinks as the reads do.
func statOf(path string) (statEntry, bool) {
	var st syscall.Stat_t
	for {
		err := syscall.Stat(path, &st)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return statEntry{}, false
		}
		break
	}
	return statEntry{Size: st.Size, Mtime: st.Mtim.Nano(), Ctime: st.Ctim.Nano(), Ino: st.Ino, Dev: uint64(st.Dev), Mode: st.Mode}, true
}
