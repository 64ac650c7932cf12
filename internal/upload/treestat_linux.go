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

// Local file systems whose stat is authoritative and whose change time every write and rename sets
// (magic numbers from statfs(2)): ext2/3/4, XFS, Btrfs, tmpfs, overlayfs (containers), ZFS, F2FS.
// Network and FUSE mounts can answer stat from a cache, and FAT has no change time.
var trustedFS = map[uint32]bool{
	0xEF53:     true, // ext2, ext3, ext4
	0x58465342: true, // xfs
	0x9123683E: true, // btrfs
	0x01021994: true, // tmpfs
	0x794C7630: true, // overlayfs
	0x2FC12FC1: true, // zfs
	0xF2F52010: true, // f2fs
}

// statTrusted reports whether dir lies on a file system in trustedFS.
func statTrusted(dir string) bool {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		return false
	}
	return trustedFS[uint32(fs.Type)] // the magic is 32 bits; Type is signed on some platforms
}
