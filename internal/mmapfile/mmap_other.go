//go:build !(linux || darwin)

package mmapfile

import "os"

// Map reads a file (memory-mapped on Linux and macOS, see mmap_unix.go).
func Map(path string) (data []byte, free, evict func(), err error) {
	data, err = os.ReadFile(path)
	return data, func() {}, func() {}, err
}
