//go:build !(linux || darwin)

package mmapfile

import "os"

// Load reads a file (see mmap_unix.go for Linux and macOS).
func Load(path string) (data []byte, free, evict func(), err error) { return Map(path) }

// Map reads a file (memory-mapped on Linux and macOS, see mmap_unix.go).
func Map(path string) (data []byte, free, evict func(), err error) {
	data, err = os.ReadFile(path)
	return data, func() {}, func() {}, err
}

// Read reads a file (pooled on Linux and macOS, see mmap_unix.go).
func Read(path string) (data []byte, free func(), err error) {
	data, err = os.ReadFile(path)
	return data, func() {}, err
}

// Borrow reads a file (pooled on Linux and macOS, see mmap_unix.go).
func Borrow(path string) (data []byte, giveBack func(), err error) {
	data, err = os.ReadFile(path)
	return data, func() {}, err
}
